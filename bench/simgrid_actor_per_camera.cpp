// Plain-SimGrid yardstick, first shape: one actor per camera, each doing one request/response
// with a single cloud actor every PERIOD seconds until HORIZON. No ccsim code: this is what
// the same traffic costs in SimGrid alone, so ccsim's cost per message can be read as a ratio.
// Eager mailboxes and detached sends, the fastest plain use of SimGrid 3.32 we know.
// Usage: simgrid_actor_per_camera CAMERAS HORIZON_S PERIOD_S [SimGrid --cfg/--log options]
// Prints: cameras=N messages=M sim_time_s=T   (messages counts requests and responses)
#include <simgrid/s4u.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

struct Request {
  sg4::Mailbox* reply_to;
};

long g_messages = 0;
double g_horizon_s = 0;
double g_period_s = 0;

void cloud(sg4::Mailbox* mailbox) {
  mailbox->set_receiver(sg4::Actor::self());
  while (true) {
    auto* request = mailbox->get<Request>();
    ++g_messages;
    request->reply_to->put_init(new int(1), 200)->detach();
    delete request;
  }
}

void camera(int index, int cameras, sg4::Mailbox* cloud_mailbox) {
  auto* me = sg4::Mailbox::by_name("camera-" + std::to_string(index));
  me->set_receiver(sg4::Actor::self());
  sg4::this_actor::sleep_for(g_period_s * index / cameras);
  while (sg4::Engine::get_clock() < g_horizon_s) {
    cloud_mailbox->put_init(new Request{me}, 500)->detach();
    delete me->get<int>();
    ++g_messages;
    sg4::this_actor::sleep_for(g_period_s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s CAMERAS HORIZON_S PERIOD_S [SimGrid options]\n", argv[0]);
    return 2;
  }
  const int cameras = std::stoi(argv[1]);
  g_horizon_s = std::stod(argv[2]);
  g_period_s = std::stod(argv[3]);
  auto* zone = sg4::create_star_zone("world");
  auto* cloud_host = zone->create_host("cloud", "100Gf");
  auto* backbone = zone->create_link("backbone", "10GBps")->set_latency("1ms");
  zone->add_route(cloud_host->get_netpoint(), nullptr, nullptr, nullptr,
                  {sg4::LinkInRoute(backbone)}, true);
  std::vector<sg4::Host*> hosts;
  for (int i = 0; i < cameras; ++i) {
    auto* host = zone->create_host("camera-" + std::to_string(i), "1Gf");
    auto* link = zone->create_link("uplink-" + std::to_string(i), "10MBps")->set_latency("20ms");
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(link)},
                    true);
    hosts.push_back(host);
  }
  zone->seal();
  auto* cloud_mailbox = sg4::Mailbox::by_name("cloud");
  sg4::Actor::create("cloud", cloud_host, cloud, cloud_mailbox)->daemonize();
  for (int i = 0; i < cameras; ++i) {
    sg4::Actor::create("camera", hosts[i], camera, i, cameras, cloud_mailbox);
  }
  engine.run();
  std::printf("cameras=%d messages=%ld sim_time_s=%.0f\n", cameras, g_messages,
              sg4::Engine::get_clock());
  return 0;
}

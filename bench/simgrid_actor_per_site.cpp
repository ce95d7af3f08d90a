// Plain-SimGrid yardstick, second shape: one actor per site drives that site's cameras (the
// shape a sans-IO core allows), the site's uplink shared. Same traffic as
// simgrid_actor_per_camera.cpp: each camera does one request/response with the cloud every
// PERIOD seconds until HORIZON. The site actor keeps one get_async pending and waits with
// Comm::wait_any_for, so no response is lost.
// Cameras start evenly spaced in camera order ("staggered", the default) or at times spread by
// a fixed hash of their number ("random"), like ccsim's start_order.
// Usage: simgrid_actor_per_site SITES CAMERAS_PER_SITE HORIZON_S PERIOD_S [staggered|random]
//        [SimGrid options]
// Prints: cameras=N messages=M sim_time_s=T   (messages counts requests and responses)
#include <simgrid/s4u.hpp>

#include <cstdio>
#include <functional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

struct Request {
  int site;
  int camera;
};
struct Response {
  int camera;
};

long g_messages = 0;
double g_horizon_s = 0;
double g_period_s = 0;
bool g_random_start = false;

// Where in [0, 1) of the period camera `n` starts: in order, or scattered by a SplitMix64 hash.
double start_fraction(long n, long cameras) {
  if (!g_random_start) return static_cast<double>(n) / static_cast<double>(cameras);
  unsigned long long z = static_cast<unsigned long long>(n) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

void cloud(sg4::Mailbox* mailbox, const std::vector<sg4::Mailbox*>* site_mailboxes) {
  mailbox->set_receiver(sg4::Actor::self());
  while (true) {
    auto* request = mailbox->get<Request>();
    ++g_messages;
    (*site_mailboxes)[request->site]->put_init(new Response{request->camera}, 200)->detach();
    delete request;
  }
}

void site(int index, int cameras, int sites, sg4::Mailbox* cloud_mailbox, sg4::Mailbox* me) {
  me->set_receiver(sg4::Actor::self());
  using Timer = std::pair<double, int>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  for (int c = 0; c < cameras; ++c) {
    timers.push({g_period_s * start_fraction(static_cast<long>(index) * cameras + c,
                                             static_cast<long>(sites) * cameras),
                 c});
  }
  Response* received = nullptr;
  std::vector<sg4::CommPtr> pending{me->get_async<Response>(&received)};
  const double end = g_horizon_s + g_period_s;
  while (true) {
    const double now = sg4::Engine::get_clock();
    while (!timers.empty() && timers.top().first <= now) {
      const int camera = timers.top().second;
      timers.pop();
      if (now < g_horizon_s) cloud_mailbox->put_init(new Request{index, camera}, 500)->detach();
    }
    if (now >= end) break;
    const double wait = timers.empty() ? end - now : timers.top().first - now;
    if (sg4::Comm::wait_any_for(pending, wait) == 0) {
      ++g_messages;
      timers.push({sg4::Engine::get_clock() + g_period_s, received->camera});
      delete received;
      pending[0] = me->get_async<Response>(&received);
    }
  }
  pending[0]->cancel();
}

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s SITES CAMERAS_PER_SITE HORIZON_S PERIOD_S [SimGrid options]\n",
                 argv[0]);
    return 2;
  }
  const int sites = std::stoi(argv[1]);
  const int cameras_per_site = std::stoi(argv[2]);
  g_horizon_s = std::stod(argv[3]);
  g_period_s = std::stod(argv[4]);
  g_random_start = argc > 5 && std::string(argv[5]) == "random";
  auto* zone = sg4::create_star_zone("world");
  auto* cloud_host = zone->create_host("cloud", "100Gf");
  auto* backbone = zone->create_link("backbone", "10GBps")->set_latency("1ms");
  zone->add_route(cloud_host->get_netpoint(), nullptr, nullptr, nullptr,
                  {sg4::LinkInRoute(backbone)}, true);
  std::vector<sg4::Host*> hosts;
  for (int i = 0; i < sites; ++i) {
    auto* host = zone->create_host("site-" + std::to_string(i), "1Gf");
    auto* link = zone->create_link("uplink-" + std::to_string(i), "50MBps")->set_latency("20ms");
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(link)},
                    true);
    hosts.push_back(host);
  }
  zone->seal();
  auto* cloud_mailbox = sg4::Mailbox::by_name("cloud");
  std::vector<sg4::Mailbox*> site_mailboxes;
  for (int i = 0; i < sites; ++i) {
    site_mailboxes.push_back(sg4::Mailbox::by_name("site-" + std::to_string(i)));
  }
  sg4::Actor::create("cloud", cloud_host, cloud, cloud_mailbox, &site_mailboxes)->daemonize();
  for (int i = 0; i < sites; ++i) {
    sg4::Actor::create("site", hosts[i], site, i, cameras_per_site, sites, cloud_mailbox,
                       site_mailboxes[i]);
  }
  engine.run();
  std::printf("cameras=%d messages=%ld sim_time_s=%.0f\n", sites * cameras_per_site, g_messages,
              sg4::Engine::get_clock());
  return 0;
}

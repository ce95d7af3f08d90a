#include "sim/simulation.h"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <memory>
#include <queue>
#include <string>

#include "devices/device_agent.h"
#include "sim/network_conditions.h"

namespace sg4 = simgrid::s4u;

namespace ccsim::sim {
namespace {

using core::Time;

// Bytes a frame costs on the wire beyond its payload: TCP/IP headers, a TLS record and a
// websocket frame header.
constexpr std::uint64_t kWireOverheadBytes = 80;
// How long a device waits for a connection that cannot open (its site is cut off).
constexpr Time kConnectTimeout = std::chrono::seconds(10);
// Actor stacks: nodes keep their state on the heap, so small stacks suffice (see design notes).
constexpr int kActorStackKiB = 128;
// Above this many actors SimGrid's guard pages cost more than they help.
constexpr std::size_t kGuardPagesActorsMax = 32'000;
// Datagrams kept for reuse at most; more are freed.
constexpr std::size_t kSpareDatagramsMax = 1 << 16;
// Events handled between two looks at the wall clock for the progress line.
constexpr std::uint64_t kProgressCheckEvents = 8192;

// A frame in flight between a device and the cloud.
struct Datagram {
  std::uint32_t device;
  std::string frame;
};

void free_datagram(void* data) {
  delete static_cast<Datagram*>(data);
}

Time sim_now() {
  return Time(static_cast<std::int64_t>(std::llround(sg4::Engine::get_clock() * 1e6)));
}

double seconds(Time t) {
  return static_cast<double>(t.count()) / 1e6;
}

class Cloud;
class Site;

// Everything the actors share. Owned by simulate(); actors hold a reference.
struct World {
  const scenarios::Scenario& scenario;
  const SimulationOptions& options;
  FleetLayout layout;
  core::Trace trace;
  NetworkConditions network;
  devices::DeviceAgentConfig agent_config;
  platform::PlatformNode platform;
  std::vector<devices::DeviceAgent> agents;
  sg4::Mailbox* cloud_mailbox = nullptr;
  std::vector<sg4::Mailbox*> site_mailboxes;
  NetworkCounters counters;
  Time end;
  std::uint64_t events_handled = 0;
  std::vector<std::unique_ptr<Datagram>> spare_datagrams;
  std::unique_ptr<Cloud> cloud;
  std::vector<std::unique_ptr<Site>> sites;

  World(const scenarios::Scenario& s, const SimulationOptions& o)
      : scenario(s),
        options(o),
        layout(s),
        network(s, o.seed),
        platform({s.heartbeat.interval, s.heartbeat.missed_max},
                 std::max<std::size_t>(1, layout.device_count()), &trace),
        end(s.duration) {
    agent_config.heartbeat_interval = s.heartbeat.interval;
    agent_config.unacked_heartbeats_max = s.heartbeat.missed_max;
    agent_config.start_spread = s.start_within;
    agent_config.heartbeat_limit = s.heartbeat.limit;
  }

  // Hands a frame to the network between `device`'s site and the cloud, or drops it.
  void transmit(Time now, std::uint32_t device, std::string& frame, bool upstream) {
    const std::uint32_t site = layout.site_of_device[device];
    ++counters.messages_sent;
    counters.bytes_sent += frame.size();
    const Verdict verdict = network.judge(site, now);
    if (verdict != Verdict::kDeliver) {
      if (verdict == Verdict::kLost) {
        ++counters.messages_dropped_loss;
      } else {
        ++counters.messages_dropped_partition;
      }
      trace.record(now, core::TraceEvent::kDrop, device, static_cast<std::uint64_t>(verdict),
                   upstream);
      return;
    }
    const std::uint64_t size = frame.size() + kWireOverheadBytes;
    sg4::Mailbox* to = upstream ? cloud_mailbox : site_mailboxes[site];
    to->put_init(take_datagram(device, frame), size)->detach(free_datagram);
  }

  // Datagrams are recycled: a simulated message then costs no allocation of its own.
  Datagram* take_datagram(std::uint32_t device, std::string& frame) {
    std::unique_ptr<Datagram> datagram;
    if (spare_datagrams.empty()) {
      datagram = std::make_unique<Datagram>();
    } else {
      datagram = std::move(spare_datagrams.back());
      spare_datagrams.pop_back();
    }
    datagram->device = device;
    datagram->frame.swap(frame);
    return datagram.release();
  }

  void recycle(std::unique_ptr<Datagram> datagram) {
    if (spare_datagrams.size() < kSpareDatagramsMax) spare_datagrams.push_back(std::move(datagram));
  }

  void delivered(Time now, const Datagram& datagram, bool upstream) {
    ++counters.messages_delivered;
    ++events_handled;
    trace.record(now, core::TraceEvent::kDeliver, datagram.device, upstream, datagram.frame.size());
  }
};

// A timer in an actor's queue; ordered by time, then by the tie-breakers, so that equal times
// always run in the same order.
struct Timer {
  std::int64_t at_us;
  std::uint32_t target;  // a device's index within its site, or a probe's index
  std::uint8_t kind;
  bool operator>(const Timer& o) const {
    if (at_us != o.at_us) return at_us > o.at_us;
    if (kind != o.kind) return kind > o.kind;
    return target > o.target;
  }
};
using TimerQueue = std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>>;

// How a group of nodes (the cloud's platform node, or a site's agents) is driven: one actor
// keeps a receive pending on the group's eager mailbox and waits for "a frame or the next
// timer" with Comm::wait_any_for, the shape of the plain-SimGrid yardstick that kept every
// message and cost least per message. Its timeout is a kernel timer, cheaper than a sleep.
class NodeGroup {
 public:
  using OnTimer = std::function<void(Time, const Timer&)>;
  using OnDatagram = std::function<void(Time, const Datagram&)>;

  NodeGroup(World& world, sg4::Host* host, sg4::Mailbox* mailbox)
      : world_(world), host_(host), mailbox_(mailbox), end_(world.end) {}

  // Starts the group's actor. Timers may be added before.
  void start(OnTimer on_timer, OnDatagram on_datagram) {
    on_timer_ = std::move(on_timer);
    on_datagram_ = std::move(on_datagram);
    sg4::Actor::create("group", host_, [this] { run(); });
  }

  // Timers at or after the end of the run never fire.
  void add_timer(Time at, std::uint32_t target, std::uint8_t kind) {
    if (at < end_) timers_.push({at.count(), target, kind});
  }

 private:
  // SimGrid's clock is a double; a timer is due when the clock is within this of it.
  static constexpr Time kClockSlack = Time(1);

  void run() {
    mailbox_->set_receiver(sg4::Actor::self());
    Datagram* received = nullptr;
    std::vector<sg4::CommPtr> pending{mailbox_->get_async<Datagram>(&received)};
    while (true) {
      fire_due_timers();
      if (sim_now() >= end_) break;
      const Time next = timers_.empty() ? end_ : Time(timers_.top().at_us);
      const double timeout = std::max(0.0, seconds(next) - sg4::Engine::get_clock());
      if (sg4::Comm::wait_any_for(pending, timeout) == 0) {
        std::unique_ptr<Datagram> datagram(received);
        pending[0] = mailbox_->get_async<Datagram>(&received);
        on_datagram_(sim_now(), *datagram);
        world_.recycle(std::move(datagram));
      }
    }
    pending[0]->cancel();
    mailbox_->set_receiver(nullptr);
  }

  void fire_due_timers() {
    Time now = sim_now();
    while (!timers_.empty() && Time(timers_.top().at_us) <= now + kClockSlack) {
      const Timer timer = timers_.top();
      timers_.pop();
      now = std::max(now, Time(timer.at_us));
      on_timer_(now, timer);
    }
  }

  World& world_;
  sg4::Host* host_;
  sg4::Mailbox* mailbox_;
  Time end_;
  OnTimer on_timer_;
  OnDatagram on_datagram_;
  TimerQueue timers_;
};

// The cloud: the platform node, its timers and the scenario's probes.
class Cloud {
 public:
  Cloud(World& world, sg4::Host* host) : world_(world), group_(world, host, world.cloud_mailbox) {}

  void start() {
    World& w = world_;
    w.platform.start(Time(0), out_);
    dispatch(Time(0), out_);
    for (std::uint32_t i = 0; i < w.options.probes.size(); ++i) {
      group_.add_timer(w.options.probes[i].at, i, kProbe);
    }
    wall_start_ = std::chrono::steady_clock::now();
    last_progress_ = wall_start_;
    group_.start(
        [this](Time now, const Timer& timer) {
          if (timer.kind == kProbe) {
            run_probe(now, timer.target);
            return;
          }
          world_.platform.on_wakeup(now, out_);
          dispatch(now, out_);
        },
        [this](Time now, const Datagram& datagram) {
          World& world = world_;
          world.delivered(now, datagram, true);
          world.platform.on_frame(now, datagram.device, datagram.frame, out_);
          dispatch(now, out_);
          if (world.options.progress && world.events_handled % kProgressCheckEvents == 0) {
            progress(now);
          }
        });
  }

  // At the end of the run: probes set for the very end see the final state.
  void finish() {
    World& w = world_;
    for (std::uint32_t i = 0; i < w.options.probes.size(); ++i) {
      if (w.options.probes[i].at >= w.end) run_probe(w.end, i);
    }
    if (w.options.progress) progress(w.end, true);
  }

 private:
  static constexpr std::uint8_t kPlatformWakeup = 0;
  static constexpr std::uint8_t kProbe = 1;

  void run_probe(Time now, std::uint32_t index) {
    world_.trace.record(now, core::TraceEvent::kProbe, index, world_.platform.connected_count());
    world_.options.probes[index].observe(now, world_.platform, world_.layout);
  }

  void dispatch(Time now, core::Outbox& out) {
    for (core::Outbox::Send& send : out.sends) {
      assert(send.connection < world_.layout.device_count());
      world_.transmit(now, static_cast<std::uint32_t>(send.connection), send.frame, false);
    }
    for (Time at : out.wakeups) group_.add_timer(at, 0, kPlatformWakeup);
    // Closes need no action here: simulated connections are implicit.
    out.clear();
  }

  void progress(Time now, bool last = false) {
    const auto wall = std::chrono::steady_clock::now();
    if (!last && wall - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = wall;
    const double elapsed = std::chrono::duration<double>(wall - wall_start_).count();
    std::fprintf(stderr,
                 "[ccsim] sim %.0fs/%.0fs  devices %" PRIu64 "  connected %zu  events %" PRIu64
                 "  %.0f events/s\n",
                 seconds(now), seconds(world_.end), world_.layout.device_count(),
                 world_.platform.connected_count(), world_.trace.events(),
                 elapsed > 0 ? static_cast<double>(world_.trace.events()) / elapsed : 0.0);
  }

  World& world_;
  NodeGroup group_;
  // One outbox serves every call: the group's one actor finishes a call and its dispatch
  // before it handles anything else.
  core::Outbox out_;
  std::chrono::steady_clock::time_point wall_start_, last_progress_;
};

// A site: its device agents behind one uplink.
class Site {
 public:
  Site(World& world, std::uint32_t site, sg4::Host* host)
      : world_(world),
        site_(site),
        first_(world.layout.first_device_of_site[site]),
        last_(world.layout.first_device_of_site[site + 1]),
        group_(world, host, world.site_mailboxes[site]) {}

  void start() {
    World& w = world_;
    const auto fleet_size = static_cast<std::int64_t>(w.layout.device_count());
    for (std::uint32_t d = first_; d < last_; ++d) {
      if (w.scenario.start_order == scenarios::StartOrder::kStaggered) {
        w.agents[d].start_at(w.scenario.start_within * d / fleet_size, out_);
      } else {
        w.agents[d].start(Time(0), out_);
      }
      dispatch(Time(0), d, out_);
    }
    group_.start(
        [this](Time now, const Timer& timer) {
          const std::uint32_t d = first_ + timer.target;
          if (timer.kind == kConnectFailed) {
            world_.agents[d].on_disconnected(now, out_);
          } else {
            world_.agents[d].on_wakeup(now, out_);
          }
          dispatch(now, d, out_);
        },
        [this](Time now, const Datagram& datagram) {
          assert(datagram.device >= first_ && datagram.device < last_);
          world_.delivered(now, datagram, false);
          world_.agents[datagram.device].on_frame(now, datagram.frame, out_);
          dispatch(now, datagram.device, out_);
        });
  }

 private:
  static constexpr std::uint8_t kAgentWakeup = 0;
  static constexpr std::uint8_t kConnectFailed = 1;

  void dispatch(Time now, std::uint32_t device, core::Outbox& out) {
    // Opening a connection is immediate unless the site is cut off; the hello that follows
    // then crosses the network like any frame.
    while (true) {
      for (core::Outbox::Send& send : out.sends) {
        world_.transmit(now, device, send.frame, true);
      }
      for (Time at : out.wakeups) group_.add_timer(at, device - first_, kAgentWakeup);
      const bool connect = out.connect;
      out.clear();
      if (!connect) return;
      if (world_.network.partitioned(site_, now)) {
        group_.add_timer(now + kConnectTimeout, device - first_, kConnectFailed);
        return;
      }
      world_.agents[device].on_connected(now, out);
    }
  }

  World& world_;
  std::uint32_t site_;
  std::uint32_t first_, last_;
  NodeGroup group_;
  core::Outbox out_;  // as the cloud's: one actor, one call at a time
};

void build_platform(World& w) {
  const scenarios::Scenario& s = w.scenario;
  auto* zone = sg4::create_star_zone("world");
  auto* cloud = zone->create_host("cloud", "100Gf");
  auto* backbone = zone->create_link("backbone", s.cloud.bandwidth_bps / 8.0)
                       ->set_latency(seconds(s.cloud.latency));
  zone->add_route(cloud->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(backbone)},
                  true);
  std::vector<sg4::Host*> hosts;
  hosts.reserve(s.sites.size());
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    const scenarios::Site& site = s.sites[i];
    auto* host = zone->create_host("site-" + std::to_string(i), "1Gf");
    auto* uplink = zone->create_link("uplink-" + std::to_string(i), site.uplink.bandwidth_bps / 8.0)
                       ->set_latency(seconds(site.uplink.latency));
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(uplink)},
                    true);
    hosts.push_back(host);
  }
  zone->seal();
  w.cloud_mailbox = sg4::Mailbox::by_name("cloud");
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    w.site_mailboxes.push_back(sg4::Mailbox::by_name("site-" + std::to_string(i)));
  }
  // One actor starts every group at time zero, then lives to the end of the run so that the
  // run lasts its full duration even when no timer is pending.
  w.cloud = std::make_unique<Cloud>(w, cloud);
  w.sites.reserve(s.sites.size());
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    w.sites.push_back(std::make_unique<Site>(w, i, hosts[i]));
  }
  sg4::Actor::create("conductor", cloud, [&w] {
    w.cloud->start();
    for (auto& site : w.sites) site->start();
    sg4::this_actor::sleep_until(seconds(w.end));
    w.cloud->finish();
  });
}

void create_agents(World& w) {
  const scenarios::Scenario& s = w.scenario;
  w.agents.reserve(w.layout.device_count());
  std::uint32_t index = 0;
  for (const scenarios::Site& site : s.sites) {
    for (const scenarios::DeviceGroup& group : site.devices) {
      for (std::uint32_t k = 0; k < group.count; ++k, ++index) {
        devices::DeviceIdentity identity{device_serial(index), group.model, group.os_version,
                                         group.tier};
        w.agents.emplace_back(std::move(identity), w.agent_config,
                              core::RandomStream(w.options.seed, core::kDeviceStreamBase + index));
      }
    }
  }
  assert(w.agents.size() == w.layout.device_count());
}

// SimGrid takes its settings as command-line arguments. The network model keeps SimGrid's
// default (LV08) but without its correction factors: they multiply the latency of small messages
// by 13 to mimic TCP slow start on a fresh connection, whereas device frames travel on
// long-lived websockets, so a 20 ms uplink should deliver a heartbeat in 20 ms.
std::vector<std::string> engine_arguments(std::size_t actors) {
  std::vector<std::string> args = {"ccsim", "--log=root.thres:critical",
                                   "--cfg=contexts/stack-size:" + std::to_string(kActorStackKiB),
                                   "--cfg=network/latency-factor:1",
                                   "--cfg=network/bandwidth-factor:1"};
  if (actors > kGuardPagesActorsMax) args.emplace_back("--cfg=contexts/guard-size:0");
  return args;
}

}  // namespace

FleetLayout::FleetLayout(const scenarios::Scenario& scenario) {
  site_of_device.reserve(scenario.device_count());
  for (std::uint32_t s = 0; s < scenario.sites.size(); ++s) {
    first_device_of_site.push_back(static_cast<std::uint32_t>(site_of_device.size()));
    for (const scenarios::DeviceGroup& group : scenario.sites[s].devices) {
      site_of_device.insert(site_of_device.end(), group.count, s);
    }
  }
  first_device_of_site.push_back(static_cast<std::uint32_t>(site_of_device.size()));
}

std::string device_serial(std::uint64_t index) {
  char serial[32];
  std::snprintf(serial, sizeof serial, "B8A44F%06" PRIX64, index);
  return serial;
}

SimulationOutcome simulate(const scenarios::Scenario& scenario, const SimulationOptions& options,
                           bool keep_knowledge) {
  assert(!scenario.sites.empty() && scenario.duration > Time::zero());
  assert(!sg4::Engine::has_instance() && "SimGrid allows one simulation per process");
  std::vector<std::string> args = engine_arguments(2 * (scenario.sites.size() + 1));
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  sg4::Engine engine(&argc, argv.data());
  World world(scenario, options);
  create_agents(world);
  build_platform(world);
  engine.run();

  SimulationOutcome outcome;
  outcome.platform = world.platform.metrics();
  for (const devices::DeviceAgent& agent : world.agents) {
    const devices::AgentMetrics& m = agent.metrics();
    outcome.fleet.connects_requested += m.connects_requested;
    outcome.fleet.hellos_sent += m.hellos_sent;
    outcome.fleet.heartbeats_sent += m.heartbeats_sent;
    outcome.fleet.presumed_dead += m.presumed_dead;
    outcome.fleet.frame_errors += m.frame_errors;
  }
  outcome.network = world.counters;
  outcome.devices = world.layout.device_count();
  outcome.devices_connected_end = world.platform.connected_count();
  outcome.trace_events = world.trace.events();
  outcome.trace_hash = world.trace.finish();
  outcome.sim_time_s = seconds(scenario.duration);
  if (keep_knowledge) outcome.knowledge = platform::describe_knowledge(world.platform.devices());
  return outcome;
}

}  // namespace ccsim::sim

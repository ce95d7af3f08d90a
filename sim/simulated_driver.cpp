#include "sim/simulated_driver.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/world.h"

namespace ccsim::sim {
namespace {

using core::Time;

// The one actor's stack: every node's code runs on it, so it is as large as a thread's.
constexpr int kActorStackKiB = 8192;
// Events handled between two looks at the wall clock for the progress line.
constexpr std::uint64_t kProgressCheckEvents = 8192;
// SimGrid's clock is a double; it is at `now` when within this of it.
constexpr double kClockSlackSeconds = 1e-7;

Time sim_now() {
  return Time(static_cast<std::int64_t>(std::llround(sg4::Engine::get_clock() * 1e6)));
}

double seconds(Time t) {
  return static_cast<double>(t.count()) / 1e6;
}

// SimGrid takes its settings as command-line arguments. The network model keeps SimGrid's
// default (LV08) but without its correction factors: they multiply the latency of small messages
// by 13 to mimic TCP slow start on a fresh connection, whereas device frames travel on
// long-lived websockets, so a 20 ms uplink should deliver a heartbeat in 20 ms. Nor does it add
// LV08's cross-traffic (a reverse flow of 5% of every flow's bytes for its acknowledgements): on
// full-duplex links the acknowledgements go the other way and slow nothing here.
std::unique_ptr<sg4::Engine> make_engine() {
  std::vector<std::string> args = {"ccsim",
                                   "--log=root.thres:critical",
                                   "--cfg=contexts/stack-size:" + std::to_string(kActorStackKiB),
                                   "--cfg=network/latency-factor:1",
                                   "--cfg=network/bandwidth-factor:1",
                                   "--cfg=network/crosstraffic:0"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  assert(!sg4::Engine::has_instance() && "SimGrid allows one simulation per process");
  return std::make_unique<sg4::Engine>(&argc, argv.data());
}

// One cloud host behind the backbone, one host per site behind its uplink: the routes bulk
// flows (and exact-lane messages) take. Links are full duplex (SimGrid's split-duplex links):
// what goes up does not share with what comes down.
void build_platform(SimulatedDriver::World& w) {
  const scenarios::Scenario& s = w.fleet.scenario;
  auto* zone = sg4::create_star_zone("world");
  // In a star zone, a route is from its host to the centre; its symmetric twin comes back the
  // other way, on the other half of each split-duplex link.
  const auto add_endpoint = [&](const std::string& name, double bps, Duration latency) {
    sg4::Host* host = zone->create_host(name, "100Gf");
    auto* backbone = zone->create_split_duplex_link("backbone-" + name, bps / 8.0)
                         ->set_latency(seconds(latency));
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                    {sg4::LinkInRoute(backbone, sg4::LinkInRoute::Direction::DOWN)}, true);
    w.region_hosts.push_back(host);
  };
  if (s.regions.empty()) add_endpoint("cloud", s.cloud.bandwidth_bps, s.cloud.latency);
  for (const scenarios::Region& region : s.regions) {
    add_endpoint("region-" + region.name, region.backbone_bps, region.backbone_latency);
  }
  w.cloud_host = w.region_hosts.front();
  w.refusing.assign(w.region_hosts.size(), 0);
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    const scenarios::Site& site = s.sites[i];
    auto* host = zone->create_host("site-" + std::to_string(i), "1Gf");
    auto* uplink = zone->create_split_duplex_link("uplink-" + std::to_string(i),
                                                  site.uplink.bandwidth_bps / 8.0);
    uplink->set_latency(seconds(site.uplink.latency));
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                    {sg4::LinkInRoute(uplink, sg4::LinkInRoute::Direction::UP)}, true);
    w.site_hosts.push_back(host);
    w.uplink_links.push_back(uplink);
  }
  zone->seal();
}

}  // namespace

std::uint32_t Callbacks::add(scenarios::Driver::Callback callback) {
  assert(pending_ < kCallbacksPendingMax && "the engine sets callbacks without bound");
  ++pending_;
  if (free_.empty()) {
    slots_.push_back(std::move(callback));
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  slots_[slot] = std::move(callback);
  return slot;
}

void Callbacks::fire(std::uint32_t slot, Time now) {
  scenarios::Driver::Callback callback = std::move(slots_[slot]);
  slots_[slot] = nullptr;
  free_.push_back(slot);
  --pending_;
  callback(now);
}

SimulatedDriver::World::World(const scenarios::Fleet& f, SimulatedDriverOptions o)
    : fleet(f),
      options(o),
      engine(make_engine()),
      network(f.scenario, f.seed),
      paths(f.scenario),
      gateways(f.scenario, f.layout),
      upstream_bytes(f.scenario.sites.size(), 0),
      exact(f.scenario.network.small_messages == scenarios::SmallMessages::kExact),
      connections(f.layout.agent_count()),
      jitter_random(f.seed, core::kNetworkJitterStream) {
  assert(!f.scenario.sites.empty());
  build_platform(*this);
}

SimulatedDriver::World::~World() = default;

// The one actor: it takes the earliest event from the queue and handles it, and while SimGrid
// carries something it lets SimGrid run up to that event's time first, handling whatever SimGrid
// finishes on the way. With nothing in SimGrid, SimGrid's clock stays behind and is brought up
// to date (sync_simgrid) only when something is handed to it.
void SimulatedDriver::World::run_loop() {
  std::uint64_t handled = 0;
  while (true) {
    const Time next = queue.empty() ? end : std::min(end, queue.next_at());
    if (!comms.empty()) {
      const double timeout = seconds(next) - sg4::Engine::get_clock();
      if (timeout > 0) {
        const ssize_t done = sg4::Comm::wait_any_for(comms, timeout);
        if (done >= 0) {
          now = std::max(now, sim_now());
          on_communication_done(static_cast<std::size_t>(done));
          continue;
        }
      }
    }
    if (next >= end) break;
    const Event event = queue.pop();
    assert(event.at() >= now && "the queue never goes back in time");
    now = event.at();
    handle(event);
    if (options.progress && ++handled % kProgressCheckEvents == 0) {
      progress.print(fleet, now, end, false);
    }
  }
  for (sg4::CommPtr& comm : comms) comm->cancel();
  comms.clear();
  communications.clear();
}

void SimulatedDriver::World::handle(const Event& event) {
  const std::uint32_t target = event.target;
  switch (event.kind()) {
    case EventKind::kNodeWakeup:
      if (target == kPlatformTarget) {
        fleet.platform.on_wakeup(now, out);
        dispatch_platform(out);
      } else {
        fleet.agents[target].on_wakeup(now, out);
        dispatch_agent(target, out);
      }
      break;
    case EventKind::kConnectionLost:
      agent_end_closed(target, static_cast<std::uint16_t>(event.check));
      break;
    case EventKind::kPlatformEndClosed:
      platform_end_closed(target, static_cast<std::uint16_t>(event.check));
      break;
    case EventKind::kConnectionOpen:
      on_open(target, static_cast<std::uint16_t>(event.check));
      break;
    case EventKind::kArrival:
      on_arrival(target, event.check);
      break;
    case EventKind::kRetransmit:
      on_retransmit(target, event.check);
      break;
    case EventKind::kExactSend:
      if (segments.holds(target, event.check)) start_exact(target);
      break;
    case EventKind::kEngineAct:
    case EventKind::kEngineObserve:
      callbacks.fire(target, now);
      break;
  }
}

void SimulatedDriver::World::dispatch_agent(std::uint32_t agent, core::Outbox& o) {
  for (core::Outbox::Send& send_out : o.sends)
    send(agent, send_out.frame, true, SegmentKind::kFrame);
  for (Time at : o.wakeups) queue.push(at, EventKind::kNodeWakeup, agent);
  for (const core::Outbox::Transfer& transfer : o.transfers) start_transfer(agent, transfer);
  if (!o.closes.empty()) close_agent_end(agent);
  const bool wants_connection = o.connect;
  const std::uint32_t region = o.connect_region;
  o.clear();
  if (wants_connection) connect(agent, region);
}

void SimulatedDriver::World::dispatch_platform(core::Outbox& o) {
  for (core::Outbox::Send& send_out : o.sends) {
    assert(send_out.connection < fleet.layout.agent_count());
    send(static_cast<std::uint32_t>(send_out.connection), send_out.frame, false,
         SegmentKind::kFrame);
  }
  for (Time at : o.wakeups) queue.push(at, EventKind::kNodeWakeup, kPlatformTarget);
  // The platform closes a connection only when its device is on another one already, and a
  // simulated device has one connection at a time.
  o.clear();
}

// A device asks for a connection: it leaves through its site's firewall and NAT, and opens after
// its handshakes, each segment of which may be lost and sent again after the initial RTO,
// doubling, as a SYN is (RFC 6298 (2.1), (5.5)); one that cannot open in kConnectTimeout fails.
void SimulatedDriver::World::connect(std::uint32_t agent, std::uint32_t region) {
  assert(region < region_hosts.size());
  const std::uint32_t site = site_of(agent);
  Connection& connection = connections[agent];
  connection.region = static_cast<std::uint8_t>(region);
  const std::uint16_t socket = connection.socket[kAgentEnd];
  const auto fail = [&] {
    queue.push(now + kConnectTimeout, EventKind::kConnectionLost, agent, socket);
  };
  if (!network.reachable(site, region)) return fail();
  const Opening opening = gateways.open(now, agent);
  if (opening != Opening::kOpen) {
    if (opening == Opening::kBlockedByFirewall) ++counters.connects_blocked_firewall;
    return fail();
  }
  if (refusing[region] > 0) {  // a restarting endpoint answers the SYN with a reset
    queue.push(now + 2 * paths.latency(site, region), EventKind::kConnectionLost, agent, socket);
    return;
  }
  const Duration handshakes = paths.opening_time(site, region);
  Duration waited{};
  constexpr std::uint32_t kWaysPerRoundTrip = 2;
  for (std::uint32_t way = 0; way < kWaysPerRoundTrip * scenarios::kOpeningRoundTrips; ++way) {
    Duration rto = scenarios::kRtoInitial;
    while (network.judge(site, way % 2 == 0, region) != scenarios::Verdict::kDeliver) {
      waited += rto;
      rto = std::min(2 * rto, scenarios::kRtoMax);
      if (handshakes + waited >= kConnectTimeout) return fail();
    }
  }
  queue.push(now + handshakes + waited, EventKind::kConnectionOpen, agent, socket);
}

// The handshakes are done: a new connection, both ends' sockets new, unless the site was cut off
// meanwhile (the device then waits for its connect timeout).
void SimulatedDriver::World::on_open(std::uint32_t agent, std::uint16_t socket) {
  Connection& connection = connections[agent];
  if (socket != connection.socket[kAgentEnd]) return;  // the agent closed it meanwhile
  if (!network.reachable(site_of(agent), connection.region)) {
    queue.push(now + kConnectTimeout, EventKind::kConnectionLost, agent, socket);
    return;
  }
  clear_stalls(agent);
  ++connection.socket[kAgentEnd];
  ++connection.socket[kPlatformEnd];
  connection.arrival[kAgentEnd] = connection.arrival[kPlatformEnd] = Time::zero();
  connection.rto = scenarios::RetransmissionTimer{};
  connection.open = true;
  fleet.platform.on_connection_opened(now, agent, connection.region);
  fleet.agents[agent].on_connected(now, out);
  dispatch_agent(agent, out);
}

// SimGrid's clock catches up with the driver's before SimGrid is handed anything. While SimGrid
// carries something, run_loop keeps the two together, so this only moves it from idle.
void SimulatedDriver::World::sync_simgrid() {
  assert(!sg4::Actor::is_maestro() && "SimGrid is driven from the run's actor");
  const double target = seconds(now);
  if (sg4::Engine::get_clock() < target - kClockSlackSeconds) sg4::this_actor::sleep_until(target);
}

// A transfer is a SimGrid flow between the cloud and the site, over the backbone and the uplink,
// sharing both with every other flow. A cut stalls it (TCP moves nothing without its
// acknowledgements); it resumes where it stopped once the cut heals.
void SimulatedDriver::World::start_transfer(std::uint32_t agent,
                                            const core::Outbox::Transfer& transfer) {
  assert(transfer.bytes > 0);
  assert(comms.size() < kCommunicationsMax && "SimGrid's communications have no bound");
  sync_simgrid();
  const std::uint32_t site = site_of(agent);
  // Images come from (and recordings go to) the site's own region.
  sg4::Host* region = region_hosts[paths.home_region(site)];
  sg4::Host* from = transfer.upstream ? site_hosts[site] : region;
  sg4::Host* to = transfer.upstream ? region : site_hosts[site];
  sg4::CommPtr comm = sg4::Comm::sendto_async(from, to, static_cast<double>(transfer.bytes));
  const bool cut = !network.reachable(site);
  if (cut) comm->suspend();
  comms.push_back(std::move(comm));
  communications.push_back(
      {Communication::Kind::kTransfer, transfer.upstream, agent, transfer.id, 0});
  paths.add_flow(site, transfer.upstream);
  ++counters.transfers_started;
}

void SimulatedDriver::World::suspend_transfers(std::uint32_t site, bool suspended) {
  for (std::size_t i = 0; i < comms.size(); ++i) {
    const Communication& c = communications[i];
    if (c.kind != Communication::Kind::kTransfer || site_of(c.agent) != site) continue;
    if (suspended) {
      comms[i]->suspend();
    } else {
      comms[i]->resume();
    }
  }
  paths.suspend_flows(site, suspended);
}

void SimulatedDriver::World::start_exact(std::uint32_t slot) {
  assert(comms.size() < kCommunicationsMax && "SimGrid's communications have no bound");
  sync_simgrid();
  const Segment& segment = segments[slot];
  const std::uint32_t site = site_of(segment.agent);
  sg4::Host* region = region_hosts[connections[segment.agent].region];
  sg4::Host* from = segment.upstream ? site_hosts[site] : region;
  sg4::Host* to = segment.upstream ? region : site_hosts[site];
  const double bytes = static_cast<double>(segment.frame.size() + scenarios::kWireOverheadBytes);
  comms.push_back(sg4::Comm::sendto_async(from, to, bytes));
  communications.push_back(
      {Communication::Kind::kSegment, segment.upstream, segment.agent, slot, segment.generation});
}

void SimulatedDriver::World::on_communication_done(std::size_t index) {
  const Communication done = communications[index];
  comms[index] = std::move(comms.back());
  comms.pop_back();
  communications[index] = communications.back();
  communications.pop_back();
  if (done.kind == Communication::Kind::kSegment) {
    assert(segments.holds(static_cast<std::uint32_t>(done.id), done.generation));
    on_exact_arrival(static_cast<std::uint32_t>(done.id));
    return;
  }
  const std::uint32_t site = site_of(done.agent);
  paths.remove_flow(site, done.upstream);
  ++counters.transfers_completed;
  fleet.trace.record(now, core::TraceEvent::kTransferDone, done.agent, done.id);
  fleet.agents[done.agent].on_transfer_done(now, done.id, out);
  dispatch_agent(done.agent, out);
}

// The uplink's SimGrid link takes the latency and bandwidth Paths says it has now.
void SimulatedDriver::World::apply_uplink(std::uint32_t site) {
  sync_simgrid();
  for (sg4::Link* half : {uplink_links[site]->get_link_up(), uplink_links[site]->get_link_down()}) {
    half->set_latency(seconds(paths.uplink_latency(site)));
    half->set_bandwidth(paths.uplink_bps(site) / 8.0);
  }
}

SimulatedDriver::SimulatedDriver(const scenarios::Fleet& fleet, SimulatedDriverOptions options)
    : world_(std::make_unique<World>(fleet, options)) {}

SimulatedDriver::~SimulatedDriver() = default;

void SimulatedDriver::set_platform_callback(Time at, Callback callback, scenarios::Phase phase) {
  if (at >= world_->end) return;
  world_->queue.push(
      at, phase == scenarios::Phase::kObserve ? EventKind::kEngineObserve : EventKind::kEngineAct,
      world_->callbacks.add(std::move(callback)));
}

void SimulatedDriver::at_site(Time at, std::uint32_t site, Callback callback) {
  assert(site < world_->site_hosts.size());
  (void)site;  // one actor drives every site
  if (at >= world_->end) return;
  world_->queue.push(at, EventKind::kEngineAct, world_->callbacks.add(std::move(callback)));
}

void SimulatedDriver::dispatch_platform(Time now, core::Outbox& out) {
  assert(now == world_->now);
  (void)now;
  world_->dispatch_platform(out);
}

void SimulatedDriver::dispatch_agent(Time now, std::uint32_t agent, core::Outbox& out) {
  assert(now == world_->now);
  (void)now;
  world_->dispatch_agent(agent, out);
}

void SimulatedDriver::begin_fault(std::uint32_t site, const scenarios::Fault& fault) {
  World& w = *world_;
  switch (fault.kind) {
    case scenarios::FaultKind::kPartition: {
      const bool was_reachable = w.network.reachable(site);
      w.network.partition(site, fault.direction);
      if (was_reachable) w.suspend_transfers(site, true);
      break;
    }
    case scenarios::FaultKind::kLossBurst:
      w.network.begin_burst(site, fault.burst);
      break;
    case scenarios::FaultKind::kLatencySpike:
      w.paths.add_spike(site, fault.latency);
      w.apply_uplink(site);
      break;
    case scenarios::FaultKind::kThrottle:
      w.paths.add_throttle(site, fault.bandwidth_bps);
      w.apply_uplink(site);
      break;
    case scenarios::FaultKind::kJitter:
      w.paths.add_jitter(site, fault.jitter);
      break;
    case scenarios::FaultKind::kRegionOutage:
    case scenarios::FaultKind::kEndpointRestart:
    case scenarios::FaultKind::kPlatformUpgrade:
    case scenarios::FaultKind::kPowerLoss:
    case scenarios::FaultKind::kDeviceCrash:
    case scenarios::FaultKind::kClockSkew:
    case scenarios::FaultKind::kTaskManagerRestart:
    case scenarios::FaultKind::kTurnServerDown:
      assert(false && "the engine makes these itself, or through begin_region_fault");
      break;
  }
}

void SimulatedDriver::end_fault(std::uint32_t site, const scenarios::Fault& fault) {
  World& w = *world_;
  switch (fault.kind) {
    case scenarios::FaultKind::kPartition:
      w.network.heal(site, fault.direction);
      if (w.network.reachable(site)) w.suspend_transfers(site, false);
      break;
    case scenarios::FaultKind::kLossBurst:
      w.network.end_burst(site);
      break;
    case scenarios::FaultKind::kLatencySpike:
      w.paths.remove_spike(site, fault.latency);
      w.apply_uplink(site);
      break;
    case scenarios::FaultKind::kThrottle:
      w.paths.remove_throttle(site, fault.bandwidth_bps);
      w.apply_uplink(site);
      break;
    case scenarios::FaultKind::kJitter:
      w.paths.remove_jitter(site, fault.jitter);
      break;
    case scenarios::FaultKind::kRegionOutage:
    case scenarios::FaultKind::kEndpointRestart:
    case scenarios::FaultKind::kPlatformUpgrade:
    case scenarios::FaultKind::kPowerLoss:
    case scenarios::FaultKind::kDeviceCrash:
    case scenarios::FaultKind::kClockSkew:
    case scenarios::FaultKind::kTaskManagerRestart:
    case scenarios::FaultKind::kTurnServerDown:
      assert(false && "the engine makes these itself, or through end_region_fault");
      break;
  }
}

void SimulatedDriver::World::reset_region(std::uint32_t region) {
  for (std::uint32_t agent = 0; agent < connections.size(); ++agent) {
    const Connection& connection = connections[agent];
    if (!connection.open || connection.region != region) continue;
    clear_stalls(agent);
    queue.push(now, EventKind::kPlatformEndClosed, agent, connection.socket[kPlatformEnd]);
    const std::uint32_t site = site_of(agent);
    if (!network.reachable(site)) continue;  // the reset is lost on a cut site's way
    queue.push(now + paths.one_way(site, scenarios::kWireOverheadBytes, false, region),
               EventKind::kConnectionLost, agent, connection.socket[kAgentEnd]);
  }
}

void SimulatedDriver::begin_region_fault(std::uint32_t region, const scenarios::Fault& fault) {
  World& w = *world_;
  assert(region < w.region_hosts.size() && scenarios::hits_region(fault.kind));
  if (fault.kind == scenarios::FaultKind::kRegionOutage) {
    w.network.region_out(region);
    return;
  }
  ++w.refusing[region];
  // A crash resets what was connected; an upgrade lets the platform move it away first.
  if (fault.kind == scenarios::FaultKind::kEndpointRestart) w.reset_region(region);
}

void SimulatedDriver::end_region_fault(std::uint32_t region, const scenarios::Fault& fault) {
  World& w = *world_;
  if (fault.kind == scenarios::FaultKind::kRegionOutage) {
    w.network.region_back(region);
    return;
  }
  assert(w.refusing[region] > 0);
  --w.refusing[region];
}

bool SimulatedDriver::makes(scenarios::FaultKind) const {
  return true;
}

void SimulatedDriver::run(Time end) {
  World& w = *world_;
  assert(!w.ran && end > Time::zero());
  w.ran = true;
  w.end = end;
  sg4::Actor::create("driver", w.cloud_host, [&w] { w.run_loop(); });
  w.engine->run();
  w.now = end;
  if (w.options.progress) w.progress.print(w.fleet, w.now, w.end, true);
}

scenarios::NetworkCounters SimulatedDriver::network() const {
  return world_->counters;
}

double SimulatedDriver::uplink_bps(std::uint32_t site) const {
  return world_->paths.uplink_bps(site);
}

core::Duration SimulatedDriver::uplink_latency(std::uint32_t site) const {
  return world_->paths.uplink_latency(site);
}

std::uint64_t SimulatedDriver::upstream_bytes(std::uint32_t site) const {
  return world_->upstream_bytes[site];
}

}  // namespace ccsim::sim

#include "sim/simulated_driver.h"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "scenarios/model/network_conditions.h"
#include "sim/nat.h"

namespace sg4 = simgrid::s4u;

namespace ccsim::sim {
namespace {

using core::Time;
using scenarios::Verdict;

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
// Bulk transfers one site may have under way at once: a task engine's workers on each of its
// devices, at the largest fleet.
constexpr std::size_t kTransfersPerGroupMax = 1'000'000;
// Engine callbacks one actor may have pending at once (an onboarding spread over a fleet keeps
// one; a timeline keeps one per entry).
constexpr std::size_t kCallbacksPendingMax = 1'000'000;

// A frame in flight between an agent (a device with its own connection) and the cloud. An empty
// frame tells the cloud that the agent closed its connection.
struct Datagram {
  std::uint32_t agent;
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

// A timer in an actor's queue; ordered by time, then by kind, then by target, so that equal
// times always run in the same order.
struct Timer {
  std::int64_t at_us;
  std::uint32_t target;  // a device's index within its site, or a callback's slot
  std::uint8_t kind;
  bool operator>(const Timer& o) const {
    if (at_us != o.at_us) return at_us > o.at_us;
    if (kind != o.kind) return kind > o.kind;
    return target > o.target;
  }
};
using TimerQueue = std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>>;

// Timer kinds, in the order they run at one time: the nodes' own timers, then what the engine
// does, then what it observes.
constexpr std::uint8_t kNodeWakeup = 0;
constexpr std::uint8_t kConnectionLost = 1;  // sites only: it could not open, or was reset
constexpr std::uint8_t kConnectionOpen = 2;  // sites only: its handshakes are done
constexpr std::uint8_t kEngineAct = 3;
constexpr std::uint8_t kEngineObserve = 4;

// Round trips a device's websocket takes to open before its first frame: TCP's three-way
// handshake (RFC 9293), TLS 1.3's full handshake (RFC 8446: one round trip), and the websocket
// opening handshake (RFC 6455: an HTTP Upgrade and its 101 answer).
constexpr std::int64_t kOpeningRoundTrips = 3;

// The engine's callbacks for one actor, in slots reused once fired. Slots are numbered in the
// order callbacks were set, among those pending, so ties between equal times keep that order.
class Callbacks {
 public:
  std::uint32_t add(scenarios::Driver::Callback callback) {
    const auto slot = static_cast<std::uint32_t>(slots_.size());
    assert(pending_ < kCallbacksPendingMax && "the engine sets callbacks without bound");
    slots_.push_back(std::move(callback));
    ++pending_;
    return slot;
  }
  void fire(std::uint32_t slot, Time now) {
    scenarios::Driver::Callback callback = std::move(slots_[slot]);
    slots_[slot] = nullptr;
    --pending_;
    if (pending_ == 0) slots_.clear();  // every slot is spent: start again from zero
    callback(now);
  }

 private:
  std::vector<scenarios::Driver::Callback> slots_;
  std::size_t pending_ = 0;
};

}  // namespace

class Cloud;
class Site;

// A site's uplink as the timeline has changed it: its own latency and bandwidth, a latency spike
// added on top, and the narrowest throttle in force.
struct Uplink {
  sg4::Link* link = nullptr;
  Time latency{};
  double bandwidth_bps = 0;
  Time extra_latency{};
  std::vector<double> throttles;  // bits per second, in the order they began

  void apply() const {
    link->set_latency(seconds(latency + extra_latency));
    double bps = bandwidth_bps;
    for (double throttle : throttles) bps = std::min(bps, throttle);
    link->set_bandwidth(bps / 8.0);
  }
};

// Addresses behind and before the sites' NATs: each site's devices are 10.0.0.2 upwards on its
// own network, each site's NAT has one public address from 198.18.0.0/15 (RFC 2544's benchmarking
// range, room for every site), and the platform's device endpoint is 203.0.113.10:443.
constexpr std::uint32_t kDeviceAddressFirst = 0x0A000002;
constexpr std::uint32_t kSiteAddressFirst = 0xC6120001;
constexpr Endpoint kDeviceEndpoint{0xCB00710A, scenarios::kDeviceEndpointPort};
// Devices take source ports for their connections from the dynamic range (RFC 6335), in turn.
constexpr std::uint16_t kSourcePortFirst = 49152;
constexpr std::uint16_t kSourcePorts = 16384;
static_assert(scenarios::kSitesPerScenarioMax < (1U << 17) - 2, "a /15 holds every site");
static_assert(scenarios::kDevicesPerScenarioMax < (1U << 24) - 2,
              "a /8 holds every site's devices");

// A drop's cause in the trace: Verdict's values, then this.
constexpr std::uint64_t kDroppedByNat = 3;
static_assert(static_cast<std::uint64_t>(Verdict::kPartitioned) < kDroppedByNat);

// What a frame met at its site's NAT.
enum class Crossing : std::uint8_t { kPass, kRefused, kReset };

// The NATs and firewalls before the sites that have them, and where each agent's connection
// leaves its NAT. A device's websocket is one TCP connection out to the device endpoint: opening
// it makes a mapping, each frame it sends refreshes the mapping, and each frame the platform sends
// back must find the mapping alive. A mapping that expired under an idle connection is gone with
// the NAT's state of the connection: the platform's frames are refused, and so is the device's
// next segment, which opens nothing (only a SYN makes a mapping), so the connection is reset and
// the device reconnects. RFC 5382 leaves open what a NAT does with a segment of a connection it
// has forgotten; dropping it is what a connection-tracking NAT does.
struct SiteGateways {
  std::vector<std::optional<Nat>> nats;  // by site
  std::vector<Endpoint> external;        // by agent: its connection's endpoint outside the NAT
  std::vector<std::uint16_t> opened;     // by agent: connections opened, for the next source port

  SiteGateways(const scenarios::Scenario& s, const scenarios::FleetLayout& layout) {
    for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
      if (!s.sites[i].nat) continue;
      nats.resize(s.sites.size());
      nats[i].emplace(*s.sites[i].nat, kSiteAddressFirst + i);
    }
    if (nats.empty()) return;  // no NAT anywhere: nothing to keep per agent
    external.resize(layout.agent_count());
    opened.resize(layout.agent_count());
  }

  Nat* nat(std::uint32_t site) { return nats.empty() || !nats[site] ? nullptr : &*nats[site]; }

  Endpoint internal(const scenarios::FleetLayout& layout, std::uint32_t agent) const {
    const std::uint32_t site = layout.site_of_agent(agent);
    const auto port = static_cast<std::uint16_t>(kSourcePortFirst + opened[agent] % kSourcePorts);
    return {kDeviceAddressFirst + (agent - layout.first_agent_of_site[site]), port};
  }

  // A connection opens through the site's NAT; false when every external port is taken.
  bool open(Time now, const scenarios::FleetLayout& layout, std::uint32_t agent, Nat& nat) {
    ++opened[agent];
    const std::optional<Endpoint> out =
        nat.outbound(now, Transport::kTcp, internal(layout, agent), kDeviceEndpoint);
    if (!out) return false;
    external[agent] = *out;
    return true;
  }

  Crossing cross(Time now, const scenarios::FleetLayout& layout, std::uint32_t agent, Nat& nat,
                 bool upstream) {
    if (!upstream) {
      return nat.inbound(now, Transport::kTcp, kDeviceEndpoint, external[agent])
                 ? Crossing::kPass
                 : Crossing::kRefused;
    }
    return nat.refresh(now, Transport::kTcp, internal(layout, agent), kDeviceEndpoint)
               ? Crossing::kPass
               : Crossing::kReset;
  }
};

// Everything the actors share. Owned by the driver; actors hold a reference.
struct SimulatedDriver::World {
  scenarios::Fleet fleet;
  SimulatedDriverOptions options;
  std::unique_ptr<sg4::Engine> engine;
  scenarios::NetworkConditions network;
  sg4::Mailbox* cloud_mailbox = nullptr;
  std::vector<sg4::Mailbox*> site_mailboxes;
  std::vector<Uplink> uplinks;  // by site
  SiteGateways gateways;
  scenarios::NetworkCounters counters;
  Time end = Time::max();
  std::uint64_t events_handled = 0;
  std::vector<std::unique_ptr<Datagram>> spare_datagrams;
  std::unique_ptr<Cloud> cloud;
  std::vector<std::unique_ptr<Site>> sites;
  bool ran = false;

  World(const scenarios::Fleet& f, SimulatedDriverOptions o);
  ~World();

  // Tells the cloud that an agent closed its connection (a restart): the platform sees the
  // websocket close one uplink latency later, unless the site is cut off. Not counted as a
  // message: no frame crosses.
  void transmit_close(std::uint32_t agent) {
    if (network.blocked(fleet.layout.site_of_agent(agent), true)) return;
    std::string none;
    cloud_mailbox->put_init(take_datagram(agent, none), kWireOverheadBytes)->detach(free_datagram);
  }

  // Hands a frame to the network between `agent`'s site and the cloud, or drops it.
  void transmit(Time now, std::uint32_t agent, std::string& frame, bool upstream) {
    const std::uint32_t site = fleet.layout.site_of_agent(agent);
    ++counters.messages_sent;
    counters.bytes_sent += frame.size();
    if (Nat* nat = gateways.nat(site); nat != nullptr && !cross_nat(now, agent, *nat, upstream)) {
      return;
    }
    const Verdict verdict = network.judge(site, upstream);
    if (verdict != Verdict::kDeliver) {
      if (verdict == Verdict::kLost) {
        ++counters.messages_dropped_loss;
      } else {
        ++counters.messages_dropped_partition;
      }
      fleet.trace.record(now, core::TraceEvent::kDrop, agent, static_cast<std::uint64_t>(verdict),
                         upstream);
      return;
    }
    const std::uint64_t size = frame.size() + kWireOverheadBytes;
    sg4::Mailbox* to = upstream ? cloud_mailbox : site_mailboxes[site];
    to->put_init(take_datagram(agent, frame), size)->detach(free_datagram);
  }

  // How long a connection from `site` takes to open: its round trips over the uplink as it is
  // now and the backbone. Handshake segments are small: latency, not bandwidth, is their cost.
  Time opening_time(std::uint32_t site) const {
    const Uplink& uplink = uplinks[site];
    return 2 * kOpeningRoundTrips *
           (uplink.latency + uplink.extra_latency + fleet.scenario.cloud.latency);
  }

  // Whether a frame of `agent`'s gets through its site's NAT; a reset ends the connection at
  // both ends.
  bool cross_nat(Time now, std::uint32_t agent, Nat& nat, bool upstream);

  // Datagrams are recycled: a simulated message then costs no allocation of its own.
  Datagram* take_datagram(std::uint32_t agent, std::string& frame) {
    std::unique_ptr<Datagram> datagram;
    if (spare_datagrams.empty()) {
      datagram = std::make_unique<Datagram>();
    } else {
      datagram = std::move(spare_datagrams.back());
      spare_datagrams.pop_back();
    }
    datagram->agent = agent;
    datagram->frame.swap(frame);
    return datagram.release();
  }

  void recycle(std::unique_ptr<Datagram> datagram) {
    if (spare_datagrams.size() < kSpareDatagramsMax) spare_datagrams.push_back(std::move(datagram));
  }

  void delivered(Time now, const Datagram& datagram, bool upstream) {
    ++counters.messages_delivered;
    ++events_handled;
    fleet.trace.record_frame(now, core::TraceEvent::kDeliver, datagram.agent, upstream,
                             datagram.frame);
  }
};

namespace {

// How a group of nodes (the cloud's platform node, or a site's agents) is driven: one actor
// keeps a receive pending on the group's eager mailbox and waits for "a frame or the next
// timer" with Comm::wait_any_for, the shape of the plain-SimGrid yardstick that kept every
// message and cost least per message. Its timeout is a kernel timer, cheaper than a sleep.
class NodeGroup {
 public:
  using OnTimer = std::function<void(Time, const Timer&)>;
  using OnDatagram = std::function<void(Time, const Datagram&)>;
  // A bulk transfer of one of the group's nodes is in: its node's index in the group, its id.
  using OnTransfer = std::function<void(Time, std::uint32_t target, std::uint64_t id)>;

  NodeGroup(SimulatedDriver::World& world, sg4::Host* host, sg4::Mailbox* mailbox)
      : world_(world), host_(host), mailbox_(mailbox) {}

  // Starts the group's actor. Timers may be added before.
  void start(OnTimer on_timer, OnDatagram on_datagram, OnTransfer on_transfer = nullptr) {
    on_timer_ = std::move(on_timer);
    on_datagram_ = std::move(on_datagram);
    on_transfer_ = std::move(on_transfer);
    actor_ = sg4::Actor::create("group", host_, [this] { run(); }).get();
  }

  sg4::Host* host() const { return host_; }

  // A bulk transfer under way between `from` and `to`, awaited beside the group's frames.
  void add_transfer(sg4::Host* from, sg4::Host* to, std::uint64_t bytes, std::uint32_t target,
                    std::uint64_t id) {
    assert(actor_ != nullptr && on_this_actor() && on_transfer_ && "transfers start in the run");
    assert(transfers_.size() < kTransfersPerGroupMax && "a site's transfers have no bound");
    sg4::CommPtr comm = sg4::Comm::sendto_async(from, to, bytes);
    if (transfers_suspended_) comm->suspend();
    pending_.push_back(std::move(comm));
    transfers_.push_back({target, id});
  }

  // A cut stalls the group's transfers (TCP moves nothing without its acknowledgements); they
  // resume where they stopped once it heals.
  void suspend_transfers(bool suspended) {
    if (suspended == transfers_suspended_) return;
    transfers_suspended_ = suspended;
    for (std::size_t i = 1; i < pending_.size(); ++i) {
      if (suspended) {
        pending_[i]->suspend();
      } else {
        pending_[i]->resume();
      }
    }
  }

  // Timers at or after the end of the run never fire.
  void add_timer(Time at, std::uint32_t target, std::uint8_t kind) {
    if (at < world_.end) timers_.push({at.count(), target, kind});
  }

  void add_callback(Time at, scenarios::Driver::Callback callback, std::uint8_t kind) {
    assert(on_this_actor() && "callbacks are set before the run or from the same actor");
    if (at >= world_.end) return;
    add_timer(at, callbacks_.add(std::move(callback)), kind);
  }

  // Whether the caller runs on this group's actor, or before any actor runs.
  bool on_this_actor() const {
    return actor_ == nullptr || (!sg4::Actor::is_maestro() && sg4::Actor::self() == actor_);
  }

  void fire_callback(Time now, const Timer& timer) { callbacks_.fire(timer.target, now); }

 private:
  // SimGrid's clock is a double; a timer is due when the clock is within this of it.
  static constexpr Time kClockSlack = Time(1);

  // The group's actor: pending_[0] is the receive on its mailbox, pending_[1..] its transfers
  // (transfers_[i - 1] says whose).
  void run() {
    mailbox_->set_receiver(sg4::Actor::self());
    Datagram* received = nullptr;
    pending_.insert(pending_.begin(), mailbox_->get_async<Datagram>(&received));
    while (true) {
      fire_due_timers();
      if (sim_now() >= world_.end) break;
      // Timers set before the run knew its end may lie past it: they never fire.
      const Time next =
          timers_.empty() ? world_.end : std::min(world_.end, Time(timers_.top().at_us));
      const double timeout = std::max(0.0, seconds(next) - sg4::Engine::get_clock());
      const ssize_t done = sg4::Comm::wait_any_for(pending_, timeout);
      if (done == 0) {
        std::unique_ptr<Datagram> datagram(received);
        pending_[0] = mailbox_->get_async<Datagram>(&received);
        on_datagram_(sim_now(), *datagram);
        world_.recycle(std::move(datagram));
      } else if (done > 0) {
        const auto index = static_cast<std::size_t>(done);
        const TransferOwner owner = transfers_[index - 1];
        pending_.erase(pending_.begin() + done);
        transfers_.erase(transfers_.begin() + (done - 1));
        on_transfer_(sim_now(), owner.target, owner.id);
      }
    }
    for (sg4::CommPtr& comm : pending_) comm->cancel();
    pending_.clear();
    transfers_.clear();
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

  SimulatedDriver::World& world_;
  sg4::Host* host_;
  sg4::Mailbox* mailbox_;
  sg4::Actor* actor_ = nullptr;
  struct TransferOwner {
    std::uint32_t target;
    std::uint64_t id;
  };

  OnTimer on_timer_;
  OnDatagram on_datagram_;
  OnTransfer on_transfer_;
  TimerQueue timers_;
  Callbacks callbacks_;
  std::vector<sg4::CommPtr> pending_;
  std::vector<TransferOwner> transfers_;  // in pending_'s order, after its receive
  bool transfers_suspended_ = false;
};

}  // namespace

// The cloud: the platform node, its timers and the engine's platform callbacks.
class Cloud {
 public:
  Cloud(SimulatedDriver::World& world, sg4::Host* host)
      : world_(world), group_(world, host, world.cloud_mailbox) {}

  NodeGroup& group() { return group_; }

  void start() {
    wall_start_ = std::chrono::steady_clock::now();
    last_progress_ = wall_start_;
    group_.start([this](Time now, const Timer& timer) { on_timer(now, timer); },
                 [this](Time now, const Datagram& datagram) { on_datagram(now, datagram); });
  }

  void dispatch(Time now, core::Outbox& out) {
    for (core::Outbox::Send& send : out.sends) {
      assert(send.connection < world_.fleet.layout.agent_count());
      world_.transmit(now, static_cast<std::uint32_t>(send.connection), send.frame, false);
    }
    for (Time at : out.wakeups) group_.add_timer(at, 0, kNodeWakeup);
    // Closes need no action here: simulated connections are implicit.
    out.clear();
  }

  void progress(Time now, bool last = false) {
    const auto wall = std::chrono::steady_clock::now();
    if (!last && wall - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = wall;
    const double elapsed = std::chrono::duration<double>(wall - wall_start_).count();
    const core::Trace& trace = world_.fleet.trace;
    std::fprintf(stderr,
                 "[ccsim] sim %.0fs/%.0fs  devices %" PRIu64 "  connected %zu  events %" PRIu64
                 "  %.0f events/s\n",
                 seconds(now), seconds(world_.end), world_.fleet.layout.device_count(),
                 world_.fleet.platform.connected_count(), trace.events(),
                 elapsed > 0 ? static_cast<double>(trace.events()) / elapsed : 0.0);
  }

 private:
  void on_timer(Time now, const Timer& timer) {
    if (timer.kind != kNodeWakeup) {
      group_.fire_callback(now, timer);
      return;
    }
    world_.fleet.platform.on_wakeup(now, out_);
    dispatch(now, out_);
  }

  void on_datagram(Time now, const Datagram& datagram) {
    SimulatedDriver::World& world = world_;
    if (datagram.frame.empty()) {  // the agent closed its connection
      world.fleet.platform.on_connection_closed(now, datagram.agent);
      return;
    }
    world.delivered(now, datagram, true);
    world.fleet.platform.on_frame(now, datagram.agent, datagram.frame, out_);
    dispatch(now, out_);
    if (world.options.progress && world.events_handled % kProgressCheckEvents == 0) {
      progress(now);
    }
  }

  SimulatedDriver::World& world_;
  NodeGroup group_;
  // One outbox serves every call: the group's one actor finishes a call and its dispatch
  // before it handles anything else.
  core::Outbox out_;
  std::chrono::steady_clock::time_point wall_start_, last_progress_;
};

// A site: its device agents behind one uplink, and the engine's callbacks at the site.
class Site {
 public:
  Site(SimulatedDriver::World& world, std::uint32_t site, sg4::Host* host)
      : world_(world),
        site_(site),
        first_(world.fleet.layout.first_agent_of_site[site]),
        last_(world.fleet.layout.first_agent_of_site[site + 1]),
        group_(world, host, world.site_mailboxes[site]) {}

  NodeGroup& group() { return group_; }

  void start() {
    group_.start(
        [this](Time now, const Timer& timer) { on_timer(now, timer); },
        [this](Time now, const Datagram& datagram) {
          assert(datagram.agent >= first_ && datagram.agent < last_);
          world_.delivered(now, datagram, false);
          world_.fleet.agents[datagram.agent].on_frame(now, datagram.frame, out_);
          dispatch(now, datagram.agent, out_);
        },
        [this](Time now, std::uint32_t target, std::uint64_t id) { on_transfer(now, target, id); });
  }

  void dispatch(Time now, std::uint32_t agent, core::Outbox& out) {
    assert(agent >= first_ && agent < last_);
    // A connection opens after its handshakes unless the site is cut off or its gateway refuses
    // it; the hello that follows then crosses the network like any frame.
    for (core::Outbox::Send& send : out.sends) world_.transmit(now, agent, send.frame, true);
    for (Time at : out.wakeups) group_.add_timer(at, agent - first_, kNodeWakeup);
    for (const core::Outbox::Transfer& transfer : out.transfers) start_transfer(agent, transfer);
    if (!out.closes.empty()) world_.transmit_close(agent);
    const bool connect = out.connect;
    out.clear();
    if (!connect) return;
    if (!world_.network.reachable(site_) || !open_through_gateway(now, agent)) {
      group_.add_timer(now + kConnectTimeout, agent - first_, kConnectionLost);
      return;
    }
    group_.add_timer(now + world_.opening_time(site_), agent - first_, kConnectionOpen);
  }

 private:
  // A connection leaves through the site's firewall (to the device endpoint's TCP port) and NAT.
  bool open_through_gateway(Time now, std::uint32_t agent) {
    const scenarios::Site& site = world_.fleet.scenario.sites[site_];
    if (site.firewall &&
        !site.firewall->allows_outbound(Transport::kTcp, scenarios::kDeviceEndpointPort)) {
      ++world_.counters.connects_blocked_firewall;
      return false;
    }
    Nat* nat = world_.gateways.nat(site_);
    return nat == nullptr || world_.gateways.open(now, world_.fleet.layout, agent, *nat);
  }

  // A transfer is a SimGrid flow between the cloud and the site, over the backbone and the
  // uplink, sharing both with every other flow and with the frames.
  void start_transfer(std::uint32_t agent, const core::Outbox::Transfer& transfer) {
    sg4::Host* cloud = world_.cloud->group().host();
    sg4::Host* site = group_.host();
    group_.add_transfer(transfer.upstream ? site : cloud, transfer.upstream ? cloud : site,
                        transfer.bytes, agent - first_, transfer.id);
    ++world_.counters.transfers_started;
  }

  void on_transfer(Time now, std::uint32_t target, std::uint64_t id) {
    const std::uint32_t agent = first_ + target;
    ++world_.counters.transfers_completed;
    world_.fleet.trace.record(now, core::TraceEvent::kTransferDone, agent, id);
    world_.fleet.agents[agent].on_transfer_done(now, id, out_);
    dispatch(now, agent, out_);
  }

  void on_timer(Time now, const Timer& timer) {
    if (timer.kind >= kEngineAct) {
      group_.fire_callback(now, timer);
      return;
    }
    const std::uint32_t agent = first_ + timer.target;
    if (timer.kind == kConnectionLost) {
      world_.fleet.agents[agent].on_disconnected(now, out_);
    } else if (timer.kind == kConnectionOpen) {
      // A cut while the handshakes were under way leaves the device waiting for its timeout.
      if (!world_.network.reachable(site_)) {
        group_.add_timer(now + kConnectTimeout, timer.target, kConnectionLost);
        return;
      }
      world_.fleet.agents[agent].on_connected(now, out_);
    } else {
      world_.fleet.agents[agent].on_wakeup(now, out_);
    }
    dispatch(now, agent, out_);
  }

  SimulatedDriver::World& world_;
  std::uint32_t site_;
  std::uint32_t first_, last_;
  NodeGroup group_;
  core::Outbox out_;  // as the cloud's: one actor, one call at a time
};

bool SimulatedDriver::World::cross_nat(Time now, std::uint32_t agent, Nat& nat, bool upstream) {
  const Crossing crossing = gateways.cross(now, fleet.layout, agent, nat, upstream);
  if (crossing == Crossing::kPass) return true;
  ++counters.messages_dropped_nat;
  fleet.trace.record(now, core::TraceEvent::kDrop, agent, kDroppedByNat, upstream);
  if (crossing == Crossing::kReset) {
    ++counters.connections_reset_nat;
    const std::uint32_t site = fleet.layout.site_of_agent(agent);
    sites[site]->group().add_timer(now, agent - fleet.layout.first_agent_of_site[site],
                                   kConnectionLost);
    transmit_close(agent);
  }
  return false;
}

namespace {

// SimGrid takes its settings as command-line arguments. The network model keeps SimGrid's
// default (LV08) but without its correction factors: they multiply the latency of small messages
// by 13 to mimic TCP slow start on a fresh connection, whereas device frames travel on
// long-lived websockets, so a 20 ms uplink should deliver a heartbeat in 20 ms.
std::unique_ptr<sg4::Engine> make_engine(std::size_t actors) {
  std::vector<std::string> args = {"ccsim", "--log=root.thres:critical",
                                   "--cfg=contexts/stack-size:" + std::to_string(kActorStackKiB),
                                   "--cfg=network/latency-factor:1",
                                   "--cfg=network/bandwidth-factor:1"};
  if (actors > kGuardPagesActorsMax) args.emplace_back("--cfg=contexts/guard-size:0");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  assert(!sg4::Engine::has_instance() && "SimGrid allows one simulation per process");
  return std::make_unique<sg4::Engine>(&argc, argv.data());
}

void build_platform(SimulatedDriver::World& w) {
  const scenarios::Scenario& s = w.fleet.scenario;
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
    w.uplinks.push_back(Uplink{uplink, site.uplink.latency, site.uplink.bandwidth_bps, {}, {}});
  }
  zone->seal();
  w.cloud_mailbox = sg4::Mailbox::by_name("cloud");
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    w.site_mailboxes.push_back(sg4::Mailbox::by_name("site-" + std::to_string(i)));
  }
  w.cloud = std::make_unique<Cloud>(w, cloud);
  w.sites.reserve(s.sites.size());
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    w.sites.push_back(std::make_unique<Site>(w, i, hosts[i]));
  }
}

}  // namespace

SimulatedDriver::World::World(const scenarios::Fleet& f, SimulatedDriverOptions o)
    : fleet(f),
      options(o),
      engine(make_engine(2 * (f.scenario.sites.size() + 1))),
      network(f.scenario, f.seed),
      gateways(f.scenario, f.layout) {
  assert(!f.scenario.sites.empty());
  build_platform(*this);
}

SimulatedDriver::World::~World() = default;

SimulatedDriver::SimulatedDriver(const scenarios::Fleet& fleet, SimulatedDriverOptions options)
    : world_(std::make_unique<World>(fleet, options)) {}

SimulatedDriver::~SimulatedDriver() = default;

void SimulatedDriver::set_platform_callback(Time at, Callback callback, scenarios::Phase phase) {
  world_->cloud->group().add_callback(
      at, std::move(callback), phase == scenarios::Phase::kObserve ? kEngineObserve : kEngineAct);
}

void SimulatedDriver::at_site(Time at, std::uint32_t site, Callback callback) {
  assert(site < world_->sites.size());
  world_->sites[site]->group().add_callback(at, std::move(callback), kEngineAct);
}

void SimulatedDriver::dispatch_platform(Time now, core::Outbox& out) {
  assert(world_->cloud->group().on_this_actor());
  world_->cloud->dispatch(now, out);
}

void SimulatedDriver::dispatch_agent(Time now, std::uint32_t agent, core::Outbox& out) {
  Site& site = *world_->sites[world_->fleet.layout.site_of_agent(agent)];
  assert(site.group().on_this_actor() && "an agent is acted on from its own site's callbacks");
  site.dispatch(now, agent, out);
}

void SimulatedDriver::begin_fault(std::uint32_t site, const scenarios::Fault& fault) {
  World& w = *world_;
  switch (fault.kind) {
    case scenarios::FaultKind::kPartition:
      w.network.partition(site, fault.direction);
      w.sites[site]->group().suspend_transfers(true);
      break;
    case scenarios::FaultKind::kLossBurst:
      w.network.begin_burst(site, fault.burst);
      break;
    case scenarios::FaultKind::kLatencySpike:
      w.uplinks[site].extra_latency += fault.latency;
      w.uplinks[site].apply();
      break;
    case scenarios::FaultKind::kThrottle:
      w.uplinks[site].throttles.push_back(fault.bandwidth_bps);
      w.uplinks[site].apply();
      break;
  }
}

void SimulatedDriver::end_fault(std::uint32_t site, const scenarios::Fault& fault) {
  World& w = *world_;
  switch (fault.kind) {
    case scenarios::FaultKind::kPartition:
      w.network.heal(site, fault.direction);
      w.sites[site]->group().suspend_transfers(!w.network.reachable(site));
      break;
    case scenarios::FaultKind::kLossBurst:
      w.network.end_burst(site);
      break;
    case scenarios::FaultKind::kLatencySpike:
      w.uplinks[site].extra_latency -= fault.latency;
      w.uplinks[site].apply();
      break;
    case scenarios::FaultKind::kThrottle: {
      std::vector<double>& throttles = w.uplinks[site].throttles;
      throttles.erase(std::find(throttles.begin(), throttles.end(), fault.bandwidth_bps));
      w.uplinks[site].apply();
      break;
    }
  }
}

bool SimulatedDriver::makes(scenarios::FaultKind) const {
  return true;
}

void SimulatedDriver::run(Time end) {
  World& w = *world_;
  assert(!w.ran && end > Time::zero());
  w.ran = true;
  w.end = end;
  // One actor starts every group at time zero, then lives to the end of the run so that the
  // run lasts its full duration even when no timer is pending.
  sg4::Actor::create("conductor", sg4::Host::by_name("cloud"), [&w] {
    w.cloud->start();
    for (auto& site : w.sites) site->start();
    sg4::this_actor::sleep_until(seconds(w.end));
  });
  w.engine->run();
  if (w.options.progress) w.cloud->progress(w.end, true);
}

scenarios::NetworkCounters SimulatedDriver::network() const {
  return world_->counters;
}

}  // namespace ccsim::sim

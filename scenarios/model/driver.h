// The one small interface between the scenario engine and a driver. The engine builds the nodes
// (the platform node with its control plane, one device agent per agent of the fleet layout) and
// plays the timeline; a driver moves frames between those nodes, keeps time and fires their
// timers, on SimGrid (sim/) or on real sockets (net/). A driver knows no scenario file and no
// check; the engine knows no SimGrid and no socket.
//
// What the engine may ask of a driver:
// - time and timers: callbacks at a simulated time, on the platform's side (a user acting
//   through the API, a probe looking at the platform) or at one site (something happening at its
//   devices). Site callbacks are set before run() or from a callback of the same site, since a
//   driver may run each site on its own actor;
// - deliver to a node: inside a callback the engine calls the node itself with an Outbox, then
//   hands that Outbox to the driver, which carries it out as it does the node's own answers. A
//   driver may run another side while it carries an Outbox out (a SimGrid actor yields inside a
//   send), so each side (the platform, each site) needs an Outbox of its own;
// - change the network: a fault begins or ends at a site (a partition, a loss burst, a latency
//   spike, a throttle), for the drivers that can make it; sites' NATs and firewalls, likewise.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/node.h"
#include "core/trace.h"
#include "devices/device_agent.h"
#include "platform/platform_node.h"
#include "scenarios/model/fleet_layout.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

// The nodes a driver drives, owned by the engine; they outlive the driver.
struct Fleet {
  const Scenario& scenario;
  const FleetLayout& layout;
  platform::PlatformNode& platform;
  std::vector<devices::DeviceAgent>& agents;  // by agent number
  core::Trace& trace;
  std::uint64_t seed = 1;
};

// What crossed the network, counted by the driver.
struct NetworkCounters {
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_delivered = 0;
  // Transmissions lost on the way, by cause. TCP sends a lost segment again (retransmissions),
  // so a loss delays a message; only a connection reset loses it.
  std::uint64_t messages_dropped_loss = 0;
  std::uint64_t messages_dropped_partition = 0;
  std::uint64_t messages_dropped_nat = 0;
  std::uint64_t messages_dropped_closed = 0;  // arrived for a connection no longer there
  std::uint64_t retransmissions = 0;
  std::uint64_t connections_reset_nat = 0;
  std::uint64_t connections_reset_retransmissions = 0;  // a segment lost too many times
  std::uint64_t connects_blocked_firewall = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t transfers_started = 0;  // bulk transfers: firmware images
  std::uint64_t transfers_completed = 0;
};

// Callbacks at the same time run in phase order, then in the order they were set: whatever acts
// at a moment has acted before anything observes it.
enum class Phase : std::uint8_t { kAct = 0, kObserve = 1 };

class Driver {
 public:
  using Callback = std::function<void(core::Time now)>;

  virtual ~Driver() = default;

  // Calls `callback` at `at` on the platform's side. Callbacks at or after the end never run.
  void at_platform(core::Time at, Callback callback, Phase phase = Phase::kAct) {
    set_platform_callback(at, std::move(callback), phase);
  }
  // Calls `callback` at `at` beside the devices of site `site`.
  virtual void at_site(core::Time at, std::uint32_t site, Callback callback) = 0;

  // From a platform callback: carries out what the platform node wrote into `out`, and clears it.
  virtual void dispatch_platform(core::Time now, core::Outbox& out) = 0;
  // From a callback of agent `agent`'s site: carries out what the agent wrote into `out`.
  virtual void dispatch_agent(core::Time now, std::uint32_t agent, core::Outbox& out) = 0;

  // From a platform callback: `fault` begins, or ends, at site `site`. A partition cuts the way it
  // says (frames are lost, connections cannot open) until as many ends as begins; a loss burst
  // runs its channel on the uplink; a latency spike and a throttle change the uplink itself.
  virtual void begin_fault(std::uint32_t site, const Fault& fault) = 0;
  virtual void end_fault(std::uint32_t site, const Fault& fault) = 0;
  // From a platform callback: a fault that hits a platform region's device endpoint (one
  // hits_region() says so of) begins, or ends, at region `region` (an index into the scenario's
  // regions; 0 with one platform).
  virtual void begin_region_fault(std::uint32_t region, const Fault& fault) = 0;
  virtual void end_region_fault(std::uint32_t region, const Fault& fault) = 0;
  // Whether this driver can make faults of `kind`; the engine refuses a scenario with one it
  // cannot, rather than run it without.
  virtual bool makes(FaultKind kind) const = 0;
  // Whether this driver puts each site's NAT and firewall (Site::nat, Site::firewall) between its
  // devices and the cloud; the engine refuses a scenario with either when it does not.
  virtual bool makes_site_gateways() const = 0;
  // Whether this driver gives each of the scenario's regions a device endpoint of its own and
  // tells the platform which one each connection came through; the engine refuses a scenario with
  // several regions when it does not.
  virtual bool makes_regions() const = 0;

  // Runs to `end`, firing the callbacks set and the nodes' own timers. Once per driver; the
  // engine starts the nodes from callbacks at time zero.
  virtual void run(core::Time end) = 0;

  virtual NetworkCounters network() const = 0;
  // Site `site`'s uplink bandwidth now, in bits per second: its own, or a throttle's while one
  // holds (for a driver that makes throttles).
  virtual double uplink_bps(std::uint32_t site) const = 0;
  // Site `site`'s uplink latency now, one way: its own, with a latency spike's while one holds.
  virtual core::Duration uplink_latency(std::uint32_t site) const = 0;
  // The payload bytes of the messages site `site`'s devices sent up its uplink so far.
  virtual std::uint64_t upstream_bytes(std::uint32_t site) const = 0;

 protected:
  virtual void set_platform_callback(core::Time at, Callback callback, Phase phase) = 0;
};

}  // namespace ccsim::scenarios

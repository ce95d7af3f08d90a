// The simulated driver: runs a scenario's platform node and device agents on SimGrid 3.32.
//
// Topology: one cloud host behind a backbone link, and one host per site behind that site's
// uplink (bandwidth, latency); a site with one camera is a camera behind its own uplink. Each
// message is a SimGrid communication of its frame's size plus protocol overhead, so transfer
// times follow the links and their sharing. NetworkConditions adds loss and partitions.
//
// Actors: one cloud actor drives the platform node; one actor per site drives all of that
// site's device agents (a sans-IO node needs no stack of its own). Each actor keeps one
// get_async pending on its eager mailbox and waits for "a message or the next timer" with
// Comm::wait_any_for, the shape that kept every response in the plain-SimGrid yardstick.
//
// SimGrid allows one engine per process: simulate() may be called once per process. Callers
// that run several simulations (suites, tests, Python) run each in a child process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/node.h"
#include "platform/platform_node.h"
#include "scenarios/scenario.h"

namespace ccsim::sim {

// Where each device of a scenario sits. Devices are numbered site by site, group by group, and in
// the simulated driver a device's ConnectionId on the platform is its number.
struct FleetLayout {
  std::vector<std::uint32_t> site_of_device;
  std::vector<std::uint32_t> first_device_of_site;  // one past the end: device_count()

  explicit FleetLayout(const scenarios::Scenario& scenario);
  std::uint64_t device_count() const { return site_of_device.size(); }
};

// The serial number of device `index` ("B8A44F000001" style: a vendor prefix, then hex).
std::string device_serial(std::uint64_t index);

// A look at the platform at a given simulated time (for checks such as "connected at 50m").
struct Probe {
  core::Time at;
  std::function<void(core::Time now, const platform::PlatformNode&, const FleetLayout&)> observe;
};

struct SimulationOptions {
  std::uint64_t seed = 1;
  std::vector<Probe> probes;  // run in time order on the cloud actor; ties in the given order
  bool progress = false;      // a progress line on stderr about once per wall-clock second
};

struct NetworkCounters {
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t messages_dropped_loss = 0;
  std::uint64_t messages_dropped_partition = 0;
  std::uint64_t bytes_sent = 0;
};

// Device-side counters summed over the fleet.
struct FleetCounters {
  std::uint64_t connects_requested = 0;
  std::uint64_t hellos_sent = 0;
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t presumed_dead = 0;
  std::uint64_t frame_errors = 0;
};

struct SimulationOutcome {
  platform::PlatformMetrics platform;
  FleetCounters fleet;
  NetworkCounters network;
  std::uint64_t devices = 0;
  std::uint64_t devices_connected_end = 0;
  std::string trace_hash;
  std::uint64_t trace_events = 0;
  double sim_time_s = 0;
  // The platform's final knowledge, one line per device sorted by serial (see
  // platform::describe_knowledge); filled only when asked for, since it is large.
  std::string knowledge;
};

// Runs `scenario` to its duration. `keep_knowledge` fills SimulationOutcome::knowledge.
SimulationOutcome simulate(const scenarios::Scenario& scenario, const SimulationOptions& options,
                           bool keep_knowledge = false);

}  // namespace ccsim::sim

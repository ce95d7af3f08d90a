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

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "devices/device_agent.h"
#include "platform/platform_node.h"
#include "scenarios/scenario.h"

namespace ccsim::sim {

// Where each device of a scenario sits. Devices are numbered site by site, group by group.
// Agents are the devices with a connection of their own: all but the Tier-2 cameras, which
// their recorder or edge host carries. In the simulated driver an agent's ConnectionId on the
// platform is its agent number, and a device carried by a host is reached on its host's.
struct FleetLayout {
  std::vector<std::uint32_t> site_of_device;
  std::vector<std::uint32_t> first_device_of_site;  // one past the end: device_count()
  std::vector<std::uint32_t> device_of_agent;
  std::vector<std::uint32_t> agent_of_device;      // its own agent, or its host's
  std::vector<std::uint32_t> first_agent_of_site;  // one past the end: agent_count()
  std::vector<std::uint32_t> group_of_device;      // index into its site's device groups

  explicit FleetLayout(const scenarios::Scenario& scenario);
  std::uint64_t device_count() const { return site_of_device.size(); }
  std::uint64_t agent_count() const { return device_of_agent.size(); }
  std::uint32_t site_of_agent(std::uint64_t agent) const {
    return site_of_device[device_of_agent[agent]];
  }
  bool hosted(std::uint32_t device) const {
    return device_of_agent[agent_of_device[device]] != device;
  }
};

// Agent `agent` as it says hello: its own device's identity, on its site's LAN, with the devices
// it carries.
devices::DeviceIdentity agent_identity(const scenarios::Scenario& scenario,
                                       const FleetLayout& layout, std::uint32_t agent);

// The devices a selection picks, in device order.
std::vector<std::uint32_t> select_devices(const scenarios::Scenario& scenario,
                                          const FleetLayout& layout,
                                          const scenarios::DeviceSelection& selection);

// The serial number of device `index` ("B8A44F000001" style: a vendor prefix, then hex).
std::string device_serial(std::uint64_t index);
// The index of the device with serial `serial`; nullopt for a serial device_serial never made.
std::optional<std::uint64_t> device_index(std::string_view serial);

// What a probe may look at: the platform node (and its control plane, when the scenario has
// organizations), the fleet's layout, and the control plane's id of each scenario organization.
struct PlatformView {
  const platform::PlatformNode& platform;
  const FleetLayout& layout;
  const std::vector<std::string>& organization_ids;  // by scenario organization
};

// A look at the platform at a given simulated time (for checks such as "connected at 50m").
struct Probe {
  core::Time at;
  std::function<void(core::Time now, const PlatformView& view)> observe;
};

// What the timeline's user actions did (claims and live video requests), summed.
struct ActionCounters {
  std::uint64_t claims_attempted = 0;
  std::uint64_t claims_accepted = 0;
  std::array<std::uint64_t, 8> claims_refused{};  // indexed by platform::ErrorCode
  std::uint64_t live_video_granted = 0;
  std::uint64_t live_video_refused = 0;
  std::uint64_t device_actions = 0;          // local actions done on devices
  std::uint64_t device_actions_refused = 0;  // e.g. adopting a device on a host that is full
  std::uint64_t work_accepted = 0;  // task series and rollouts the platform took, by organization
  std::uint64_t work_refused = 0;
  std::uint64_t consents_set = 0;  // diagnostics consents granted or revoked
  std::uint64_t consents_refused = 0;
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
  std::uint64_t provisions_accepted = 0;
  std::uint64_t reports_sent = 0;
  // Device hosts' work:
  std::uint64_t task_executions = 0;  // task runs started by the hosts' engines
  std::uint64_t release_checks = 0;
  std::uint64_t installs_created = 0;  // policy installs the hosts started as their own tasks
  std::uint64_t upgrades_succeeded = 0;
  std::uint64_t upgrades_failed = 0;
  std::uint64_t telemetry_sent = 0;
  std::uint64_t restarts = 0;
};

// The Task Manager's tasks at the end of a run, by status, and its counters.
struct TaskCounters {
  std::uint64_t created = 0;
  std::array<std::uint64_t, platform::kTaskStatusCount> by_status{};
  std::uint64_t redeliveries = 0;
  std::uint64_t rollouts_aborted = 0;
  std::uint64_t insights_raised = 0;
};

struct SimulationOutcome {
  platform::PlatformMetrics platform;
  FleetCounters fleet;
  NetworkCounters network;
  ActionCounters actions;
  TaskCounters tasks;               // with a control plane
  std::uint64_t audit_entries = 0;  // with a control plane
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

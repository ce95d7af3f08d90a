// A scenario as the engine runs it: what a validated scenario file says, with every default
// filled in. Files are parsed and checked by scenario_file.h; this header is only the data.
// Units and qualifiers go last in names (bandwidth_bps, loss_fraction).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/node.h"

namespace ccsim::scenarios {

using core::Duration;

// Limits on what a scenario may ask for; a file past them is refused as bad input.
inline constexpr std::uint64_t kDevicesPerScenarioMax = 1'000'000;
inline constexpr std::size_t kSitesPerScenarioMax = 100'000;
inline constexpr std::size_t kTimelineEntriesMax = 10'000;
inline constexpr std::size_t kChecksMax = 1'000;
inline constexpr Duration kScenarioDurationMax = std::chrono::hours(24 * 366);

// The network between one site and the cloud.
struct Uplink {
  double bandwidth_bps = 50e6;  // bits per second
  Duration latency = std::chrono::milliseconds(20);
  double loss_fraction = 0.0;  // share of messages lost on this uplink, in [0, 1)
};

// `count` identical devices at a site.
struct DeviceGroup {
  std::string kind = "camera";  // only "camera" for now
  std::string model = "tier1-bullet";
  std::uint32_t tier = 1;
  std::string os_version = "11.11.0";
  std::uint32_t count = 1;
};

struct Site {
  std::string name;
  std::string region = "eu-west";
  Uplink uplink;
  std::vector<DeviceGroup> devices;
};

// The cloud end: one platform node on one host.
struct Cloud {
  std::string region = "eu-west";
  double bandwidth_bps = 10e9;
  Duration latency = std::chrono::milliseconds(1);
};

struct Heartbeat {
  Duration interval = std::chrono::minutes(5);
  std::uint32_t missed_max = 3;  // the platform marks a device disconnected after these
  std::uint64_t limit = 0;       // devices say goodbye after this many acks; 0: never
};

enum class FaultKind : std::uint8_t {
  kPartition,  // the matched sites cannot reach the cloud, in either direction
};

// One entry of the timeline. A fault matches the site named, or every site of the region
// named, or every site when neither is given.
struct Fault {
  Duration at{};
  Duration length{};  // the file's "for:"
  FaultKind kind = FaultKind::kPartition;
  std::string site;
  std::string region;
};

enum class CheckKind : std::uint8_t {
  kAllDevicesConnected,   // every device was connected at least once by `within`
  kConnectedFraction,     // at time `at`, the share of (matched) devices connected
  kDisconnectedFraction,  // at time `at`, the share of (matched) devices disconnected
  kMetric,                // at the end, a named metric lies in [at_least, at_most]
};

struct Check {
  std::string id;
  CheckKind kind = CheckKind::kAllDevicesConnected;
  Duration at{};      // kConnectedFraction, kDisconnectedFraction
  Duration within{};  // kAllDevicesConnected
  double at_least = -std::numeric_limits<double>::infinity();
  double at_most = std::numeric_limits<double>::infinity();
  std::string site;    // restricts fraction checks to one site; empty: all
  std::string metric;  // kMetric
  int line = 0;        // line of the check in its file, for messages
};

// How devices spread their first connection over start_within.
enum class StartOrder : std::uint8_t {
  kRandom,     // each at a time drawn from the run's seed (the default)
  kStaggered,  // evenly spaced in device order, as a rolling power-on does
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // path it was loaded from
  Duration duration{};
  Cloud cloud;
  Heartbeat heartbeat;
  Duration start_within = std::chrono::seconds(60);  // devices connect at a time drawn in it
  StartOrder start_order = StartOrder::kRandom;
  std::vector<Site> sites;
  std::vector<Fault> timeline;
  std::vector<Check> checks;

  std::uint64_t device_count() const {
    std::uint64_t total = 0;
    for (const Site& site : sites) {
      for (const DeviceGroup& group : site.devices) total += group.count;
    }
    return total;
  }
};

}  // namespace ccsim::scenarios

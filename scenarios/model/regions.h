// The platform's regions as a scenario names them (white paper: time-critical services such as
// the device endpoint and signaling run in several regions; system data sits in a global store
// with regional processing; user data stays in its organization's region). Each region has its
// own device endpoint behind its own backbone; regions are joined by the inter-region backbone,
// whose one-way latencies default to half the public round trips between cloud regions of those
// names. A device connects to its site's region first, then, when that region's endpoint fails
// it, to the others nearest first.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"

namespace ccsim::scenarios {

using core::Duration;

inline constexpr std::size_t kRegionsPerScenarioMax = 16;
// The one-way latency between two regions the table does not know, unless the scenario says.
inline constexpr Duration kRegionLatencyUnknown = std::chrono::milliseconds(75);
inline constexpr Duration kRegionLatencyMax = std::chrono::seconds(1);
// Hellos a region's device endpoint admits per second, and how many may come at once, by
// default: a token bucket (rate, burst) that spreads a reconnect storm.
inline constexpr double kAdmissionPerSecondDefault = 1'000;
inline constexpr std::uint32_t kAdmissionBurstDefault = 2'000;
inline constexpr double kAdmissionPerSecondMax = 1'000'000;
// Devices per second a region sends back to their own region once it is up again, by default.
inline constexpr double kReturnPerSecondDefault = 50;

struct Region {
  std::string name;
  Duration backbone_latency = std::chrono::milliseconds(1);  // its device endpoint's backbone
  double backbone_bps = 10e9;
  double admission_per_second = kAdmissionPerSecondDefault;
  std::uint32_t admission_burst = kAdmissionBurstDefault;
  double return_per_second = kReturnPerSecondDefault;
  int line = 0;
};

// Half the public round trip between two cloud regions of these names (both directions), from
// inter-region latency measurements of the large clouds (Ireland/Virginia/Oregon/Frankfurt/
// Singapore/Tokyo/Sao Paulo); nullopt for a pair it does not know.
std::optional<Duration> public_region_latency(std::string_view a, std::string_view b);

// One-way latencies between regions, by index: the scenario's where it gives one, else the
// public table's, else kRegionLatencyUnknown; zero from a region to itself.
class RegionLatencies {
 public:
  RegionLatencies() = default;
  explicit RegionLatencies(const std::vector<Region>& regions);
  Duration between(std::size_t a, std::size_t b) const { return latencies_[a * count_ + b]; }
  void set(std::size_t a, std::size_t b, Duration latency);
  // The regions in the order a device of region `home` tries them: its own, then nearest first
  // (ties by index).
  std::vector<std::uint32_t> endpoint_order(std::uint32_t home) const;

 private:
  std::size_t count_ = 0;
  std::vector<Duration> latencies_;
};

}  // namespace ccsim::scenarios

// What the drivers' links do not do by themselves: message loss on a site's uplink and sites cut
// off by a partition fault. Both drivers ask it, before a frame is handed to the network, whether
// the frame gets through, and before a connection opens, whether the site can reach the cloud.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random_stream.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

enum class Verdict : std::uint8_t { kDeliver, kLost, kPartitioned };

// Most partitions one site may be under at once (faults overlapping in the timeline).
inline constexpr std::uint32_t kPartitionsPerSiteMax = kTimelineEntriesMax;

class NetworkConditions {
 public:
  NetworkConditions(const Scenario& scenario, std::uint64_t seed);

  // Whether a message between site `site` and the cloud gets through. Draws from the loss stream
  // only on uplinks that have loss, so a lossless scenario's draws never depend on traffic.
  Verdict judge(std::uint32_t site);
  bool partitioned(std::uint32_t site) const { return partitions_[site] > 0; }

  // Partitions nest: a site cut off by two overlapping faults is reachable after both heal.
  void partition(std::uint32_t site);
  void heal(std::uint32_t site);

 private:
  std::vector<double> loss_fraction_;      // per site
  std::vector<std::uint32_t> partitions_;  // per site: partitions in force
  core::RandomStream loss_random_;
};

}  // namespace ccsim::scenarios

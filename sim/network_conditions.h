// What SimGrid's flow model does not simulate: message loss and partitions. SimGrid gives each
// message its transfer time over the links; this layer decides, before a message is handed to
// SimGrid, whether it is lost on the site's uplink or cut off by a partition fault.
#pragma once

#include <cstdint>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "scenarios/scenario.h"

namespace ccsim::sim {

enum class Verdict : std::uint8_t { kDeliver, kLost, kPartitioned };

class NetworkConditions {
 public:
  NetworkConditions(const scenarios::Scenario& scenario, std::uint64_t seed);

  // Whether a message between site `site` and the cloud, sent at `now`, gets through.
  // Draws from the loss stream only on uplinks that have loss, so a lossless scenario's
  // draws never depend on traffic.
  Verdict judge(std::uint32_t site, core::Time now);
  bool partitioned(std::uint32_t site, core::Time now) const;

 private:
  struct Window {
    core::Time from, until;
  };
  std::vector<double> loss_fraction_;            // per site
  std::vector<std::vector<Window>> partitions_;  // per site, sorted by start
  core::RandomStream loss_random_;
};

}  // namespace ccsim::sim

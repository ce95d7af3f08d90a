#include "sim/network_conditions.h"

#include <algorithm>
#include <cassert>

namespace ccsim::sim {

NetworkConditions::NetworkConditions(const scenarios::Scenario& scenario, std::uint64_t seed)
    : partitions_(scenario.sites.size()), loss_random_(seed, core::kNetworkLossStream) {
  loss_fraction_.reserve(scenario.sites.size());
  for (const scenarios::Site& site : scenario.sites) {
    assert(site.uplink.loss_fraction >= 0.0 && site.uplink.loss_fraction < 1.0);
    loss_fraction_.push_back(site.uplink.loss_fraction);
  }
  for (const scenarios::Fault& fault : scenario.timeline) {
    if (fault.kind != scenarios::FaultKind::kPartition) continue;
    for (std::uint32_t s = 0; s < scenario.sites.size(); ++s) {
      const scenarios::Site& site = scenario.sites[s];
      const bool matches = fault.site.empty()
                               ? (fault.region.empty() || fault.region == site.region)
                               : fault.site == site.name;
      if (matches) partitions_[s].push_back({fault.at, fault.at + fault.length});
    }
  }
  for (auto& windows : partitions_) {
    std::sort(windows.begin(), windows.end(),
              [](const Window& a, const Window& b) { return a.from < b.from; });
  }
}

bool NetworkConditions::partitioned(std::uint32_t site, core::Time now) const {
  assert(site < partitions_.size());
  for (const Window& w : partitions_[site]) {
    if (w.from > now) return false;
    if (now < w.until) return true;
  }
  return false;
}

Verdict NetworkConditions::judge(std::uint32_t site, core::Time now) {
  if (partitioned(site, now)) return Verdict::kPartitioned;
  const double loss = loss_fraction_[site];
  if (loss > 0.0 && loss_random_.chance(loss)) return Verdict::kLost;
  return Verdict::kDeliver;
}

}  // namespace ccsim::sim

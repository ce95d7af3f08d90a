#include "scenarios/model/network_conditions.h"

#include <cassert>

namespace ccsim::scenarios {

NetworkConditions::NetworkConditions(const Scenario& scenario, std::uint64_t seed)
    : partitions_(scenario.sites.size(), 0), loss_random_(seed, core::kNetworkLossStream) {
  loss_fraction_.reserve(scenario.sites.size());
  for (const Site& site : scenario.sites) {
    assert(site.uplink.loss_fraction >= 0.0 && site.uplink.loss_fraction < 1.0);
    loss_fraction_.push_back(site.uplink.loss_fraction);
  }
}

void NetworkConditions::partition(std::uint32_t site) {
  assert(site < partitions_.size());
  assert(partitions_[site] < kPartitionsPerSiteMax);
  ++partitions_[site];
}

void NetworkConditions::heal(std::uint32_t site) {
  assert(site < partitions_.size());
  assert(partitions_[site] > 0 && "a heal without its partition");
  --partitions_[site];
}

Verdict NetworkConditions::judge(std::uint32_t site) {
  assert(site < partitions_.size());
  if (partitions_[site] > 0) return Verdict::kPartitioned;
  const double loss = loss_fraction_[site];
  if (loss > 0.0 && loss_random_.chance(loss)) return Verdict::kLost;
  return Verdict::kDeliver;
}

}  // namespace ccsim::scenarios

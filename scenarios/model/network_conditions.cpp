#include "scenarios/model/network_conditions.h"

#include <cassert>

namespace ccsim::scenarios {

NetworkConditions::NetworkConditions(const Scenario& scenario, std::uint64_t seed)
    : up_(scenario.sites.size(), 0),
      down_(scenario.sites.size(), 0),
      bursts_(scenario.sites.size()),
      loss_random_(seed, core::kNetworkLossStream) {
  loss_fraction_.reserve(scenario.sites.size());
  for (const Site& site : scenario.sites) {
    assert(site.uplink.loss_fraction >= 0.0 && site.uplink.loss_fraction < 1.0);
    loss_fraction_.push_back(site.uplink.loss_fraction);
  }
}

void NetworkConditions::partition(std::uint32_t site, Direction direction) {
  assert(site < up_.size());
  if (direction != Direction::kDown) {
    assert(up_[site] < kPartitionsPerSiteMax);
    ++up_[site];
  }
  if (direction != Direction::kUp) {
    assert(down_[site] < kPartitionsPerSiteMax);
    ++down_[site];
  }
}

void NetworkConditions::heal(std::uint32_t site, Direction direction) {
  assert(site < up_.size());
  if (direction != Direction::kDown) {
    assert(up_[site] > 0 && "a heal without its partition");
    --up_[site];
  }
  if (direction != Direction::kUp) {
    assert(down_[site] > 0 && "a heal without its partition");
    --down_[site];
  }
}

void NetworkConditions::begin_burst(std::uint32_t site, const LossBurst& model) {
  assert(model.loss > 0.0 && model.loss <= 1.0 && model.burst >= 1.0 && model.gap >= 1.0);
  Burst& burst = bursts_[site];
  assert(burst.in_force < kPartitionsPerSiteMax);
  burst.model = model;
  ++burst.in_force;
}

void NetworkConditions::end_burst(std::uint32_t site) {
  Burst& burst = bursts_[site];
  assert(burst.in_force > 0 && "an end without its burst");
  if (--burst.in_force == 0) burst.bad = false;
}

void NetworkConditions::region_out(std::uint32_t region) {
  if (region >= regions_out_.size()) regions_out_.resize(region + 1, 0);
  assert(regions_out_[region] < kPartitionsPerSiteMax);
  ++regions_out_[region];
}

void NetworkConditions::region_back(std::uint32_t region) {
  assert(region < regions_out_.size() && regions_out_[region] > 0 && "a region back never out");
  --regions_out_[region];
}

Verdict NetworkConditions::judge(std::uint32_t site, bool upstream, std::uint32_t region) {
  assert(site < up_.size());
  if (blocked(site, upstream) || !region_reachable(region)) return Verdict::kPartitioned;
  double loss = loss_fraction_[site];
  Burst& burst = bursts_[site];
  if (burst.in_force > 0) {
    // The channel moves first, then the message meets the state it is in.
    burst.bad =
        loss_random_.chance(burst.bad ? 1.0 - 1.0 / burst.model.burst : 1.0 / burst.model.gap);
    if (burst.bad) loss = burst.model.loss;
  }
  if (loss > 0.0 && loss_random_.chance(loss)) return Verdict::kLost;
  return Verdict::kDeliver;
}

}  // namespace ccsim::scenarios

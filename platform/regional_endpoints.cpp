#include "platform/regional_endpoints.h"

#include <algorithm>
#include <cassert>

namespace ccsim::platform {

RegionalEndpoints::RegionalEndpoints(std::vector<RegionPolicy> regions) {
  assert(regions.size() <= kRegionsMax);
  for (RegionPolicy& policy : regions) {
    const double return_burst = std::max(1.0, policy.return_per_second);
    regions_.push_back(Region{policy,
                              TokenBucket(policy.admission_per_second, policy.admission_burst),
                              TokenBucket(policy.return_per_second, return_burst),
                              true,
                              false,
                              -1,
                              0,
                              {}});
  }
  away_by_home_.resize(regions_.size());
  draining_by_region_.resize(regions_.size());
}

bool RegionalEndpoints::anyone_to_move() const {
  for (std::uint32_t r = 0; r < regions_.size(); ++r) {
    if (regions_[r].up && !away_by_home_[r].empty()) return true;
    if (!draining_by_region_[r].empty()) return true;
  }
  return false;
}

std::optional<std::uint32_t> RegionalEndpoints::index(std::string_view name) const {
  for (std::uint32_t i = 0; i < regions_.size(); ++i) {
    if (regions_[i].policy.name == name) return i;
  }
  return std::nullopt;
}

std::optional<Duration> RegionalEndpoints::admit(Time now, std::uint32_t region) {
  assert(region < regions_.size());
  Region& r = regions_[region];
  if (r.admission.take(now)) {
    ++r.metrics.hellos_admitted;
    return std::nullopt;
  }
  ++r.metrics.hellos_deferred;
  return r.admission.wait(now);
}

void RegionalEndpoints::connected(Time now, std::uint32_t region) {
  assert(region < regions_.size());
  Region& r = regions_[region];
  const std::int64_t second = now.count() / 1'000'000;
  if (second != r.second) {
    r.second = second;
    r.in_second = 0;
  }
  ++r.in_second;
  r.metrics.connects_peak_per_second = std::max(r.metrics.connects_peak_per_second, r.in_second);
}

void RegionalEndpoints::set_up(std::uint32_t region, bool is_up) {
  assert(region < regions_.size());
  if (regions_[region].up && !is_up) ++regions_[region].metrics.outages;
  regions_[region].up = is_up;
  if (is_up) regions_[region].draining = false;
}

void RegionalEndpoints::drain(std::uint32_t region) {
  assert(region < regions_.size());
  set_up(region, false);
  regions_[region].draining = true;
}

std::optional<std::uint32_t> RegionalEndpoints::destination(std::uint32_t home,
                                                            std::uint32_t region) const {
  if (home != region && regions_[home].up) return home;
  const std::vector<std::uint32_t>& order = regions_[home].policy.endpoint_order;
  for (std::uint32_t i = 0; i < regions_.size(); ++i) {
    const std::uint32_t candidate = order.empty() ? i : order[i];
    if (candidate != region && regions_[candidate].up) return candidate;
  }
  return std::nullopt;
}

void RegionalEndpoints::set_draining(std::uint32_t record, std::uint32_t region, bool draining) {
  assert(region < draining_by_region_.size());
  if (draining) {
    draining_by_region_[region].insert(record);
  } else {
    draining_by_region_[region].erase(record);
  }
}

void RegionalEndpoints::set_away(std::uint32_t record, std::uint32_t home, bool away) {
  assert(home < away_by_home_.size());
  if (away) {
    away_by_home_[home].insert(record);
  } else {
    away_by_home_[home].erase(record);
  }
}

}  // namespace ccsim::platform

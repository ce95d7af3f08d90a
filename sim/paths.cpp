#include "sim/paths.h"

#include "scenarios/model/tcp_transport.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace ccsim::sim {
namespace {

template <typename T>
void erase_one(std::vector<T>& values, T value) {
  const auto found = std::find(values.begin(), values.end(), value);
  assert(found != values.end() && "an end without its fault");
  values.erase(found);
}

double seconds(Duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

}  // namespace

Paths::Paths(const scenarios::Scenario& scenario) : between_(scenario.region_latencies) {
  uplinks_.reserve(scenario.sites.size());
  for (const scenarios::Site& site : scenario.sites) {
    assert(site.uplink.bandwidth_bps > 0);
    uplinks_.push_back({site.uplink.latency, site.uplink.bandwidth_bps, {}, {}, {}, {}, false});
    home_region_.push_back(scenario.region_index(site.region).value_or(0));
  }
  if (scenario.regions.empty()) {
    backbones_.push_back({scenario.cloud.latency, scenario.cloud.bandwidth_bps, {}});
  }
  for (const scenarios::Region& region : scenario.regions) {
    backbones_.push_back({region.backbone_latency, region.backbone_bps, {}});
  }
}

Duration Paths::crossing(std::uint32_t site, std::uint32_t region) const {
  const std::uint32_t home = home_region_[site];
  return home == region ? Duration::zero() : between_.between(home, region);
}

Duration Paths::uplink_latency(std::uint32_t site) const {
  return uplinks_[site].latency + uplinks_[site].extra_latency;
}

Duration Paths::latency(std::uint32_t site, std::uint32_t region) const {
  return uplink_latency(site) + backbones_[region].latency + crossing(site, region);
}

double Paths::uplink_bps(std::uint32_t site) const {
  const Uplink& uplink = uplinks_[site];
  double bps = uplink.bandwidth_bps;
  for (double throttle : uplink.throttles) bps = std::min(bps, throttle);
  return bps;
}

Duration Paths::jitter(std::uint32_t site) const {
  const std::vector<Duration>& jitters = uplinks_[site].jitters;
  return jitters.empty() ? Duration::zero() : *std::max_element(jitters.begin(), jitters.end());
}

Duration Paths::one_way(std::uint32_t site, std::uint64_t bytes, bool upstream,
                        std::uint32_t region) const {
  const Uplink& uplink = uplinks_[site];
  const Backbone& backbone = backbones_[region];
  const int way = upstream ? 1 : 0;
  const Duration latency_now = latency(site, region);
  const std::uint32_t uplink_flows = uplink.suspended ? 0 : uplink.flows[way];
  const double uplink_share = uplink_bps(site) / 8.0 / static_cast<double>(uplink_flows + 1);
  const double backbone_share = backbone.bps / 8.0 / static_cast<double>(backbone.flows[way] + 1);
  double rate = std::min(uplink_share, backbone_share);
  if (latency_now > Duration::zero()) {
    rate = std::min(rate, kTcpWindowBytes / (2.0 * seconds(latency_now)));
  }
  assert(rate > 0);
  return latency_now + Duration(std::llround(static_cast<double>(bytes) / rate * 1e6));
}

Duration Paths::opening_time(std::uint32_t site, std::uint32_t region) const {
  constexpr std::int64_t kWaysPerRoundTrip = 2;
  return kWaysPerRoundTrip * scenarios::kOpeningRoundTrips * latency(site, region);
}

void Paths::add_spike(std::uint32_t site, Duration extra) {
  uplinks_[site].extra_latency += extra;
}

void Paths::remove_spike(std::uint32_t site, Duration extra) {
  assert(uplinks_[site].extra_latency >= extra && "an end without its spike");
  uplinks_[site].extra_latency -= extra;
}

void Paths::add_throttle(std::uint32_t site, double bps) {
  assert(bps > 0);
  uplinks_[site].throttles.push_back(bps);
}

void Paths::remove_throttle(std::uint32_t site, double bps) {
  erase_one(uplinks_[site].throttles, bps);
}

void Paths::add_jitter(std::uint32_t site, Duration jitter) {
  assert(jitter > Duration::zero());
  uplinks_[site].jitters.push_back(jitter);
}

void Paths::remove_jitter(std::uint32_t site, Duration jitter) {
  erase_one(uplinks_[site].jitters, jitter);
}

void Paths::add_flow(std::uint32_t site, bool upstream) {
  Uplink& uplink = uplinks_[site];
  ++uplink.flows[upstream ? 1 : 0];
  if (!uplink.suspended) ++backbones_[home_region_[site]].flows[upstream ? 1 : 0];
}

void Paths::remove_flow(std::uint32_t site, bool upstream) {
  Uplink& uplink = uplinks_[site];
  assert(uplink.flows[upstream ? 1 : 0] > 0 && "a flow ended that never began");
  --uplink.flows[upstream ? 1 : 0];
  if (!uplink.suspended) --backbones_[home_region_[site]].flows[upstream ? 1 : 0];
}

void Paths::suspend_flows(std::uint32_t site, bool suspended) {
  Uplink& uplink = uplinks_[site];
  if (uplink.suspended == suspended) return;
  uplink.suspended = suspended;
  count_on_backbone(site, suspended ? -1 : 1);
}

void Paths::count_on_backbone(std::uint32_t site, std::int64_t sign) {
  const Uplink& uplink = uplinks_[site];
  Backbone& backbone = backbones_[home_region_[site]];
  for (int way = 0; way < 2; ++way) {
    backbone.flows[way] = static_cast<std::uint64_t>(
        static_cast<std::int64_t>(backbone.flows[way]) + sign * uplink.flows[way]);
  }
}

}  // namespace ccsim::sim

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

Paths::Paths(const scenarios::Scenario& scenario)
    : backbone_latency_(scenario.cloud.latency), backbone_bps_(scenario.cloud.bandwidth_bps) {
  uplinks_.reserve(scenario.sites.size());
  for (const scenarios::Site& site : scenario.sites) {
    assert(site.uplink.bandwidth_bps > 0);
    uplinks_.push_back({site.uplink.latency, site.uplink.bandwidth_bps, {}, {}, {}, {}, false});
  }
}

Duration Paths::uplink_latency(std::uint32_t site) const {
  return uplinks_[site].latency + uplinks_[site].extra_latency;
}

Duration Paths::latency(std::uint32_t site) const {
  return uplink_latency(site) + backbone_latency_;
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

Duration Paths::one_way(std::uint32_t site, std::uint64_t bytes, bool upstream) const {
  const Uplink& uplink = uplinks_[site];
  const int way = upstream ? 1 : 0;
  const Duration latency_now = latency(site);
  const std::uint32_t uplink_flows = uplink.suspended ? 0 : uplink.flows[way];
  const double uplink_share = uplink_bps(site) / 8.0 / static_cast<double>(uplink_flows + 1);
  const double backbone_share = backbone_bps_ / 8.0 / static_cast<double>(backbone_flows_[way] + 1);
  double rate = std::min(uplink_share, backbone_share);
  if (latency_now > Duration::zero()) {
    rate = std::min(rate, kTcpWindowBytes / (2.0 * seconds(latency_now)));
  }
  assert(rate > 0);
  return latency_now + Duration(std::llround(static_cast<double>(bytes) / rate * 1e6));
}

Duration Paths::opening_time(std::uint32_t site) const {
  constexpr std::int64_t kWaysPerRoundTrip = 2;
  return kWaysPerRoundTrip * scenarios::kOpeningRoundTrips * latency(site);
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
  if (!uplink.suspended) ++backbone_flows_[upstream ? 1 : 0];
}

void Paths::remove_flow(std::uint32_t site, bool upstream) {
  Uplink& uplink = uplinks_[site];
  assert(uplink.flows[upstream ? 1 : 0] > 0 && "a flow ended that never began");
  --uplink.flows[upstream ? 1 : 0];
  if (!uplink.suspended) --backbone_flows_[upstream ? 1 : 0];
}

void Paths::suspend_flows(std::uint32_t site, bool suspended) {
  Uplink& uplink = uplinks_[site];
  if (uplink.suspended == suspended) return;
  uplink.suspended = suspended;
  count_on_backbone(uplink, suspended ? -1 : 1);
}

void Paths::count_on_backbone(const Uplink& uplink, std::int64_t sign) {
  for (int way = 0; way < 2; ++way) {
    backbone_flows_[way] = static_cast<std::uint64_t>(
        static_cast<std::int64_t>(backbone_flows_[way]) + sign * uplink.flows[way]);
  }
}

}  // namespace ccsim::sim

#include "scenarios/sampler.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>

#include "scenarios/model/turn_servers.h"

namespace ccsim::scenarios {

namespace {

double seconds(core::Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

double seconds_of_us(std::uint64_t us) {
  return static_cast<double>(us) / 1e6;
}

std::uint64_t tasks_in_flight(const TaskCounters& tasks) {
  using platform::TaskStatus;
  std::uint64_t count = 0;
  for (TaskStatus status : {TaskStatus::kQueued, TaskStatus::kDispatched, TaskStatus::kRunning}) {
    count += tasks.by_status[static_cast<std::size_t>(status)];
  }
  return count;
}

// The value at `fraction` of `sorted` (nearest rank); 0 when empty.
double nearest_rank(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void add_percentiles(std::vector<double>& row, const core::Histogram& h) {
  for (double fraction : {0.50, 0.95, 0.99}) row.push_back(seconds_of_us(h.percentile(fraction)));
}

constexpr double kUtilisationUnit = 1e4;  // site_utilisation_ keeps ten-thousandths

// The signaling messages every region's service relayed (offers, answers, candidates).
std::uint64_t signaling_messages(const platform::PlatformNode& platform) {
  std::uint64_t count = 0;
  for (std::uint32_t region = 0; region < platform.regions().count(); ++region) {
    if (const platform::Signaling* signaling = platform.signaling(region)) {
      count += signaling->counters().messages_relayed + signaling->counters().candidates_relayed;
    }
  }
  return count;
}

// The columns that are a count's rate over the interval just gone: the count so far, read from
// what the run measured.
struct RateColumn {
  const char* name;
  std::uint64_t (*count)(const Measurements& m, const platform::PlatformNode& platform);
};

constexpr RateColumn kRateColumns[] = {
    {"connects_per_s", [](const Measurements& m,
                          const platform::PlatformNode&) { return m.platform.hellos_accepted; }},
    {"messages_per_s", [](const Measurements& m,
                          const platform::PlatformNode&) { return m.network.messages_delivered; }},
    {"tasks_created_per_s",
     [](const Measurements& m, const platform::PlatformNode&) { return m.tasks.created; }},
    // Messages per second by the platform service that takes them:
    {"endpoint_messages_per_s",
     [](const Measurements& m, const platform::PlatformNode&) {
       const platform::PlatformMetrics& p = m.platform;
       return p.hellos_accepted + p.hellos_refused + p.heartbeats_received + p.goodbyes_received;
     }},
    {"inventory_messages_per_s",
     [](const Measurements& m, const platform::PlatformNode&) {
       return m.platform.device_reports;
     }},
    {"task_manager_messages_per_s",
     [](const Measurements& m, const platform::PlatformNode&) { return m.platform.task_updates; }},
    {"software_update_messages_per_s",
     [](const Measurements& m, const platform::PlatformNode&) {
       return m.platform.release_checks;
     }},
    {"insights_messages_per_s",
     [](const Measurements& m, const platform::PlatformNode&) {
       return m.platform.telemetry_recorded + m.platform.telemetry_refused;
     }},
    {"signaling_messages_per_s",
     [](const Measurements&, const platform::PlatformNode& platform) {
       return signaling_messages(platform);
     }},
};

}  // namespace

Sampler::Sampler(const Deployment& deployment, Driver& driver)
    : deployment_(deployment),
      driver_(driver),
      site_bits_(deployment.scenario.sites.size(), 0),
      site_capacity_bits_(deployment.scenario.sites.size(), 0) {
  series_.columns = {"time_s", "devices_connected", "devices_unreachable"};
  const std::size_t regions = deployment_.platform.regions().count();
  if (regions > 1) {
    for (const std::string& region : platform_regions(deployment_.scenario)) {
      series_.columns.push_back("connected_" + region);
    }
  }
  for (const RateColumn& rate : kRateColumns) series_.columns.push_back(rate.name);
  rates_before_.assign(std::size(kRateColumns), 0);
  for (const char* column :
       {"tasks_in_flight", "upgrades_done", "live_sessions", "relay_bps", "uplink_p50",
        "uplink_p95", "uplink_max", "offline_p50_s", "offline_p95_s", "offline_p99_s",
        "live_setup_p50_s", "live_setup_p95_s", "live_setup_p99_s"}) {
    series_.columns.push_back(column);
  }
  const Scenario& scenario = deployment_.scenario;
  const auto rows = static_cast<std::uint64_t>(scenario.duration / scenario.sample_interval) + 2;
  assert(rows - 2 <= kSamplesPerRunMax);
  keep_sites_ = rows * scenario.sites.size() <= kUplinkCellsMax;
  driver_.at_platform(
      core::Time{}, [this](core::Time now) { sample(now); }, Phase::kObserve);
}

void Sampler::sample(core::Time now) {
  take(now);
  driver_.at_platform(
      now + deployment_.scenario.sample_interval, [this](core::Time at) { sample(at); },
      Phase::kObserve);
}

// A site's utilisation: what its streams and its devices' messages sent up the uplink over the
// interval, over what the uplink could have carried in it (throttles included).
std::vector<double> Sampler::uplink_utilisation(core::Time now) {
  const std::size_t sites = site_bits_.size();
  std::vector<double> utilisation(sites, 0.0);
  for (std::uint32_t site = 0; site < sites; ++site) {
    const double bits = deployment_.uplinks.bits(site, now) +
                        8.0 * static_cast<double>(driver_.upstream_bytes(site));
    const double capacity = deployment_.uplinks.capacity_bits(site, now);
    if (capacity > site_capacity_bits_[site]) {
      utilisation[site] = (bits - site_bits_[site]) / (capacity - site_capacity_bits_[site]);
    }
    site_bits_[site] = bits;
    site_capacity_bits_[site] = capacity;
  }
  if (keep_sites_) {
    for (const double u : utilisation) {
      const double cell = std::min(std::round(u * kUtilisationUnit), 65535.0);
      site_utilisation_.push_back(static_cast<std::uint16_t>(cell));
    }
  }
  return utilisation;
}

void Sampler::take(core::Time now) {
  const Measurements m = deployment_.measure(driver_.network());
  const double interval = seconds(now - last_);
  std::vector<double> row = {seconds(now - core::Time{}),
                             static_cast<double>(m.devices_connected_end),
                             static_cast<double>(m.devices - m.devices_connected_end)};
  const std::size_t regions = deployment_.platform.regions().count();
  if (regions > 1) {
    std::vector<double> connected(regions, 0.0);
    for (const platform::DeviceConnection& device : deployment_.platform.devices()) {
      if (device.status == platform::ConnectionStatus::kConnected) ++connected[device.region];
    }
    row.insert(row.end(), connected.begin(), connected.end());
  }
  for (std::size_t i = 0; i < std::size(kRateColumns); ++i) {
    const std::uint64_t count = kRateColumns[i].count(m, deployment_.platform);
    assert(count >= rates_before_[i] && "a rate's count never goes down");
    row.push_back(interval > 0 ? static_cast<double>(count - rates_before_[i]) / interval : 0.0);
    rates_before_[i] = count;
  }
  row.push_back(static_cast<double>(tasks_in_flight(m.tasks)));
  row.push_back(static_cast<double>(m.fleet.upgrades_succeeded));
  row.push_back(static_cast<double>(m.live.running));
  row.push_back(m.live.relay_bps);
  std::vector<double> sites = uplink_utilisation(now);
  std::sort(sites.begin(), sites.end());
  for (double fraction : {0.50, 0.95, 1.0}) row.push_back(nearest_rank(sites, fraction));
  add_percentiles(row, m.offline_us.since(offline_us_));
  add_percentiles(row, m.live.setup_us.since(live_setup_us_));
  assert(row.size() == series_.columns.size());
  series_.rows.push_back(std::move(row));
  last_ = now;
  offline_us_ = m.offline_us;
  live_setup_us_ = m.live.setup_us;
}

// The busiest sites by their highest interval, ties to the first in the scenario, as columns
// `uplink_SITE`; sites that sent nothing get none.
void Sampler::add_busiest_sites() {
  const std::size_t sites = site_bits_.size();
  const std::size_t rows = series_.rows.size();
  assert(site_utilisation_.size() == rows * sites);
  std::vector<std::uint16_t> peak(sites, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t s = 0; s < sites; ++s) {
      peak[s] = std::max(peak[s], site_utilisation_[r * sites + s]);
    }
  }
  std::vector<std::size_t> order(sites);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return peak[a] > peak[b]; });
  for (std::size_t i = 0; i < std::min(kUplinkTopSites, sites) && peak[order[i]] > 0; ++i) {
    const std::size_t s = order[i];
    series_.columns.push_back("uplink_" + deployment_.scenario.sites[s].name);
    for (std::size_t r = 0; r < rows; ++r) {
      series_.rows[r].push_back(site_utilisation_[r * sites + s] / kUtilisationUnit);
    }
  }
}

TimeSeries Sampler::finish(core::Time end) {
  if (last_ < end) take(end);
  if (keep_sites_) add_busiest_sites();
  return std::move(series_);
}

}  // namespace ccsim::scenarios

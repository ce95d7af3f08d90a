#include "scenarios/sampler.h"

#include <cassert>
#include <chrono>
#include <string>

#include "scenarios/model/turn_servers.h"

namespace ccsim::scenarios {

namespace {

double seconds(core::Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

std::uint64_t tasks_in_flight(const TaskCounters& tasks) {
  using platform::TaskStatus;
  std::uint64_t count = 0;
  for (TaskStatus status : {TaskStatus::kQueued, TaskStatus::kDispatched, TaskStatus::kRunning}) {
    count += tasks.by_status[static_cast<std::size_t>(status)];
  }
  return count;
}

}  // namespace

Sampler::Sampler(const Deployment& deployment, Driver& driver)
    : deployment_(deployment), driver_(driver) {
  series_.columns = {"time_s", "devices_connected", "devices_unreachable"};
  const std::size_t regions = deployment_.platform.regions().count();
  if (regions > 1) {
    for (const std::string& region : platform_regions(deployment_.scenario)) {
      series_.columns.push_back("connected_" + region);
    }
  }
  for (const char* column : {"connects_per_s", "messages_per_s", "tasks_in_flight", "upgrades_done",
                             "live_sessions", "relay_bps"}) {
    series_.columns.push_back(column);
  }
  assert(deployment_.scenario.duration / deployment_.scenario.sample_interval <=
         static_cast<std::int64_t>(kSamplesPerRunMax));
  driver_.at_platform(
      core::Time{}, [this](core::Time now) { sample(now); }, Phase::kObserve);
}

void Sampler::sample(core::Time now) {
  take(now);
  driver_.at_platform(
      now + deployment_.scenario.sample_interval, [this](core::Time at) { sample(at); },
      Phase::kObserve);
}

void Sampler::take(core::Time now) {
  const Measurements m = deployment_.measure(driver_.network());
  const double interval = seconds(now - last_);
  const auto rate = [&](std::uint64_t count, std::uint64_t before) {
    return interval > 0 ? static_cast<double>(count - before) / interval : 0.0;
  };
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
  row.push_back(rate(m.platform.hellos_accepted, hellos_));
  row.push_back(rate(m.network.messages_delivered, messages_));
  row.push_back(static_cast<double>(tasks_in_flight(m.tasks)));
  row.push_back(static_cast<double>(m.fleet.upgrades_succeeded));
  row.push_back(static_cast<double>(m.live.running));
  row.push_back(m.live.relay_bps);
  assert(row.size() == series_.columns.size());
  series_.rows.push_back(std::move(row));
  last_ = now;
  hellos_ = m.platform.hellos_accepted;
  messages_ = m.network.messages_delivered;
}

TimeSeries Sampler::finish(core::Time end) {
  if (last_ < end) take(end);
  return std::move(series_);
}

}  // namespace ccsim::scenarios

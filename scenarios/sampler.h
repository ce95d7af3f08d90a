// The run's time series: every `sample_interval` of simulated time, on the platform's side after
// everything at that moment has acted, one row of what the run looks like then, for capacity
// planning and for studies: devices connected (per region too, with several) and unreachable,
// connects, messages (in all and by the platform service that takes them) and tasks created per
// second over the interval just gone, tasks in flight,
// upgrades done (a rollout's progress), live sessions running and what the platform's TURN servers
// carry; the sites' uplink utilisation over the interval (median, 95th percentile and most over
// the sites, then the busiest sites' own columns); and, of what completed in the interval, the
// devices' time offline and the live sessions' set-up time as p50, p95 and p99.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/histogram.h"
#include "scenarios/deployment.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/run_result.h"

namespace ccsim::scenarios {

// The busiest sites (by their highest utilisation in any interval) that get a column of their own.
inline constexpr std::size_t kUplinkTopSites = 5;
// Sites times rows of per-site utilisation kept to find them (two bytes each); a run with more
// sites than this allows gets the percentiles over the sites without the busiest sites' columns.
inline constexpr std::uint64_t kUplinkCellsMax = 32'000'000;

class Sampler {
 public:
  // Takes the first row at time zero and sets the next. `deployment` and `driver` must outlive
  // the sampler.
  Sampler(const Deployment& deployment, Driver& driver);
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // The series, with a last row at `end` (the run's end) when no sample fell on it.
  TimeSeries finish(core::Time end);

 private:
  void sample(core::Time now);  // takes a row and sets the next sample
  void take(core::Time now);
  // Each site's uplink utilisation over the interval ending `now`.
  std::vector<double> uplink_utilisation(core::Time now);
  void add_busiest_sites();

  const Deployment& deployment_;
  Driver& driver_;
  TimeSeries series_;
  core::Time last_{};
  // What the counters said at the last sample:
  std::vector<std::uint64_t> rates_before_;  // the rate columns' counts
  std::vector<double> site_bits_;            // by site: sent
  std::vector<double> site_capacity_bits_;   // by site: could have been carried
  core::Histogram offline_us_;
  core::Histogram live_setup_us_;
  // Each row's utilisation of every site, in ten-thousandths, while within kUplinkCellsMax.
  bool keep_sites_ = false;
  std::vector<std::uint16_t> site_utilisation_;
};

}  // namespace ccsim::scenarios

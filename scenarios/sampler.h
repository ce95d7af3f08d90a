// The run's time series: every `sample_interval` of simulated time, on the platform's side after
// everything at that moment has acted, one row of what the run looks like then, for capacity
// planning and for studies: devices connected (per region too, with several) and unreachable,
// connects and messages per second over the interval just gone, tasks in flight, upgrades done
// (a rollout's progress), live sessions running and what the platform's TURN servers carry.
#pragma once

#include <cstdint>

#include "scenarios/deployment.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/run_result.h"

namespace ccsim::scenarios {

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

  const Deployment& deployment_;
  Driver& driver_;
  TimeSeries series_;
  core::Time last_{};
  std::uint64_t hellos_ = 0;    // at the last sample
  std::uint64_t messages_ = 0;  // likewise
};

}  // namespace ccsim::scenarios

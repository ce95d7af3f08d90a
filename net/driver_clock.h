// The real driver's clock. Nodes never read the wall clock; the driver does, and hands them the
// time since it started as core::Time, the same scale the simulated driver counts in.
#pragma once

#include <chrono>

#include "core/node.h"

namespace ccsim::net {

class DriverClock {
 public:
  DriverClock() : start_(std::chrono::steady_clock::now()) {}

  core::Time now() const {
    return std::chrono::duration_cast<core::Time>(std::chrono::steady_clock::now() - start_);
  }
  // The wall-clock instant at which the driver's clock reads `time`.
  std::chrono::steady_clock::time_point wall_time_at(core::Time time) const {
    return start_ + time;
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ccsim::net

// The progress line both drivers print on stderr while a run goes on: simulated time, devices,
// how many are connected, events and events per wall-clock second, at most once a second. The
// drivers read the wall clock for it; nothing the run computes depends on it.
#pragma once

#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "core/node.h"
#include "scenarios/model/driver.h"

namespace ccsim::scenarios {

class ProgressLine {
 public:
  explicit ProgressLine(const char* label) : label_(label) {}

  // Prints the line unless one was printed less than a second ago; `last` prints it anyway.
  void print(const Fleet& fleet, core::Time now, core::Time end, bool last) {
    const auto wall = std::chrono::steady_clock::now();
    if (!last && wall - printed_ < std::chrono::seconds(1)) return;
    printed_ = wall;
    const double elapsed = std::chrono::duration<double>(wall - start_).count();
    const std::uint64_t events = fleet.trace.events();
    std::fprintf(stderr,
                 "[%s] sim %.0fs/%.0fs  devices %" PRIu64 "  connected %zu  events %" PRIu64
                 "  %.0f events/s\n",
                 label_, std::chrono::duration<double>(now).count(),
                 std::chrono::duration<double>(end).count(), fleet.layout.device_count(),
                 fleet.platform.connected_count(), events,
                 elapsed > 0 ? static_cast<double>(events) / elapsed : 0.0);
  }

 private:
  const char* label_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point printed_ = start_;
};

}  // namespace ccsim::scenarios

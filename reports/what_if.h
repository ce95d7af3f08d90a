// What-if across runs of one scenario: each input that differs between them (a numeric assumption:
// cameras, relayed share, update window length, ...) against each outcome that differs too (the
// objectives' metrics, the subsystems' peaks, the cost a device a month), the mean over the runs
// at each value, with the curve's knee marked where it has one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenarios/model/run_result.h"

namespace ccsim::reports {

struct Curve {
  std::string input;      // an assumption's name
  std::string output;     // a metric's name, or cost_per_device_month
  std::vector<double> x;  // distinct input values, ascending
  std::vector<double> y;  // the outcome's mean over the runs at each
  std::optional<std::size_t> knee;
};

// A knee is a point this far (or farther) from the chord joining a curve's ends, both axes
// scaled to [0, 1]; nearer, the curve is called straight.
inline constexpr double kKneeDistanceMin = 0.1;
// Curves of one report, at most.
inline constexpr std::size_t kCurvesMax = 24;

// The point farthest from the chord between the first and the last (the difference curve of
// Satopaa et al.'s Kneedle), when at least 3 points and kKneeDistanceMin; `x` ascending.
std::optional<std::size_t> knee_of(const std::vector<double>& x, const std::vector<double>& y);

// An assumption's value as a number: "1,000" 1000, "30 %" 30, "2 Mbps" 2e6, "1h30m" 5400 (s).
std::optional<double> numeric_value(const std::string& text);

// The curves of `runs` (one scenario's), inputs in the assumptions' order.
std::vector<Curve> what_if(const std::vector<const scenarios::RunResult*>& runs);

}  // namespace ccsim::reports

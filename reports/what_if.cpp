#include "reports/what_if.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "reports/capacity_plan.h"

namespace ccsim::reports {
namespace {

using scenarios::RunResult;

// "1h30m", "45m", "2d", "30s", "250ms" in seconds.
std::optional<double> duration_seconds(const std::string& text) {
  static const std::map<std::string, double> kUnits = {{"d", 86'400}, {"h", 3'600}, {"m", 60},
                                                       {"s", 1},      {"ms", 1e-3}, {"us", 1e-6}};
  double total = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t digits = at;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
      ++digits;
    }
    std::size_t unit = digits;
    while (unit < text.size() && std::isalpha(static_cast<unsigned char>(text[unit]))) ++unit;
    const auto found = kUnits.find(text.substr(digits, unit - digits));
    if (digits == at || found == kUnits.end()) return std::nullopt;
    total += std::strtod(text.substr(at, digits - at).c_str(), nullptr) * found->second;
    at = unit;
  }
  return total;
}

// The outcomes a what-if plots: the objectives' metrics first, then the subsystems' peaks.
std::vector<std::string> outcome_names(const RunResult& run) {
  std::vector<std::string> names;
  for (const scenarios::CheckResult& check : run.checks) {
    if (check.objective) names.push_back(check.objective->metric);
  }
  for (const char* name : {"peak_connected", "reconnect_peak_per_second",
                           "live_sessions_concurrent_peak", "relay_bandwidth_peak_bps"}) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  }
  return names;
}

std::optional<double> outcome(const RunResult& run, const std::string& name) {
  if (name == "cost_per_device_month") return plan_capacity(run).cost_per_device_month;
  for (const auto& [key, value] : run.metrics) {
    if (key == name && std::isfinite(value)) return value;
  }
  return std::nullopt;
}

std::optional<double> input_of(const RunResult& run, const std::string& input) {
  for (const scenarios::Assumption& a : run.assumptions) {
    if (a.input == input) return numeric_value(a.value);
  }
  return std::nullopt;
}

// The inputs with a number in every run and more than one value among them.
std::vector<std::string> varying_inputs(const std::vector<const RunResult*>& runs) {
  std::vector<std::string> inputs;
  for (const scenarios::Assumption& a : runs.front()->assumptions) {
    std::set<double> values;
    bool numeric = true;
    for (const RunResult* run : runs) {
      const std::optional<double> value = input_of(*run, a.input);
      numeric = numeric && value.has_value();
      if (value) values.insert(*value);
    }
    if (numeric && values.size() > 1) inputs.push_back(a.input);
  }
  return inputs;
}

std::optional<Curve> curve_of(const std::vector<const RunResult*>& runs, const std::string& input,
                              const std::string& output) {
  std::map<double, std::pair<double, int>> sums;  // x -> sum of y, runs
  for (const RunResult* run : runs) {
    const std::optional<double> y = outcome(*run, output);
    if (!y) return std::nullopt;
    auto& [sum, count] = sums[*input_of(*run, input)];
    sum += *y;
    ++count;
  }
  Curve curve{input, output, {}, {}, std::nullopt};
  for (const auto& [x, sum_count] : sums) {
    curve.x.push_back(x);
    curve.y.push_back(sum_count.first / sum_count.second);
  }
  if (std::all_of(curve.y.begin(), curve.y.end(), [&](double y) { return y == curve.y.front(); })) {
    return std::nullopt;  // flat: the input does not move it
  }
  curve.knee = knee_of(curve.x, curve.y);
  return curve;
}

}  // namespace

std::optional<std::size_t> knee_of(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 3) return std::nullopt;
  const auto [y_low, y_high] = std::minmax_element(y.begin(), y.begin() + static_cast<long>(n));
  const double x_span = x[n - 1] - x[0];
  const double y_span = *y_high - *y_low;
  if (x_span <= 0 || y_span <= 0) return std::nullopt;
  const auto scaled_y = [&](std::size_t i) { return (y[i] - *y_low) / y_span; };
  std::optional<std::size_t> knee;
  double farthest = kKneeDistanceMin;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    const double along = (x[i] - x[0]) / x_span;
    const double chord = scaled_y(0) + along * (scaled_y(n - 1) - scaled_y(0));
    const double distance = std::fabs(scaled_y(i) - chord);
    if (distance >= farthest) {
      farthest = distance;
      knee = i;
    }
  }
  return knee;
}

std::optional<double> numeric_value(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c != ',') digits += c;
  }
  if (std::optional<double> seconds = duration_seconds(digits)) return seconds;
  char* end = nullptr;
  const double value = std::strtod(digits.c_str(), &end);
  if (end == digits.c_str()) return std::nullopt;
  const std::string rest(end);
  if (rest.empty() || rest == " %") return value;
  if (rest == " kbps") return value * 1e3;
  if (rest == " Mbps") return value * 1e6;
  if (rest == " Gbps") return value * 1e9;
  return std::nullopt;
}

std::vector<Curve> what_if(const std::vector<const RunResult*>& runs) {
  if (runs.size() < 2) return {};
  std::vector<std::string> outputs = outcome_names(*runs.front());
  if (plan_capacity(*runs.front()).cost_per_device_month)
    outputs.emplace_back("cost_per_device_month");
  std::vector<Curve> curves;
  for (const std::string& input : varying_inputs(runs)) {
    for (const std::string& output : outputs) {
      if (curves.size() == kCurvesMax) return curves;
      if (std::optional<Curve> curve = curve_of(runs, input, output))
        curves.push_back(std::move(*curve));
    }
  }
  return curves;
}

}  // namespace ccsim::reports

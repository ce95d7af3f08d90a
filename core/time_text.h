// Simulated time as people read it in messages: a moment as seconds since the start of the run
// ("t=2700s", or "t=2700.000250s" when not a whole second), and a length as scenario files
// write it ("21m", "1h30m", "2d", or "46.309s" when not a whole number of seconds).
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "core/node.h"

namespace ccsim::core {

inline std::string time_text(Time at) {
  constexpr std::int64_t kMicrosecondsPerSecond = 1'000'000;
  const std::int64_t us = at.count();
  assert(us >= 0);
  std::array<char, 48> text{};
  if (us % kMicrosecondsPerSecond == 0) {
    std::snprintf(text.data(), text.size(), "t=%llds",
                  static_cast<long long>(us / kMicrosecondsPerSecond));
  } else {
    std::snprintf(text.data(), text.size(), "t=%lld.%06llds",
                  static_cast<long long>(us / kMicrosecondsPerSecond),
                  static_cast<long long>(us % kMicrosecondsPerSecond));
  }
  return text.data();
}

inline std::string duration_text(Duration d) {
  const std::int64_t us = d.count();
  if (us % 1'000'000 != 0 || us == 0) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.3fs", static_cast<double>(us) / 1e6);
    return text.data();
  }
  std::int64_t s = us / 1'000'000;
  std::string text;
  constexpr std::array<std::pair<std::int64_t, const char*>, 4> kUnits = {
      {{86'400, "d"}, {3'600, "h"}, {60, "m"}, {1, "s"}}};
  for (const auto& [unit_s, unit] : kUnits) {
    if (s >= unit_s) {
      text += std::to_string(s / unit_s) + unit;
      s %= unit_s;
    }
  }
  return text;
}

}  // namespace ccsim::core

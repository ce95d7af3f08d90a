// Simulated time as people read it in error messages: seconds since the start of the run,
// "t=2700s", or "t=2700.000250s" when not a whole second.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <string>

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

}  // namespace ccsim::core

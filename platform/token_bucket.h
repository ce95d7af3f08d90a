// A token bucket: `rate` tokens a second up to `burst` held at once, starting full. A regional
// device endpoint admits hellos through one, so a reconnect storm is spread over time rather than
// met all at once; and sends failed-over devices home through another.
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>

#include "core/node.h"

namespace ccsim::platform {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst)
      : rate_(rate_per_second), burst_(burst), tokens_(burst) {
    assert(rate_per_second > 0 && burst >= 1);
  }

  // Takes a token if one is there at `now` (times never go back).
  bool take(core::Time now) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // How long until a token is there, from `now`.
  core::Duration wait(core::Time now) {
    refill(now);
    if (tokens_ >= 1.0) return core::Duration::zero();
    // Up to the next whole microsecond, less a hair of the double's rounding.
    constexpr double kRounding = 1e-6;
    return core::Duration(
        static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1e6 - kRounding)));
  }

 private:
  void refill(core::Time now) {
    assert(now >= last_);
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>((now - last_).count()) / 1e6);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  core::Time last_{};
};

}  // namespace ccsim::platform

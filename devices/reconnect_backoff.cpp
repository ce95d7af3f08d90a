#include "devices/reconnect_backoff.h"

#include <algorithm>
#include <cassert>

namespace ccsim::devices {

Duration reconnect_delay_cap(const ReconnectBackoff& backoff, std::uint32_t step) {
  assert(backoff.first > Duration::zero() && backoff.first <= backoff.cap);
  Duration cap = backoff.first;
  for (std::uint32_t n = 0; n < step && cap < backoff.cap; ++n) cap *= 2;
  return std::min(cap, backoff.cap);
}

}  // namespace ccsim::devices

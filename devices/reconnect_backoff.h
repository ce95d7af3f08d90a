// How a device spaces its reconnections after losing its connection: doubling delays, each drawn
// below its step ("full jitter") so that a fleet cut off together does not come back together.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/node.h"

namespace ccsim::devices {

using core::Duration;

// Reconnection delays: the n-th after a connection is lost (from 0) is drawn uniformly below
// min(first x 2^n, cap) ("full jitter"); the default gives 3, 6, 12, 24, then 30 s.
struct ReconnectBackoff {
  Duration first = std::chrono::seconds(3);
  Duration cap = std::chrono::seconds(30);
};
inline constexpr Duration kReconnectBackoffMin = std::chrono::milliseconds(100);
inline constexpr Duration kReconnectBackoffMax = std::chrono::hours(1);
// The delay before a device's `step`-th reconnection is drawn below this.
Duration reconnect_delay_cap(const ReconnectBackoff& backoff, std::uint32_t step);

}  // namespace ccsim::devices

// What a device's websocket costs as TCP and TLS carry it, the same on both drivers: opening it
// takes its handshakes' round trips, a segment lost on the way is sent again after a
// retransmission timeout that doubles with each further loss (RFC 6298), later segments wait
// behind it (TCP delivers in order), and a segment lost too many times in a row resets the
// connection (RFC 1122's R2 bound), after which the device reconnects.
//
// The drivers keep one RetransmissionTimer per connection and ask RetransmissionTimer::backoff
// how long to wait before each retransmission; a driver that gives up after
// kRetransmissionsMax resets the connection at the sender's end.
#pragma once

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdint>

#include "core/node.h"

namespace ccsim::scenarios {

using core::Duration;

// Round trips a websocket takes to open before its first frame: TCP's three-way handshake
// (RFC 9293), TLS 1.3's full handshake (RFC 8446: one round trip) and the websocket opening
// handshake (RFC 6455: an HTTP Upgrade and its 101 answer).
inline constexpr std::uint32_t kOpeningRoundTrips = 3;
// Bytes a frame costs on the wire beyond its payload: TCP/IP headers, a TLS record and a
// websocket frame header.
inline constexpr std::uint64_t kWireOverheadBytes = 80;

// RFC 6298: the initial RTO (2.1), the floor every RTO is rounded up to (2.4), the ceiling a
// backed-off RTO may be held to (2.5), and the clock granularity G, a millisecond here.
inline constexpr Duration kRtoInitial = std::chrono::seconds(1);
inline constexpr Duration kRtoMin = std::chrono::seconds(1);
inline constexpr Duration kRtoMax = std::chrono::seconds(60);
inline constexpr Duration kClockGranularity = std::chrono::milliseconds(1);
// Retransmissions of one segment before the sender resets the connection. With a 1 s RTO the
// wait after the last one ends 1 + 2 + 4 + 8 + 16 + 32 + 60 = 123 s after the first send: RFC
// 1122 (4.2.3.5) asks that R2 be at least 100 s.
inline constexpr std::uint32_t kRetransmissionsMax = 6;

// RFC 6298's estimator of one connection: a smoothed round trip and its variation, in whole
// microseconds so that a million connections keep it in 8 bytes each.
class RetransmissionTimer {
 public:
  // A round trip measured on a segment sent once (Karn's algorithm: never a retransmitted one).
  void sample(Duration rtt) {
    assert(rtt >= Duration::zero());
    const std::int64_t r = std::min<std::int64_t>(rtt.count(), kSampleMaxUs);
    if (srtt_us_ == 0 && rttvar_us_ == 0) {  // (2.2): the first measurement
      srtt_us_ = static_cast<std::uint32_t>(std::max<std::int64_t>(r, 1));
      rttvar_us_ = static_cast<std::uint32_t>(r / 2);
      return;
    }
    // (2.3), with alpha = 1/8 and beta = 1/4; RTTVAR first, from the SRTT before the update.
    const std::int64_t srtt = srtt_us_;
    const std::int64_t deviation = srtt > r ? srtt - r : r - srtt;
    rttvar_us_ =
        static_cast<std::uint32_t>((3 * static_cast<std::int64_t>(rttvar_us_) + deviation) / 4);
    srtt_us_ = static_cast<std::uint32_t>(std::max<std::int64_t>((7 * srtt + r) / 8, 1));
  }

  // The RTO before any backing off: (2.1) before a measurement, else SRTT + max(G, K * RTTVAR)
  // with K = 4, at least kRtoMin (2.4) and at most kRtoMax.
  Duration rto() const {
    if (srtt_us_ == 0) return kRtoInitial;
    constexpr std::int64_t kK = 4;
    const Duration rto(static_cast<std::int64_t>(srtt_us_) +
                       std::max<std::int64_t>(kClockGranularity.count(), kK * rttvar_us_));
    return std::clamp(rto, kRtoMin, kRtoMax);
  }

  // How long to wait before retransmission `retransmission` (1 for the first) of one segment:
  // the RTO doubled once for each retransmission before it (5.5), held to kRtoMax. The wait
  // kRetransmissionsMax + 1 is the one after which the sender gives up.
  Duration backoff(std::uint32_t retransmission) const {
    assert(retransmission >= 1 && retransmission <= kRetransmissionsMax + 1);
    Duration wait = rto();
    for (std::uint32_t i = 1; i < retransmission && wait < kRtoMax; ++i) wait *= 2;
    return std::min(wait, kRtoMax);
  }

  Duration srtt() const { return Duration(srtt_us_); }
  Duration rttvar() const { return Duration(rttvar_us_); }

 private:
  // Longer round trips are measured as this (an hour): nothing here takes longer.
  static constexpr std::int64_t kSampleMaxUs = 3'600'000'000;
  std::uint32_t srtt_us_ = 0;
  std::uint32_t rttvar_us_ = 0;
};

}  // namespace ccsim::scenarios

// RFC 6298's estimator and back-off, against values worked out by hand from the RFC's formulas:
// (2.2) SRTT <- R, RTTVAR <- R/2; (2.3) RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, then
// SRTT <- 7/8 SRTT + 1/8 R'; RTO = SRTT + max(G, 4 RTTVAR), at least 1 s (2.4); (5.5) doubling.
#include "scenarios/model/tcp_transport.h"

#include <gtest/gtest.h>

#include <vector>

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

TEST(RetransmissionTimer, BeforeAnyRoundTripTheRtoIsOneSecond) {
  const RetransmissionTimer timer;
  EXPECT_EQ(timer.rto(), 1s);
  EXPECT_EQ(timer.backoff(1), 1s);
}

TEST(RetransmissionTimer, TheFirstRoundTripGivesSrttAndHalfOfItAsVariation) {
  RetransmissionTimer timer;
  timer.sample(2s);
  EXPECT_EQ(timer.srtt(), 2s);
  EXPECT_EQ(timer.rttvar(), 1s);
  EXPECT_EQ(timer.rto(), 6s);  // 2 s + 4 x 1 s
}

TEST(RetransmissionTimer, LaterRoundTripsAreSmoothedAsTheRfcSays) {
  RetransmissionTimer timer;
  timer.sample(2s);
  timer.sample(1s);
  // RTTVAR = 3/4 x 1 + 1/4 x |2 - 1| = 1 s; SRTT = 7/8 x 2 + 1/8 x 1 = 1.875 s.
  EXPECT_EQ(timer.rttvar(), 1s);
  EXPECT_EQ(timer.srtt(), 1875ms);
  EXPECT_EQ(timer.rto(), 5875ms);
  timer.sample(1s);
  // RTTVAR = 3/4 x 1 + 1/4 x 0.875 = 0.96875 s; SRTT = 7/8 x 1.875 + 1/8 x 1 = 1.765625 s.
  EXPECT_EQ(timer.rttvar(), 968750us);
  EXPECT_EQ(timer.srtt(), 1765625us);
  EXPECT_EQ(timer.rto(), 1765625us + 4 * 968750us);
}

TEST(RetransmissionTimer, ShortRoundTripsAreHeldToTheOneSecondFloor) {
  RetransmissionTimer timer;
  timer.sample(42ms);  // a 20 ms uplink behind a 1 ms backbone: 42 + 4 x 21 = 126 ms
  EXPECT_EQ(timer.rto(), 1s);
  for (int i = 0; i < 50; ++i) timer.sample(42ms);
  EXPECT_EQ(timer.srtt(), 42ms);
  EXPECT_EQ(timer.rto(), 1s);
}

TEST(RetransmissionTimer, ATinyVariationStillLeavesTheClockGranularity) {
  RetransmissionTimer timer;
  for (int i = 0; i < 100; ++i) timer.sample(3s);
  EXPECT_EQ(timer.rttvar(), 0s);
  EXPECT_EQ(timer.rto(), 3s + kClockGranularity);
}

TEST(RetransmissionTimer, BackoffDoublesUntilSixtySeconds) {
  RetransmissionTimer timer;
  std::vector<Duration> waits;
  for (std::uint32_t r = 1; r <= kRetransmissionsMax + 1; ++r) waits.push_back(timer.backoff(r));
  EXPECT_EQ(waits, (std::vector<Duration>{1s, 2s, 4s, 8s, 16s, 32s, 60s}));
  timer.sample(2s);  // RTO 6 s
  EXPECT_EQ(timer.backoff(1), 6s);
  EXPECT_EQ(timer.backoff(4), 48s);
  EXPECT_EQ(timer.backoff(5), 60s);
  EXPECT_EQ(timer.backoff(7), 60s);
}

// RFC 1122 (4.2.3.5): a sender gives up no sooner than R2 = 100 s after the first transmission.
TEST(RetransmissionTimer, ASenderGivesUpNoSoonerThanRfc1122Asks) {
  const RetransmissionTimer timer;
  Duration total{};
  for (std::uint32_t r = 1; r <= kRetransmissionsMax + 1; ++r) total += timer.backoff(r);
  EXPECT_EQ(total, 123s);
  EXPECT_GE(total, 100s);
}

}  // namespace
}  // namespace ccsim::scenarios

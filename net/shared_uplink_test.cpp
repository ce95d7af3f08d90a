// The real driver's shared uplink against times worked out by hand: a 100 Mbps (12.5 MB/s) link,
// 21 ms of path latency, transfers of 12.5 MB (1 s alone at full rate).
#include "net/shared_uplink.h"

#include <gtest/gtest.h>

#include <map>

#include "net/driver_loop.h"

namespace ccsim::net {
namespace {

using namespace std::chrono_literals;
using core::Time;

struct Harness {
  DriverLoop loop{ClockMode::kPaused};
  SharedUplink uplink{loop.timers(), 100e6, 21ms};
  std::map<int, Time> done;

  void start(int id, Time at, std::uint64_t bytes = 12'500'000, bool upstream = false) {
    loop.timers().schedule(at, 0, [this, id, bytes, upstream](Time now) {
      uplink.start(now, bytes, upstream, [this, id](Time end) { done[id] = end; });
    });
  }
  void run() {
    loop.run_until([] { return false; }, Time(1h));
  }
};

TEST(SharedUplink, AloneATransferHasTheWholeLink) {
  Harness h;
  h.start(1, Time(0));
  h.run();
  EXPECT_EQ(h.done.at(1), Time(1s + 21ms));
}

TEST(SharedUplink, TwoTransfersOneWayShareItAndBothTakeTwiceAsLong) {
  Harness h;
  h.start(1, Time(0));
  h.start(2, Time(0));
  h.start(3, Time(0), 12'500'000, true);  // the other way: a link of its own
  h.run();
  EXPECT_EQ(h.done.at(1), Time(2s + 21ms));
  EXPECT_EQ(h.done.at(2), Time(2s + 21ms));
  EXPECT_EQ(h.done.at(3), Time(1s + 21ms));
}

// The second starts half-way through the first: the first has 6.25 MB left and gets half the
// link, so it ends at 0.5 + 1.0 = 1.5 s; the second then has 6.25 MB left alone: 1.5 + 0.5 = 2 s.
TEST(SharedUplink, ALaterTransferSlowsTheOneUnderWay) {
  Harness h;
  h.start(1, Time(0));
  h.start(2, Time(500ms));
  h.run();
  EXPECT_EQ(h.done.at(1), Time(1500ms + 21ms));
  EXPECT_EQ(h.done.at(2), Time(2s + 21ms));
}

TEST(SharedUplink, ACutStopsTransfersWhereTheyAre) {
  Harness h;
  h.start(1, Time(0));
  h.loop.timers().schedule(Time(250ms), 0, [&h](Time now) { h.uplink.suspend(now, true); });
  h.loop.timers().schedule(Time(10s), 0, [&h](Time now) { h.uplink.suspend(now, false); });
  h.run();
  EXPECT_EQ(h.done.at(1), Time(10s + 750ms + 21ms));
}

}  // namespace
}  // namespace ccsim::net

#include "scenarios/model/uplink_meter.h"

#include <gtest/gtest.h>

namespace ccsim::scenarios {
namespace {

using std::chrono::seconds;

core::Time at(int s) {
  return core::Time{seconds(s)};
}

TEST(UplinkMeter, IntegratesEachSiteSeparately) {
  UplinkMeter meter({10e6, 10e6});
  meter.change(0, at(10), 2e6);   // 2 Mbps from 10 s
  meter.change(0, at(20), -1e6);  // 1 Mbps from 20 s
  meter.change(1, at(5), 500e3);
  // Worked by hand: site 0 sent 10 s x 2 Mbps = 20 Mbit by 20 s, then 1 Mbps for 40 s more.
  EXPECT_DOUBLE_EQ(meter.bits(0, at(20)), 20e6);
  EXPECT_DOUBLE_EQ(meter.bits(0, at(60)), 60e6);
  EXPECT_DOUBLE_EQ(meter.bits(1, at(5)), 0.0);      // nothing before its first stream
  EXPECT_DOUBLE_EQ(meter.bits(1, at(60)), 27.5e6);  // 55 s x 0.5 Mbps
}

TEST(UplinkMeter, AllStreamsGoneLeavesNothingRunning) {
  UplinkMeter meter({10e6});
  meter.change(0, at(0), 0.1e6);
  meter.change(0, at(0), 0.2e6);
  meter.change(0, at(1), -0.1e6);
  meter.change(0, at(1), -0.2e6);  // 0.1 + 0.2 - 0.1 - 0.2 is not exactly zero in doubles
  EXPECT_DOUBLE_EQ(meter.bits(0, at(1000)), 0.3e6);  // and nothing after 1 s
}

// A stream set up at 10 s starts at 12 s; another changes at 11 s in between.
TEST(UplinkMeter, AChangeDueLaterCountsFromItsTimeWhateverComesBetween) {
  UplinkMeter meter({10e6});
  meter.change(0, at(12), 2e6);
  meter.change(0, at(11), 1e6);
  EXPECT_DOUBLE_EQ(meter.bits(0, at(11)), 0.0);
  EXPECT_DOUBLE_EQ(meter.bits(0, at(13)), 2e6 + 2e6);  // 1 Mbps for 2 s, 2 Mbps for 1 s
  meter.change(0, at(14), -1e6);
  EXPECT_DOUBLE_EQ(meter.bits(0, at(16)), 3e6 + 4e6 + 4e6);  // to 14: 3 + 4; then 2 Mbps for 2 s
}

TEST(UplinkMeter, CapacityIsIntegratedAcrossAThrottle) {
  UplinkMeter meter({10e6});
  meter.set_capacity(0, at(100), 3e6);
  meter.set_capacity(0, at(200), 10e6);
  // 100 s at 10 Mbps, 100 s at 3, 100 s at 10: 2,300 Mbit in 300 s.
  EXPECT_DOUBLE_EQ(meter.capacity_bits(0, at(300)), 2300e6);
}

}  // namespace
}  // namespace ccsim::scenarios

// Region latencies: the public table's round trips halved, the fallback for pairs it does not
// know, a scenario's own figure over both, and the order a device tries regions in.
#include "scenarios/model/regions.h"

#include <gtest/gtest.h>

namespace ccsim::scenarios {
namespace {

using std::chrono::milliseconds;

std::vector<Region> named(std::initializer_list<const char*> names) {
  std::vector<Region> regions;
  for (const char* name : names) regions.push_back(Region{name});
  return regions;
}

// Ireland-Virginia is about 70 ms round trip: 35 ms each way, either way round.
TEST(RegionLatencies, KnownPairsTakeHalfThePublicRoundTrip) {
  EXPECT_EQ(public_region_latency("eu-west", "us-east"), milliseconds(35));
  EXPECT_EQ(public_region_latency("us-east", "eu-west"), milliseconds(35));
  EXPECT_EQ(public_region_latency("eu-west", "eu-central"), std::chrono::microseconds(12'500));
  EXPECT_FALSE(public_region_latency("eu-west", "mars"));
  const RegionLatencies l(named({"eu-west", "us-east", "mars"}));
  EXPECT_EQ(l.between(0, 1), milliseconds(35));
  EXPECT_EQ(l.between(1, 0), milliseconds(35));
  EXPECT_EQ(l.between(0, 2), kRegionLatencyUnknown);
  EXPECT_EQ(l.between(1, 1), Duration::zero());
}

TEST(RegionLatencies, AScenariosFigureHoldsBothWays) {
  RegionLatencies l(named({"eu-west", "us-east"}));
  l.set(0, 1, milliseconds(50));
  EXPECT_EQ(l.between(1, 0), milliseconds(50));
}

// From eu-west: itself, then eu-central (12.5 ms), us-east (35), ap-south (60), us-west (65).
TEST(RegionLatencies, ADeviceTriesItsOwnRegionThenTheNearest) {
  const RegionLatencies l(named({"us-west", "ap-south", "eu-west", "us-east", "eu-central"}));
  EXPECT_EQ(l.endpoint_order(2), (std::vector<std::uint32_t>{2, 4, 3, 1, 0}));
  // From us-west: itself, us-east (32.5), eu-west (65), eu-central (72.5), ap-south (110).
  EXPECT_EQ(l.endpoint_order(0), (std::vector<std::uint32_t>{0, 3, 2, 4, 1}));
}

}  // namespace
}  // namespace ccsim::scenarios

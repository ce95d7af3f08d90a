// What a message costs on a path, against figures worked out by hand: latency added up, then the
// bytes at the narrowest share, the TCP window bound on a long path, faults on top.
#include "sim/paths.h"

#include <gtest/gtest.h>

namespace ccsim::sim {
namespace {

using namespace std::chrono_literals;

scenarios::Scenario two_sites() {
  scenarios::Scenario s;
  s.cloud.bandwidth_bps = 10e9;
  s.cloud.latency = 1ms;
  for (const char* name : {"lund", "sky"}) {
    scenarios::Site site;
    site.name = name;
    site.uplink.bandwidth_bps = 50e6;  // 6.25 MB/s
    site.uplink.latency = 20ms;
    s.sites.push_back(site);
  }
  s.sites[1].uplink.latency = 600ms;  // a satellite link
  return s;
}

TEST(Paths, AMessageTakesTheLatencyThenItsBytesAtTheNarrowestLink) {
  const Paths paths(two_sites());
  EXPECT_EQ(paths.latency(0), 21ms);
  // 280 bytes at 6.25 MB/s: 44.8 us, rounded to 45.
  EXPECT_EQ(paths.one_way(0, 280, true), 21ms + 45us);
  EXPECT_EQ(paths.one_way(0, 280, false), 21ms + 45us);
  EXPECT_EQ(paths.opening_time(0), 6 * 21ms);  // three round trips
}

TEST(Paths, ALongPathIsHeldToOneTcpWindowPerRoundTrip) {
  const Paths paths(two_sites());
  // 601 ms each way: a window of 4 MiB per 1.202 s round trip is 3,489,437 B/s, under the
  // uplink's 6.25 MB/s; a megabyte takes 286,579 us at that rate.
  EXPECT_EQ(paths.one_way(1, 1'000'000, true), 601ms + 286'579us);
}

TEST(Paths, BulkFlowsTakeTheirShareOfTheirWayOnly) {
  Paths paths(two_sites());
  paths.add_flow(0, false);  // a download
  // Down, the message shares 6.25 MB/s with the download: 280 bytes at 3.125 MB/s, 89.6 us.
  EXPECT_EQ(paths.one_way(0, 280, false), 21ms + 90us);
  EXPECT_EQ(paths.one_way(0, 280, true), 21ms + 45us);
  paths.add_flow(0, false);
  paths.add_flow(0, false);  // three downloads: a quarter, 179.2 us
  EXPECT_EQ(paths.one_way(0, 280, false), 21ms + 179us);
  // Another site's uplink is not ours; its path is held to its TCP window (280 bytes at
  // 3,489,437 B/s: 80.2 us), far below the backbone's share.
  EXPECT_EQ(paths.one_way(1, 280, false), 601ms + 80us);
  paths.suspend_flows(0, true);  // cut off: its flows stand still
  EXPECT_EQ(paths.one_way(0, 280, false), 21ms + 45us);
  paths.suspend_flows(0, false);
  paths.remove_flow(0, false);
  paths.remove_flow(0, false);
  EXPECT_EQ(paths.one_way(0, 280, false), 21ms + 90us);
}

TEST(Paths, SpikesAddUpThrottlesHoldTheNarrowestJitterTheLargest) {
  Paths paths(two_sites());
  paths.add_spike(0, 100ms);
  paths.add_spike(0, 50ms);
  EXPECT_EQ(paths.latency(0), 171ms);
  EXPECT_EQ(paths.opening_time(0), 6 * 171ms);
  paths.remove_spike(0, 100ms);
  EXPECT_EQ(paths.uplink_latency(0), 70ms);
  paths.add_throttle(0, 8'000);  // 1 kB/s: 280 bytes take 280 ms
  paths.add_throttle(0, 2e6);
  EXPECT_EQ(paths.uplink_bps(0), 8'000);
  EXPECT_EQ(paths.one_way(0, 280, true), 71ms + 280ms);
  paths.remove_throttle(0, 8'000);
  EXPECT_EQ(paths.uplink_bps(0), 2e6);
  EXPECT_EQ(paths.jitter(0), 0ms);
  paths.add_jitter(0, 30ms);
  paths.add_jitter(0, 80ms);
  EXPECT_EQ(paths.jitter(0), 80ms);
  paths.remove_jitter(0, 80ms);
  EXPECT_EQ(paths.jitter(0), 30ms);
}

}  // namespace
}  // namespace ccsim::sim

// Regional device endpoints: the token bucket's arithmetic worked out by hand, and the platform
// node rationing hellos per region, counting connections per second, and sending failed-over
// devices home a few each second once their region is back.
#include "platform/regional_endpoints.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "platform/platform_node.h"
#include "platform/token_bucket.h"
#include "proto/frame.h"

namespace ccsim::platform {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 4 tokens a second, 2 at most: full at first, then one every 250 ms.
TEST(TokenBucket, StartsFullRefillsAtItsRateAndHoldsNoMoreThanItsBurst) {
  TokenBucket bucket(4, 2);
  EXPECT_TRUE(bucket.take(Time{}));
  EXPECT_TRUE(bucket.take(Time{}));
  EXPECT_FALSE(bucket.take(Time{}));
  EXPECT_EQ(bucket.wait(Time{}), milliseconds(250));
  EXPECT_FALSE(bucket.take(Time(milliseconds(249))));
  EXPECT_EQ(bucket.wait(Time(milliseconds(249))), milliseconds(1));
  EXPECT_TRUE(bucket.take(Time(milliseconds(250))));
  // Ten seconds idle fill it to its burst, not to 40.
  EXPECT_TRUE(bucket.take(Time(seconds(10))));
  EXPECT_TRUE(bucket.take(Time(seconds(10))));
  EXPECT_FALSE(bucket.take(Time(seconds(10))));
}

std::string hello_from(const std::string& serial, const std::string& region) {
  wire::Envelope e;
  wire::DeviceHello* h = e.mutable_hello();
  h->set_serial(serial);
  h->set_model("tier1-bullet");
  h->set_tier(1);
  h->set_os_version("11.11.0");
  h->set_region(region);
  e.set_source(serial);
  e.set_destination("platform");
  e.set_correlation_id(1);
  return wire::encode_frame(e);
}

wire::Envelope sent(const core::Outbox& out, std::size_t i = 0) {
  wire::Envelope e;
  EXPECT_LT(i, out.sends.size());
  if (i < out.sends.size()) (void)wire::decode_frame(out.sends[i].frame, e);
  return e;
}

// Two regions admitting 2 hellos a second, 3 at once, sending 1 device home a second.
struct TwoRegions {
  // Heartbeats hourly: no sweep gives anyone up while a test runs.
  TwoRegions() : node({std::chrono::hours(1), 3}, 100, nullptr) {
    node.set_regions({{"eu-west", 2, 3, 1, {0, 1}}, {"us-east", 2, 3, 1, {1, 0}}});
    node.start(Time{}, out);
  }
  core::Outbox& hello(Time now, ConnectionId connection, std::uint32_t region,
                      const std::string& home) {
    out.clear();
    node.on_connection_opened(now, connection, region);
    node.on_frame(now, connection, hello_from("SN" + std::to_string(connection), home), out);
    return out;
  }
  PlatformNode node;
  core::Outbox out;
};

// The bucket holds 3: the fourth hello in the same instant is told to come back in 500 ms (2 a
// second), and counted as deferred, not refused. The other region's bucket is its own.
TEST(RegionalEndpoints, AnEndpointPastItsRateAnswersBusyWithTheWait) {
  TwoRegions p;
  for (ConnectionId c = 1; c <= 3; ++c) {
    EXPECT_TRUE(sent(p.hello(Time{}, c, 0, "eu-west")).hello_ack().accepted()) << c;
  }
  const wire::HelloAck busy = sent(p.hello(Time{}, 4, 0, "eu-west")).hello_ack();
  EXPECT_FALSE(busy.accepted());
  EXPECT_EQ(busy.retry_after_ms(), 500u);
  EXPECT_NE(busy.reason().find("busy"), std::string::npos);
  EXPECT_EQ(p.node.metrics().hellos_deferred, 1u);
  EXPECT_EQ(p.node.metrics().hellos_refused, 0u);
  EXPECT_TRUE(sent(p.hello(Time{}, 5, 1, "us-east")).hello_ack().accepted());
  EXPECT_TRUE(sent(p.hello(Time(milliseconds(500)), 4, 0, "eu-west")).hello_ack().accepted());
  EXPECT_EQ(p.node.regions().metrics(0).hellos_admitted, 4u);
  EXPECT_EQ(p.node.regions().metrics(0).hellos_deferred, 1u);
  EXPECT_EQ(p.node.regions().metrics(0).connects_peak_per_second, 4u);
  EXPECT_EQ(p.node.regions().metrics(1).connects_peak_per_second, 1u);
}

// Three eu-west devices failed over to us-east while eu-west was down. Once it is back, one goes
// home each second (the return rate), in record order, each told with a Redirect naming eu-west.
TEST(RegionalEndpoints, FailedOverDevicesGoHomeAFewEachSecondOnceTheirRegionIsBack) {
  TwoRegions p;
  p.out.clear();
  p.node.set_region_up(Time{}, 0, false, p.out);
  EXPECT_TRUE(p.out.wakeups.empty());
  for (ConnectionId c = 1; c <= 3; ++c) p.hello(Time(seconds(c)), c, 1, "eu-west");
  EXPECT_EQ(p.node.find("SN1")->region, 1u);
  EXPECT_EQ(p.node.find("SN1")->home_region, 0u);
  p.out.clear();
  const Time back(seconds(100));
  p.node.set_region_up(back, 0, true, p.out);
  ASSERT_EQ(p.out.wakeups, std::vector<Time>{back});
  // One a second: at the heal, then 1 and 2 s later; each time the next look is armed a second
  // on, until nobody is away.
  std::vector<ConnectionId> told;
  for (int tick = 0; tick < 4; ++tick) {
    const Time now = back + seconds(tick);
    p.out.clear();
    p.node.on_wakeup(now, p.out);
    EXPECT_EQ(p.out.sends.size(), tick < 3 ? 1u : 0u) << tick;
    for (std::size_t i = 0; i < p.out.sends.size(); ++i) {
      EXPECT_EQ(sent(p.out, i).redirect().region(), "eu-west");
      told.push_back(p.out.sends[i].connection);
    }
    const bool armed = std::find(p.out.wakeups.begin(), p.out.wakeups.end(), now + seconds(1)) !=
                       p.out.wakeups.end();
    EXPECT_EQ(armed, tick < 2) << tick;
  }
  EXPECT_EQ(told, (std::vector<ConnectionId>{1, 2, 3}));
  EXPECT_EQ(p.node.metrics().redirects_sent, 3u);
  EXPECT_EQ(p.node.regions().metrics(0).redirects_sent, 3u);
}

// An upgrade drains eu-west: its two devices are sent to us-east, one a second, before it goes;
// once it is back, they are sent home the same way.
TEST(RegionalEndpoints, ADrainingRegionSendsItsDevicesOnThenTakesThemBack) {
  TwoRegions p;
  p.hello(Time{}, 1, 0, "eu-west");
  p.hello(Time{}, 2, 0, "eu-west");
  p.hello(Time{}, 3, 1, "us-east");
  const Time drain(seconds(60));
  p.out.clear();
  p.node.drain_region(drain, 0, p.out);
  EXPECT_FALSE(p.node.regions().up(0));
  std::vector<std::pair<ConnectionId, std::string>> told;
  for (int tick = 0; tick < 3; ++tick) {
    p.out.clear();
    p.node.on_wakeup(drain + seconds(tick), p.out);
    for (std::size_t i = 0; i < p.out.sends.size(); ++i) {
      told.emplace_back(p.out.sends[i].connection, sent(p.out, i).redirect().region());
    }
  }
  EXPECT_EQ(told,
            (std::vector<std::pair<ConnectionId, std::string>>{{1, "us-east"}, {2, "us-east"}}));
  // They come to us-east, away from home; eu-west comes back and takes them.
  p.hello(drain + seconds(5), 4, 1, "eu-west");
  p.hello(drain + seconds(5), 5, 1, "eu-west");
  p.out.clear();
  const Time back(seconds(700));
  p.node.set_region_up(back, 0, true, p.out);
  told.clear();
  for (int tick = 0; tick < 3; ++tick) {
    p.out.clear();
    p.node.on_wakeup(back + seconds(tick), p.out);
    for (std::size_t i = 0; i < p.out.sends.size(); ++i) {
      told.emplace_back(p.out.sends[i].connection, sent(p.out, i).redirect().region());
    }
  }
  EXPECT_EQ(told,
            (std::vector<std::pair<ConnectionId, std::string>>{{4, "eu-west"}, {5, "eu-west"}}));
  EXPECT_EQ(p.node.metrics().redirects_sent, 4u);
}

TEST(RegionalEndpoints, OneRegionAdmitsEverythingAndSendsNobodyAnywhere) {
  PlatformNode node({seconds(60), 3}, 100, nullptr);
  core::Outbox out;
  node.start(Time{}, out);
  for (ConnectionId c = 1; c <= 50; ++c) {
    out.clear();
    node.on_frame(Time{}, c, hello_from("SN" + std::to_string(c), "eu-west"), out);
    EXPECT_TRUE(sent(out).hello_ack().accepted());
  }
  EXPECT_EQ(node.metrics().hellos_deferred, 0u);
  EXPECT_FALSE(node.regions().several());
}

// The platform measures how long each device it marked disconnected stayed so.
TEST(RegionalEndpoints, TheTimeADeviceWasShownDisconnectedIsMeasured) {
  PlatformNode node({seconds(60), 3}, 100, nullptr);
  core::Outbox out;
  node.start(Time{}, out);
  node.on_frame(Time(seconds(5)), 1, hello_from("SN1", ""), out);
  node.on_connection_closed(Time(seconds(30)), 1);
  node.on_frame(Time(seconds(125)), 2, hello_from("SN1", ""), out);
  EXPECT_EQ(node.metrics().disconnected_us.count(), 1u);
  EXPECT_EQ(node.metrics().disconnected_us.max(), 95'000'000u);
}

}  // namespace
}  // namespace ccsim::platform

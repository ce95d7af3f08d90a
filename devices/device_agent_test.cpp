// The device agent on its own: the driver's side is played by hand, one input at a time, and
// every outbox is checked.
#include "devices/device_agent.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ccsim::devices {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const DeviceIdentity kIdentity{
    "ACCC8E000042", "tier1-bullet", "11.11.0", 1, "lts-2024", "", {}, {}, 50'000'000, 0, {}};

std::string from_platform(wire::Envelope envelope, std::uint64_t correlation_id = 1) {
  envelope.set_source("platform");
  envelope.set_destination(kIdentity.serial);
  envelope.set_correlation_id(correlation_id);
  envelope.set_sent_at_us(1);
  return wire::encode_frame(envelope);
}

std::string hello_ack(bool accepted, std::uint32_t interval_ms, const std::string& reason = "") {
  wire::Envelope e;
  e.mutable_hello_ack()->set_accepted(accepted);
  e.mutable_hello_ack()->set_heartbeat_interval_ms(interval_ms);
  e.mutable_hello_ack()->set_reason(reason);
  return from_platform(e);
}

std::string heartbeat_ack(std::uint64_t sequence) {
  wire::Envelope e;
  e.mutable_heartbeat_ack()->set_sequence(sequence);
  return from_platform(e);
}

wire::Envelope decoded(const std::string& frame) {
  wire::Envelope e;
  auto result = wire::decode_frame(frame, e);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(result)) << "agent sent a bad frame";
  return e;
}

// Expects `delay` drawn with full jitter below `cap`: in [0, cap).
void expect_jittered(Duration delay, Duration cap) {
  EXPECT_GE(delay.count(), 0) << delay.count() << " us below " << cap.count();
  EXPECT_LT(delay.count(), cap.count()) << delay.count() << " us below " << cap.count();
}

// One agent and its driver, played by hand. Each input clears the outbox first.
struct Agent {
  explicit Agent(std::uint64_t seed = 1, DeviceAgentConfig c = {},
                 DeviceIdentity identity = kIdentity)
      : config(c),
        agent(std::move(identity), config, core::RandomStream(seed, core::kDeviceStreamBase)) {}

  core::Outbox& start(Time now) {
    out.clear();
    agent.start(now, out);
    return out;
  }
  core::Outbox& wakeup(Time now) {
    out.clear();
    agent.on_wakeup(now, out);
    return out;
  }
  core::Outbox& connected(Time now) {
    out.clear();
    agent.on_connected(now, out);
    return out;
  }
  core::Outbox& disconnected(Time now) {
    out.clear();
    agent.on_disconnected(now, out);
    return out;
  }
  core::Outbox& frame(Time now, const std::string& f) {
    out.clear();
    agent.on_frame(now, f, out);
    return out;
  }
  // The only wake-up the last input asked for.
  Time the_wakeup() const {
    EXPECT_EQ(out.wakeups.size(), 1u);
    return out.wakeups.empty() ? Time{} : out.wakeups.front();
  }
  // Start; returns when the agent will ask to connect.
  Time start_at(Time now) {
    start(now);
    return the_wakeup();
  }
  // Start, connect, hello, ack: returns the time the agent went online (all at `now`).
  Time online(Time now, std::uint32_t interval_ms) {
    start(now);
    const Time at = the_wakeup();
    wakeup(at);
    EXPECT_TRUE(out.connect);
    connected(at);
    frame(at, hello_ack(true, interval_ms));
    EXPECT_EQ(agent.state(), AgentState::kOnline);
    return at;
  }

  DeviceAgentConfig config;
  DeviceAgent agent;
  core::Outbox out;
};

TEST(DeviceAgent, StartSchedulesOneWakeupWithinTheSpread) {
  std::set<Time> times;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Agent a(seed);
    core::Outbox& out = a.start(seconds(5));
    ASSERT_EQ(out.wakeups.size(), 1u);
    EXPECT_GE(out.wakeups[0], seconds(5));
    EXPECT_LT(out.wakeups[0], seconds(5) + a.config.start_spread);
    EXPECT_FALSE(out.connect);
    EXPECT_TRUE(out.sends.empty());
    EXPECT_EQ(a.agent.state(), AgentState::kIdle);
    times.insert(out.wakeups[0]);
  }
  EXPECT_GT(times.size(), 190u);  // spread out, not one instant for the whole fleet
}

TEST(DeviceAgent, ZeroSpreadStartsAtOnce) {
  DeviceAgentConfig config;
  config.start_spread = Duration::zero();
  Agent a(1, config);
  EXPECT_EQ(a.start(seconds(3)).wakeups, std::vector<Time>{seconds(3)});
}

TEST(DeviceAgent, WakeupAtTheDeadlineAsksToConnect) {
  Agent a;
  const Time at = a.start_at(Time{});
  core::Outbox& out = a.wakeup(at);
  EXPECT_TRUE(out.connect);
  EXPECT_TRUE(out.sends.empty());
  EXPECT_TRUE(out.wakeups.empty());
  EXPECT_EQ(a.agent.state(), AgentState::kConnecting);
  EXPECT_EQ(a.agent.metrics().connects_requested, 1u);
}

TEST(DeviceAgent, StaleWakeupsAreIgnored) {
  Agent a;
  const Time at = a.start_at(Time{});
  ASSERT_GT(at, Time{});
  EXPECT_TRUE(a.wakeup(at - microseconds(1)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  EXPECT_EQ(a.agent.metrics().connects_requested, 0u);

  a.wakeup(at);
  // Connecting: no deadline at all; a duplicate of the connect wake-up does nothing.
  EXPECT_TRUE(a.wakeup(at).empty());
  a.connected(at);
  const Time hello_deadline = a.the_wakeup();
  a.frame(at + seconds(1), hello_ack(true, 60'000));
  // The hello timeout is no longer the deadline: its wake-up comes before the first heartbeat.
  EXPECT_TRUE(a.wakeup(hello_deadline).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kOnline);
  EXPECT_EQ(a.agent.metrics().heartbeats_sent, 0u);
}

TEST(DeviceAgent, ConnectedSendsHelloWithItsIdentity) {
  Agent a;
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  core::Outbox& out = a.connected(at + milliseconds(7));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].connection, 0u);
  const wire::Envelope e = decoded(out.sends[0].frame);
  ASSERT_TRUE(e.has_hello());
  EXPECT_EQ(e.hello().serial(), kIdentity.serial);
  EXPECT_EQ(e.hello().model(), kIdentity.model);
  EXPECT_EQ(e.hello().os_version(), kIdentity.os_version);
  EXPECT_EQ(e.hello().tier(), kIdentity.tier);
  EXPECT_FALSE(e.hello().agent_version().empty());
  EXPECT_EQ(e.source(), kIdentity.serial);
  EXPECT_EQ(e.destination(), "platform");
  EXPECT_EQ(e.correlation_id(), 1u);
  EXPECT_EQ(e.sent_at_us(), static_cast<std::uint64_t>((at + milliseconds(7)).count()));
  EXPECT_EQ(out.wakeups, std::vector<Time>{at + milliseconds(7) + a.config.hello_timeout});
  EXPECT_EQ(a.agent.state(), AgentState::kHelloSent);
  EXPECT_EQ(a.agent.metrics().hellos_sent, 1u);
  // A second, unasked-for connection changes nothing.
  EXPECT_TRUE(a.connected(at + milliseconds(8)).empty());
}

TEST(DeviceAgent, AClockAheadStampsItsMessagesAheadAndMovesNoTimer) {
  Agent a;
  a.agent.set_clock_ahead(std::chrono::hours(7));
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  core::Outbox& out = a.connected(at);
  ASSERT_EQ(out.sends.size(), 1u);
  const wire::Envelope e = decoded(out.sends[0].frame);
  EXPECT_EQ(e.sent_at_us(), static_cast<std::uint64_t>((at + std::chrono::hours(7)).count()));
  // Its hello still times out after hello_timeout of true time.
  EXPECT_EQ(out.wakeups, std::vector<Time>{at + a.config.hello_timeout});
}

TEST(DeviceAgent, ConnectedWhenNotConnectingIsIgnored) {
  Agent a;
  a.start(Time{});
  EXPECT_TRUE(a.connected(Time{}).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
}

TEST(DeviceAgent, HelloAckSetsTheIntervalAndHeartbeatsFollowIt) {
  Agent a;
  const Time at = a.online(Time{}, 1500);
  EXPECT_EQ(a.out.wakeups, std::vector<Time>{at + milliseconds(1500)});
  EXPECT_TRUE(a.out.sends.empty());

  Time now = at;
  for (std::uint64_t sequence = 1; sequence <= 5; ++sequence) {
    now += milliseconds(1500);
    core::Outbox& out = a.wakeup(now);
    ASSERT_EQ(out.sends.size(), 1u);
    const wire::Envelope e = decoded(out.sends[0].frame);
    ASSERT_TRUE(e.has_heartbeat());
    EXPECT_EQ(e.heartbeat().sequence(), sequence);
    EXPECT_EQ(e.heartbeat().uptime_s(),
              static_cast<std::uint64_t>(std::chrono::duration_cast<seconds>(now).count()));
    EXPECT_EQ(e.correlation_id(), sequence + 1);  // the hello was 1
    EXPECT_EQ(out.wakeups, std::vector<Time>{now + milliseconds(1500)});
    a.frame(now + milliseconds(20), heartbeat_ack(sequence));
  }
  EXPECT_EQ(a.agent.metrics().heartbeats_sent, 5u);
  EXPECT_EQ(a.agent.metrics().heartbeats_acked, 5u);
  EXPECT_EQ(a.agent.metrics().presumed_dead, 0u);
  EXPECT_EQ(a.agent.state(), AgentState::kOnline);
}

TEST(DeviceAgent, AckWithoutIntervalKeepsTheConfiguredOne) {
  Agent a;
  const Time at = a.online(Time{}, 0);
  EXPECT_EQ(a.out.wakeups, std::vector<Time>{at + a.config.heartbeat_interval});
}

TEST(DeviceAgent, PresumedDeadAfterUnackedHeartbeatsMax) {
  Agent a;
  const Duration interval = seconds(60);
  const Time at = a.online(Time{}, 60'000);
  for (int k = 1; k <= 3; ++k) {
    EXPECT_EQ(a.wakeup(at + interval * k).sends.size(), 1u) << "heartbeat " << k;
    EXPECT_EQ(a.agent.state(), AgentState::kOnline) << "heartbeat " << k;
  }
  const Time dead_at = at + interval * 4;
  core::Outbox& out = a.wakeup(dead_at);
  EXPECT_TRUE(out.sends.empty());
  EXPECT_FALSE(out.connect);
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  EXPECT_EQ(a.agent.metrics().presumed_dead, 1u);
  expect_jittered(a.the_wakeup() - dead_at, seconds(3));
  a.wakeup(a.the_wakeup());
  EXPECT_TRUE(a.out.connect);
}

TEST(DeviceAgent, AnyAckResetsTheUnackedCount) {
  Agent a;
  const Duration interval = seconds(60);
  const Time at = a.online(Time{}, 60'000);
  Time now = at;
  // Two unanswered, then a late ack for the first one: the connection is alive after all.
  for (int round = 0; round < 5; ++round) {
    now += interval;
    a.wakeup(now);
    now += interval;
    a.wakeup(now);
    a.frame(now + seconds(1), heartbeat_ack(1));
  }
  now += interval;
  a.wakeup(now);
  EXPECT_EQ(a.agent.state(), AgentState::kOnline);
  EXPECT_EQ(a.agent.metrics().presumed_dead, 0u);
  EXPECT_EQ(a.agent.metrics().heartbeats_sent, 11u);
}

TEST(DeviceAgent, AckForAHeartbeatNotYetSentIsIgnored) {
  Agent a;
  const Time at = a.online(Time{}, 60'000);
  a.wakeup(at + seconds(60));  // heartbeat 1
  a.frame(at + seconds(61), heartbeat_ack(2));
  EXPECT_EQ(a.agent.metrics().heartbeats_acked, 0u);
  a.wakeup(at + seconds(120));
  a.wakeup(at + seconds(180));
  a.wakeup(at + seconds(240));
  EXPECT_EQ(a.agent.metrics().presumed_dead, 1u);
}

// Drives the agent from presumed dead through five failed hellos, returning each back-off delay.
std::vector<Duration> backoff_delays(Agent& a, Time at) {
  std::vector<Duration> delays;
  Time now = at + seconds(60) * 4;
  for (int k = 1; k <= 3; ++k) a.wakeup(at + seconds(60) * k);
  a.wakeup(now);  // presumed dead
  for (int attempt = 0; attempt < 6; ++attempt) {
    const Time reconnect_at = a.the_wakeup();
    delays.push_back(reconnect_at - now);
    a.wakeup(reconnect_at);
    EXPECT_TRUE(a.out.connect);
    a.connected(reconnect_at);
    now = a.the_wakeup();  // the hello timeout
    EXPECT_EQ(now - reconnect_at, a.config.hello_timeout);
    a.wakeup(now);  // nobody answered
    EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  }
  return delays;
}

// Each delay is drawn below its step (3, 6, 12, 24, then 30 s): over 50 devices, the longest
// drawn at each step comes close to the step (above 80% of it), the shortest close to zero.
TEST(DeviceAgent, BackoffGrowsThenStaysAtThirtySeconds) {
  const Duration caps[] = {seconds(3),  seconds(6),  seconds(12),
                           seconds(24), seconds(30), seconds(30)};
  std::vector<Duration> longest(6, Duration::zero()), shortest(6, Duration::max());
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Agent a(seed);
    const std::vector<Duration> delays = backoff_delays(a, a.online(Time{}, 60'000));
    ASSERT_EQ(delays.size(), 6u);
    for (std::size_t i = 0; i < delays.size(); ++i) {
      expect_jittered(delays[i], caps[i]);
      longest[i] = std::max(longest[i], delays[i]);
      shortest[i] = std::min(shortest[i], delays[i]);
    }
    EXPECT_EQ(a.agent.metrics().presumed_dead, 1u);
    EXPECT_EQ(a.agent.metrics().hellos_sent, 7u);
  }
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_GT(longest[i] * 5, caps[i] * 4) << i;
    EXPECT_LT(shortest[i] * 5, caps[i]) << i;
  }
}

// By hand: doubling from `first` until `cap`, which then holds.
TEST(DeviceAgent, ReconnectCapsDoubleFromTheFirstUpToTheCap) {
  const ReconnectBackoff standard;
  const std::vector<Duration> expected = {seconds(3),  seconds(6),  seconds(12),
                                          seconds(24), seconds(30), seconds(30)};
  for (std::uint32_t step = 0; step < expected.size(); ++step) {
    EXPECT_EQ(reconnect_delay_cap(standard, step), expected[step]) << step;
  }
  const ReconnectBackoff quick{std::chrono::milliseconds(500), seconds(5)};
  EXPECT_EQ(reconnect_delay_cap(quick, 0), std::chrono::milliseconds(500));
  EXPECT_EQ(reconnect_delay_cap(quick, 3), seconds(4));
  EXPECT_EQ(reconnect_delay_cap(quick, 4), seconds(5));
  EXPECT_EQ(reconnect_delay_cap(quick, UINT32_MAX), seconds(5));
  const ReconnectBackoff flat{seconds(10), seconds(10)};
  EXPECT_EQ(reconnect_delay_cap(flat, 7), seconds(10));
}

// An agent configured otherwise draws below its own caps: 1, 2, 4, 5, 5 s.
TEST(DeviceAgent, AConfiguredBackoffIsTheOneDrawnBelow) {
  DeviceAgentConfig config;
  config.reconnect = {seconds(1), seconds(5)};
  const Duration caps[] = {seconds(1), seconds(2), seconds(4), seconds(5), seconds(5), seconds(5)};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Agent a(seed, config);
    const std::vector<Duration> delays = backoff_delays(a, a.online(Time{}, 60'000));
    for (std::size_t i = 0; i < delays.size(); ++i) expect_jittered(delays[i], caps[i]);
  }
}

TEST(DeviceAgent, BackoffJitterDiffersBetweenDevices) {
  std::set<Duration> first_delays;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Agent a(seed);
    first_delays.insert(backoff_delays(a, a.online(Time{}, 60'000)).front());
  }
  EXPECT_GT(first_delays.size(), 15u);
}

TEST(DeviceAgent, AcceptedHelloResetsTheBackoff) {
  Agent a;
  backoff_delays(a, a.online(Time{}, 60'000));
  Time now = a.the_wakeup();
  a.wakeup(now);
  a.connected(now);
  a.frame(now, hello_ack(true, 60'000));
  ASSERT_EQ(a.agent.state(), AgentState::kOnline);
  for (int k = 1; k <= 4; ++k) a.wakeup(now + seconds(60) * k);
  EXPECT_EQ(a.agent.metrics().presumed_dead, 2u);
  expect_jittered(a.the_wakeup() - (now + seconds(240)), seconds(3));
}

TEST(DeviceAgent, HelloTimeoutBacksOff) {
  Agent a;
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  a.connected(at);
  const Time timeout = a.the_wakeup();
  EXPECT_TRUE(a.wakeup(timeout - microseconds(1)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kHelloSent);
  core::Outbox& out = a.wakeup(timeout);
  EXPECT_TRUE(out.sends.empty());
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  expect_jittered(a.the_wakeup() - timeout, seconds(3));
  // The platform's answer arriving after the agent gave up is ignored.
  EXPECT_TRUE(a.frame(timeout + seconds(1), hello_ack(true, 60'000)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
}

TEST(DeviceAgent, LostConnectionBacksOff) {
  Agent a;
  const Time at = a.online(Time{}, 60'000);
  core::Outbox& out = a.disconnected(at + seconds(10));
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  expect_jittered(a.the_wakeup() - (at + seconds(10)), seconds(3));
  EXPECT_FALSE(out.connect);
  EXPECT_TRUE(a.wakeup(a.the_wakeup()).connect);
  // The heartbeat deadline went with the connection: its wake-up sends nothing.
  EXPECT_TRUE(a.wakeup(at + seconds(60)).empty());
  EXPECT_EQ(a.agent.metrics().heartbeats_sent, 0u);
}

TEST(DeviceAgent, PoweredOffItSaysNothingAndBootsOnlyWhenEveryPowerOffIsMatched) {
  Agent a;
  const Time at = a.online(Time{}, 60'000);
  a.agent.power_off(at + seconds(10));  // a site's power loss
  EXPECT_EQ(a.agent.state(), AgentState::kOff);
  a.agent.power_off(at + seconds(20));  // and the device's own crash, overlapping it
  // Off, its heartbeat deadline and anything the platform sends go unanswered.
  EXPECT_TRUE(a.wakeup(at + seconds(60)).empty());
  EXPECT_TRUE(a.frame(at + seconds(61), hello_ack(true, 60'000)).empty());
  EXPECT_EQ(a.agent.metrics().heartbeats_sent, 0u);
  // The power comes back; the crash still holds.
  a.out.clear();
  a.agent.power_on(at + seconds(300), a.out);
  EXPECT_EQ(a.agent.state(), AgentState::kOff);
  EXPECT_TRUE(a.out.empty());
  // The crash ends: it boots for 60 s, then asks to connect.
  a.out.clear();
  a.agent.power_on(at + seconds(400), a.out);
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  EXPECT_EQ(a.the_wakeup(), at + seconds(460));
  EXPECT_TRUE(a.wakeup(at + seconds(460)).connect);
  // A power_on with nothing to match changes nothing.
  a.out.clear();
  a.agent.power_on(at + seconds(461), a.out);
  EXPECT_TRUE(a.out.empty());
  EXPECT_EQ(a.agent.state(), AgentState::kConnecting);
}

TEST(DeviceAgent, DisconnectWhileAlreadyBackingOffChangesNothing) {
  Agent a;
  const Time at = a.online(Time{}, 60'000);
  a.disconnected(at + seconds(10));
  const Time retry = a.the_wakeup();
  // A second report of the same loss (a driver telling twice) must not push the retry further
  // out or grow the back-off.
  EXPECT_TRUE(a.disconnected(at + seconds(11)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  EXPECT_TRUE(a.wakeup(retry).connect);
}

TEST(DeviceAgent, RefusedHelloLeavesTheAgentQuiet) {
  Agent a;
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  a.connected(at);
  const Time timeout = a.the_wakeup();
  EXPECT_TRUE(a.frame(at + seconds(1), hello_ack(false, 0, "fleet full")).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kRefused);
  EXPECT_TRUE(a.wakeup(timeout).empty());
  EXPECT_TRUE(a.wakeup(timeout + minutes(60)).empty());
  EXPECT_TRUE(a.disconnected(timeout + minutes(61)).empty());
  EXPECT_TRUE(a.frame(timeout + minutes(62), heartbeat_ack(1)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kRefused);
  EXPECT_EQ(a.agent.metrics().connects_requested, 1u);
}

TEST(DeviceAgent, HeartbeatLimitEndsWithGoodbyeAndClose) {
  DeviceAgentConfig config;
  config.heartbeat_limit = 2;
  Agent a(1, config);
  const Time at = a.online(Time{}, 60'000);
  a.wakeup(at + seconds(60));
  EXPECT_TRUE(a.frame(at + seconds(61), heartbeat_ack(1)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kOnline);
  a.wakeup(at + seconds(120));
  core::Outbox& out = a.frame(at + seconds(121), heartbeat_ack(2));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_TRUE(decoded(out.sends[0].frame).has_goodbye());
  ASSERT_EQ(out.closes.size(), 1u);
  EXPECT_EQ(out.closes[0].connection, out.sends[0].connection);
  EXPECT_TRUE(out.wakeups.empty());
  EXPECT_EQ(a.agent.state(), AgentState::kDone);
  // Done is final: the heartbeat wake-up already queued, a closed connection, a late ack.
  EXPECT_TRUE(a.wakeup(at + seconds(180)).empty());
  EXPECT_TRUE(a.disconnected(at + seconds(181)).empty());
  EXPECT_TRUE(a.frame(at + seconds(182), heartbeat_ack(2)).empty());
  EXPECT_EQ(a.agent.state(), AgentState::kDone);
  EXPECT_EQ(a.agent.metrics().heartbeats_acked, 2u);
}

TEST(DeviceAgent, JunkFramesAreCountedAndChangeNothing) {
  Agent a;
  const Time at = a.online(Time{}, 60'000);
  wire::Envelope heartbeat;  // a device-to-cloud body, which an agent never expects
  heartbeat.mutable_heartbeat()->set_sequence(1);
  EXPECT_TRUE(a.frame(at, std::string("\xff\xff\xff", 3)).empty());
  EXPECT_TRUE(a.frame(at, std::string(wire::kFrameBytesMax + 1, 'x')).empty());
  EXPECT_TRUE(a.frame(at, from_platform(heartbeat)).empty());
  EXPECT_TRUE(a.frame(at, from_platform(wire::Envelope{})).empty());
  EXPECT_EQ(a.agent.metrics().frame_errors, 4u);
  EXPECT_EQ(a.agent.state(), AgentState::kOnline);
  EXPECT_EQ(a.wakeup(at + seconds(60)).sends.size(), 1u);
}

// Every wake-up time an agent asks for through a scripted life with failures.
std::vector<Time> wakeup_times(std::uint64_t seed) {
  Agent a(seed);
  std::vector<Time> times;
  a.start(Time{});
  Time now = a.the_wakeup();
  times.push_back(now);
  for (int cycle = 0; cycle < 4; ++cycle) {
    a.wakeup(now);
    a.connected(now);
    now = a.the_wakeup();  // the hello goes unanswered
    a.wakeup(now);
    now = a.the_wakeup();
    times.push_back(now);
  }
  return times;
}

TEST(DeviceAgent, SameSeedSameWakeupsDifferentSeedDifferent) {
  EXPECT_EQ(wakeup_times(7), wakeup_times(7));
  EXPECT_NE(wakeup_times(7), wakeup_times(8));
}

// ---------------------------------------------------------------------------------------------
// Onboarding and modes: the hello's identity, provisioning, mode changes and local reports.

// A recorder on a LAN carrying two Tier-2 cameras, one of which does not know its track.
const DeviceIdentity kRecorder{"REC-1",
                               "recorder-8",
                               "11.11.0",
                               1,
                               "active",
                               "lan-b",
                               {{"DOME-1", "tier2-dome", "10.12.5", "lts-2022", {}},
                                {"DOME-2", "tier2-dome", "10.12.6", "", {}}},
                               {},
                               50'000'000,
                               0,
                               {}};

std::string provision(const std::string& serial, const std::string& os_track = "lts-2024") {
  wire::Envelope e;
  wire::Provision* p = e.mutable_provision();
  p->set_serial(serial);
  p->set_organization("org-000001");
  p->set_profile("managed-lts");
  p->set_mode("managed");
  p->set_os_track(os_track);
  return from_platform(e);
}

std::string mode_change(const std::string& serial, const std::string& mode) {
  wire::Envelope e;
  e.mutable_mode_change()->set_serial(serial);
  e.mutable_mode_change()->set_mode(mode);
  e.mutable_mode_change()->set_cause("onboarded");
  return from_platform(e);
}

// The one frame `out` holds, decoded.
wire::Envelope the_frame(const core::Outbox& out) {
  EXPECT_EQ(out.sends.size(), 1u);
  return out.sends.empty() ? wire::Envelope{} : decoded(out.sends.front().frame);
}

TEST(DeviceAgent, HelloCarriesTrackLanAndHostedDevices) {
  Agent a(1, {}, kRecorder);
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  const wire::Envelope e = the_frame(a.connected(at));
  ASSERT_TRUE(e.has_hello());
  const wire::DeviceHello& hello = e.hello();
  EXPECT_EQ(hello.serial(), "REC-1");
  EXPECT_EQ(hello.os_track(), "active");
  EXPECT_EQ(hello.lan(), "lan-b");
  ASSERT_EQ(hello.hosted_size(), 2);
  EXPECT_EQ(hello.hosted(0).serial(), "DOME-1");
  EXPECT_EQ(hello.hosted(0).model(), "tier2-dome");
  EXPECT_EQ(hello.hosted(0).os_version(), "10.12.5");
  EXPECT_EQ(hello.hosted(0).os_track(), "lts-2022");
  EXPECT_EQ(hello.hosted(1).serial(), "DOME-2");
  EXPECT_EQ(hello.hosted(1).os_version(), "10.12.6");
  EXPECT_TRUE(hello.hosted(1).os_track().empty());

  // A plain camera says its track, no LAN and carries nothing.
  Agent camera;
  const Time camera_at = camera.start_at(Time{});
  camera.wakeup(camera_at);
  const wire::Envelope plain = the_frame(camera.connected(camera_at));
  EXPECT_EQ(plain.hello().os_track(), "lts-2024");
  EXPECT_TRUE(plain.hello().lan().empty());
  EXPECT_EQ(plain.hello().hosted_size(), 0);
}

TEST(DeviceAgent, ProvisionIsAcceptedForItselfAndTheDevicesItCarries) {
  Agent a(1, {}, kRecorder);
  const Time at = a.online(Time{}, 60'000);

  const wire::Envelope self = the_frame(a.frame(at + seconds(1), provision("REC-1")));
  EXPECT_TRUE(a.out.wakeups.empty());
  ASSERT_TRUE(self.has_provision_ack());
  EXPECT_EQ(self.source(), "REC-1");
  EXPECT_EQ(self.destination(), "platform");
  EXPECT_EQ(self.provision_ack().serial(), "REC-1");
  EXPECT_TRUE(self.provision_ack().accepted());
  EXPECT_EQ(self.provision_ack().os_version(), "11.11.0");
  EXPECT_EQ(self.provision_ack().os_track(), "active");  // its own, not the one provisioned
  EXPECT_TRUE(self.provision_ack().reason().empty());

  const wire::ProvisionAck dome1 =
      the_frame(a.frame(at + seconds(2), provision("DOME-1"))).provision_ack();
  EXPECT_EQ(dome1.serial(), "DOME-1");
  EXPECT_TRUE(dome1.accepted());
  EXPECT_EQ(dome1.os_version(), "10.12.5");
  EXPECT_EQ(dome1.os_track(), "lts-2022");

  // A device that does not know its track reports the one it is provisioned for.
  const wire::ProvisionAck dome2 =
      the_frame(a.frame(at + seconds(3), provision("DOME-2", "lts-2024"))).provision_ack();
  EXPECT_EQ(dome2.serial(), "DOME-2");
  EXPECT_TRUE(dome2.accepted());
  EXPECT_EQ(dome2.os_version(), "10.12.6");
  EXPECT_EQ(dome2.os_track(), "lts-2024");

  const wire::ProvisionAck stranger =
      the_frame(a.frame(at + seconds(4), provision("CAM-9"))).provision_ack();
  EXPECT_EQ(stranger.serial(), "CAM-9");
  EXPECT_FALSE(stranger.accepted());
  EXPECT_FALSE(stranger.reason().empty());
  EXPECT_TRUE(stranger.os_version().empty());

  EXPECT_EQ(a.agent.metrics().provisions_accepted, 3u);
  EXPECT_EQ(a.agent.metrics().provisions_refused, 1u);
  EXPECT_EQ(a.agent.metrics().frame_errors, 0u);
  // Provisioning does not change the mode: the platform's ModeChange does.
  EXPECT_EQ(a.agent.mode(0), LocalMode::kStandalone);
}

TEST(DeviceAgent, ProvisionBeforeTheHelloIsAcceptedIsNotAnswered) {
  Agent a;
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  a.connected(at);
  EXPECT_TRUE(a.frame(at + seconds(1), provision(kIdentity.serial)).empty());
  EXPECT_EQ(a.agent.metrics().provisions_accepted, 0u);
  EXPECT_EQ(a.agent.metrics().provisions_refused, 0u);
}

TEST(DeviceAgent, ModeChangeSetsTheModeOfTheDeviceItNames) {
  Agent a(1, {}, kRecorder);
  const Time at = a.online(Time{}, 60'000);
  EXPECT_TRUE(a.frame(at, mode_change("REC-1", "managed")).empty());
  EXPECT_EQ(a.agent.mode(0), LocalMode::kManaged);
  EXPECT_EQ(a.agent.mode(1), LocalMode::kStandalone);
  EXPECT_EQ(a.agent.mode(2), LocalMode::kStandalone);
  EXPECT_TRUE(a.frame(at, mode_change("DOME-2", "connected")).empty());
  EXPECT_EQ(a.agent.mode(2), LocalMode::kConnected);
  EXPECT_EQ(a.agent.mode(1), LocalMode::kStandalone);
  EXPECT_EQ(a.agent.mode(0), LocalMode::kManaged);
  a.frame(at, mode_change("REC-1", "standalone"));
  EXPECT_EQ(a.agent.mode(0), LocalMode::kStandalone);
  EXPECT_EQ(a.agent.metrics().mode_changes, 3u);
  EXPECT_EQ(a.agent.metrics().frame_errors, 0u);

  // A mode it does not know, or a serial it neither is nor carries: errors, nothing changes.
  EXPECT_TRUE(a.frame(at, mode_change("DOME-1", "turbo")).empty());
  EXPECT_TRUE(a.frame(at, mode_change("CAM-9", "managed")).empty());
  EXPECT_EQ(a.agent.metrics().frame_errors, 2u);
  EXPECT_EQ(a.agent.metrics().mode_changes, 3u);
  EXPECT_EQ(a.agent.mode(0), LocalMode::kStandalone);
  EXPECT_EQ(a.agent.mode(1), LocalMode::kStandalone);
  EXPECT_EQ(a.agent.mode(2), LocalMode::kConnected);
}

TEST(DeviceAgent, LocalActionsAreReportedAtOnceWhileOnline) {
  Agent a(1, {}, kRecorder);
  const Time at = a.online(Time{}, 60'000);
  a.out.clear();
  EXPECT_TRUE(a.agent.install_app(at + seconds(1), "REC-1", "motion-guard", a.out));
  const wire::Envelope app = the_frame(a.out);
  ASSERT_TRUE(app.has_device_report());
  EXPECT_EQ(app.device_report().serial(), "REC-1");
  EXPECT_EQ(app.device_report().app_installed(), "motion-guard");
  EXPECT_EQ(app.destination(), "platform");
  EXPECT_EQ(app.sent_at_us(), static_cast<std::uint64_t>((at + seconds(1)).count()));

  a.out.clear();
  EXPECT_TRUE(a.agent.use_local_administrator(at + seconds(2), "DOME-1", a.out));
  const wire::DeviceReport admin = the_frame(a.out).device_report();
  EXPECT_EQ(admin.serial(), "DOME-1");
  EXPECT_TRUE(admin.local_administrator_used());

  a.out.clear();
  EXPECT_TRUE(a.agent.install_os(at + seconds(3), "DOME-2", "11.0.0", "active", a.out));
  const wire::DeviceReport os = the_frame(a.out).device_report();
  EXPECT_EQ(os.serial(), "DOME-2");
  ASSERT_TRUE(os.has_os());
  EXPECT_EQ(os.os().version(), "11.0.0");
  EXPECT_EQ(os.os().track(), "active");
  EXPECT_EQ(a.agent.identity().hosted[1].os_version, "11.0.0");
  // The new OS is what the device reports from now on.
  const wire::ProvisionAck ack =
      the_frame(a.frame(at + seconds(4), provision("DOME-2"))).provision_ack();
  EXPECT_EQ(ack.os_version(), "11.0.0");
  EXPECT_EQ(ack.os_track(), "active");

  // Not a device this agent is or carries.
  a.out.clear();
  EXPECT_FALSE(a.agent.install_app(at + seconds(5), "CAM-9", "motion-guard", a.out));
  EXPECT_FALSE(a.agent.use_local_administrator(at + seconds(5), "CAM-9", a.out));
  EXPECT_FALSE(a.agent.install_os(at + seconds(5), "CAM-9", "11.0.0", "active", a.out));
  EXPECT_TRUE(a.out.empty());
  EXPECT_EQ(a.agent.metrics().reports_sent, 3u);
  EXPECT_EQ(a.agent.metrics().reports_dropped, 0u);
}

TEST(DeviceAgent, ReportsWaitWhileOfflineAndGoAfterTheNextAcceptedHello) {
  Agent a;
  const Time at = a.start_at(Time{});
  a.out.clear();
  EXPECT_TRUE(a.agent.install_app(at, kIdentity.serial, "first-app", a.out));
  EXPECT_TRUE(a.agent.use_local_administrator(at, kIdentity.serial, a.out));
  EXPECT_TRUE(a.out.empty());
  a.wakeup(at);
  // Connected, hello sent, not yet accepted: still waiting.
  EXPECT_EQ(a.connected(at).sends.size(), 1u);
  EXPECT_TRUE(decoded(a.out.sends[0].frame).has_hello());
  a.out.clear();
  EXPECT_TRUE(a.agent.install_os(at, kIdentity.serial, "11.12.0", "lts-2024", a.out));
  EXPECT_TRUE(a.out.sends.empty());
  EXPECT_EQ(a.agent.metrics().reports_sent, 0u);

  core::Outbox& out = a.frame(at + seconds(1), hello_ack(true, 60'000));
  ASSERT_EQ(out.sends.size(), 3u);
  EXPECT_EQ(out.wakeups, std::vector<Time>{at + seconds(1) + seconds(60)});
  const wire::Envelope first = decoded(out.sends[0].frame);
  EXPECT_EQ(first.device_report().app_installed(), "first-app");
  EXPECT_TRUE(decoded(out.sends[1].frame).device_report().local_administrator_used());
  EXPECT_EQ(decoded(out.sends[2].frame).device_report().os().version(), "11.12.0");
  EXPECT_EQ(first.sent_at_us(), static_cast<std::uint64_t>((at + seconds(1)).count()));
  EXPECT_EQ(a.agent.metrics().reports_sent, 3u);

  // Sent once: the next accepted hello, after a lost connection, does not repeat them.
  a.disconnected(at + seconds(10));
  const Time retry = a.the_wakeup();
  a.out.clear();
  EXPECT_TRUE(a.agent.install_app(retry, kIdentity.serial, "second-app", a.out));
  EXPECT_TRUE(a.out.empty());
  a.wakeup(retry);
  a.connected(retry);
  core::Outbox& again = a.frame(retry + seconds(1), hello_ack(true, 60'000));
  ASSERT_EQ(again.sends.size(), 1u);
  EXPECT_EQ(decoded(again.sends[0].frame).device_report().app_installed(), "second-app");
  EXPECT_EQ(a.agent.metrics().reports_sent, 4u);
}

TEST(DeviceAgent, OfflineReportsAreBoundedDroppingTheOldest) {
  Agent a;
  const Time at = a.start_at(Time{});
  const std::size_t extra = 3;
  a.out.clear();
  for (std::size_t i = 0; i < kReportsQueuedMax + extra; ++i) {
    EXPECT_TRUE(a.agent.install_app(at, kIdentity.serial, "app-" + std::to_string(i), a.out));
  }
  EXPECT_TRUE(a.out.empty());
  EXPECT_EQ(a.agent.metrics().reports_dropped, extra);
  a.wakeup(at);
  a.connected(at);
  core::Outbox& out = a.frame(at, hello_ack(true, 60'000));
  ASSERT_EQ(out.sends.size(), kReportsQueuedMax);
  EXPECT_EQ(decoded(out.sends.front().frame).device_report().app_installed(),
            "app-" + std::to_string(extra));
  EXPECT_EQ(decoded(out.sends.back().frame).device_report().app_installed(),
            "app-" + std::to_string(kReportsQueuedMax + extra - 1));
  EXPECT_EQ(a.agent.metrics().reports_sent, kReportsQueuedMax);
  EXPECT_EQ(a.agent.metrics().reports_dropped, extra);
}

TEST(DeviceAgent, RefusedHelloSendsNoQueuedReports) {
  Agent a;
  const Time at = a.start_at(Time{});
  a.out.clear();
  EXPECT_TRUE(a.agent.install_app(at, kIdentity.serial, "motion-guard", a.out));
  a.wakeup(at);
  a.connected(at);
  EXPECT_TRUE(a.frame(at, hello_ack(false, 0, "unknown device")).empty());
  EXPECT_EQ(a.agent.metrics().reports_sent, 0u);
}

TEST(DeviceAgent, StateNamesAreStable) {
  EXPECT_EQ(agent_state_name(AgentState::kIdle), "idle");
  EXPECT_EQ(agent_state_name(AgentState::kConnecting), "connecting");
  EXPECT_EQ(agent_state_name(AgentState::kHelloSent), "hello_sent");
  EXPECT_EQ(agent_state_name(AgentState::kOnline), "online");
  EXPECT_EQ(agent_state_name(AgentState::kRefused), "refused");
  EXPECT_EQ(agent_state_name(AgentState::kDone), "done");
}

}  // namespace
}  // namespace ccsim::devices

namespace ccsim::devices {
namespace {

// Three regions; a device of region 1 ("eu-central") tries 1, then 0, then 2.
DeviceAgentConfig three_regions() {
  DeviceAgentConfig c;
  c.regions = {"eu-west", "eu-central", "us-east"};
  c.endpoint_orders = {{0, 1, 2}, {1, 0, 2}, {2, 0, 1}};
  return c;
}
DeviceIdentity in_region(std::uint32_t region) {
  DeviceIdentity identity = kIdentity;
  identity.home_region = region;
  return identity;
}

TEST(DeviceAgentRegions, TheHelloNamesTheDevicesRegionAndItsFirstAttemptGoesThere) {
  Agent a(1, three_regions(), in_region(1));
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  ASSERT_TRUE(a.out.connect);
  EXPECT_EQ(a.out.connect_region, 1u);
  a.connected(at);
  ASSERT_EQ(a.out.sends.size(), 1u);
  EXPECT_EQ(decoded(a.out.sends[0].frame).hello().region(), "eu-central");
}

// A connection that does not open moves the next attempt to the next region in the list, round
// and round; one lost after it opened is tried again at the same region first.
TEST(DeviceAgentRegions, AFailedAttemptMovesToTheNextRegionALostConnectionStays) {
  Agent a(1, three_regions(), in_region(1));
  Time now = a.start_at(Time{});
  std::vector<std::uint32_t> tried;
  for (int attempt = 0; attempt < 4; ++attempt) {
    a.wakeup(now);
    ASSERT_TRUE(a.out.connect);
    tried.push_back(a.out.connect_region);
    a.disconnected(now + seconds(10));  // the connection never opened
    now = a.the_wakeup();
  }
  EXPECT_EQ(tried, (std::vector<std::uint32_t>{1, 0, 2, 1}));
  a.wakeup(now);
  a.connected(now);
  a.frame(now, hello_ack(true, 60'000));
  ASSERT_EQ(a.agent.state(), AgentState::kOnline);
  a.disconnected(now + seconds(5));  // lost while online
  a.wakeup(a.the_wakeup());
  EXPECT_EQ(a.out.connect_region, 0u) << "the region that had it, tried again first";
}

TEST(DeviceAgentRegions, AHelloTimeoutCountsAgainstTheRegion) {
  Agent a(1, three_regions(), in_region(2));
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  a.connected(at);
  a.wakeup(a.the_wakeup());  // the hello timeout
  a.wakeup(a.the_wakeup());
  EXPECT_EQ(a.out.connect_region, 0u);
}

// "Busy, retry after 40 s": the device closes, stays with the region, and comes back no sooner.
TEST(DeviceAgentRegions, ABusyEndpointIsTriedAgainAfterTheWaitItAsks) {
  Agent a(1, three_regions(), in_region(0));
  const Time at = a.start_at(Time{});
  a.wakeup(at);
  a.connected(at);
  wire::Envelope busy;
  busy.mutable_hello_ack()->set_accepted(false);
  busy.mutable_hello_ack()->set_reason("busy");
  busy.mutable_hello_ack()->set_retry_after_ms(40'000);
  a.frame(at, from_platform(busy));
  EXPECT_EQ(a.out.closes.size(), 1u);
  EXPECT_EQ(a.agent.state(), AgentState::kIdle);
  EXPECT_EQ(a.agent.metrics().hellos_deferred, 1u);
  const Time again = a.the_wakeup();
  EXPECT_GE(again, at + seconds(40));
  EXPECT_LT(again, at + seconds(43)) << "the wait, or the back-off's draw below 3 s";
  a.wakeup(again);
  EXPECT_EQ(a.out.connect_region, 0u);
}

// Sent home: the device closes its working connection and connects to its own region within
// kRedirectSpread; a Redirect naming no region of its list changes nothing.
TEST(DeviceAgentRegions, ARedirectSendsTheDeviceToTheRegionItNames) {
  Agent a(1, three_regions(), in_region(1));
  Time now = a.start_at(Time{});
  a.wakeup(now);
  a.disconnected(now + seconds(10));  // eu-central does not answer
  now = a.the_wakeup();
  a.wakeup(now);
  ASSERT_EQ(a.out.connect_region, 0u);
  a.connected(now);
  a.frame(now, hello_ack(true, 60'000));
  wire::Envelope nowhere;
  nowhere.mutable_redirect()->set_region("mars");
  EXPECT_TRUE(a.frame(now + seconds(1), from_platform(nowhere)).closes.empty());
  wire::Envelope home;
  home.mutable_redirect()->set_region("eu-central");
  a.frame(now + seconds(2), from_platform(home));
  EXPECT_EQ(a.out.closes.size(), 1u);
  const Time reconnect = a.the_wakeup();
  EXPECT_LT(reconnect, now + seconds(2) + kRedirectSpread);
  a.wakeup(reconnect);
  EXPECT_EQ(a.out.connect_region, 1u);
}

TEST(DeviceAgentRegions, WithoutRegionsEveryAttemptGoesToTheOneEndpoint) {
  Agent a;
  Time now = a.start_at(Time{});
  for (int attempt = 0; attempt < 3; ++attempt) {
    a.wakeup(now);
    EXPECT_EQ(a.out.connect_region, 0u);
    a.disconnected(now + seconds(10));
    now = a.the_wakeup();
  }
  a.wakeup(now);
  a.connected(now);
  EXPECT_EQ(decoded(a.out.sends[0].frame).hello().region(), "");
}

}  // namespace
}  // namespace ccsim::devices

// The platform node on its own (frames in, frames and timers out), then with a control plane
// (onboarding, hosts and their Tier-2 devices, device reports and modes), then in a loop with
// device agents over an in-memory network, including a cut and its healing.
#include "platform/platform_node.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <limits>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "devices/device_agent.h"

namespace ccsim::platform {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr Duration kInterval = minutes(1);
constexpr HeartbeatPolicy kPolicy{kInterval, 3};

std::string frame_from(const std::string& serial, std::uint64_t correlation_id,
                       wire::Envelope envelope) {
  envelope.set_source(serial);
  envelope.set_destination(std::string(kPlatformAddress));
  envelope.set_correlation_id(correlation_id);
  envelope.set_sent_at_us(1);
  return wire::encode_frame(envelope);
}

std::string hello(const std::string& serial, std::uint64_t correlation_id = 1,
                  const std::string& model = "tier1-bullet", std::uint32_t tier = 1,
                  const std::string& os_version = "11.11.0") {
  wire::Envelope e;
  wire::DeviceHello* h = e.mutable_hello();
  h->set_serial(serial);
  h->set_model(model);
  h->set_tier(tier);
  h->set_os_version(os_version);
  h->set_agent_version("test");
  return frame_from(serial, correlation_id, e);
}

std::string heartbeat(const std::string& serial, std::uint64_t sequence,
                      std::uint64_t correlation_id = 2) {
  wire::Envelope e;
  e.mutable_heartbeat()->set_sequence(sequence);
  return frame_from(serial, correlation_id, e);
}

std::string goodbye(const std::string& serial) {
  wire::Envelope e;
  e.mutable_goodbye()->set_reason("shutdown");
  return frame_from(serial, 3, e);
}

wire::Envelope decoded(const std::string& frame) {
  wire::Envelope e;
  auto result = wire::decode_frame(frame, e);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(result)) << "platform sent a bad frame";
  return e;
}

// A node that has started at time zero, with helpers that feed it and keep the last outbox.
struct Platform {
  explicit Platform(std::size_t fleet_size_max = 100, core::Trace* trace = nullptr,
                    HeartbeatPolicy policy = kPolicy)
      : node(policy, fleet_size_max, trace) {
    node.start(Time{}, out);
  }
  core::Outbox& frame(Time now, ConnectionId connection, const std::string& f) {
    out.clear();
    node.on_frame(now, connection, f, out);
    return out;
  }
  core::Outbox& wakeup(Time now) {
    out.clear();
    node.on_wakeup(now, out);
    return out;
  }
  DisconnectReason reason(const std::string& serial) const {
    return node.find(serial)->last_disconnect;
  }
  ConnectionStatus status(const std::string& serial) const { return node.find(serial)->status; }

  PlatformNode node;
  core::Outbox out;
};

TEST(PlatformNode, StartArmsTheFirstSweep) {
  PlatformNode node(kPolicy, 10, nullptr);
  core::Outbox out;
  node.start(seconds(5), out);
  EXPECT_EQ(out.wakeups, std::vector<Time>{seconds(5) + kInterval});
  EXPECT_TRUE(out.sends.empty());
  EXPECT_TRUE(out.closes.empty());
}

TEST(PlatformNode, HelloIsAcceptedAndRecorded) {
  Platform p;
  core::Outbox& out = p.frame(seconds(2), 7, hello("SN1", 11, "tier2-dome", 2, "10.12.5"));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].connection, 7u);
  EXPECT_TRUE(out.closes.empty());
  const wire::Envelope ack = decoded(out.sends[0].frame);
  ASSERT_TRUE(ack.has_hello_ack());
  EXPECT_TRUE(ack.hello_ack().accepted());
  EXPECT_EQ(ack.hello_ack().heartbeat_interval_ms(), 60'000u);
  EXPECT_TRUE(ack.hello_ack().reason().empty());
  EXPECT_EQ(ack.source(), "platform");
  EXPECT_EQ(ack.destination(), "SN1");
  EXPECT_EQ(ack.correlation_id(), 11u);
  EXPECT_EQ(ack.sent_at_us(), 2'000'000u);

  const DeviceConnection* record = p.node.find("SN1");
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->model, "tier2-dome");
  EXPECT_EQ(record->os_version, "10.12.5");
  EXPECT_EQ(record->tier, 2u);
  EXPECT_EQ(record->status, ConnectionStatus::kConnected);
  EXPECT_EQ(record->connection, 7u);
  EXPECT_EQ(record->first_connected_at, seconds(2));
  EXPECT_EQ(record->last_seen, seconds(2));
  EXPECT_EQ(record->hellos, 1u);
  EXPECT_EQ(p.node.connected_count(), 1u);
  EXPECT_EQ(p.node.metrics().hellos_accepted, 1u);
  EXPECT_EQ(p.node.find("SN2"), nullptr);
}

TEST(PlatformNode, IntervalIsSentInMilliseconds) {
  Platform p(10, nullptr, HeartbeatPolicy{milliseconds(1500), 3});
  const wire::Envelope ack = decoded(p.frame(Time{}, 1, hello("SN1")).sends.at(0).frame);
  EXPECT_EQ(ack.hello_ack().heartbeat_interval_ms(), 1500u);
}

TEST(PlatformNode, HeartbeatIsAcknowledgedWithItsSequence) {
  Platform p;
  p.frame(seconds(1), 7, hello("SN1"));
  for (std::uint64_t sequence = 1; sequence <= 3; ++sequence) {
    const Time now = seconds(1) + kInterval * static_cast<int>(sequence);
    core::Outbox& out = p.frame(now, 7, heartbeat("SN1", sequence, 100 + sequence));
    ASSERT_EQ(out.sends.size(), 1u);
    EXPECT_EQ(out.sends[0].connection, 7u);
    const wire::Envelope ack = decoded(out.sends[0].frame);
    ASSERT_TRUE(ack.has_heartbeat_ack());
    EXPECT_EQ(ack.heartbeat_ack().sequence(), sequence);
    EXPECT_EQ(ack.correlation_id(), 100 + sequence);
    EXPECT_EQ(ack.destination(), "SN1");
    EXPECT_EQ(p.node.find("SN1")->last_seen, now);
  }
  EXPECT_EQ(p.node.find("SN1")->heartbeats, 3u);
  EXPECT_EQ(p.node.metrics().heartbeats_received, 3u);
}

TEST(PlatformNode, AnyConnectionIdWorksDenseOrSparse) {
  Platform p;
  const core::ConnectionId huge = std::numeric_limits<core::ConnectionId>::max() - 5;
  p.frame(seconds(1), 0, hello("SN0"));
  p.frame(seconds(1), 123'456, hello("SN1"));
  p.frame(seconds(1), huge, hello("SN2"));
  for (core::ConnectionId connection : {core::ConnectionId{0}, core::ConnectionId{123'456}, huge}) {
    core::Outbox& out = p.frame(seconds(2), connection, heartbeat("any", 1, 1));
    ASSERT_EQ(out.sends.size(), 1u) << connection;
    EXPECT_EQ(out.sends[0].connection, connection);
  }
  EXPECT_EQ(p.node.metrics().heartbeats_received, 3u);
  p.node.on_connection_closed(seconds(3), huge);
  EXPECT_EQ(p.node.find("SN2")->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(p.node.find("SN1")->status, ConnectionStatus::kConnected);
  // A connection never used, between dense ones, carries no device.
  p.frame(seconds(4), 77, heartbeat("SN9", 1, 1));
  EXPECT_EQ(p.node.metrics().frames_without_hello, 1u);
}

TEST(PlatformNode, HelloOfAnotherDeviceOnAConnectionDisconnectsTheFirst) {
  Platform p;
  p.frame(seconds(1), 7, hello("SN1"));
  p.frame(seconds(2), 7, hello("SN2"));
  EXPECT_EQ(p.node.find("SN1")->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(p.node.find("SN1")->last_disconnect, DisconnectReason::kConnectionClosed);
  EXPECT_EQ(p.node.find("SN2")->status, ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.connected_count(), 1u);
  // Heartbeats on the connection now count for the second device only.
  p.frame(seconds(3), 7, heartbeat("SN2", 1, 1));
  EXPECT_EQ(p.node.find("SN2")->heartbeats, 1u);
  EXPECT_EQ(p.node.find("SN1")->heartbeats, 0u);
}

TEST(PlatformNode, HeartbeatOrGoodbyeBeforeHelloIsCountedAndUnanswered) {
  Platform p;
  EXPECT_TRUE(p.frame(seconds(1), 7, heartbeat("SN1", 1)).empty());
  EXPECT_TRUE(p.frame(seconds(1), 7, goodbye("SN1")).empty());
  EXPECT_EQ(p.node.metrics().frames_without_hello, 2u);
  EXPECT_EQ(p.node.metrics().heartbeats_received, 0u);
  EXPECT_TRUE(p.node.devices().empty());
  // A hello on another connection does not make this one known.
  p.frame(seconds(2), 8, hello("SN1"));
  EXPECT_TRUE(p.frame(seconds(3), 7, heartbeat("SN1", 1)).empty());
  EXPECT_EQ(p.node.metrics().frames_without_hello, 3u);
}

TEST(PlatformNode, SilentDeviceIsDisconnectedAfterMissedHeartbeatsMaxAndNotBefore) {
  // Sweeps run at 1 us + k minutes. The device greeted at 1 us is exactly three intervals silent
  // at the third sweep, which is not yet too long; the device greeted at 0 is 1 us longer.
  PlatformNode node(kPolicy, 10, nullptr);
  core::Outbox out;
  const Time start = microseconds(1);
  node.on_frame(Time{}, 1, hello("EARLY"), out);
  node.start(start, out);
  node.on_frame(start, 2, hello("ON_TIME"), out);
  for (int k = 1; k <= 3; ++k) {
    out.clear();
    node.on_wakeup(start + kInterval * k, out);
    EXPECT_EQ(out.wakeups, std::vector<Time>{start + kInterval * (k + 1)});
    const ConnectionStatus early =
        k < 3 ? ConnectionStatus::kConnected : ConnectionStatus::kDisconnected;
    EXPECT_EQ(node.find("EARLY")->status, early) << "sweep " << k;
    EXPECT_EQ(node.find("ON_TIME")->status, ConnectionStatus::kConnected) << "sweep " << k;
  }
  EXPECT_EQ(node.find("EARLY")->last_disconnect, DisconnectReason::kMissedHeartbeats);
  out.clear();
  node.on_wakeup(start + kInterval * 4, out);
  EXPECT_EQ(node.find("ON_TIME")->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(node.find("ON_TIME")->last_disconnect, DisconnectReason::kMissedHeartbeats);
  EXPECT_EQ(node.metrics().disconnects_detected, 2u);
  EXPECT_EQ(node.connected_count(), 0u);
  EXPECT_EQ(node.find("EARLY")->disconnects, 1u);
  // Already disconnected devices are not counted again.
  out.clear();
  node.on_wakeup(start + kInterval * 5, out);
  EXPECT_EQ(node.metrics().disconnects_detected, 2u);
}

TEST(PlatformNode, HeartbeatsKeepADeviceConnected) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  for (int k = 1; k <= 20; ++k) {
    p.frame(kInterval * k - seconds(1), 1, heartbeat("SN1", static_cast<std::uint64_t>(k)));
    p.wakeup(kInterval * k);
  }
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.metrics().disconnects_detected, 0u);
}

TEST(PlatformNode, HeartbeatAfterMissedHeartbeatsReconnects) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  for (int k = 1; k <= 4; ++k) p.wakeup(kInterval * k);
  ASSERT_EQ(p.status("SN1"), ConnectionStatus::kDisconnected);
  EXPECT_EQ(p.node.metrics().reconnects, 0u);

  core::Outbox& out = p.frame(kInterval * 4 + seconds(1), 1, heartbeat("SN1", 5));
  EXPECT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.connected_count(), 1u);
  EXPECT_EQ(p.node.metrics().reconnects, 1u);
  // The reason stays as the last one seen, for whoever asks why it was away.
  EXPECT_EQ(p.reason("SN1"), DisconnectReason::kMissedHeartbeats);
}

TEST(PlatformNode, GoodbyeDisconnectsAndForgetsTheConnection) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  EXPECT_TRUE(p.frame(seconds(10), 1, goodbye("SN1")).empty());
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kDisconnected);
  EXPECT_EQ(p.reason("SN1"), DisconnectReason::kGoodbye);
  EXPECT_EQ(p.node.metrics().goodbyes_received, 1u);
  EXPECT_EQ(p.node.connected_count(), 0u);
  EXPECT_TRUE(p.frame(seconds(20), 1, heartbeat("SN1", 1)).empty());
  EXPECT_EQ(p.node.metrics().frames_without_hello, 1u);
  // The closing that follows a goodbye changes nothing.
  p.node.on_connection_closed(seconds(21), 1);
  EXPECT_EQ(p.reason("SN1"), DisconnectReason::kGoodbye);
  EXPECT_EQ(p.node.find("SN1")->disconnects, 1u);
}

TEST(PlatformNode, ClosedConnectionDisconnects) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  p.frame(Time{}, 2, hello("SN2"));
  p.node.on_connection_closed(seconds(5), 99);  // not a device's: ignored
  EXPECT_EQ(p.node.connected_count(), 2u);
  p.node.on_connection_closed(seconds(5), 1);
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kDisconnected);
  EXPECT_EQ(p.reason("SN1"), DisconnectReason::kConnectionClosed);
  EXPECT_EQ(p.status("SN2"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.connected_count(), 1u);
  EXPECT_TRUE(p.frame(seconds(6), 1, heartbeat("SN1", 1)).empty());
  EXPECT_EQ(p.node.metrics().frames_without_hello, 1u);

  // Back on a new connection: a reconnect.
  p.frame(seconds(7), 3, hello("SN1"));
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.find("SN1")->hellos, 2u);
  EXPECT_EQ(p.node.metrics().reconnects, 1u);
  EXPECT_EQ(p.node.devices().size(), 2u);
}

TEST(PlatformNode, FullFleetRefusesNewDevicesButNotKnownOnes) {
  Platform p(2);
  p.frame(Time{}, 1, hello("SN1"));
  p.frame(Time{}, 2, hello("SN2"));
  core::Outbox& out = p.frame(seconds(1), 3, hello("SN3", 9));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].connection, 3u);
  const wire::Envelope ack = decoded(out.sends[0].frame);
  ASSERT_TRUE(ack.has_hello_ack());
  EXPECT_FALSE(ack.hello_ack().accepted());
  EXPECT_NE(ack.hello_ack().reason().find("fleet full"), std::string::npos)
      << ack.hello_ack().reason();
  EXPECT_EQ(ack.destination(), "SN3");
  EXPECT_EQ(ack.correlation_id(), 9u);
  EXPECT_EQ(p.node.find("SN3"), nullptr);
  EXPECT_EQ(p.node.metrics().hellos_refused, 1u);
  EXPECT_EQ(p.node.devices().size(), 2u);
  // The refused connection is not a device's: its heartbeats are not answered.
  EXPECT_TRUE(p.frame(seconds(2), 3, heartbeat("SN3", 1)).empty());

  // A known device may come back even when the fleet is full.
  p.node.on_connection_closed(seconds(3), 1);
  const wire::Envelope again = decoded(p.frame(seconds(4), 4, hello("SN1")).sends.at(0).frame);
  EXPECT_TRUE(again.hello_ack().accepted());
  EXPECT_EQ(p.node.metrics().hellos_accepted, 3u);
}

TEST(PlatformNode, HelloOnANewConnectionClosesTheOldOne) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  core::Outbox& out = p.frame(seconds(5), 2, hello("SN1"));
  ASSERT_EQ(out.closes.size(), 1u);
  EXPECT_EQ(out.closes[0].connection, 1u);
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].connection, 2u);
  EXPECT_EQ(p.node.find("SN1")->connection, 2u);
  EXPECT_EQ(p.node.connected_count(), 1u);
  EXPECT_EQ(p.node.metrics().reconnects, 0u);  // never seen disconnected
  // The old connection's death, reported later, is not the device's.
  p.node.on_connection_closed(seconds(6), 1);
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_TRUE(p.frame(seconds(7), 1, heartbeat("SN1", 1)).empty());
  EXPECT_EQ(p.frame(seconds(7), 2, heartbeat("SN1", 1)).sends.size(), 1u);
}

TEST(PlatformNode, HelloOnTheSameConnectionDoesNotCloseIt) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  EXPECT_TRUE(p.frame(seconds(5), 1, hello("SN1")).closes.empty());
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.find("SN1")->hellos, 2u);
}

TEST(PlatformNode, OldConnectionClosingAfterAReconnectDoesNotDisconnect) {
  // The platform gave up on connection 1 (missed heartbeats); the device came back on 2. When
  // the driver later sees 1 die, the device is connected on 2 and must stay so.
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  for (int k = 1; k <= 4; ++k) p.wakeup(kInterval * k);
  ASSERT_EQ(p.status("SN1"), ConnectionStatus::kDisconnected);
  // The platform closes what it still holds of the old connection.
  EXPECT_EQ(p.frame(kInterval * 4 + seconds(1), 2, hello("SN1")).closes.size(), 1u);
  EXPECT_EQ(p.out.closes.at(0).connection, 1u);
  ASSERT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  p.node.on_connection_closed(kInterval * 4 + seconds(2), 1);
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.connected_count(), 1u);
  EXPECT_EQ(p.node.find("SN1")->disconnects, 1u);
  // Nor does a heartbeat arriving late on the old connection count as the device's.
  EXPECT_TRUE(p.frame(kInterval * 4 + seconds(3), 1, heartbeat("SN1", 9)).empty());
}

TEST(PlatformNode, FrameErrorsAreCountedByCodeAndNeverAnswered) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  const std::uint64_t accepted = p.node.metrics().hellos_accepted;

  wire::Envelope no_body;
  wire::Envelope stray_ack;
  stray_ack.mutable_heartbeat_ack()->set_sequence(1);
  const std::string frames[] = {
      std::string(wire::kFrameBytesMax + 1, 'x'),  // oversized
      std::string("\x0a\x05"
                  "ab",
                  4),                      // malformed: truncated source
      std::string("\xff\xff", 2),          // malformed
      frame_from("SN1", 1, no_body),       // unknown body
      hello("SN1", 1, "tier1-bullet", 3),  // field out of range: tier 3
      hello("", 1),                        // field out of range: empty serial
      frame_from("SN1", 1, stray_ack),     // an acknowledgement the platform never expects
  };
  for (const std::string& frame : frames) {
    EXPECT_TRUE(p.frame(seconds(1), 1, frame).empty());
  }
  const auto& errors = p.node.metrics().frame_errors;
  EXPECT_EQ(errors[static_cast<std::size_t>(wire::FrameErrorCode::kOversized)], 1u);
  EXPECT_EQ(errors[static_cast<std::size_t>(wire::FrameErrorCode::kMalformed)], 2u);
  EXPECT_EQ(errors[static_cast<std::size_t>(wire::FrameErrorCode::kUnknownBody)], 2u);
  EXPECT_EQ(errors[static_cast<std::size_t>(wire::FrameErrorCode::kFieldOutOfRange)], 2u);
  EXPECT_EQ(p.node.metrics().frame_errors_total(), 7u);
  // None of it touched the device or the counters of good frames.
  EXPECT_EQ(p.node.metrics().hellos_accepted, accepted);
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.find("SN1")->tier, 1u);
  EXPECT_EQ(p.node.devices().size(), 1u);
  // And the node still works.
  EXPECT_EQ(p.frame(seconds(2), 1, heartbeat("SN1", 1)).sends.size(), 1u);
}

TEST(PlatformNode, StaleWakeupDoesNothing) {
  Platform p;
  p.frame(Time{}, 1, hello("SN1"));
  for (int k = 1; k <= 3; ++k) p.wakeup(kInterval * k);  // next sweep at 4 minutes
  ASSERT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  // Silent for longer than allowed, but a wake-up before the deadline must not sweep or re-arm.
  EXPECT_TRUE(p.wakeup(kInterval * 4 - microseconds(1)).empty());
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kConnected);
  EXPECT_EQ(p.wakeup(kInterval * 4).wakeups, std::vector<Time>{kInterval * 5});
  EXPECT_EQ(p.status("SN1"), ConnectionStatus::kDisconnected);
}

TEST(PlatformNode, LateWakeupSweepsAndRearmsFromNow) {
  Platform p;
  // A driver that wakes the node late (a busy actor) still gets a full interval to the next.
  EXPECT_EQ(p.wakeup(kInterval + seconds(10)).wakeups,
            std::vector<Time>{kInterval * 2 + seconds(10)});
}

TEST(PlatformNode, TraceGetsStatusChangesAndFrameErrors) {
  core::Trace trace;
  {
    Platform p(10, &trace);
    p.frame(seconds(1), 5, hello("SN1"));
    p.frame(seconds(2), 6, hello("SN2"));
    p.frame(seconds(3), 5, heartbeat("SN1", 1));  // no status change: not traced
    p.frame(seconds(4), 6, std::string("\xff\xff", 2));
    p.frame(seconds(5), 6, goodbye("SN2"));
    p.node.on_connection_closed(seconds(6), 5);
  }
  core::Trace expected;
  expected.record(seconds(1), core::TraceEvent::kStatusChange, 0, 1);
  expected.record(seconds(2), core::TraceEvent::kStatusChange, 1, 1);
  expected.record(seconds(4), core::TraceEvent::kFrameError, 6,
                  static_cast<std::uint64_t>(wire::FrameErrorCode::kMalformed));
  expected.record(seconds(5), core::TraceEvent::kStatusChange, 1, 0,
                  static_cast<std::uint64_t>(DisconnectReason::kGoodbye));
  expected.record(seconds(6), core::TraceEvent::kStatusChange, 0, 0,
                  static_cast<std::uint64_t>(DisconnectReason::kConnectionClosed));
  EXPECT_EQ(trace.events(), expected.events());
  EXPECT_EQ(trace.finish(), expected.finish());
}

TEST(PlatformNode, NamesAreStable) {
  EXPECT_EQ(connection_status_name(ConnectionStatus::kConnected), "connected");
  EXPECT_EQ(connection_status_name(ConnectionStatus::kDisconnected), "disconnected");
  EXPECT_EQ(disconnect_reason_name(DisconnectReason::kNone), "none");
  EXPECT_EQ(disconnect_reason_name(DisconnectReason::kMissedHeartbeats), "missed_heartbeats");
  EXPECT_EQ(disconnect_reason_name(DisconnectReason::kGoodbye), "goodbye");
  EXPECT_EQ(disconnect_reason_name(DisconnectReason::kConnectionClosed), "connection_closed");
}

// ---------------------------------------------------------------------------------------------
// With a control plane: onboarding and modes over the wire. One organization with an owner, a
// device-management license, a managed profile (the default) and a connected one; the factory
// registered two Tier-1 cameras, two Tier-2 cameras and a recorder.

constexpr Duration kOnboardingTimeout = minutes(10);

// A hello naming its track and LAN, and, for a host, the Tier-2 devices it carries.
std::string lan_hello(const std::string& serial, const std::string& lan,
                      const std::vector<std::string>& hosted = {},
                      std::uint64_t correlation_id = 1) {
  wire::Envelope e;
  wire::DeviceHello* h = e.mutable_hello();
  h->set_serial(serial);
  h->set_model("tier1-bullet");
  h->set_tier(1);
  h->set_os_version("11.11.0");
  h->set_agent_version("test");
  h->set_os_track("lts-2024");
  h->set_lan(lan);
  for (const std::string& carried : hosted) {
    wire::HostedDevice* d = h->add_hosted();
    d->set_serial(carried);
    d->set_model("tier2-dome");
    d->set_os_version("10.12.5");
    d->set_os_track("lts-2024");
  }
  return frame_from(serial, correlation_id, e);
}

std::string provision_ack(const std::string& serial, bool accepted,
                          const std::string& os_version = "11.11.0",
                          const std::string& os_track = "lts-2024",
                          const std::string& reason = "") {
  wire::Envelope e;
  wire::ProvisionAck* a = e.mutable_provision_ack();
  a->set_serial(serial);
  a->set_accepted(accepted);
  a->set_os_version(os_version);
  a->set_os_track(os_track);
  a->set_reason(reason);
  return frame_from(serial, 4, e);
}

std::string provision_refused(const std::string& serial, const std::string& reason) {
  return provision_ack(serial, false, "", "", reason);
}

std::string app_installed(const std::string& serial, const std::string& app) {
  wire::Envelope e;
  e.mutable_device_report()->set_serial(serial);
  e.mutable_device_report()->set_app_installed(app);
  return frame_from(serial, 5, e);
}

std::string local_administrator_used(const std::string& serial) {
  wire::Envelope e;
  e.mutable_device_report()->set_serial(serial);
  e.mutable_device_report()->set_local_administrator_used(true);
  return frame_from(serial, 5, e);
}

std::string os_reported(const std::string& serial, const std::string& version,
                        const std::string& track) {
  wire::Envelope e;
  e.mutable_device_report()->set_serial(serial);
  e.mutable_device_report()->mutable_os()->set_version(version);
  e.mutable_device_report()->mutable_os()->set_track(track);
  return frame_from(serial, 5, e);
}

struct Sent {
  ConnectionId connection;
  wire::Envelope envelope;
};

// The frames in `out` with body `body`, decoded, in the order they were sent.
std::vector<Sent> sent(const core::Outbox& out, wire::Envelope::BodyCase body) {
  std::vector<Sent> found;
  for (const core::Outbox::Send& send : out.sends) {
    wire::Envelope e = decoded(send.frame);
    if (e.body_case() == body) found.push_back({send.connection, std::move(e)});
  }
  return found;
}

class OnboardingNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_ = must(plane_.identity_store.register_user("olivia@acme.example", "Olivia"));
    organization_ = must(plane_.tenancy.create_organization(Time{}, owner_, "Acme", "eu-west"));
    ASSERT_TRUE(
        plane_.tenancy
            .set_license(Time{}, owner_, organization_, std::string(kDeviceManagementService), 10)
            .ok());
    ASSERT_TRUE(plane_.registry
                    .define_profile(Time{}, owner_, organization_,
                                    DeviceProfile{"managed-lts",
                                                  DeviceMode::kManaged,
                                                  "lts-2024",
                                                  {"motion-guard"},
                                                  {std::string(kCapabilityWebRtc)}})
                    .ok());
    ASSERT_TRUE(
        plane_.registry
            .define_profile(Time{}, owner_, organization_,
                            DeviceProfile{"connected", DeviceMode::kConnected, "active", {}, {}})
            .ok());
    ASSERT_TRUE(
        plane_.registry.set_default_profile(Time{}, owner_, organization_, "managed-lts").ok());
    const std::vector<FactoryRecord> records = {
        factory("CAM-1", DeviceKind::kCamera, DeviceTier::kTier1),
        factory("CAM-2", DeviceKind::kCamera, DeviceTier::kTier1),
        factory("DOME-1", DeviceKind::kCamera, DeviceTier::kTier2),
        factory("DOME-2", DeviceKind::kCamera, DeviceTier::kTier2),
        factory("REC-1", DeviceKind::kRecorder, DeviceTier::kTier1),
    };
    ASSERT_EQ(must(plane_.registry.register_devices(Time{}, records)), records.size());
    node_.start(Time{}, out_);
  }

  FactoryRecord factory(const std::string& serial, DeviceKind kind, DeviceTier tier) {
    const std::string oak = generate_owner_key(keys_);
    oaks_[serial] = oak;
    return FactoryRecord{serial, "model-" + serial, kind, tier, oak, {}, {}, "11.11.0"};
  }

  core::Outbox& frame(Time now, ConnectionId connection, const std::string& f) {
    out_.clear();
    node_.on_frame(now, connection, f, out_);
    return out_;
  }
  core::Outbox& wakeup(Time now) {
    out_.clear();
    node_.on_wakeup(now, out_);
    return out_;
  }
  // The owner claims `serial` for the organization, one-click or through `host`.
  Result<DeviceRecord> claim(Time now, const std::string& serial,
                             std::optional<std::string> profile = std::nullopt,
                             std::optional<std::string> host = std::nullopt) {
    out_.clear();
    return node_.claim(
        now,
        ClaimRequest{owner_, organization_, serial, oaks_.at(serial), profile, host, std::nullopt},
        out_);
  }
  // Hello on `connection`, claim, accepted ack: `serial` is onboarded at `now`.
  void onboard(Time now, ConnectionId connection, const std::string& serial,
               std::optional<std::string> profile = std::nullopt) {
    frame(now, connection, lan_hello(serial, "lan-a"));
    ASSERT_TRUE(claim(now, serial, profile).ok());
    frame(now, connection, provision_ack(serial, true));
    ASSERT_EQ(registered(serial).state.status, OnboardingStatus::kOnboarded);
  }

  DeviceRecord registered(const std::string& serial) const {
    return must(plane_.registry.device(serial));
  }
  std::uint32_t seats_used() const {
    return must(plane_.tenancy.licenses(organization_)).at(0).used;
  }
  std::size_t audited(const std::string& trail, std::string_view topic,
                      const std::string& device) const {
    AuditQuery query;
    query.organization = trail;
    query.topic = std::string(topic);
    query.device = device;
    query.limit = kAuditPageEntriesMax;
    return must(plane_.audit_log.search(query)).entries.size();
  }
  const PlatformMetrics& metrics() const { return node_.metrics(); }

  ControlPlane plane_{7};
  core::RandomStream keys_{7, 99};
  PlatformNode node_{kPolicy, 100, nullptr, &plane_, OnboardingPolicy{kOnboardingTimeout}};
  core::Outbox out_;
  std::map<std::string, std::string> oaks_;
  UserId owner_;
  OrganizationId organization_;
};

TEST_F(OnboardingNodeTest, HelloFromAnUnregisteredSerialIsRefusedNamingIt) {
  core::Outbox& out = frame(seconds(1), 3, lan_hello("GHOST-1", "lan-a", {}, 5));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].connection, 3u);
  const wire::Envelope refused = decoded(out.sends[0].frame);
  ASSERT_TRUE(refused.has_hello_ack());
  EXPECT_FALSE(refused.hello_ack().accepted());
  EXPECT_NE(refused.hello_ack().reason().find("GHOST-1"), std::string::npos)
      << refused.hello_ack().reason();
  EXPECT_NE(refused.hello_ack().reason().find("never registered"), std::string::npos)
      << refused.hello_ack().reason();
  EXPECT_EQ(refused.destination(), "GHOST-1");
  EXPECT_EQ(refused.correlation_id(), 5u);
  EXPECT_EQ(metrics().hellos_refused_unregistered, 1u);
  EXPECT_EQ(metrics().hellos_refused, 1u);
  EXPECT_EQ(metrics().hellos_accepted, 0u);
  EXPECT_EQ(node_.find("GHOST-1"), nullptr);
  EXPECT_EQ(node_.connected_count(), 0u);
  // Its connection speaks for no device.
  EXPECT_TRUE(frame(seconds(2), 3, heartbeat("GHOST-1", 1)).empty());
  EXPECT_EQ(metrics().frames_without_hello, 1u);

  // A registered serial is accepted, and the LAN it names is recorded in the registry.
  EXPECT_TRUE(registered("CAM-1").state.lan.empty());
  out = frame(seconds(3), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_EQ(out.sends.size(), 1u);  // the ack alone: nobody claimed it
  EXPECT_TRUE(decoded(out.sends[0].frame).hello_ack().accepted());
  EXPECT_EQ(metrics().hellos_accepted, 1u);
  EXPECT_EQ(metrics().hellos_refused_unregistered, 1u);
  ASSERT_NE(node_.find("CAM-1"), nullptr);
  EXPECT_EQ(node_.find("CAM-1")->status, ConnectionStatus::kConnected);
  EXPECT_EQ(registered("CAM-1").state.lan, "lan-a");
  const std::string platform_trail(kRegistryAuditTrail);
  EXPECT_EQ(audited(platform_trail, kTopicDevicePlacedOnLan, "CAM-1"), 1u);
  // The same LAN again is not news; a hello naming none leaves it; another LAN is recorded.
  frame(seconds(4), 4, lan_hello("CAM-1", "lan-a"));
  frame(seconds(5), 4, lan_hello("CAM-1", ""));
  EXPECT_EQ(registered("CAM-1").state.lan, "lan-a");
  EXPECT_EQ(audited(platform_trail, kTopicDevicePlacedOnLan, "CAM-1"), 1u);
  frame(seconds(6), 4, lan_hello("CAM-1", "lan-b"));
  EXPECT_EQ(registered("CAM-1").state.lan, "lan-b");
  EXPECT_EQ(audited(platform_trail, kTopicDevicePlacedOnLan, "CAM-1"), 2u);
}

TEST_F(OnboardingNodeTest, ClaimProvisionsAConnectedDeviceAndItsAckOnboardsIt) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  const Result<DeviceRecord> claimed = claim(seconds(2), "CAM-1");
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_EQ(claimed.value().state.status, OnboardingStatus::kOnboarding);
  ASSERT_EQ(out_.sends.size(), 1u);
  const std::vector<Sent> provisions = sent(out_, wire::Envelope::kProvision);
  ASSERT_EQ(provisions.size(), 1u);
  EXPECT_EQ(provisions[0].connection, 4u);
  EXPECT_EQ(provisions[0].envelope.source(), "platform");
  EXPECT_EQ(provisions[0].envelope.destination(), "CAM-1");
  EXPECT_EQ(provisions[0].envelope.sent_at_us(), 2'000'000u);
  const wire::Provision& provision = provisions[0].envelope.provision();
  EXPECT_EQ(provision.serial(), "CAM-1");
  EXPECT_EQ(provision.organization(), organization_);
  EXPECT_EQ(provision.profile(), "managed-lts");
  EXPECT_EQ(provision.mode(), "managed");
  EXPECT_EQ(provision.os_track(), "lts-2024");
  EXPECT_EQ(metrics().provisions_sent, 1u);
  EXPECT_EQ(node_.onboardings_pending(), 1u);
  EXPECT_EQ(seats_used(), 1u);
  // Not onboarded yet: the registry keeps no connection facts of it.
  EXPECT_EQ(registered("CAM-1").state.connection, ConnectionStatus::kDisconnected);

  core::Outbox& out = frame(seconds(3), 4, provision_ack("CAM-1", true, "11.12.0", "lts-2024"));
  const DeviceRecord onboarded = registered("CAM-1");
  EXPECT_EQ(onboarded.state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(onboarded.state.organization, organization_);
  EXPECT_EQ(onboarded.state.profile, "managed-lts");
  EXPECT_EQ(onboarded.state.mode, DeviceMode::kManaged);
  EXPECT_EQ(onboarded.state.os_version, "11.12.0");
  EXPECT_EQ(onboarded.state.os_track, "lts-2024");
  EXPECT_EQ(onboarded.state.onboarded_at, seconds(3));
  EXPECT_EQ(onboarded.state.connection, ConnectionStatus::kConnected);
  ASSERT_EQ(out.sends.size(), 1u);
  const std::vector<Sent> changes = sent(out, wire::Envelope::kModeChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].connection, 4u);
  EXPECT_EQ(changes[0].envelope.destination(), "CAM-1");
  EXPECT_EQ(changes[0].envelope.mode_change().serial(), "CAM-1");
  EXPECT_EQ(changes[0].envelope.mode_change().mode(), "managed");
  EXPECT_EQ(changes[0].envelope.mode_change().cause(), "onboarded");
  EXPECT_EQ(metrics().onboardings_completed, 1u);
  EXPECT_EQ(metrics().mode_changes_sent, 1u);
  EXPECT_EQ(metrics().provision_acks_unexpected, 0u);
  EXPECT_EQ(metrics().commands_refused, 0u);
  EXPECT_EQ(node_.onboardings_pending(), 0u);
  EXPECT_EQ(node_.find("CAM-1")->os_version, "11.12.0");
  EXPECT_EQ(seats_used(), 1u);
  // Onboarded: sweeps send it no more Provisions.
  frame(kInterval - seconds(1), 4, heartbeat("CAM-1", 1));
  EXPECT_TRUE(sent(wakeup(kInterval), wire::Envelope::kProvision).empty());
}

TEST_F(OnboardingNodeTest, ConnectedProfileOnboardsIntoConnectedMode) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1", "connected").ok());
  const std::vector<Sent> provisions = sent(out_, wire::Envelope::kProvision);
  ASSERT_EQ(provisions.size(), 1u);
  EXPECT_EQ(provisions[0].envelope.provision().profile(), "connected");
  EXPECT_EQ(provisions[0].envelope.provision().mode(), "connected");
  EXPECT_EQ(provisions[0].envelope.provision().os_track(), "active");

  const std::vector<Sent> changes =
      sent(frame(seconds(3), 4, provision_ack("CAM-1", true, "11.11.0", "active")),
           wire::Envelope::kModeChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].envelope.mode_change().mode(), "connected");
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kConnected);
  EXPECT_EQ(metrics().onboardings_completed, 1u);
}

TEST_F(OnboardingNodeTest, ManagedDeviceOffItsTrackIsOnboardedConnected) {
  // It accepts a managed profile but runs an older LTS (neither the active track nor the latest
  // LTS): it joins, in connected mode, and is told so once.
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1").ok());
  core::Outbox& out = frame(seconds(3), 4, provision_ack("CAM-1", true, "10.12.5", "lts-2022"));
  const std::vector<Sent> changes = sent(out, wire::Envelope::kModeChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].envelope.mode_change().mode(), "connected");
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kConnected);
}

TEST_F(OnboardingNodeTest, AcceptedAckWithBadFactsFailsTheOnboarding) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1").ok());
  // Accepted, with an OS version the wire carries but the registry refuses.
  EXPECT_TRUE(
      frame(seconds(3), 4, provision_ack("CAM-1", true, "11 11 0", "lts-2024")).sends.empty());
  const DeviceRecord failed = registered("CAM-1");
  EXPECT_EQ(failed.state.status, OnboardingStatus::kFailed);
  EXPECT_NE(failed.state.failure_reason.find("device reported bad facts"), std::string::npos)
      << failed.state.failure_reason;
  EXPECT_EQ(metrics().commands_refused, 1u);
  EXPECT_EQ(metrics().onboardings_completed, 0u);
  EXPECT_EQ(node_.onboardings_pending(), 0u);
  EXPECT_EQ(seats_used(), 0u);
}

TEST_F(OnboardingNodeTest, ClaimOfADeviceNotConnectedSendsNothingUntilItsHello) {
  ASSERT_TRUE(claim(seconds(1), "CAM-1").ok());
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(metrics().provisions_sent, 0u);
  EXPECT_EQ(node_.onboardings_pending(), 1u);
  EXPECT_EQ(node_.find("CAM-1"), nullptr);

  core::Outbox& out = frame(seconds(2), 6, lan_hello("CAM-1", "lan-a", {}, 9));
  ASSERT_EQ(out.sends.size(), 2u);
  const wire::Envelope ack = decoded(out.sends[0].frame);
  ASSERT_TRUE(ack.has_hello_ack());
  EXPECT_TRUE(ack.hello_ack().accepted());
  EXPECT_EQ(out.sends[1].connection, 6u);
  const wire::Envelope provision = decoded(out.sends[1].frame);
  ASSERT_TRUE(provision.has_provision());
  EXPECT_EQ(provision.provision().serial(), "CAM-1");
  EXPECT_EQ(provision.provision().mode(), "managed");
  EXPECT_EQ(metrics().provisions_sent, 1u);

  // Likewise a device that was connected once but is away when claimed.
  frame(seconds(3), 7, lan_hello("CAM-2", "lan-a"));
  frame(seconds(4), 7, goodbye("CAM-2"));
  ASSERT_TRUE(claim(seconds(5), "CAM-2").ok());
  EXPECT_TRUE(out_.sends.empty());
  const std::vector<Sent> provisions =
      sent(frame(seconds(6), 8, lan_hello("CAM-2", "lan-a")), wire::Envelope::kProvision);
  ASSERT_EQ(provisions.size(), 1u);
  EXPECT_EQ(provisions[0].connection, 8u);
  EXPECT_EQ(provisions[0].envelope.provision().serial(), "CAM-2");
  EXPECT_EQ(metrics().provisions_sent, 2u);
  EXPECT_EQ(node_.onboardings_pending(), 2u);
}

TEST_F(OnboardingNodeTest, RefusedProvisioningFailsTheOnboardingAndFreesTheSeat) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1").ok());
  ASSERT_EQ(seats_used(), 1u);
  EXPECT_TRUE(frame(seconds(3), 4, provision_refused("CAM-1", "storage full")).sends.empty());
  const DeviceRecord failed = registered("CAM-1");
  EXPECT_EQ(failed.state.status, OnboardingStatus::kFailed);
  EXPECT_EQ(failed.state.failure_reason, "device refused provisioning: storage full");
  EXPECT_TRUE(failed.state.organization.empty());
  EXPECT_EQ(failed.state.mode, DeviceMode::kStandalone);
  EXPECT_EQ(seats_used(), 0u);
  EXPECT_EQ(metrics().onboardings_refused, 1u);
  EXPECT_EQ(metrics().onboardings_completed, 0u);
  EXPECT_EQ(metrics().mode_changes_sent, 0u);
  EXPECT_EQ(node_.onboardings_pending(), 0u);
  // The refusal ends it: the sweep sends no Provision.
  EXPECT_TRUE(sent(wakeup(kInterval), wire::Envelope::kProvision).empty());

  // A failed device may be claimed again, and is provisioned anew.
  ASSERT_TRUE(claim(kInterval + seconds(1), "CAM-1").ok());
  EXPECT_EQ(sent(out_, wire::Envelope::kProvision).size(), 1u);
  EXPECT_EQ(seats_used(), 1u);
}

TEST_F(OnboardingNodeTest, ProvisionGoesAgainAtEachSweepUntilTheTimeoutFailsIt) {
  frame(seconds(30), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(30), "CAM-1").ok());  // due by 10 min 30 s
  ASSERT_EQ(metrics().provisions_sent, 1u);
  for (int k = 1; k <= 10; ++k) {
    frame(kInterval * k - seconds(1), 4, heartbeat("CAM-1", static_cast<std::uint64_t>(k)));
    core::Outbox& out = wakeup(kInterval * k);
    EXPECT_EQ(out.wakeups, std::vector<Time>{kInterval * (k + 1)});
    const std::vector<Sent> provisions = sent(out, wire::Envelope::kProvision);
    ASSERT_EQ(out.sends.size(), 1u) << "sweep " << k;
    ASSERT_EQ(provisions.size(), 1u) << "sweep " << k;
    EXPECT_EQ(provisions[0].connection, 4u);
    EXPECT_EQ(provisions[0].envelope.provision().serial(), "CAM-1");
    EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarding) << "sweep " << k;
  }
  EXPECT_EQ(metrics().provisions_sent, 11u);

  frame(kInterval * 11 - seconds(1), 4, heartbeat("CAM-1", 11));
  EXPECT_TRUE(wakeup(kInterval * 11).sends.empty());
  const DeviceRecord failed = registered("CAM-1");
  EXPECT_EQ(failed.state.status, OnboardingStatus::kFailed);
  EXPECT_EQ(failed.state.failure_reason, "device did not answer its provisioning within 10m");
  EXPECT_EQ(metrics().onboardings_timed_out, 1u);
  EXPECT_EQ(metrics().provisions_sent, 11u);
  EXPECT_EQ(node_.onboardings_pending(), 0u);
  EXPECT_EQ(seats_used(), 0u);
  // Its answer, come too late, is unexpected and changes nothing.
  EXPECT_TRUE(frame(kInterval * 11 + seconds(1), 4, provision_ack("CAM-1", true)).empty());
  EXPECT_EQ(metrics().provision_acks_unexpected, 1u);
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kFailed);
  EXPECT_EQ(metrics().onboardings_completed, 0u);
}

TEST_F(OnboardingNodeTest, DeviceThatNeverConnectsFailsAtTheSweepAfterTheTimeout) {
  ASSERT_TRUE(claim(seconds(30), "CAM-1").ok());
  for (int k = 1; k <= 10; ++k) {
    EXPECT_TRUE(wakeup(kInterval * k).sends.empty()) << "sweep " << k;
    EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarding) << "sweep " << k;
  }
  wakeup(kInterval * 11);
  const DeviceRecord failed = registered("CAM-1");
  EXPECT_EQ(failed.state.status, OnboardingStatus::kFailed);
  EXPECT_EQ(failed.state.failure_reason, "device did not connect within 10m");
  EXPECT_EQ(metrics().onboardings_timed_out, 1u);
  EXPECT_EQ(metrics().provisions_sent, 0u);
  EXPECT_EQ(node_.onboardings_pending(), 0u);
  EXPECT_EQ(seats_used(), 0u);
  // Coming now, it is not provisioned.
  EXPECT_TRUE(
      sent(frame(kInterval * 11, 4, lan_hello("CAM-1", "lan-a")), wire::Envelope::kProvision)
          .empty());
}

TEST_F(OnboardingNodeTest, SecondAckAfterCompletionIsUnexpected) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1").ok());
  // The Provision went again at the sweep before the device answered; it answers both.
  ASSERT_EQ(sent(wakeup(kInterval), wire::Envelope::kProvision).size(), 1u);
  frame(kInterval + seconds(1), 4, provision_ack("CAM-1", true));
  ASSERT_EQ(metrics().onboardings_completed, 1u);
  EXPECT_TRUE(frame(kInterval + seconds(2), 4, provision_ack("CAM-1", true)).empty());
  EXPECT_EQ(metrics().provision_acks_unexpected, 1u);
  EXPECT_EQ(metrics().onboardings_completed, 1u);
  EXPECT_EQ(metrics().mode_changes_sent, 1u);
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarded);
  // So is a refusal arriving after completion: the device stays onboarded.
  EXPECT_TRUE(frame(kInterval + seconds(3), 4, provision_refused("CAM-1", "late")).empty());
  EXPECT_EQ(metrics().provision_acks_unexpected, 2u);
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(metrics().onboardings_refused, 0u);
}

TEST_F(OnboardingNodeTest, AckOnAConnectionNotTheDevicesIsIgnored) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  frame(seconds(1), 5, lan_hello("CAM-2", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1").ok());
  EXPECT_TRUE(frame(seconds(3), 5, provision_ack("CAM-1", true)).empty());
  EXPECT_TRUE(frame(seconds(3), 9, provision_ack("CAM-1", true)).empty());  // no hello on 9
  EXPECT_EQ(metrics().frames_without_hello, 2u);
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarding);
  EXPECT_EQ(node_.onboardings_pending(), 1u);
  frame(seconds(4), 4, provision_ack("CAM-1", true));
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kOnboarded);
}

TEST_F(OnboardingNodeTest, ConnectionChangesOfOnboardedDevicesReachTheRegistry) {
  onboard(seconds(1), 4, "CAM-1");
  ASSERT_EQ(registered("CAM-1").state.connection, ConnectionStatus::kConnected);
  frame(seconds(2), 4, goodbye("CAM-1"));
  EXPECT_EQ(registered("CAM-1").state.connection, ConnectionStatus::kDisconnected);
  frame(seconds(3), 5, lan_hello("CAM-1", "lan-a"));
  EXPECT_EQ(registered("CAM-1").state.connection, ConnectionStatus::kConnected);
  for (int k = 1; k <= 4; ++k) wakeup(kInterval * k);
  ASSERT_EQ(node_.find("CAM-1")->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(registered("CAM-1").state.connection, ConnectionStatus::kDisconnected);
  // connected (at onboarding), disconnected, connected, disconnected.
  EXPECT_EQ(audited(organization_, kTopicDeviceConnection, "CAM-1"), 4u);
}

TEST_F(OnboardingNodeTest, HostHelloConnectsItsRegisteredTier2Devices) {
  core::Outbox& out = frame(seconds(1), 5, lan_hello("REC-1", "lan-b", {"DOME-1", "GHOST-2"}));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_TRUE(decoded(out.sends[0].frame).hello_ack().accepted());
  const DeviceConnection* host = node_.find("REC-1");
  const DeviceConnection* dome = node_.find("DOME-1");
  ASSERT_NE(host, nullptr);
  ASSERT_NE(dome, nullptr);
  EXPECT_EQ(dome->tier, 2u);
  EXPECT_EQ(dome->model, "tier2-dome");
  EXPECT_EQ(dome->os_version, "10.12.5");
  EXPECT_EQ(dome->status, ConnectionStatus::kConnected);
  EXPECT_EQ(dome->connection, 5u);
  ASSERT_NE(dome->host, DeviceConnection::kNoHost);
  EXPECT_EQ(node_.devices()[dome->host].serial, "REC-1");
  ASSERT_EQ(host->hosted.size(), 1u);
  EXPECT_EQ(node_.devices()[host->hosted[0]].serial, "DOME-1");
  EXPECT_EQ(host->host, DeviceConnection::kNoHost);
  // An unregistered hosted serial is left out.
  EXPECT_EQ(node_.find("GHOST-2"), nullptr);
  EXPECT_EQ(metrics().hosted_refused_unregistered, 1u);
  EXPECT_EQ(metrics().hellos_accepted, 1u);
  EXPECT_EQ(node_.connected_count(), 2u);
  // The host's LAN is its devices' too.
  EXPECT_EQ(registered("REC-1").state.lan, "lan-b");
  EXPECT_EQ(registered("DOME-1").state.lan, "lan-b");
}

TEST_F(OnboardingNodeTest, HostedDevicesGoDownWithTheirHost) {
  frame(Time{}, 5, lan_hello("REC-1", "lan-b", {"DOME-1", "DOME-2"}));
  ASSERT_EQ(node_.connected_count(), 3u);
  // Missed heartbeats: the host's silence is theirs; only the host counts as detected.
  for (int k = 1; k <= 4; ++k) wakeup(kInterval * k);
  for (const char* serial : {"REC-1", "DOME-1", "DOME-2"}) {
    EXPECT_EQ(node_.find(serial)->status, ConnectionStatus::kDisconnected) << serial;
    EXPECT_EQ(node_.find(serial)->last_disconnect, DisconnectReason::kMissedHeartbeats) << serial;
  }
  EXPECT_EQ(metrics().disconnects_detected, 1u);
  EXPECT_EQ(node_.connected_count(), 0u);
  // A heartbeat brings the host back, and its devices with it.
  frame(kInterval * 4 + seconds(1), 5, heartbeat("REC-1", 5));
  EXPECT_EQ(node_.connected_count(), 3u);
  EXPECT_EQ(node_.find("DOME-2")->status, ConnectionStatus::kConnected);

  // Goodbye.
  frame(kInterval * 4 + seconds(2), 5, goodbye("REC-1"));
  for (const char* serial : {"REC-1", "DOME-1", "DOME-2"}) {
    EXPECT_EQ(node_.find(serial)->status, ConnectionStatus::kDisconnected) << serial;
    EXPECT_EQ(node_.find(serial)->last_disconnect, DisconnectReason::kGoodbye) << serial;
  }
  EXPECT_EQ(node_.connected_count(), 0u);

  // Back on a new connection, which its devices now use; then that connection closes.
  frame(kInterval * 4 + seconds(3), 6, lan_hello("REC-1", "lan-b", {"DOME-1", "DOME-2"}));
  EXPECT_EQ(node_.connected_count(), 3u);
  EXPECT_EQ(node_.find("DOME-1")->connection, 6u);
  EXPECT_EQ(node_.find("DOME-2")->connection, 6u);
  node_.on_connection_closed(kInterval * 4 + seconds(4), 6);
  for (const char* serial : {"REC-1", "DOME-1", "DOME-2"}) {
    EXPECT_EQ(node_.find(serial)->status, ConnectionStatus::kDisconnected) << serial;
    EXPECT_EQ(node_.find(serial)->last_disconnect, DisconnectReason::kConnectionClosed) << serial;
  }
  EXPECT_EQ(node_.connected_count(), 0u);
}

TEST_F(OnboardingNodeTest, LaterHelloWithoutAHostedDeviceDropsIt) {
  frame(seconds(1), 5, lan_hello("REC-1", "lan-b", {"DOME-1", "DOME-2"}));
  frame(seconds(2), 5, lan_hello("REC-1", "lan-b", {"DOME-2"}));
  const DeviceConnection* dome1 = node_.find("DOME-1");
  EXPECT_EQ(dome1->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(dome1->last_disconnect, DisconnectReason::kConnectionClosed);
  EXPECT_EQ(dome1->host, DeviceConnection::kNoHost);
  ASSERT_EQ(node_.find("REC-1")->hosted.size(), 1u);
  EXPECT_EQ(node_.devices()[node_.find("REC-1")->hosted[0]].serial, "DOME-2");
  EXPECT_EQ(node_.find("DOME-2")->status, ConnectionStatus::kConnected);
  EXPECT_EQ(node_.connected_count(), 2u);
  // The host no longer speaks for it.
  frame(seconds(3), 5, app_installed("DOME-1", "motion-guard"));
  EXPECT_EQ(metrics().frames_without_hello, 1u);

  // The host comes back, after its connection died, carrying nothing: the device it carried
  // stays down, and is not brought back even for a moment.
  node_.on_connection_closed(seconds(4), 5);
  ASSERT_EQ(node_.find("DOME-2")->status, ConnectionStatus::kDisconnected);
  frame(seconds(5), 6, lan_hello("REC-1", "lan-b"));
  const DeviceConnection* dome2 = node_.find("DOME-2");
  EXPECT_EQ(dome2->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(dome2->host, DeviceConnection::kNoHost);
  EXPECT_EQ(dome2->disconnects, 1u);
  EXPECT_TRUE(node_.find("REC-1")->hosted.empty());
  EXPECT_EQ(metrics().reconnects, 1u);  // the host alone
  EXPECT_EQ(node_.connected_count(), 1u);
}

TEST_F(OnboardingNodeTest, ClaimViaHostProvisionsThroughTheHostWhichAnswersForIt) {
  frame(seconds(1), 5, lan_hello("REC-1", "lan-b", {"DOME-1"}));
  // The host joins the organization first.
  ASSERT_TRUE(claim(seconds(2), "REC-1").ok());
  frame(seconds(3), 5, provision_ack("REC-1", true));
  ASSERT_EQ(registered("REC-1").state.status, OnboardingStatus::kOnboarded);
  // A Tier-2 camera cannot be claimed one-click.
  EXPECT_FALSE(claim(seconds(4), "DOME-1").ok());
  EXPECT_TRUE(out_.empty());

  const Result<DeviceRecord> claimed = claim(seconds(4), "DOME-1", std::nullopt, "REC-1");
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_EQ(claimed.value().state.host, "REC-1");
  ASSERT_EQ(out_.sends.size(), 1u);
  const std::vector<Sent> provisions = sent(out_, wire::Envelope::kProvision);
  ASSERT_EQ(provisions.size(), 1u);
  EXPECT_EQ(provisions[0].connection, 5u);
  EXPECT_EQ(provisions[0].envelope.destination(), "REC-1");
  EXPECT_EQ(provisions[0].envelope.provision().serial(), "DOME-1");
  EXPECT_EQ(provisions[0].envelope.provision().organization(), organization_);
  EXPECT_EQ(provisions[0].envelope.provision().mode(), "managed");

  // The host acknowledges on the camera's behalf, on its own connection.
  core::Outbox& out = frame(seconds(5), 5, provision_ack("DOME-1", true, "10.12.5", "lts-2024"));
  const DeviceRecord dome = registered("DOME-1");
  EXPECT_EQ(dome.state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(dome.state.os_version, "10.12.5");
  EXPECT_EQ(dome.state.mode, DeviceMode::kManaged);
  EXPECT_EQ(dome.state.connection, ConnectionStatus::kConnected);
  const std::vector<Sent> changes = sent(out, wire::Envelope::kModeChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].connection, 5u);
  EXPECT_EQ(changes[0].envelope.destination(), "REC-1");
  EXPECT_EQ(changes[0].envelope.mode_change().serial(), "DOME-1");
  EXPECT_EQ(changes[0].envelope.mode_change().mode(), "managed");
  EXPECT_EQ(metrics().onboardings_completed, 2u);

  // Its reports come through the host too.
  const std::vector<Sent> fallback =
      sent(frame(seconds(6), 5, local_administrator_used("DOME-1")), wire::Envelope::kModeChange);
  ASSERT_EQ(fallback.size(), 1u);
  EXPECT_EQ(fallback[0].envelope.destination(), "REC-1");
  EXPECT_EQ(fallback[0].envelope.mode_change().serial(), "DOME-1");
  EXPECT_EQ(fallback[0].envelope.mode_change().mode(), "connected");

  // The host's connection closing takes the camera down in the registry as well.
  node_.on_connection_closed(seconds(7), 5);
  EXPECT_EQ(registered("DOME-1").state.connection, ConnectionStatus::kDisconnected);
  EXPECT_EQ(registered("REC-1").state.connection, ConnectionStatus::kDisconnected);
}

TEST_F(OnboardingNodeTest, HostedDeviceClaimedBeforeItsHostCarriesItIsProvisionedAtTheHello) {
  onboard(seconds(1), 5, "REC-1");  // on lan-a, carrying nothing yet
  ASSERT_TRUE(plane_.registry.place_on_lan(seconds(2), "DOME-2", "lan-a").ok());
  ASSERT_TRUE(claim(seconds(3), "DOME-2", std::nullopt, "REC-1").ok());
  EXPECT_TRUE(out_.empty());  // the platform has not heard of it on any connection
  const std::vector<Sent> provisions = sent(
      frame(seconds(4), 5, lan_hello("REC-1", "lan-a", {"DOME-2"})), wire::Envelope::kProvision);
  ASSERT_EQ(provisions.size(), 1u);
  EXPECT_EQ(provisions[0].connection, 5u);
  EXPECT_EQ(provisions[0].envelope.destination(), "REC-1");
  EXPECT_EQ(provisions[0].envelope.provision().serial(), "DOME-2");
  frame(seconds(5), 5, provision_ack("DOME-2", true, "10.12.5", "lts-2024"));
  EXPECT_EQ(registered("DOME-2").state.status, OnboardingStatus::kOnboarded);
}

TEST_F(OnboardingNodeTest, AppOutsideTheProfileMovesAManagedDeviceToConnected) {
  onboard(seconds(1), 4, "CAM-1");
  ASSERT_EQ(registered("CAM-1").state.mode, DeviceMode::kManaged);
  ASSERT_EQ(metrics().mode_changes_sent, 1u);
  // An app the profile allows is recorded and moves nothing.
  EXPECT_TRUE(frame(seconds(2), 4, app_installed("CAM-1", "motion-guard")).empty());
  EXPECT_EQ(metrics().device_reports, 1u);
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kManaged);
  EXPECT_EQ(audited(organization_, kTopicDeviceAppInstalled, "CAM-1"), 1u);

  core::Outbox& out = frame(seconds(3), 4, app_installed("CAM-1", "crypto-miner"));
  ASSERT_EQ(out.sends.size(), 1u);
  const std::vector<Sent> changes = sent(out, wire::Envelope::kModeChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].connection, 4u);
  EXPECT_EQ(changes[0].envelope.mode_change().serial(), "CAM-1");
  EXPECT_EQ(changes[0].envelope.mode_change().mode(), "connected");
  EXPECT_EQ(changes[0].envelope.mode_change().cause(), "app_installed");
  EXPECT_EQ(metrics().device_reports, 2u);
  EXPECT_EQ(metrics().mode_changes_sent, 2u);
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kConnected);
  // Already connected: later reports are recorded but move nothing.
  EXPECT_TRUE(frame(seconds(4), 4, local_administrator_used("CAM-1")).empty());
  EXPECT_EQ(metrics().device_reports, 3u);
  EXPECT_EQ(metrics().mode_changes_sent, 2u);
  EXPECT_EQ(metrics().commands_refused, 0u);
}

TEST_F(OnboardingNodeTest, LocalAdministratorOrAnOsOffTrackMovesAManagedDeviceToConnected) {
  onboard(seconds(1), 4, "CAM-1");
  onboard(seconds(1), 5, "CAM-2");
  const std::vector<Sent> admin =
      sent(frame(seconds(2), 4, local_administrator_used("CAM-1")), wire::Envelope::kModeChange);
  ASSERT_EQ(admin.size(), 1u);
  EXPECT_EQ(admin[0].envelope.mode_change().mode(), "connected");
  EXPECT_EQ(admin[0].envelope.mode_change().cause(), "local_administrator_used");
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kConnected);

  // A new OS on the profile's track is recorded, here and in the registry, and moves nothing.
  EXPECT_TRUE(frame(seconds(3), 5, os_reported("CAM-2", "11.13.0", "lts-2024")).empty());
  EXPECT_EQ(node_.find("CAM-2")->os_version, "11.13.0");
  EXPECT_EQ(registered("CAM-2").state.os_version, "11.13.0");
  EXPECT_EQ(registered("CAM-2").state.mode, DeviceMode::kManaged);
  // The active track keeps it managed too, though its profile names lts-2024.
  EXPECT_TRUE(frame(seconds(4), 5, os_reported("CAM-2", "12.0.0", "active")).empty());
  EXPECT_EQ(registered("CAM-2").state.os_track, "active");
  EXPECT_EQ(registered("CAM-2").state.mode, DeviceMode::kManaged);
  // An older LTS is neither the active track nor the latest LTS.
  const std::vector<Sent> off_track =
      sent(frame(seconds(5), 5, os_reported("CAM-2", "10.12.5", "lts-2022")),
           wire::Envelope::kModeChange);
  ASSERT_EQ(off_track.size(), 1u);
  EXPECT_EQ(off_track[0].connection, 5u);
  EXPECT_EQ(off_track[0].envelope.mode_change().mode(), "connected");
  EXPECT_EQ(off_track[0].envelope.mode_change().cause(), "os_reported");
  EXPECT_EQ(node_.find("CAM-2")->os_version, "10.12.5");
  EXPECT_EQ(registered("CAM-2").state.os_track, "lts-2022");
  EXPECT_EQ(registered("CAM-2").state.mode, DeviceMode::kConnected);
  EXPECT_EQ(metrics().device_reports, 4u);
}

TEST_F(OnboardingNodeTest, ReportForASerialTheConnectionDoesNotSpeakForIsIgnored) {
  onboard(seconds(1), 4, "CAM-1");
  frame(seconds(1), 5, lan_hello("CAM-2", "lan-a"));
  EXPECT_TRUE(frame(seconds(2), 5, app_installed("CAM-1", "crypto-miner")).empty());
  EXPECT_TRUE(frame(seconds(2), 9, app_installed("CAM-1", "crypto-miner")).empty());
  EXPECT_TRUE(frame(seconds(2), 4, app_installed("GHOST-3", "crypto-miner")).empty());
  EXPECT_EQ(metrics().frames_without_hello, 3u);
  EXPECT_EQ(metrics().device_reports, 0u);
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kManaged);
  // Nor once the device has left its connection.
  frame(seconds(3), 4, goodbye("CAM-1"));
  EXPECT_TRUE(frame(seconds(4), 4, local_administrator_used("CAM-1")).empty());
  EXPECT_EQ(metrics().frames_without_hello, 4u);
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kManaged);
}

TEST_F(OnboardingNodeTest, ReportFromADeviceNotOnboardedIsRefused) {
  frame(seconds(1), 5, lan_hello("CAM-2", "lan-a"));
  EXPECT_TRUE(frame(seconds(2), 5, app_installed("CAM-2", "crypto-miner")).empty());
  EXPECT_EQ(metrics().device_reports, 1u);
  EXPECT_EQ(metrics().commands_refused, 1u);
  // Still onboarding is not onboarded.
  ASSERT_TRUE(claim(seconds(3), "CAM-2").ok());
  EXPECT_TRUE(frame(seconds(4), 5, local_administrator_used("CAM-2")).empty());
  EXPECT_EQ(metrics().commands_refused, 2u);
  EXPECT_EQ(metrics().mode_changes_sent, 0u);
  EXPECT_EQ(registered("CAM-2").state.status, OnboardingStatus::kOnboarding);
}

TEST_F(OnboardingNodeTest, OrganizationDeletedWhileADeviceOnboardsEndsItsOnboarding) {
  frame(seconds(1), 4, lan_hello("CAM-1", "lan-a"));
  ASSERT_TRUE(claim(seconds(2), "CAM-1").ok());
  ASSERT_TRUE(plane_.tenancy.delete_organization(seconds(3), owner_, organization_).ok());
  ASSERT_EQ(registered("CAM-1").state.status, OnboardingStatus::kRegistered);
  // Released: the device is neither provisioned again nor failed for not answering.
  frame(kInterval - seconds(1), 4, heartbeat("CAM-1", 1));
  EXPECT_TRUE(sent(wakeup(kInterval), wire::Envelope::kProvision).empty());
  EXPECT_TRUE(sent(frame(kInterval + seconds(1), 4, lan_hello("CAM-1", "lan-a")),
                   wire::Envelope::kProvision)
                  .empty());
  EXPECT_EQ(node_.onboardings_pending(), 0u);
  for (int k = 2; k <= 12; ++k) {
    frame(kInterval * k - seconds(1), 4, heartbeat("CAM-1", static_cast<std::uint64_t>(k)));
    EXPECT_TRUE(sent(wakeup(kInterval * k), wire::Envelope::kProvision).empty());
  }
  EXPECT_EQ(metrics().onboardings_timed_out, 0u);
  EXPECT_EQ(metrics().provisions_sent, 1u);
  EXPECT_EQ(registered("CAM-1").state.status, OnboardingStatus::kRegistered);
}

TEST(PlatformNode, WithoutAControlPlaneAnySerialMayConnectAndOnboardingBodiesAreIgnored) {
  Platform p;
  EXPECT_EQ(p.node.control_plane(), nullptr);
  core::Outbox& out = p.frame(seconds(1), 1, lan_hello("ANY-SERIAL", "lan-a", {"HOSTED-1"}));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_TRUE(decoded(out.sends[0].frame).hello_ack().accepted());
  ASSERT_NE(p.node.find("HOSTED-1"), nullptr);
  EXPECT_EQ(p.node.find("HOSTED-1")->tier, 2u);
  EXPECT_EQ(p.node.find("HOSTED-1")->status, ConnectionStatus::kConnected);
  EXPECT_EQ(p.node.metrics().hellos_refused, 0u);
  EXPECT_EQ(p.node.metrics().hellos_refused_unregistered, 0u);
  EXPECT_EQ(p.node.metrics().hosted_refused_unregistered, 0u);

  // Device-to-cloud onboarding bodies: nobody to give them to.
  EXPECT_TRUE(p.frame(seconds(2), 1, provision_ack("ANY-SERIAL", true)).empty());
  EXPECT_TRUE(p.frame(seconds(2), 1, app_installed("ANY-SERIAL", "crypto-miner")).empty());
  EXPECT_TRUE(p.frame(seconds(2), 1, local_administrator_used("HOSTED-1")).empty());
  EXPECT_EQ(p.node.metrics().frames_without_hello, 3u);
  // Cloud-to-device ones are a confused peer's.
  wire::Envelope provision;
  provision.mutable_provision()->set_serial("ANY-SERIAL");
  provision.mutable_provision()->set_organization("org-000001");
  provision.mutable_provision()->set_profile("managed-lts");
  provision.mutable_provision()->set_mode("managed");
  provision.mutable_provision()->set_os_track("lts-2024");
  wire::Envelope change;
  change.mutable_mode_change()->set_serial("ANY-SERIAL");
  change.mutable_mode_change()->set_mode("managed");
  change.mutable_mode_change()->set_cause("onboarded");
  EXPECT_TRUE(p.frame(seconds(3), 1, frame_from("ANY-SERIAL", 6, provision)).empty());
  EXPECT_TRUE(p.frame(seconds(3), 1, frame_from("ANY-SERIAL", 7, change)).empty());
  EXPECT_EQ(
      p.node.metrics().frame_errors[static_cast<std::size_t>(wire::FrameErrorCode::kUnknownBody)],
      2u);
  const PlatformMetrics& m = p.node.metrics();
  EXPECT_EQ(m.device_reports, 0u);
  EXPECT_EQ(m.provisions_sent, 0u);
  EXPECT_EQ(m.onboardings_completed, 0u);
  EXPECT_EQ(m.commands_refused, 0u);
  EXPECT_EQ(m.provision_acks_unexpected, 0u);
  EXPECT_EQ(p.node.onboardings_pending(), 0u);
  // The connection still works.
  EXPECT_EQ(p.frame(seconds(4), 1, heartbeat("ANY-SERIAL", 1)).sends.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// The loop: N agents and one platform node over an in-memory network with a fixed delivery
// delay. Anything sent while the network is cut is lost, including connection attempts (which
// fail after the delay) and closes (which the far side never hears of).

using devices::AgentState;
using devices::DeviceAgent;

constexpr Duration kDelay = milliseconds(10);

class Loop {
 public:
  Loop(std::uint64_t seed, std::size_t agents) : platform_(kPolicy, 1000, &trace_) {
    config_.heartbeat_interval = minutes(5);  // the platform's hello ack must override it
    config_.start_spread = seconds(60);
    for (std::size_t i = 0; i < agents; ++i) {
      const std::string serial = "ACCC8E" + std::to_string(100'000 + i);
      agents_.emplace_back(
          devices::DeviceIdentity{
              serial, "tier1-bullet", "11.11.0", 1, "", "", {}, {}, 50'000'000, 0, {}},
          config_, core::RandomStream(seed, core::kDeviceStreamBase + i));
      connection_of_.push_back(0);
    }
    core::Outbox out;
    platform_.start(Time{}, out);
    apply_platform(Time{}, out);
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      out.clear();
      agents_[i].start(Time{}, out);
      apply_agent(i, Time{}, out);
    }
  }

  void cut(Time from, Time until) {
    cut_from_ = from;
    cut_until_ = until;
  }

  void run_until(Time end) {
    core::Outbox out;
    while (!queue_.empty() && queue_.top().at <= end) {
      const Event e = queue_.top();
      queue_.pop();
      out.clear();
      trace_.record(e.at, core::TraceEvent::kDeliver, e.agent, static_cast<std::uint64_t>(e.kind),
                    e.connection);
      switch (e.kind) {
        case Kind::kPlatformWakeup:
          platform_.on_wakeup(e.at, out);
          apply_platform(e.at, out);
          break;
        case Kind::kToPlatform:
          platform_.on_frame(e.at, e.connection, e.frame, out);
          apply_platform(e.at, out);
          break;
        case Kind::kPlatformSeesClose:
          platform_.on_connection_closed(e.at, e.connection);
          break;
        case Kind::kAgentWakeup:
          agents_[e.agent].on_wakeup(e.at, out);
          apply_agent(e.agent, e.at, out);
          break;
        case Kind::kToAgent:
          if (connection_of_[e.agent] != e.connection) break;  // for a connection it dropped
          agents_[e.agent].on_frame(e.at, e.frame, out);
          apply_agent(e.agent, e.at, out);
          break;
        case Kind::kAgentSeesClose:
        case Kind::kConnectFailed:
          if (connection_of_[e.agent] != e.connection) break;
          connection_of_[e.agent] = 0;
          agents_[e.agent].on_disconnected(e.at, out);
          apply_agent(e.agent, e.at, out);
          break;
        case Kind::kConnected:
          if (connection_of_[e.agent] != e.connection) break;
          agents_[e.agent].on_connected(e.at, out);
          apply_agent(e.agent, e.at, out);
          break;
      }
    }
  }

  const PlatformNode& platform() const { return platform_; }
  const std::vector<DeviceAgent>& agents() const { return agents_; }
  std::string finish_trace() { return trace_.finish(); }

 private:
  enum class Kind : std::uint8_t {
    kPlatformWakeup,
    kToPlatform,
    kPlatformSeesClose,
    kAgentWakeup,
    kToAgent,
    kAgentSeesClose,
    kConnected,
    kConnectFailed,
  };
  struct Event {
    Time at;
    std::uint64_t order;  // ties broken by scheduling order, so runs are reproducible
    Kind kind;
    std::size_t agent;
    ConnectionId connection;
    std::string frame;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };

  bool delivering(Time now) const { return now < cut_from_ || now >= cut_until_; }

  void push(Time at, Kind kind, std::size_t agent, ConnectionId connection,
            std::string frame = {}) {
    queue_.push({at, next_order_++, kind, agent, connection, std::move(frame)});
  }

  void apply_agent(std::size_t i, Time now, core::Outbox& out) {
    const ConnectionId connection = connection_of_[i];
    for (core::Outbox::Send& send : out.sends) {
      ASSERT_NE(connection, 0u) << "agent " << i << " sent without a connection";
      if (delivering(now)) push(now + kDelay, Kind::kToPlatform, i, connection, send.frame);
    }
    if (!out.closes.empty() && connection != 0) {
      if (delivering(now)) push(now + kDelay, Kind::kPlatformSeesClose, i, connection);
      connection_of_[i] = 0;
    }
    if (out.connect) {
      if (connection_of_[i] != 0 && delivering(now)) {
        push(now + kDelay, Kind::kPlatformSeesClose, i, connection_of_[i]);
      }
      connection_of_[i] = next_connection_++;
      const Kind result = delivering(now) ? Kind::kConnected : Kind::kConnectFailed;
      push(now + kDelay, result, i, connection_of_[i]);
      agent_of_[connection_of_[i]] = i;
    }
    for (Time at : out.wakeups) push(at, Kind::kAgentWakeup, i, 0);
  }

  void apply_platform(Time now, core::Outbox& out) {
    for (core::Outbox::Send& send : out.sends) {
      const std::size_t agent = agent_of_.at(send.connection);
      if (delivering(now)) push(now + kDelay, Kind::kToAgent, agent, send.connection, send.frame);
    }
    for (const core::Outbox::Close& close : out.closes) {
      const std::size_t agent = agent_of_.at(close.connection);
      if (delivering(now)) push(now + kDelay, Kind::kAgentSeesClose, agent, close.connection);
    }
    for (Time at : out.wakeups) push(at, Kind::kPlatformWakeup, 0, 0);
  }

  core::Trace trace_;
  PlatformNode platform_;
  devices::DeviceAgentConfig config_;
  std::vector<DeviceAgent> agents_;
  std::vector<ConnectionId> connection_of_;  // 0: none
  std::map<ConnectionId, std::size_t> agent_of_;
  ConnectionId next_connection_ = 1;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::uint64_t next_order_ = 0;
  Time cut_from_ = Time::max();
  Time cut_until_ = Time::max();
};

constexpr std::size_t kAgents = 20;
constexpr Time kHour = minutes(60);
constexpr Time kHeal = kHour + minutes(10);
// The slowest an agent can come back once the network heals. When the cut heals an agent is
// idle waiting out a back-off (every agent was presumed dead during the cut, and every attempt
// to connect in it failed). The longest back-off is below 30 s (full jitter draws under the
// step), started at worst by an attempt that failed just after the heal: requested just before
// it, failing one delay later. Then the connect takes one delay, the hello one more (the platform
// marks the device connected) and the ack one more (the agent is online): 30 s + 4 delays.
constexpr Time kReconnectedBy = kHeal + milliseconds(30'000) + 4 * kDelay;

TEST(PlatformLoop, FleetConnectsHeartbeatsSurvivesACutAndComesBack) {
  Loop loop(2024, kAgents);
  loop.cut(kHour, kHeal);

  loop.run_until(kHour - microseconds(1));
  const PlatformNode& platform = loop.platform();
  ASSERT_EQ(platform.devices().size(), kAgents);
  EXPECT_EQ(platform.connected_count(), kAgents);
  for (std::size_t i = 0; i < kAgents; ++i) {
    const DeviceConnection& record = platform.devices()[i];
    const DeviceAgent& agent =
        *std::find_if(loop.agents().begin(), loop.agents().end(),
                      [&](const DeviceAgent& a) { return a.identity().serial == record.serial; });
    EXPECT_EQ(record.status, ConnectionStatus::kConnected) << record.serial;
    EXPECT_EQ(record.disconnects, 0u) << record.serial;
    EXPECT_LT(record.first_connected_at, seconds(60) + 2 * kDelay);
    // Hello reaches the platform at first_connected_at; its ack returns a delay later and the
    // agent sends a heartbeat every interval from then, each arriving a delay after it is sent.
    const auto expected = (kHour - record.first_connected_at - 2 * kDelay) / kInterval;
    EXPECT_NEAR(static_cast<double>(record.heartbeats), static_cast<double>(expected), 1)
        << record.serial;
    EXPECT_NEAR(static_cast<double>(agent.metrics().heartbeats_acked),
                static_cast<double>(record.heartbeats), 1)
        << record.serial;
    EXPECT_EQ(agent.state(), AgentState::kOnline);
    EXPECT_EQ(agent.metrics().connects_requested, 1u);
    EXPECT_EQ(agent.metrics().presumed_dead, 0u);
  }

  // During the cut: the platform gives up on every device (at most 4 sweeps after its last
  // heartbeat) and every agent on the platform (after 3 unacknowledged heartbeats).
  loop.run_until(kHeal - microseconds(1));
  EXPECT_EQ(platform.connected_count(), 0u);
  EXPECT_EQ(platform.metrics().disconnects_detected, kAgents);
  for (const DeviceConnection& record : platform.devices()) {
    EXPECT_EQ(record.last_disconnect, DisconnectReason::kMissedHeartbeats) << record.serial;
  }
  for (const DeviceAgent& agent : loop.agents()) {
    EXPECT_EQ(agent.metrics().presumed_dead, 1u) << agent.identity().serial;
    EXPECT_NE(agent.state(), AgentState::kOnline);
    // Presumed dead no earlier than 3 minutes into the cut, the agent had at most 7 minutes of
    // back-off. Delays are drawn below 3, 6, 12, 24, then 30 s, 15 s on average once at 30:
    // about 4 + 420 / 15 = 32 attempts; 60 leaves room for one agent's unlucky draws, and a
    // retry loop without back-off would make thousands.
    EXPECT_GE(agent.metrics().connects_requested, 1u + 5);
    EXPECT_LE(agent.metrics().connects_requested, 1u + 60);
  }

  loop.run_until(kReconnectedBy);
  EXPECT_EQ(platform.connected_count(), kAgents);
  EXPECT_EQ(platform.metrics().reconnects, kAgents);
  for (const DeviceAgent& agent : loop.agents()) {
    EXPECT_EQ(agent.state(), AgentState::kOnline) << agent.identity().serial;
  }

  // And they stay: heartbeats flow again.
  const std::uint64_t before = platform.metrics().heartbeats_received;
  loop.run_until(kReconnectedBy + minutes(10));
  EXPECT_EQ(platform.connected_count(), kAgents);
  EXPECT_GE(platform.metrics().heartbeats_received - before, kAgents * 9);
  EXPECT_EQ(platform.metrics().disconnects_detected, kAgents);
}

std::string loop_digest(std::uint64_t seed) {
  Loop loop(seed, kAgents);
  loop.cut(kHour, kHeal);
  loop.run_until(kReconnectedBy + minutes(10));
  return loop.finish_trace();
}

TEST(PlatformLoop, SameSeedSameTraceDifferentSeedDifferentTrace) {
  const std::string first = loop_digest(7);
  EXPECT_EQ(loop_digest(7), first);
  EXPECT_NE(loop_digest(8), first);
}

}  // namespace
}  // namespace ccsim::platform

namespace ccsim::platform {
namespace {

// A newer LTS leaves a managed camera on the previous one behind: it falls back to connected, and
// the platform tells it on its connection; a camera that never said hello is not told.
TEST_F(OnboardingNodeTest, ANewLtsTellsTheManagedDevicesLeftBehindTheyAreConnected) {
  onboard(seconds(1), 4, "CAM-1");  // reports 11.11.0 on lts-2024, the latest LTS
  ASSERT_EQ(registered("CAM-1").state.mode, DeviceMode::kManaged);
  const std::uint64_t told_before = metrics().mode_changes_sent;
  core::Outbox out;
  const auto fell_back = node_.set_latest_lts_track(seconds(2), "lts-2026", out);
  ASSERT_TRUE(fell_back.ok()) << fell_back.error().message;
  EXPECT_EQ(fell_back.value(), (std::vector<std::string>{"CAM-1"}));
  EXPECT_EQ(registered("CAM-1").state.mode, DeviceMode::kConnected);
  const std::vector<Sent> changes = sent(out, wire::Envelope::kModeChange);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].connection, 4U);
  EXPECT_EQ(changes[0].envelope.mode_change().serial(), "CAM-1");
  EXPECT_EQ(changes[0].envelope.mode_change().mode(), "connected");
  EXPECT_EQ(changes[0].envelope.mode_change().cause(), "latest_lts_moved");
  EXPECT_EQ(metrics().mode_changes_sent, told_before + 1);
  // Nothing is left on the old track now: a second announcement moves nobody.
  core::Outbox again;
  EXPECT_TRUE(node_.set_latest_lts_track(seconds(3), "lts-2026", again).value().empty());
  EXPECT_TRUE(again.sends.empty());
}

}  // namespace
}  // namespace ccsim::platform

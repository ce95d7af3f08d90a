#include "net/loopback_run.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "net/device_client.h"
#include "net/throwaway_ca.h"
#include "net/websocket_session.h"
#include "proto/frame.h"

namespace ccsim::net {
namespace {

using namespace std::chrono_literals;
using devices::AgentState;
using platform::ConnectionStatus;
using platform::DisconnectReason;

// The driver's paused time a test may take: far more than any exchange here needs, and no wall
// time at all, so a loaded machine cannot make a test fail.
constexpr core::Duration kTestTimeMax = std::chrono::minutes(10);

devices::DeviceIdentity camera(std::size_t index) {
  devices::DeviceIdentity identity;
  identity.serial = "ACCC8E00000" + std::to_string(index);
  identity.model = index % 2 == 0 ? "tier1-bullet" : "tier1-dome";
  identity.os_version = "11.11." + std::to_string(index);
  identity.tier = 1;
  return identity;
}

platform::HeartbeatPolicy quick_policy() {
  platform::HeartbeatPolicy policy;
  policy.interval = 100ms;
  policy.missed_heartbeats_max = 3;
  return policy;
}

devices::DeviceAgentConfig quick_agent(std::uint64_t heartbeat_limit) {
  devices::DeviceAgentConfig agent;
  agent.heartbeat_interval = 100ms;
  agent.hello_timeout = 2s;
  agent.start_spread = 50ms;
  agent.heartbeat_limit = heartbeat_limit;
  return agent;
}

// Descriptors this process holds; a run that leaks a socket leaves one more.
std::size_t open_descriptor_count() {
  const std::filesystem::directory_iterator descriptors("/proc/self/fd");
  return static_cast<std::size_t>(std::distance(begin(descriptors), end(descriptors)));
}

TEST(LoopbackRun, ThreeDevicesSayHelloHeartbeatAndGoodbyeOverTls) {
  LoopbackConfig config;
  config.policy = quick_policy();
  config.agent = quick_agent(3);
  for (std::size_t i = 0; i < 3; ++i) config.devices.push_back(camera(i));
  config.seed = 7;
  config.time_max = kTestTimeMax;

  const std::size_t descriptors_before = open_descriptor_count();
  const LoopbackResult result = run_on_loopback(config);
  EXPECT_EQ(open_descriptor_count(), descriptors_before);

  ASSERT_TRUE(result.all_agents_done) << "seed " << config.seed;
  ASSERT_EQ(result.agent_states.size(), 3U);
  for (AgentState state : result.agent_states) EXPECT_EQ(state, AgentState::kDone);
  ASSERT_EQ(result.devices.size(), 3U);
  for (const devices::DeviceIdentity& device : config.devices) {
    const auto record = std::find_if(
        result.devices.begin(), result.devices.end(),
        [&device](const platform::DeviceConnection& r) { return r.serial == device.serial; });
    ASSERT_NE(record, result.devices.end()) << device.serial;
    EXPECT_EQ(record->model, device.model);
    EXPECT_EQ(record->os_version, device.os_version);
    EXPECT_EQ(record->tier, device.tier);
    EXPECT_EQ(record->hellos, 1U);
    EXPECT_EQ(record->heartbeats, 3U);
    EXPECT_EQ(record->status, ConnectionStatus::kDisconnected);
    EXPECT_EQ(record->last_disconnect, DisconnectReason::kGoodbye);
  }
  EXPECT_EQ(result.metrics.hellos_accepted, 3U);
  EXPECT_EQ(result.metrics.goodbyes_received, 3U);
  EXPECT_EQ(result.metrics.frame_errors_total(), 0U);
  EXPECT_EQ(result.metrics.frames_without_hello, 0U);
  EXPECT_EQ(result.server.sessions_opened, 3U);
  EXPECT_EQ(result.server.sessions_closed, 3U);
  EXPECT_EQ(result.server.sessions_closed_by_peer, 3U);
  EXPECT_EQ(result.server.sends_dropped, 0U);
}

TEST(LoopbackRun, RefusesAConfigThatCouldNeverFinish) {
  LoopbackConfig config;
  config.agent.heartbeat_limit = 0;
  EXPECT_THROW(run_on_loopback(config), std::invalid_argument);
}

// A client end driven by the test, sending whatever it likes.
struct RawPeer {
  ~RawPeer() {
    if (session) session->detach();  // its callbacks point here
  }
  std::shared_ptr<WebsocketSession> session;
  bool opened = false;
  std::optional<SessionEnd> end;
};

// The server under test, its node, and what a client needs to reach it, on one io_context.
class PlatformOnLoopback : public ::testing::Test {
 protected:
  PlatformOnLoopback() {
    server_.start();
    core::Outbox out;
    node_.start(loop_.clock().now(), out);
    server_.carry_out(out);
  }
  ~PlatformOnLoopback() override {
    loop_.timers().cancel_all();
    server_.stop();
    loop_.drain();
  }

  bool run_until(const std::function<bool()>& done) {
    return loop_.run_until(done, loop_.clock().now() + kTestTimeMax);
  }

  std::unique_ptr<RawPeer> connect_raw_peer(std::function<void(WebsocketSession&)> on_open,
                                            const SessionLimits& limits = {}) {
    auto peer = std::make_unique<RawPeer>();
    WebsocketSession::Events events;
    RawPeer* raw = peer.get();
    events.on_open = [raw, on_open = std::move(on_open)] {
      raw->opened = true;
      on_open(*raw->session);
    };
    events.on_end = [raw](const SessionEnd& end) { raw->end = end; };
    peer->session = WebsocketSession::connect(loop_.io(), client_tls_, server_.port(), limits,
                                              std::move(events));
    return peer;
  }

  // Runs one agent against the server until it is done and the platform saw its goodbye.
  bool run_device_to_done(std::size_t index) {
    const devices::DeviceAgentConfig config = quick_agent(2);
    devices::DeviceAgent agent(camera(index), config,
                               core::RandomStream(1, core::kDeviceStreamBase + index));
    DeviceClient client(loop_, client_tls_, server_.port(), agent);
    client.start();
    const bool done = run_until([&] {
      const platform::DeviceConnection* record = node_.find(agent.identity().serial);
      return agent.state() == AgentState::kDone && record != nullptr &&
             record->last_disconnect == DisconnectReason::kGoodbye && server_.session_count() == 0;
    });
    client.stop();
    return done;
  }

  DriverLoop loop_{ClockMode::kPaused};
  Credentials credentials_ = make_throwaway_credentials();
  platform::PlatformNode node_{quick_policy(), 16, nullptr};
  PlatformServer server_{loop_, credentials_, node_};
  boost::asio::ssl::context client_tls_ = make_client_tls(credentials_.ca_cert_pem);
};

std::string hello_frame(const devices::DeviceIdentity& identity) {
  wire::Envelope envelope;
  envelope.set_source(identity.serial);
  envelope.set_destination("platform");
  envelope.set_correlation_id(1);
  wire::DeviceHello* hello = envelope.mutable_hello();
  hello->set_serial(identity.serial);
  hello->set_model(identity.model);
  hello->set_os_version(identity.os_version);
  hello->set_tier(identity.tier);
  return wire::encode_frame(envelope);
}

std::string heartbeat_frame() {
  wire::Envelope envelope;
  envelope.set_source("ACCC8E0000FF");
  envelope.set_destination("platform");
  envelope.set_correlation_id(1);
  envelope.mutable_heartbeat()->set_sequence(1);
  return wire::encode_frame(envelope);
}

std::uint64_t frame_errors(const platform::PlatformMetrics& metrics, wire::FrameErrorCode code) {
  return metrics.frame_errors[static_cast<std::size_t>(code)];
}

TEST_F(PlatformOnLoopback, SurvivesJunkAHeartbeatBeforeHelloAndAnOversizedFrame) {
  auto peer = connect_raw_peer([](WebsocketSession& session) {
    session.send(std::string(16, '\xff'));  // an unterminated varint: not an Envelope
    session.send(heartbeat_frame());        // on a connection that never said hello
    session.send(std::string(wire::kFrameBytesMax + 1, 'x'));  // refused from its header
  });
  ASSERT_TRUE(
      run_until([&] { return peer->end.has_value() && server_.metrics().sessions_closed == 1; }));

  EXPECT_TRUE(peer->opened);
  EXPECT_EQ(frame_errors(node_.metrics(), wire::FrameErrorCode::kMalformed), 1U);
  EXPECT_EQ(node_.metrics().frame_errors_total(), 1U);
  EXPECT_EQ(node_.metrics().frames_without_hello, 1U);
  EXPECT_EQ(node_.metrics().hellos_accepted, 0U);
  EXPECT_EQ(server_.metrics().frames_received, 2U);
  EXPECT_EQ(server_.metrics().sessions_closed_oversized, 1U)
      << "closed: transport " << server_.metrics().sessions_closed_transport_error << " protocol "
      << server_.metrics().sessions_closed_protocol_error << " peer "
      << server_.metrics().sessions_closed_by_peer << "; peer saw "
      << session_end_cause_name(peer->end->cause) << " " << peer->end->detail;

  EXPECT_TRUE(run_device_to_done(1));
  EXPECT_EQ(node_.metrics().hellos_accepted, 1U);
  EXPECT_EQ(node_.metrics().frame_errors_total(), 1U);
}

TEST_F(PlatformOnLoopback, CountsAPeerThatDoesNotSpeakTls) {
  boost::asio::ip::tcp::socket socket(loop_.io());
  socket.connect({boost::asio::ip::make_address_v4(kLoopbackAddress), server_.port()});
  const std::string junk = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(junk));
  ASSERT_TRUE(run_until([&] { return server_.metrics().tls_handshakes_failed == 1; }));
  EXPECT_EQ(server_.metrics().sessions_opened, 0U);
  EXPECT_EQ(server_.session_count(), 0U);

  EXPECT_TRUE(run_device_to_done(2));
}

TEST_F(PlatformOnLoopback, MarksADeviceWhoseConnectionDropsAsClosed) {
  const devices::DeviceIdentity identity = camera(3);
  auto peer = connect_raw_peer([&identity](WebsocketSession& session) {
    session.send(hello_frame(identity));
    session.close();
  });
  ASSERT_TRUE(
      run_until([&] { return peer->end.has_value() && server_.metrics().sessions_closed == 1; }));

  const platform::DeviceConnection* record = node_.find(identity.serial);
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->hellos, 1U);
  EXPECT_EQ(record->status, ConnectionStatus::kDisconnected);
  EXPECT_EQ(record->last_disconnect, DisconnectReason::kConnectionClosed);
  EXPECT_EQ(peer->end->cause, SessionEndCause::kClosedByUs);
}

TEST_F(PlatformOnLoopback, DropsASessionWhoseWriteQueueOverflows) {
  SessionLimits limits;
  limits.write_queue_frames_max = 4;
  std::size_t accepted = 0;
  auto peer = connect_raw_peer(
      [&accepted](WebsocketSession& session) {
        // Sent in one go, faster than any socket drains: the fifth frame overflows.
        for (int i = 0; i < 10 && session.send(heartbeat_frame()); ++i) ++accepted;
      },
      limits);
  ASSERT_TRUE(
      run_until([&] { return peer->end.has_value() && server_.metrics().sessions_closed == 1; }));
  EXPECT_EQ(accepted, 4U);  // the queue counts the frame being written
  EXPECT_EQ(peer->end->cause, SessionEndCause::kWriteQueueFull);
  EXPECT_FALSE(peer->session->is_open());
}

TEST_F(PlatformOnLoopback, ADeviceThatTrustsAnotherCaNeverConnects) {
  const Credentials other = make_throwaway_credentials();
  boost::asio::ssl::context other_tls = make_client_tls(other.ca_cert_pem);
  devices::DeviceAgentConfig config = quick_agent(1);
  config.start_spread = core::Duration::zero();
  devices::DeviceAgent agent(camera(4), config, core::RandomStream(1, core::kDeviceStreamBase));
  DeviceClient client(loop_, other_tls, server_.port(), agent);
  client.start();
  ASSERT_TRUE(run_until([&] {
    return client.metrics().connects_failed == 1 && server_.metrics().tls_handshakes_failed == 1;
  }));
  client.stop();

  EXPECT_EQ(client.metrics().connects_succeeded, 0U);
  EXPECT_EQ(agent.metrics().hellos_sent, 0U);
  EXPECT_EQ(agent.state(), AgentState::kIdle);  // backing off before another try
  EXPECT_EQ(server_.metrics().sessions_opened, 0U);
  EXPECT_TRUE(node_.devices().empty());
}

}  // namespace
}  // namespace ccsim::net

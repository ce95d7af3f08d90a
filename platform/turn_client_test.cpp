// The TURN client against the TURN server core, in memory: two sans-IO state machines passing
// bytes, a zero-latency link that can lose chosen packets, no sockets. The expected times are
// the RFCs' own numbers: RFC 8489 section 6.2.1 gives the sends at 0, 500, 1500, 3500, 7500,
// 15500 and 31500 ms and the failure at 39500 ms; RFC 8656 the lifetimes.
#include "platform/turn_client.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace ccsim::platform {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TransportAddress kClient = TransportAddress::ipv4(0xC000020A, 40000);  // 192.0.2.10
const TransportAddress kServer = TransportAddress::ipv4(0xC6336401, 3478);   // 198.51.100.1
const TransportAddress kPeer = TransportAddress::ipv4(0xC0000263, 5000);     // 192.0.2.99

StunBytes bytes_of(std::string_view text) {
  return StunBytes(text.begin(), text.end());
}

TurnServerConfig server_config() {
  TurnServerConfig config;
  config.realm = "ccsim.test";
  config.users = {{"alice", "wonderland"}};
  config.relay_ipv4 = TransportAddress::ipv4(0xCB007105, 0);
  return config;
}

struct Link {
  explicit Link(TurnServerConfig config = server_config(),
                TurnTransport transport = TurnTransport::kUdp, std::string password = "wonderland")
      : server(std::move(config), core::RandomStream(3, 1)),
        client(TurnClientConfig{FiveTuple{kClient, kServer, transport}, "alice",
                                std::move(password), 600},
               core::RandomStream(3, 2)),
        transport_of_client(transport) {}

  // Carries what the client wants to send, and the server's answers, until both are quiet.
  void pump() {
    for (std::vector<StunBytes> out = client.take_outgoing(); !out.empty();
         out = client.take_outgoing()) {
      for (const StunBytes& bytes : out) {
        client_sends.push_back(now);
        if (drop_client && drop_client(bytes)) continue;
        deliver(server.on_client_packet(now, client_config_tuple(), bytes));
      }
    }
  }
  void deliver(const TurnOutput& out) {
    for (const TurnToClient& message : out.to_clients) {
      if (drop_server && drop_server(message.bytes)) continue;
      client.on_packet(now, message.bytes);
    }
    for (const TurnToPeer& datagram : out.to_peers) to_peers.push_back(datagram);
    pump();
  }
  // Moves time to `end`, waking each side when it asked to be.
  void run_until(core::Time end) {
    pump();
    while (true) {
      std::optional<core::Time> next = client.next_wakeup();
      const std::optional<core::Time> expiry = server.next_expiry();
      if (expiry && (!next || *expiry < *next)) next = expiry;
      if (!next || *next > end) break;
      now = std::max(now, *next);
      deliver(server.on_timer(now));
      client.on_timer(now);
      pump();
    }
    now = end;
  }
  FiveTuple client_config_tuple() const { return FiveTuple{kClient, kServer, transport_of_client}; }
  std::vector<TurnClientEvent::Kind> kinds() {
    std::vector<TurnClientEvent::Kind> result;
    for (const TurnClientEvent& event : client.take_events()) result.push_back(event.kind);
    return result;
  }

  TurnServer server;
  TurnClient client;
  TurnTransport transport_of_client;
  core::Time now{};
  std::vector<core::Time> client_sends;
  std::vector<TurnToPeer> to_peers;
  std::function<bool(const StunBytes&)> drop_client;
  std::function<bool(const StunBytes&)> drop_server;
};

using Kind = TurnClientEvent::Kind;

TEST(TurnClient, AllocatesThroughThe401Challenge) {
  Link link;
  link.client.allocate(link.now);
  link.run_until(seconds(1));
  EXPECT_EQ(link.client.state(), TurnClientState::kAllocated);
  EXPECT_EQ(link.client_sends.size(), 2U);  // unsigned, then signed
  ASSERT_TRUE(link.client.relayed_address().has_value());
  EXPECT_TRUE(link.client.relayed_address()->same_ip(TransportAddress::ipv4(0xCB007105, 0)));
  EXPECT_EQ(link.client.mapped_address(), kClient);
  EXPECT_EQ(link.kinds(), std::vector<Kind>{Kind::kAllocated});
  EXPECT_EQ(link.server.allocation_count(), 1U);
}

TEST(TurnClient, AWrongPasswordFailsTheAllocationWith401) {
  Link link(server_config(), TurnTransport::kUdp, "looking-glass");
  link.client.allocate(link.now);
  link.run_until(seconds(1));
  EXPECT_EQ(link.client.state(), TurnClientState::kFailed);
  const std::vector<TurnClientEvent> events = link.client.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kAllocateFailed);
  EXPECT_EQ(events[0].error_code, 401);
}

TEST(TurnClient, DataFlowsBothWaysBySendAndDataThenByChannel) {
  Link link;
  link.client.allocate(link.now);
  link.run_until(seconds(1));
  link.client.take_events();
  link.client.create_permission(link.now, kPeer);
  link.run_until(seconds(2));
  EXPECT_EQ(link.kinds(), std::vector<Kind>{Kind::kPermissionCreated});
  link.client.send(link.now, kPeer, bytes_of("hi"));
  link.pump();
  ASSERT_EQ(link.to_peers.size(), 1U);
  EXPECT_EQ(link.to_peers[0].relay, link.client.relayed_address());
  EXPECT_EQ(link.to_peers[0].peer, kPeer);
  EXPECT_EQ(link.to_peers[0].bytes, bytes_of("hi"));
  link.deliver(
      link.server.on_peer_packet(link.now, *link.client.relayed_address(), kPeer, bytes_of("yo")));
  std::vector<TurnClientEvent> events = link.client.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kData);
  EXPECT_EQ(events[0].peer, kPeer);
  EXPECT_EQ(events[0].data, bytes_of("yo"));
  EXPECT_EQ(events[0].channel, 0);  // a Data indication

  EXPECT_EQ(link.client.bind_channel(link.now, kPeer), 0x4000);
  link.run_until(seconds(3));
  EXPECT_EQ(link.kinds(), std::vector<Kind>{Kind::kChannelBound});
  link.client.send(link.now, kPeer, bytes_of("ch"));
  const std::vector<StunBytes> out = link.client.take_outgoing();
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0], (StunBytes{0x40, 0x00, 0x00, 0x02, 'c', 'h'}));
  link.deliver(
      link.server.on_peer_packet(link.now, *link.client.relayed_address(), kPeer, bytes_of("ok")));
  events = link.client.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].channel, 0x4000);
  EXPECT_EQ(events[0].data, bytes_of("ok"));
}

TEST(TurnClient, KeepsTheAllocationPermissionsAndChannelsAliveThroughStaleNonces) {
  TurnServerConfig config = server_config();
  config.nonce_lifetime = seconds(300);  // shorter than the refresh period: 438s on the way
  Link link(config);
  link.client.allocate(link.now);
  link.run_until(seconds(1));
  link.client.create_permission(link.now, kPeer);
  link.client.bind_channel(link.now, TransportAddress::ipv4(0xC0000264, 6000));
  link.run_until(seconds(3600));
  link.client.take_events();
  EXPECT_EQ(link.client.state(), TurnClientState::kAllocated);
  EXPECT_EQ(link.server.allocation_count(), 1U);
  EXPECT_EQ(link.server.counters().allocations_expired, 0U);
  // The permission made at 1 s would have ended at 301 s without the client's renewals.
  link.deliver(link.server.on_peer_packet(link.now, *link.client.relayed_address(), kPeer,
                                          bytes_of("late")));
  const std::vector<TurnClientEvent> events = link.client.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, bytes_of("late"));
  EXPECT_GT(link.server.counters().error_responses, 2U);  // the 438s, answered by retries
}

TEST(TurnClient, Rfc8489Sec6_2_1_RetransmitsOverUdpAndGivesUpAt39500Ms) {
  Link link;
  link.drop_client = [](const StunBytes&) { return true; };
  link.client.allocate(link.now);
  link.run_until(seconds(60));
  const std::vector<core::Time> expected = {
      milliseconds(0),    milliseconds(500),   milliseconds(1500), milliseconds(3500),
      milliseconds(7500), milliseconds(15500), milliseconds(31500)};
  EXPECT_EQ(link.client_sends, expected);
  const std::vector<TurnClientEvent> events = link.client.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kAllocateFailed);
  EXPECT_EQ(events[0].error_code, 408);
  EXPECT_EQ(link.client.state(), TurnClientState::kFailed);
  EXPECT_EQ(link.client.next_wakeup(), std::nullopt);
}

TEST(TurnClient, ALostAnswerIsRecoveredByTheRetransmissionTheServerRecognises) {
  Link link;
  int successes_dropped = 0;
  link.drop_server = [&](const StunBytes& bytes) {
    const Result<StunMessage> m = parse_stun(bytes);
    if (m.ok() && m.value().message_class == StunClass::kSuccessResponse &&
        successes_dropped == 0) {
      ++successes_dropped;
      return true;
    }
    return false;
  };
  link.client.allocate(link.now);
  link.run_until(seconds(1));
  EXPECT_EQ(link.client.state(), TurnClientState::kAllocated);
  EXPECT_EQ(link.client_sends,
            (std::vector<core::Time>{milliseconds(0), milliseconds(0), milliseconds(500)}));
  EXPECT_EQ(link.server.allocation_count(), 1U);
  EXPECT_EQ(link.server.counters().allocations_created, 1U);
}

TEST(TurnClient, Rfc8489Sec6_2_2_OverTcpSendsOnceAndGivesUpAfterTi) {
  Link link(server_config(), TurnTransport::kTcp);
  link.drop_client = [](const StunBytes&) { return true; };
  link.client.allocate(link.now);
  link.run_until(seconds(39));
  EXPECT_EQ(link.client.state(), TurnClientState::kAllocating);
  link.run_until(milliseconds(39500));
  EXPECT_EQ(link.client_sends, std::vector<core::Time>{milliseconds(0)});
  EXPECT_EQ(link.client.state(), TurnClientState::kFailed);
}

TEST(TurnClient, ReleaseDeletesTheAllocation) {
  Link link;
  link.client.allocate(link.now);
  link.run_until(seconds(1));
  link.client.take_events();
  link.client.release(link.now);
  link.run_until(seconds(2));
  EXPECT_EQ(link.kinds(), std::vector<Kind>{Kind::kReleased});
  EXPECT_EQ(link.client.state(), TurnClientState::kReleased);
  EXPECT_EQ(link.server.allocation_count(), 0U);
}

}  // namespace
}  // namespace ccsim::platform

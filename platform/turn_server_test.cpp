// The TURN server core against RFC 8656 and RFC 8489, clause by clause. A small client-side
// driver here builds requests with the codec (whose bytes RFC 5769's vectors pin down) and
// checks what comes back against the RFC's expectations, written by hand: response class, error
// code, the attributes each clause asks for, lifetimes ending at the simulated instant the RFC
// gives, and bytes of ChannelData written out.
#include "platform/turn_server.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ccsim::platform {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

constexpr std::string_view kRealm = "ccsim.test";
const TransportAddress kClient = TransportAddress::ipv4(0xC000020A, 40000);    // 192.0.2.10
const TransportAddress kServer = TransportAddress::ipv4(0xC6336401, 3478);     // 198.51.100.1
const TransportAddress kRelayIp = TransportAddress::ipv4(0xCB007105, 0);       // 203.0.113.5
const TransportAddress kPeer = TransportAddress::ipv4(0xC0000263, 5000);       // 192.0.2.99
const TransportAddress kOtherPeer = TransportAddress::ipv4(0xC000024D, 5000);  // 192.0.2.77

TurnServerConfig test_config() {
  TurnServerConfig config;
  config.realm = std::string(kRealm);
  config.users = {{"alice", "wonderland"}, {"bob", "builder"}};
  config.relay_ipv4 = kRelayIp;
  config.relay_port_min = 50000;
  config.relay_port_max = 50009;
  config.allocations_per_user_max = 100;
  return config;
}

core::Time at_s(std::int64_t s) {
  return seconds(s);
}

StunBytes bytes_of(std::string_view text) {
  return StunBytes(text.begin(), text.end());
}

// A client on one 5-tuple, speaking to the server under test.
class Client {
 public:
  Client(TurnServer& server, FiveTuple five_tuple, std::string username, std::string password)
      : server_(server),
        five_tuple_(five_tuple),
        username_(std::move(username)),
        password_(std::move(password)) {}

  StunMessage request(StunMethod method) {
    StunMessage m;
    m.method = method;
    m.message_class = StunClass::kRequest;
    m.transaction_id[0] = static_cast<std::uint8_t>(five_tuple_.client.port & 0xff);
    m.transaction_id[11] = ++next_id_;
    return m;
  }
  StunMessage allocate_request() {
    StunMessage m = request(StunMethod::kAllocate);
    m.add_requested_transport(kTransportProtocolUdp);
    return m;
  }
  StunBytes key() const { return stun_long_term_key(username_, kRealm, password_); }
  // Signed as RFC 8489 section 9.2.3.2 says, once a nonce is known.
  StunBytes sign(StunMessage m) const {
    m.add_text(StunAttributeType::kUsername, username_);
    m.add_text(StunAttributeType::kRealm, kRealm);
    m.add_text(StunAttributeType::kNonce, nonce_);
    StunEncodeOptions options;
    options.integrity_key = key();
    options.fingerprint = true;
    return encode_stun(m, options);
  }
  TurnOutput send_bytes(core::Time now, std::span<const std::uint8_t> bytes) {
    last_ = server_.on_client_packet(now, five_tuple_, bytes);
    return last_;
  }
  // The one message the server sent back, parsed; the nonce of a 401 or 438 is kept.
  StunMessage exchange(core::Time now, const StunBytes& bytes) {
    send_bytes(now, bytes);
    EXPECT_EQ(last_.to_clients.size(), 1U);
    if (last_.to_clients.empty()) return {};
    EXPECT_EQ(last_.to_clients[0].five_tuple, five_tuple_);
    last_bytes_ = last_.to_clients[0].bytes;
    Result<StunMessage> reply = parse_stun(last_bytes_);
    EXPECT_TRUE(reply.ok());
    if (!reply.ok()) return {};
    if (auto nonce = reply.value().text(StunAttributeType::kNonce)) nonce_ = *nonce;
    return reply.value();
  }
  StunMessage call(core::Time now, const StunMessage& m) { return exchange(now, sign(m)); }
  StunMessage call_unsigned(core::Time now, const StunMessage& m) {
    return exchange(now, encode_stun(m));
  }
  // 401 first (it brings the nonce), then the signed Allocate.
  StunMessage allocate(core::Time now, std::optional<std::uint32_t> lifetime_s = std::nullopt) {
    call_unsigned(now, allocate_request());
    StunMessage m = allocate_request();
    if (lifetime_s) m.add_u32(StunAttributeType::kLifetime, *lifetime_s);
    return call(now, m);
  }
  const TurnOutput& last() const { return last_; }
  const StunBytes& last_bytes() const { return last_bytes_; }
  const std::string& nonce() const { return nonce_; }
  void set_nonce(std::string nonce) { nonce_ = std::move(nonce); }
  const FiveTuple& five_tuple() const { return five_tuple_; }

 private:
  TurnServer& server_;
  FiveTuple five_tuple_;
  std::string username_;
  std::string password_;
  std::string nonce_;
  std::uint8_t next_id_ = 0;
  TurnOutput last_;
  StunBytes last_bytes_;
};

FiveTuple tuple_of(TransportAddress client, TurnTransport transport = TurnTransport::kUdp) {
  return FiveTuple{client, kServer, transport};
}

int code_of(const StunMessage& m) {
  EXPECT_EQ(m.message_class, StunClass::kErrorResponse);
  return m.error_code() ? m.error_code()->code : 0;
}

// `out` sends one datagram to a peer: `bytes` from `relay` to `peer`.
void expect_to_peer(const TurnOutput& out, const TransportAddress& relay,
                    const TransportAddress& peer, std::string_view bytes) {
  ASSERT_EQ(out.to_peers.size(), 1U);
  EXPECT_EQ(out.to_peers[0].relay, relay);
  EXPECT_EQ(out.to_peers[0].peer, peer);
  EXPECT_EQ(out.to_peers[0].bytes, bytes_of(bytes));
}

class TurnServerTest : public ::testing::Test {
 protected:
  TurnServer server{test_config(), core::RandomStream(7, 1)};
  Client alice{server, tuple_of(kClient), "alice", "wonderland"};
};

TEST_F(TurnServerTest, Rfc8489Sec6_3_BindingIsAnsweredWithXorMappedAddressWithoutCredentials) {
  const StunMessage reply = alice.call_unsigned(at_s(0), alice.request(StunMethod::kBinding));
  EXPECT_EQ(reply.message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(reply.address(StunAttributeType::kXorMappedAddress), kClient);
  EXPECT_EQ(reply.text(StunAttributeType::kSoftware), "ccsim");
  EXPECT_TRUE(reply.has(StunAttributeType::kFingerprint));
  EXPECT_FALSE(reply.has(StunAttributeType::kMessageIntegrity));
}

TEST_F(TurnServerTest, Rfc8489Sec9_2_4_AllocateWithoutIntegrityGets401WithRealmAndNonce) {
  const StunMessage reply = alice.call_unsigned(at_s(0), alice.allocate_request());
  EXPECT_EQ(code_of(reply), 401);
  EXPECT_EQ(reply.text(StunAttributeType::kRealm), kRealm);
  ASSERT_TRUE(reply.text(StunAttributeType::kNonce).has_value());
  EXPECT_EQ(reply.text(StunAttributeType::kNonce)->rfind("obMatJos2AAAA", 0), 0U);
  EXPECT_FALSE(reply.has(StunAttributeType::kMessageIntegrity));
  EXPECT_EQ(server.allocation_count(), 0U);
}

TEST_F(TurnServerTest, Rfc8656Sec7_2_AllocateSucceedsWithRelayedMappedAddressAndLifetime) {
  const StunMessage reply = alice.allocate(at_s(0));
  ASSERT_EQ(reply.message_class, StunClass::kSuccessResponse);
  const std::optional<TransportAddress> relay =
      reply.address(StunAttributeType::kXorRelayedAddress);
  ASSERT_TRUE(relay.has_value());
  EXPECT_TRUE(relay->same_ip(kRelayIp));
  EXPECT_GE(relay->port, 50000);
  EXPECT_LE(relay->port, 50009);
  EXPECT_EQ(reply.u32(StunAttributeType::kLifetime), 600U);
  EXPECT_EQ(reply.address(StunAttributeType::kXorMappedAddress), kClient);
  // RFC 8489 section 9.2.4: the response is signed with the request's key, and fingerprinted.
  EXPECT_EQ(check_stun_integrity(alice.last_bytes(), alice.key()), StunIntegrity::kValid);
  EXPECT_TRUE(reply.has(StunAttributeType::kFingerprint));
  EXPECT_EQ(alice.last().relays_opened, std::vector<TransportAddress>{*relay});
  EXPECT_EQ(server.allocation_count(), 1U);
}

TEST_F(TurnServerTest, Rfc8656Sec7_2_LifetimeIsTheAskedOneWithinDefaultAndMaximum) {
  const auto lifetime_for = [&](std::uint16_t port, std::uint32_t asked) {
    Client client(server, tuple_of(TransportAddress::ipv4(0xC000020A, port)), "alice",
                  "wonderland");
    client.call_unsigned(at_s(0), client.allocate_request());
    StunMessage m = client.allocate_request();
    m.add_u32(StunAttributeType::kLifetime, asked);
    return client.call(at_s(0), m).u32(StunAttributeType::kLifetime);
  };
  EXPECT_EQ(lifetime_for(1, 60), 600U);     // below the default: the default
  EXPECT_EQ(lifetime_for(2, 1200), 1200U);  // between: as asked
  EXPECT_EQ(lifetime_for(3, 7200), 3600U);  // above the maximum: the maximum
}

TEST_F(TurnServerTest, Rfc8489Sec9_2_4_BadCredentialsGet401AndMissingAttributes400) {
  alice.call_unsigned(at_s(0), alice.allocate_request());
  Client mallory(server, tuple_of(kClient), "alice", "looking-glass");
  mallory.set_nonce(alice.nonce());
  const StunMessage wrong = mallory.call(at_s(0), mallory.allocate_request());
  EXPECT_EQ(code_of(wrong), 401);
  EXPECT_EQ(wrong.text(StunAttributeType::kRealm), kRealm);
  EXPECT_FALSE(wrong.has(StunAttributeType::kMessageIntegrity));
  Client nobody(server, tuple_of(kClient), "carol", "wonderland");
  nobody.set_nonce(alice.nonce());
  EXPECT_EQ(code_of(nobody.call(at_s(0), nobody.allocate_request())), 401);
  // MESSAGE-INTEGRITY without NONCE.
  StunMessage m = alice.allocate_request();
  m.add_text(StunAttributeType::kUsername, "alice").add_text(StunAttributeType::kRealm, kRealm);
  StunEncodeOptions options;
  options.integrity_key = alice.key();
  const StunMessage bad = alice.exchange(at_s(0), encode_stun(m, options));
  EXPECT_EQ(code_of(bad), 400);
  EXPECT_FALSE(bad.has(StunAttributeType::kRealm));
}

TEST_F(TurnServerTest, Rfc8489Sec9_2_4_AStaleNonceGets438WithAFreshOneThatWorks) {
  alice.call_unsigned(at_s(0), alice.allocate_request());
  const std::string first = alice.nonce();
  // The nonce holds for kTurnNonceLifetimeDefault (600 s): at 599.999999 s it still works.
  Client early(server, tuple_of(kClient), "alice", "wonderland");
  early.set_nonce(first);
  EXPECT_EQ(early.call(seconds(600) - microseconds(1), early.request(StunMethod::kRefresh))
                .error_code()
                ->code,
            437);  // authenticated; only the allocation is missing
  const StunMessage stale = alice.call(at_s(600), alice.allocate_request());
  EXPECT_EQ(code_of(stale), 438);
  EXPECT_EQ(stale.text(StunAttributeType::kRealm), kRealm);
  EXPECT_NE(alice.nonce(), first);
  EXPECT_EQ(alice.call(at_s(600), alice.allocate_request()).message_class,
            StunClass::kSuccessResponse);
  // A nonce is bound to the client's address: another client cannot use it.
  Client elsewhere(server, tuple_of(TransportAddress::ipv4(0xC000020B, 40000)), "alice",
                   "wonderland");
  elsewhere.set_nonce(alice.nonce());
  EXPECT_EQ(code_of(elsewhere.call(at_s(600), elsewhere.allocate_request())), 438);
}

TEST_F(TurnServerTest, Rfc8656Sec7_2_AllocateRefusals) {
  alice.call_unsigned(at_s(0), alice.allocate_request());
  EXPECT_EQ(code_of(alice.call(at_s(0), alice.request(StunMethod::kAllocate))), 400);  // step 3
  StunMessage tcp = alice.request(StunMethod::kAllocate);
  tcp.add_requested_transport(6);
  EXPECT_EQ(code_of(alice.call(at_s(0), tcp)), 442);  // step 3
  StunMessage df = alice.allocate_request();
  df.add_flag(StunAttributeType::kDontFragment);
  const StunMessage unknown = alice.call(at_s(0), df);  // step 4
  EXPECT_EQ(code_of(unknown), 420);
  EXPECT_EQ(unknown.unknown_attributes(),
            std::vector<StunAttributeType>{StunAttributeType::kDontFragment});
  EXPECT_EQ(check_stun_integrity(alice.last_bytes(), alice.key()), StunIntegrity::kValid);
  StunMessage both = alice.allocate_request();
  both.add_even_port(false).add(StunAttributeType::kReservationToken, StunBytes(8, 1));
  EXPECT_EQ(code_of(alice.call(at_s(0), both)), 400);  // step 5
  StunMessage v6 = alice.allocate_request();
  v6.add_address_family(StunAttributeType::kRequestedAddressFamily, AddressFamily::kIpv6);
  EXPECT_EQ(code_of(alice.call(at_s(0), v6)), 440);  // step 7: no IPv6 relay address
  StunMessage token = alice.allocate_request();
  token.add(StunAttributeType::kReservationToken, StunBytes(8, 1));
  EXPECT_EQ(code_of(alice.call(at_s(0), token)), 508);  // step 5: no such reservation
  StunMessage odd = alice.allocate_request();
  odd.add_flag(StunAttributeType{0x0031});
  EXPECT_EQ(alice.call(at_s(0), odd).unknown_attributes(),
            std::vector<StunAttributeType>{StunAttributeType{0x0031}});
  EXPECT_EQ(server.allocation_count(), 0U);
}

TEST_F(TurnServerTest, Rfc8656Sec7_2_A5TupleInUseGets437ButARetransmissionItsFirstAnswer) {
  alice.call_unsigned(at_s(0), alice.allocate_request());
  const StunBytes request = alice.sign(alice.allocate_request());
  alice.exchange(at_s(0), request);
  const StunBytes first = alice.last_bytes();
  alice.exchange(at_s(1), request);
  EXPECT_EQ(alice.last_bytes(), first);
  EXPECT_TRUE(alice.last().relays_opened.empty());
  EXPECT_EQ(code_of(alice.call(at_s(1), alice.allocate_request())), 437);
  EXPECT_EQ(server.allocation_count(), 1U);
}

TEST(TurnServer, Rfc8656Sec7_2_QuotaPerUsernameGets486) {
  TurnServerConfig config = test_config();
  config.allocations_per_user_max = 2;
  TurnServer server(config, core::RandomStream(7, 1));
  for (std::uint16_t port = 1; port <= 2; ++port) {
    Client c(server, tuple_of(TransportAddress::ipv4(0xC000020A, port)), "alice", "wonderland");
    EXPECT_EQ(c.allocate(at_s(0)).message_class, StunClass::kSuccessResponse);
  }
  Client third(server, tuple_of(TransportAddress::ipv4(0xC000020A, 3)), "alice", "wonderland");
  EXPECT_EQ(code_of(third.allocate(at_s(0))), 486);
  Client bob(server, tuple_of(TransportAddress::ipv4(0xC000020A, 4)), "bob", "builder");
  EXPECT_EQ(bob.allocate(at_s(0)).message_class, StunClass::kSuccessResponse);
}

TEST(TurnServer, Rfc8656Sec7_2_AnExhaustedPortRangeGets508AndEveryPortIsUsedOnce) {
  TurnServer server(test_config(), core::RandomStream(7, 1));
  std::set<std::uint16_t> ports;
  for (std::uint16_t port = 1; port <= 10; ++port) {
    Client c(server, tuple_of(TransportAddress::ipv4(0xC000020A, port)), "alice", "wonderland");
    ports.insert(c.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress)->port);
  }
  EXPECT_EQ(ports, (std::set<std::uint16_t>{50000, 50001, 50002, 50003, 50004, 50005, 50006, 50007,
                                            50008, 50009}));
  Client late(server, tuple_of(TransportAddress::ipv4(0xC000020A, 11)), "alice", "wonderland");
  EXPECT_EQ(code_of(late.allocate(at_s(0))), 508);
}

// The driver refuses a port another socket on its host holds: the core never names it to the
// client and asks for others until one is taken.
TEST(TurnServer, Rfc8656Sec7_2_APortTheDriverCannotTakeIsNeverHandedOutAndAnotherIsTried) {
  std::vector<TransportAddress> asked;
  TurnServer server(test_config(), core::RandomStream(7, 1),
                    [&asked](const TransportAddress& relay) {
                      asked.push_back(relay);
                      return asked.size() > 3;
                    });
  Client alice(server, tuple_of(kClient), "alice", "wonderland");
  const StunMessage reply = alice.allocate(at_s(0));
  ASSERT_EQ(reply.message_class, StunClass::kSuccessResponse);
  ASSERT_EQ(asked.size(), 4U);
  EXPECT_EQ(std::set<TransportAddress>(asked.begin(), asked.end()).size(), 4U);
  for (const TransportAddress& relay : asked) {
    EXPECT_TRUE(relay.same_ip(kRelayIp));
    EXPECT_GE(relay.port, 50000);
    EXPECT_LE(relay.port, 50009);
  }
  EXPECT_EQ(reply.address(StunAttributeType::kXorRelayedAddress), asked[3]);
  EXPECT_EQ(alice.last().relays_opened, std::vector<TransportAddress>{asked[3]});
  EXPECT_TRUE(alice.last().relays_closed.empty());
  EXPECT_EQ(server.allocation_count(), 1U);
}

// RFC 8656 section 7.4: 508 "The server has no more relayed transport addresses available".
TEST(TurnServer, Rfc8656Sec7_2_NoPortTheDriverCanTakeGets508WithNothingAllocatedNorQuotaUsed) {
  TurnServerConfig config = test_config();
  config.allocations_per_user_max = 1;
  bool refuse = true;
  std::vector<TransportAddress> asked;
  TurnServer server(config, core::RandomStream(7, 1), [&](const TransportAddress& relay) {
    asked.push_back(relay);
    return !refuse;
  });
  Client alice(server, tuple_of(kClient), "alice", "wonderland");
  const StunMessage reply = alice.allocate(at_s(0));
  ASSERT_EQ(code_of(reply), 508);
  EXPECT_EQ(reply.error_code()->reason, "Insufficient Capacity");
  EXPECT_EQ(check_stun_integrity(alice.last_bytes(), alice.key()), StunIntegrity::kValid);
  // Each of the range's ten ports was asked for once; then the core gave up.
  std::set<std::uint16_t> ports;
  for (const TransportAddress& relay : asked) ports.insert(relay.port);
  EXPECT_EQ(asked.size(), 10U);
  EXPECT_EQ(ports.size(), 10U);
  EXPECT_TRUE(alice.last().relays_opened.empty());
  EXPECT_TRUE(alice.last().relays_closed.empty());
  EXPECT_EQ(server.allocation_count(), 0U);
  EXPECT_EQ(server.counters().allocations_created, 0U);
  EXPECT_EQ(server.next_expiry(), std::nullopt);
  // No allocation stands on the 5-tuple, and the user's one allocation is still to be had.
  EXPECT_EQ(code_of(alice.call(at_s(1), alice.request(StunMethod::kRefresh))), 437);
  refuse = false;
  EXPECT_EQ(alice.call(at_s(1), alice.allocate_request()).message_class,
            StunClass::kSuccessResponse);
}

TEST(TurnServer, Rfc8656Sec7_2_OneAllocateAsksForAtMostkTurnRelayPortAttemptsMaxPorts) {
  TurnServerConfig config = test_config();
  config.relay_port_max = 50999;  // 1,000 ports
  int asked = 0;
  TurnServer server(config, core::RandomStream(7, 1), [&asked](const TransportAddress&) {
    ++asked;
    return false;
  });
  Client alice(server, tuple_of(kClient), "alice", "wonderland");
  EXPECT_EQ(code_of(alice.allocate(at_s(0))), 508);
  EXPECT_EQ(asked, kTurnRelayPortAttemptsMax);
}

// The R bit's pair is taken whole: port N goes back when N + 1 is refused, and a reserved port
// nobody redeemed goes back when its reservation ends.
TEST(TurnServer, Rfc8656Sec7_2_EvenPortWithRTakesBothPortsOfThePairOrNeither) {
  std::vector<TransportAddress> asked;
  TurnServer server(test_config(), core::RandomStream(7, 1),
                    [&asked](const TransportAddress& relay) {
                      asked.push_back(relay);
                      return asked.size() != 2;
                    });
  Client alice(server, tuple_of(kClient), "alice", "wonderland");
  alice.call_unsigned(at_s(0), alice.allocate_request());
  StunMessage m = alice.allocate_request();
  m.add_even_port(true);
  const StunMessage reply = alice.call(at_s(0), m);
  ASSERT_EQ(reply.message_class, StunClass::kSuccessResponse);
  ASSERT_TRUE(reply.has(StunAttributeType::kReservationToken));
  ASSERT_EQ(asked.size(), 4U);
  EXPECT_EQ(asked[0].port % 2, 0);
  EXPECT_EQ(asked[1].port, asked[0].port + 1);
  EXPECT_EQ(asked[2].port % 2, 0);
  EXPECT_NE(asked[2].port, asked[0].port);
  EXPECT_EQ(asked[3].port, asked[2].port + 1);
  EXPECT_EQ(reply.address(StunAttributeType::kXorRelayedAddress), asked[2]);
  EXPECT_EQ(alice.last().relays_opened, std::vector<TransportAddress>{asked[2]});
  EXPECT_EQ(alice.last().relays_closed, std::vector<TransportAddress>{asked[0]});
  EXPECT_EQ(server.next_expiry(), at_s(30));
  EXPECT_TRUE(server.on_timer(at_s(30) - microseconds(1)).relays_closed.empty());
  EXPECT_EQ(server.on_timer(at_s(30)).relays_closed, std::vector<TransportAddress>{asked[3]});
}

TEST(TurnServer, Rfc8656Sec7_2_EvenPortWithRReservesTheNextPortForItsToken) {
  TurnServer server(test_config(), core::RandomStream(7, 1));
  Client first(server, tuple_of(TransportAddress::ipv4(0xC000020A, 1)), "alice", "wonderland");
  first.call_unsigned(at_s(0), first.allocate_request());
  StunMessage m = first.allocate_request();
  m.add_even_port(true);
  const StunMessage reply = first.call(at_s(0), m);
  const std::uint16_t port = reply.address(StunAttributeType::kXorRelayedAddress)->port;
  EXPECT_EQ(port % 2, 0);
  ASSERT_TRUE(reply.has(StunAttributeType::kReservationToken));
  Client second(server, tuple_of(TransportAddress::ipv4(0xC000020A, 2)), "bob", "builder");
  second.call_unsigned(at_s(1), second.allocate_request());
  StunMessage with_token = second.allocate_request();
  with_token.add(StunAttributeType::kReservationToken,
                 reply.find(StunAttributeType::kReservationToken)->value);
  EXPECT_EQ(second.call(at_s(1), with_token).address(StunAttributeType::kXorRelayedAddress)->port,
            port + 1);
}

TEST_F(TurnServerTest, Rfc8656Sec8_RefreshExtendsAndLifetimeZeroDeletes) {
  const TransportAddress relay =
      *alice.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress);
  EXPECT_EQ(server.next_expiry(), at_s(600));
  StunMessage refresh = alice.request(StunMethod::kRefresh);
  refresh.add_u32(StunAttributeType::kLifetime, 900);
  EXPECT_EQ(alice.call(at_s(500), refresh).u32(StunAttributeType::kLifetime), 900U);
  EXPECT_EQ(server.next_expiry(), at_s(1400));
  StunMessage remove = alice.request(StunMethod::kRefresh);
  remove.add_u32(StunAttributeType::kLifetime, 0);
  const StunMessage removed = alice.call(at_s(501), remove);
  EXPECT_EQ(removed.message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(removed.u32(StunAttributeType::kLifetime), 0U);
  EXPECT_EQ(alice.last().relays_closed, std::vector<TransportAddress>{relay});
  // Section 8.3: a Refresh after that finds no allocation: 437.
  EXPECT_EQ(code_of(alice.call(at_s(502), alice.request(StunMethod::kRefresh))), 437);
  EXPECT_EQ(server.allocation_count(), 0U);
  EXPECT_EQ(server.counters().allocations_deleted, 1U);
}

TEST_F(TurnServerTest, Rfc8656Sec2_AnAllocationExpiresAtItsLifetime) {
  const TransportAddress relay =
      *alice.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress);
  EXPECT_TRUE(server.on_timer(at_s(600) - microseconds(1)).relays_closed.empty());
  EXPECT_EQ(server.on_timer(at_s(600)).relays_closed, std::vector<TransportAddress>{relay});
  EXPECT_EQ(server.allocation_count(), 0U);
  EXPECT_EQ(server.counters().allocations_expired, 1U);
  EXPECT_EQ(server.next_expiry(), std::nullopt);
}

TEST_F(TurnServerTest, Rfc8656Sec5_AnotherUsersRequestOnTheAllocationGets441) {
  alice.allocate(at_s(0));
  Client bob(server, alice.five_tuple(), "bob", "builder");
  bob.call_unsigned(at_s(1), bob.request(StunMethod::kRefresh));  // 401: brings a nonce
  EXPECT_EQ(code_of(bob.call(at_s(1), bob.request(StunMethod::kRefresh))), 441);
}

StunBytes send_indication(const TransportAddress& peer, std::string_view data) {
  StunMessage m;
  m.method = StunMethod::kSend;
  m.message_class = StunClass::kIndication;
  m.transaction_id[5] = 9;
  m.add_address(StunAttributeType::kXorPeerAddress, peer)
      .add(StunAttributeType::kData, bytes_of(data));
  return encode_stun(m);
}

TEST_F(TurnServerTest, Rfc8656Sec9_11_PermissionsLetSendAndDataThroughFor300Seconds) {
  const TransportAddress relay =
      *alice.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress);
  // No permission yet: both directions are dropped.
  EXPECT_TRUE(alice.send_bytes(at_s(1), send_indication(kPeer, "hi")).to_peers.empty());
  EXPECT_TRUE(server.on_peer_packet(at_s(1), relay, kPeer, bytes_of("yo")).to_clients.empty());
  StunMessage permit = alice.request(StunMethod::kCreatePermission);
  permit.add_address(StunAttributeType::kXorPeerAddress, TransportAddress::ipv4(0xC0000263, 1));
  EXPECT_EQ(alice.call(at_s(10), permit).message_class, StunClass::kSuccessResponse);
  // The permission is by IP: any port of 192.0.2.99.
  expect_to_peer(alice.send_bytes(at_s(11), send_indication(kPeer, "hi")), relay, kPeer, "hi");
  const TurnOutput back = server.on_peer_packet(at_s(12), relay, kPeer, bytes_of("yo"));
  ASSERT_EQ(back.to_clients.size(), 1U);
  EXPECT_EQ(back.to_clients[0].five_tuple, alice.five_tuple());
  const StunMessage data = parse_stun(back.to_clients[0].bytes).value();
  EXPECT_EQ(data.method, StunMethod::kData);
  EXPECT_EQ(data.message_class, StunClass::kIndication);
  EXPECT_EQ(data.address(StunAttributeType::kXorPeerAddress), kPeer);
  EXPECT_EQ(StunBytes(data.data()->begin(), data.data()->end()), bytes_of("yo"));
  // Another IP has no permission; the permission ends 300 s after it was made.
  EXPECT_TRUE(server.on_peer_packet(at_s(12), relay, kOtherPeer, bytes_of("x")).to_clients.empty());
  EXPECT_EQ(server.on_peer_packet(at_s(310) - microseconds(1), relay, kPeer, bytes_of("x"))
                .to_clients.size(),
            1U);
  EXPECT_TRUE(server.on_peer_packet(at_s(310), relay, kPeer, bytes_of("x")).to_clients.empty());
  EXPECT_TRUE(alice.send_bytes(at_s(310), send_indication(kPeer, "hi")).to_peers.empty());
  EXPECT_EQ(server.counters().peer_no_permission_dropped, 3U);
  EXPECT_EQ(server.counters().indications_dropped, 2U);
}

TEST_F(TurnServerTest, Rfc8656Sec10_2_CreatePermissionNeedsAPeerOfTheRelaysFamily) {
  alice.allocate(at_s(0));
  EXPECT_EQ(code_of(alice.call(at_s(1), alice.request(StunMethod::kCreatePermission))), 400);
  StunMessage v6 = alice.request(StunMethod::kCreatePermission);
  v6.add_address(
      StunAttributeType::kXorPeerAddress,
      TransportAddress::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 5000));
  EXPECT_EQ(code_of(alice.call(at_s(1), v6)), 443);
}

StunMessage channel_bind(Client& client, std::uint16_t channel, const TransportAddress& peer) {
  StunMessage m = client.request(StunMethod::kChannelBind);
  m.add_channel_number(channel).add_address(StunAttributeType::kXorPeerAddress, peer);
  return m;
}

TEST_F(TurnServerTest, Rfc8656Sec12_AChannelCarriesChannelDataBothWaysFor10Minutes) {
  const TransportAddress relay =
      *alice.allocate(at_s(0), 3600).address(StunAttributeType::kXorRelayedAddress);
  EXPECT_EQ(alice.call(at_s(1), channel_bind(alice, 0x4000, kPeer)).message_class,
            StunClass::kSuccessResponse);
  // Section 12.4: channel, length, data; over UDP without padding.
  const TurnOutput back = server.on_peer_packet(at_s(2), relay, kPeer, bytes_of("abc"));
  ASSERT_EQ(back.to_clients.size(), 1U);
  EXPECT_EQ(back.to_clients[0].bytes, (StunBytes{0x40, 0x00, 0x00, 0x03, 'a', 'b', 'c'}));
  const StunBytes out = {0x40, 0x00, 0x00, 0x02, 'h', 'i', 0x00, 0x00};
  expect_to_peer(alice.send_bytes(at_s(3), out), relay, kPeer, "hi");
  // An unbound channel is dropped.
  EXPECT_TRUE(alice.send_bytes(at_s(3), StunBytes{0x40, 0x01, 0x00, 0x00}).to_peers.empty());
  // The binding made a permission (section 12.2), which ends at 301 s; the channel at 601 s.
  EXPECT_TRUE(server.on_peer_packet(at_s(301), relay, kPeer, bytes_of("a")).to_clients.empty());
  EXPECT_EQ(alice.send_bytes(at_s(601) - microseconds(1), out).to_peers.size(), 1U);
  EXPECT_TRUE(alice.send_bytes(at_s(601), out).to_peers.empty());
  EXPECT_EQ(server.counters().channel_data_dropped, 2U);
}

TEST_F(TurnServerTest, Rfc8656Sec12_2_ChannelBindConflictsGet400AndRebindingRefreshes) {
  alice.allocate(at_s(0));
  EXPECT_EQ(alice.call(at_s(1), channel_bind(alice, 0x4000, kPeer)).message_class,
            StunClass::kSuccessResponse);
  EXPECT_EQ(code_of(alice.call(at_s(2), channel_bind(alice, 0x4000, kOtherPeer))), 400);
  EXPECT_EQ(code_of(alice.call(at_s(2), channel_bind(alice, 0x4001, kPeer))), 400);
  EXPECT_EQ(code_of(alice.call(at_s(2), channel_bind(alice, 0x3FFF, kOtherPeer))), 400);
  EXPECT_EQ(code_of(alice.call(at_s(2), channel_bind(alice, 0x5000, kOtherPeer))), 400);
  StunMessage no_peer = alice.request(StunMethod::kChannelBind);
  no_peer.add_channel_number(0x4002);
  EXPECT_EQ(code_of(alice.call(at_s(2), no_peer)), 400);
  // Rebinding the same pair refreshes it: still bound at 601 s, gone at 900 s.
  EXPECT_EQ(alice.call(at_s(300), channel_bind(alice, 0x4000, kPeer)).message_class,
            StunClass::kSuccessResponse);
  StunMessage refresh = alice.request(StunMethod::kRefresh);
  refresh.add_u32(StunAttributeType::kLifetime, 3600);
  alice.call(at_s(400), refresh);
  alice.set_nonce("");
  alice.call_unsigned(at_s(800), alice.request(StunMethod::kRefresh));  // a fresh nonce
  EXPECT_EQ(code_of(alice.call(at_s(800), channel_bind(alice, 0x4000, kOtherPeer))), 400);
  // Once expired (at 900 s) the channel may go to another peer.
  EXPECT_EQ(alice.call(at_s(900), channel_bind(alice, 0x4000, kOtherPeer)).message_class,
            StunClass::kSuccessResponse);
}

TEST(TurnServer, Rfc8656Sec12_5_ChannelDataIsPaddedOverTcp) {
  TurnServer server(test_config(), core::RandomStream(7, 1));
  Client client(server, tuple_of(kClient, TurnTransport::kTcp), "alice", "wonderland");
  const TransportAddress relay =
      *client.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress);
  client.call(at_s(1), channel_bind(client, 0x4FFF, kPeer));
  const TurnOutput back = server.on_peer_packet(at_s(2), relay, kPeer, bytes_of("abcde"));
  ASSERT_EQ(back.to_clients.size(), 1U);
  EXPECT_EQ(back.to_clients[0].bytes,
            (StunBytes{0x4F, 0xFF, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0, 0, 0}));
  // A closed connection takes its allocation with it.
  EXPECT_EQ(server.on_connection_closed(at_s(3), client.five_tuple()).relays_closed,
            std::vector<TransportAddress>{relay});
}

TEST_F(TurnServerTest, Rfc8656Sec12_ByDefaultChannelsAbove0x4FFFAreRefused) {
  const TransportAddress relay =
      *alice.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress);
  const StunMessage refused = alice.call(at_s(1), channel_bind(alice, 0x5000, kPeer));
  EXPECT_EQ(code_of(refused), 400);
  EXPECT_EQ(refused.error_code()->reason, "Bad Request: channel outside 0x4000..0x4FFF");
  // ChannelData on 0x5000 is neither relayed nor taken for ChannelData at all.
  EXPECT_TRUE(alice.send_bytes(at_s(2), StunBytes{0x50, 0x00, 0x00, 0x01, 'x'}).to_peers.empty());
  EXPECT_EQ(server.counters().not_stun_dropped, 1U);
  EXPECT_TRUE(server.on_peer_packet(at_s(2), relay, kPeer, bytes_of("a")).to_clients.empty());
}

// RFC 5766 section 11's range, for clients written to it (coturn's turnutils_uclient).
TEST(TurnServer, Rfc5766Sec11_ChannelNumbersUpTo0x7FFFWhenConfigured) {
  TurnServerConfig config = test_config();
  config.channel_numbers = ChannelNumbers::kRfc5766;
  TurnServer server(config, core::RandomStream(7, 1));
  Client client(server, tuple_of(kClient), "alice", "wonderland");
  const TransportAddress relay =
      *client.allocate(at_s(0)).address(StunAttributeType::kXorRelayedAddress);
  EXPECT_EQ(client.call(at_s(1), channel_bind(client, 0x7FFF, kPeer)).message_class,
            StunClass::kSuccessResponse);
  const StunMessage refused = client.call(at_s(1), channel_bind(client, 0x8000, kOtherPeer));
  EXPECT_EQ(code_of(refused), 400);
  EXPECT_EQ(refused.error_code()->reason, "Bad Request: channel outside 0x4000..0x7FFF");
  EXPECT_EQ(code_of(client.call(at_s(1), channel_bind(client, 0x3FFF, kOtherPeer))), 400);

  expect_to_peer(client.send_bytes(at_s(2), StunBytes{0x7F, 0xFF, 0x00, 0x02, 'h', 'i'}), relay,
                 kPeer, "hi");
  const TurnOutput back = server.on_peer_packet(at_s(3), relay, kPeer, bytes_of("abc"));
  ASSERT_EQ(back.to_clients.size(), 1U);
  EXPECT_EQ(back.to_clients[0].bytes, (StunBytes{0x7F, 0xFF, 0x00, 0x03, 'a', 'b', 'c'}));
  // 0x80 starts no ChannelData in either range (RFC 7983: RTP and RTCP).
  EXPECT_TRUE(client.send_bytes(at_s(4), StunBytes{0x80, 0x00, 0x00, 0x01, 'x'}).to_peers.empty());
  EXPECT_EQ(server.counters().not_stun_dropped, 1U);
  EXPECT_EQ(server.counters().relayed_to_peers, 1U);
  EXPECT_EQ(server.counters().relayed_to_clients, 1U);
}

TEST_F(TurnServerTest, Rfc8489Sec6_3_MalformedInputIsAnsweredOnlyWhenItIsARequest) {
  // A request whose length field disagrees with its size: 400, with the parser's reason.
  StunBytes broken = encode_stun(alice.request(StunMethod::kBinding));
  broken.push_back(0);
  broken.push_back(0);
  broken.push_back(0);
  broken.push_back(0);
  const StunMessage reply = alice.exchange(at_s(0), broken);
  EXPECT_EQ(code_of(reply), 400);
  EXPECT_EQ(reply.error_code()->reason,
            "Bad Request: message length 0 but 4 bytes follow the header");
  // Garbage, a broken indication, a response and unknown methods' indications are dropped.
  EXPECT_TRUE(alice.send_bytes(at_s(0), StunBytes{0x80, 0x60, 0, 0}).to_clients.empty());
  StunBytes indication = send_indication(kPeer, "x");
  indication[3] = 0xFF;
  EXPECT_TRUE(alice.send_bytes(at_s(0), indication).to_clients.empty());
  StunMessage response = alice.request(StunMethod::kBinding);
  response.message_class = StunClass::kSuccessResponse;
  EXPECT_TRUE(alice.send_bytes(at_s(0), encode_stun(response)).to_clients.empty());
  EXPECT_TRUE(alice.send_bytes(at_s(0), StunBytes{0x40, 0x00, 0x00, 0x09}).to_peers.empty());
  const TurnCounters& counters = server.counters();
  EXPECT_EQ(counters.malformed_answered, 1U);
  EXPECT_EQ(counters.not_stun_dropped, 1U);
  EXPECT_EQ(counters.malformed_dropped, 1U);
  EXPECT_EQ(counters.responses_dropped, 1U);
  EXPECT_EQ(counters.channel_data_dropped, 1U);
  EXPECT_EQ(server.on_peer_packet(at_s(0), kRelayIp, kPeer, bytes_of("x")).to_clients.size(), 0U);
  EXPECT_EQ(counters.peer_no_allocation_dropped, 1U);
}

TEST(TurnServer, TimeLimitedCredentialsHoldUntilTheirExpiry) {
  // turn_credentials_test.cpp's credential, whose password Python's hmac gave:
  // "1767225600:viewer-7" / "9r0a6rrkjMiUkclbman662thhYE=" under "north-secret".
  TurnServerConfig config = test_config();
  config.users.clear();
  config.shared_secret = "north-secret";
  config.unix_time_at_zero_s = 1767225600 - 100;
  TurnServer server(config, core::RandomStream(7, 1));
  Client viewer(server, tuple_of(kClient), "1767225600:viewer-7", "9r0a6rrkjMiUkclbman662thhYE=");
  EXPECT_EQ(viewer.allocate(at_s(100)).message_class, StunClass::kSuccessResponse);
  Client late(server, tuple_of(TransportAddress::ipv4(0xC000020A, 1)), "1767225600:viewer-7",
              "9r0a6rrkjMiUkclbman662thhYE=");
  EXPECT_EQ(code_of(late.allocate(at_s(101))), 401);
  Client forged(server, tuple_of(TransportAddress::ipv4(0xC000020A, 2)), "1999999999:viewer-7",
                "9r0a6rrkjMiUkclbman662thhYE=");
  EXPECT_EQ(code_of(forged.allocate(at_s(0))), 401);
}

}  // namespace
}  // namespace ccsim::platform

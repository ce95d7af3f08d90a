// The TURN driver on loopback sockets: what it adds to the core, which has its own tests. UDP
// datagrams and TCP stream frames reach the core and its answers go back on the same transport;
// frames split across reads or sharing one are cut right; a stream that cannot be framed is
// closed and counted; a relayed address is bound and carries ChannelData both ways over TCP; a
// relay port another socket holds is never handed out (the core tries another, or answers 508).
// coturn's clients test relaying end to end (tools/tests/test_turn_server.py).
#include "net/turn_server_socket.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <thread>

#include "platform/turn_client.h"

namespace ccsim::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using platform::StunBytes;
using platform::StunMessage;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");
// Ports bound at random before one is found whose neighbours are free.
constexpr int kPortSearchesMax = 64;

// A server on 127.0.0.1 on its own io_context and thread; the test talks to it with blocking
// sockets. Every server of a test draws from the same seed.
class ServerThread {
 public:
  explicit ServerThread(platform::TurnServerConfig config)
      : server_(io_, std::move(config), 7, kLoopback, 0) {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ServerThread() { stop(); }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  TurnServerSocket& server() { return server_; }
  // Stops the server and waits for its thread: its counters may be read after.
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { server_.stop(); });
    thread_.join();
  }

 private:
  asio::io_context io_;
  TurnServerSocket server_;
  std::thread thread_;
};

std::array<std::uint16_t, 2> neighbours_of(std::uint16_t port) {
  return {static_cast<std::uint16_t>(port - 1), static_cast<std::uint16_t>(port + 1)};
}

// A UDP socket on a loopback port whose neighbours no socket held when it was bound: a relay
// range of the held port and a neighbour has exactly one port the server can bind.
std::optional<udp::socket> hold_port_between_free_ones(asio::io_context& io) {
  for (int search = 0; search < kPortSearchesMax; ++search) {
    udp::socket held(io, udp::endpoint(kLoopback, 0));
    const std::uint16_t port = held.local_endpoint().port();
    if (port == 0xFFFF) continue;
    bool free = true;
    for (const std::uint16_t neighbour : neighbours_of(port)) {
      udp::socket probe(io, udp::v4());
      boost::system::error_code error;
      probe.bind(udp::endpoint(kLoopback, neighbour), error);
      free = free && !error;
    }
    if (free) return held;
  }
  return std::nullopt;
}

class TurnServerSocketTest : public ::testing::Test {
 protected:
  static platform::TurnServerConfig config() {
    platform::TurnServerConfig config;
    config.users = {{"alice", "secret"}};
    config.relay_ipv4 = transport_address_of(kLoopback, 0);
    return config;
  }
  static platform::TurnServerConfig config_with_relay_ports(std::uint16_t min, std::uint16_t max) {
    platform::TurnServerConfig with = config();
    with.relay_port_min = min;
    with.relay_port_max = max;
    return with;
  }
  void stop() { running_.stop(); }
  static StunBytes binding(std::uint8_t id) {
    StunMessage request;
    request.transaction_id.fill(id);
    platform::StunEncodeOptions options;
    options.fingerprint = true;
    return platform::encode_stun(request, options);
  }
  static StunMessage read_tcp_message(tcp::socket& socket) {
    StunBytes bytes(platform::kStunHeaderBytes);
    asio::read(socket, asio::buffer(bytes));
    const std::size_t length = (std::size_t{bytes[2]} << 8) | bytes[3];
    bytes.resize(platform::kStunHeaderBytes + length);
    asio::read(socket, asio::buffer(bytes.data() + platform::kStunHeaderBytes, length));
    auto parsed = platform::parse_stun(bytes);
    EXPECT_TRUE(parsed.ok());
    return parsed.value();
  }
  static platform::TransportAddress address_of(const tcp::endpoint& endpoint) {
    return transport_address_of(endpoint.address(), endpoint.port());
  }

  // Reads from `socket` into `chunk` within kReadWithin; nullopt when nothing came.
  // Alice's client over the connected `socket`.
  static platform::TurnClientConfig tcp_client_config(const tcp::socket& socket) {
    platform::TurnClientConfig config;
    config.five_tuple = {address_of(socket.local_endpoint()), address_of(socket.remote_endpoint()),
                         platform::TurnTransport::kTcp};
    config.username = "alice";
    config.password = "secret";
    return config;
  }

  std::optional<std::size_t> read_within(tcp::socket& socket, StunBytes& chunk) {
    std::optional<std::size_t> got;
    socket.async_read_some(asio::buffer(chunk),
                           [&got](const boost::system::error_code& error, std::size_t count) {
                             got = error ? 0 : count;
                           });
    client_io_.restart();
    client_io_.run_for(kReadWithin);
    if (!got) {
      socket.cancel();
      client_io_.restart();
      client_io_.run();
      return std::nullopt;
    }
    return got;
  }
  // Connects `socket` to `server` and allocates over it with a TURN client until the client
  // reports `kind` (kAllocated carries the relayed address in `peer`); false when it does not.
  // The allocation lasts as long as `socket` stays open.
  bool allocate_over_tcp(tcp::socket& socket, TurnServerSocket& server,
                         platform::TurnClientEvent::Kind kind, platform::TurnClientEvent* found) {
    socket.connect(tcp::endpoint(kLoopback, server.port()));
    platform::TurnClient client(tcp_client_config(socket), core::RandomStream(1, 2));
    client.allocate(core::Time{0});
    return exchange_until(socket, client, kind, found);
  }
  // Sends what `client` has to send, then feeds it the server's frames until it reports `kind`.
  bool exchange_until(tcp::socket& socket, platform::TurnClient& client,
                      platform::TurnClientEvent::Kind kind, platform::TurnClientEvent* found) {
    StunBytes chunk(platform::kStunMessageBytesMax);
    StunBytes inbox;
    for (;;) {
      // The client answers the 401 challenge with its request again, signed.
      for (const StunBytes& frame : client.take_outgoing()) {
        asio::write(socket, asio::buffer(frame));
      }
      const std::optional<std::size_t> count = read_within(socket, chunk);
      if (!count || *count == 0) return false;
      inbox.insert(inbox.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*count));
      for (;;) {
        const auto frame = platform::stream_frame_bytes(inbox);
        if (!frame.ok() || frame.value() == 0) break;
        client.on_packet(core::Time{0}, std::span(inbox).first(frame.value()));
        inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(frame.value()));
      }
      for (platform::TurnClientEvent& event : client.take_events()) {
        if (event.kind != kind) continue;
        *found = std::move(event);
        return true;
      }
    }
  }

  static constexpr std::chrono::seconds kReadWithin{5};
  ServerThread running_{config()};
  TurnServerSocket& server_ = running_.server();
  asio::io_context client_io_;
};

TEST_F(TurnServerSocketTest, UdpBindingIsAnsweredWithTheClientsAddress) {
  udp::socket client(client_io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  client.send_to(asio::buffer(binding(1)),
                 udp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  StunBytes reply(platform::kStunMessageBytesMax);
  udp::endpoint from;
  reply.resize(client.receive_from(asio::buffer(reply), from));
  auto parsed = platform::parse_stun(reply);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().message_class, platform::StunClass::kSuccessResponse);
  const auto mapped = parsed.value().address(platform::StunAttributeType::kXorMappedAddress);
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(*mapped, transport_address_of(client.local_endpoint().address(),
                                          client.local_endpoint().port()));
  EXPECT_EQ(from.port(), server_.port());
  stop();
  EXPECT_EQ(server_.counters().udp_datagrams_received, 1u);
  EXPECT_EQ(server_.counters().udp_datagrams_sent, 1u);
}

TEST_F(TurnServerSocketTest, TcpFramesSplitAcrossWritesOrSharingOneAreEachAnswered) {
  tcp::socket client(client_io_);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  client.set_option(tcp::no_delay(true));
  StunBytes both = binding(1);
  const StunBytes second = binding(2);
  both.insert(both.end(), second.begin(), second.end());
  asio::write(client, asio::buffer(both.data(), 7));  // half a header
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  asio::write(client, asio::buffer(both.data() + 7, both.size() - 7));
  for (std::uint8_t id : {1, 2}) {
    const StunMessage reply = read_tcp_message(client);
    EXPECT_EQ(reply.transaction_id[0], id);
    EXPECT_EQ(reply.address(platform::StunAttributeType::kXorMappedAddress),
              address_of(client.local_endpoint()));
  }
  stop();
  // Not tcp_messages_sent: a write is counted when its handler runs, which stop() may forestall
  // after the bytes have left.
  EXPECT_EQ(server_.counters().tcp_messages_received, 2u);
}

TEST_F(TurnServerSocketTest, AStreamThatCannotBeFramedIsClosedAndCounted) {
  tcp::socket client(client_io_);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  // TLS's ClientHello: a client that took this for a TURN-over-TLS port. ('G' of an HTTP request
  // would not do: 0x47 starts a ChannelData frame, and the server would wait for its 0x5420
  // bytes.)
  const std::string garbage = "\x16\x03\x01\x00\x05hello";
  asio::write(client, asio::buffer(garbage));
  char byte = 0;
  boost::system::error_code error;
  client.read_some(asio::buffer(&byte, 1), error);
  EXPECT_TRUE(error == asio::error::eof || error == asio::error::connection_reset) << error;
  stop();
  EXPECT_EQ(server_.counters().tcp_framing_errors, 1u);
  EXPECT_EQ(server_.counters().tcp_connections_closed, 1u);
  EXPECT_EQ(server_.core_counters().allocations_created, 0u);
}

TEST_F(TurnServerSocketTest, ARelayedAddressCarriesChannelDataBothWaysOverTcp) {
  using Kind = platform::TurnClientEvent::Kind;
  const asio::ip::address loopback = asio::ip::make_address("127.0.0.1");
  tcp::socket socket(client_io_);
  socket.connect(tcp::endpoint(loopback, server_.port()));
  udp::socket peer(client_io_, udp::endpoint(loopback, 0));
  const platform::TransportAddress peer_address =
      transport_address_of(loopback, peer.local_endpoint().port());
  platform::TurnClient client(tcp_client_config(socket), core::RandomStream(1, 2));
  platform::TurnClientEvent event;

  client.allocate(core::Time{0});
  ASSERT_TRUE(exchange_until(socket, client, Kind::kAllocated, &event));
  const platform::TransportAddress relayed = client.relayed_address().value();
  client.bind_channel(core::Time{0}, peer_address);
  ASSERT_TRUE(exchange_until(socket, client, Kind::kChannelBound, &event));

  // Five bytes: ChannelData padded to eight over TCP, both ways.
  const StunBytes hello = {'h', 'e', 'l', 'l', 'o'};
  client.send(core::Time{0}, peer_address, hello);
  for (const StunBytes& frame : client.take_outgoing()) asio::write(socket, asio::buffer(frame));
  StunBytes received(64);
  udp::endpoint from;
  received.resize(peer.receive_from(asio::buffer(received), from));
  EXPECT_EQ(received, hello);
  EXPECT_EQ(transport_address_of(from.address(), from.port()), relayed);

  const StunBytes world = {'w', 'o', 'r', 'l', 'd'};
  peer.send_to(asio::buffer(world), udp::endpoint(ip_of(relayed), relayed.port));
  ASSERT_TRUE(exchange_until(socket, client, Kind::kData, &event));
  EXPECT_EQ(event.data, world);
  EXPECT_EQ(event.peer, peer_address);
  stop();
  EXPECT_EQ(server_.counters().relays_opened, 1u);
  EXPECT_EQ(server_.counters().peer_datagrams_received, 1u);
  EXPECT_EQ(server_.counters().peer_datagrams_sent, 1u);
  EXPECT_EQ(server_.core_counters().relayed_to_peers, 1u);
  EXPECT_EQ(server_.core_counters().relayed_to_clients, 1u);
}

// A port another socket holds is refused by the bind, and the core tries the free one before
// the client hears of any. The two servers draw the same first port from the same seed: exactly
// one of them draws the held port first, whichever way the draw goes.
TEST_F(TurnServerSocketTest, ARelayPortAnotherSocketHoldsIsPassedOverForAFreeOne) {
  using Kind = platform::TurnClientEvent::Kind;
  std::optional<udp::socket> held = hold_port_between_free_ones(client_io_);
  ASSERT_TRUE(held.has_value());
  const std::uint16_t port = held->local_endpoint().port();
  std::uint64_t bind_failures = 0;
  for (const std::uint16_t free_port : neighbours_of(port)) {
    ServerThread running(
        config_with_relay_ports(std::min(port, free_port), std::max(port, free_port)));
    tcp::socket socket(client_io_);
    platform::TurnClientEvent event;
    ASSERT_TRUE(allocate_over_tcp(socket, running.server(), Kind::kAllocated, &event));
    EXPECT_EQ(event.peer, transport_address_of(kLoopback, free_port));
    // The server holds it: nobody else can bind it now.
    udp::socket probe(client_io_, udp::v4());
    boost::system::error_code error;
    probe.bind(udp::endpoint(kLoopback, free_port), error);
    EXPECT_EQ(error, asio::error::address_in_use);
    running.stop();
    EXPECT_EQ(running.server().allocation_count(), 1u);
    EXPECT_EQ(running.server().counters().relays_opened, 1u);
    bind_failures += running.server().counters().relay_bind_failures;
  }
  EXPECT_EQ(bind_failures, 1u);
}

// RFC 8656 section 7.2: "If the server cannot satisfy the request, then the server rejects the
// request with a 508 (Insufficient Capacity) error." No allocation is left relaying nothing.
TEST_F(TurnServerSocketTest, OnlyARelayPortAnotherSocketHoldsGets508AndNoAllocation) {
  using Kind = platform::TurnClientEvent::Kind;
  std::optional<udp::socket> held = hold_port_between_free_ones(client_io_);
  ASSERT_TRUE(held.has_value());
  const std::uint16_t port = held->local_endpoint().port();
  ServerThread running(config_with_relay_ports(port, port));
  tcp::socket socket(client_io_);
  platform::TurnClientEvent event;
  ASSERT_TRUE(allocate_over_tcp(socket, running.server(), Kind::kAllocateFailed, &event));
  EXPECT_EQ(event.error_code, 508);
  running.stop();
  EXPECT_EQ(running.server().allocation_count(), 0u);
  EXPECT_EQ(running.server().core_counters().allocations_created, 0u);
  EXPECT_EQ(running.server().counters().relay_bind_failures, 1u);
  EXPECT_EQ(running.server().counters().relays_opened, 0u);
}

}  // namespace
}  // namespace ccsim::net

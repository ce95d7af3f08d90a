// The TURN driver on loopback sockets: what it adds to the core, which has its own tests. UDP
// datagrams and TCP stream frames reach the core and its answers go back on the same transport;
// frames split across reads or sharing one are cut right; a stream that cannot be framed is
// closed and counted; a relayed address is bound and carries ChannelData both ways over TCP.
// coturn's clients test relaying end to end (tools/tests/test_turn_server.py).
#include "net/turn_server_socket.h"

#include <gtest/gtest.h>

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

// The server on its own thread; the test talks to it with blocking sockets.
class TurnServerSocketTest : public ::testing::Test {
 protected:
  TurnServerSocketTest() : server_(io_, config(), 7, asio::ip::make_address("127.0.0.1"), 0) {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TurnServerSocketTest() override { stop(); }

  static platform::TurnServerConfig config() {
    platform::TurnServerConfig config;
    config.users = {{"alice", "secret"}};
    config.relay_ipv4 = transport_address_of(asio::ip::make_address("127.0.0.1"), 0);
    return config;
  }
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { server_.stop(); });
    thread_.join();
  }
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
  asio::io_context io_;
  TurnServerSocket server_;
  std::thread thread_;
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
  platform::TurnClientConfig config;
  config.five_tuple = {address_of(socket.local_endpoint()), address_of(socket.remote_endpoint()),
                       platform::TurnTransport::kTcp};
  config.username = "alice";
  config.password = "secret";
  platform::TurnClient client(config, core::RandomStream(1, 2));
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

}  // namespace
}  // namespace ccsim::net

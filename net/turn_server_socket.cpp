#include "net/turn_server_socket.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <deque>
#include <span>

namespace ccsim::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

// Datagrams read at once, without going back to the event loop, when a socket has several
// queued: fewer wake-ups under load, and no socket starves the others for long.
constexpr int kDatagramsPerWakeupMax = 64;
// A TCP read's chunk; stream frames larger than this are assembled over several reads.
constexpr std::size_t kStreamReadBytes = 64 * 1024;

// Best effort: a smaller buffer than asked still works.
void enlarge_buffers(udp::socket& socket, int receive_bytes) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::receive_buffer_size(receive_bytes), ignored);
  socket.set_option(asio::socket_base::send_buffer_size(kTurnUdpSocketBufferBytes), ignored);
}

}  // namespace

platform::TransportAddress transport_address_of(const asio::ip::address& ip, std::uint16_t port) {
  if (ip.is_v4()) return platform::TransportAddress::ipv4(ip.to_v4().to_uint(), port);
  const asio::ip::address_v6 v6 = ip.to_v6();
  if (v6.is_v4_mapped()) {
    return platform::TransportAddress::ipv4(
        asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(), port);
  }
  return platform::TransportAddress::ipv6(v6.to_bytes(), port);
}

asio::ip::address ip_of(const platform::TransportAddress& address) {
  if (address.family == platform::AddressFamily::kIpv4) {
    return asio::ip::address_v4({address.ip[0], address.ip[1], address.ip[2], address.ip[3]});
  }
  return asio::ip::address_v6(address.ip);
}

struct TurnServerSocket::TcpConnection {
  explicit TcpConnection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  platform::FiveTuple five_tuple;
  std::vector<std::uint8_t> read_chunk = std::vector<std::uint8_t>(kStreamReadBytes);
  std::vector<std::uint8_t> inbox;  // bytes read and not yet a whole frame
  std::deque<platform::StunBytes> outbox;
  std::size_t outbox_bytes = 0;
  bool writing = false;
  bool closed = false;
};

struct TurnServerSocket::RelaySocket {
  explicit RelaySocket(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  platform::TransportAddress address;
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(platform::kStunMessageBytesMax);
  udp::endpoint sender;
  bool closed = false;
};

TurnServerSocket::TurnServerSocket(asio::io_context& io, platform::TurnServerConfig config,
                                   std::uint64_t seed, asio::ip::address listen_ip,
                                   std::uint16_t listen_port)
    : io_(io),
      core_(std::move(config), core::RandomStream(seed, 0),
            [this](const platform::TransportAddress& relay) { return take_relay(relay); }),
      listen_ip_(listen_ip),
      port_(listen_port),
      udp_(io),
      acceptor_(io),
      accept_retry_(io),
      expiry_timer_(io),
      udp_buffer_(platform::kStunMessageBytesMax) {}

TurnServerSocket::~TurnServerSocket() {
  stop();
}

void TurnServerSocket::start() {
  assert(!udp_.is_open());
  bind_listeners();
  udp_five_tuple_.server = transport_address_of(listen_ip_, port_);
  udp_five_tuple_.transport = platform::TurnTransport::kUdp;
  receive_client_datagram();
  accept_next();
}

// UDP first, then TCP on the port UDP got: clients are told one port for both.
void TurnServerSocket::bind_listeners() {
  const bool any_port = port_ == 0;
  for (int attempt = 1;; ++attempt) {
    const udp::endpoint udp_endpoint(listen_ip_, any_port ? 0 : port_);
    udp_.open(udp_endpoint.protocol());
    udp_.bind(udp_endpoint);
    udp_.non_blocking(true);
    enlarge_buffers(udp_, kTurnUdpListenReceiveBufferBytes);
    const std::uint16_t port = udp_.local_endpoint().port();
    const tcp::endpoint tcp_endpoint(listen_ip_, port);
    acceptor_.open(tcp_endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    boost::system::error_code error;
    acceptor_.bind(tcp_endpoint, error);
    if (!error) {
      acceptor_.listen(asio::socket_base::max_listen_connections);
      port_ = port;
      return;
    }
    acceptor_.close();
    udp_.close();
    if (!any_port || attempt == kTurnListenBindTriesMax) {
      throw boost::system::system_error(error, "bind TCP");
    }
  }
}

void TurnServerSocket::stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  udp_.close(ignored);
  acceptor_.close(ignored);
  accept_retry_.cancel();
  expiry_timer_.cancel();
  while (!connections_.empty()) close_connection(connections_.begin()->second, false);
  for (auto& [address, relay] : relays_) {
    relay->closed = true;
    relay->socket.close(ignored);
  }
  relays_.clear();
}

void TurnServerSocket::receive_client_datagram() {
  udp_.async_receive_from(
      asio::buffer(udp_buffer_), udp_sender_,
      [this](const boost::system::error_code& error, std::size_t count) {
        // Checked before touching `this`: closing the socket in the destructor aborts the read.
        if (error == asio::error::operation_aborted) return;
        if (stopping_) return;
        for (int n = 0; !error && n < kDatagramsPerWakeupMax; ++n) {
          if (n > 0) {
            boost::system::error_code again;
            count = udp_.receive_from(asio::buffer(udp_buffer_), udp_sender_, 0, again);
            if (again) break;
          }
          ++counters_.udp_datagrams_received;
          udp_five_tuple_.client = transport_address_of(udp_sender_.address(), udp_sender_.port());
          carry_out(core_.on_client_packet(
              now(), udp_five_tuple_, std::span<const std::uint8_t>(udp_buffer_.data(), count)));
          if (stopping_) return;
        }
        // An error here is an ICMP report about an earlier send: the socket itself is fine.
        receive_client_datagram();
      });
}

void TurnServerSocket::accept_next() {
  acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;  // before touching `this`
    if (stopping_) return;
    if (error) {
      // A peer gone before we took it, or no descriptors left: the acceptor stays.
      ++counters_.accept_errors;
      accept_retry_.expires_after(kTurnAcceptRetryDelay);
      accept_retry_.async_wait([this](const boost::system::error_code& waited) {
        if (waited == asio::error::operation_aborted) return;
        if (!stopping_) accept_next();
      });
      return;
    }
    on_accept(std::move(socket));
    accept_next();
  });
}

void TurnServerSocket::on_accept(tcp::socket socket) {
  ++counters_.tcp_connections_accepted;
  boost::system::error_code error;
  const tcp::endpoint remote = socket.remote_endpoint(error);
  const tcp::endpoint local = error ? tcp::endpoint() : socket.local_endpoint(error);
  if (error || connections_.size() >= kTurnTcpConnectionsMax) {
    ++counters_.tcp_connections_refused;
    socket.close(error);
    return;
  }
  socket.set_option(tcp::no_delay(true), error);
  auto connection = std::make_shared<TcpConnection>(std::move(socket));
  connection->five_tuple.client = transport_address_of(remote.address(), remote.port());
  connection->five_tuple.server = transport_address_of(local.address(), local.port());
  connection->five_tuple.transport = platform::TurnTransport::kTcp;
  connections_[connection->five_tuple] = connection;
  read_stream(connection);
}

void TurnServerSocket::read_stream(const std::shared_ptr<TcpConnection>& connection) {
  connection->socket.async_read_some(
      asio::buffer(connection->read_chunk),
      [this, connection](const boost::system::error_code& error, std::size_t count) {
        if (connection->closed) return;  // the connection, not `this`: it may be gone
        if (stopping_) return;
        if (error) {
          close_connection(connection, true);
          return;
        }
        on_stream_bytes(connection, count);
        if (!connection->closed) read_stream(connection);
      });
}

// Feeds every whole frame in the inbox to the core; a stream that cannot be framed is closed.
void TurnServerSocket::on_stream_bytes(const std::shared_ptr<TcpConnection>& connection,
                                       std::size_t count) {
  std::vector<std::uint8_t>& inbox = connection->inbox;
  inbox.insert(inbox.end(), connection->read_chunk.begin(),
               connection->read_chunk.begin() + static_cast<std::ptrdiff_t>(count));
  std::size_t used = 0;
  while (!connection->closed) {
    const std::span<const std::uint8_t> rest(inbox.data() + used, inbox.size() - used);
    const platform::Result<std::size_t> frame =
        platform::stream_frame_bytes(rest, core_.channel_numbers());
    if (!frame.ok()) {
      ++counters_.tcp_framing_errors;
      close_connection(connection, true);
      return;
    }
    if (frame.value() == 0) break;
    ++counters_.tcp_messages_received;
    carry_out(core_.on_client_packet(now(), connection->five_tuple, rest.first(frame.value())));
    used += frame.value();
    if (stopping_) return;
  }
  inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(used));
}

void TurnServerSocket::write_stream(const std::shared_ptr<TcpConnection>& connection) {
  if (connection->writing || connection->outbox.empty()) return;
  connection->writing = true;
  asio::async_write(connection->socket, asio::buffer(connection->outbox.front()),
                    [this, connection](const boost::system::error_code& error, std::size_t) {
                      if (connection->closed) return;  // before touching `this`
                      connection->writing = false;
                      if (error) {
                        close_connection(connection, true);
                        return;
                      }
                      connection->outbox_bytes -= connection->outbox.front().size();
                      connection->outbox.pop_front();
                      ++counters_.tcp_messages_sent;
                      write_stream(connection);
                    });
}

// `tell_core`: the client went away, and its allocation with it; not when the server stops.
void TurnServerSocket::close_connection(const std::shared_ptr<TcpConnection>& connection,
                                        bool tell_core) {
  if (connection->closed) return;
  connection->closed = true;
  boost::system::error_code ignored;
  connection->socket.close(ignored);
  connections_.erase(connection->five_tuple);
  ++counters_.tcp_connections_closed;
  if (tell_core && !stopping_) {
    carry_out(core_.on_connection_closed(now(), connection->five_tuple));
  }
}

void TurnServerSocket::receive_peer_datagram(const std::shared_ptr<RelaySocket>& relay) {
  relay->socket.async_receive_from(
      asio::buffer(relay->buffer), relay->sender,
      [this, relay](const boost::system::error_code& error, std::size_t count) {
        if (relay->closed) return;  // before touching `this`
        if (stopping_) return;
        for (int n = 0; !error && n < kDatagramsPerWakeupMax && !relay->closed; ++n) {
          if (n > 0) {
            boost::system::error_code again;
            count =
                relay->socket.receive_from(asio::buffer(relay->buffer), relay->sender, 0, again);
            if (again) break;
          }
          ++counters_.peer_datagrams_received;
          const platform::TransportAddress peer =
              transport_address_of(relay->sender.address(), relay->sender.port());
          carry_out(
              core_.on_peer_packet(now(), relay->address, peer,
                                   std::span<const std::uint8_t>(relay->buffer.data(), count)));
          if (stopping_) return;
        }
        if (!relay->closed) receive_peer_datagram(relay);
      });
}

// Relayed addresses were bound as the core took them, before it answered: relays_opened needs
// nothing more.
void TurnServerSocket::carry_out(platform::TurnOutput output) {
  for (const platform::TransportAddress& address : output.relays_opened) {
    assert(relays_.contains(address));
  }
  for (platform::TurnToClient& message : output.to_clients) send_to_client(message);
  for (const platform::TurnToPeer& message : output.to_peers) send_to_peer(message);
  for (const platform::TransportAddress& address : output.relays_closed) close_relay(address);
  arm_timer();
}

// The core's RelayAddressTaker, called from inside a core call: binds `address` now, so the
// core learns that a port is held elsewhere while it can still try another or answer 508.
bool TurnServerSocket::take_relay(const platform::TransportAddress& address) {
  assert(!relays_.contains(address));
  auto relay = std::make_shared<RelaySocket>(io_);
  relay->address = address;
  const udp::endpoint endpoint(ip_of(address), address.port);
  boost::system::error_code error;
  relay->socket.open(endpoint.protocol(), error);
  if (!error) relay->socket.bind(endpoint, error);
  if (!error) relay->socket.non_blocking(true, error);
  if (error) {
    ++counters_.relay_bind_failures;
    return false;
  }
  enlarge_buffers(relay->socket, kTurnUdpSocketBufferBytes);
  ++counters_.relays_opened;
  relays_[address] = relay;
  receive_peer_datagram(relay);
  return true;
}

void TurnServerSocket::close_relay(const platform::TransportAddress& address) {
  auto found = relays_.find(address);
  assert(found != relays_.end());  // the core gives back only what it took
  found->second->closed = true;
  boost::system::error_code ignored;
  found->second->socket.close(ignored);
  relays_.erase(found);
  ++counters_.relays_closed;
}

void TurnServerSocket::send_to_client(platform::TurnToClient& message) {
  if (message.five_tuple.transport == platform::TurnTransport::kUdp) {
    const udp::endpoint to(ip_of(message.five_tuple.client), message.five_tuple.client.port);
    boost::system::error_code error;
    udp_.send_to(asio::buffer(message.bytes), to, 0, error);
    ++(error ? counters_.sends_dropped : counters_.udp_datagrams_sent);
    return;
  }
  auto found = connections_.find(message.five_tuple);
  if (found == connections_.end()) {
    ++counters_.sends_dropped;
    return;
  }
  const std::shared_ptr<TcpConnection> connection = found->second;
  if (connection->outbox_bytes + message.bytes.size() > kTurnTcpWriteQueueBytesMax) {
    ++counters_.tcp_write_queue_full;
    close_connection(connection, true);
    return;
  }
  connection->outbox_bytes += message.bytes.size();
  connection->outbox.push_back(std::move(message.bytes));
  write_stream(connection);
}

void TurnServerSocket::send_to_peer(const platform::TurnToPeer& message) {
  auto found = relays_.find(message.relay);
  if (found == relays_.end()) {
    ++counters_.sends_dropped;
    return;
  }
  const udp::endpoint to(ip_of(message.peer), message.peer.port);
  boost::system::error_code error;
  found->second->socket.send_to(asio::buffer(message.bytes), to, 0, error);
  ++(error ? counters_.sends_dropped : counters_.peer_datagrams_sent);
}

// One wait pending at a time, for the core's earliest expiry. A wait that fired as a later one
// was set only calls on_timer() early, which the core takes as a no-op.
void TurnServerSocket::arm_timer() {
  if (stopping_) return;
  const std::optional<core::Time> next = core_.next_expiry();
  if (next == timer_armed_for_) return;
  timer_armed_for_ = next;
  if (!next) {
    expiry_timer_.cancel();
    return;
  }
  expiry_timer_.expires_at(clock_.wall_time_at(*next));
  expiry_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == asio::error::operation_aborted) return;  // before touching `this`
    if (stopping_) return;
    timer_armed_for_.reset();
    carry_out(core_.on_timer(now()));
  });
}

}  // namespace ccsim::net

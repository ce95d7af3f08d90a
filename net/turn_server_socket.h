// The platform's TURN relay on real sockets: what `ccsim turn-server` runs. It feeds the sans-IO
// core (platform/turn_server.h) every datagram and stream frame with the time since the server
// started, and carries out what the core answers; the core decides everything a client sees.
//
// Sockets: one UDP socket and one TCP acceptor on the listen address (same port), TCP streams cut
// into messages with stream_frame_bytes(), and one UDP socket per relayed address, bound when the
// core asks to take the address (before the client hears of it) and closed when the core gives
// it back. A port another socket on the host holds is refused there, and the core tries another
// or answers the Allocate 508: no client is ever told of a relayed address nobody listens on.
// One steady_timer wakes the core at next_expiry(). It runs on one io_context driven by one
// thread, as PlatformServer does: no strands, no locks.
//
// A bad client ends its own TCP connection (unframeable bytes, a write queue past its bound) and
// is counted; nothing a client sends stops the server. Sends never block: a UDP datagram the
// kernel will not take at once is dropped and counted, as the network might have dropped it.
//
// Not done: TLS and DTLS listeners, IPv6 relayed addresses.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node.h"
#include "net/driver_clock.h"
#include "platform/stun_message.h"
#include "platform/turn_server.h"

namespace ccsim::net {

// TCP connections held at once; more are closed as soon as they are accepted.
inline constexpr std::size_t kTurnTcpConnectionsMax = 10'000;
// Bytes queued for one TCP client before it is deemed too slow and its connection closed: a
// client that does not read must not hold the server's memory.
inline constexpr std::size_t kTurnTcpWriteQueueBytesMax = 4 * 1024 * 1024;
// Kernel buffers asked for each UDP socket (the listen socket and every relayed address): the
// default 208 KiB overflows under a burst of relayed media, and a datagram dropped there is
// counted nowhere. The kernel caps it at net.core.rmem_max and wmem_max.
inline constexpr int kTurnUdpSocketBufferBytes = 1024 * 1024;
// The listen socket's receive buffer, asked larger: every client's datagrams queue there, while
// a relayed address takes one peer's. 50 clients sending 1,000-byte datagrams every millisecond
// filled 1 MiB (2 MiB once the kernel doubles it) in the tens of milliseconds this one thread
// can be off the CPU on a busy 2-core machine, and the kernel dropped hundreds of them.
inline constexpr int kTurnUdpListenReceiveBufferBytes = 8 * 1024 * 1024;
// Tries at binding TCP to the port the kernel gave UDP when the listen port is 0.
inline constexpr int kTurnListenBindTriesMax = 16;
// Pause before accepting again after the acceptor failed (out of descriptors, say).
inline constexpr std::chrono::milliseconds kTurnAcceptRetryDelay{50};

// What the driver did and dropped; the core's own counts are in platform::TurnCounters.
struct TurnSocketCounters {
  std::uint64_t udp_datagrams_received = 0;  // from clients on the listen port
  std::uint64_t udp_datagrams_sent = 0;
  std::uint64_t tcp_connections_accepted = 0;
  std::uint64_t tcp_connections_refused = 0;  // over kTurnTcpConnectionsMax
  std::uint64_t tcp_connections_closed = 0;   // accepted ones that ended, for any reason
  std::uint64_t tcp_framing_errors = 0;       // a stream neither STUN nor ChannelData: closed
  std::uint64_t tcp_write_queue_full = 0;     // past kTurnTcpWriteQueueBytesMax: closed
  std::uint64_t tcp_messages_received = 0;
  std::uint64_t tcp_messages_sent = 0;
  std::uint64_t accept_errors = 0;
  std::uint64_t peer_datagrams_received = 0;  // at relayed addresses
  std::uint64_t peer_datagrams_sent = 0;
  std::uint64_t sends_dropped = 0;  // the kernel would not take a datagram, or its target is gone
  std::uint64_t relays_opened = 0;  // relayed addresses bound, reserved ones too
  std::uint64_t relays_closed = 0;
  std::uint64_t relay_bind_failures = 0;  // ports held elsewhere: the core tried another or 508
};

class TurnServerSocket {
 public:
  // Serves `config` on `listen` (UDP and TCP). `seed` seeds the core's random stream (relay
  // ports, the nonce key): the caller draws it from a real source in production. `io` must
  // outlive this.
  TurnServerSocket(boost::asio::io_context& io, platform::TurnServerConfig config,
                   std::uint64_t seed, boost::asio::ip::address listen_ip,
                   std::uint16_t listen_port);
  ~TurnServerSocket();
  TurnServerSocket(const TurnServerSocket&) = delete;
  TurnServerSocket& operator=(const TurnServerSocket&) = delete;

  // Binds the listen socket and acceptor (port 0: one the kernel picks, the same for both) and
  // starts serving. Throws boost::system::system_error when binding fails.
  void start();
  // Closes every socket and the timer; the io_context then runs out of work.
  void stop();

  std::uint16_t port() const { return port_; }
  const platform::TurnCounters& core_counters() const { return core_.counters(); }
  std::size_t allocation_count() const { return core_.allocation_count(); }
  const TurnSocketCounters& counters() const { return counters_; }

 private:
  struct TcpConnection;
  struct RelaySocket;

  core::Time now() const { return clock_.now(); }
  void bind_listeners();
  void receive_client_datagram();
  void accept_next();
  void on_accept(boost::asio::ip::tcp::socket socket);
  void read_stream(const std::shared_ptr<TcpConnection>& connection);
  void on_stream_bytes(const std::shared_ptr<TcpConnection>& connection, std::size_t count);
  void write_stream(const std::shared_ptr<TcpConnection>& connection);
  void close_connection(const std::shared_ptr<TcpConnection>& connection, bool tell_core);
  void receive_peer_datagram(const std::shared_ptr<RelaySocket>& relay);
  void carry_out(platform::TurnOutput output);
  bool take_relay(const platform::TransportAddress& address);
  void close_relay(const platform::TransportAddress& address);
  void send_to_client(platform::TurnToClient& message);
  void send_to_peer(const platform::TurnToPeer& message);
  void arm_timer();

  boost::asio::io_context& io_;
  platform::TurnServer core_;
  DriverClock clock_{ClockMode::kReal};
  boost::asio::ip::address listen_ip_;
  std::uint16_t port_ = 0;
  boost::asio::ip::udp::socket udp_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  boost::asio::steady_timer expiry_timer_;
  std::optional<core::Time> timer_armed_for_;
  std::vector<std::uint8_t> udp_buffer_;
  boost::asio::ip::udp::endpoint udp_sender_;
  platform::FiveTuple udp_five_tuple_;  // the server side filled at start()
  std::map<platform::FiveTuple, std::shared_ptr<TcpConnection>> connections_;
  std::map<platform::TransportAddress, std::shared_ptr<RelaySocket>> relays_;
  bool stopping_ = false;
  TurnSocketCounters counters_;
};

// Between Asio's endpoints and the codec's addresses.
platform::TransportAddress transport_address_of(const boost::asio::ip::address& ip,
                                                std::uint16_t port);
boost::asio::ip::address ip_of(const platform::TransportAddress& address);

}  // namespace ccsim::net

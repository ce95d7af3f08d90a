// The platform's TURN client (platform/turn_client.h) on a real UDP socket: what lets a test, a
// conformance run or a tool get a relayed address from any TURN server (coturn's turnserver, a
// partner's, `ccsim turn-server`) with the same client core the simulator runs. It feeds the
// core every datagram from the server with the time since the driver started, sends what the
// core asks to send, wakes the core at next_wakeup() with one steady_timer, and hands each of
// the core's events to the caller's handler. The core decides everything the server sees.
//
// It runs on one io_context driven by one thread, as TurnServerSocket does: no strands, no
// locks; the caller's calls (allocate(), send()...) and the handler run on that thread.
//
// What it promises: only datagrams from the server's address reach the core (anything else
// arriving at the socket is dropped and counted, as the core could not tell it from the
// server's); sends never block: a datagram the kernel will not take at once is dropped and
// counted, and the core's retransmissions cover requests. Each event is handed over once, in the
// order the core reported it.
//
// Not done: TCP and TLS to the server (the core speaks TCP; this driver does not), IPv6.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/node.h"
#include "net/driver_clock.h"
#include "platform/stun_message.h"
#include "platform/turn_client.h"

namespace ccsim::net {

// Datagrams read at once, without going back to the event loop, when several are queued.
inline constexpr int kTurnClientDatagramsPerWakeupMax = 64;

struct TurnClientSocketConfig {
  boost::asio::ip::udp::endpoint server;  // the TURN server's UDP listen address
  boost::asio::ip::address local_ip;      // bound with a port the kernel picks
  std::string username;
  std::string password;
  std::uint32_t lifetime_s = 600;  // asked for in Allocate and Refresh
};

// What the driver did and dropped; the core's own view is its state and events.
struct TurnClientSocketCounters {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;  // from the server, handed to the core
  std::uint64_t strangers_dropped = 0;   // datagrams from any other address
  std::uint64_t sends_dropped = 0;       // the kernel would not take a datagram
  std::uint64_t receive_errors = 0;      // ICMP reports of earlier sends, mostly
};

class TurnClientSocket {
 public:
  using EventHandler = std::function<void(const platform::TurnClientEvent&)>;

  // `seed` seeds the core's random stream (transaction ids): the caller draws it from a real
  // source when the server is not its own. `io` must outlive this.
  TurnClientSocket(boost::asio::io_context& io, TurnClientSocketConfig config, std::uint64_t seed,
                   EventHandler on_event);
  ~TurnClientSocket();
  TurnClientSocket(const TurnClientSocket&) = delete;
  TurnClientSocket& operator=(const TurnClientSocket&) = delete;

  // Binds the socket and starts receiving. Throws boost::system::system_error when binding fails.
  void start();
  // Closes the socket and the timer; the io_context then runs out of this driver's work.
  void stop();

  // The core's requests (see platform::TurnClient), each carried out at once. After start().
  void allocate();
  void create_permission(const platform::TransportAddress& peer);
  std::uint16_t bind_channel(const platform::TransportAddress& peer);
  void send(const platform::TransportAddress& peer, std::span<const std::uint8_t> data);
  void release();

  // After start().
  const platform::TurnClient& core() const { return core_.value(); }
  platform::TransportAddress local_address() const { return local_; }
  const TurnClientSocketCounters& counters() const { return counters_; }

 private:
  core::Time now() const { return clock_.now(); }
  void receive();
  void on_datagram(std::size_t count);
  void carry_out();
  void arm_timer();

  TurnClientSocketConfig config_;
  std::uint64_t seed_;
  EventHandler on_event_;
  DriverClock clock_{ClockMode::kReal};
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  std::optional<core::Time> timer_armed_for_;
  std::optional<platform::TurnClient> core_;
  platform::TransportAddress local_;
  std::vector<std::uint8_t> buffer_;
  boost::asio::ip::udp::endpoint sender_;
  bool stopping_ = false;
  TurnClientSocketCounters counters_;
};

}  // namespace ccsim::net

// The platform node on real sockets: a TLS websocket server on 127.0.0.1 that gives each
// session a ConnectionId, feeds every frame to the PlatformNode with the driver's time, and
// carries out what the node answers (frames to send, sessions to close, wake-ups). It runs on
// one io_context, driven by one thread; a bad peer ends its own session and is counted, never
// more.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "core/node.h"
#include "net/driver_loop.h"
#include "net/throwaway_ca.h"
#include "net/wakeup_timer.h"
#include "net/websocket_session.h"
#include "platform/platform_node.h"

namespace ccsim::net {

// Sessions one server holds at once, handshaking ones included; connections past it are closed
// at once. Beast held 10,000 TLS websockets on one thread here.
inline constexpr std::size_t kPlatformSessionsMax = 20'000;
// Pause before accepting again after the listener failed (out of descriptors, say), so that a
// persistent failure does not spin the event loop.
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

struct PlatformServerMetrics {
  std::uint64_t connections_accepted = 0;  // TCP connections taken from the listener
  std::uint64_t sessions_refused = 0;      // over kPlatformSessionsMax
  std::uint64_t accept_errors = 0;         // the listener failed; retried after a pause
  std::uint64_t tls_handshakes_failed = 0;
  std::uint64_t websocket_handshakes_failed = 0;
  std::uint64_t handshakes_timed_out = 0;
  std::uint64_t sessions_opened = 0;  // websocket open; the node sees these
  std::uint64_t sessions_closed = 0;  // opened sessions that ended, for any reason below
  std::uint64_t sessions_closed_by_peer = 0;
  std::uint64_t sessions_closed_by_platform = 0;  // the node or stop() asked
  std::uint64_t sessions_closed_oversized = 0;    // a frame over wire::kFrameBytesMax
  std::uint64_t sessions_closed_protocol_error = 0;
  std::uint64_t sessions_closed_write_queue_full = 0;
  std::uint64_t sessions_closed_idle = 0;
  std::uint64_t sessions_closed_transport_error = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t sends_dropped = 0;  // the node sent to a session that had ended or was closing
};

class PlatformServer {
 public:
  // `loop` and `node` must outlive the server.
  PlatformServer(DriverLoop& loop, const Credentials& credentials, platform::PlatformNode& node);
  ~PlatformServer();
  PlatformServer(const PlatformServer&) = delete;
  PlatformServer& operator=(const PlatformServer&) = delete;

  // Listens on 127.0.0.1 at an ephemeral port. Throws on a socket error. The node is started by
  // the caller (node.start, then carry_out), as the scenario engine starts it at time zero.
  void start();
  // Stops listening and closes every session gracefully; the io_context finishes the closes. The
  // node hears of nothing after this, so it keeps what it knew when the run stopped.
  void stop();

  // Carries out what the node wrote into `out` outside the server's own calls (a user's command
  // through the API, at the driver's time), and clears it.
  void carry_out(core::Outbox& out);

  // A user's claim through the platform's API (the node needs a control plane): the node claims
  // and provisions the device on its session, at the driver's time.
  platform::Result<platform::DeviceRecord> claim(const platform::ClaimRequest& request);

  std::uint16_t port() const { return port_; }
  const PlatformServerMetrics& metrics() const { return metrics_; }
  std::size_t session_count() const { return sessions_.size(); }

 private:
  void accept_next();
  void accept_later();
  void on_accept(boost::asio::ip::tcp::socket socket);
  void on_frame(core::ConnectionId connection, std::string_view frame);
  void on_end(core::ConnectionId connection, const SessionEnd& end);
  void count_end(const SessionEnd& end);
  void on_wakeup(core::Time now);

  boost::asio::ssl::context tls_;
  platform::PlatformNode& node_;
  DriverClock clock_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  WakeupTimer wakeups_;
  SessionLimits limits_;
  // Ordered so that stop() closes sessions in a reproducible order.
  std::map<core::ConnectionId, std::shared_ptr<WebsocketSession>> sessions_;
  core::ConnectionId next_connection_ = 1;
  std::uint16_t port_ = 0;
  bool stopping_ = false;
  core::Outbox outbox_;  // reused for every node call
  PlatformServerMetrics metrics_;
};

}  // namespace ccsim::net

// One TLS websocket session on loopback, either side: the server end the platform server accepts
// and the client end a device client opens. It carries whole frames (binary websocket messages)
// in order, refuses frames over wire::kFrameBytesMax, bounds its write queue, and reports what
// happened through callbacks, ending with exactly one on_end. Tests use the client end as a raw
// peer that sends whatever bytes it likes. Beast lives behind this header, in one file.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "net/throwaway_ca.h"

namespace ccsim::net {

// The only address the real driver listens on or connects to.
inline constexpr std::string_view kLoopbackAddress = "127.0.0.1";
// The name clients check the server certificate against.
inline constexpr std::string_view kServerName = "localhost";
// Frames one session may have waiting to be written; a peer that reads slower than this is
// dropped, since holding frames for it without bound would let one peer exhaust memory.
inline constexpr std::size_t kWriteQueueFramesMax = 64;
// Longest a TCP connect, TLS handshake, websocket handshake or websocket close may take.
inline constexpr std::chrono::milliseconds kHandshakeTimeout{5000};

class SessionCensus;

struct SessionLimits {
  std::size_t write_queue_frames_max = kWriteQueueFramesMax;
  std::chrono::milliseconds handshake_timeout = kHandshakeTimeout;
  // Close the session after this long without receiving anything; zero means never.
  std::chrono::milliseconds idle_timeout{0};
  // Where the session counts itself while it lives, if anywhere; must outlive it.
  SessionCensus* census = nullptr;
};

// How far a session got.
enum class SessionStage : std::uint8_t {
  kTcpConnect,
  kTlsHandshake,
  kWebsocketHandshake,
  kOpen,
};

enum class SessionEndCause : std::uint8_t {
  kHandshakeFailed,  // TCP connect, TLS or websocket handshake failed (see stage)
  kClosedByPeer,     // the peer sent a websocket close
  kClosedByUs,       // close() was called
  kAborted,          // abort() was called
  kOversizedFrame,   // the peer sent a frame over kFrameBytesMax; closed with code 1009
  kProtocolError,    // the peer broke the websocket protocol
  kWriteQueueFull,   // the peer did not read fast enough
  kTimeout,          // a handshake, close or idle limit passed
  kTransportError,   // TCP or TLS failed (reset, truncated stream, ...)
};
std::string_view session_end_cause_name(SessionEndCause cause);

struct SessionEnd {
  SessionEndCause cause = SessionEndCause::kTransportError;
  SessionStage stage = SessionStage::kTcpConnect;  // the last stage reached
  std::uint16_t close_code = 0;                    // the websocket close code received, if any
  std::string detail;                              // the error's message, for logs
  bool was_open() const { return stage == SessionStage::kOpen; }
};

class WebsocketSession {
 public:
  struct Events {
    std::function<void()> on_open;
    std::function<void(std::string_view frame)> on_frame;
    std::function<void(const SessionEnd& end)> on_end;
  };

  // Server end: TLS and websocket handshakes on an accepted socket.
  static std::shared_ptr<WebsocketSession> accept(boost::asio::ip::tcp::socket socket,
                                                  boost::asio::ssl::context& tls,
                                                  const SessionLimits& limits, Events events);
  // Client end: connects to 127.0.0.1:`port`, verifies the server as kServerName against the
  // authorities `tls` trusts, and opens the websocket.
  static std::shared_ptr<WebsocketSession> connect(boost::asio::io_context& io,
                                                   boost::asio::ssl::context& tls,
                                                   std::uint16_t port, const SessionLimits& limits,
                                                   Events events);

  virtual ~WebsocketSession() = default;
  // Queues one binary frame. False when the session is not open, is closing, or its queue was
  // full (the session is then being dropped, and on_end follows).
  virtual bool send(std::string frame) = 0;
  // Closes gracefully once queued frames are written; before the session is open, aborts.
  virtual void close() = 0;
  // Tears the transport down now.
  virtual void abort() = 0;
  // Stops every callback, for an owner that forgets this session; the session finishes alone.
  virtual void detach() = 0;
  virtual bool is_open() const = 0;
  // At rest as far as this process knows: open with nothing being written or closed, or ended
  // with no handler left. Costs no system call.
  virtual bool at_rest() const = 0;
  // No byte of the connection unread or unacknowledged in the kernel, in either direction.
  virtual bool kernel_idle() const = 0;
  // Sends a delayed TCP acknowledgement now, so the peer sees its bytes taken.
  virtual void push_ack() = 0;
};

// Every session alive on one io_context, for a driver that must know when nothing is in flight
// before it moves a paused clock on. On loopback a byte written is, at every instant, either
// unacknowledged at the sender or queued at the receiver, whose socket the kernel has then
// marked readable; so once every session that did any I/O since the last quiet moment has its
// bytes acknowledged, whatever is left to read is a ready handler, and the loop runs it first.
class SessionCensus {
 public:
  // Whether every session is at rest and every session touched since the last quiet moment has
  // nothing in the kernel; when so, this is the new quiet moment.
  bool quiet();
  // Sends the delayed acknowledgements of the sessions touched, so their peers see their bytes
  // taken without waiting for the kernel's delayed-ACK timer.
  void push_acks() const;
  std::size_t size() const { return sessions_.size(); }

  void enter(WebsocketSession* session) { sessions_.insert(session); }
  void leave(WebsocketSession* session) {
    sessions_.erase(session);
    touched_.erase(session);
  }
  // The session did I/O (a handshake, a read, a write, a close).
  void touch(WebsocketSession* session) { touched_.insert(session); }

 private:
  // Nothing that reaches output iterates these.
  std::set<WebsocketSession*> sessions_;
  std::set<WebsocketSession*> touched_;
};

// TLS for a server presenting `credentials` (TLS 1.2 or later).
boost::asio::ssl::context make_server_tls(const Credentials& credentials);
// TLS for clients that trust only the CA in `ca_cert_pem` and verify the server's certificate.
boost::asio::ssl::context make_client_tls(std::string_view ca_cert_pem);

}  // namespace ccsim::net

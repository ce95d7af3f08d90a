// The only translation unit that includes Beast: its websocket templates are heavy to compile,
// so the server and the client share this one instantiation through WebsocketSession.
#include "net/websocket_session.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <deque>
#include <optional>

#include "proto/frame.h"

namespace ccsim::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
// Beast's TLS layer, changed in one respect: the TLS shutdown that ends a websocket close
// succeeds whatever the peer does. A peer whose oversized frame Beast refuses is usually still
// sending it when our close_notify goes out, and Beast lets that teardown error replace the
// reason the session ended; the session is over either way, and its cause is what we count.
class TlsStream : public beast::ssl_stream<beast::tcp_stream> {
 public:
  using beast::ssl_stream<beast::tcp_stream>::ssl_stream;
};

// Found by Beast through argument-dependent lookup, ahead of the one for beast::ssl_stream.
template <class TeardownHandler>
void async_teardown(beast::role_type, TlsStream& stream, TeardownHandler&& handler) {
  auto executor = asio::get_associated_executor(handler, stream.get_executor());
  stream.async_shutdown(asio::bind_executor(
      executor, [done = std::forward<TeardownHandler>(handler)](const beast::error_code&) mutable {
        done(beast::error_code{});
      }));
}

using Stream = websocket::stream<TlsStream>;

SessionEndCause classify(const beast::error_code& error) {
  if (error == websocket::error::closed) return SessionEndCause::kClosedByPeer;
  if (error == websocket::error::message_too_big) return SessionEndCause::kOversizedFrame;
  if (error == beast::error::timeout) return SessionEndCause::kTimeout;
  if (error == websocket::condition::protocol_violation) return SessionEndCause::kProtocolError;
  return SessionEndCause::kTransportError;
}

class BeastSession final : public WebsocketSession,
                           public std::enable_shared_from_this<BeastSession> {
 public:
  BeastSession(asio::ip::tcp::socket socket, asio::ssl::context& tls, const SessionLimits& limits,
               Events events)
      : stream_(std::move(socket), tls), limits_(limits), events_(std::move(events)) {
    if (limits_.census) limits_.census->enter(this);
  }
  BeastSession(asio::io_context& io, asio::ssl::context& tls, const SessionLimits& limits,
               Events events)
      : stream_(io, tls), limits_(limits), events_(std::move(events)) {
    if (limits_.census) limits_.census->enter(this);
  }
  ~BeastSession() override {
    if (limits_.census) limits_.census->leave(this);
  }

  void start_server();
  void start_client(std::uint16_t port);

  bool send(std::string frame) override;
  void close() override;
  void abort() override;
  void detach() override { detached_ = true; }
  bool is_open() const override { return phase_ == Phase::kOpen && !close_requested_; }
  bool at_rest() const override;
  bool kernel_idle() const override;
  void push_ack() override;

 private:
  enum class Phase : std::uint8_t { kHandshaking, kOpen, kEnded };

  void on_tcp_connected(const beast::error_code& error);
  void on_tls_handshake(const beast::error_code& error, beast::role_type role);
  void on_websocket_handshake(const beast::error_code& error);
  void configure_websocket(beast::role_type role);
  void read();
  void on_read(const beast::error_code& error);
  void write_next();
  void on_write(const beast::error_code& error);
  void fail_handshake(const beast::error_code& error);
  void finish(const beast::error_code& error);
  void tear_down() { beast::get_lowest_layer(stream_).close(); }
  int socket_handle() { return beast::get_lowest_layer(stream_).socket().native_handle(); }
  void touch() {
    if (limits_.census) limits_.census->touch(this);
  }
  void set_no_delay();

  Stream stream_;
  SessionLimits limits_;
  Events events_;
  // Callbacks are never cleared, only silenced: one may be running when its owner detaches.
  bool detached_ = false;
  Phase phase_ = Phase::kHandshaking;
  SessionStage stage_ = SessionStage::kTcpConnect;
  // Set when this side decides to end the session, so the read error that follows is not
  // mistaken for the peer's doing.
  std::optional<SessionEndCause> cause_;
  beast::flat_buffer read_buffer_;
  std::deque<std::string> write_queue_;  // front() is being written while writing_
  bool writing_ = false;
  bool close_requested_ = false;
  // Asynchronous operations started whose handlers have not run: one read while open, plus a
  // handshake, write or close under way.
  int ops_in_flight_ = 0;
};

void BeastSession::start_server() {
  stage_ = SessionStage::kTlsHandshake;
  set_no_delay();
  beast::get_lowest_layer(stream_).expires_after(limits_.handshake_timeout);
  ++ops_in_flight_;
  touch();
  stream_.next_layer().async_handshake(asio::ssl::stream_base::server,
                                       [self = shared_from_this()](const beast::error_code& error) {
                                         self->on_tls_handshake(error, beast::role_type::server);
                                       });
}

void BeastSession::start_client(std::uint16_t port) {
  stage_ = SessionStage::kTcpConnect;
  // OpenSSL checks the certificate's name during the handshake; verify_peer is set on `tls`.
  const std::string server_name(kServerName);
  if (SSL_set1_host(stream_.next_layer().native_handle(), server_name.c_str()) != 1) {
    cause_ = SessionEndCause::kHandshakeFailed;
  }
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4(kLoopbackAddress), port);
  beast::get_lowest_layer(stream_).expires_after(limits_.handshake_timeout);
  ++ops_in_flight_;
  touch();
  beast::get_lowest_layer(stream_).async_connect(
      endpoint, [self = shared_from_this()](const beast::error_code& error) {
        self->on_tcp_connected(error);
      });
}

void BeastSession::on_tcp_connected(const beast::error_code& error) {
  --ops_in_flight_;
  touch();
  if (error || cause_) return fail_handshake(error);
  set_no_delay();
  stage_ = SessionStage::kTlsHandshake;
  ++ops_in_flight_;
  touch();
  stream_.next_layer().async_handshake(asio::ssl::stream_base::client,
                                       [self = shared_from_this()](const beast::error_code& next) {
                                         self->on_tls_handshake(next, beast::role_type::client);
                                       });
}

void BeastSession::on_tls_handshake(const beast::error_code& error, beast::role_type role) {
  --ops_in_flight_;
  touch();
  if (error || cause_) return fail_handshake(error);
  stage_ = SessionStage::kWebsocketHandshake;
  // The websocket layer keeps its own time limits from here on.
  beast::get_lowest_layer(stream_).expires_never();
  configure_websocket(role);
  auto done = [self = shared_from_this()](const beast::error_code& next) {
    self->on_websocket_handshake(next);
  };
  ++ops_in_flight_;
  touch();
  if (role == beast::role_type::server) {
    stream_.async_accept(std::move(done));
  } else {
    stream_.async_handshake(std::string(kServerName), "/", std::move(done));
  }
}

void BeastSession::configure_websocket(beast::role_type role) {
  auto timeout = websocket::stream_base::timeout::suggested(role);
  timeout.handshake_timeout = limits_.handshake_timeout;
  timeout.idle_timeout =
      limits_.idle_timeout.count() > 0
          ? std::chrono::duration_cast<websocket::stream_base::duration>(limits_.idle_timeout)
          : websocket::stream_base::none();
  // Liveness is the nodes' business (heartbeats); pings would keep a silent device open.
  timeout.keep_alive_pings = false;
  stream_.set_option(timeout);
  // Beast refuses a larger message from its frame header and closes with code 1009, before
  // buffering it.
  stream_.read_message_max(wire::kFrameBytesMax);
  stream_.binary(true);
  stream_.auto_fragment(false);
}

void BeastSession::on_websocket_handshake(const beast::error_code& error) {
  --ops_in_flight_;
  touch();
  if (error || cause_) return fail_handshake(error);
  phase_ = Phase::kOpen;
  stage_ = SessionStage::kOpen;
  if (!detached_ && events_.on_open) events_.on_open();
  read();
}

void BeastSession::fail_handshake(const beast::error_code& error) {
  if (phase_ == Phase::kEnded) return;
  phase_ = Phase::kEnded;
  SessionEnd end;
  end.cause = cause_.value_or(error == beast::error::timeout ? SessionEndCause::kTimeout
                                                             : SessionEndCause::kHandshakeFailed);
  end.stage = stage_;
  end.detail = error ? error.message() : std::string("ended before the handshake completed");
  tear_down();
  if (!detached_ && events_.on_end) events_.on_end(end);
}

void BeastSession::read() {
  ++ops_in_flight_;
  touch();
  stream_.async_read(read_buffer_,
                     [self = shared_from_this()](const beast::error_code& error, std::size_t) {
                       self->on_read(error);
                     });
}

void BeastSession::on_read(const beast::error_code& error) {
  --ops_in_flight_;
  touch();
  if (error) return finish(error);
  const auto bytes = read_buffer_.cdata();
  const std::string_view frame(static_cast<const char*>(bytes.data()), bytes.size());
  if (!detached_ && events_.on_frame) events_.on_frame(frame);
  read_buffer_.consume(read_buffer_.size());
  // Exactly one read is always pending while open: every way a session ends completes it.
  read();
}

void BeastSession::finish(const beast::error_code& error) {
  if (phase_ == Phase::kEnded) return;
  phase_ = Phase::kEnded;
  SessionEnd end;
  end.cause = cause_.value_or(classify(error));
  end.stage = SessionStage::kOpen;
  end.close_code = static_cast<std::uint16_t>(stream_.reason().code);
  end.detail = error.message();
  // The queue stays: a cancelled write may still hold its buffer until its handler runs.
  tear_down();
  if (!detached_ && events_.on_end) events_.on_end(end);
}

bool BeastSession::send(std::string frame) {
  if (phase_ != Phase::kOpen || close_requested_) return false;
  if (write_queue_.size() >= limits_.write_queue_frames_max) {
    cause_ = cause_.value_or(SessionEndCause::kWriteQueueFull);
    tear_down();
    return false;
  }
  write_queue_.push_back(std::move(frame));
  if (!writing_) write_next();
  return true;
}

void BeastSession::write_next() {
  if (write_queue_.empty()) {
    if (!close_requested_) return;
    // A close counts as a write for Beast, so it waits for the queue to drain.
    writing_ = true;
    ++ops_in_flight_;
    touch();
    stream_.async_close(websocket::close_code::normal,
                        [self = shared_from_this()](const beast::error_code& error) {
                          --self->ops_in_flight_;
                          self->touch();
                          // The pending read reports the end; a failed close just drops the line.
                          if (error) self->tear_down();
                        });
    return;
  }
  writing_ = true;
  ++ops_in_flight_;
  touch();
  stream_.async_write(asio::buffer(write_queue_.front()),
                      [self = shared_from_this()](const beast::error_code& error, std::size_t) {
                        self->on_write(error);
                      });
}

void BeastSession::on_write(const beast::error_code& error) {
  --ops_in_flight_;
  touch();
  writing_ = false;
  if (phase_ != Phase::kOpen) return;
  if (error) {
    cause_ = cause_.value_or(classify(error));
    tear_down();
    return;
  }
  write_queue_.pop_front();
  write_next();
}

void BeastSession::close() {
  if (phase_ == Phase::kEnded || close_requested_) return;
  cause_ = cause_.value_or(SessionEndCause::kClosedByUs);
  if (phase_ == Phase::kHandshaking) {
    tear_down();
    return;
  }
  close_requested_ = true;
  if (!writing_) write_next();
}

void BeastSession::abort() {
  if (phase_ == Phase::kEnded) return;
  cause_ = cause_.value_or(SessionEndCause::kAborted);
  tear_down();
}

// Frames are small and each is a message of its own: sent at once, not held for more.
void BeastSession::set_no_delay() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).socket().set_option(asio::ip::tcp::no_delay(true), ignored);
}

bool BeastSession::at_rest() const {
  if (phase_ == Phase::kEnded) return ops_in_flight_ == 0;
  return phase_ == Phase::kOpen && !writing_ && write_queue_.empty() && !close_requested_ &&
         ops_in_flight_ == 1;  // the read always pending while open
}

bool BeastSession::kernel_idle() const {
  const int fd = const_cast<BeastSession*>(this)->socket_handle();
  if (fd < 0) return true;  // closed: nothing of it is left in the kernel
  int unread = 0, unacknowledged = 0;
  if (::ioctl(fd, SIOCINQ, &unread) != 0 || ::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0) {
    return false;
  }
  return unread == 0 && unacknowledged == 0;
}

void BeastSession::push_ack() {
  const int fd = socket_handle();
  const int on = 1;
  if (fd >= 0) (void)::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

void apply_tls_floor(asio::ssl::context& tls) {
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
}

}  // namespace

bool SessionCensus::quiet() {
  const bool at_rest =
      std::all_of(sessions_.begin(), sessions_.end(),
                  [](const WebsocketSession* session) { return session->at_rest(); });
  if (!at_rest) return false;
  const bool idle =
      std::all_of(touched_.begin(), touched_.end(),
                  [](const WebsocketSession* session) { return session->kernel_idle(); });
  if (idle) touched_.clear();
  return idle;
}

void SessionCensus::push_acks() const {
  for (WebsocketSession* session : touched_) session->push_ack();
}

std::string_view session_end_cause_name(SessionEndCause cause) {
  switch (cause) {
    case SessionEndCause::kHandshakeFailed:
      return "handshake_failed";
    case SessionEndCause::kClosedByPeer:
      return "closed_by_peer";
    case SessionEndCause::kClosedByUs:
      return "closed_by_us";
    case SessionEndCause::kAborted:
      return "aborted";
    case SessionEndCause::kOversizedFrame:
      return "oversized_frame";
    case SessionEndCause::kProtocolError:
      return "protocol_error";
    case SessionEndCause::kWriteQueueFull:
      return "write_queue_full";
    case SessionEndCause::kTimeout:
      return "timeout";
    case SessionEndCause::kTransportError:
      return "transport_error";
  }
  return "unknown";
}

std::shared_ptr<WebsocketSession> WebsocketSession::accept(asio::ip::tcp::socket socket,
                                                           asio::ssl::context& tls,
                                                           const SessionLimits& limits,
                                                           Events events) {
  auto session = std::make_shared<BeastSession>(std::move(socket), tls, limits, std::move(events));
  session->start_server();
  return session;
}

std::shared_ptr<WebsocketSession> WebsocketSession::connect(asio::io_context& io,
                                                            asio::ssl::context& tls,
                                                            std::uint16_t port,
                                                            const SessionLimits& limits,
                                                            Events events) {
  auto session = std::make_shared<BeastSession>(io, tls, limits, std::move(events));
  session->start_client(port);
  return session;
}

asio::ssl::context make_server_tls(const Credentials& credentials) {
  asio::ssl::context tls(asio::ssl::context::tls_server);
  apply_tls_floor(tls);
  tls.use_certificate_chain(asio::buffer(credentials.server_cert_pem));
  tls.use_private_key(asio::buffer(credentials.server_key_pem), asio::ssl::context::pem);
  return tls;
}

asio::ssl::context make_client_tls(std::string_view ca_cert_pem) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  apply_tls_floor(tls);
  tls.add_certificate_authority(asio::buffer(ca_cert_pem.data(), ca_cert_pem.size()));
  tls.set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

}  // namespace ccsim::net

#include "net/platform_server.h"

#include <boost/asio/ip/address_v4.hpp>
#include <string_view>

namespace ccsim::net {

namespace asio = boost::asio;

PlatformServer::PlatformServer(DriverLoop& loop, const Credentials& credentials,
                               platform::PlatformNode& node)
    : tls_(make_server_tls(credentials)),
      node_(node),
      clock_(loop.clock()),
      acceptor_(loop.io()),
      accept_retry_(loop.io()),
      wakeups_(loop.timers(), [this](core::Time now) { on_wakeup(now); }) {
  limits_.census = &loop.census();
  // A device silent for as long as the node allows, plus one interval, is gone; the node has
  // marked it disconnected by then, and the session only holds a socket. On the paused clock
  // the wall time a session sits idle means nothing: the node's sweep alone decides.
  if (clock_.mode() == ClockMode::kReal) {
    const platform::HeartbeatPolicy& policy = node_.policy();
    limits_.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        policy.interval * (policy.missed_heartbeats_max + 1));
  }
}

PlatformServer::~PlatformServer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [connection, session] : sessions_) {
    session->detach();
    session->abort();
  }
}

void PlatformServer::start() {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4(kLoopbackAddress), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  accept_next();
}

void PlatformServer::stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  wakeups_.cancel();
  for (auto& [connection, session] : sessions_) session->close();
}

void PlatformServer::accept_next() {
  acceptor_.async_accept(
      [this](const boost::system::error_code& error, asio::ip::tcp::socket socket) {
        // Checked before touching `this`: closing the acceptor in the destructor aborts the accept.
        if (error == asio::error::operation_aborted) return;
        if (stopping_) return;
        if (error) {
          // A peer gone before we took it, or no descriptors left: the listener stays.
          ++metrics_.accept_errors;
          accept_later();
          return;
        }
        on_accept(std::move(socket));
        accept_next();
      });
}

void PlatformServer::accept_later() {
  accept_retry_.expires_after(kAcceptRetryDelay);
  accept_retry_.async_wait([this](const boost::system::error_code& error) {
    if (error == asio::error::operation_aborted) return;  // before touching `this`
    if (!stopping_) accept_next();
  });
}

void PlatformServer::on_accept(asio::ip::tcp::socket socket) {
  ++metrics_.connections_accepted;
  if (sessions_.size() >= kPlatformSessionsMax) {
    ++metrics_.sessions_refused;
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  const core::ConnectionId connection = next_connection_++;
  WebsocketSession::Events events;
  events.on_open = [this] { ++metrics_.sessions_opened; };
  events.on_frame = [this, connection](std::string_view frame) { on_frame(connection, frame); };
  events.on_end = [this, connection](const SessionEnd& end) { on_end(connection, end); };
  sessions_.emplace(connection,
                    WebsocketSession::accept(std::move(socket), tls_, limits_, std::move(events)));
}

platform::Result<platform::DeviceRecord> PlatformServer::claim(
    const platform::ClaimRequest& request) {
  auto claimed = node_.claim(clock_.now(), request, outbox_);
  carry_out(outbox_);
  return claimed;
}

void PlatformServer::on_frame(core::ConnectionId connection, std::string_view frame) {
  ++metrics_.frames_received;
  node_.on_frame(clock_.now(), connection, frame, outbox_);
  carry_out(outbox_);
}

void PlatformServer::on_end(core::ConnectionId connection, const SessionEnd& end) {
  // The session stays alive until its last handler returns; the map only forgets it.
  sessions_.erase(connection);
  count_end(end);
  if (end.was_open() && !stopping_) node_.on_connection_closed(clock_.now(), connection);
}

void PlatformServer::count_end(const SessionEnd& end) {
  if (!end.was_open()) {
    // A handshake cut short by stop() is neither a failure nor a timeout.
    if (end.cause == SessionEndCause::kTimeout) {
      ++metrics_.handshakes_timed_out;
    } else if (end.cause == SessionEndCause::kHandshakeFailed) {
      if (end.stage == SessionStage::kTlsHandshake) ++metrics_.tls_handshakes_failed;
      if (end.stage == SessionStage::kWebsocketHandshake) ++metrics_.websocket_handshakes_failed;
    }
    return;
  }
  ++metrics_.sessions_closed;
  switch (end.cause) {
    case SessionEndCause::kClosedByPeer:
      ++metrics_.sessions_closed_by_peer;
      break;
    case SessionEndCause::kClosedByUs:
    case SessionEndCause::kAborted:
      ++metrics_.sessions_closed_by_platform;
      break;
    case SessionEndCause::kOversizedFrame:
      ++metrics_.sessions_closed_oversized;
      break;
    case SessionEndCause::kProtocolError:
      ++metrics_.sessions_closed_protocol_error;
      break;
    case SessionEndCause::kWriteQueueFull:
      ++metrics_.sessions_closed_write_queue_full;
      break;
    case SessionEndCause::kTimeout:
      ++metrics_.sessions_closed_idle;
      break;
    case SessionEndCause::kHandshakeFailed:
    case SessionEndCause::kTransportError:
      ++metrics_.sessions_closed_transport_error;
      break;
  }
}

void PlatformServer::on_wakeup(core::Time now) {
  node_.on_wakeup(now, outbox_);
  carry_out(outbox_);
}

// Nothing here calls back into the node: sessions report their ends later, from their own
// handlers.
void PlatformServer::carry_out(core::Outbox& outbox) {
  for (core::Outbox::Send& send : outbox.sends) {
    auto found = sessions_.find(send.connection);
    if (found != sessions_.end() && found->second->send(std::move(send.frame))) {
      ++metrics_.frames_sent;
    } else {
      ++metrics_.sends_dropped;
    }
  }
  for (const core::Outbox::Close& close : outbox.closes) {
    auto found = sessions_.find(close.connection);
    if (found != sessions_.end()) found->second->close();
  }
  if (!stopping_) {
    for (core::Time at : outbox.wakeups) wakeups_.request(at);
  }
  outbox.clear();
}

}  // namespace ccsim::net

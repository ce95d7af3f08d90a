#include "net/device_client.h"

namespace ccsim::net {

DeviceClient::DeviceClient(boost::asio::io_context& io, boost::asio::ssl::context& tls,
                           std::uint16_t port, devices::DeviceAgent& agent, DriverClock clock)
    : io_(io),
      tls_(tls),
      port_(port),
      agent_(agent),
      clock_(clock),
      wakeups_(io, clock, [this](core::Time now) { on_wakeup(now); }) {}

DeviceClient::~DeviceClient() {
  if (session_) {
    session_->detach();
    session_->abort();
  }
}

void DeviceClient::start() {
  agent_.start(clock_.now(), outbox_);
  execute();
}

void DeviceClient::stop() {
  stopped_ = true;
  wakeups_.cancel();
  if (session_) {
    session_->detach();
    session_->close();
    session_.reset();
  }
}

void DeviceClient::open_connection() {
  if (session_) {
    // The agent gave this connection up; it must not hear of it again.
    session_->detach();
    session_->close();
  }
  ++metrics_.connects_started;
  WebsocketSession::Events events;
  events.on_open = [this] { on_open(); };
  events.on_frame = [this](std::string_view frame) { on_frame(frame); };
  events.on_end = [this](const SessionEnd& end) { on_end(end); };
  session_ = WebsocketSession::connect(io_, tls_, port_, limits_, std::move(events));
}

void DeviceClient::on_open() {
  ++metrics_.connects_succeeded;
  agent_.on_connected(clock_.now(), outbox_);
  execute();
}

void DeviceClient::on_frame(std::string_view frame) {
  ++metrics_.frames_received;
  agent_.on_frame(clock_.now(), frame, outbox_);
  execute();
}

void DeviceClient::on_end(const SessionEnd& end) {
  session_.reset();  // the session outlives this call through its own handler
  if (end.was_open()) {
    // A close the agent asked for is no news to it.
    if (end.cause == SessionEndCause::kClosedByUs) return;
    ++metrics_.connections_lost;
  } else {
    ++metrics_.connects_failed;
  }
  agent_.on_disconnected(clock_.now(), outbox_);
  execute();
}

void DeviceClient::on_wakeup(core::Time now) {
  agent_.on_wakeup(now, outbox_);
  execute();
}

// Sends first, then closes, so a goodbye goes out before its connection's close; a new
// connection comes after both.
void DeviceClient::execute() {
  if (stopped_) {
    outbox_.clear();
    return;
  }
  for (core::Outbox::Send& send : outbox_.sends) {
    if (session_ && session_->send(std::move(send.frame))) {
      ++metrics_.frames_sent;
    } else {
      ++metrics_.sends_dropped;
    }
  }
  if (!outbox_.closes.empty() && session_) session_->close();
  if (outbox_.connect) open_connection();
  for (core::Time at : outbox_.wakeups) wakeups_.request(at);
  outbox_.clear();
}

}  // namespace ccsim::net

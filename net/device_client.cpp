#include "net/device_client.h"

#include <cassert>

#include "devices/firmware.h"

namespace ccsim::net {

// Where the connect-timeout of an unreachable platform comes among timers at one time: with the
// nodes' own.
constexpr std::uint8_t kUnreachableOrder = 0;
// A transfer's end comes among them too.
constexpr std::uint8_t kTransferOrder = 0;

DeviceClient::DeviceClient(DriverLoop& loop, boost::asio::ssl::context& tls, std::uint16_t port,
                           devices::DeviceAgent& agent, AgentLink* link)
    : loop_(loop),
      tls_(tls),
      port_(port),
      agent_(agent),
      link_(link),
      wakeups_(loop.timers(), [this](core::Time now) { on_wakeup(now); }) {
  limits_.census = &loop.census();
}

DeviceClient::~DeviceClient() {
  if (session_) {
    session_->detach();
    session_->abort();
  }
  for (auto& session : stranded_) session->abort();
}

void DeviceClient::start() {
  agent_.start(loop_.clock().now(), outbox_);
  carry_out(outbox_);
}

void DeviceClient::stop() {
  stopped_ = true;
  wakeups_.cancel();
  if (session_) {
    session_->detach();
    session_->close();
    session_.reset();
  }
  for (auto& session : stranded_) session->close();
  stranded_.clear();
}

void DeviceClient::on_link_restored() {
  for (auto& session : stranded_) session->close();
  stranded_.clear();
}

// The agent gave this connection up; it must not hear of it again.
void DeviceClient::let_go(std::shared_ptr<WebsocketSession> session) {
  session->detach();
  if (link_ != nullptr && !link_->reachable()) {
    stranded_.push_back(std::move(session));
  } else {
    session->close();
  }
}

void DeviceClient::open_connection() {
  if (session_) let_go(std::move(session_));
  session_.reset();
  ++connection_;
  held_[0] = {};
  held_[1] = {};
  ++metrics_.connects_started;
  if (link_ != nullptr && !link_->reachable()) {
    ++metrics_.connects_unreachable;
    loop_.timers().schedule(loop_.clock().now() + kUnreachableConnectTimeout, kUnreachableOrder,
                            [this](core::Time now) { on_unreachable(now); });
    return;
  }
  WebsocketSession::Events events;
  events.on_open = [this] { on_open(); };
  events.on_frame = [this](std::string_view frame) { on_frame(frame); };
  events.on_end = [this](const SessionEnd& end) { on_end(end); };
  session_ = WebsocketSession::connect(loop_.io(), tls_, port_, limits_, std::move(events));
}

void DeviceClient::on_unreachable(core::Time now) {
  if (stopped_) return;
  agent_.on_disconnected(now, outbox_);
  carry_out(outbox_);
}

void DeviceClient::on_open() {
  ++metrics_.connects_succeeded;
  agent_.on_connected(loop_.clock().now(), outbox_);
  carry_out(outbox_);
}

void DeviceClient::on_frame(std::string_view frame) {
  ++metrics_.frames_received;
  if (!held_[1].frames.empty()) {
    held_[1].frames.emplace_back(frame);  // behind the one the link lost
    return;
  }
  if (link_ != nullptr && !link_->pass(frame, false)) {
    ++metrics_.frames_dropped;
    hold(false, std::string(frame));
    return;
  }
  deliver_down(frame);
}

void DeviceClient::deliver_down(std::string_view frame) {
  agent_.on_frame(loop_.clock().now(), frame, outbox_);
  carry_out(outbox_);
}

void DeviceClient::send_up(std::string frame) {
  if (!held_[0].frames.empty()) {
    held_[0].frames.push_back(std::move(frame));
    return;
  }
  if (link_ != nullptr && !link_->pass(frame, true)) {
    ++metrics_.frames_dropped;
    hold(true, std::move(frame));
  } else if (session_->send(std::move(frame))) {
    ++metrics_.frames_sent;
  } else {
    ++metrics_.sends_dropped;
  }
}

// The link lost `frame`: it waits for its retransmission timeout, the first of its way.
void DeviceClient::hold(bool upstream, std::string frame) {
  Held& held = held_[upstream ? 0 : 1];
  assert(held.frames.empty());
  held.frames.push_back(std::move(frame));
  held.retransmissions = 1;
  loop_.timers().schedule(
      loop_.clock().now() + rto_.backoff(1), kUnreachableOrder,
      [this, upstream, c = connection_](core::Time) { retransmit(upstream, c); });
}

void DeviceClient::retransmit(bool upstream, std::uint64_t connection) {
  Held& held = held_[upstream ? 0 : 1];
  if (stopped_ || connection != connection_ || held.frames.empty()) return;
  if (held.retransmissions > scenarios::kRetransmissionsMax) {
    reset(upstream);  // the wait after the last retransmission allowed is over
    return;
  }
  link_->count_retransmission();
  if (link_->pass(held.frames.front(), upstream, false)) {
    release(upstream);
    return;
  }
  ++metrics_.frames_dropped;
  ++held.retransmissions;
  loop_.timers().schedule(
      loop_.clock().now() + rto_.backoff(held.retransmissions), kUnreachableOrder,
      [this, upstream, connection](core::Time) { retransmit(upstream, connection); });
}

// The first held frame got through: it and those behind it go on, until one is lost in turn.
void DeviceClient::release(bool upstream) {
  Held& held = held_[upstream ? 0 : 1];
  std::deque<std::string> frames = std::move(held.frames);
  held = {};
  const std::uint64_t connection = connection_;
  bool first = true;
  while (!frames.empty() && connection == connection_) {
    std::string frame = std::move(frames.front());
    frames.pop_front();
    if (!first && link_->pass(frame, upstream) == false) {
      ++metrics_.frames_dropped;
      hold(upstream, std::move(frame));
      for (std::string& rest : frames) held.frames.push_back(std::move(rest));
      return;
    }
    first = false;
    if (!upstream) {
      deliver_down(frame);
    } else if (session_ && session_->send(std::move(frame))) {
      ++metrics_.frames_sent;
    } else {
      ++metrics_.sends_dropped;
    }
  }
}

// A frame was lost too many times in a row: its sender gives the connection up. Upstream, the
// agent's end resets and the agent hears of it; downstream, the platform's end resets, and the
// agent hears of it only if the reset gets through.
void DeviceClient::reset(bool upstream) {
  link_->count_reset();
  held_[0] = {};
  held_[1] = {};
  ++connection_;
  if (session_ && upstream) {
    let_go(std::move(session_));  // the agent's reset crosses only if the link lets it
  } else if (session_) {
    session_->detach();  // the platform's end closes at once: it is the one giving up
    session_->close();
  }
  session_.reset();
  if (!upstream && !link_->pass_reset(false)) return;
  agent_.on_disconnected(loop_.clock().now(), outbox_);
  carry_out(outbox_);
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
  agent_.on_disconnected(loop_.clock().now(), outbox_);
  carry_out(outbox_);
}

void DeviceClient::on_wakeup(core::Time now) {
  agent_.on_wakeup(now, outbox_);
  carry_out(outbox_);
}

// Sends first, then closes, so a goodbye goes out before its connection's close; a new
// connection comes after both.
void DeviceClient::carry_out(core::Outbox& out) {
  if (stopped_) {
    out.clear();
    return;
  }
  for (core::Outbox::Send& send : out.sends) {
    if (!session_ || !session_->is_open()) {
      ++metrics_.sends_dropped;
    } else {
      send_up(std::move(send.frame));
    }
  }
  if (!out.closes.empty() && session_) {
    let_go(std::move(session_));
    session_.reset();
  }
  if (out.connect) open_connection();
  for (core::Time at : out.wakeups) wakeups_.request(at);
  for (const core::Outbox::Transfer& transfer : out.transfers) start_transfer(transfer);
  out.clear();
}

// The link shares its site's uplink among the site's transfers; without one, a transfer takes
// its bytes' time at the site's nominal rate (the agent's uplink_bps), as if it had the link to
// itself.
void DeviceClient::start_transfer(const core::Outbox::Transfer& transfer) {
  auto done = [this, id = transfer.id](core::Time now) {
    if (stopped_) return;
    agent_.on_transfer_done(now, id, outbox_);
    carry_out(outbox_);
  };
  const core::Time now = loop_.clock().now();
  if (link_ != nullptr) {
    link_->start_transfer(now, transfer.bytes, transfer.upstream, std::move(done));
    return;
  }
  loop_.timers().schedule(
      now + devices::download_duration(transfer.bytes, agent_.identity().uplink_bps),
      kTransferOrder, std::move(done));
}

}  // namespace ccsim::net

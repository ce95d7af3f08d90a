// A device agent on real sockets: opens the TLS websocket to the platform when the agent asks,
// feeds it frames, connection changes and wake-ups with the driver's time, and carries out what
// it answers. Many clients share one driver loop and one client TLS context. An AgentLink, when
// given, stands for the site's network: it may lose frames in either direction and cut the site
// off, as the simulated driver's network conditions do. A frame the link loses is not gone:
// the client holds it and passes it again after TCP's retransmission timeout, doubling, with
// the frames after it waiting behind it, and resets the connection after too many tries in a
// row (scenarios/model/tcp_transport.h), as the simulated driver's transport does.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "devices/device_agent.h"
#include "net/driver_loop.h"
#include "net/wakeup_timer.h"
#include "net/websocket_session.h"
#include "scenarios/model/tcp_transport.h"

namespace ccsim::net {

// How long a device waits for a connection that cannot open (its site is cut off), as in the
// simulated driver.
inline constexpr core::Duration kUnreachableConnectTimeout = std::chrono::seconds(10);

// The network between one agent and the platform, as the driver models it on loopback.
class AgentLink {
 public:
  virtual ~AgentLink() = default;
  // Whether the platform can be reached at all: connections open, closes cross.
  virtual bool reachable() const = 0;
  // Whether one transmission of a frame gets through, upstream (to the platform) or down;
  // counts and traces it (a frame as sent only at its first transmission).
  virtual bool pass(std::string_view frame, bool upstream, bool first = true) = 0;
  // Whether a reset's one segment gets through that way; counts nothing.
  virtual bool pass_reset(bool upstream) = 0;
  // A frame is passed again after its retransmission timeout.
  virtual void count_retransmission() = 0;
  // A connection was reset by its sender after a frame was lost too many times in a row.
  virtual void count_reset() = 0;
  // Carries a bulk transfer of `bytes` over the site's uplink, shared with the site's other
  // transfers; `done` is called when the last byte is in.
  virtual void start_transfer(core::Time now, std::uint64_t bytes, bool upstream,
                              std::function<void(core::Time now)> done) = 0;
};

struct DeviceClientMetrics {
  std::uint64_t connects_started = 0;
  std::uint64_t connects_succeeded = 0;
  std::uint64_t connects_failed = 0;       // TCP, TLS (e.g. an untrusted server) or websocket
  std::uint64_t connects_unreachable = 0;  // the link was cut off
  std::uint64_t connections_lost = 0;      // open connections ended by the platform or the network
  std::uint64_t frames_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_dropped = 0;  // transmissions lost on the link, either way
  std::uint64_t sends_dropped = 0;   // the agent sent while not connected
};

class DeviceClient {
 public:
  // `loop`, `tls` (see make_client_tls), `agent` and `link` (may be null: a perfect link) must
  // outlive the client. `port` is the platform server's on 127.0.0.1.
  DeviceClient(DriverLoop& loop, boost::asio::ssl::context& tls, std::uint16_t port,
               devices::DeviceAgent& agent, AgentLink* link = nullptr);
  ~DeviceClient();
  DeviceClient(const DeviceClient&) = delete;
  DeviceClient& operator=(const DeviceClient&) = delete;

  // Starts the agent, which schedules its first connection.
  void start();
  // Stops driving the agent and closes its connection gracefully; the agent is not told.
  void stop();
  // Carries out what the agent wrote into `out` outside the client's own calls (a local action
  // at the device), and clears it.
  void carry_out(core::Outbox& out);
  // The link is reachable again: connections it could not close while cut off close now.
  void on_link_restored();

  const devices::DeviceAgent& agent() const { return agent_; }
  const DeviceClientMetrics& metrics() const { return metrics_; }
  bool connected() const { return session_ && session_->is_open(); }

 private:
  void open_connection();
  void let_go(std::shared_ptr<WebsocketSession> session);
  void on_open();
  void on_frame(std::string_view frame);
  void on_end(const SessionEnd& end);
  void on_wakeup(core::Time now);
  void on_unreachable(core::Time now);
  void start_transfer(const core::Outbox::Transfer& transfer);
  void send_up(std::string frame);
  void deliver_down(std::string_view frame);
  void hold(bool upstream, std::string frame);
  void retransmit(bool upstream, std::uint64_t connection);
  void release(bool upstream);
  void reset(bool upstream);

  // Frames the link lost one way, waiting for their retransmission: the lost one first, then
  // those sent after it. Cleared when a connection ends or a new one begins.
  struct Held {
    std::deque<std::string> frames;
    std::uint32_t retransmissions = 0;  // of the first
  };

  DriverLoop& loop_;
  boost::asio::ssl::context& tls_;
  std::uint16_t port_;
  devices::DeviceAgent& agent_;
  AgentLink* link_;
  WakeupTimer wakeups_;
  SessionLimits limits_;
  // The current connection; an earlier one is detached and closed when the agent reconnects.
  std::shared_ptr<WebsocketSession> session_;
  // Connections given up while the link was cut off: their close cannot cross, so the platform
  // keeps them until the link is back (or it closes them itself).
  std::vector<std::shared_ptr<WebsocketSession>> stranded_;
  bool stopped_ = false;
  Held held_[2];                  // [0] upstream, [1] downstream
  std::uint64_t connection_ = 0;  // counts connections begun, so a stale retransmission is ignored
  // No round trip is measured on loopback: every RTO is RFC 6298's initial one, as a 20 ms
  // uplink's also is (its floor, kRtoMin).
  scenarios::RetransmissionTimer rto_;
  core::Outbox outbox_;  // reused for every agent call
  DeviceClientMetrics metrics_;
};

}  // namespace ccsim::net

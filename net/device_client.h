// A device agent on real sockets: opens the TLS websocket to the platform when the agent asks,
// feeds it frames, connection changes and wake-ups with the driver's time, and carries out what
// it answers. Many clients share one io_context and one client TLS context.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>

#include "core/node.h"
#include "devices/device_agent.h"
#include "net/driver_clock.h"
#include "net/wakeup_timer.h"
#include "net/websocket_session.h"

namespace ccsim::net {

struct DeviceClientMetrics {
  std::uint64_t connects_started = 0;
  std::uint64_t connects_succeeded = 0;
  std::uint64_t connects_failed = 0;   // TCP, TLS (e.g. an untrusted server) or websocket
  std::uint64_t connections_lost = 0;  // open connections ended by the platform or the network
  std::uint64_t frames_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t sends_dropped = 0;  // the agent sent while not connected
};

class DeviceClient {
 public:
  // `io`, `tls` (see make_client_tls) and `agent` must outlive the client. `port` is the
  // platform server's on 127.0.0.1.
  DeviceClient(boost::asio::io_context& io, boost::asio::ssl::context& tls, std::uint16_t port,
               devices::DeviceAgent& agent, DriverClock clock);
  ~DeviceClient();
  DeviceClient(const DeviceClient&) = delete;
  DeviceClient& operator=(const DeviceClient&) = delete;

  // Starts the agent, which schedules its first connection.
  void start();
  // Stops driving the agent and closes its connection gracefully; the agent is not told.
  void stop();

  const devices::DeviceAgent& agent() const { return agent_; }
  const DeviceClientMetrics& metrics() const { return metrics_; }
  bool connected() const { return session_ && session_->is_open(); }

 private:
  void open_connection();
  void on_open();
  void on_frame(std::string_view frame);
  void on_end(const SessionEnd& end);
  void on_wakeup(core::Time now);
  void execute();

  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  std::uint16_t port_;
  devices::DeviceAgent& agent_;
  DriverClock clock_;
  WakeupTimer wakeups_;
  SessionLimits limits_;
  // The current connection; an earlier one is detached and closed when the agent reconnects.
  std::shared_ptr<WebsocketSession> session_;
  bool stopped_ = false;
  core::Outbox outbox_;  // reused for every agent call
  DeviceClientMetrics metrics_;
};

}  // namespace ccsim::net

// The real driver's event loop: one io_context on the calling thread, the driver's clock, every
// timer, and a census of the websocket sessions. On the paused clock it runs every ready handler,
// waits while any session has work in flight (a handshake, a write, a byte unread or
// unacknowledged), and only then moves the clock to the next timer and fires it; so time passes
// only when the network is quiet, and a frame always arrives at the time it was sent. On the real
// clock it simply runs the io_context and lets the timers wait for the wall clock.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>

#include "core/node.h"
#include "net/driver_clock.h"
#include "net/driver_timers.h"
#include "net/websocket_session.h"

namespace ccsim::net {

// Longest the sockets may stay busy without settling (wall time) before a paused run gives up:
// loopback settles in microseconds, so this is a stuck peer or a defect, not a slow machine.
inline constexpr std::chrono::seconds kSettleTimeMax{30};
// How long the loop blocks for socket work before it looks at the census again (wall time), once
// kSettleSpinsMax yields did not settle it.
inline constexpr std::chrono::microseconds kSettleWait{1000};
inline constexpr std::uint32_t kSettleSpinsMax = 64;
// Longest a run waits for its sessions to close after it is done (wall time).
inline constexpr std::chrono::milliseconds kShutdownTimeMax{2000};

class DriverLoop {
 public:
  explicit DriverLoop(ClockMode mode);
  DriverLoop(const DriverLoop&) = delete;
  DriverLoop& operator=(const DriverLoop&) = delete;

  boost::asio::io_context& io() { return io_; }
  const DriverClock& clock() const { return clock_; }
  DriverTimers& timers() { return timers_; }
  SessionCensus& census() { return census_; }

  // Runs handlers and timers until `done()` holds (asked after every handler and every timer),
  // the clock reaches `end`, or nothing is left to happen. Returns done(). Throws
  // std::runtime_error when, on the paused clock, the sockets do not settle within
  // kSettleTimeMax.
  bool run_until(const std::function<bool()>& done, core::Time end);
  // Runs the socket work left (closes, teardowns) until none is, or kShutdownTimeMax passes.
  void drain();

  // Handlers run since the loop was made, for progress lines.
  std::uint64_t handlers_run() const { return handlers_run_; }

 private:
  bool run_paused(const std::function<bool()>& done, core::Time end);
  bool run_real(const std::function<bool()>& done, core::Time end);
  void wait_for_sockets(std::chrono::steady_clock::time_point busy_since, std::uint32_t& spins);
  // Runs ready handlers until none is ready or done() holds; false when done() holds.
  bool poll_ready(const std::function<bool()>& done);

  SessionCensus census_;  // first: sessions leave it as the io_context destroys them
  boost::asio::io_context io_{1};
  DriverClock clock_;
  DriverTimers timers_;
  std::uint64_t handlers_run_ = 0;
};

}  // namespace ccsim::net

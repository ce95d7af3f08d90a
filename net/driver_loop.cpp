#include "net/driver_loop.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace ccsim::net {

DriverLoop::DriverLoop(ClockMode mode) : clock_(mode), timers_(io_, clock_) {}

bool DriverLoop::run_until(const std::function<bool()>& done, core::Time end) {
  io_.restart();
  return clock_.mode() == ClockMode::kPaused ? run_paused(done, end) : run_real(done, end);
}

bool DriverLoop::poll_ready(const std::function<bool()>& done) {
  while (true) {
    if (done()) return false;
    if (io_.poll_one() == 0) {
      if (io_.stopped()) io_.restart();  // out of work for now; timers may bring more
      return true;
    }
    ++handlers_run_;
  }
}

// Waits, without letting time move, for the sockets to settle: a few yields first (loopback
// settles within microseconds, but an epoll wait sleeps a millisecond at least), then blocking
// waits. Throws past kSettleTimeMax.
void DriverLoop::wait_for_sockets(std::chrono::steady_clock::time_point busy_since,
                                  std::uint32_t& spins) {
  if (std::chrono::steady_clock::now() - busy_since > kSettleTimeMax) {
    throw std::runtime_error("real driver: sockets still busy after " +
                             std::to_string(kSettleTimeMax.count()) + " s (" +
                             std::to_string(census_.size()) + " sessions)");
  }
  census_.push_acks();
  if (spins++ < kSettleSpinsMax) {
    std::this_thread::yield();
    if (io_.poll_one() > 0) ++handlers_run_;
  } else if (io_.run_one_for(kSettleWait) > 0) {
    ++handlers_run_;
  }
  if (io_.stopped()) io_.restart();
}

bool DriverLoop::run_paused(const std::function<bool()>& done, core::Time end) {
  std::optional<std::chrono::steady_clock::time_point> busy_since;
  std::uint32_t spins = 0;
  while (true) {
    if (!poll_ready(done)) return true;
    if (!census_.quiet()) {
      if (!busy_since) busy_since = std::chrono::steady_clock::now();
      wait_for_sockets(*busy_since, spins);
      continue;
    }
    busy_since.reset();
    spins = 0;
    // What the kernel queued for a reader is a ready handler now: one more look before time
    // moves.
    if (io_.poll_one() > 0) {
      ++handlers_run_;
      continue;
    }
    if (io_.stopped()) io_.restart();
    const std::optional<core::Time> next = timers_.next();
    if (!next || *next >= end) {
      clock_.advance_to(end);
      return done();
    }
    clock_.advance_to(*next);
    timers_.fire_due();
  }
}

bool DriverLoop::run_real(const std::function<bool()>& done, core::Time end) {
  const auto deadline = clock_.wall_time_at(end);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io_.run_one_until(deadline) == 0) {
      // Out of work: nothing more can happen before the deadline unless a timer is pending.
      if (timers_.pending() == 0 && census_.size() == 0) return done();
      io_.restart();
    } else {
      ++handlers_run_;
    }
  }
  return true;
}

void DriverLoop::drain() {
  io_.restart();
  io_.run_for(kShutdownTimeMax);
}

}  // namespace ccsim::net

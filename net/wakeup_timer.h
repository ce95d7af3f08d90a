// A node's timers on a real event loop. Nodes never cancel a timer and ignore a wake-up that no
// longer matches their deadline, so one steady_timer armed at the earliest requested time serves
// them all: when it fires, every request that is due is answered by a single on_wakeup.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <set>

#include "core/node.h"
#include "net/driver_clock.h"

namespace ccsim::net {

// Most wake-ups one node may have pending. Nodes keep one or two deadlines each, so reaching
// this means a node requests wake-ups without bound: a programmer error, and the driver aborts.
inline constexpr std::size_t kWakeupsPendingMax = 4096;

class WakeupTimer {
 public:
  using Fire = std::function<void(core::Time now)>;

  // `fire` is called with the driver's time when one or more requested wake-ups are due.
  WakeupTimer(boost::asio::io_context& io, DriverClock clock, Fire fire);
  ~WakeupTimer();
  WakeupTimer(const WakeupTimer&) = delete;
  WakeupTimer& operator=(const WakeupTimer&) = delete;

  void request(core::Time at);
  // Drops every pending wake-up; later requests work again.
  void cancel();
  std::size_t pending_count() const { return pending_.size(); }

 private:
  void arm();
  void on_expiry();

  boost::asio::steady_timer timer_;
  DriverClock clock_;
  Fire fire_;
  std::set<core::Time> pending_;
  // Shared with every wait in flight: a wait that completed just before the timer was destroyed
  // may still run, and must then not touch it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // The time the steady_timer waits for, or nothing armed.
  bool armed_ = false;
  core::Time armed_at_{};
};

}  // namespace ccsim::net

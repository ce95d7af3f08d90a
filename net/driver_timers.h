// Every timer of the real driver in one queue: the nodes' wake-ups and the scenario engine's
// callbacks. Timers at one time fire in `order`, then in the order they were set, so a run's
// sequence of timers does not depend on the machine. On the real clock one steady_timer waits for
// the earliest; on the paused clock the driver's loop asks for the next one and fires it after
// moving the clock there.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

#include "core/node.h"
#include "net/driver_clock.h"

namespace ccsim::net {

// Most timers pending at once: a node keeps one or two deadlines, the engine one per timeline
// entry. Reaching it means something sets timers without bound: a programmer error, and the
// driver aborts.
inline constexpr std::size_t kDriverTimersPendingMax = 1'000'000;

class DriverTimers {
 public:
  using Fire = std::function<void(core::Time now)>;

  DriverTimers(boost::asio::io_context& io, DriverClock clock);
  DriverTimers(const DriverTimers&) = delete;
  DriverTimers& operator=(const DriverTimers&) = delete;

  // Calls `fire` with the driver's time once it reaches `at` (at once if it has).
  void schedule(core::Time at, std::uint8_t order, Fire fire);
  // The earliest pending time; none when no timer is pending.
  std::optional<core::Time> next() const;
  // Fires the timers due at the clock's time, in order, with those they set that are due too.
  void fire_due();
  void cancel_all();
  std::size_t pending() const { return queue_.size(); }

 private:
  using Key = std::tuple<core::Time, std::uint8_t, std::uint64_t>;  // at, order, sequence
  void arm();

  DriverClock clock_;
  boost::asio::steady_timer timer_;  // the real clock's only
  std::map<Key, Fire> queue_;
  std::uint64_t sequence_ = 0;
  std::optional<core::Time> armed_at_;
};

}  // namespace ccsim::net

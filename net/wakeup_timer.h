// A node's timers on the real driver. Nodes never cancel a timer and ignore a wake-up that no
// longer matches their deadline, so a wake-up requested for a time already pending is not set
// again, and when several are due together the node hears of them in a single on_wakeup.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <set>

#include "core/node.h"
#include "net/driver_timers.h"

namespace ccsim::net {

// Most wake-ups one node may have pending. Nodes keep one or two deadlines each, so reaching
// this means a node requests wake-ups without bound: a programmer error, and the driver aborts.
inline constexpr std::size_t kWakeupsPendingMax = 4096;
// Where node wake-ups come among timers at one time: before anything the engine does.
inline constexpr std::uint8_t kNodeWakeupOrder = 0;

class WakeupTimer {
 public:
  using Fire = std::function<void(core::Time now)>;

  // `fire` is called with the driver's time when one or more requested wake-ups are due.
  // `timers` must outlive this.
  WakeupTimer(DriverTimers& timers, Fire fire);
  ~WakeupTimer();
  WakeupTimer(const WakeupTimer&) = delete;
  WakeupTimer& operator=(const WakeupTimer&) = delete;

  void request(core::Time at);
  // Drops every pending wake-up; later requests work again.
  void cancel();
  std::size_t pending_count() const { return pending_.size(); }

 private:
  void on_due(core::Time now);

  DriverTimers& timers_;
  Fire fire_;
  std::set<core::Time> pending_;
  // Shared with every timer set: one may fire after this was destroyed, and must then not touch
  // it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ccsim::net

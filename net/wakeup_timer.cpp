#include "net/wakeup_timer.h"

#include <cstdio>
#include <cstdlib>

namespace ccsim::net {

WakeupTimer::WakeupTimer(DriverTimers& timers, Fire fire)
    : timers_(timers), fire_(std::move(fire)) {}

WakeupTimer::~WakeupTimer() {
  *alive_ = false;
}

void WakeupTimer::request(core::Time at) {
  if (pending_.size() >= kWakeupsPendingMax) {
    std::fprintf(stderr, "ccsim net: a node has %zu wake-ups pending (max %zu)\n", pending_.size(),
                 kWakeupsPendingMax);
    std::abort();
  }
  if (!pending_.insert(at).second) return;
  timers_.schedule(at, kNodeWakeupOrder, [this, alive = alive_](core::Time now) {
    if (*alive) on_due(now);
  });
}

void WakeupTimer::cancel() {
  pending_.clear();
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
}

void WakeupTimer::on_due(core::Time now) {
  bool due = false;
  while (!pending_.empty() && *pending_.begin() <= now) {
    pending_.erase(pending_.begin());
    due = true;
  }
  if (due) fire_(now);
}

}  // namespace ccsim::net

#include "net/wakeup_timer.h"

#include <cstdio>
#include <cstdlib>

namespace ccsim::net {

WakeupTimer::WakeupTimer(boost::asio::io_context& io, DriverClock clock, Fire fire)
    : timer_(io), clock_(clock), fire_(std::move(fire)) {}

WakeupTimer::~WakeupTimer() {
  *alive_ = false;
}

void WakeupTimer::request(core::Time at) {
  if (pending_.size() >= kWakeupsPendingMax) {
    std::fprintf(stderr, "ccsim net: a node has %zu wake-ups pending (max %zu)\n", pending_.size(),
                 kWakeupsPendingMax);
    std::abort();
  }
  pending_.insert(at);
  if (!armed_ || at < armed_at_) arm();
}

void WakeupTimer::cancel() {
  pending_.clear();
  armed_ = false;
  timer_.cancel();
}

void WakeupTimer::arm() {
  armed_ = true;
  armed_at_ = *pending_.begin();
  // Re-arming cancels the earlier wait; its handler sees operation_aborted and returns.
  timer_.expires_at(clock_.wall_time_at(armed_at_));
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    on_expiry();
  });
}

void WakeupTimer::on_expiry() {
  armed_ = false;
  const core::Time now = clock_.now();
  bool due = false;
  while (!pending_.empty() && *pending_.begin() <= now) {
    pending_.erase(pending_.begin());
    due = true;
  }
  if (due) fire_(now);
  if (!pending_.empty() && !armed_) arm();
}

}  // namespace ccsim::net

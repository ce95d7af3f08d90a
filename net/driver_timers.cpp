#include "net/driver_timers.h"

#include <cstdio>
#include <cstdlib>

namespace ccsim::net {

DriverTimers::DriverTimers(boost::asio::io_context& io, DriverClock clock)
    : clock_(std::move(clock)), timer_(io) {}

void DriverTimers::schedule(core::Time at, std::uint8_t order, Fire fire) {
  if (queue_.size() >= kDriverTimersPendingMax) {
    std::fprintf(stderr, "ccsim net: %zu timers pending (max %zu)\n", queue_.size(),
                 kDriverTimersPendingMax);
    std::abort();
  }
  queue_.emplace(Key{at, order, sequence_++}, std::move(fire));
  if (clock_.mode() == ClockMode::kReal && (!armed_at_ || at < *armed_at_)) arm();
}

std::optional<core::Time> DriverTimers::next() const {
  if (queue_.empty()) return std::nullopt;
  return std::get<0>(queue_.begin()->first);
}

void DriverTimers::fire_due() {
  while (!queue_.empty() && std::get<0>(queue_.begin()->first) <= clock_.now()) {
    Fire fire = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    fire(clock_.now());
  }
  if (clock_.mode() == ClockMode::kReal) arm();
}

void DriverTimers::cancel_all() {
  queue_.clear();
  armed_at_.reset();
  timer_.cancel();
}

void DriverTimers::arm() {
  if (queue_.empty()) {
    armed_at_.reset();
    timer_.cancel();
    return;
  }
  const core::Time at = std::get<0>(queue_.begin()->first);
  if (armed_at_ == at) return;
  armed_at_ = at;
  // Re-arming cancels the earlier wait; its handler sees operation_aborted and returns.
  timer_.expires_at(clock_.wall_time_at(at));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;
    armed_at_.reset();
    fire_due();
  });
}

}  // namespace ccsim::net

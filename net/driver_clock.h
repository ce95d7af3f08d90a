// The real driver's clock. Nodes never read the wall clock; the driver hands them its time as
// core::Time since it started, the scale the simulated driver counts in. Two modes:
// - real: the wall clock's steady time since the clock was made, for runs against outside peers;
// - paused: time stands still while handlers run and moves only when the driver advances it, to
//   the next timer, once no socket has work (as test runtimes' paused clocks do). A scenario of
//   days then runs in seconds, and no verdict depends on how loaded the machine is.
// Copies share one clock.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/node.h"

namespace ccsim::net {

enum class ClockMode : std::uint8_t { kPaused, kReal };

class DriverClock {
 public:
  explicit DriverClock(ClockMode mode = ClockMode::kReal)
      : state_(std::make_shared<State>(State{mode, std::chrono::steady_clock::now(), {}})) {}

  ClockMode mode() const { return state_->mode; }

  core::Time now() const {
    if (state_->mode == ClockMode::kPaused) return state_->paused_at;
    return std::chrono::duration_cast<core::Time>(std::chrono::steady_clock::now() - state_->start);
  }

  // Paused only: moves the clock on to `time`; it never goes back.
  void advance_to(core::Time time) {
    assert(state_->mode == ClockMode::kPaused);
    if (time > state_->paused_at) state_->paused_at = time;
  }

  // Real only: the wall-clock instant at which the clock reads `time`.
  std::chrono::steady_clock::time_point wall_time_at(core::Time time) const {
    assert(state_->mode == ClockMode::kReal);
    return state_->start + time;
  }

 private:
  struct State {
    ClockMode mode;
    std::chrono::steady_clock::time_point start;
    core::Time paused_at;
  };
  std::shared_ptr<State> state_;
};

}  // namespace ccsim::net

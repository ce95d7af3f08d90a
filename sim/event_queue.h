// The simulated driver's own queue of what happens next: the nodes' wake-ups, connections that
// open or fail, frames that arrive, segments to retransmit and the engine's callbacks, for every
// site and the cloud at once. One queue in one actor is what lets small messages skip SimGrid:
// they become an arrival here at the time the network model gives them, and nothing else.
//
// Order: by time, then by kind (EventKind's order), then by the order they were pushed, so
// equal times always run in the same order and callbacks run in the order they were set.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "core/node.h"

namespace ccsim::sim {

// In the order they run at one time: the nodes' own timers, what the network does, then what
// the engine does, then what it observes.
enum class EventKind : std::uint8_t {
  kNodeWakeup,         // target: an agent, or kPlatformTarget
  kConnectionLost,     // target: an agent whose connection could not open, or was reset
  kPlatformEndClosed,  // target: an agent whose connection the platform's end lost
  kConnectionOpen,     // target: an agent whose handshakes are done
  kArrival,            // target: a segment in flight (SegmentTable slot)
  kRetransmit,         // target: a segment waiting for its retransmission
  kExactSend,          // target: a segment that enters SimGrid after its jitter
  kEngineAct,          // target: a callback slot
  kEngineObserve,      // target: a callback slot
};

// The platform node's wake-ups name this target.
inline constexpr std::uint32_t kPlatformTarget = 0xFFFF'FFFF;

struct Event {
  std::int64_t at_us = 0;
  std::uint64_t order = 0;  // kind in the top byte, then a push count
  std::uint32_t target = 0;
  std::uint32_t check = 0;  // what the target must still be for the event to hold (a generation)

  core::Time at() const { return core::Time(at_us); }
  EventKind kind() const { return static_cast<EventKind>(order >> kKindShift); }

  static constexpr unsigned kKindShift = 56;
};

class EventQueue {
 public:
  void push(core::Time at, EventKind kind, std::uint32_t target, std::uint32_t check = 0) {
    assert(pushed_ < (std::uint64_t{1} << Event::kKindShift) && "the push count overflows");
    heap_.push_back({at.count(),
                     (static_cast<std::uint64_t>(kind) << Event::kKindShift) | pushed_++, target,
                     check});
    sift_up(heap_.size() - 1);
  }

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // The earliest event's time; the queue must not be empty.
  core::Time next_at() const {
    assert(!heap_.empty());
    return core::Time(heap_.front().at_us);
  }

  Event pop() {
    assert(!heap_.empty());
    const Event top = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return top;
  }

 private:
  // A 4-ary heap: half the depth of a binary one, and a node's children share a cache line or
  // two, which matters with a million devices' timers in it.
  static constexpr std::size_t kArity = 4;

  static bool before(const Event& a, const Event& b) {
    return a.at_us != b.at_us ? a.at_us < b.at_us : a.order < b.order;
  }

  void sift_up(std::size_t i) {
    const Event moving = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / kArity;
      if (!before(moving, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }

  void sift_down(std::size_t i) {
    const Event moving = heap_[i];
    const std::size_t n = heap_.size();
    while (true) {
      const std::size_t first = i * kArity + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t last = first + kArity < n ? first + kArity : n;
      for (std::size_t c = first + 1; c < last; ++c) {
        if (before(heap_[c], heap_[best])) best = c;
      }
      if (!before(heap_[best], moving)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = moving;
  }

  std::vector<Event> heap_;
  std::uint64_t pushed_ = 0;
};

}  // namespace ccsim::sim

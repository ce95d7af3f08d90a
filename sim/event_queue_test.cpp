// The driver's event queue against a second derivation of its order: a std::set ordered by
// (time, kind, push order), with pops and pushes interleaved as a run interleaves them.
#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>
#include <vector>

#include "core/random_stream.h"

namespace ccsim::sim {
namespace {

using core::Time;

TEST(EventQueue, EarlierFirstThenByKindThenInTheOrderPushed) {
  EventQueue queue;
  queue.push(Time(20), EventKind::kArrival, 1);
  queue.push(Time(10), EventKind::kEngineObserve, 2);
  queue.push(Time(10), EventKind::kEngineAct, 3);
  queue.push(Time(10), EventKind::kNodeWakeup, 4);
  queue.push(Time(10), EventKind::kEngineAct, 5);
  std::vector<std::uint32_t> order;
  while (!queue.empty()) order.push_back(queue.pop().target);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{4, 3, 5, 2, 1}));
}

TEST(EventQueue, AnEventKeepsItsTargetCheckKindAndTime) {
  EventQueue queue;
  queue.push(Time(7), EventKind::kRetransmit, 42, 9);
  EXPECT_EQ(queue.next_at(), Time(7));
  const Event event = queue.pop();
  EXPECT_EQ(event.at(), Time(7));
  EXPECT_EQ(event.kind(), EventKind::kRetransmit);
  EXPECT_EQ(event.target, 42U);
  EXPECT_EQ(event.check, 9U);
  EXPECT_TRUE(queue.empty());
}

// Like a run: events are pushed at or after the last one popped, many at equal times, some after
// an event of their time was popped. The reference is a std::set ordered by (time, kind, push
// order), popped in step.
TEST(EventQueue, AgreesWithAnOrderedSetOverAMillionRandomEvents) {
  core::RandomStream random(7, 1);
  EventQueue queue;
  std::set<std::tuple<std::int64_t, int, std::uint32_t>> reference;
  std::int64_t now = 0;
  std::uint32_t next_target = 0;
  constexpr std::uint32_t kEvents = 1'000'000;
  constexpr int kKinds = static_cast<int>(EventKind::kEngineObserve) + 1;
  std::size_t popped = 0;
  while (next_target < kEvents || !queue.empty()) {
    const bool push = next_target < kEvents && (queue.empty() || random.next_below(3) != 0);
    if (push) {
      const std::int64_t at = now + static_cast<std::int64_t>(random.next_below(50));
      const int kind = static_cast<int>(random.next_below(kKinds));
      queue.push(Time(at), static_cast<EventKind>(kind), next_target);
      reference.emplace(at, kind, next_target++);  // targets count up: they order ties by push
      continue;
    }
    const Event event = queue.pop();
    ASSERT_EQ(event.target, std::get<2>(*reference.begin())) << "pop " << popped;
    ASSERT_EQ(event.at_us, std::get<0>(*reference.begin()));
    reference.erase(reference.begin());
    now = event.at_us;
    ++popped;
  }
  EXPECT_EQ(popped, kEvents);
  EXPECT_TRUE(reference.empty());
}

}  // namespace
}  // namespace ccsim::sim

// The real driver's loop and clock: timers fire in time, order and sequence; the paused clock
// moves only to the next timer, and only once the sockets are quiet; and the real driver runs a
// fleet through an hour of heartbeats, a partition and callbacks without waiting an hour.
#include "net/driver_loop.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include <string>
#include <vector>

#include "net/real_driver.h"
#include "scenarios/model/fleet_fixture.h"

namespace ccsim::net {
namespace {

using namespace std::chrono_literals;
using core::Time;

TEST(DriverTimers, FireInTimeThenOrderThenTheOrderSet) {
  DriverLoop loop(ClockMode::kPaused);
  std::vector<std::string> fired;
  const auto note = [&fired](std::string what) {
    return [&fired, what](Time now) { fired.push_back(what + "@" + std::to_string(now.count())); };
  };
  DriverTimers& timers = loop.timers();
  timers.schedule(Time(20), 1, note("b"));
  timers.schedule(Time(10), 2, note("c"));
  timers.schedule(Time(10), 1, note("a1"));
  timers.schedule(Time(10), 1, note("a2"));
  timers.schedule(Time(30), 0, [&](Time now) {
    fired.push_back("d@" + std::to_string(now.count()));
    timers.schedule(now, 0, note("set-by-d"));  // due at once: fires in the same turn
  });
  EXPECT_EQ(timers.next(), Time(10));
  EXPECT_FALSE(loop.run_until([] { return false; }, Time(100)));
  EXPECT_EQ(fired,
            (std::vector<std::string>{"a1@10", "a2@10", "c@10", "b@20", "d@30", "set-by-d@30"}));
  EXPECT_EQ(loop.clock().now(), Time(100));  // nothing left: the clock reaches the end
}

TEST(DriverLoop, ThePausedClockStandsStillWhileHandlersRun) {
  DriverLoop loop(ClockMode::kPaused);
  Time seen_in_handler{-1};
  loop.timers().schedule(Time(std::chrono::hours(5)), 0, [&](Time) {
    boost::asio::post(loop.io(), [&] { seen_in_handler = loop.clock().now(); });
  });
  bool stop = false;
  loop.timers().schedule(Time(std::chrono::hours(6)), 0, [&](Time) { stop = true; });
  const auto wall_start = std::chrono::steady_clock::now();
  EXPECT_TRUE(loop.run_until([&] { return stop; }, Time(std::chrono::hours(24))));
  EXPECT_EQ(seen_in_handler, Time(std::chrono::hours(5)));
  EXPECT_EQ(loop.clock().now(), Time(std::chrono::hours(6)));
  // Six hours of driver time took no hours of wall time (a generous bound, not a benchmark).
  EXPECT_LT(std::chrono::steady_clock::now() - wall_start, std::chrono::minutes(1));
}

// The engine's contract on the real driver: callbacks at one time act before they observe, site
// callbacks run at their time, and callbacks at or after the end never run.
TEST(RealDriver, CallbacksRunAtTheirTimeActingBeforeObserving) {
  scenarios::FleetFixture f(scenarios::cameras_at_sites({"north"}, 1));
  RealDriver driver(f.fleet(), {});
  std::string log;
  const auto note = [&log](const char* what) {
    return [&log, what](Time now) {
      log += std::string(what) + "@" + std::to_string(now.count()) + " ";
    };
  };
  driver.at_platform(5s, note("observe-1"), scenarios::Phase::kObserve);
  driver.at_platform(5s, note("act-1"));
  driver.at_platform(5s, note("act-2"));
  driver.at_site(3s, 0, note("site"));
  driver.at_platform(2h, note("after-the-end"));
  driver.run(f.scenario.duration);
  EXPECT_EQ(log, "site@3000000 act-1@5000000 act-2@5000000 observe-1@5000000 ");
}

// Four cameras heartbeat for an hour over TLS websockets; north is cut off from 10 to 20
// minutes. The platform sees north gone during the cut and back after it, and frames to and
// from north were dropped.
TEST(RealDriver, RunsAnHourOfHeartbeatsAndAPartitionOnThePausedClock) {
  scenarios::FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, 2));
  RealDriver driver(f.fleet(), {});
  f.start_on(driver, [](std::uint32_t agent) { return 1s * agent; });
  driver.at_platform(10min, [&](Time) { driver.begin_fault(0, scenarios::Fault{}); });
  driver.at_platform(20min, [&](Time) { driver.end_fault(0, scenarios::Fault{}); });
  std::size_t connected_in_cut = 0;
  driver.at_platform(
      19min, [&](Time) { connected_in_cut = f.platform.connected_count(); },
      scenarios::Phase::kObserve);
  driver.run(f.scenario.duration);
  EXPECT_EQ(connected_in_cut, 2U);  // south only
  EXPECT_EQ(f.platform.connected_count(), 4U);
  EXPECT_EQ(f.platform.metrics().reconnects, 2U);
  EXPECT_GT(driver.network().messages_dropped_partition, 0U);
  EXPECT_EQ(driver.network().messages_dropped_loss, 0U);
  // About 60 heartbeats each, the cut ones fewer; none rejected.
  EXPECT_GT(f.platform.metrics().heartbeats_received, 4U * 40);
  EXPECT_EQ(f.platform.metrics().frame_errors_total(), 0U);
}

TEST(RealDriver, RefusesAFleetLargerThanItsLimit) {
  scenarios::FleetFixture f(
      scenarios::cameras_at_sites({"big"}, static_cast<std::uint32_t>(kRealDriverAgentsMax + 1)));
  EXPECT_THROW(RealDriver(f.fleet(), {}), std::invalid_argument);
}

}  // namespace
}  // namespace ccsim::net

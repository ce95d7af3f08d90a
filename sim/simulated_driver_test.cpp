// Tests of the simulated driver on its own, below the scenario engine: frames take their uplink's
// latency, callbacks run at their time in phase order, a partition drops frames and keeps
// connections from opening, and one seed gives one trace. SimGrid allows one engine per process,
// so every simulation here runs in a child process.
#include "sim/simulated_driver.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "scenarios/model/child_process.h"
#include "scenarios/model/fleet_fixture.h"

namespace ccsim::sim {
namespace {

using namespace std::chrono_literals;
using core::Time;
using scenarios::FleetFixture;

// Each agent says hello 10 s after the one before, with `faults` scheduled on the driver; the
// delay, by agent (the serial's last digit), from the hello to when the platform heard it.
template <typename Faults>
std::map<char, std::int64_t> hello_delays_us(std::uint32_t cameras_per_site, Faults faults) {
  const std::string text = scenarios::run_in_child([cameras_per_site, faults] {
    FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, cameras_per_site));
    f.scenario.duration = 2min;
    SimulatedDriver driver(f.fleet(), {});
    f.start_on(driver, [](std::uint32_t agent) { return 10s * agent; });
    faults(driver);
    driver.run(f.scenario.duration);
    std::ostringstream out;
    for (const platform::DeviceConnection& r : f.platform.devices()) {
      out << r.serial << ' ' << r.first_connected_at.count() << '\n';
    }
    return out.str();
  });
  std::istringstream in(text);
  std::string serial;
  std::int64_t at_us = 0;
  std::map<char, std::int64_t> delay_us;
  while (in >> serial >> at_us) {
    delay_us[serial.back()] = at_us - 10'000'000LL * (serial.back() - '0');
  }
  return delay_us;
}

// A hello reaches the platform after the connection's three round trips (TCP, TLS 1.3, the
// websocket upgrade: 3 x 2 x 21 ms = 126 ms) and its own way up: the 20 ms uplink, the 1 ms
// backbone and its transfer time over 50 Mbps (under a millisecond).
TEST(SimulatedDriver, AHelloTakesTheHandshakesThenItsUplinkAndTheBackbone) {
  const std::map<char, std::int64_t> delay_us = hello_delays_us(3, [](SimulatedDriver&) {});
  ASSERT_EQ(delay_us.size(), 6U);
  for (const auto& [agent, delay] : delay_us) {
    EXPECT_GE(delay, 147'000) << agent;
    EXPECT_LE(delay, 148'000) << agent;
  }
}

// North's uplink is 100 ms slower from 5 s to 15 s and throttled to 8 kbps from 15 s to 25 s;
// its agents connect at 0, 10, 20 and 30 s, south's at 40 to 70 s, each hello 126 ms and 21 ms
// later when nothing holds. Only the connections opened while a fault held take longer: agent 1's
// six one-way trips of the handshakes and its hello each take the spike's 100 ms more (7 x 121 ms
// in all), agent 2's hello crosses the throttle's 1 kB/s with 80 bytes of overhead and more.
TEST(SimulatedDriver, ALatencySpikeAndAThrottleSlowTheUplinkWhileTheyLast) {
  std::map<char, std::int64_t> delay_us = hello_delays_us(4, [](SimulatedDriver& driver) {
    scenarios::Fault spike{5s, 10s, scenarios::FaultKind::kLatencySpike, "north", ""};
    spike.latency = 100ms;
    scenarios::Fault throttle{15s, 10s, scenarios::FaultKind::kThrottle, "north", ""};
    throttle.bandwidth_bps = 8'000;
    for (const scenarios::Fault& fault : {spike, throttle}) {
      driver.at_platform(fault.at, [&driver, fault](Time) { driver.begin_fault(0, fault); });
      driver.at_platform(fault.at + fault.length,
                         [&driver, fault](Time) { driver.end_fault(0, fault); });
    }
  });
  ASSERT_EQ(delay_us.size(), 8U);
  for (char agent : {'0', '3', '4', '5', '6', '7'}) {
    EXPECT_GE(delay_us[agent], 147'000) << agent;
    EXPECT_LE(delay_us[agent], 148'000) << agent;
  }
  EXPECT_GE(delay_us['1'], 847'000);
  EXPECT_LE(delay_us['1'], 848'000);
  EXPECT_GE(delay_us['2'], 147'000 + 80'000);
  EXPECT_LE(delay_us['2'], 147'000 + 1'000'000);
}

// North is cut off from 10.05 s to 15 s, while agent 1's handshakes (10 s to 10.126 s) are under
// way: its connection never opens, it waits out the 10 s connect timeout (to 20.126 s), backs off
// 3 s +-25% and connects again: its hello comes at least 10.126 + 2.25 + 0.147 s after it began.
// Agents 0 and 2 connect outside the cut and take their usual 147 ms.
TEST(SimulatedDriver, ACutDuringTheHandshakesTimesTheConnectionOut) {
  std::map<char, std::int64_t> delay_us = hello_delays_us(3, [](SimulatedDriver& driver) {
    const scenarios::Fault cut{10'050ms, 4'950ms, scenarios::FaultKind::kPartition, "north", ""};
    driver.at_platform(cut.at, [&driver, cut](Time) { driver.begin_fault(0, cut); });
    driver.at_platform(cut.at + cut.length, [&driver, cut](Time) { driver.end_fault(0, cut); });
  });
  ASSERT_EQ(delay_us.size(), 6U);
  for (char agent : {'0', '2', '3', '4', '5'}) {
    EXPECT_GE(delay_us[agent], 147'000) << agent;
    EXPECT_LE(delay_us[agent], 148'000) << agent;
  }
  EXPECT_GE(delay_us['1'], 10'126'000 + 2'250'000 + 147'000);
  EXPECT_LE(delay_us['1'], 10'126'000 + 3'750'000 + 148'000);
}

// At one time: what acts runs before what observes, each in the order set, and a site's callback
// runs at its time on the site's side.
TEST(SimulatedDriver, CallbacksRunAtTheirTimeActingBeforeObserving) {
  const std::string text = scenarios::run_in_child([] {
    FleetFixture f(scenarios::cameras_at_sites({"north"}, 1));
    SimulatedDriver driver(f.fleet(), {});
    std::ostringstream log;
    const auto note = [&log](const char* what) {
      return [&log, what](Time now) { log << what << '@' << now.count() << ' '; };
    };
    driver.at_platform(5s, note("observe-1"), scenarios::Phase::kObserve);
    driver.at_platform(5s, note("act-1"));
    driver.at_platform(5s, note("act-2"));
    driver.at_site(3s, 0, note("site"));
    driver.at_platform(2h, note("after-the-end"));
    driver.run(f.scenario.duration);
    return log.str();
  });
  EXPECT_EQ(text, "site@3000000 act-1@5000000 act-2@5000000 observe-1@5000000 ");
}

// North is cut off from 10 to 20 minutes: its frames are dropped, its agents cannot reconnect
// until the heal, and the platform sees it disconnected in between.
TEST(SimulatedDriver, APartitionDropsFramesAndKeepsConnectionsFromOpening) {
  const std::string text = scenarios::run_in_child([] {
    FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, 2));
    SimulatedDriver driver(f.fleet(), {});
    f.start_on(driver, [](std::uint32_t) { return 0s; });
    driver.at_platform(10min, [&](Time) { driver.begin_fault(0, scenarios::Fault{}); });
    driver.at_platform(20min, [&](Time) { driver.end_fault(0, scenarios::Fault{}); });
    std::size_t connected_in_cut = 0;
    driver.at_platform(
        19min, [&](Time) { connected_in_cut = f.platform.connected_count(); },
        scenarios::Phase::kObserve);
    driver.run(f.scenario.duration);
    std::uint64_t connects = 0;
    for (const devices::DeviceAgent& agent : f.agents)
      connects += agent.metrics().connects_requested;
    std::ostringstream out;
    out << connected_in_cut << ' ' << f.platform.connected_count() << ' '
        << driver.network().messages_dropped_partition << ' ' << connects << ' '
        << f.platform.metrics().reconnects;
    return out.str();
  });
  std::istringstream in(text);
  std::uint64_t in_cut = 0, at_end = 0, dropped = 0, connects = 0, reconnects = 0;
  in >> in_cut >> at_end >> dropped >> connects >> reconnects;
  EXPECT_EQ(in_cut, 2U);  // south only
  EXPECT_EQ(at_end, 4U);
  EXPECT_GT(dropped, 0U);
  // North's agents gave up and retried, with back-off, while their connects could not open.
  EXPECT_GT(connects, 4U + 2U);
  EXPECT_EQ(reconnects, 2U);
}

std::string trace_of(std::uint64_t seed) {
  return scenarios::run_in_child([seed] {
    FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, 5), seed);
    SimulatedDriver driver(f.fleet(), {});
    f.start_on(driver, [&f](std::uint32_t agent) {
      return Time(
          static_cast<std::int64_t>(core::RandomStream(f.seed, agent).next_below(60'000'000)));
    });
    driver.run(f.scenario.duration);
    return f.trace.finish();
  });
}

TEST(SimulatedDriver, OneSeedGivesOneTrace) {
  EXPECT_EQ(trace_of(3), trace_of(3));
  EXPECT_NE(trace_of(3), trace_of(4));
}

}  // namespace
}  // namespace ccsim::sim

// Tests of the simulated driver on its own, below the scenario engine: frames take their uplink's
// latency, callbacks run at their time in phase order, a partition drops frames and keeps
// connections from opening, and one seed gives one trace. SimGrid allows one engine per process,
// so every simulation here runs in a child process.
#include "sim/simulated_driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <map>
#include <sstream>

#include "scenarios/model/child_process.h"
#include "scenarios/model/fleet_fixture.h"

namespace ccsim::sim {
namespace {

using namespace std::chrono_literals;
using core::Duration;
using core::Time;
using scenarios::FleetFixture;

// Each agent says hello `spacing` after the one before, with `faults` scheduled on the driver;
// the delay, by agent (the serial's last digit), from the hello to when the platform heard it.
// `shape` may change the fixture's scenario first (its lane, its uplinks).
template <typename Faults, typename Shape>
std::map<char, std::int64_t> hello_delays_us(std::uint32_t cameras_per_site, Faults faults,
                                             Shape shape, Duration spacing = 10s) {
  const std::string text = scenarios::run_in_child([cameras_per_site, faults, shape, spacing] {
    FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, cameras_per_site));
    f.scenario.duration = 2min;
    shape(f.scenario);
    SimulatedDriver driver(f.fleet(), {});
    f.start_on(driver, [spacing](std::uint32_t agent) { return spacing * agent; });
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
    delay_us[serial.back()] = at_us - spacing.count() * (serial.back() - '0');
  }
  return delay_us;
}

template <typename Faults>
std::map<char, std::int64_t> hello_delays_us(std::uint32_t cameras_per_site, Faults faults) {
  return hello_delays_us(cameras_per_site, faults, [](scenarios::Scenario&) {});
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

// A 50 ms jitter on north from the start: each hello meets an extra delay drawn in [0, 50 ms) on
// its way up (the handshakes, whose cost is their latency, meet none), south's none.
TEST(SimulatedDriver, JitterDelaysEachMessageByUpToItsBound) {
  const std::map<char, std::int64_t> delay_us = hello_delays_us(5, [](SimulatedDriver& driver) {
    scenarios::Fault jitter{0s, 2min, scenarios::FaultKind::kJitter, "north", ""};
    jitter.jitter = 50ms;
    driver.at_platform(0s, [&driver, jitter](Time) { driver.begin_fault(0, jitter); });
  });
  ASSERT_EQ(delay_us.size(), 10U);
  std::int64_t least = INT64_MAX, most = 0;
  for (char agent : {'0', '1', '2', '3', '4'}) {
    EXPECT_GE(delay_us.at(agent), 147'000) << agent;
    EXPECT_LT(delay_us.at(agent), 148'000 + 50'000) << agent;
    least = std::min(least, delay_us.at(agent));
    most = std::max(most, delay_us.at(agent));
  }
  EXPECT_GT(most - least, 1'000) << "five draws in 50 ms do not all fall in one millisecond";
  for (char agent : {'5', '6', '7', '8', '9'}) {
    EXPECT_GE(delay_us.at(agent), 147'000) << agent;
    EXPECT_LE(delay_us.at(agent), 148'000) << agent;
  }
}

// North is cut off from 10.05 s to 15 s, while agent 1's handshakes (10 s to 10.126 s) are under
// way: its connection never opens, it waits out the 10 s connect timeout (to 20.126 s), backs off
// a time drawn below 3 s and connects again: its hello comes 10.126 + [0, 3) + 0.147 s after it
// began.
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
  EXPECT_GE(delay_us['1'], 10'126'000 + 147'000);
  EXPECT_LE(delay_us['1'], 10'126'000 + 3'000'000 + 148'000);
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

// A download of `bytes` for north's first agent at `at`, as its device host would ask for one.
void download(SimulatedDriver& driver, Time at, std::uint64_t id, std::uint64_t bytes) {
  driver.at_site(at, 0, [&driver, id, bytes](Time now) {
    core::Outbox out;
    out.transfers.push_back({id, bytes, false});
    driver.dispatch_agent(now, 0, out);
  });
}

// Transfers completed by each second from 1 s to 4 s, with `count` downloads of 12.5 MB started
// together at 0 s on north's 100 Mbps (12.5 MB/s), 20 ms uplink behind the 1 ms backbone.
std::string transfers_done_by_second(std::uint64_t count) {
  return scenarios::run_in_child([count] {
    FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, 1));
    f.scenario.sites[0].uplink.bandwidth_bps = 100e6;
    SimulatedDriver driver(f.fleet(), {});
    for (std::uint64_t id = 1; id <= count; ++id) download(driver, 0s, id, 12'500'000);
    std::ostringstream done;
    for (const Time at : {1s, 2s, 3s, 4s}) {
      driver.at_platform(
          at, [&](Time) { done << driver.network().transfers_completed << ' '; },
          scenarios::Phase::kObserve);
    }
    driver.run(f.scenario.duration);
    return done.str();
  });
}

// One download alone takes its bytes over the link (1 s, plus 21 ms of latency and SimGrid's
// TCP window bound, well above the link here); two started together share the link and both end
// after 2 s, three after 3 s: a SimGrid flow each, sharing the uplink fairly.
TEST(SimulatedDriver, DownloadsShareTheUplink) {
  EXPECT_EQ(transfers_done_by_second(1), "0 1 1 1 ");
  EXPECT_EQ(transfers_done_by_second(2), "0 0 2 2 ");
  EXPECT_EQ(transfers_done_by_second(3), "0 0 0 3 ");
}

// A bulk flow filling north's 1 Mbps uplink one way from 1 s to about 17 s (2 MB), and north's
// agents saying hello every 2 s from 0 s: for each agent, when the platform heard its hello and
// when the agent heard the answer (polled every 10 us), both from the hello's start, on `lane`.
struct LaneDelays {
  std::map<char, std::int64_t> hello_us;   // up
  std::map<char, std::int64_t> answer_us;  // up and back down
};
LaneDelays saturated_delays(scenarios::SmallMessages lane, bool upload) {
  const std::string text = scenarios::run_in_child([lane, upload] {
    FleetFixture f(scenarios::cameras_at_sites({"north", "south"}, 5));
    f.scenario.duration = 20s;
    f.scenario.network.small_messages = lane;
    f.scenario.sites[0].uplink.bandwidth_bps = 1e6;
    SimulatedDriver driver(f.fleet(), {});
    f.start_on(driver, [](std::uint32_t agent) { return 2s * agent; });
    driver.at_site(1s, 0, [&driver, upload](Time now) {
      core::Outbox out;
      out.transfers.push_back({1, 2'000'000, upload});
      driver.dispatch_agent(now, 0, out);
    });
    std::map<std::uint32_t, std::int64_t> answered;
    for (std::uint32_t agent = 0; agent < 5; ++agent) {
      for (Duration t = 165ms; t < 175ms; t += 10us) {
        driver.at_platform(
            2s * agent + t,
            [&f, &answered, agent](Time now) {
              if (f.agents[agent].state() == devices::AgentState::kOnline) {
                answered.emplace(agent, (now - Time(2s * agent)).count());
              }
            },
            scenarios::Phase::kObserve);
      }
    }
    driver.run(f.scenario.duration);
    std::ostringstream out;
    for (const platform::DeviceConnection& r : f.platform.devices()) {
      for (std::uint32_t agent = 0; agent < 5; ++agent) {
        if (r.serial != f.agents[agent].identity().serial) continue;
        out << agent << ' ' << (r.first_connected_at - Time(2s * agent)).count() << ' '
            << answered[agent] << '\n';
      }
    }
    return out.str();
  });
  LaneDelays delays;
  std::istringstream in(text);
  std::int64_t hello = 0, answer = 0;
  std::uint32_t agent = 0;
  while (in >> agent >> hello >> answer) {
    delays.hello_us[static_cast<char>('0' + agent)] = hello;
    delays.answer_us[static_cast<char>('0' + agent)] = answer;
  }
  return delays;
}

// The fast lane computes each message's time from the path (latency, then its bytes at the share
// SimGrid's flow model would give it beside the bulk flow); the exact lane hands every message
// to SimGrid. On an uplink a 2 MB flow fills one way, both lanes give the same times for messages
// that way and the other: to the microsecond for the hellos (the platform's clock), to the 10 us
// the answers are polled at. The flow's way is slower by one more serialisation of the message
// (a ~120-byte answer at 1 Mbps: about 1 ms), the other way not at all.
TEST(SimulatedDriver, TheFastLaneGivesSimGridsLatenciesOnASaturatedUplink) {
  constexpr std::int64_t kPollUs = 10;
  for (const bool upload : {false, true}) {
    SCOPED_TRACE(upload ? "upload" : "download");
    const LaneDelays fast = saturated_delays(scenarios::SmallMessages::kFast, upload);
    const LaneDelays exact = saturated_delays(scenarios::SmallMessages::kExact, upload);
    ASSERT_EQ(fast.hello_us.size(), 5U);
    ASSERT_EQ(exact.hello_us.size(), 5U);
    for (const auto& [agent, hello] : fast.hello_us) {
      EXPECT_NEAR(hello, exact.hello_us.at(agent), 1) << agent;
      EXPECT_NEAR(fast.answer_us.at(agent), exact.answer_us.at(agent), kPollUs) << agent;
    }
    // Agent 0 said hello before the flow began; agents 1-4 while it ran.
    const std::map<char, std::int64_t>& slowed = upload ? fast.hello_us : fast.answer_us;
    const std::map<char, std::int64_t>& unslowed = upload ? fast.answer_us : fast.hello_us;
    for (char agent : {'1', '2', '3', '4'}) {
      EXPECT_GE(slowed.at(agent) - slowed.at('0'), 500) << agent;
      EXPECT_LE(slowed.at(agent) - slowed.at('0'), 2'000) << agent;
    }
    if (upload) {
      // The answer waited for its hello, which the upload slowed; its own way was free.
      EXPECT_NEAR(unslowed.at('1') - slowed.at('1'), unslowed.at('0') - slowed.at('0'), kPollUs);
    } else {
      EXPECT_NEAR(unslowed.at('1'), unslowed.at('0'), 10);  // a hello differs by a few bytes
    }
  }
}

// One camera at north; north loses everything from 59 s to `loss_ends`. When the platform last
// heard from it, observed at each of `at`.
std::vector<std::int64_t> last_seen_us(Duration loss_ends, const std::vector<Duration>& at) {
  const std::string text = scenarios::run_in_child([loss_ends, at] {
    FleetFixture f(scenarios::cameras_at_sites({"north"}, 1));
    f.scenario.duration = 10min;
    SimulatedDriver driver(f.fleet(), {});
    f.start_on(driver, [](std::uint32_t) { return 0s; });
    scenarios::Fault burst{59s, loss_ends - 59s, scenarios::FaultKind::kLossBurst, "north", ""};
    burst.burst = scenarios::LossBurst{1.0, 1e6, 1};  // bad at once, and for good
    if (loss_ends > 59s) {
      driver.at_platform(burst.at, [&driver, burst](Time) { driver.begin_fault(0, burst); });
      driver.at_platform(loss_ends, [&driver, burst](Time) { driver.end_fault(0, burst); });
    }
    std::ostringstream out;
    for (const Duration when : at) {
      driver.at_platform(
          when,
          [&](Time) {
            out << f.platform.devices()[0].last_seen.count() << ' '
                << driver.network().connections_reset_retransmissions << ' ';
          },
          scenarios::Phase::kObserve);
    }
    driver.run(f.scenario.duration);
    return out.str();
  });
  std::istringstream in(text);
  std::vector<std::int64_t> values;
  for (std::int64_t value = 0; in >> value;) values.push_back(value);
  return values;
}

// The camera's first heartbeat leaves a minute after its hello was answered and arrives 21 ms
// later (T). Lost at once, it is sent again after RFC 6298's 1 s (the RTO's floor: the
// connection's round trips are 42 ms), lost again, and again after 2 s more, when the loss has
// ended: it arrives at T + 3 s, not a moment sooner.
TEST(SimulatedDriver, ALostHeartbeatArrivesAfterItsRetransmissionTimeouts) {
  const std::vector<std::int64_t> clean = last_seen_us(59s, {62s});
  ASSERT_EQ(clean.size(), 2U);
  const std::int64_t heard = clean[0];
  EXPECT_GT(heard, 60'000'000);
  EXPECT_LT(heard, 61'000'000);
  const std::vector<std::int64_t> lossy = last_seen_us(62'500ms, {62s, 63s, 64s});
  ASSERT_EQ(lossy.size(), 6U);
  EXPECT_LT(lossy[0], 1'000'000) << "only the hello was heard";
  EXPECT_LT(lossy[2], 1'000'000);
  EXPECT_EQ(lossy[4], heard + 3'000'000);
  EXPECT_EQ(lossy[5], 0) << "nothing was reset";
}

// Lost for good, the heartbeat is sent again at +1, +3, +7, +15, +31 and +63 s, then its sender
// waits 60 s more (the RTO's ceiling) and resets the connection 123 s after the first try.
TEST(SimulatedDriver, ASegmentLostSevenTimesInARowResetsItsConnection) {
  const std::vector<std::int64_t> clean = last_seen_us(59s, {62s});
  ASSERT_EQ(clean.size(), 2U);
  const Duration sent = Duration(clean[0]) - 21ms;  // the one-way trip, bytes aside
  const std::vector<std::int64_t> cut = last_seen_us(9min, {sent + 122s, sent + 124s});
  ASSERT_EQ(cut.size(), 4U);
  EXPECT_EQ(cut[1], 0) << "not yet reset";
  EXPECT_EQ(cut[3], 1) << "reset once";
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

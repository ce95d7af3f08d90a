// The rule of the design: the same exchange on the simulated driver (SimGrid) and on the real
// driver (TLS websockets on loopback) leaves the platform knowing the same things. Both runs
// use the same device identities, settings and seed; each device says hello, sends three
// heartbeats, and leaves with a goodbye, so both end in a state that timing cannot change.
#include <gtest/gtest.h>

#include <sstream>

#include "net/loopback_run.h"
#include "sim/child_process.h"
#include "sim/simulation.h"

namespace ccsim::net {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kSeed = 42;
constexpr std::uint32_t kCameras = 4;
constexpr std::uint64_t kHeartbeats = 3;

scenarios::Scenario exchange_scenario() {
  scenarios::Scenario s;
  s.name = "driver-parity";
  s.duration = 30s;
  s.start_within = 50ms;
  s.heartbeat.interval = 100ms;
  s.heartbeat.missed_max = 3;
  s.heartbeat.limit = kHeartbeats;
  scenarios::Site site;
  site.name = "lab";
  scenarios::DeviceGroup bullets;
  bullets.model = "tier1-bullet";
  bullets.count = kCameras - 1;
  scenarios::DeviceGroup dome;
  dome.model = "tier1-dome";
  dome.os_version = "10.12.5";
  site.devices = {bullets, dome};
  s.sites.push_back(site);
  return s;
}

struct Knowledge {
  std::string text;  // platform::describe_knowledge
  std::uint64_t hellos = 0, heartbeats = 0, goodbyes = 0, frame_errors = 0;
};

Knowledge simulated() {
  const std::string answer = sim::run_in_child([] {
    sim::SimulationOptions options;
    options.seed = kSeed;
    const sim::SimulationOutcome o = sim::simulate(exchange_scenario(), options, true);
    std::ostringstream out;
    out << o.platform.hellos_accepted << ' ' << o.platform.heartbeats_received << ' '
        << o.platform.goodbyes_received << ' ' << o.platform.frame_errors_total() << '\n'
        << o.knowledge;
    return out.str();
  });
  std::istringstream in(answer);
  Knowledge k;
  in >> k.hellos >> k.heartbeats >> k.goodbyes >> k.frame_errors;
  in.ignore(1);
  k.text.assign(std::istreambuf_iterator<char>(in), {});
  return k;
}

Knowledge on_real_sockets() {
  const scenarios::Scenario scenario = exchange_scenario();
  LoopbackConfig config;
  config.seed = kSeed;
  config.policy = {scenario.heartbeat.interval, scenario.heartbeat.missed_max};
  config.agent.heartbeat_interval = scenario.heartbeat.interval;
  config.agent.unacked_heartbeats_max = scenario.heartbeat.missed_max;
  config.agent.start_spread = scenario.start_within;
  config.agent.heartbeat_limit = scenario.heartbeat.limit;
  std::uint64_t index = 0;
  for (const scenarios::DeviceGroup& group : scenario.sites[0].devices) {
    for (std::uint32_t i = 0; i < group.count; ++i, ++index) {
      config.devices.push_back({sim::device_serial(index), group.model, group.os_version,
                                group.tier, group.os_track, scenario.sites[0].name, {}});
    }
  }
  const LoopbackResult result = run_on_loopback(config);
  EXPECT_TRUE(result.all_agents_done);
  return {platform::describe_knowledge(result.devices), result.metrics.hellos_accepted,
          result.metrics.heartbeats_received, result.metrics.goodbyes_received,
          result.metrics.frame_errors_total()};
}

TEST(DriverParity, BothDriversLeaveThePlatformKnowingTheSame) {
  const Knowledge sim = simulated();
  const Knowledge real = on_real_sockets();
  EXPECT_EQ(sim.text, real.text);
  EXPECT_EQ(sim.hellos, real.hellos);
  EXPECT_EQ(sim.heartbeats, real.heartbeats);
  EXPECT_EQ(sim.goodbyes, real.goodbyes);
  EXPECT_EQ(sim.frame_errors, 0u);
  EXPECT_EQ(real.frame_errors, 0u);
  // And what they agree on is what the exchange should produce.
  EXPECT_EQ(sim.hellos, kCameras);
  EXPECT_EQ(sim.heartbeats, kCameras * kHeartbeats);
  EXPECT_NE(sim.text.find("B8A44F000003 tier1-dome 10.12.5 tier1 disconnected goodbye hellos=1 "
                          "heartbeats=3\n"),
            std::string::npos)
      << sim.text;
}

}  // namespace
}  // namespace ccsim::net

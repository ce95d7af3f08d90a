// The rule of the design: the same exchange on the simulated driver (SimGrid) and on the real
// driver (TLS websockets on loopback) leaves the platform knowing the same things. Both runs
// use the same device identities, settings and seed; each device says hello, sends three
// heartbeats, and leaves with a goodbye, so both end in a state that timing cannot change.
#include <gtest/gtest.h>

#include <sstream>

#include "net/loopback_run.h"
#include "sim/child_process.h"
#include "sim/simulation.h"
#include "sim/tenants.h"

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

// The real driver's settings for a scenario's one site: the same agents, settings and seed as
// the simulated run.
LoopbackConfig loopback_config(const scenarios::Scenario& scenario,
                               const sim::FleetLayout& layout) {
  LoopbackConfig config;
  config.seed = kSeed;
  config.policy = {scenario.heartbeat.interval, scenario.heartbeat.missed_max};
  config.agent.heartbeat_interval = scenario.heartbeat.interval;
  config.agent.unacked_heartbeats_max = scenario.heartbeat.missed_max;
  config.agent.start_spread = scenario.start_within;
  config.agent.heartbeat_limit = scenario.heartbeat.limit;
  for (std::uint32_t agent = 0; agent < layout.agent_count(); ++agent) {
    config.devices.push_back(sim::agent_identity(scenario, layout, agent));
  }
  return config;
}

Knowledge on_real_sockets() {
  const scenarios::Scenario scenario = exchange_scenario();
  const LoopbackConfig config = loopback_config(scenario, sim::FleetLayout(scenario));
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

// Onboarding on both drivers: an organization claims its Tier-1 cameras and its recorder
// once every device is online; the recorder carries two Tier-2 cameras. Each claimed device
// accepts its provisioning on its own connection, one on an older LTS (neither the active track
// nor the latest LTS) drops from managed to connected, and all leave with a goodbye. Both drivers
// must leave the registry, and the platform's connection knowledge, the same.
constexpr std::uint64_t kOnboardingHeartbeats = 10;
constexpr core::Duration kClaimAt = 400ms;  // simulated: every device is online by then

scenarios::Scenario onboarding_scenario() {
  scenarios::Scenario s = exchange_scenario();
  s.name = "driver-parity-onboarding";
  s.heartbeat.limit = kOnboardingHeartbeats;
  s.profiles.push_back({"managed-lts",
                        true,
                        "lts-2024",
                        {},
                        {},
                        scenarios::UpdatePolicy::kLatest,
                        "",
                        std::nullopt});
  scenarios::Organization acme;
  acme.name = "acme";
  acme.default_profile = "managed-lts";
  acme.licenses.push_back({"device-management", 10});
  s.organizations.push_back(acme);
  scenarios::Site& site = s.sites[0];
  site.organization = 0;
  for (scenarios::DeviceGroup& group : site.devices) group.os_track = "lts-2024";
  site.devices[1].os_track = "lts-2022";  // the dome runs 10.12.5, on LTS 2022
  scenarios::DeviceGroup recorder;
  recorder.kind = "recorder";
  recorder.name = "rec-1";
  recorder.model = "rec-s3008";
  scenarios::DeviceGroup carried;
  carried.model = "tier2-box";
  carried.tier = 2;
  carried.count = 2;
  carried.via = "rec-1";
  site.devices.push_back(recorder);
  site.devices.push_back(carried);
  for (const char* model : {"tier1-bullet", "tier1-dome", "rec-s3008"}) {
    scenarios::Action claim;
    claim.at = kClaimAt;
    claim.devices.model = model;
    s.actions.push_back(claim);
  }
  return s;
}

// Every registered device's deep facts, one line each in serial order.
std::string describe_registry(const platform::DeviceRegistry& registry, std::uint64_t devices) {
  std::ostringstream text;
  for (std::uint64_t i = 0; i < devices; ++i) {
    const platform::DeviceRecord d = registry.device(sim::device_serial(i)).value();
    text << d.facts.serial << ' ' << platform::onboarding_status_name(d.state.status) << ' '
         << platform::device_mode_name(d.state.mode) << " profile=" << d.state.profile
         << " os=" << d.state.os_version << '/' << d.state.os_track << ' '
         << platform::connection_status_name(d.state.connection) << " lan=" << d.state.lan
         << " failure=" << d.state.failure_reason << '\n';
  }
  return text.str();
}

struct Onboarded {
  std::string registry;   // describe_registry
  std::string knowledge;  // platform::describe_knowledge
  std::uint64_t completed = 0, mode_changes = 0;
};

Onboarded onboarded_in_simulation() {
  const std::string answer = sim::run_in_child([] {
    const scenarios::Scenario scenario = onboarding_scenario();
    sim::SimulationOptions options;
    options.seed = kSeed;
    std::string registry;
    options.probes.push_back({scenario.duration, [&](core::Time, const sim::PlatformView& view) {
                                registry =
                                    describe_registry(view.platform.control_plane()->registry,
                                                      view.layout.device_count());
                              }});
    const sim::SimulationOutcome o = sim::simulate(scenario, options, true);
    std::ostringstream out;
    out << o.platform.onboardings_completed << ' ' << o.platform.mode_changes_sent << '\n'
        << registry << "--\n"
        << o.knowledge;
    return out.str();
  });
  Onboarded result;
  std::istringstream in(answer);
  in >> result.completed >> result.mode_changes;
  in.ignore(1);
  const std::string rest(std::istreambuf_iterator<char>(in), {});
  const std::size_t split = rest.find("--\n");
  result.registry = rest.substr(0, split);
  result.knowledge = rest.substr(split + 3);
  return result;
}

Onboarded onboarded_on_real_sockets() {
  const scenarios::Scenario scenario = onboarding_scenario();
  const sim::FleetLayout layout(scenario);
  platform::ControlPlane plane(kSeed);
  const sim::Tenants tenants = sim::set_up_tenants(scenario, layout, kSeed, plane);
  LoopbackConfig config = loopback_config(scenario, layout);
  config.control_plane = &plane;
  for (const scenarios::Action& action : scenario.actions) {
    for (std::uint32_t device : sim::select_devices(scenario, layout, action.devices)) {
      config.claims.push_back(*sim::claim_request(scenario, layout, tenants, action, device));
    }
  }
  const LoopbackResult result = run_on_loopback(config);
  EXPECT_TRUE(result.all_agents_done);
  for (const auto& claim : result.claims) {
    EXPECT_TRUE(claim.ok()) << claim.error().message;
  }
  return {describe_registry(plane.registry, layout.device_count()),
          platform::describe_knowledge(result.devices), result.metrics.onboardings_completed,
          result.metrics.mode_changes_sent};
}

TEST(DriverParity, BothDriversOnboardTheSame) {
  const Onboarded sim = onboarded_in_simulation();
  const Onboarded real = onboarded_on_real_sockets();
  EXPECT_EQ(sim.registry, real.registry);
  EXPECT_EQ(sim.knowledge, real.knowledge);
  EXPECT_EQ(sim.completed, real.completed);
  EXPECT_EQ(sim.mode_changes, real.mode_changes);
  // And what they agree on is what the exchange should produce: the four Tier-1 cameras and
  // the recorder onboarded, the dome dropped to connected, the carried cameras left alone.
  EXPECT_EQ(sim.completed, kCameras + 1);
  EXPECT_NE(sim.registry.find("B8A44F000003 onboarded connected profile=managed-lts "
                              "os=10.12.5/lts-2022 disconnected lan=lab failure=\n"),
            std::string::npos)
      << sim.registry;
  EXPECT_NE(sim.registry.find("B8A44F000005 registered standalone profile= os=/ disconnected "
                              "lan=lab failure=\n"),
            std::string::npos)
      << sim.registry;
  EXPECT_NE(sim.knowledge.find("B8A44F000005 tier2-box 11.11.0 tier2 disconnected goodbye"),
            std::string::npos)
      << sim.knowledge;
}

}  // namespace
}  // namespace ccsim::net

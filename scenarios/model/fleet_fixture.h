// For the drivers' own tests: a fleet of plain Tier-1 cameras at named sites with the nodes a
// driver drives, built without the scenario engine (which sits above the drivers). No
// organizations: every hello is accepted and nothing else happens.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "core/trace.h"
#include "devices/device_agent.h"
#include "platform/platform_node.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/fleet_layout.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

inline Scenario cameras_at_sites(const std::vector<std::string>& sites,
                                 std::uint32_t cameras_per_site) {
  Scenario s;
  s.name = "fleet-fixture";
  s.duration = std::chrono::hours(1);
  s.heartbeat.interval = std::chrono::minutes(1);
  for (const std::string& name : sites) {
    Site site;
    site.name = name;
    site.uplink.latency = std::chrono::milliseconds(20);
    DeviceGroup cameras;
    cameras.count = cameras_per_site;
    site.devices.push_back(cameras);
    s.sites.push_back(site);
  }
  return s;
}

struct FleetFixture {
  explicit FleetFixture(Scenario s, std::uint64_t seed_in = 1)
      : scenario(std::move(s)),
        seed(seed_in),
        layout(scenario),
        platform({scenario.heartbeat.interval, scenario.heartbeat.missed_max},
                 layout.device_count(), &trace) {
    config.heartbeat_interval = scenario.heartbeat.interval;
    config.unacked_heartbeats_max = scenario.heartbeat.missed_max;
    config.start_spread = scenario.start_within;
    agents.reserve(layout.agent_count());
    for (std::uint32_t agent = 0; agent < layout.agent_count(); ++agent) {
      agents.emplace_back(agent_identity(scenario, layout, agent), config,
                          core::RandomStream(seed, core::kDeviceStreamBase + agent));
    }
  }

  Fleet fleet() { return Fleet{scenario, layout, platform, agents, trace, seed}; }

  // Starts the platform at time zero and agent `a` at `start_at(a)`, as the engine would.
  template <typename StartAt>
  void start_on(Driver& driver, StartAt start_at) {
    driver.at_platform(core::Time(0), [this, &driver](core::Time now) {
      platform.start(now, platform_out);
      driver.dispatch_platform(now, platform_out);
    });
    for (std::uint32_t site = 0; site < scenario.sites.size(); ++site) {
      driver.at_site(core::Time(0), site, [this, &driver, site, start_at](core::Time now) {
        core::Outbox& out = site_outs[site];
        for (std::uint32_t a = layout.first_agent_of_site[site];
             a < layout.first_agent_of_site[site + 1]; ++a) {
          agents[a].start_at(now + start_at(a), out);
          driver.dispatch_agent(now, a, out);
        }
      });
    }
  }

  Scenario scenario;
  std::uint64_t seed;
  FleetLayout layout;
  core::Trace trace;
  devices::DeviceAgentConfig config;
  platform::PlatformNode platform;
  std::vector<devices::DeviceAgent> agents;
  core::Outbox platform_out;
  std::vector<core::Outbox> site_outs = std::vector<core::Outbox>(scenario.sites.size());
};

}  // namespace ccsim::scenarios

// Tests of the simulated driver: one seed reproduces a run bit for bit, another seed gives
// another run, partitions and loss act on the fleet as a platform operator would expect.
// SimGrid allows one engine per process, so every simulation here runs in a child process.
#include "sim/simulation.h"

#include <gtest/gtest.h>

#include <sstream>

#include "sim/child_process.h"

namespace ccsim::sim {
namespace {

using namespace std::chrono_literals;

scenarios::Scenario two_sites(std::uint32_t cameras_per_site) {
  scenarios::Scenario s;
  s.name = "two-sites";
  s.duration = 1h;
  s.heartbeat.interval = 1min;
  s.heartbeat.missed_max = 3;
  for (const char* name : {"north", "south"}) {
    scenarios::Site site;
    site.name = name;
    site.uplink.latency = 20ms;
    scenarios::DeviceGroup cameras;
    cameras.count = cameras_per_site;
    site.devices.push_back(cameras);
    s.sites.push_back(site);
  }
  return s;
}

// What a test reads back from a simulation run in a child process.
struct Summary {
  std::string trace_hash;
  std::uint64_t events = 0;
  std::uint64_t connected_end = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t sent = 0;
  std::uint64_t dropped_loss = 0;
  std::uint64_t dropped_partition = 0;
  std::uint64_t frame_errors = 0;
  std::uint64_t probe_connected[2] = {0, 0};  // per site, at the probe
  std::string knowledge;
};

Summary simulate_in_child(const scenarios::Scenario& scenario, std::uint64_t seed,
                          core::Time probe_at = core::Time::zero()) {
  const std::string text = run_in_child([&] {
    SimulationOptions options;
    options.seed = seed;
    std::uint64_t per_site[2] = {0, 0};
    if (probe_at > core::Time::zero()) {
      options.probes.push_back({probe_at, [&](core::Time, const PlatformView& view) {
                                  const platform::PlatformNode& p = view.platform;
                                  const FleetLayout& layout = view.layout;
                                  for (const platform::DeviceConnection& r : p.devices()) {
                                    if (r.status == platform::ConnectionStatus::kConnected) {
                                      ++per_site[layout.site_of_agent(r.connection)];
                                    }
                                  }
                                }});
    }
    const SimulationOutcome o = simulate(scenario, options, true);
    std::ostringstream out;
    out << o.trace_hash << ' ' << o.trace_events << ' ' << o.devices_connected_end << ' '
        << o.platform.heartbeats_received << ' ' << o.platform.disconnects_detected << ' '
        << o.platform.reconnects << ' ' << o.network.messages_sent << ' '
        << o.network.messages_dropped_loss << ' ' << o.network.messages_dropped_partition << ' '
        << o.platform.frame_errors_total() << ' ' << per_site[0] << ' ' << per_site[1] << '\n'
        << o.knowledge;
    return out.str();
  });
  std::istringstream in(text);
  Summary s;
  in >> s.trace_hash >> s.events >> s.connected_end >> s.heartbeats >> s.disconnects >>
      s.reconnects >> s.sent >> s.dropped_loss >> s.dropped_partition >> s.frame_errors >>
      s.probe_connected[0] >> s.probe_connected[1];
  in.ignore(1);
  s.knowledge.assign(std::istreambuf_iterator<char>(in), {});
  return s;
}

TEST(Simulation, SameSeedGivesTheSameTraceAndKnowledge) {
  const scenarios::Scenario scenario = two_sites(10);
  const Summary first = simulate_in_child(scenario, 11);
  const Summary again = simulate_in_child(scenario, 11);
  EXPECT_EQ(first.trace_hash.size(), 64u);
  EXPECT_EQ(first.trace_hash, again.trace_hash);
  EXPECT_EQ(first.events, again.events);
  EXPECT_EQ(first.knowledge, again.knowledge);
}

TEST(Simulation, AnotherSeedGivesAnotherTrace) {
  const scenarios::Scenario scenario = two_sites(10);
  EXPECT_NE(simulate_in_child(scenario, 11).trace_hash, simulate_in_child(scenario, 12).trace_hash);
}

TEST(Simulation, QuietFleetStaysConnectedAndHeartbeatsEveryInterval) {
  const Summary s = simulate_in_child(two_sites(10), 3);
  EXPECT_EQ(s.connected_end, 20u);
  EXPECT_EQ(s.disconnects, 0u);
  EXPECT_EQ(s.frame_errors, 0u);
  // Each camera connects within the first minute, then heartbeats every minute: 59 or 60 in
  // an hour depending on when it started.
  EXPECT_GE(s.heartbeats, 20u * 58);
  EXPECT_LE(s.heartbeats, 20u * 60);
  EXPECT_EQ(s.dropped_loss + s.dropped_partition, 0u);
}

TEST(Simulation, PartitionCutsOneSiteOffAndItComesBack) {
  scenarios::Scenario scenario = two_sites(10);
  scenario.timeline.push_back({20min, 15min, scenarios::FaultKind::kPartition, "north", ""});
  const Summary s = simulate_in_child(scenario, 5, 34min);
  // Three silent intervals and one sweep after the cut began, north is seen disconnected;
  // south never notices.
  EXPECT_EQ(s.probe_connected[0], 0u);
  EXPECT_EQ(s.probe_connected[1], 10u);
  EXPECT_EQ(s.disconnects, 10u);
  EXPECT_EQ(s.reconnects, 10u);
  EXPECT_EQ(s.connected_end, 20u);
  EXPECT_GT(s.dropped_partition, 0u);
  EXPECT_EQ(s.dropped_loss, 0u);
}

TEST(Simulation, RegionPartitionMatchesEverySiteOfTheRegion) {
  scenarios::Scenario scenario = two_sites(5);
  scenario.sites[1].region = "us-east";
  scenario.timeline.push_back({10min, 30min, scenarios::FaultKind::kPartition, "", "eu-west"});
  const Summary s = simulate_in_child(scenario, 5, 30min);
  EXPECT_EQ(s.probe_connected[0], 0u);
  EXPECT_EQ(s.probe_connected[1], 5u);
}

TEST(Simulation, LossDropsItsShareOfMessages) {
  scenarios::Scenario scenario = two_sites(20);
  for (scenarios::Site& site : scenario.sites) site.uplink.loss_fraction = 0.05;
  const Summary s = simulate_in_child(scenario, 9);
  const double share = static_cast<double>(s.dropped_loss) / static_cast<double>(s.sent);
  EXPECT_GT(share, 0.04);
  EXPECT_LT(share, 0.06);
  EXPECT_EQ(s.dropped_partition, 0u);
  // Losing 3 heartbeats or acks in a row is rare at 5%; the fleet stays (nearly) connected.
  EXPECT_GE(s.connected_end, 38u);
}

TEST(Simulation, HeartbeatLimitEndsEveryDeviceWithAGoodbye) {
  scenarios::Scenario scenario = two_sites(2);
  scenario.heartbeat.limit = 3;
  const Summary s = simulate_in_child(scenario, 1);
  EXPECT_EQ(s.connected_end, 0u);
  EXPECT_EQ(s.knowledge,
            "B8A44F000000 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n"
            "B8A44F000001 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n"
            "B8A44F000002 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n"
            "B8A44F000003 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n");
}

TEST(Simulation, StaggeredStartConnectsDevicesInOrderAtEvenSpacing) {
  scenarios::Scenario scenario = two_sites(5);
  scenario.start_within = 100s;
  scenario.start_order = scenarios::StartOrder::kStaggered;
  scenario.duration = 5min;
  const std::string text = run_in_child([&] {
    SimulationOptions options;
    std::ostringstream out;
    options.probes.push_back({4min, [&](core::Time, const PlatformView& view) {
                                const platform::PlatformNode& p = view.platform;
                                for (const platform::DeviceConnection& r : p.devices()) {
                                  out << r.connection << ' ' << r.first_connected_at.count()
                                      << '\n';
                                }
                              }});
    simulate(scenario, options);
    return out.str();
  });
  // Device i of 10 says hello at 10 s x i and is connected one uplink latency (20 ms) plus the
  // backbone's (1 ms) and the frame's transfer time later.
  std::istringstream in(text);
  std::uint64_t connection = 0;
  std::int64_t at_us = 0;
  int seen = 0;
  while (in >> connection >> at_us) {
    const std::int64_t hello_us = static_cast<std::int64_t>(connection) * 10'000'000;
    EXPECT_GE(at_us, hello_us + 21'000) << "device " << connection;
    EXPECT_LE(at_us, hello_us + 22'000) << "device " << connection;
    ++seen;
  }
  EXPECT_EQ(seen, 10);
}

TEST(FleetLayout, NumbersDevicesSiteBySite) {
  scenarios::Scenario scenario = two_sites(3);
  scenarios::DeviceGroup domes;
  domes.model = "tier1-dome";
  domes.count = 2;
  scenario.sites[1].devices.push_back(domes);
  const FleetLayout layout(scenario);
  EXPECT_EQ(layout.device_count(), 8u);
  EXPECT_EQ(layout.site_of_device, (std::vector<std::uint32_t>{0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(layout.first_device_of_site, (std::vector<std::uint32_t>{0, 3, 8}));
  EXPECT_EQ(device_serial(0), "B8A44F000000");
  EXPECT_EQ(device_serial(255), "B8A44F0000FF");
}

TEST(ChildProcess, ReportsAChildThatDies) {
  EXPECT_THROW(run_in_child([]() -> std::string { std::abort(); }), std::runtime_error);
}

}  // namespace
}  // namespace ccsim::sim

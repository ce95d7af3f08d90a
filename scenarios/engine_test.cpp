// The engine's behaviour on both drivers: the same scenario, run with the same seed on SimGrid and
// on real sockets, must meet the same expectations. Simulated runs happen in child processes
// (SimGrid allows one engine per process); real runs happen here.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "scenarios/model/child_process.h"
#include "scenarios/model/run_result.h"
#include "scenarios/model/run_result_json.h"
#include "scenarios/model/vocabulary.h"
#include "scenarios/run.h"
#include "scenarios/scenario_file.h"

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

Scenario two_sites(std::uint32_t cameras_per_site) {
  Scenario s;
  s.name = "two-sites";
  s.duration = 1h;
  s.heartbeat.interval = 1min;
  s.heartbeat.missed_max = 3;
  for (const char* name : {"north", "south"}) {
    Site site;
    site.name = name;
    site.uplink.latency = 20ms;
    DeviceGroup cameras;
    cameras.count = cameras_per_site;
    site.devices.push_back(cameras);
    s.sites.push_back(site);
  }
  return s;
}

Check connected_at(std::string id, Duration at, std::string site, double fraction) {
  Check check;
  check.id = std::move(id);
  check.kind = CheckKind::kConnectedFraction;
  check.at = at;
  check.site = std::move(site);
  check.at_least = fraction;
  check.at_most = fraction;
  return check;
}

RunAndKnowledge run_on(DriverKind driver, const Scenario& scenario, std::uint64_t seed) {
  RunSettings settings;
  settings.seed = seed;
  settings.driver = driver;
  if (driver == DriverKind::kReal) return run_scenario_with_knowledge(scenario, settings);
  const std::string answer = run_in_child([&] {
    const RunAndKnowledge run = run_scenario_with_knowledge(scenario, settings);
    return result_to_json(run.result).dump() + "\n" + run.knowledge;
  });
  const std::size_t split = answer.find('\n');
  return {result_from_json(nlohmann::ordered_json::parse(answer.substr(0, split)), "child"),
          answer.substr(split + 1)};
}

double metric(const RunResult& result, std::string_view name) {
  const auto found = std::find_if(result.metrics.begin(), result.metrics.end(),
                                  [&](const auto& m) { return m.first == name; });
  EXPECT_NE(found, result.metrics.end()) << name;
  return found == result.metrics.end() ? -1 : found->second;
}

std::string verdicts(const RunResult& result) {
  std::string text;
  for (const CheckResult& check : result.checks) {
    text += check.id + (check.passed ? " passed: " : " FAILED: ") + check.detail + "\n";
  }
  return text;
}

class OnBothDrivers : public ::testing::TestWithParam<DriverKind> {};

INSTANTIATE_TEST_SUITE_P(Engine, OnBothDrivers,
                         ::testing::Values(DriverKind::kSimulated, DriverKind::kReal),
                         [](const auto& param_info) {
                           return std::string(driver_kind_name(param_info.param));
                         });

TEST_P(OnBothDrivers, QuietFleetStaysConnectedAndHeartbeatsEveryInterval) {
  const RunResult r = run_on(GetParam(), two_sites(10), 3).result;
  EXPECT_EQ(metric(r, "devices_connected_end"), 20);
  EXPECT_EQ(metric(r, "disconnects_detected"), 0);
  EXPECT_EQ(metric(r, "frame_errors"), 0);
  // Each camera connects within the first minute, then heartbeats every minute: 59 or 60 in an
  // hour depending on when it started.
  EXPECT_GE(metric(r, "heartbeats_received"), 20 * 58);
  EXPECT_LE(metric(r, "heartbeats_received"), 20 * 60);
  EXPECT_EQ(metric(r, "messages_dropped_loss") + metric(r, "messages_dropped_partition"), 0);
}

TEST_P(OnBothDrivers, PartitionCutsOneSiteOffAndItComesBack) {
  Scenario scenario = two_sites(10);
  scenario.timeline.push_back({20min, 15min, FaultKind::kPartition, "north", ""});
  // Three silent intervals and one sweep after the cut began, north is seen disconnected; south
  // never notices; twenty minutes after the cut healed, everyone is back.
  scenario.checks.push_back(connected_at("north-cut", 34min, "north", 0.0));
  scenario.checks.push_back(connected_at("south-fine", 34min, "south", 1.0));
  scenario.checks.push_back(connected_at("all-back", 55min, "", 1.0));
  const RunResult r = run_on(GetParam(), scenario, 5).result;
  EXPECT_TRUE(r.passed) << verdicts(r);
  EXPECT_EQ(metric(r, "reconnects"), 10);
  EXPECT_EQ(metric(r, "devices_connected_end"), 20);
  EXPECT_GT(metric(r, "messages_dropped_partition"), 0);
  EXPECT_EQ(metric(r, "messages_dropped_loss"), 0);
}

TEST_P(OnBothDrivers, RegionPartitionMatchesEverySiteOfTheRegion) {
  Scenario scenario = two_sites(5);
  scenario.sites[1].region = "us-east";
  scenario.timeline.push_back({10min, 30min, FaultKind::kPartition, "", "eu-west"});
  scenario.checks.push_back(connected_at("eu-cut", 30min, "north", 0.0));
  scenario.checks.push_back(connected_at("us-fine", 30min, "south", 1.0));
  const RunResult r = run_on(GetParam(), scenario, 5).result;
  EXPECT_TRUE(r.passed) << verdicts(r);
}

Fault cut(Direction direction) {
  Fault fault{20min, 15min, FaultKind::kPartition, "north", ""};
  fault.direction = direction;
  return fault;
}

// Cut one way, a north device's connection dies by TCP's rules, on both drivers: a segment sent
// into the cut is sent again after 1, 2, 4, 8, 16, 32 and 60 s (RFC 6298's doubling RTO), and its
// sender gives up 123 s after the first try, sooner than three unanswered heartbeats (3 minutes).
// Cut upstream, the device's heartbeat is the lost segment: the device resets its end, its reset
// is lost too, and the platform finds it silent at its sweep. Cut downstream, the platform's
// acknowledgement is: the platform resets its end (no sweep needed), its reset is lost, and the
// device gives up after three unanswered heartbeats. No connection opens until the cut heals, and
// everyone is back after it.
TEST_P(OnBothDrivers, AOneWayPartitionCutsTheSiteOffFromItsSide) {
  std::map<Direction, double> heartbeats;
  for (const Direction direction : {Direction::kUp, Direction::kDown}) {
    Scenario scenario = two_sites(10);
    scenario.timeline.push_back(cut(direction));
    scenario.checks.push_back(connected_at("north-cut", 34min, "north", 0.0));
    scenario.checks.push_back(connected_at("south-fine", 34min, "south", 1.0));
    scenario.checks.push_back(connected_at("all-back", 55min, "", 1.0));
    const RunResult r = run_on(GetParam(), scenario, 5).result;
    SCOPED_TRACE(direction == Direction::kUp ? "up" : "down");
    EXPECT_TRUE(r.passed) << verdicts(r);
    EXPECT_EQ(metric(r, "reconnects"), 10);
    EXPECT_GT(metric(r, "messages_dropped_partition"), 0);
    EXPECT_EQ(metric(r, "connections_reset_retransmissions"), 10) << "one sender gives up each";
    EXPECT_EQ(metric(r, "presumed_dead"), direction == Direction::kDown ? 10 : 0);
    EXPECT_EQ(metric(r, "disconnects_detected"), direction == Direction::kUp ? 10 : 0);
    heartbeats[direction] = metric(r, "heartbeats_received");
  }
  // The heartbeats north sent into the downstream cut before the platform gave up, about 2 per
  // device, reached the platform.
  EXPECT_GE(heartbeats[Direction::kDown] - heartbeats[Direction::kUp], 10);
}

// A burst channel with everything lost in the bad state, bursts of 3 messages 30 apart on
// average: north loses 3 / 33 of its transmissions (the chain's stationary share), south nothing.
// TCP sends each lost one again, so the losses cost time, not frames.
TEST_P(OnBothDrivers, ALossBurstLosesItsStationaryShareOnItsSiteOnly) {
  Scenario scenario = two_sites(20);
  Fault burst{0min, 1h, FaultKind::kLossBurst, "north", ""};
  burst.burst = LossBurst{1.0, 3, 30};
  scenario.timeline.push_back(burst);
  const RunResult r = run_on(GetParam(), scenario, 9).result;
  // Half the messages are north's.
  const double transmissions = metric(r, "messages_sent") / 2 + metric(r, "retransmissions");
  const double share = metric(r, "messages_dropped_loss") / transmissions;
  EXPECT_GT(share, 0.06);
  EXPECT_LT(share, 0.13);
  EXPECT_EQ(metric(r, "messages_dropped_partition"), 0);
  EXPECT_EQ(metric(r, "connections_reset_retransmissions"), 0);
}

// 5% of transmissions are lost both ways; each lost one is sent again after its RTO, so every
// message arrives (seven losses in a row, which would reset a connection, come once in 1.3e9),
// only later. A message still in the air at the end is the only one not delivered.
TEST_P(OnBothDrivers, LossDelaysItsShareOfMessagesAndLosesNone) {
  Scenario scenario = two_sites(20);
  for (Site& site : scenario.sites) site.uplink.loss_fraction = 0.05;
  const RunResult r = run_on(GetParam(), scenario, 9).result;
  const double transmissions = metric(r, "messages_sent") + metric(r, "retransmissions");
  const double share = metric(r, "messages_dropped_loss") / transmissions;
  EXPECT_GT(share, 0.04);
  EXPECT_LT(share, 0.06);
  EXPECT_EQ(metric(r, "messages_dropped_partition"), 0);
  EXPECT_EQ(metric(r, "connections_reset_retransmissions"), 0);
  // Every loss but those whose RTO outlives the run is sent again.
  EXPECT_LE(metric(r, "retransmissions"), metric(r, "messages_dropped_loss"));
  EXPECT_GE(metric(r, "retransmissions"), metric(r, "messages_dropped_loss") - 40);
  EXPECT_GE(metric(r, "messages_delivered"), metric(r, "messages_sent") - 40);
  EXPECT_EQ(metric(r, "devices_connected_end"), 40);
  EXPECT_EQ(metric(r, "presumed_dead"), 0);
}

TEST_P(OnBothDrivers, HeartbeatLimitEndsEveryDeviceWithAGoodbye) {
  Scenario scenario = two_sites(2);
  scenario.heartbeat.limit = 3;
  const RunAndKnowledge run = run_on(GetParam(), scenario, 1);
  EXPECT_EQ(metric(run.result, "devices_connected_end"), 0);
  EXPECT_EQ(run.knowledge,
            "B8A44F000000 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n"
            "B8A44F000001 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n"
            "B8A44F000002 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n"
            "B8A44F000003 tier1-bullet 11.11.0 tier1 disconnected goodbye hellos=1 heartbeats=3\n");
}

// Device i of 10 says hello at 10 s x i: at 45 s the first five are connected, the others not,
// and all of them by 95 s.
TEST_P(OnBothDrivers, StaggeredStartConnectsDevicesInOrderAtEvenSpacing) {
  Scenario scenario = two_sites(5);
  scenario.start_within = 100s;
  scenario.start_order = StartOrder::kStaggered;
  scenario.duration = 5min;
  scenario.checks.push_back(connected_at("half-at-45s", 45s, "", 0.5));
  scenario.checks.push_back(connected_at("north-at-45s", 45s, "north", 1.0));
  scenario.checks.push_back(connected_at("south-at-45s", 45s, "south", 0.0));
  scenario.checks.push_back(connected_at("all-at-95s", 95s, "", 1.0));
  const RunResult r = run_on(GetParam(), scenario, 2).result;
  EXPECT_TRUE(r.passed) << verdicts(r);
}

// Onboarding: an organization claims its Tier-1 cameras and its recorder once every device is
// online; the recorder carries two Tier-2 cameras. Each claimed device accepts its provisioning
// on its own connection, and all leave with a goodbye, so both drivers end in a state timing
// cannot change.
Scenario onboarding_scenario() {
  Scenario s = two_sites(3);
  s.name = "onboarding-on-both-drivers";
  s.sites.pop_back();
  s.duration = 30min;
  s.heartbeat.limit = 10;
  s.profiles.push_back(
      {"managed-lts", true, "lts-2024", {}, {}, UpdatePolicy::kLatest, "", std::nullopt});
  Organization acme;
  acme.name = "acme";
  acme.default_profile = "managed-lts";
  acme.licenses.push_back({"device-management", 10});
  s.organizations.push_back(acme);
  Site& site = s.sites[0];
  site.organization = 0;
  site.devices[0].os_track = "lts-2024";
  DeviceGroup recorder;
  recorder.kind = "recorder";
  recorder.name = "rec-1";
  recorder.model = "rec-s3008";
  DeviceGroup carried;
  carried.model = "tier2-box";
  carried.tier = 2;
  carried.count = 2;
  carried.via = "rec-1";
  site.devices.push_back(recorder);
  site.devices.push_back(carried);
  for (const char* model : {"tier1-bullet", "rec-s3008"}) {
    Action claim;
    claim.at = 2min;
    claim.devices.model = model;
    s.actions.push_back(claim);
  }
  return s;
}

TEST(BothDrivers, OnboardTheSameAndLeaveThePlatformKnowingTheSame) {
  const Scenario scenario = onboarding_scenario();
  const RunAndKnowledge sim = run_on(DriverKind::kSimulated, scenario, 42);
  const RunAndKnowledge real = run_on(DriverKind::kReal, scenario, 42);
  EXPECT_EQ(sim.knowledge, real.knowledge);
  EXPECT_EQ(metric(sim.result, "onboardings_completed"), 4);  // three cameras and the recorder
  EXPECT_EQ(metric(real.result, "onboardings_completed"), 4);
  EXPECT_NE(sim.knowledge.find("B8A44F000000 onboarded managed profile=managed-lts "
                               "os=11.11.0/lts-2024 disconnected lan=north failure=\n"),
            std::string::npos)
      << sim.knowledge;
  // The carried cameras were not claimed: registered, never onboarded.
  EXPECT_NE(sim.knowledge.find("B8A44F000004 registered standalone profile= os=/ disconnected "
                               "lan=north failure=\n"),
            std::string::npos)
      << sim.knowledge;
  EXPECT_NE(sim.knowledge.find("B8A44F000004 tier2-box 11.11.0 tier2 disconnected goodbye"),
            std::string::npos)
      << sim.knowledge;
}

TEST(SimulatedDriver, SameSeedGivesTheSameTraceAndAnotherSeedAnother) {
  const Scenario scenario = two_sites(10);
  const RunAndKnowledge first = run_on(DriverKind::kSimulated, scenario, 11);
  const RunAndKnowledge again = run_on(DriverKind::kSimulated, scenario, 11);
  EXPECT_EQ(first.result.trace_hash.size(), 64U);
  EXPECT_EQ(first.result.trace_hash, again.result.trace_hash);
  EXPECT_EQ(first.result.events, again.result.events);
  EXPECT_EQ(first.result.metrics, again.result.metrics);
  EXPECT_EQ(first.knowledge, again.knowledge);
  EXPECT_NE(run_on(DriverKind::kSimulated, scenario, 12).result.trace_hash,
            first.result.trace_hash);
}

// One camera runs 11.11.1 instead of 11.11.0: its hellos differ from the other run's in one byte
// and in nothing else (same sizes, same timing, same behaviour), and the trace hash tells them
// apart, since it covers what every delivered frame carries.
TEST(SimulatedDriver, OneByteOfOneFrameChangesTheTraceHash) {
  Scenario scenario = two_sites(1);
  const RunResult before = run_on(DriverKind::kSimulated, scenario, 4).result;
  scenario.sites[1].devices[0].os_version = "11.11.1";
  const RunResult after = run_on(DriverKind::kSimulated, scenario, 4).result;
  EXPECT_EQ(before.events, after.events);
  EXPECT_EQ(metric(before, "bytes_sent"), metric(after, "bytes_sent"));
  EXPECT_EQ(before.metrics, after.metrics);
  EXPECT_NE(before.trace_hash, after.trace_hash);
}

TEST(RunResult, RecordsTheDriverTheBuildAndTheTzDatabase) {
  Scenario scenario = two_sites(1);
  scenario.duration = 2min;
  const RunResult r = run_on(DriverKind::kReal, scenario, 1).result;
  EXPECT_EQ(r.driver, "real");
  EXPECT_TRUE(r.build.starts_with("ccsim ")) << r.build;
  EXPECT_FALSE(r.tz_database.empty());
  EXPECT_NE(r.reproduce.find("--driver real"), std::string::npos) << r.reproduce;
}

TEST(ChildProcess, ReportsAChildThatDies) {
  EXPECT_THROW(run_in_child([]() -> std::string { std::abort(); }), std::runtime_error);
}

}  // namespace
}  // namespace ccsim::scenarios

#include "scenarios/deployment.h"
#include "scenarios/scenario_error.h"
#include "scenarios/timeline.h"

namespace ccsim::scenarios {
namespace {

// A driver that can make no fault, to see the engine refuse what a driver cannot do.
class FaultlessDriver final : public Driver {
 public:
  void at_site(core::Time, std::uint32_t, Callback) override {}
  void dispatch_platform(core::Time, core::Outbox& out) override { out.clear(); }
  void dispatch_agent(core::Time, std::uint32_t, core::Outbox& out) override { out.clear(); }
  void begin_fault(std::uint32_t, const Fault&) override { ADD_FAILURE() << "no fault expected"; }
  void end_fault(std::uint32_t, const Fault&) override {}
  void begin_region_fault(std::uint32_t, const Fault&) override {
    ADD_FAILURE() << "no fault expected";
  }
  void end_region_fault(std::uint32_t, const Fault&) override {}
  bool makes(FaultKind) const override { return false; }
  bool makes_site_gateways() const override { return false; }
  bool makes_regions() const override { return false; }
  void run(core::Time) override {}
  NetworkCounters network() const override { return {}; }
  double uplink_bps(std::uint32_t) const override { return 0; }
  core::Duration uplink_latency(std::uint32_t) const override { return {}; }
  std::uint64_t upstream_bytes(std::uint32_t) const override { return 0; }

 protected:
  void set_platform_callback(core::Time, Callback, Phase) override {}
};

TEST(Timeline, AFaultTheDriverCannotMakeIsRefusedNamingItsLine) {
  Scenario scenario = two_sites(1);
  scenario.file = "cut.yaml";
  Fault cut{std::chrono::minutes(5), std::chrono::minutes(1), FaultKind::kPartition, "north", ""};
  cut.line = 12;
  scenario.timeline.push_back(cut);
  Deployment deployment(scenario, 1);
  FaultlessDriver driver;
  try {
    const Timeline timeline(deployment, driver);
    FAIL() << "a fault the driver cannot make ran";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(error.file, "cut.yaml");
    EXPECT_EQ(error.line, 12);
    EXPECT_NE(error.expected.find("cannot make a partition fault"), std::string::npos)
        << error.what();
  }
}

// Loopback has no latency or bandwidth to change: the real driver refuses those faults by name,
// before anything runs.
TEST(Timeline, TheRealDriverRefusesALatencySpikeAThrottleAndJitter) {
  for (const FaultKind kind :
       {FaultKind::kLatencySpike, FaultKind::kThrottle, FaultKind::kJitter}) {
    Scenario scenario = two_sites(1);
    scenario.file = "slow.yaml";
    Fault fault{5min, 1min, kind, "north", ""};
    fault.latency = 100ms;
    fault.bandwidth_bps = 1e6;
    fault.jitter = 50ms;
    fault.line = 7;
    scenario.timeline.push_back(fault);
    try {
      run_on(DriverKind::kReal, scenario, 1);
      ADD_FAILURE() << "the real driver ran a " << fault_spec(kind).word;
    } catch (const ScenarioError& error) {
      EXPECT_EQ(error.line, 7);
      EXPECT_NE(error.expected.find("cannot make a " + std::string(fault_spec(kind).word)),
                std::string::npos)
          << error.what();
    }
  }
}

// Loopback has no NAT or firewall: the real driver refuses a site with either, naming its line.
TEST(Timeline, TheRealDriverRefusesASiteBehindANatOrAFirewall) {
  for (const bool nat : {true, false}) {
    Scenario scenario = two_sites(1);
    scenario.file = "gateway.yaml";
    scenario.sites[1].line = 9;
    if (nat) {
      scenario.sites[1].nat.emplace();
    } else {
      scenario.sites[1].firewall.emplace();
    }
    try {
      run_on(DriverKind::kReal, scenario, 1);
      ADD_FAILURE() << "the real driver ran a site behind a gateway";
    } catch (const ScenarioError& error) {
      EXPECT_EQ(error.line, 9);
      EXPECT_EQ(error.key, nat ? "nat" : "firewall");
      EXPECT_NE(error.expected.find("before site south"), std::string::npos) << error.what();
    }
  }
}

// Loopback has one platform server: the real driver refuses a scenario with several regions,
// naming the second region's line.
TEST(Timeline, TheRealDriverRefusesSeveralRegions) {
  Scenario scenario = two_sites(1);
  scenario.file = "regions.yaml";
  scenario.regions = {Region{"eu-west"}, Region{"us-east"}};
  scenario.regions[1].line = 5;
  scenario.region_latencies = RegionLatencies(scenario.regions);
  try {
    run_on(DriverKind::kReal, scenario, 1);
    ADD_FAILURE() << "the real driver ran two regions";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(error.line, 5);
    EXPECT_EQ(error.key, "regions");
    EXPECT_NE(error.expected.find("one device endpoint"), std::string::npos) << error.what();
  }
}

// Devices connect to the device endpoint on tcp/443: a firewall that lets only another port out
// keeps every device of its site off, and the other site's devices on.
TEST(SiteGateways, AFirewallWithoutTcp443KeepsItsSitesDevicesOff) {
  Scenario scenario = two_sites(5);
  scenario.sites[0].firewall.emplace();
  scenario.sites[0].firewall->outbound = std::vector<PortRule>{{Transport::kTcp, 8883}};
  scenario.sites[1].firewall.emplace();
  scenario.sites[1].firewall->udp_blocked = true;
  scenario.sites[1].firewall->outbound = std::vector<PortRule>{{Transport::kTcp, 443}};
  scenario.checks.push_back(connected_at("north-off", 30min, "north", 0.0));
  scenario.checks.push_back(connected_at("south-on", 30min, "south", 1.0));
  const RunResult r = run_on(DriverKind::kSimulated, scenario, 2).result;
  EXPECT_TRUE(r.passed) << verdicts(r);
  // Each of north's five devices tried more than once (it retries after each timeout).
  EXPECT_GT(metric(r, "connects_blocked_firewall"), 5);
  EXPECT_EQ(metric(r, "devices_connected_end"), 5);
}

// A NAT at each site, heartbeats every `interval`, nothing else on the connection: a mapping
// lives 2 h 4 min after the last frame out (RFC 5382 REQ-5's minimum, the default).
Scenario behind_nats(Duration interval) {
  Scenario scenario = two_sites(5);
  scenario.duration = 8h;
  scenario.heartbeat.interval = interval;
  scenario.heartbeat.missed_max = 10;
  scenario.release_check_interval = std::chrono::hours(24 * 7);  // no other frame out
  for (Site& site : scenario.sites) site.nat.emplace();
  return scenario;
}

// Each reset costs the frame that found the mapping gone and one reconnect; all 10 devices end
// connected.
void expect_resets(const RunResult& r, double resets) {
  EXPECT_EQ(metric(r, "connections_reset_nat"), resets);
  EXPECT_EQ(metric(r, "messages_dropped_nat"), resets);
  EXPECT_EQ(metric(r, "reconnects"), resets);
  EXPECT_EQ(metric(r, "devices_connected_end"), 10);
}

TEST(SiteGateways, HeartbeatsMoreOftenThanTheMappingTimeoutHoldItOpen) {
  expect_resets(run_on(DriverKind::kSimulated, behind_nats(1h), 4).result, 0);
}

// Every 3 h a device's heartbeat finds its mapping dead since 2 h 4 min: the NAT has forgotten
// the connection, the segment opens nothing, the connection is reset, and the device reconnects.
// Connected in the first minute, each device is reset near 3 h and 6 h (plus its reconnect's
// delay): twice in 8 h, 20 resets for 10 devices, each a reconnect.
TEST(SiteGateways, AMappingThatExpiresUnderAnIdleConnectionResetsIt) {
  expect_resets(run_on(DriverKind::kSimulated, behind_nats(3h), 4).result, 20);
  // The same fleet without NATs keeps its connections.
  Scenario open = behind_nats(3h);
  for (Site& site : open.sites) site.nat.reset();
  const RunResult o = run_on(DriverKind::kSimulated, open, 4).result;
  EXPECT_EQ(metric(o, "reconnects"), 0);
  EXPECT_EQ(metric(o, "messages_dropped_nat"), 0);
}

}  // namespace
}  // namespace ccsim::scenarios

namespace ccsim::scenarios {
namespace {

// The run's series from a child process (SimGrid allows one engine per process).
TimeSeries series_of(const Scenario& scenario, std::uint64_t seed, RunResult& result) {
  const std::string answer = run_in_child([&] {
    RunSettings settings;
    settings.seed = seed;
    const RunResult run = run_scenario(scenario, settings);
    nlohmann::ordered_json json = result_to_json(run);
    json["series_columns"] = run.series.columns;
    json["series_rows"] = run.series.rows;
    return json.dump();
  });
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(answer);
  result = result_from_json(json, "child");
  return {json["series_columns"].get<std::vector<std::string>>(),
          json["series_rows"].get<std::vector<std::vector<double>>>()};
}

double at(const TimeSeries& series, std::size_t row, std::string_view column) {
  const auto found = std::find(series.columns.begin(), series.columns.end(), column);
  EXPECT_NE(found, series.columns.end()) << column;
  return series.rows.at(row).at(static_cast<std::size_t>(found - series.columns.begin()));
}

// Every 5 minutes of an hour: 13 rows. North's 10 cameras are cut from 20m to 35m; the platform
// sees them gone after three silent 1-minute intervals and a sweep, so at 25m and 30m only south's
// 10 are connected, and by 40m (a reconnect and a hello) all 20 again.
TEST(Sampler, RowsFollowTheFleetAndTheirRatesAndTimesOfflineAddUp) {
  Scenario scenario = two_sites(10);
  scenario.sample_interval = 5min;
  scenario.timeline.push_back({20min, 15min, FaultKind::kPartition, "north", ""});
  RunResult result;
  const TimeSeries series = series_of(scenario, 3, result);
  ASSERT_EQ(series.rows.size(), 13u);
  EXPECT_EQ(series.columns.front(), "time_s");
  for (std::size_t row = 0; row < series.rows.size(); ++row) {
    EXPECT_EQ(at(series, row, "time_s"), 300.0 * static_cast<double>(row));
    EXPECT_EQ(at(series, row, "devices_connected") + at(series, row, "devices_unreachable"), 20);
  }
  EXPECT_EQ(at(series, 0, "devices_connected"), 0);
  EXPECT_EQ(at(series, 1, "devices_connected"), 20);
  EXPECT_EQ(at(series, 5, "devices_connected"), 10);  // 25m
  EXPECT_EQ(at(series, 6, "devices_connected"), 10);  // 30m
  EXPECT_EQ(at(series, 8, "devices_connected"), 20);  // 40m
  // A second derivation: each rate times its interval, summed, is the run's own count.
  double hellos = 0, messages = 0, endpoint = 0;
  for (std::size_t row = 1; row < series.rows.size(); ++row) {
    hellos += at(series, row, "connects_per_s") * 300;
    messages += at(series, row, "messages_per_s") * 300;
    endpoint += at(series, row, "endpoint_messages_per_s") * 300;
  }
  EXPECT_NEAR(hellos, metric(result, "hellos_accepted"), 1e-6);
  EXPECT_NEAR(messages, metric(result, "messages_delivered"), 1e-6);
  EXPECT_NEAR(endpoint,
              metric(result, "hellos_accepted") + metric(result, "hellos_refused") +
                  metric(result, "heartbeats_received") + metric(result, "goodbyes_received"),
              1e-6);
  EXPECT_GT(endpoint, 20 * 50) << "about one heartbeat a minute from each of 20 devices";
  EXPECT_EQ(metric(result, "hellos_accepted"), 30) << "20 at the start, north's 10 again";
  // Only the cameras that came back in an interval have their time offline in its row.
  for (std::size_t row = 1; row <= 7; ++row) EXPECT_EQ(at(series, row, "offline_p99_s"), 0) << row;
  // North's cameras saw the platform gone within 3 missed 1-minute heartbeats of the cut and came
  // back after it healed at 35m: between 10 and 15 minutes offline each.
  EXPECT_GE(at(series, 8, "offline_p50_s"), 600);
  EXPECT_LE(at(series, 8, "offline_p99_s"), 900);
  for (std::size_t row = 9; row < series.rows.size(); ++row)
    EXPECT_EQ(at(series, row, "offline_p50_s"), 0);
}

// The bandwidth-drop scenario's four 2 Mbps streams from 5m over a 10 Mbps uplink, thinned to
// 0.5 Mbps each while it is throttled to 3 Mbps from 10m to 20m; the heartbeats add about 50 bps.
TEST(Sampler, UplinkUtilisationIsWhatTheStreamsSentOverWhatTheUplinkCarries) {
  constexpr std::string_view kYaml = R"(
name: uplink-utilisation
duration: 45m
start_within: 30s
heartbeat: {interval: 1m, missed_max: 3}
sample_interval: 5m
profiles: {p: {mode: managed, track: lts-2024, capabilities: [webrtc]}}
organizations:
  - name: acme
    default_profile: p
    licenses: {video-streaming: 4}
    sites:
      - {name: shop, uplink: {bandwidth: 10Mbps, latency: 20ms}, devices: [{count: 4, os: 11.11.0, track: lts-2024}]}
      - {name: quiet, uplink: {bandwidth: 10Mbps, latency: 20ms}, devices: [{count: 1, os: 11.11.0, track: lts-2024}]}
viewers: [{name: phone, latency: 40ms}]
timeline:
  - {at: 1m, do: onboard, devices: all}
  - {at: 5m, do: request_live_video, devices: {site: shop}, from: phone, for: 30m, bitrate: 2Mbps}
  - {at: 10m, do: fault, kind: throttle, site: shop, for: 10m, bandwidth: 3Mbps}
checks: [{id: set-up, expect: metric, metric: live_sessions_peer_to_peer, at_least: 4}]
)";
  const Scenario scenario = parse_scenario(kYaml, "uplink-utilisation", {});
  RunResult result;
  const TimeSeries series = series_of(scenario, 1, result);
  ASSERT_EQ(metric(result, "live_sessions_peer_to_peer"), 4);
  // 5m-10m: 8 Mbps of 10 once set up (well under a second in); 10m-15m: 2 Mbps of 3.
  EXPECT_NEAR(at(series, 2, "uplink_max"), 0.8, 2e-3);  // the throttle at 10m not yet in it
  EXPECT_NEAR(at(series, 3, "uplink_max"), 2.0 / 3.0, 1e-3);
  EXPECT_NEAR(at(series, 6, "uplink_max"), 0.8, 1e-3);  // 25m-30m: back at 2 Mbps each
  // Two sites: the median is the lower (quiet's heartbeats alone), the 95th the busier.
  EXPECT_LT(at(series, 6, "uplink_p50"), 1e-4);
  EXPECT_EQ(at(series, 6, "uplink_p95"), at(series, 6, "uplink_max"));
  EXPECT_NEAR(at(series, 6, "uplink_shop"), 0.8, 1e-4);  // kept in ten-thousandths
  // Quiet's heartbeats, about 5e-6 of its uplink, round to nothing: it gets no column.
  EXPECT_EQ(series.columns.back(), "uplink_shop");
  // Set-up times land in the 5m-10m row only.
  EXPECT_GT(at(series, 2, "live_setup_p50_s"), 0);
  EXPECT_EQ(at(series, 3, "live_setup_p99_s"), 0);
}

}  // namespace
}  // namespace ccsim::scenarios

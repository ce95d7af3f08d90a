#include "scenarios/scenario_file.h"

#include "platform/audit_log.h"
#include "scenarios/model/turn_servers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFile = "test.yaml";

// Raw strings start with a newline for readability; drop it so line 1 is the first real line.
std::string_view text_of(std::string_view yaml) {
  if (yaml.starts_with('\n')) yaml.remove_prefix(1);
  return yaml;
}

Scenario parse(std::string_view yaml, const std::vector<Override>& overrides = {}) {
  return parse_scenario(text_of(yaml), kFile, overrides);
}

ScenarioError parse_error(std::string_view yaml, const std::vector<Override>& overrides = {}) {
  try {
    parse(yaml, overrides);
  } catch (const ScenarioError& error) {
    return error;
  }
  ADD_FAILURE() << "expected a ScenarioError";
  return ScenarioError("", 0, "", "");
}

// The problem of `error` with this file, line and key, if any.
const ScenarioProblem* find_problem(const ScenarioError& error, const std::string& file, int line,
                                    const std::string& key) {
  for (const ScenarioProblem& problem : error.problems) {
    if (problem.file == file && problem.line == line && problem.key == key) return &problem;
  }
  return nullptr;
}

// A file error reports, among its problems, one at this line and key saying `expected_part`, and
// what() carries it as a line of its own.
void expect_file_error(const ScenarioError& error, int line, const std::string& key,
                       const std::string& expected_part) {
  const ScenarioProblem* problem = find_problem(error, kFile, line, key);
  ASSERT_NE(problem, nullptr) << "no problem at line " << line << " key " << key << " in:\n"
                              << error.what();
  EXPECT_TRUE(problem->setting.empty()) << error.what();
  const std::string head =
      std::string(kFile) + ":" + std::to_string(line) + ": " + (key.empty() ? "" : key + ": ");
  EXPECT_EQ(problem->message().rfind(head, 0), 0u) << problem->message();
  EXPECT_NE(problem->expected.find(expected_part), std::string::npos) << error.what();
  EXPECT_NE(("\n" + std::string(error.what()) + "\n").find("\n" + problem->message() + "\n"),
            std::string::npos)
      << error.what();
}

void expect_override_error(const ScenarioError& error, const std::string& setting,
                           const std::string& key, const std::string& expected_part) {
  const ScenarioProblem* problem = find_problem(error, "--set", 0, key);
  ASSERT_NE(problem, nullptr) << "no override problem for key " << key << " in:\n" << error.what();
  EXPECT_EQ(problem->setting, setting) << error.what();
  const std::string head = "--set " + setting + ": " + (key.empty() ? "" : key + ": ");
  EXPECT_EQ(problem->message().rfind(head, 0), 0u) << problem->message();
  EXPECT_NE(problem->expected.find(expected_part), std::string::npos) << error.what();
  // Overrides have no line: they come first.
  EXPECT_EQ(error.problems.front().file, "--set") << error.what();
}

std::string source_dir() {
  if (const char* dir = std::getenv("CCSIM_SOURCE_DIR")) return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path().string();
}

// A valid file that the error tests below break one line at a time.
constexpr std::string_view kSmall = R"(
name: small
duration: 1h
sites:
  - name: lund
    devices:
      - {kind: camera, count: 2}
checks:
  - {id: up, expect: all_devices_connected}
)";

// kSmall with its site owned by an organization: actions other than faults need one.
constexpr std::string_view kSmallOwned = R"(
name: small
duration: 1h
organizations:
  - name: acme
    sites:
      - name: lund
        devices:
          - {kind: camera, count: 2}
checks:
  - {id: up, expect: all_devices_connected}
)";

// ---------------------------------------------------------------------------------------------
// Valid files

TEST(ScenarioFile, FullFileGivesEveryField) {
  const Scenario scenario = parse(R"(
name: full.scenario_1
description: "every key"
duration: 2h
start_within: 90s
heartbeat: {interval: 30s, missed_max: 4, limit: 7}
cloud: {region: us-east, bandwidth: 5Gbps, latency: 2ms}
fleet:
  cameras: 5
  sites: 2
  model: tier2-dome
  os: 10.12.5
  region: us-east
  uplink: {bandwidth: 8MBps, latency: 30ms, loss: 0.5%}
sites:
  - name: lund
    region: eu-north
    uplink: {bandwidth: 1.5Mbps, latency: 1s250ms, loss: 0.01}
    devices:
      - {kind: camera, model: tier1-bullet, count: 3, os: 11.11.0, track: lts-2024}
      - {kind: recorder, name: rec-1, model: rec-s3008}
      - {model: tier2-box, count: 2, via: rec-1}
timeline:
  - {at: 10m, do: fault, kind: partition, site: lund, for: 20m}
  - {at: 0s, do: fault, kind: partition, region: us-east, for: 1h30m}
  - {at: 1h59m, do: fault, kind: partition, for: 5m}
checks:
  - {id: connected, expect: all_devices_connected, within: 5m}
  - {id: cut-seen, expect: disconnected_fraction, at: 25m, site: lund, at_least: 1.0}
  - {id: back, expect: connected_fraction, at: 2h, at_least: 99%, at_most: 1}
  - id: clean
    expect: metric
    metric: frame_errors
    at_most: 0
)");
  EXPECT_EQ(scenario.name, "full.scenario_1");
  EXPECT_EQ(scenario.description, "every key");
  EXPECT_EQ(scenario.file, kFile);
  EXPECT_EQ(scenario.duration, 2h);
  EXPECT_EQ(scenario.start_within, 90s);
  EXPECT_EQ(scenario.heartbeat.interval, 30s);
  EXPECT_EQ(scenario.heartbeat.missed_max, 4u);
  EXPECT_EQ(scenario.heartbeat.limit, 7u);
  EXPECT_EQ(scenario.cloud.region, "us-east");
  EXPECT_DOUBLE_EQ(scenario.cloud.bandwidth_bps, 5e9);
  EXPECT_EQ(scenario.cloud.latency, 2ms);

  ASSERT_EQ(scenario.sites.size(), 3u);  // the explicit site first, then the fleet's two
  const Site& lund = scenario.sites[0];
  EXPECT_EQ(lund.name, "lund");
  EXPECT_EQ(lund.region, "eu-north");
  EXPECT_DOUBLE_EQ(lund.uplink.bandwidth_bps, 1.5e6);
  EXPECT_EQ(lund.uplink.latency, 1250ms);
  EXPECT_DOUBLE_EQ(lund.uplink.loss_fraction, 0.01);
  ASSERT_EQ(lund.devices.size(), 3u);
  EXPECT_EQ(lund.devices[0].kind, "camera");
  EXPECT_EQ(lund.devices[0].model, "tier1-bullet");
  EXPECT_EQ(lund.devices[0].tier, 1u);
  EXPECT_EQ(lund.devices[0].count, 3u);
  EXPECT_EQ(lund.devices[0].os_version, "11.11.0");
  EXPECT_EQ(lund.devices[0].os_track, "lts-2024");
  EXPECT_EQ(lund.devices[1].kind, "recorder");
  EXPECT_EQ(lund.devices[1].name, "rec-1");
  EXPECT_EQ(lund.devices[1].model, "rec-s3008");
  EXPECT_EQ(lund.devices[2].model, "tier2-box");
  EXPECT_EQ(lund.devices[2].tier, 2u);
  EXPECT_EQ(lund.devices[2].count, 2u);
  EXPECT_EQ(lund.devices[2].via, "rec-1");

  const Site& fleet_site = scenario.sites[1];
  EXPECT_EQ(fleet_site.name, "site-0000");
  EXPECT_EQ(fleet_site.region, "us-east");
  EXPECT_DOUBLE_EQ(fleet_site.uplink.bandwidth_bps, 64e6);
  EXPECT_EQ(fleet_site.uplink.latency, 30ms);
  EXPECT_DOUBLE_EQ(fleet_site.uplink.loss_fraction, 0.005);
  ASSERT_EQ(fleet_site.devices.size(), 1u);
  EXPECT_EQ(fleet_site.devices[0].model, "tier2-dome");
  EXPECT_EQ(fleet_site.devices[0].tier, 2u);
  EXPECT_EQ(fleet_site.devices[0].os_version, "10.12.5");
  EXPECT_EQ(scenario.device_count(), 11u);

  ASSERT_EQ(scenario.timeline.size(), 3u);
  EXPECT_EQ(scenario.timeline[0].at, 10min);
  EXPECT_EQ(scenario.timeline[0].length, 20min);
  EXPECT_EQ(scenario.timeline[0].kind, FaultKind::kPartition);
  EXPECT_EQ(scenario.timeline[0].site, "lund");
  EXPECT_EQ(scenario.timeline[0].region, "");
  EXPECT_EQ(scenario.timeline[1].at, 0s);
  EXPECT_EQ(scenario.timeline[1].length, 90min);
  EXPECT_EQ(scenario.timeline[1].region, "us-east");
  EXPECT_EQ(scenario.timeline[2].site, "");
  EXPECT_EQ(scenario.timeline[2].region, "");

  ASSERT_EQ(scenario.checks.size(), 4u);
  const Check& connected = scenario.checks[0];
  EXPECT_EQ(connected.id, "connected");
  EXPECT_EQ(connected.kind, CheckKind::kAllDevicesConnected);
  EXPECT_EQ(connected.within, 5min);
  EXPECT_EQ(connected.line, 27);
  const Check& cut_seen = scenario.checks[1];
  EXPECT_EQ(cut_seen.kind, CheckKind::kDisconnectedFraction);
  EXPECT_EQ(cut_seen.at, 25min);
  EXPECT_EQ(cut_seen.site, "lund");
  EXPECT_DOUBLE_EQ(cut_seen.at_least, 1.0);
  EXPECT_EQ(cut_seen.at_most, std::numeric_limits<double>::infinity());
  EXPECT_EQ(cut_seen.line, 28);
  const Check& back = scenario.checks[2];
  EXPECT_EQ(back.kind, CheckKind::kConnectedFraction);
  EXPECT_EQ(back.at, 2h);
  EXPECT_EQ(back.site, "");
  EXPECT_DOUBLE_EQ(back.at_least, 0.99);
  EXPECT_DOUBLE_EQ(back.at_most, 1.0);
  const Check& clean = scenario.checks[3];
  EXPECT_EQ(clean.kind, CheckKind::kMetric);
  EXPECT_EQ(clean.metric, "frame_errors");
  EXPECT_EQ(clean.at_least, -std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(clean.at_most, 0.0);
  EXPECT_EQ(clean.line, 30);  // a block map's line is its first key's
}

TEST(ScenarioFile, DefaultsAreFilledIn) {
  const Scenario scenario = parse(R"(
name: defaults
duration: 30s
sites:
  - name: lund
    devices:
      - {}
checks:
  - {id: up, expect: all_devices_connected}
)");
  EXPECT_EQ(scenario.description, "");
  EXPECT_EQ(scenario.start_within, 30s);  // 60s, but never past the end
  EXPECT_EQ(scenario.heartbeat.interval, 5min);
  EXPECT_EQ(scenario.heartbeat.missed_max, 3u);
  EXPECT_EQ(scenario.heartbeat.limit, 0u);
  EXPECT_EQ(scenario.cloud.region, "eu-west");
  EXPECT_DOUBLE_EQ(scenario.cloud.bandwidth_bps, 10e9);
  EXPECT_EQ(scenario.cloud.latency, 1ms);
  ASSERT_EQ(scenario.sites.size(), 1u);
  EXPECT_EQ(scenario.sites[0].region, "eu-west");
  EXPECT_DOUBLE_EQ(scenario.sites[0].uplink.bandwidth_bps, 50e6);
  EXPECT_EQ(scenario.sites[0].uplink.latency, 20ms);
  EXPECT_DOUBLE_EQ(scenario.sites[0].uplink.loss_fraction, 0.0);
  ASSERT_EQ(scenario.sites[0].devices.size(), 1u);
  const DeviceGroup& group = scenario.sites[0].devices[0];
  EXPECT_EQ(group.kind, "camera");
  EXPECT_EQ(group.model, "tier1-bullet");
  EXPECT_EQ(group.tier, 1u);
  EXPECT_EQ(group.os_version, "11.11.0");
  EXPECT_EQ(group.count, 1u);
  EXPECT_TRUE(scenario.timeline.empty());
  ASSERT_EQ(scenario.checks.size(), 1u);
  EXPECT_EQ(scenario.checks[0].within, 30s);  // the whole scenario
}

TEST(ScenarioFile, StartWithinDefaultsToAMinute) {
  EXPECT_EQ(parse(kSmall).start_within, 60s);
}

TEST(ScenarioFile, StartOrderIsRandomUnlessStaggered) {
  EXPECT_EQ(parse(kSmall).start_order, StartOrder::kRandom);
  EXPECT_EQ(parse(std::string(kSmall) + "start_order: staggered\n").start_order,
            StartOrder::kStaggered);
  EXPECT_EQ(parse(kSmall, {{"start_order", "random"}}).start_order, StartOrder::kRandom);
}

TEST(ScenarioFileErrors, StartOrderMustBeKnown) {
  // text_of() drops kSmall's leading newline: its 8 lines come first.
  expect_file_error(parse_error(std::string(kSmall) + "start_order: shuffled\n"), 9, "start_order",
                    "one of random, staggered");
}

TEST(ScenarioFile, FleetSpreadsCamerasEvenlyFirstSitesTakingTheRest) {
  const Scenario scenario = parse(R"(
name: fleet
duration: 1h
fleet: {cameras: 1005, sites: 10}
checks: [{id: up, expect: all_devices_connected}]
)");
  ASSERT_EQ(scenario.sites.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(scenario.sites[i].name, "site-000" + std::to_string(i));
    ASSERT_EQ(scenario.sites[i].devices.size(), 1u);
    EXPECT_EQ(scenario.sites[i].devices[0].count, i < 5 ? 101u : 100u) << i;
    EXPECT_EQ(scenario.sites[i].devices[0].model, "tier1-bullet");
    EXPECT_EQ(scenario.sites[i].devices[0].os_version, "11.11.0");
    EXPECT_EQ(scenario.sites[i].region, "eu-west");
  }
  EXPECT_EQ(scenario.device_count(), 1005u);
}

TEST(ScenarioFile, FleetSitesDefaultToOnePerHundredCamerasRoundedUp) {
  const Scenario scenario = parse(R"(
name: fleet
duration: 1h
fleet: {cameras: 250}
checks: [{id: up, expect: all_devices_connected}]
)");
  ASSERT_EQ(scenario.sites.size(), 3u);
  EXPECT_EQ(scenario.sites[0].devices[0].count, 84u);
  EXPECT_EQ(scenario.sites[1].devices[0].count, 83u);
  EXPECT_EQ(scenario.sites[2].devices[0].count, 83u);
  EXPECT_EQ(parse(R"(
name: fleet
duration: 1h
fleet: {cameras: 1}
checks: [{id: up, expect: all_devices_connected}]
)")
                .sites.size(),
            1u);
}

TEST(ScenarioFile, FleetSiteNamesWidenPastFourDigits) {
  const Scenario scenario = parse(R"(
name: fleet
duration: 1h
fleet: {cameras: 12345, sites: 12345}
checks: [{id: up, expect: all_devices_connected}]
)");
  ASSERT_EQ(scenario.sites.size(), 12345u);
  EXPECT_EQ(scenario.sites.front().name, "site-00000");
  EXPECT_EQ(scenario.sites.back().name, "site-12344");
}

TEST(ScenarioFile, FleetSitesComeAfterExplicitSitesAndCanBeReferred) {
  const Scenario scenario = parse(R"(
name: both
duration: 1h
fleet: {cameras: 4, sites: 2}
sites:
  - {name: lund, devices: [{count: 1}]}
timeline:
  - {at: 1m, do: fault, kind: partition, site: site-0001, for: 1m}
checks:
  - {id: cut, expect: disconnected_fraction, site: site-0000, at: 2m, at_least: 0}
)");
  ASSERT_EQ(scenario.sites.size(), 3u);
  EXPECT_EQ(scenario.sites[0].name, "lund");
  EXPECT_EQ(scenario.sites[1].name, "site-0000");
  EXPECT_EQ(scenario.sites[2].name, "site-0001");
  EXPECT_EQ(scenario.device_count(), 5u);
}

TEST(ScenarioFile, ExampleFilesLoadFromDisk) {
  const std::string dir = source_dir() + "/scenarios/quickstart/";
  const Scenario handful = load_scenario(dir + "handful.yaml", {});
  EXPECT_EQ(handful.file, dir + "handful.yaml");
  EXPECT_EQ(handful.device_count(), 5u);
  EXPECT_GE(handful.sites.size(), 2u);
  EXPECT_EQ(handful.duration, 1h);
  EXPECT_EQ(handful.heartbeat.interval, 1min);
  ASSERT_EQ(handful.checks.size(), 3u);
  EXPECT_EQ(handful.checks[0].kind, CheckKind::kAllDevicesConnected);
  EXPECT_EQ(handful.checks[0].within, 2min);
  EXPECT_EQ(handful.checks[1].kind, CheckKind::kConnectedFraction);
  EXPECT_EQ(handful.checks[1].at, 55min);
  EXPECT_EQ(handful.checks[2].metric, "frame_errors");
  EXPECT_EQ(handful.checks[2].at_most, 0.0);

  const Scenario cut = load_scenario(dir + "network-cut.yaml", {});
  EXPECT_EQ(cut.device_count(), 1000u);
  EXPECT_EQ(cut.sites.size(), 10u);
  EXPECT_EQ(cut.duration, 1h);
  EXPECT_EQ(cut.heartbeat.interval, 1min);
  EXPECT_EQ(cut.heartbeat.missed_max, 3u);
  ASSERT_EQ(cut.timeline.size(), 5u);
  for (const Fault& fault : cut.timeline) {
    EXPECT_EQ(fault.at, 20min);
    EXPECT_EQ(fault.length, 15min);
  }
  bool reconnects_checked = false;
  for (const Check& check : cut.checks) {
    if (check.kind == CheckKind::kDisconnectedFraction) {
      EXPECT_EQ(check.at, 34min);
    }
    reconnects_checked |= check.metric == "reconnects" && check.at_least == 1;
  }
  EXPECT_TRUE(reconnects_checked);

  const Scenario bigger = load_scenario(dir + "network-cut.yaml", {{"fleet.cameras", "500"}});
  EXPECT_EQ(bigger.device_count(), 500u);
}

// ---------------------------------------------------------------------------------------------
// Bad files: each names file, line and key

TEST(ScenarioFileErrors, UnknownKeys) {
  expect_file_error(parse_error(R"(
name: x
duratoin: 1h
)"),
                    2, "duratoin", "unknown key; expected one of name, description, duration");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet:
  cameras: 5
  camras: 5
checks: [{id: up, expect: all_devices_connected}]
)"),
                    5, "fleet.camras",
                    "unknown key; expected one of cameras, sites, model, os, track, region,");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices: [{count: 1}]
  - name: b
    uplink:
      latency: 5ms
      jitter: 5ms
    devices: [{count: 1}]
)"),
                    9, "sites.1.uplink.jitter",
                    "unknown key; expected one of bandwidth, latency, loss");
}

TEST(ScenarioFileErrors, KeyGivenTwice) {
  expect_file_error(parse_error(R"(
name: x
duration: 1h
name: y
)"),
                    3, "name", "given twice");
}

TEST(ScenarioFileErrors, MissingKeysNameTheEnclosingMapsLine) {
  expect_file_error(parse_error(R"(
duration: 1h
checks: [{id: up, expect: all_devices_connected}]
)"),
                    1, "name", "missing");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet:
  sites: 3
checks: [{id: up, expect: all_devices_connected}]
)"),
                    3, "fleet.cameras", "missing");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 1}
)"),
                    1, "checks", "missing");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
checks: [{id: up, expect: all_devices_connected}]
)"),
                    4, "sites.0.devices", "missing");
}

TEST(ScenarioFileErrors, WrongTypes) {
  expect_file_error(parse_error(R"(
name: x
duration: {hours: 1}
)"),
                    2, "duration", "got a map; expected a duration");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices:
      - {kind: camera, count: abc}
)"),
                    6, "sites.0.devices.0.count",
                    "got \"abc\"; expected a whole number in 1..1000000");
  expect_file_error(parse_error(R"(
name: [x]
)"),
                    1, "name", "got a list");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites: {name: a}
)"),
                    3, "sites", "got a map; expected a list of sites");
  expect_file_error(parse_error(R"(
name: x
duration:
)"),
                    2, "duration", "got nothing");
}

TEST(ScenarioFileErrors, NegativeOrZeroCounts) {
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: -3}
)"),
                    3, "fleet.cameras", "got \"-3\"");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 0}
)"),
                    3, "fleet.cameras", "1..1000000");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 1.5}
)"),
                    3, "fleet.cameras", "whole number");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices:
      - {count: 0}
)"),
                    6, "sites.0.devices.0.count", "expected a whole number in 1..");
}

TEST(ScenarioFileErrors, BadDurationsBandwidthsAndFractions) {
  expect_file_error(parse_error(R"(
name: x
duration: 5 minutes
)"),
                    2, "duration", "\"5 minutes\" is not a duration");
  expect_file_error(parse_error(R"(
name: x
duration: 0s
)"),
                    2, "duration", "expected a duration above 0");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices: [{count: 1}]
  - name: b
    devices: [{count: 1}]
  - name: c
    uplink: {bandwidth: 5Mbps, latency: soon}
    devices: [{count: 1}]
)"),
                    9, "sites.2.uplink.latency", "\"soon\" is not a duration");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
cloud:
  bandwidth: fast
)"),
                    4, "cloud.bandwidth", "\"fast\" is not a bandwidth");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
cloud: {bandwidth: 0Mbps}
)"),
                    3, "cloud.bandwidth", "above 0");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 1, uplink: {loss: 150%}}
)"),
                    3, "fleet.uplink.loss", "not a fraction");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 1, uplink: {loss: 100%}}
)"),
                    3, "fleet.uplink.loss", "below 1");
}

TEST(ScenarioFileErrors, ImpossibleValues) {
  expect_file_error(parse_error(R"(
name: x
duration: 1h
start_within: 2h
)"),
                    3, "start_within", "at most 1h (the scenario's duration)");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
heartbeat: {interval: 25h}
)"),
                    3, "heartbeat.interval", "at most 1d");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
heartbeat: {interval: 1500us}
)"),
                    3, "heartbeat.interval", "whole milliseconds");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
heartbeat: {missed_max: 0}
)"),
                    3, "heartbeat.missed_max", "1..100");
  expect_file_error(parse_error(R"(
name: x
duration: 367d
)"),
                    2, "duration", "at most 366d");
  expect_file_error(parse_error(R"(
name: bad name
)"),
                    1, "name", "1-64 characters");
  expect_file_error(parse_error("name: " + std::string(65, 'a') + "\n"), 1, "name",
                    "1-64 characters");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 3, sites: 4}
)"),
                    3, "fleet.sites", "at most one site per camera");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices: [{kind: speaker}]
)"),
                    5, "sites.0.devices.0.kind",
                    "got \"speaker\"; expected one of camera, recorder, edge_host");
}

TEST(ScenarioFileErrors, DevicesAndSites) {
  expect_file_error(parse_error(R"(
name: x
duration: 1h
checks: [{id: up, expect: all_devices_connected}]
)"),
                    1, "sites", "no devices");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites: []
checks: [{id: up, expect: all_devices_connected}]
)"),
                    3, "sites", "no devices");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices: []
)"),
                    5, "sites.0.devices", "at least one device group");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - {name: a, devices: [{count: 1}]}
  - {name: b, devices: [{count: 1}]}
  - {name: a, devices: [{count: 1}]}
)"),
                    6, "sites.2.name", "\"a\" is already taken by sites.0");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 2}
sites:
  - {name: site-0000, devices: [{count: 1}]}
)"),
                    5, "sites.0.name", "already taken by the fleet's generated sites");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - name: a
    devices:
      - {count: 600000}
      - {count: 400000}
      - {count: 1}
)"),
                    8, "sites.0.devices.2", "1000001 devices; expected at most 1000000");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 1000000}
sites:
  - {name: a, devices: [{count: 1}]}
)"),
                    3, "fleet.cameras", "at most 1000000 in all");
}

// The error of a scenario with one site, lund, and `entry` as its timeline's one entry (line 6).
ScenarioError one_site_timeline_error(const std::string& entry) {
  return parse_error(R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]}
timeline:
)" + entry + "\n");
}

TEST(ScenarioFileErrors, Timeline) {
  const auto error = one_site_timeline_error;
  expect_file_error(error("  - {at: 1h, do: fault, kind: partition, for: 1m}"), 6, "timeline.0.at",
                    "before the end of the scenario (duration 1h)");
  // Without organizations there is no platform with tenants to act through.
  expect_file_error(error("  - {at: 1m, do: set_latest_lts, track: lts-2026}"), 6, "timeline.0.do",
                    "expected organizations: in the scenario");
  expect_file_error(error("  - {at: 2h, do: fault, kind: partition, for: 1m}"), 6, "timeline.0.at",
                    "at most 1h");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 0s}"), 6, "timeline.0.for",
                    "above 0");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition}"), 6, "timeline.0.for",
                    "missing");
  expect_file_error(error("  - {at: 1m, do: reboot, kind: partition, for: 1m}"), 6, "timeline.0.do",
                    "got \"reboot\"; expected one of fault, onboard");
  expect_file_error(error("  - {at: 1m, do: fault, kind: outage, for: 1m}"), 6, "timeline.0.kind",
                    "expected one of partition, loss_burst, latency_spike, throttle, jitter");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, site: malmo}"), 6,
                    "timeline.0.site", "\"malmo\" is not a site; expected one of lund");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, region: mars}"), 6,
                    "timeline.0.region", "\"mars\" is no site's region; expected one of eu-west");
  expect_file_error(
      error("  - {at: 1m, do: fault, kind: partition, for: 1m, site: lund, region: eu-west}"), 6,
      "timeline.0.region", "not both");
}

TEST(ScenarioFile, NetworkFaultsGiveEveryField) {
  const Scenario scenario = parse(R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]}
timeline:
  - {at: 1m, do: fault, kind: partition, site: lund, for: 5m, direction: up}
  - {at: 2m, do: fault, kind: loss_burst, for: 10m, loss: 80%, burst: 7, gap: 250}
  - {at: 3m, do: fault, kind: loss_burst, for: 10m}
  - {at: 4m, do: fault, kind: latency_spike, for: 1m, latency: 400ms}
  - {at: 5m, do: fault, kind: throttle, for: 1m, bandwidth: 2Mbps}
  - {at: 6m, do: fault, kind: jitter, for: 1m, jitter: 80ms}
checks:
  - {id: up, expect: all_devices_connected, within: 5m}
)");
  ASSERT_EQ(scenario.timeline.size(), 6U);
  EXPECT_EQ(scenario.timeline[0].direction, Direction::kUp);
  EXPECT_EQ(scenario.timeline[1].kind, FaultKind::kLossBurst);
  EXPECT_DOUBLE_EQ(scenario.timeline[1].burst.loss, 0.8);
  EXPECT_DOUBLE_EQ(scenario.timeline[1].burst.burst, 7);
  EXPECT_DOUBLE_EQ(scenario.timeline[1].burst.gap, 250);
  // The defaults the README gives: half lost, bursts of 5 messages, 100 apart.
  EXPECT_DOUBLE_EQ(scenario.timeline[2].burst.loss, 0.5);
  EXPECT_DOUBLE_EQ(scenario.timeline[2].burst.burst, 5);
  EXPECT_DOUBLE_EQ(scenario.timeline[2].burst.gap, 100);
  EXPECT_EQ(scenario.timeline[2].direction, Direction::kBoth);
  EXPECT_EQ(scenario.timeline[3].kind, FaultKind::kLatencySpike);
  EXPECT_EQ(scenario.timeline[3].latency, 400ms);
  EXPECT_EQ(scenario.timeline[4].kind, FaultKind::kThrottle);
  EXPECT_DOUBLE_EQ(scenario.timeline[4].bandwidth_bps, 2e6);
  EXPECT_EQ(scenario.timeline[5].kind, FaultKind::kJitter);
  EXPECT_EQ(scenario.timeline[5].jitter, 80ms);
}

TEST(ScenarioFile, SmallMessagesTakeTheFastLaneUnlessExact) {
  EXPECT_EQ(parse(kSmall).network.small_messages, SmallMessages::kFast);
  EXPECT_EQ(
      parse(std::string(kSmall) + "network: {small_messages: exact}\n").network.small_messages,
      SmallMessages::kExact);
  EXPECT_EQ(parse(kSmall, {{"network.small_messages", "exact"}}).network.small_messages,
            SmallMessages::kExact);
}

TEST(ScenarioFileErrors, NetworkModel) {
  // text_of() drops kSmall's leading newline: its 8 lines come first.
  expect_file_error(parse_error(std::string(kSmall) + "network: {small_messages: quick}\n"), 9,
                    "network.small_messages", "got \"quick\"; expected one of fast, exact");
  expect_file_error(parse_error(std::string(kSmall) + "network: {lanes: 2}\n"), 9, "network.lanes",
                    "small_messages");
}

TEST(ScenarioFileErrors, NetworkFaults) {
  const auto error = one_site_timeline_error;
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, direction: sideways}"),
                    6, "timeline.0.direction", "expected one of both, up, down");
  expect_file_error(error("  - {at: 1m, do: fault, kind: loss_burst, for: 1m, loss: 0}"), 6,
                    "timeline.0.loss", "expected a loss above 0");
  expect_file_error(error("  - {at: 1m, do: fault, kind: loss_burst, for: 1m, burst: 0}"), 6,
                    "timeline.0.burst", "a whole number in 1..1000000");
  expect_file_error(error("  - {at: 1m, do: fault, kind: loss_burst, for: 1m, gap: 2.5}"), 6,
                    "timeline.0.gap", "whole number");
  expect_file_error(error("  - {at: 1m, do: fault, kind: latency_spike, for: 1m}"), 6,
                    "timeline.0.latency", "missing");
  expect_file_error(error("  - {at: 1m, do: fault, kind: latency_spike, for: 1m, latency: 20s}"), 6,
                    "timeline.0.latency", "20s; expected a latency spike of at most 10s");
  expect_file_error(error("  - {at: 1m, do: fault, kind: jitter, for: 1m}"), 6, "timeline.0.jitter",
                    "missing");
  expect_file_error(error("  - {at: 1m, do: fault, kind: jitter, for: 1m, jitter: 0s}"), 6,
                    "timeline.0.jitter", "got \"0s\"; expected a duration above 0");
  expect_file_error(error("  - {at: 1m, do: fault, kind: jitter, for: 1m, jitter: 11s}"), 6,
                    "timeline.0.jitter", "11s; expected a jitter of at most 10s");
  expect_file_error(error("  - {at: 1m, do: fault, kind: throttle, for: 1m, bandwidth: fast}"), 6,
                    "timeline.0.bandwidth", "not a bandwidth");
  expect_file_error(error("  - {at: 1m, do: fault, kind: throttle, for: 1m, latency: 1s}"), 6,
                    "timeline.0.latency", "not valid with do: fault, kind: throttle");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, bandwidth: 1Mbps}"), 6,
                    "timeline.0.bandwidth", "not valid with do: fault, kind: partition");
}

TEST(ScenarioFile, NatAndFirewallGiveEveryField) {
  const Scenario scenario = parse(R"(
name: x
duration: 1h
fleet:
  cameras: 4
  sites: 2
  nat: {mapping: address-dependent, filtering: endpoint-independent}
sites:
  - name: lund
    nat: {mapping: address-and-port-dependent, filtering: address-and-port-dependent,
          udp_timeout: 2m, tcp_timeout: 3h, hairpinning: false, port_preservation: false}
    firewall: {udp: blocked, outbound: [tcp/443, udp/3478, tcp/*]}
    devices: [{count: 1}]
  - {name: open, devices: [{count: 1}]}
checks:
  - {id: up, expect: all_devices_connected, within: 5m}
)");
  ASSERT_EQ(scenario.sites.size(), 4U);
  const Site& lund = scenario.sites[0];
  ASSERT_TRUE(lund.nat);
  EXPECT_EQ(lund.nat->mapping, NatBehaviour::kAddressAndPortDependent);
  EXPECT_EQ(lund.nat->filtering, NatBehaviour::kAddressAndPortDependent);
  EXPECT_EQ(lund.nat->udp_timeout, 2min);
  EXPECT_EQ(lund.nat->tcp_timeout, 3h);
  EXPECT_FALSE(lund.nat->hairpinning);
  EXPECT_FALSE(lund.nat->port_preservation);
  ASSERT_TRUE(lund.firewall);
  EXPECT_TRUE(lund.firewall->udp_blocked);
  ASSERT_TRUE(lund.firewall->outbound);
  ASSERT_EQ(lund.firewall->outbound->size(), 3U);
  EXPECT_EQ(port_rule_text((*lund.firewall->outbound)[1]), "udp/3478");
  EXPECT_EQ(lund.line, 8);
  // No nat: public addresses; no firewall: nothing filtered.
  EXPECT_FALSE(scenario.sites[1].nat);
  EXPECT_FALSE(scenario.sites[1].firewall);
  // The fleet's sites each get the NAT given, with RFC 4787's recommended defaults elsewhere.
  for (std::size_t i = 2; i < 4; ++i) {
    ASSERT_TRUE(scenario.sites[i].nat);
    EXPECT_EQ(scenario.sites[i].nat->mapping, NatBehaviour::kAddressDependent);
    EXPECT_EQ(scenario.sites[i].nat->filtering, NatBehaviour::kEndpointIndependent);
    EXPECT_EQ(scenario.sites[i].nat->udp_timeout, 5min);
    EXPECT_EQ(scenario.sites[i].nat->tcp_timeout, 2h + 4min);
    EXPECT_TRUE(scenario.sites[i].nat->hairpinning);
    EXPECT_EQ(scenario.sites[i].line, 3);
  }
}

TEST(ScenarioFileErrors, NatAndFirewall) {
  const auto error = [](const std::string& gateway) {
    return parse_error("name: x\nduration: 1h\nsites:\n  - name: lund\n    " + gateway +
                       "\n    devices: [{count: 1}]\nchecks:\n"
                       "  - {id: up, expect: all_devices_connected}\n");
  };
  expect_file_error(error("nat: {mapping: full-cone}"), 5, "sites.0.nat.mapping",
                    "got \"full-cone\"; expected one of endpoint-independent, address-dependent, "
                    "address-and-port-dependent");
  expect_file_error(error("nat: {filtering: symmetric}"), 5, "sites.0.nat.filtering",
                    "expected one of endpoint-independent");
  expect_file_error(error("nat: {udp_timeout: 90s}"), 5, "sites.0.nat.udp_timeout",
                    "got \"90s\"; expected at least 2m: RFC 4787 REQ-5");
  expect_file_error(error("nat: {tcp_timeout: 1h}"), 5, "sites.0.nat.tcp_timeout",
                    "expected at least 2h4m: RFC 5382 REQ-5");
  expect_file_error(error("nat: {udp_timeout: 2d}"), 5, "sites.0.nat.udp_timeout", "at most 1d");
  expect_file_error(error("nat: {hairpinning: sometimes}"), 5, "sites.0.nat.hairpinning", "true");
  expect_file_error(error("nat: {timeout: 5m}"), 5, "sites.0.nat.timeout", "udp_timeout");
  expect_file_error(error("firewall: {udp: closed}"), 5, "sites.0.firewall.udp",
                    "expected one of blocked, allowed");
  expect_file_error(error("firewall: {outbound: [tcp/443, icmp/1]}"), 5,
                    "sites.0.firewall.outbound.1", "got \"icmp/1\"; expected tcp/PORT or udp/PORT");
  expect_file_error(error("firewall: {outbound: [tcp/0]}"), 5, "sites.0.firewall.outbound.0",
                    "PORT 1-65535");
  expect_file_error(error("firewall: {outbound: [udp/65536]}"), 5, "sites.0.firewall.outbound.0",
                    "PORT 1-65535");
  // Every problem at once: both keys of one NAT.
  const ScenarioError both = error("nat: {mapping: cone, udp_timeout: 1m}");
  EXPECT_EQ(both.problems.size(), 2U) << both.what();
}

TEST(ScenarioFileErrors, Viewers) {
  const auto error = [](const std::string& viewers, const std::string& from = "home") {
    return parse_error(
        "name: x\nduration: 1h\norganizations:\n  - {name: acme, sites: [{name: "
        "lund, devices: [{count: 1}]}]}\nviewers:\n" +
        viewers + "timeline:\n  - {at: 1m, do: request_live_video, from: " + from +
        "}\nchecks:\n  - {id: up, expect: all_devices_connected}\n");
  };
  expect_file_error(error("  - {name: home}\n  - {name: home}\n"), 7, "viewers.1.name",
                    "\"home\" names two viewers; expected unique names");
  expect_file_error(error("  - {name: home, latency: 3s}\n"), 6, "viewers.0.latency", "at most 2s");
  expect_file_error(error("  - {name: home, nat: {mapping: cone}}\n"), 6, "viewers.0.nat.mapping",
                    "expected one of endpoint-independent");
  expect_file_error(error("  - {name: home, firewall: {udp: closed}}\n"), 6,
                    "viewers.0.firewall.udp", "expected one of blocked, allowed");
  expect_file_error(error("  - {name: home, colour: red}\n"), 6, "viewers.0.colour", "latency");
  expect_file_error(error("  - {name: home}\n", "office"), 8, "timeline.0.from", "one of home");
  expect_file_error(error("  - {name: home, keepalive: 500ms}\n"), 6, "viewers.0.keepalive",
                    "at least 1s");
  expect_file_error(error("  - {name: home, keepalive: 2h}\n"), 6, "viewers.0.keepalive",
                    "at most 1h");
}

TEST(ScenarioFileErrors, SampleInterval) {
  const auto error = [](const std::string& interval) {
    return parse_error("name: x\nduration: 1h\nsample_interval: " + interval +
                       "\nsites:\n  - {name: lund, devices: [{count: 1}]}\nchecks:\n  - {id: "
                       "up, expect: all_devices_connected}\n");
  };
  expect_file_error(error("0s"), 3, "sample_interval", "at least 1s");
  expect_file_error(error("2h"), 3, "sample_interval", "the scenario's duration");
  expect_file_error(error("often"), 3, "sample_interval", "duration");
  // 100,000 samples at most: a week's run samples every 7 s or more.
  const ScenarioError week = parse_error(
      "name: x\nduration: 7d\nsample_interval: 5s\nsites:\n  - {name: lund, devices: [{count: "
      "1}]}\nchecks:\n  - {id: up, expect: all_devices_connected}\n");
  expect_file_error(week, 3, "sample_interval", "at least 6s48ms");
}

TEST(ScenarioFile, SampleIntervalDefaultsToFiveMinutesOrTheDuration) {
  const std::string body =
      "\nsites:\n  - {name: lund, devices: [{count: 1}]}\nchecks:\n  - {id: up, expect: "
      "all_devices_connected}\n";
  EXPECT_EQ(parse("name: x\nduration: 1h" + body).sample_interval, std::chrono::minutes(5));
  EXPECT_EQ(parse("name: x\nduration: 2m" + body).sample_interval, std::chrono::minutes(2));
  EXPECT_EQ(parse("name: x\nduration: 1h\nsample_interval: 30s" + body).sample_interval,
            std::chrono::seconds(30));
}

TEST(ScenarioFileErrors, Reconnect) {
  const auto error = [](const std::string& reconnect) {
    return parse_error("name: x\nduration: 1h\nreconnect: " + reconnect +
                       "\nsites:\n  - {name: lund, devices: [{count: 1}]}\nchecks:\n  - {id: "
                       "up, expect: all_devices_connected}\n");
  };
  expect_file_error(error("{first: 10ms}"), 3, "reconnect.first", "at least 100ms");
  expect_file_error(error("{first: 10s, cap: 5s}"), 3, "reconnect.cap", "at least `first`");
  expect_file_error(error("{cap: 2h}"), 3, "reconnect.cap", "1h");
  expect_file_error(error("{base: 1s}"), 3, "reconnect.base", "first");
}

TEST(ScenarioFile, ReconnectDefaultsAndTheCapFollowsALargerFirst) {
  const std::string body =
      "\nsites:\n  - {name: lund, devices: [{count: 1}]}\nchecks:\n  - {id: up, expect: "
      "all_devices_connected}\n";
  const Scenario standard = parse("name: x\nduration: 1h" + body);
  EXPECT_EQ(standard.reconnect.first, std::chrono::seconds(3));
  EXPECT_EQ(standard.reconnect.cap, std::chrono::seconds(30));
  const Scenario slow = parse("name: x\nduration: 1h\nreconnect: {first: 1m}" + body);
  EXPECT_EQ(slow.reconnect.first, std::chrono::minutes(1));
  EXPECT_EQ(slow.reconnect.cap, std::chrono::minutes(1));
  const Scenario both = parse("name: x\nduration: 1h\nreconnect: {first: 500ms, cap: 2m}" + body);
  EXPECT_EQ(both.reconnect.first, std::chrono::milliseconds(500));
  EXPECT_EQ(both.reconnect.cap, std::chrono::minutes(2));
}

TEST(ScenarioFileErrors, TurnServers) {
  const auto error = [](const std::string& servers, const std::string& down = "turn-eu-west") {
    return parse_error(
        "name: x\nduration: 1h\norganizations:\n  - {name: acme, sites: [{name: "
        "lund, devices: [{count: 1}]}]}\nturn_servers:\n" +
        servers + "timeline:\n  - {at: 1m, do: fault, kind: turn_server_down, for: 1m, server: " +
        down + "}\nchecks:\n  - {id: up, expect: all_devices_connected}\n");
  };
  expect_file_error(error("  - {name: a, region: eu-west}\n  - {name: a, region: eu-west}\n"), 7,
                    "turn_servers.1.name", "\"a\" names two TURN servers; expected unique names");
  expect_file_error(error("  - {name: a}\n"), 6, "turn_servers.0",
                    "expected exactly one of region and organization");
  expect_file_error(error("  - {name: a, region: eu-west, organization: acme}\n"), 6,
                    "turn_servers.0.organization", "exactly one of region and organization");
  expect_file_error(error("  - {name: a, region: mars}\n"), 6, "turn_servers.0.region",
                    "\"mars\" is not a platform region (one under regions:, or the cloud's); "
                    "expected one of eu-west");
  expect_file_error(error("  - {name: a, organization: initech}\n"), 6,
                    "turn_servers.0.organization", "expected one of acme");
  expect_file_error(error("  - {name: a, region: eu-west, port: 3478}\n"), 6, "turn_servers.0.port",
                    "host");
  expect_file_error(error("  - {name: a, region: eu-west}\n", "b"), 8, "timeline.0.server",
                    "\"b\" is not a TURN server (a name under turn_servers:, or turn-REGION); "
                    "expected one of a");
}

TEST(ScenarioFile, TurnServersAndTheirDefaults) {
  const Scenario s = parse(R"(
name: x
duration: 1h
regions:
  - {name: eu-west}
  - {name: us-east}
organizations:
  - {name: acme, sites: [{name: lund, devices: [{count: 1}]}]}
turn_servers:
  - {name: turn-a, region: eu-west}
  - {name: acme-relay, organization: acme, host: relay.acme.example}
viewers:
  - {name: home, keepalive: 15s}
timeline:
  - {at: 1m, do: fault, kind: turn_server_down, server: turn-us-east, for: 5m}
checks:
  - {id: up, expect: all_devices_connected}
)");
  // us-east got none from the file: it has its default, after the file's.
  ASSERT_EQ(s.turn_servers.size(), 3u);
  EXPECT_EQ(s.turn_servers[0].name, "turn-a");
  EXPECT_EQ(s.turn_servers[0].region, "eu-west");
  EXPECT_EQ(turn_host(s.turn_servers[0]), "turn.turn-a.ccsim.test");
  EXPECT_EQ(s.turn_servers[1].organization, "acme");
  EXPECT_TRUE(s.turn_servers[1].region.empty());
  EXPECT_EQ(turn_host(s.turn_servers[1]), "relay.acme.example");
  EXPECT_EQ(s.turn_servers[2].name, "turn-us-east");
  EXPECT_EQ(s.turn_servers[2].region, "us-east");
  ASSERT_EQ(s.timeline.size(), 1u);
  EXPECT_EQ(s.timeline[0].kind, FaultKind::kTurnServerDown);
  EXPECT_EQ(s.timeline[0].server, "turn-us-east");
  EXPECT_EQ(s.viewers[0].keepalive, std::chrono::seconds(15));
}

TEST(ScenarioFile, ViewersGiveEveryField) {
  const Scenario s = parse(R"(
name: x
duration: 1h
organizations:
  - {name: acme, sites: [{name: lund, devices: [{count: 1}]}]}
viewers:
  - {name: home, nat: {mapping: address-dependent, filtering: endpoint-independent},
     firewall: {udp: blocked}, latency: 45ms}
  - {name: public}
timeline:
  - {at: 1m, do: request_live_video, from: home, for: 10m, bitrate: 4Mbps, ptz: 12}
checks:
  - {id: up, expect: all_devices_connected}
)");
  ASSERT_EQ(s.viewers.size(), 2u);
  const Viewer& home = s.viewers[0];
  EXPECT_EQ(home.name, "home");
  ASSERT_TRUE(home.nat.has_value());
  EXPECT_EQ(home.nat->mapping, NatBehaviour::kAddressDependent);
  EXPECT_EQ(home.nat->filtering, NatBehaviour::kEndpointIndependent);
  ASSERT_TRUE(home.firewall.has_value());
  EXPECT_TRUE(home.firewall->udp_blocked);
  EXPECT_EQ(home.latency, std::chrono::milliseconds(45));
  EXPECT_FALSE(s.viewers[1].nat.has_value());
  EXPECT_EQ(s.viewers[1].latency, std::chrono::milliseconds(20));
  EXPECT_EQ(s.viewers[1].keepalive, std::chrono::seconds(5));
  ASSERT_EQ(s.actions.size(), 1u);
  EXPECT_EQ(s.actions[0].viewer, "home");
  EXPECT_EQ(s.actions[0].session_length, std::chrono::minutes(10));
  EXPECT_EQ(s.actions[0].bitrate_bps, 4e6);
  EXPECT_EQ(s.actions[0].ptz_commands, 12u);
}

TEST(ScenarioFileErrors, Checks) {
  const std::string head = R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]}
checks:
  - {id: first, expect: all_devices_connected}
)";
  const auto error = [&](const std::string& entry) { return parse_error(head + entry + "\n"); };
  expect_file_error(error("  - {id: first, expect: all_devices_connected}"), 7, "checks.1.id",
                    "\"first\" is already the id of checks.0");
  expect_file_error(error("  - {id: 'no spaces', expect: all_devices_connected}"), 7, "checks.1.id",
                    "1-64 characters");
  expect_file_error(error("  - {id: c, expect: nothing_broke}"), 7, "checks.1.expect",
                    "got \"nothing_broke\"; expected one of all_devices_connected");
  expect_file_error(error("  - {id: c, expect: all_devices_connected, within: 61m}"), 7,
                    "checks.1.within", "at most 1h (the scenario's duration)");
  expect_file_error(error("  - {id: c, expect: all_devices_connected, site: lund}"), 7,
                    "checks.1.site",
                    "not valid with expect: all_devices_connected; expected one of id, expect, "
                    "within");
  expect_file_error(error("  - {id: c, expect: connected_fraction, at: 2h, at_least: 1}"), 7,
                    "checks.1.at", "at most 1h");
  expect_file_error(error("  - {id: c, expect: connected_fraction, at_least: 1}"), 7, "checks.1.at",
                    "missing");
  expect_file_error(error("  - {id: c, expect: connected_fraction, at: 5m}"), 7, "checks.1",
                    "expected at_least, at_most or both");
  expect_file_error(error("  - {id: c, expect: connected_fraction, at: 5m, at_least: 1.5}"), 7,
                    "checks.1.at_least", "not a fraction");
  expect_file_error(
      error("  - {id: c, expect: connected_fraction, at: 5m, at_least: 0.9, at_most: 0.5}"), 7,
      "checks.1.at_most", "at_least <= at_most");
  expect_file_error(
      error("  - {id: c, expect: disconnected_fraction, at: 5m, site: malmo, at_least: 1}"), 7,
      "checks.1.site", "\"malmo\" is not a site");
  expect_file_error(error("  - {id: c, expect: metric, metric: frame_errors}"), 7, "checks.1",
                    "no bound");
  expect_file_error(error("  - {id: c, expect: metric, metric: frame_error, at_most: 0}"), 7,
                    "checks.1.metric", "\"frame_error\" is not a metric; expected one of devices,");
  expect_file_error(error("  - {id: c, expect: metric, at_most: 0}"), 7, "checks.1.metric",
                    "missing");
  expect_file_error(error("  - {id: c, expect: metric, metric: reconnects, at_least: lots}"), 7,
                    "checks.1.at_least", "expected a number");
  expect_file_error(error("  - {id: c, expect: metric, metric: reconnects, at: 5m, at_least: 1}"),
                    7, "checks.1.at", "not valid with expect: metric");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]}
checks: []
)"),
                    5, "checks", "at least one check");
}

TEST(ScenarioFileErrors, NotAScenarioDocument) {
  expect_file_error(parse_error(""), 1, "", "empty document");
  expect_file_error(parse_error("# only a comment\n"), 1, "", "empty document");
  const ScenarioError list = parse_error("# a list\n- a\n- b\n");
  EXPECT_EQ(list.line, 2);
  EXPECT_EQ(std::string(list.what()),
            "test.yaml:2: the document is a list; expected a map with "
            "name, duration, sites or fleet, and checks");
  expect_file_error(parse_error("just words\n"), 1, "", "the document is a value");
  expect_file_error(parse_error(std::string(kSmall) + "---\nname: y\n"), 9, "",
                    "a second YAML document");
  // yaml-cpp 0.7's LoadAll loops without end on these; the loader must answer at once.
  expect_file_error(parse_error(",\n"), 1, "", "unexpected character at column 1");
  expect_file_error(parse_error("name: x\n,\n"), 2, "", "invalid YAML");
}

TEST(ScenarioFileErrors, YamlSyntaxErrorsGiveTheirLine) {
  const ScenarioError error = parse_error(R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]
checks: []
)");
  EXPECT_EQ(error.file, kFile);
  EXPECT_GE(error.line, 4);
  EXPECT_LE(error.line, 6);
  EXPECT_NE(error.expected.find("invalid YAML"), std::string::npos) << error.what();
  expect_file_error(parse_error("name: x\n  duration: 1h\n"), 2, "", "invalid YAML");
}

TEST(ScenarioFileErrors, UnreadableFileIsNamed) {
  const std::string path = "/nonexistent/dir/none.yaml";
  try {
    load_scenario(path, {});
    FAIL() << "expected a ScenarioError";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(error.file, path);
    EXPECT_EQ(error.line, 0);
    EXPECT_EQ(std::string(error.what()).rfind(path + ": cannot be read", 0), 0u) << error.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Organizations, profiles, hosts, actions and onboarding checks

TEST(ScenarioFile, OnboardingFileGivesEveryField) {
  const Scenario scenario = parse(R"(
name: onboarding-full
duration: 2h
latest_lts: lts-2025
onboarding_timeout: 3m
profiles:
  managed-lts:
    mode: managed
    track: lts-2024
    allowed_apps: [motion-guard, people-count]
    capabilities: [webrtc]
  plain: {mode: connected}
organizations:
  - name: acme
    region: us-east
    default_profile: managed-lts
    licenses: {device-management: 40, video-streaming: 5, recording: 0}
    sites:
      - name: lund
        devices:
          - {kind: recorder, name: rec-1, model: rec-s3008, os: 11.10.0, track: active}
          - {kind: camera, model: tier2-box, count: 3, via: rec-1}
          - {kind: edge_host, name: edge-1}
          - {model: tier2-dome, count: 2, via: edge-1, track: lts-2024}
          - {kind: recorder}
      - name: malmo
        region: eu-central
        devices: [{count: 4}]
  - name: beta
    licenses: {video-streaming: 2}
    sites:
      - {name: ystad, devices: [{count: 5, model: tier1-dome}]}
  - name: empty
sites:
  - {name: orphan, devices: [{count: 1}]}
timeline:
  - {at: 1m, do: onboard, devices: all}
  - at: 2m
    do: onboard
    devices: {site: ystad, model: tier1-dome, count: 2}
    organization: acme
    as: administrator
    method: local
    profile: plain
    oak: wrong
    attempts: 7
  - {at: 3m, do: install_app, devices: {organization: acme}, app: motion-guard}
  - {at: 4m, do: use_local_administrator, devices: {site: lund}}
  - {at: 5m, do: install_os, devices: {model: tier2-box}, version: 12.2.0, track: active}
  - {at: 6m, do: set_latest_lts, track: lts-2026}
  - {at: 7m, do: request_live_video, devices: {site: malmo, count: 1}, as: viewer}
  - {at: 8m, do: delete_organization, organization: beta}
  - {at: 9m, do: fault, kind: partition, site: lund, for: 1m}
checks:
  - {id: acme-onboarded, expect: all_devices_onboarded, within: 30m, devices: {organization: acme}}
  - {id: all-onboarded, expect: all_devices_onboarded}
  - id: wrong-key
    expect: devices_with_status
    status: failed
    reason: "wrong OAK"
    devices: {site: ystad}
    at_least: 2
    at_most: 2
  - {id: managed, expect: devices_in_mode, mode: managed, devices: all, at_least: 10}
  - {id: audited, expect: audit_entries, trail: acme, topic: device.onboarded, detail: serial, at_least: 1, at_most: 15}
  - {id: registered, expect: audit_entries, trail: platform, topic: device.registered, at_least: 18}
  - {id: intact, expect: audit_trails_intact}
)");
  EXPECT_EQ(scenario.latest_lts_track, "lts-2025");
  EXPECT_EQ(scenario.onboarding_timeout, 3min);

  ASSERT_EQ(scenario.profiles.size(), 2u);  // in file order
  const Profile& managed_lts = scenario.profiles[0];
  EXPECT_EQ(managed_lts.name, "managed-lts");
  EXPECT_TRUE(managed_lts.managed);
  EXPECT_EQ(managed_lts.os_track, "lts-2024");
  EXPECT_EQ(managed_lts.allowed_apps, (std::vector<std::string>{"motion-guard", "people-count"}));
  EXPECT_EQ(managed_lts.capabilities, std::vector<std::string>{"webrtc"});
  const Profile& plain = scenario.profiles[1];
  EXPECT_EQ(plain.name, "plain");
  EXPECT_FALSE(plain.managed);
  EXPECT_EQ(plain.os_track, "lts-2024");
  EXPECT_TRUE(plain.allowed_apps.empty());
  EXPECT_TRUE(plain.capabilities.empty());

  ASSERT_EQ(scenario.organizations.size(), 3u);
  const Organization& acme = scenario.organizations[0];
  EXPECT_EQ(acme.name, "acme");
  EXPECT_EQ(acme.region, "us-east");
  EXPECT_EQ(acme.default_profile, "managed-lts");
  ASSERT_EQ(acme.licenses.size(), 3u);  // as given, in file order; no seats added
  EXPECT_EQ(acme.licenses[0].service, "device-management");
  EXPECT_EQ(acme.licenses[0].seats, 40u);
  EXPECT_EQ(acme.licenses[1].service, "video-streaming");
  EXPECT_EQ(acme.licenses[1].seats, 5u);
  EXPECT_EQ(acme.licenses[2].service, "recording");
  EXPECT_EQ(acme.licenses[2].seats, 0u);
  const Organization& beta = scenario.organizations[1];
  EXPECT_EQ(beta.region, "eu-west");
  EXPECT_EQ(beta.default_profile, "");
  ASSERT_EQ(beta.licenses.size(), 2u);  // device-management added: one seat per device it owns
  EXPECT_EQ(beta.licenses[0].service, "video-streaming");
  EXPECT_EQ(beta.licenses[0].seats, 2u);
  EXPECT_EQ(beta.licenses[1].service, "device-management");
  EXPECT_EQ(beta.licenses[1].seats, 5u);
  const Organization& empty = scenario.organizations[2];
  ASSERT_EQ(empty.licenses.size(), 1u);  // no devices: still one seat
  EXPECT_EQ(empty.licenses[0].service, "device-management");
  EXPECT_EQ(empty.licenses[0].seats, 1u);

  // Top-level sites first, then each organization's in order.
  ASSERT_EQ(scenario.sites.size(), 4u);
  EXPECT_EQ(scenario.sites[0].name, "orphan");
  EXPECT_EQ(scenario.sites[0].organization, -1);
  EXPECT_EQ(scenario.sites[0].region, "eu-west");
  const Site& lund = scenario.sites[1];
  EXPECT_EQ(lund.name, "lund");
  EXPECT_EQ(lund.organization, 0);
  EXPECT_EQ(lund.region, "us-east");  // the organization's
  EXPECT_EQ(scenario.sites[2].name, "malmo");
  EXPECT_EQ(scenario.sites[2].organization, 0);
  EXPECT_EQ(scenario.sites[2].region, "eu-central");  // its own wins
  EXPECT_EQ(scenario.sites[3].name, "ystad");
  EXPECT_EQ(scenario.sites[3].organization, 1);
  EXPECT_EQ(scenario.sites[3].region, "eu-west");
  EXPECT_EQ(scenario.device_count(), 18u);

  ASSERT_EQ(lund.devices.size(), 5u);
  const DeviceGroup& recorder = lund.devices[0];
  EXPECT_EQ(recorder.kind, "recorder");
  EXPECT_EQ(recorder.name, "rec-1");
  EXPECT_EQ(recorder.model, "rec-s3008");
  EXPECT_EQ(recorder.tier, 1u);
  EXPECT_EQ(recorder.os_version, "11.10.0");
  EXPECT_EQ(recorder.os_track, "active");
  EXPECT_EQ(recorder.count, 1u);
  EXPECT_EQ(recorder.via, "");
  const DeviceGroup& carried = lund.devices[1];
  EXPECT_EQ(carried.kind, "camera");
  EXPECT_EQ(carried.name, "");
  EXPECT_EQ(carried.model, "tier2-box");
  EXPECT_EQ(carried.tier, 2u);
  EXPECT_EQ(carried.count, 3u);
  EXPECT_EQ(carried.via, "rec-1");
  EXPECT_EQ(carried.os_track, "");  // not given: the profile's applies
  const DeviceGroup& edge = lund.devices[2];
  EXPECT_EQ(edge.kind, "edge_host");
  EXPECT_EQ(edge.name, "edge-1");
  EXPECT_EQ(edge.model, "edge-host");  // the kind's default model
  EXPECT_EQ(edge.tier, 1u);
  EXPECT_EQ(lund.devices[3].via, "edge-1");
  EXPECT_EQ(lund.devices[3].os_track, "lts-2024");
  EXPECT_EQ(lund.devices[4].kind, "recorder");
  EXPECT_EQ(lund.devices[4].name, "");
  EXPECT_EQ(lund.devices[4].model, "recorder");

  ASSERT_EQ(scenario.timeline.size(), 1u);  // faults apart from the other actions
  EXPECT_EQ(scenario.timeline[0].at, 9min);
  EXPECT_EQ(scenario.timeline[0].site, "lund");
  ASSERT_EQ(scenario.actions.size(), 8u);
  const Action& onboard_all = scenario.actions[0];
  EXPECT_EQ(onboard_all.kind, ActionKind::kOnboard);
  EXPECT_EQ(onboard_all.at, 1min);
  EXPECT_EQ(onboard_all.line, 36);
  EXPECT_EQ(onboard_all.devices.site, "");
  EXPECT_EQ(onboard_all.devices.organization, "");
  EXPECT_EQ(onboard_all.devices.model, "");
  EXPECT_EQ(onboard_all.devices.count, 0u);
  EXPECT_EQ(onboard_all.organization, "");
  EXPECT_EQ(onboard_all.as, ActingRole::kOwner);
  EXPECT_EQ(onboard_all.method, ClaimMethod::kOneClick);
  EXPECT_EQ(onboard_all.profile, "");
  EXPECT_FALSE(onboard_all.wrong_oak);
  EXPECT_EQ(onboard_all.attempts, 1u);
  const Action& onboard_some = scenario.actions[1];
  EXPECT_EQ(onboard_some.kind, ActionKind::kOnboard);
  EXPECT_EQ(onboard_some.at, 2min);
  EXPECT_EQ(onboard_some.line, 37);
  EXPECT_EQ(onboard_some.devices.site, "ystad");
  EXPECT_EQ(onboard_some.devices.model, "tier1-dome");
  EXPECT_EQ(onboard_some.devices.count, 2u);
  EXPECT_EQ(onboard_some.organization, "acme");
  EXPECT_EQ(onboard_some.as, ActingRole::kAdministrator);
  EXPECT_EQ(onboard_some.method, ClaimMethod::kLocal);
  EXPECT_EQ(onboard_some.profile, "plain");
  EXPECT_TRUE(onboard_some.wrong_oak);
  EXPECT_EQ(onboard_some.attempts, 7u);
  const Action& install_app = scenario.actions[2];
  EXPECT_EQ(install_app.kind, ActionKind::kInstallApp);
  EXPECT_EQ(install_app.devices.organization, "acme");
  EXPECT_EQ(install_app.app, "motion-guard");
  EXPECT_EQ(install_app.line, 46);
  const Action& local_admin = scenario.actions[3];
  EXPECT_EQ(local_admin.kind, ActionKind::kUseLocalAdministrator);
  EXPECT_EQ(local_admin.at, 4min);
  EXPECT_EQ(local_admin.devices.site, "lund");
  const Action& install_os = scenario.actions[4];
  EXPECT_EQ(install_os.kind, ActionKind::kInstallOs);
  EXPECT_EQ(install_os.devices.model, "tier2-box");
  EXPECT_EQ(install_os.version, "12.2.0");
  EXPECT_EQ(install_os.track, "active");
  const Action& set_lts = scenario.actions[5];
  EXPECT_EQ(set_lts.kind, ActionKind::kSetLatestLts);
  EXPECT_EQ(set_lts.track, "lts-2026");
  const Action& live_video = scenario.actions[6];
  EXPECT_EQ(live_video.kind, ActionKind::kRequestLiveVideo);
  EXPECT_EQ(live_video.devices.site, "malmo");
  EXPECT_EQ(live_video.devices.count, 1u);
  EXPECT_EQ(live_video.as, ActingRole::kViewer);
  const Action& delete_beta = scenario.actions[7];
  EXPECT_EQ(delete_beta.kind, ActionKind::kDeleteOrganization);
  EXPECT_EQ(delete_beta.at, 8min);
  EXPECT_EQ(delete_beta.organization, "beta");
  EXPECT_EQ(delete_beta.line, 51);

  ASSERT_EQ(scenario.checks.size(), 7u);
  const Check& acme_onboarded = scenario.checks[0];
  EXPECT_EQ(acme_onboarded.kind, CheckKind::kAllDevicesOnboarded);
  EXPECT_EQ(acme_onboarded.within, 30min);
  EXPECT_EQ(acme_onboarded.devices.organization, "acme");
  EXPECT_EQ(acme_onboarded.line, 54);
  const Check& all_onboarded = scenario.checks[1];
  EXPECT_EQ(all_onboarded.kind, CheckKind::kAllDevicesOnboarded);
  EXPECT_EQ(all_onboarded.within, 2h);  // the whole scenario
  EXPECT_EQ(all_onboarded.devices.organization, "");
  const Check& wrong_key = scenario.checks[2];
  EXPECT_EQ(wrong_key.kind, CheckKind::kDevicesWithStatus);
  EXPECT_EQ(wrong_key.status, "failed");
  EXPECT_EQ(wrong_key.reason, "wrong OAK");
  EXPECT_EQ(wrong_key.devices.site, "ystad");
  EXPECT_DOUBLE_EQ(wrong_key.at_least, 2);
  EXPECT_DOUBLE_EQ(wrong_key.at_most, 2);
  EXPECT_EQ(wrong_key.line, 56);
  const Check& managed = scenario.checks[3];
  EXPECT_EQ(managed.kind, CheckKind::kDevicesInMode);
  EXPECT_EQ(managed.mode, "managed");
  EXPECT_EQ(managed.devices.site, "");
  EXPECT_DOUBLE_EQ(managed.at_least, 10);
  EXPECT_EQ(managed.at_most, std::numeric_limits<double>::infinity());
  const Check& audited = scenario.checks[4];
  EXPECT_EQ(audited.kind, CheckKind::kAuditEntries);
  EXPECT_EQ(audited.trail, "acme");
  EXPECT_EQ(audited.topic, "device.onboarded");
  EXPECT_EQ(audited.detail, "serial");
  EXPECT_DOUBLE_EQ(audited.at_least, 1);
  EXPECT_DOUBLE_EQ(audited.at_most, 15);
  const Check& registered = scenario.checks[5];
  EXPECT_EQ(registered.trail, "platform");
  EXPECT_EQ(registered.topic, "device.registered");
  EXPECT_EQ(registered.detail, "");
  const Check& intact = scenario.checks[6];
  EXPECT_EQ(intact.kind, CheckKind::kAuditTrailsIntact);
  EXPECT_EQ(intact.line, 66);
}

TEST(ScenarioFile, OnboardingKeysHaveDefaults) {
  const Scenario scenario = parse(kSmall);
  EXPECT_EQ(scenario.latest_lts_track, "lts-2024");
  EXPECT_EQ(scenario.onboarding_timeout, 10min);
  EXPECT_TRUE(scenario.profiles.empty());
  EXPECT_TRUE(scenario.organizations.empty());
  EXPECT_TRUE(scenario.actions.empty());
  ASSERT_EQ(scenario.sites.size(), 1u);
  EXPECT_EQ(scenario.sites[0].organization, -1);
  const DeviceGroup& group = scenario.sites[0].devices[0];
  EXPECT_EQ(group.name, "");
  EXPECT_EQ(group.os_track, "");
  EXPECT_EQ(group.via, "");
}

TEST(ScenarioFile, DeviceManagementSeatsDefaultToTheOrganizationsDevices) {
  const Scenario scenario = parse(R"(
name: seats
duration: 1h
organizations:
  - name: acme
    region: us-west
    sites:
      - {name: lund, devices: [{kind: recorder, name: r}, {model: tier2-box, count: 3, via: r}]}
      - {name: malmo, devices: [{count: 2}]}
  - name: beta
    licenses: {device-management: 0}
fleet: {cameras: 7, sites: 2, organization: acme, track: lts-2024}
sites:
  - {name: orphan, devices: [{count: 50}]}
checks: [{id: up, expect: all_devices_connected}]
)");
  ASSERT_EQ(scenario.organizations.size(), 2u);
  const Organization& acme = scenario.organizations[0];
  ASSERT_EQ(acme.licenses.size(), 1u);
  EXPECT_EQ(acme.licenses[0].service, "device-management");
  EXPECT_EQ(acme.licenses[0].seats, 13u);  // 4 at lund, 2 at malmo, 7 in the fleet; hosts count
  const Organization& beta = scenario.organizations[1];
  ASSERT_EQ(beta.licenses.size(), 1u);
  EXPECT_EQ(beta.licenses[0].seats, 0u);  // given: kept, even when 0
  // The fleet's sites come last and belong to the organization named, in its region.
  ASSERT_EQ(scenario.sites.size(), 5u);
  for (std::size_t i = 3; i < 5; ++i) {
    EXPECT_EQ(scenario.sites[i].organization, 0) << i;
    EXPECT_EQ(scenario.sites[i].region, "us-west") << i;
    EXPECT_EQ(scenario.sites[i].devices[0].os_track, "lts-2024") << i;
  }
  EXPECT_EQ(scenario.sites[0].organization, -1);
}

TEST(ScenarioFile, HostsCarryCamerasOfTheirOwnSite) {
  const Scenario scenario = parse(R"(
name: hosts
duration: 1h
sites:
  - name: lund
    devices:
      - {kind: edge_host, name: host, model: tier2-looking-box}
      - {model: tier2-box, count: 200, via: host}
      - {model: tier1-bullet, count: 55, via: host}
      - {model: tier2-dome, via: host}
  - name: malmo
    devices:
      - {kind: recorder, name: host}
      - {model: tier2-box, count: 256, via: host}
checks: [{id: up, expect: all_devices_connected}]
)");
  ASSERT_EQ(scenario.sites.size(), 2u);
  const std::vector<DeviceGroup>& lund = scenario.sites[0].devices;
  EXPECT_EQ(lund[0].tier, 1u);  // only cameras are Tier-2, whatever the model
  EXPECT_EQ(lund[1].via, "host");
  EXPECT_EQ(lund[2].tier, 1u);  // a Tier-1 camera may be carried too
  EXPECT_EQ(lund[2].via, "host");
  EXPECT_EQ(lund[3].count, 1u);                         // 256 on the host: the most
  EXPECT_EQ(scenario.sites[1].devices[1].via, "host");  // the same name at another site
}

TEST(ScenarioFile, OnboardClaimsAllAtOnceUnlessSpreadOver) {
  const Scenario scenario = parse(std::string(kSmallOwned) + R"(timeline:
  - {at: 10m, do: onboard}
  - {at: 10m, do: onboard, over: 50m}
)");
  ASSERT_EQ(scenario.actions.size(), 2u);
  EXPECT_EQ(scenario.actions[0].over, 0s);
  EXPECT_EQ(scenario.actions[1].over, 50min);  // up to the end of the scenario
}

TEST(ScenarioFile, ScopedActorsAndAuditRetention) {
  const Scenario scenario = parse(R"(
name: scoped
duration: 1h
organizations:
  - name: acme
    audit_retention: {entries: 300, age: 30d}
    sites:
      - {name: lund, devices: [{count: 2}]}
  - name: globex
    audit_retention: {entries: 10}
    sites:
      - {name: boston, devices: [{count: 2}]}
timeline:
  - {at: 1m, do: onboard, as: administrator, scope: lund}
  - {at: 2m, do: request_live_video, as: viewer, scope: boston}
checks:
  - {id: up, expect: all_devices_connected}
)");
  EXPECT_EQ(scenario.organizations[0].audit_entries_max, 300u);
  EXPECT_EQ(scenario.organizations[0].audit_age_max, 30 * 24h);
  EXPECT_EQ(scenario.organizations[1].audit_entries_max, 10u);
  EXPECT_EQ(scenario.organizations[1].audit_age_max, platform::kAuditRetentionAgeMax);
  ASSERT_EQ(scenario.actions.size(), 2u);
  EXPECT_EQ(scenario.actions[0].scope, "lund");
  EXPECT_EQ(scenario.actions[0].as, ActingRole::kAdministrator);
  EXPECT_EQ(scenario.actions[1].scope, "boston");
}

TEST(ScenarioFileErrors, ScopesAndRetention) {
  const std::string head = R"(
name: x
duration: 1h
organizations:
  - name: acme
    sites:
      - {name: lund, devices: [{count: 2}]}
sites:
  - {name: free, devices: [{count: 1}]}
checks:
  - {id: up, expect: all_devices_connected}
timeline:
)";
  const auto error = [&](const std::string& entry) { return parse_error(head + entry + "\n"); };
  expect_file_error(error("  - {at: 1m, do: onboard, scope: lund}"), 12, "timeline.0.scope",
                    "whose role is organization-wide");
  expect_file_error(error("  - {at: 1m, do: onboard, as: viewer, scope: free}"), 12,
                    "timeline.0.scope", "belongs to no organization");
  expect_file_error(error("  - {at: 1m, do: onboard, as: viewer, scope: nowhere}"), 12,
                    "timeline.0.scope", "is not a site");
  expect_file_error(error("  - {at: 1m, do: install_app, app: a, scope: lund}"), 12,
                    "timeline.0.scope", "not valid with do: install_app");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
organizations:
  - name: acme
    audit_retention: {entries: 0}
    sites:
      - {name: lund, devices: [{count: 2}]}
checks:
  - {id: up, expect: all_devices_connected}
)"),
                    5, "organizations.0.audit_retention.entries", "1..1000000");
}

TEST(ScenarioFile, DeviceSelectionAllIsEmpty) {
  const Scenario scenario = parse(std::string(kSmallOwned) + R"(timeline:
  - {at: 1m, do: use_local_administrator, devices: all}
  - {at: 2m, do: use_local_administrator, devices: {}}
  - {at: 3m, do: use_local_administrator}
)");
  ASSERT_EQ(scenario.actions.size(), 3u);
  for (const Action& action : scenario.actions) {
    EXPECT_EQ(action.devices.site, "");
    EXPECT_EQ(action.devices.organization, "");
    EXPECT_EQ(action.devices.model, "");
    EXPECT_EQ(action.devices.count, 0u);
  }
}

TEST(ScenarioFile, EveryShippedScenarioLoads) {
  std::size_t loaded = 0;
  for (const char* suite : {"quickstart", "onboarding", "modes", "network"}) {
    const std::filesystem::path dir = source_dir() + "/scenarios/" + suite;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".yaml") continue;
      try {
        load_scenario(entry.path().string(), {});
      } catch (const ScenarioError& error) {
        ADD_FAILURE() << error.what();
      }
      ++loaded;
    }
  }
  EXPECT_GE(loaded, 2u);
}

TEST(ScenarioFileErrors, LatestLtsAndOnboardingTimeout) {
  // kSmall's 8 lines come first.
  const auto error = [](const std::string& line) {
    return parse_error(std::string(kSmall) + line + "\n");
  };
  expect_file_error(error("latest_lts: 'lts 2025'"), 9, "latest_lts", "1-64 characters");
  expect_file_error(error("latest_lts: [lts-2025]"), 9, "latest_lts", "got a list");
  expect_file_error(error("onboarding_timeout: soon"), 9, "onboarding_timeout",
                    "\"soon\" is not a duration");
  expect_file_error(error("onboarding_timeout: 500ms"), 9, "onboarding_timeout",
                    "got \"500ms\"; expected a duration of at least 1s and at most 1d");
  expect_file_error(error("onboarding_timeout: 25h"), 9, "onboarding_timeout", "at most 1d");
  expect_file_error(error("heartbeat: {interval: 500us}"), 9, "heartbeat.interval",
                    "expected a duration of at least 1ms and at most 1d");
}

TEST(ScenarioFileErrors, Profiles) {
  const std::string head = R"(
name: x
duration: 1h
profiles:
  p: {mode: managed}
)";
  const std::string tail = R"(sites:
  - {name: lund, devices: [{count: 1}]}
checks: [{id: up, expect: all_devices_connected}]
)";
  // The profile given is on line 5.
  const auto error = [&](const std::string& profile) {
    return parse_error(head + profile + "\n" + tail);
  };
  expect_file_error(error("  q: {mode: standalone}"), 5, "profiles.q.mode",
                    "got \"standalone\"; expected one of connected, managed");
  expect_file_error(error("  q: {track: lts-2024}"), 5, "profiles.q.mode",
                    "missing; expected connected or managed");
  expect_file_error(error("  q: {mode: managed, colour: red}"), 5, "profiles.q.colour",
                    "unknown key; expected one of mode, track, allowed_apps, capabilities");
  expect_file_error(error("  q: managed"), 5, "profiles.q",
                    "got a value; expected a map of mode, track, allowed_apps, capabilities");
  expect_file_error(error("  'bad name': {mode: managed}"), 5, "profiles",
                    "got \"bad name\"; expected 1-64 characters");
  expect_file_error(error("  p: {mode: connected}"), 5, "profiles.p",
                    "given twice; expected each profile once");
  expect_file_error(error("  q: {mode: managed, track: 'lts 2024'}"), 5, "profiles.q.track",
                    "1-64 characters");
  expect_file_error(error("  q: {mode: managed, allowed_apps: motion-guard}"), 5,
                    "profiles.q.allowed_apps", "got a value; expected a list of names");
  expect_file_error(error("  q: {mode: managed, allowed_apps: ['motion guard']}"), 5,
                    "profiles.q.allowed_apps.0", "1-64 characters");
  std::string apps;
  for (int i = 0; i < 65; ++i) apps += (i == 0 ? "app" : ", app") + std::to_string(i);
  expect_file_error(error("  q: {mode: managed, allowed_apps: [" + apps + "]}"), 5,
                    "profiles.q.allowed_apps", "65 items; expected at most 64");
  // The platform holds at most 16 capabilities per profile.
  std::string capabilities;
  for (int i = 0; i < 17; ++i) capabilities += (i == 0 ? "c" : ", c") + std::to_string(i);
  expect_file_error(error("  q: {mode: managed, capabilities: [" + capabilities + "]}"), 5,
                    "profiles.q.capabilities", "17 items; expected at most 16");

  expect_file_error(parse_error(R"(
name: x
duration: 1h
profiles: [p]
)"),
                    3, "profiles",
                    "got a list; expected a map from profile name to {mode, track, allowed_apps, "
                    "capabilities, update_policy, pinned_version, update_window, install_budget}");
  std::string many = "name: x\nduration: 1h\nprofiles:\n";
  for (int i = 0; i < 101; ++i) many += "  p" + std::to_string(i) + ": {mode: managed}\n";
  expect_file_error(parse_error(many), 3, "profiles", "101 profiles; expected at most 100");
}

TEST(ScenarioFileErrors, Organizations) {
  const std::string head = R"(
name: x
duration: 1h
profiles:
  p: {mode: managed}
organizations:
  - name: acme
    sites: [{name: lund, devices: [{count: 1}]}]
)";
  // The second organization is on line 8.
  const auto error = [&](const std::string& organization) {
    return parse_error(head + organization +
                       "\nchecks: [{id: up, expect: all_devices_connected}]\n");
  };
  expect_file_error(error("  - {name: acme}"), 8, "organizations.1.name",
                    "\"acme\" names another organization; expected a unique name");
  expect_file_error(error("  - {name: ACME}"), 8, "organizations.1.name",
                    "\"ACME\" names another organization (\"acme\": addresses ignore case)");
  expect_file_error(error("  - {region: us-east}"), 8, "organizations.1.name",
                    "missing; expected 1-64 characters");
  expect_file_error(error("  - {name: 'globex inc'}"), 8, "organizations.1.name",
                    "1-64 characters");
  // The name goes into its users' addresses, owner@NAME.example.
  for (const char* name : {"globex_inc", "globex-", "-globex", "globex..inc", ".globex"}) {
    expect_file_error(error("  - {name: '" + std::string(name) + "'}"), 8, "organizations.1.name",
                      "as its users' addresses owner@NAME.example need");
  }
  expect_file_error(error("  - {name: globex, colour: red}"), 8, "organizations.1.colour",
                    "unknown key; expected one of name, region, licenses, default_profile, "
                    "audit_retention, update_windows, sites");
  expect_file_error(error("  - {name: globex, region: mars}"), 8, "organizations.1.region",
                    "got \"mars\"; expected one of eu-west, eu-central, us-east, us-west, "
                    "ap-south, ap-northeast");
  expect_file_error(error("  - {name: globex, licenses: {storage: 5}}"), 8,
                    "organizations.1.licenses.storage",
                    "unknown key; expected one of device-management, video-streaming, recording");
  expect_file_error(error("  - {name: globex, licenses: {recording: 1000001}}"), 8,
                    "organizations.1.licenses.recording",
                    "got \"1000001\"; expected a whole number in 0..1000000");
  expect_file_error(error("  - {name: globex, licenses: {recording: -1}}"), 8,
                    "organizations.1.licenses.recording", "got \"-1\"");
  expect_file_error(error("  - {name: globex, licenses: [recording]}"), 8,
                    "organizations.1.licenses", "got a list; expected a map of device-management");
  expect_file_error(error("  - {name: globex, default_profile: q}"), 8,
                    "organizations.1.default_profile", "\"q\" is not a profile; expected one of p");
  expect_file_error(error("  - {name: globex, sites: lund}"), 8, "organizations.1.sites",
                    "got a value; expected a list of sites");
  expect_file_error(error("  - {name: globex, sites: [{name: lund, devices: [{count: 1}]}]}"), 8,
                    "organizations.1.sites.0.name",
                    "\"lund\" is already taken by organizations.0.sites.0");
  expect_file_error(error("  - {name: globex, sites: [{name: malmo, devices: []}]}"), 8,
                    "organizations.1.sites.0.devices", "at least one device group");

  expect_file_error(parse_error(R"(
name: x
duration: 1h
organizations:
  - name: acme
    default_profile: p
    sites: [{name: lund, devices: [{count: 1}]}]
checks: [{id: up, expect: all_devices_connected}]
)"),
                    5, "organizations.0.default_profile",
                    "\"p\" is not a profile; the scenario defines none");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
organizations: {name: acme}
)"),
                    3, "organizations", "got a map; expected a list of organizations");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
organizations:
  - name: acme
fleet: {cameras: 5, organization: globex}
)"),
                    5, "fleet.organization",
                    "\"globex\" is not an organization; expected one of acme");
}

TEST(ScenarioFileErrors, HostsAndVia) {
  const std::string head = R"(
name: x
duration: 1h
sites:
  - name: lund
    devices:
      - {kind: recorder, name: rec}
)";
  // The groups given start on line 7 (sites.0.devices.1).
  const auto error = [&](const std::string& groups) { return parse_error(head + groups); };
  expect_file_error(error("      - {model: tier2-box, via: nvr}\n"), 7, "sites.0.devices.1.via",
                    "\"nvr\" is no recorder or edge host named before it at site lund; expected "
                    "the name of one");
  expect_file_error(error("      - {model: tier2-box, via: late}\n"
                          "      - {kind: edge_host, name: late}\n"),
                    7, "sites.0.devices.1.via", "no recorder or edge host named before it");
  expect_file_error(error("      - {model: tier2-box}\n"), 7, "sites.0.devices.1",
                    "a Tier-2 camera (model \"tier2-box\") has no connection of its own; expected "
                    "via: the name of a recorder or edge host of the same site");
  expect_file_error(error("      - model: tier2-dome\n"
                          "        count: 3\n"),
                    7, "sites.0.devices.1", "a Tier-2 camera");
  expect_file_error(error("      - {kind: recorder, name: rec2, via: rec}\n"), 7,
                    "sites.0.devices.1.via", "given for a recorder; expected via only on cameras");
  expect_file_error(error("      - {kind: edge_host, name: e, via: rec}\n"), 7,
                    "sites.0.devices.1.via", "expected via only on cameras");
  expect_file_error(error("      - {kind: camera, name: cam}\n"), 7, "sites.0.devices.1.name",
                    "given for a camera; expected names only on recorders and edge hosts");
  expect_file_error(error("      - {name: cam}\n"), 7, "sites.0.devices.1.name",
                    "given for a camera");
  expect_file_error(error("      - {kind: recorder, name: 'rec 2'}\n"), 7, "sites.0.devices.1.name",
                    "1-64 characters");
  expect_file_error(error("      - {kind: edge_host, name: e, count: 2}\n"), 7,
                    "sites.0.devices.1.count",
                    "got 2 for the named host \"e\"; expected 1, so that cameras name one device");
  expect_file_error(error("      - {kind: recorder, name: rec}\n"), 7, "sites.0.devices.1.name",
                    "\"rec\" names another device of this site; expected a unique name");
  expect_file_error(error("      - {model: tier2-box, count: 200, via: rec}\n"
                          "      - {model: tier2-box, count: 56, via: rec}\n"
                          "      - {model: tier2-box, count: 2, via: rec}\n"),
                    9, "sites.0.devices.3.count",
                    "brings rec to 258 devices; expected at most 256 on one host");
  // Without a count the group itself is blamed, not a key it does not have.
  expect_file_error(error("      - {model: tier2-box, count: 256, via: rec}\n"
                          "      - {model: tier2-box, via: rec}\n"),
                    8, "sites.0.devices.2",
                    "brings rec to 257 devices; expected at most 256 on one host");
  // A host carries the cameras of its own site only.
  expect_file_error(error("  - name: malmo\n"
                          "    devices:\n"
                          "      - {model: tier2-box, via: rec}\n"),
                    9, "sites.1.devices.0.via",
                    "\"rec\" is no recorder or edge host named before it at site malmo");
}

TEST(ScenarioFileErrors, Actions) {
  const std::string head = R"(
name: x
duration: 1h
profiles:
  p: {mode: managed}
organizations:
  - name: acme
    sites:
      - name: lund
        devices:
          - {kind: recorder, name: rec}
          - {model: tier2-box, count: 2, via: rec}
timeline:
)";
  // The entry is on line 13: timeline.0.
  const auto error = [&](const std::string& entry) { return parse_error(head + entry + "\n"); };
  expect_file_error(error("  - {at: 1m, do: reboot}"), 13, "timeline.0.do",
                    "got \"reboot\"; expected one of fault, onboard, install_app, "
                    "use_local_administrator, install_os, set_latest_lts, request_live_video, "
                    "delete_organization");
  expect_file_error(error("  - {at: 1m, devices: all}"), 13, "timeline.0.do",
                    "missing; expected one of fault, onboard");
  expect_file_error(error("  - onboard"), 13, "timeline.0",
                    "got a value; expected a map such as {at: 10m, do: onboard, devices: all}");
  expect_file_error(error("  - {do: onboard}"), 13, "timeline.0.at", "missing");
  expect_file_error(error("  - {at: 1h, do: onboard}"), 13, "timeline.0.at",
                    "before the end of the scenario");
  expect_file_error(error("  - {at: 1m, do: onboard, colour: red}"), 13, "timeline.0.colour",
                    "unknown key; expected one of at, do, devices");
  expect_file_error(error("  - {at: 1m, do: onboard, app: motion-guard}"), 13, "timeline.0.app",
                    "not valid with do: onboard; expected one of at, do, devices, organization, "
                    "as, scope, method, profile, oak, attempts");
  expect_file_error(error("  - {at: 1m, do: set_latest_lts, devices: all, track: lts-2025}"), 13,
                    "timeline.0.devices",
                    "not valid with do: set_latest_lts; expected one of at, do, track");
  expect_file_error(error("  - {at: 1m, do: request_live_video, method: local}"), 13,
                    "timeline.0.method",
                    "not valid with do: request_live_video; expected one of at, do, devices, as");
  expect_file_error(error("  - {at: 1m, do: delete_organization, organization: acme, as: owner}"),
                    13, "timeline.0.as", "not valid with do: delete_organization");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, devices: all}"), 13,
                    "timeline.0.devices",
                    "not valid with do: fault, kind: partition; expected one of at, do, kind, for, "
                    "site, region");
  // Required keys.
  expect_file_error(error("  - {at: 1m, do: install_app}"), 13, "timeline.0.app",
                    "missing; expected an app name such as motion-guard");
  expect_file_error(error("  - {at: 1m, do: install_app, app: 'motion guard'}"), 13,
                    "timeline.0.app", "1-64 characters");
  expect_file_error(error("  - {at: 1m, do: install_os, track: active}"), 13, "timeline.0.version",
                    "missing; expected an OS version such as 12.2.0");
  expect_file_error(error("  - {at: 1m, do: install_os, version: 12.2.0}"), 13, "timeline.0.track",
                    "missing; expected an OS track such as lts-2024");
  expect_file_error(error("  - {at: 1m, do: set_latest_lts}"), 13, "timeline.0.track",
                    "missing; expected an OS track");
  expect_file_error(error("  - {at: 1m, do: delete_organization}"), 13, "timeline.0.organization",
                    "missing; expected the name of the organization to delete");
  // References.
  expect_file_error(error("  - {at: 1m, do: delete_organization, organization: globex}"), 13,
                    "timeline.0.organization",
                    "\"globex\" is not an organization; expected one of acme");
  expect_file_error(error("  - {at: 1m, do: onboard, organization: globex}"), 13,
                    "timeline.0.organization", "\"globex\" is not an organization");
  expect_file_error(error("  - {at: 1m, do: onboard, profile: q}"), 13, "timeline.0.profile",
                    "\"q\" is not a profile; expected one of p");
  // Onboard's words and numbers.
  expect_file_error(error("  - {at: 1m, do: onboard, as: janitor}"), 13, "timeline.0.as",
                    "got \"janitor\"; expected one of owner, administrator, operator, viewer");
  expect_file_error(error("  - {at: 1m, do: request_live_video, as: guest}"), 13, "timeline.0.as",
                    "expected one of owner, administrator, operator, viewer");
  expect_file_error(error("  - {at: 1m, do: onboard, method: qr-code}"), 13, "timeline.0.method",
                    "got \"qr-code\"; expected one of one-click, local");
  expect_file_error(error("  - {at: 1m, do: onboard, oak: maybe}"), 13, "timeline.0.oak",
                    "got \"maybe\"; expected one of right, wrong");
  expect_file_error(error("  - {at: 1m, do: onboard, oak: [wrong]}"), 13, "timeline.0.oak",
                    "got a list");
  expect_file_error(error("  - {at: 1m, do: onboard, attempts: 0}"), 13, "timeline.0.attempts",
                    "got \"0\"; expected a whole number in 1..100");
  expect_file_error(error("  - {at: 1m, do: onboard, attempts: 101}"), 13, "timeline.0.attempts",
                    "got \"101\"; expected a whole number in 1..100");
  expect_file_error(error("  - {at: 50m, do: onboard, over: 11m}"), 13, "timeline.0.over",
                    "got \"11m\"; expected a duration of at most 10m (the time left in the "
                    "scenario)");
  expect_file_error(error("  - {at: 1m, do: install_app, app: motion-guard, over: 5m}"), 13,
                    "timeline.0.over", "not valid with do: install_app");

  // Without profiles an onboarding cannot name one.
  expect_file_error(parse_error(std::string(kSmallOwned) + R"(timeline:
  - {at: 1m, do: onboard, profile: p}
)"),
                    12, "timeline.0.profile", "\"p\" is not a profile; the scenario defines none");
}

TEST(ScenarioFileErrors, DeviceSelections) {
  const std::string head = R"(
name: x
duration: 1h
organizations:
  - name: acme
    sites: [{name: lund, devices: [{count: 2}]}]
timeline:
)";
  // The entry is on line 7: timeline.0.
  const auto error = [&](const std::string& devices) {
    return parse_error(head + "  - {at: 1m, do: onboard, devices: " + devices + "}\n");
  };
  expect_file_error(error("everything"), 7, "timeline.0.devices",
                    "got \"everything\"; expected all");
  expect_file_error(error("[lund]"), 7, "timeline.0.devices",
                    "got a list; expected a map of site, organization, model, count");
  expect_file_error(error("{colour: red}"), 7, "timeline.0.devices.colour",
                    "unknown key; expected one of site, organization, model, count");
  expect_file_error(error("{site: malmo}"), 7, "timeline.0.devices.site",
                    "\"malmo\" is not a site; expected one of lund");
  expect_file_error(error("{organization: globex}"), 7, "timeline.0.devices.organization",
                    "\"globex\" is not an organization; expected one of acme");
  expect_file_error(error("{model: tier3-ptz}"), 7, "timeline.0.devices.model",
                    "\"tier3-ptz\" is the model of no device in the scenario");
  expect_file_error(error("{count: 0}"), 7, "timeline.0.devices.count",
                    "got \"0\"; expected a whole number in 1..1000000");
  // Checks select the same way.
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites: [{name: lund, devices: [{count: 2}]}]
checks:
  - {id: c, expect: devices_in_mode, mode: managed, devices: {site: ystad}, at_least: 1}
)"),
                    5, "checks.0.devices.site", "\"ystad\" is not a site; expected one of lund");
}

TEST(ScenarioFileErrors, OnboardingChecks) {
  const std::string head = R"(
name: x
duration: 1h
organizations:
  - name: acme
    sites: [{name: lund, devices: [{count: 2}]}]
checks:
)";
  // The check is on line 7: checks.0.
  const auto error = [&](const std::string& check) { return parse_error(head + check + "\n"); };
  expect_file_error(error("  - {id: c, expect: all_devices_onboarded, within: 2h}"), 7,
                    "checks.0.within", "at most 1h (the scenario's duration)");
  expect_file_error(error("  - {id: c, expect: all_devices_onboarded, within: 0s}"), 7,
                    "checks.0.within", "above 0");
  expect_file_error(error("  - {id: c, expect: all_devices_onboarded, at: 5m}"), 7, "checks.0.at",
                    "not valid with expect: all_devices_onboarded; expected one of id, expect, "
                    "within, devices");
  expect_file_error(error("  - {id: c, expect: all_devices_onboarded, at_least: 1}"), 7,
                    "checks.0.at_least", "not valid with expect: all_devices_onboarded");
  // devices_with_status
  expect_file_error(error("  - {id: c, expect: devices_with_status, at_least: 1}"), 7,
                    "checks.0.status",
                    "missing; expected one of registered, onboarding, onboarded, failed");
  expect_file_error(error("  - {id: c, expect: devices_with_status, status: lost, at_least: 1}"), 7,
                    "checks.0.status",
                    "got \"lost\"; expected one of registered, onboarding, onboarded, failed");
  expect_file_error(error("  - {id: c, expect: devices_with_status, status: failed}"), 7,
                    "checks.0", "has no bound; expected at_least, at_most or both");
  expect_file_error(error("  - {id: c, expect: devices_with_status, status: failed, reason: '" +
                          std::string(257, 'r') + "', at_least: 1}"),
                    7, "checks.0.reason", "257 characters; expected at most 256");
  expect_file_error(
      error("  - {id: c, expect: devices_with_status, status: failed, at_least: 3, at_most: 2}"), 7,
      "checks.0.at_most", "at_least <= at_most");
  expect_file_error(
      error("  - {id: c, expect: devices_with_status, status: failed, mode: managed, at_most: 0}"),
      7, "checks.0.mode", "not valid with expect: devices_with_status");
  // devices_in_mode
  expect_file_error(error("  - {id: c, expect: devices_in_mode, at_least: 1}"), 7, "checks.0.mode",
                    "missing; expected one of standalone, connected, managed");
  expect_file_error(error("  - {id: c, expect: devices_in_mode, mode: offline, at_least: 1}"), 7,
                    "checks.0.mode",
                    "got \"offline\"; expected one of standalone, connected, managed");
  expect_file_error(error("  - {id: c, expect: devices_in_mode, mode: managed, at_least: lots}"), 7,
                    "checks.0.at_least", "expected a number");
  expect_file_error(
      error("  - {id: c, expect: devices_in_mode, mode: managed, status: failed, at_least: 1}"), 7,
      "checks.0.status", "not valid with expect: devices_in_mode");
  // audit_entries
  expect_file_error(error("  - {id: c, expect: audit_entries, topic: device.onboarded, "
                          "at_least: 1}"),
                    7, "checks.0.trail", "missing; expected an organization or platform");
  expect_file_error(error("  - {id: c, expect: audit_entries, trail: globex, "
                          "topic: device.onboarded, at_least: 1}"),
                    7, "checks.0.trail",
                    "\"globex\" is not an audit trail (an organization, or platform); expected "
                    "one of acme, platform");
  expect_file_error(error("  - {id: c, expect: audit_entries, trail: acme, at_least: 1}"), 7,
                    "checks.0.topic", "missing; expected an audit topic such as device.onboarded");
  expect_file_error(error("  - {id: c, expect: audit_entries, trail: acme, "
                          "topic: device.exploded, at_least: 1}"),
                    7, "checks.0.topic",
                    "\"device.exploded\" is not an audit topic; expected one of "
                    "organization.created, member.invited,");
  expect_file_error(error("  - {id: c, expect: audit_entries, trail: acme, "
                          "topic: [device.onboarded], at_least: 1}"),
                    7, "checks.0.topic", "got a list; expected an audit topic");
  expect_file_error(
      error("  - {id: c, expect: audit_entries, trail: acme, topic: device.onboarded}"), 7,
      "checks.0", "has no bound");
  expect_file_error(error("  - {id: c, expect: audit_entries, trail: acme, "
                          "topic: device.onboarded, devices: all, at_least: 1}"),
                    7, "checks.0.devices",
                    "not valid with expect: audit_entries; expected one of id, expect, trail, "
                    "topic, detail, at_least, at_most");
  expect_file_error(error("  - {id: c, expect: audit_entries, trail: acme, "
                          "topic: device.onboarded, detail: '" +
                          std::string(257, 'd') + "', at_least: 1}"),
                    7, "checks.0.detail", "257 characters; expected at most 256");
  // audit_trails_intact
  expect_file_error(error("  - {id: c, expect: audit_trails_intact, at_least: 1}"), 7,
                    "checks.0.at_least",
                    "not valid with expect: audit_trails_intact; expected one of id, expect");
  expect_file_error(error("  - {id: c, expect: audit_trails_intact, trail: acme}"), 7,
                    "checks.0.trail", "not valid with expect: audit_trails_intact");
  // Without organizations, only the platform's trail exists.
  expect_file_error(parse_error(R"(
name: x
duration: 1h
sites: [{name: lund, devices: [{count: 2}]}]
checks:
  - {id: c, expect: audit_entries, trail: acme, topic: device.registered, at_least: 1}
)"),
                    5, "checks.0.trail", "expected one of platform");
}

TEST(ScenarioOverrides, OnboardingReferencesBrokenByAnOverrideNameIt) {
  const std::string file = R"(
name: x
duration: 1h
profiles:
  p: {mode: managed}
organizations:
  - name: acme
    default_profile: p
    sites: [{name: lund, devices: [{count: 2}]}]
timeline:
  - {at: 1m, do: onboard, devices: all}
checks: [{id: up, expect: all_devices_connected}]
)";
  expect_override_error(parse_error(file, {{"organizations.0.default_profile", "q"}}),
                        "organizations.0.default_profile=q", "organizations.0.default_profile",
                        "\"q\" is not a profile; expected one of p");
  expect_override_error(parse_error(file, {{"timeline.0.attempts", "0"}}), "timeline.0.attempts=0",
                        "timeline.0.attempts", "1..100");
  const Scenario scenario = parse(file, {{"organizations.0.licenses", "{device-management: 1}"},
                                         {"timeline.0.oak", "wrong"},
                                         {"latest_lts", "lts-2025"}});
  ASSERT_EQ(scenario.organizations[0].licenses.size(), 1u);
  EXPECT_EQ(scenario.organizations[0].licenses[0].seats, 1u);
  EXPECT_TRUE(scenario.actions[0].wrong_oak);
  EXPECT_EQ(scenario.latest_lts_track, "lts-2025");
}

// ---------------------------------------------------------------------------------------------
// Software updates, tasks and insights

TEST(ScenarioFile, UpdatesFileGivesEveryField) {
  const Scenario scenario = parse(R"(
name: updates-full
duration: 1d
epoch: 2026-03-23T00:00:00Z
release_check_interval: 30m
telemetry_interval: 15m
releases:
  - version: 11.11.5
    track: lts-2024
    at: 1h
    size: 1.5GB
    failure_share: 5%
    tampered: true
  - {version: 11.12.0}
  - {version: 10.12.9, size: 900B, tampered: false}
profiles:
  office:
    mode: managed
    update_policy: pinned
    pinned_version: 11.11.0
    update_window: {days: [sat, sun], start: "02:00", duration: 3h}
  plain: {mode: connected, update_policy: latest}
organizations:
  - name: acme
    default_profile: office
    update_windows: false
    sites:
      - name: lund
        time_zone: Europe/Stockholm
        devices:
          - kind: edge_host
            name: edge-1
            telemetry: {load: 95%, sd_card_health: 0.1, crashes_per_day: 5}
          - {model: tier2-box, count: 3, via: edge-1}
          - {count: 2, os: 10.12.5}
fleet:
  cameras: 4
  sites: 2
  organization: acme
  time_zone: America/New_York
  telemetry: {crashes_per_day: 0.5}
sites:
  - {name: free, devices: [{count: 1}]}
timeline:
  - at: 1m
    do: set_overlay_text
    devices: {site: lund}
    as: operator
    scope: lund
    text: "Lobby: north door"
    name: overlay-1
  - {at: 2m, do: deploy, devices: {organization: acme}, as: administrator, version: 11.11.5}
  - at: 3m
    do: rollout
    devices: {site: lund}
    as: administrator
    scope: lund
    version: 10.12.9
    name: wave
    stages: [{devices: 1, success_threshold: 90%}, {devices: 0}]
    starts_per_minute: 10
    abort: {failure_share: 20%, after: 2}
  - {at: 4m, do: rollout, version: 11.12.0, name: plain-wave, devices: {site: site-0001}}
  - {at: 5m, do: restart_host, devices: {model: edge-host}}
  - {at: 6m, do: add_device_locally, devices: {model: tier2-box, count: 1}}
  - {at: 7m, do: set_diagnostics, devices: all, as: administrator, granted: false}
  - {at: 8m, do: set_diagnostics, devices: {site: lund}}
checks:
  - id: on-patch
    expect: devices_on_version
    version: 11.11.5
    devices: {site: lund}
    at: 12h
    at_least: 1
  - {id: none-on-active, expect: devices_on_version, version: 11.12.0, at_most: 0}
  - {id: in-window, expect: updates_outside_window, at_most: 0}
  - {id: wave-done, expect: rollout_state, rollout: wave, state: finished, at_least: 5}
  - {id: plain-aborted, expect: rollout_state, rollout: plain-wave, state: aborted}
  - id: overlays
    expect: tasks
    action: set_overlay_text
    status: succeeded
    origin: user
    devices: {site: lund}
    at_least: 5
    at_most: 6
  - {id: any-task, expect: tasks, at_least: 1}
  - {id: worn, expect: insights, insight: sd_card_replace, devices: {model: edge-host}, at_least: 1}
)");
  EXPECT_EQ(scenario.epoch.utc, std::chrono::sys_days{std::chrono::year{2026} / 3 / 23});
  EXPECT_EQ(scenario.release_check_interval, 30min);
  EXPECT_EQ(scenario.telemetry_interval, 15min);

  ASSERT_EQ(scenario.releases.size(), 3u);
  const Release& patch = scenario.releases[0];
  EXPECT_EQ(patch.version, "11.11.5");
  EXPECT_EQ(patch.track, "lts-2024");
  EXPECT_EQ(patch.published_at, 1h);
  EXPECT_EQ(patch.size_bytes, 1'500'000'000u);
  EXPECT_DOUBLE_EQ(patch.failure_share, 0.05);
  EXPECT_TRUE(patch.tampered);
  EXPECT_EQ(patch.line, 7);
  const Release& active = scenario.releases[1];
  EXPECT_EQ(active.track, "active");  // filled in from the version
  EXPECT_EQ(active.published_at, 0s);
  EXPECT_EQ(active.size_bytes, 150'000'000u);
  EXPECT_DOUBLE_EQ(active.failure_share, 0.0);
  EXPECT_FALSE(active.tampered);
  EXPECT_EQ(active.line, 13);
  EXPECT_EQ(scenario.releases[2].track, "lts-2022");
  EXPECT_EQ(scenario.releases[2].size_bytes, 900u);
  EXPECT_FALSE(scenario.releases[2].tampered);

  ASSERT_EQ(scenario.profiles.size(), 2u);
  const Profile& office = scenario.profiles[0];
  EXPECT_EQ(office.update_policy, UpdatePolicy::kPinned);
  EXPECT_EQ(office.pinned_version, "11.11.0");
  ASSERT_TRUE(office.update_window.has_value());
  EXPECT_EQ(office.update_window->days,
            platform::WeekdaySet()
                .set(static_cast<std::size_t>(platform::Weekday::kSaturday))
                .set(static_cast<std::size_t>(platform::Weekday::kSunday)));
  EXPECT_EQ(office.update_window->start, 2h);
  EXPECT_EQ(office.update_window->duration, 3h);
  const Profile& plain = scenario.profiles[1];
  EXPECT_EQ(plain.update_policy, UpdatePolicy::kLatest);
  EXPECT_EQ(plain.pinned_version, "");
  EXPECT_FALSE(plain.update_window.has_value());

  ASSERT_EQ(scenario.organizations.size(), 1u);
  EXPECT_FALSE(scenario.organizations[0].update_windows);

  ASSERT_EQ(scenario.sites.size(), 4u);  // free, lund, then the fleet's two
  EXPECT_EQ(scenario.sites[0].time_zone, "UTC");
  const Site& lund = scenario.sites[1];
  EXPECT_EQ(lund.time_zone, "Europe/Stockholm");
  ASSERT_EQ(lund.devices.size(), 3u);
  EXPECT_DOUBLE_EQ(lund.devices[0].telemetry.load, 0.95);
  EXPECT_DOUBLE_EQ(lund.devices[0].telemetry.sd_card_health, 0.1);
  EXPECT_DOUBLE_EQ(lund.devices[0].telemetry.crashes_per_day, 5.0);
  EXPECT_DOUBLE_EQ(lund.devices[1].telemetry.load, 0.3);
  EXPECT_DOUBLE_EQ(lund.devices[1].telemetry.sd_card_health, 1.0);
  EXPECT_DOUBLE_EQ(lund.devices[1].telemetry.crashes_per_day, 0.0);
  for (std::size_t i = 2; i < 4; ++i) {
    EXPECT_EQ(scenario.sites[i].time_zone, "America/New_York");
    EXPECT_DOUBLE_EQ(scenario.sites[i].devices[0].telemetry.crashes_per_day, 0.5);
    EXPECT_DOUBLE_EQ(scenario.sites[i].devices[0].telemetry.load, 0.3);
  }

  ASSERT_EQ(scenario.actions.size(), 8u);
  const Action& overlay = scenario.actions[0];
  EXPECT_EQ(overlay.kind, ActionKind::kSetOverlayText);
  EXPECT_EQ(overlay.devices.site, "lund");
  EXPECT_EQ(overlay.as, ActingRole::kOperator);
  EXPECT_EQ(overlay.scope, "lund");
  EXPECT_EQ(overlay.text, "Lobby: north door");
  EXPECT_EQ(overlay.name, "overlay-1");
  EXPECT_EQ(overlay.line, 44);
  const Action& deploy = scenario.actions[1];
  EXPECT_EQ(deploy.kind, ActionKind::kDeploy);
  EXPECT_EQ(deploy.devices.organization, "acme");
  EXPECT_EQ(deploy.as, ActingRole::kAdministrator);
  EXPECT_EQ(deploy.version, "11.11.5");
  EXPECT_EQ(deploy.name, "");
  const Action& wave = scenario.actions[2];
  EXPECT_EQ(wave.kind, ActionKind::kRollout);
  EXPECT_EQ(wave.at, 3min);
  EXPECT_EQ(wave.scope, "lund");
  EXPECT_EQ(wave.version, "10.12.9");  // a release's version
  EXPECT_EQ(wave.name, "wave");
  ASSERT_EQ(wave.rollout.stages.size(), 2u);
  EXPECT_EQ(wave.rollout.stages[0].devices, 1u);
  EXPECT_DOUBLE_EQ(wave.rollout.stages[0].success_threshold, 0.9);
  EXPECT_EQ(wave.rollout.stages[1].devices, 0u);
  EXPECT_DOUBLE_EQ(wave.rollout.stages[1].success_threshold, 1.0);
  EXPECT_EQ(wave.rollout.starts_per_minute, 10u);
  EXPECT_DOUBLE_EQ(wave.rollout.abort_failure_share, 0.2);
  EXPECT_EQ(wave.rollout.abort_after, 2u);
  const Action& plain_wave = scenario.actions[3];
  EXPECT_EQ(plain_wave.name, "plain-wave");
  EXPECT_TRUE(plain_wave.rollout.stages.empty());  // one stage of every device
  EXPECT_EQ(plain_wave.rollout.starts_per_minute, 0u);
  EXPECT_DOUBLE_EQ(plain_wave.rollout.abort_failure_share, 1.0);
  EXPECT_EQ(plain_wave.rollout.abort_after, 1u);
  EXPECT_EQ(scenario.actions[4].kind, ActionKind::kRestartHost);
  EXPECT_EQ(scenario.actions[4].devices.model, "edge-host");
  EXPECT_EQ(scenario.actions[5].kind, ActionKind::kAddDeviceLocally);
  EXPECT_EQ(scenario.actions[5].devices.count, 1u);
  EXPECT_EQ(scenario.actions[6].kind, ActionKind::kSetDiagnostics);
  EXPECT_FALSE(scenario.actions[6].granted);
  EXPECT_EQ(scenario.actions[6].as, ActingRole::kAdministrator);
  EXPECT_TRUE(scenario.actions[7].granted);

  ASSERT_EQ(scenario.checks.size(), 8u);
  const Check& on_patch = scenario.checks[0];
  EXPECT_EQ(on_patch.kind, CheckKind::kDevicesOnVersion);
  EXPECT_EQ(on_patch.version, "11.11.5");
  EXPECT_EQ(on_patch.devices.site, "lund");
  EXPECT_EQ(on_patch.at, 12h);
  EXPECT_DOUBLE_EQ(on_patch.at_least, 1.0);
  EXPECT_EQ(scenario.checks[1].at, 24h);  // the end
  EXPECT_DOUBLE_EQ(scenario.checks[1].at_most, 0.0);
  EXPECT_EQ(scenario.checks[2].kind, CheckKind::kUpdatesOutsideWindow);
  EXPECT_DOUBLE_EQ(scenario.checks[2].at_most, 0.0);
  const Check& wave_done = scenario.checks[3];
  EXPECT_EQ(wave_done.kind, CheckKind::kRolloutState);
  EXPECT_EQ(wave_done.rollout, "wave");
  EXPECT_EQ(wave_done.state, "finished");
  EXPECT_DOUBLE_EQ(wave_done.at_least, 5.0);
  EXPECT_EQ(scenario.checks[4].state, "aborted");  // no bound: the state alone
  EXPECT_EQ(scenario.checks[4].at_least, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(scenario.checks[4].at_most, std::numeric_limits<double>::infinity());
  const Check& overlays = scenario.checks[5];
  EXPECT_EQ(overlays.kind, CheckKind::kTasks);
  EXPECT_EQ(overlays.action, "set_overlay_text");
  EXPECT_EQ(overlays.status, "succeeded");
  EXPECT_EQ(overlays.origin, "user");
  EXPECT_EQ(overlays.devices.site, "lund");
  EXPECT_DOUBLE_EQ(overlays.at_least, 5.0);
  EXPECT_DOUBLE_EQ(overlays.at_most, 6.0);
  EXPECT_EQ(scenario.checks[6].action, "");
  EXPECT_EQ(scenario.checks[6].status, "");
  EXPECT_EQ(scenario.checks[6].origin, "");
  const Check& worn = scenario.checks[7];
  EXPECT_EQ(worn.kind, CheckKind::kInsights);
  EXPECT_EQ(worn.insight, "sd_card_replace");
  EXPECT_EQ(worn.devices.model, "edge-host");
}

TEST(ScenarioFile, UpdateKeysHaveDefaults) {
  const Scenario scenario = parse(R"(
name: x
duration: 1h
profiles:
  p: {mode: managed}
organizations:
  - name: acme
    sites: [{name: lund, devices: [{count: 2}]}]
timeline:
  - {at: 1m, do: set_diagnostics}
  - {at: 2m, do: set_overlay_text, text: ""}
checks:
  - {id: none, expect: devices_on_version, version: 11.11.0, at_least: 0}
)");
  EXPECT_EQ(scenario.epoch.utc, std::chrono::sys_days{std::chrono::year{2026} / 1 / 5});
  EXPECT_EQ(scenario.release_check_interval, 2h);
  EXPECT_EQ(scenario.telemetry_interval, 1h);
  EXPECT_TRUE(scenario.releases.empty());
  EXPECT_EQ(scenario.profiles[0].update_policy, UpdatePolicy::kLatest);
  EXPECT_FALSE(scenario.profiles[0].update_window.has_value());
  EXPECT_TRUE(scenario.organizations[0].update_windows);
  EXPECT_EQ(scenario.sites[0].time_zone, "UTC");
  const DeviceGroup::Telemetry& telemetry = scenario.sites[0].devices[0].telemetry;
  EXPECT_DOUBLE_EQ(telemetry.load, 0.3);
  EXPECT_DOUBLE_EQ(telemetry.sd_card_health, 1.0);
  EXPECT_DOUBLE_EQ(telemetry.crashes_per_day, 0.0);
  ASSERT_EQ(scenario.actions.size(), 2u);
  EXPECT_TRUE(scenario.actions[0].granted);
  EXPECT_EQ(scenario.actions[1].text, "");  // an overlay may be emptied
  EXPECT_EQ(scenario.checks[0].at, 1h);
}

TEST(ScenarioFileErrors, UpdateSettingsAndReleases) {
  // kSmall's 8 lines come first.
  const auto error = [](const std::string& lines) {
    return parse_error(std::string(kSmall) + lines + "\n");
  };
  expect_file_error(error("epoch: 2026-03-23"), 9, "epoch",
                    "got \"2026-03-23\"; expected an instant in UTC written YYYY-MM-DDTHH:MM:SSZ");
  expect_file_error(error("epoch: 2026-02-30T00:00:00Z"), 9, "epoch", "which is no such instant");
  expect_file_error(error("epoch: 2040-01-01T00:00:00Z"), 9, "epoch",
                    "expected an instant from 2000-01-01T00:00:00Z to 2036-01-01T00:00:00Z");
  expect_file_error(error("release_check_interval: 30s"), 9, "release_check_interval",
                    "got \"30s\"; expected a duration of at least 1m and at most 7d");
  expect_file_error(error("telemetry_interval: 25h"), 9, "telemetry_interval",
                    "got \"25h\"; expected a duration of at least 1m and at most 1d");
  // The release given is on line 10.
  const auto release = [&](const std::string& item) { return error("releases:\n" + item); };
  expect_file_error(release("  - {version: 11.11.5, track: active}"), 10, "releases.0.track",
                    "got \"active\"; expected lts-2024, the track of 11.11.5");
  expect_file_error(release("  - {version: 11.12.0, track: lts-2024}"), 10, "releases.0.track",
                    "got \"lts-2024\"; expected active, the track of 11.12.0");
  expect_file_error(release("  - {version: 11.11.5}\n  - {version: 11.11.5, size: 1GB}"), 11,
                    "releases.1.version",
                    "\"11.11.5\" is already released by releases.0; expected a unique version");
  expect_file_error(release("  - {track: active}"), 10, "releases.0.version",
                    "missing; expected an OS version of three numbers");
  for (const char* version : {"11.11", "11.11.5.1", "v11.11.5", "11.011.5", "11.11.100000"}) {
    expect_file_error(release("  - {version: '" + std::string(version) + "'}"), 10,
                      "releases.0.version", "expected an OS version of three numbers");
  }
  expect_file_error(release("  - {version: 11.11.5, at: 1h}"), 10, "releases.0.at",
                    "expected a time before the end of the scenario");
  expect_file_error(release("  - {version: 11.11.5, size: 5GB}"), 10, "releases.0.size",
                    "got \"5GB\"; expected a size from 1B to 4000000000B");
  expect_file_error(release("  - {version: 11.11.5, size: 0B}"), 10, "releases.0.size",
                    "expected a size from 1B");
  for (const char* size : {"150 MB", "150mb", "150", "1.5B", "150MiB"}) {
    expect_file_error(release("  - {version: 11.11.5, size: '" + std::string(size) + "'}"), 10,
                      "releases.0.size",
                      "expected a size in whole bytes with a unit B, kB, MB or GB (1000-based)");
  }
  expect_file_error(release("  - {version: 11.11.5, failure_share: 150%}"), 10,
                    "releases.0.failure_share", "is not a fraction");
  expect_file_error(release("  - {version: 11.11.5, tampered: yes}"), 10, "releases.0.tampered",
                    "got \"yes\"; expected one of true, false");
  expect_file_error(release("  - {version: 11.11.5, signed: false}"), 10, "releases.0.signed",
                    "unknown key; expected one of version, track, at, size, failure_share, "
                    "tampered");
  std::string many = "releases:\n";
  for (int i = 0; i < 101; ++i) many += "  - {version: 12.0." + std::to_string(i) + "}\n";
  expect_file_error(error(many), 9, "releases", "101 items; expected at most 100");
}

TEST(ScenarioFileErrors, UpdatePoliciesAndWindows) {
  const std::string head = R"(
name: x
duration: 1h
profiles:
  p: {mode: managed}
)";
  const std::string tail = R"(sites:
  - {name: lund, devices: [{count: 1}]}
checks: [{id: up, expect: all_devices_connected}]
)";
  // The profile given starts on line 5.
  const auto error = [&](const std::string& profile) {
    return parse_error(head + profile + "\n" + tail);
  };
  expect_file_error(error("  q: {mode: managed, update_policy: pinned}"), 5,
                    "profiles.q.pinned_version",
                    "missing; expected the version the devices keep, such as 11.11.0");
  expect_file_error(error("  q: {mode: managed, pinned_version: 11.11.0}"), 5,
                    "profiles.q.pinned_version",
                    "given with update_policy latest; expected pinned_version only with "
                    "update_policy: pinned");
  expect_file_error(error("  q: {mode: managed, update_policy: pinned, pinned_version: 11}"), 5,
                    "profiles.q.pinned_version", "got \"11\"; expected an OS version");
  expect_file_error(error("  q: {mode: managed, update_policy: weekly}"), 5,
                    "profiles.q.update_policy", "got \"weekly\"; expected one of latest, pinned");
  const auto window = [&](const std::string& body) {
    return error("  q:\n    mode: managed\n    update_window:\n" + body);
  };
  // update_window is on line 7, its keys from line 8.
  expect_file_error(window("      days: [sat]\n      start: \"25:00\"\n      duration: 3h"), 9,
                    "profiles.q.update_window.start",
                    "got \"25:00\"; expected HH:MM from 00:00 to 23:59, such as 02:00");
  expect_file_error(window("      days: [sat]\n      start: 2:00\n      duration: 3h"), 9,
                    "profiles.q.update_window.start", "got \"2:00\"; expected HH:MM");
  expect_file_error(window("      days: [sat]\n      start: 02:00\n      duration: 0m"), 10,
                    "profiles.q.update_window.duration",
                    "got \"0m\", 0 minutes; expected from 1m to 1430m (23h50m)");
  expect_file_error(window("      days: [sat]\n      start: 02:00\n      duration: 24h"), 10,
                    "profiles.q.update_window.duration", "expected from 1m to 1430m");
  expect_file_error(window("      days: [sat]\n      start: 02:00\n      duration: 3 hours"), 10,
                    "profiles.q.update_window.duration",
                    "got \"3 hours\"; expected hours and minutes, largest first");
  expect_file_error(window("      days: [sat, fun]\n      start: 02:00\n      duration: 3h"), 8,
                    "profiles.q.update_window.days.1",
                    "got \"fun\"; expected day names among mon, tue, wed, thu, fri, sat, sun");
  expect_file_error(window("      days: [sat, Sun]\n      start: 02:00\n      duration: 3h"), 8,
                    "profiles.q.update_window.days.1", "got \"Sun\"; expected day names");
  expect_file_error(window("      days: [sat, sat]\n      start: 02:00\n      duration: 3h"), 8,
                    "profiles.q.update_window.days.1", "got \"sat\" twice; expected each day once");
  expect_file_error(window("      days: []\n      start: 02:00\n      duration: 3h"), 8,
                    "profiles.q.update_window.days",
                    "got an empty list; expected at least one of mon, tue");
  expect_file_error(window("      days: sat\n      start: 02:00\n      duration: 3h"), 8,
                    "profiles.q.update_window.days", "got a value; expected a list of day names");
  expect_file_error(window("      days: [sat]\n      duration: 3h"), 7,
                    "profiles.q.update_window.start", "missing; expected a local time HH:MM");
  expect_file_error(window("      start: 02:00\n      duration: 3h"), 7,
                    "profiles.q.update_window.days", "missing; expected a list of day names");
  expect_file_error(window("      days: [sat]\n      start: 02:00"), 7,
                    "profiles.q.update_window.duration", "missing; expected how long it is open");
  expect_file_error(
      window("      days: [sat]\n      start: 02:00\n      duration: 3h\n      zone: UTC"), 11,
      "profiles.q.update_window.zone", "unknown key; expected one of days, start, duration");
  expect_file_error(error("  q: {mode: managed, update_window: weekends}"), 5,
                    "profiles.q.update_window", "got a value; expected a map of days, start");

  // Organizations' offering.
  expect_file_error(parse_error(R"(
name: x
duration: 1h
organizations:
  - {name: acme, update_windows: maybe}
checks: [{id: up, expect: all_devices_connected}]
)"),
                    4, "organizations.0.update_windows",
                    "got \"maybe\"; expected one of true, false");
}

TEST(ScenarioFileErrors, TimeZonesAndTelemetry) {
  // The site starts on line 4; the keys given are on line 5 and after.
  const auto site = [](const std::string& keys) {
    return parse_error("name: x\nduration: 1h\nsites:\n  - name: lund\n" + keys +
                       "\nchecks: [{id: up, expect: all_devices_connected}]\n");
  };
  expect_file_error(site("    time_zone: Mars/Olympus\n    devices: [{count: 1}]"), 5,
                    "sites.0.time_zone", "got \"Mars/Olympus\", which is not in the tz database");
  expect_file_error(site("    time_zone: europe/stockholm\n    devices: [{count: 1}]"), 5,
                    "sites.0.time_zone", "names are case-sensitive");
  expect_file_error(site("    time_zone: localtime\n    devices: [{count: 1}]"), 5,
                    "sites.0.time_zone",
                    "got \"localtime\"; expected an IANA time zone name such as Europe/Stockholm");
  expect_file_error(site("    time_zone: [UTC]\n    devices: [{count: 1}]"), 5, "sites.0.time_zone",
                    "got a list; expected an IANA time zone name");
  expect_file_error(site("    devices: [{count: 1, telemetry: {load: 120%}}]"), 5,
                    "sites.0.devices.0.telemetry.load", "\"120%\" is not a fraction");
  expect_file_error(site("    devices: [{count: 1, telemetry: {sd_card_health: -0.1}}]"), 5,
                    "sites.0.devices.0.telemetry.sd_card_health", "is not a fraction");
  expect_file_error(site("    devices: [{count: 1, telemetry: {crashes_per_day: 1001}}]"), 5,
                    "sites.0.devices.0.telemetry.crashes_per_day",
                    "got \"1001\"; expected a number of crashes a day from 0 to 1000");
  expect_file_error(site("    devices: [{count: 1, telemetry: {crashes_per_day: -1}}]"), 5,
                    "sites.0.devices.0.telemetry.crashes_per_day", "from 0 to 1000");
  expect_file_error(site("    devices: [{count: 1, telemetry: {temperature: 90}}]"), 5,
                    "sites.0.devices.0.telemetry.temperature",
                    "unknown key; expected one of load, sd_card_health, crashes_per_day");
  // An organization's sites and the fleet's take the same keys.
  expect_file_error(parse_error(R"(
name: x
duration: 1h
organizations:
  - name: acme
    sites: [{name: lund, time_zone: Nowhere/City, devices: [{count: 1}]}]
checks: [{id: up, expect: all_devices_connected}]
)"),
                    5, "organizations.0.sites.0.time_zone", "\"Nowhere/City\"");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet:
  cameras: 5
  time_zone: CEST
checks: [{id: up, expect: all_devices_connected}]
)"),
                    5, "fleet.time_zone", "got \"CEST\", which is not in the tz database");
  expect_file_error(parse_error(R"(
name: x
duration: 1h
fleet:
  cameras: 5
  telemetry: {load: high}
checks: [{id: up, expect: all_devices_connected}]
)"),
                    5, "fleet.telemetry.load", "\"high\" is not a fraction");
}

TEST(ScenarioFileErrors, TaskActionsAndRollouts) {
  const std::string head = R"(
name: x
duration: 1h
releases: [{version: 11.12.0}]
organizations:
  - name: acme
    sites:
      - name: lund
        devices:
          - {kind: edge_host, name: edge}
          - {model: tier2-box, count: 2, via: edge}
checks: [{id: up, expect: all_devices_connected}]
timeline:
)";
  // The entry is on line 13: timeline.0.
  const auto error = [&](const std::string& entry) { return parse_error(head + entry + "\n"); };
  expect_file_error(error("  - {at: 1m, do: deploy, version: 12.0.0}"), 13, "timeline.0.version",
                    "\"12.0.0\" is an unknown version: the platform deploys only published "
                    "releases; expected one of the releases: 11.12.0");
  // A device group's version is not a release: the platform would refuse to deploy it.
  expect_file_error(error("  - {at: 1m, do: deploy, version: 11.11.0}"), 13, "timeline.0.version",
                    "\"11.11.0\" is an unknown version");
  expect_file_error(error("  - {at: 1m, do: rollout, name: r, version: 11.13.0}"), 13,
                    "timeline.0.version", "\"11.13.0\" is an unknown version");
  expect_file_error(error("  - {at: 1m, do: deploy, version: latest}"), 13, "timeline.0.version",
                    "got \"latest\"; expected an OS version of three numbers");
  expect_file_error(error("  - {at: 1m, do: deploy}"), 13, "timeline.0.version",
                    "missing; expected the OS version to install");
  expect_file_error(error("  - {at: 1m, do: deploy, version: 11.12.0, stages: []}"), 13,
                    "timeline.0.stages",
                    "not valid with do: deploy; expected one of at, do, devices, as, scope, "
                    "version, name");
  expect_file_error(error("  - {at: 1m, do: deploy, version: 11.12.0, name: 'a b'}"), 13,
                    "timeline.0.name", "1-64 characters");
  // set_overlay_text
  expect_file_error(error("  - {at: 1m, do: set_overlay_text}"), 13, "timeline.0.text",
                    "missing; expected the overlay text, at most 128 bytes");
  expect_file_error(
      error("  - {at: 1m, do: set_overlay_text, text: '" + std::string(129, 't') + "'}"), 13,
      "timeline.0.text", "129 bytes; expected at most 128 (the Task Manager's limit)");
  // 64 two-byte characters are 128 bytes: the limit counts bytes.
  std::string umlauts;
  for (int i = 0; i < 64; ++i) umlauts += "\xc3\xa4";
  EXPECT_EQ(parse(head + "  - {at: 1m, do: set_overlay_text, text: '" + umlauts + "'}\n")
                .actions[0]
                .text.size(),
            128u);
  expect_file_error(error("  - {at: 1m, do: set_overlay_text, text: '" + umlauts + "x'}"), 13,
                    "timeline.0.text", "129 bytes");
  expect_file_error(error("  - {at: 1m, do: set_overlay_text, text: \"gate\\tnorth\"}"), 13,
                    "timeline.0.text",
                    "a control character at byte 4; expected text without control characters");
  expect_file_error(error("  - {at: 1m, do: set_overlay_text, text: [a]}"), 13, "timeline.0.text",
                    "got a list; expected text");
  expect_file_error(error("  - {at: 1m, do: set_overlay_text, text: a, version: 11.12.0}"), 13,
                    "timeline.0.version", "not valid with do: set_overlay_text");
  // rollout
  expect_file_error(error("  - {at: 1m, do: rollout, version: 11.12.0}"), 13, "timeline.0.name",
                    "missing; expected a name for the rollout, unique among rollouts");
  expect_file_error(
      parse_error(head + "  - {at: 1m, do: rollout, version: 11.12.0, name: wave}\n"
                         "  - {at: 2m, do: rollout, version: 11.12.0, name: wave}\n"),
      14, "timeline.1.name",
      "\"wave\" already names the rollout timeline.0; expected a unique rollout name");
  const auto rollout = [&](const std::string& keys) {
    return error("  - {at: 1m, do: rollout, version: 11.12.0, name: wave, " + keys + "}");
  };
  expect_file_error(rollout("stages: [{devices: 0}, {devices: 1}]"), 13,
                    "timeline.0.stages.0.devices",
                    "0 in a stage before the last; expected at least 1 (only the last stage may "
                    "take 0: every device left)");
  expect_file_error(rollout("stages: []"), 13, "timeline.0.stages",
                    "an empty list; expected at least one of the stages");
  expect_file_error(rollout("stages: [{success_threshold: 90%}]"), 13,
                    "timeline.0.stages.0.devices", "missing; expected how many devices");
  expect_file_error(rollout("stages: [{devices: 1, success_threshold: 2}]"), 13,
                    "timeline.0.stages.0.success_threshold", "\"2\" is not a fraction");
  expect_file_error(rollout("stages: [{devices: 1, share: 1}]"), 13, "timeline.0.stages.0.share",
                    "unknown key; expected one of devices, success_threshold");
  std::string stages;
  for (int i = 0; i < 101; ++i) stages += (i == 0 ? "{devices: 1}" : ", {devices: 1}");
  expect_file_error(rollout("stages: [" + stages + "]"), 13, "timeline.0.stages",
                    "101 items; expected at most 100");
  expect_file_error(rollout("starts_per_minute: 100001"), 13, "timeline.0.starts_per_minute",
                    "got \"100001\"; expected a whole number in 0..100000");
  expect_file_error(rollout("abort: {failure_share: 20%, after: 0}"), 13, "timeline.0.abort.after",
                    "got \"0\"; expected a whole number in 1..1000000");
  expect_file_error(rollout("abort: {failure_share: lots}"), 13, "timeline.0.abort.failure_share",
                    "\"lots\" is not a fraction");
  expect_file_error(rollout("abort: {when: 5}"), 13, "timeline.0.abort.when",
                    "unknown key; expected one of failure_share, after");
  expect_file_error(rollout("scope: lund"), 13, "timeline.0.scope",
                    "given for the owner, whose role is organization-wide");
  // The others.
  expect_file_error(error("  - {at: 1m, do: restart_host, as: operator}"), 13, "timeline.0.as",
                    "not valid with do: restart_host; expected one of at, do, devices");
  expect_file_error(error("  - {at: 1m, do: add_device_locally, name: cam}"), 13, "timeline.0.name",
                    "not valid with do: add_device_locally");
  expect_file_error(error("  - {at: 1m, do: set_diagnostics, granted: 'no'}"), 13,
                    "timeline.0.granted", "got \"no\"; expected one of true, false");
  expect_file_error(error("  - {at: 1m, do: set_diagnostics, text: hi}"), 13, "timeline.0.text",
                    "not valid with do: set_diagnostics; expected one of at, do, devices, as, "
                    "scope, granted");
  expect_file_error(error("  - {at: 1m, do: upgrade}"), 13, "timeline.0.do",
                    "delete_organization, set_overlay_text, deploy, rollout, restart_host, "
                    "add_device_locally, set_diagnostics");
  // Like the other platform actions, these need organizations.
  expect_file_error(parse_error(std::string(kSmall) + R"(timeline:
  - {at: 1m, do: restart_host}
)"),
                    10, "timeline.0.do",
                    "do: restart_host acts on a platform with tenants; expected organizations:");
}

TEST(ScenarioFileErrors, UpdateTaskAndInsightChecks) {
  const std::string head = R"(
name: x
duration: 1h
releases: [{version: 11.12.0}]
organizations: [{name: acme, sites: [{name: lund, devices: [{count: 2}]}]}]
# (the checks start on line 9)
timeline:
  - {at: 1m, do: rollout, version: 11.12.0, name: wave}
checks:
)";
  // The check is on line 9: checks.0.
  const auto error = [&](const std::string& check) { return parse_error(head + check + "\n"); };
  // devices_on_version
  expect_file_error(error("  - {id: c, expect: devices_on_version, at_least: 1}"), 9,
                    "checks.0.version", "missing; expected an OS version of three numbers");
  expect_file_error(error("  - {id: c, expect: devices_on_version, version: 12, at_least: 1}"), 9,
                    "checks.0.version", "got \"12\"; expected an OS version");
  expect_file_error(
      error("  - {id: c, expect: devices_on_version, version: 11.11.0, at: 2h, at_least: 1}"), 9,
      "checks.0.at", "at most 1h (the scenario's duration)");
  expect_file_error(error("  - {id: c, expect: devices_on_version, version: 11.11.0}"), 9,
                    "checks.0", "has no bound");
  expect_file_error(
      error("  - {id: c, expect: devices_on_version, version: 11.11.0, state: x, at_least: 1}"), 9,
      "checks.0.state",
      "not valid with expect: devices_on_version; expected one of id, expect, version, devices, "
      "at, at_least, at_most");
  // updates_outside_window
  expect_file_error(error("  - {id: c, expect: updates_outside_window}"), 9, "checks.0",
                    "has no bound");
  expect_file_error(error("  - {id: c, expect: updates_outside_window, devices: all, at_most: 0}"),
                    9, "checks.0.devices",
                    "not valid with expect: updates_outside_window; expected one of id, expect, "
                    "at_least, at_most");
  // rollout_state
  expect_file_error(error("  - {id: c, expect: rollout_state, rollout: nope, state: finished}"), 9,
                    "checks.0.rollout",
                    "\"nope\" is not a rollout (the name of a do: rollout entry); expected one "
                    "of wave");
  expect_file_error(error("  - {id: c, expect: rollout_state, state: finished}"), 9,
                    "checks.0.rollout", "missing; expected the name of a rollout");
  expect_file_error(error("  - {id: c, expect: rollout_state, rollout: wave}"), 9, "checks.0.state",
                    "missing; expected one of running, finished, aborted");
  expect_file_error(error("  - {id: c, expect: rollout_state, rollout: wave, state: done}"), 9,
                    "checks.0.state", "got \"done\"; expected one of running, finished, aborted");
  expect_file_error(error("  - {id: c, expect: rollout_state, rollout: wave, state: finished, "
                          "at_least: 2, at_most: 1}"),
                    9, "checks.0.at_most", "at_least <= at_most");
  expect_file_error(
      parse_error(std::string(kSmallOwned) + "  - {id: c, expect: rollout_state, rollout: wave, "
                                             "state: running}\n"),
      11, "checks.1.rollout",
      "\"wave\" is not a rollout (the name of a do: rollout entry); the scenario "
      "defines none");
  // tasks
  expect_file_error(error("  - {id: c, expect: tasks, status: done, at_least: 1}"), 9,
                    "checks.0.status",
                    "got \"done\"; expected one of queued, dispatched, running, succeeded, "
                    "failed, cancelled, timed_out");
  expect_file_error(error("  - {id: c, expect: tasks, action: upgrade, at_least: 1}"), 9,
                    "checks.0.action",
                    "got \"upgrade\"; expected one of set_overlay_text, upgrade_firmware, reboot, "
                    "adopt_device");
  expect_file_error(error("  - {id: c, expect: tasks, origin: cloud, at_least: 1}"), 9,
                    "checks.0.origin", "got \"cloud\"; expected one of user, host");
  expect_file_error(error("  - {id: c, expect: tasks, status: failed}"), 9, "checks.0",
                    "has no bound");
  expect_file_error(error("  - {id: c, expect: tasks, insight: overload, at_least: 1}"), 9,
                    "checks.0.insight",
                    "not valid with expect: tasks; expected one of id, expect, action, status, "
                    "origin, devices, at_least, at_most");
  // insights
  expect_file_error(error("  - {id: c, expect: insights, insight: overheat, at_least: 1}"), 9,
                    "checks.0.insight",
                    "got \"overheat\"; expected one of overload, sd_card_replace, crash_loop");
  expect_file_error(error("  - {id: c, expect: insights, at_least: 1}"), 9, "checks.0.insight",
                    "missing; expected one of overload, sd_card_replace, crash_loop");
  expect_file_error(error("  - {id: c, expect: insights, insight: crash_loop}"), 9, "checks.0",
                    "has no bound");
  expect_file_error(error("  - {id: c, expect: insights, insight: crash_loop, devices: {site: "
                          "malmo}, at_least: 1}"),
                    9, "checks.0.devices.site", "\"malmo\" is not a site");
  expect_file_error(error("  - {id: c, expect: firmware, at_least: 1}"), 9, "checks.0.expect",
                    "audit_trails_intact, devices_on_version, updates_outside_window, "
                    "rollout_state, tasks, tasks_exactly_once, insights");
}

TEST(ScenarioOverrides, UpdateKeysAreValidatedAndNameTheOverride) {
  const std::string file = R"(
name: x
duration: 1h
profiles:
  office:
    mode: managed
    update_window: {days: [sat], start: "02:00", duration: 3h}
organizations:
  - name: acme
    sites: [{name: lund, devices: [{count: 2}]}]
checks: [{id: up, expect: all_devices_connected}]
)";
  expect_override_error(parse_error(file, {{"profiles.office.update_window.start", "25:00"}}),
                        "profiles.office.update_window.start=25:00",
                        "profiles.office.update_window.start", "got \"25:00\"; expected HH:MM");
  expect_override_error(parse_error(file, {{"organizations.0.sites.0.time_zone", "Nowhere/City"}}),
                        "organizations.0.sites.0.time_zone=Nowhere/City",
                        "organizations.0.sites.0.time_zone", "not in the tz database");
  expect_override_error(parse_error(file, {{"releases", "[{version: 11.11.5, track: active}]"}}),
                        "releases=[{version: 11.11.5, track: active}]", "releases.0.track",
                        "expected lts-2024, the track of 11.11.5");
  const Scenario scenario = parse(file, {{"epoch", "2026-10-24T00:00:00Z"},
                                         {"profiles.office.update_window.days", "[mon, tue]"},
                                         {"organizations.0.sites.0.time_zone", "Asia/Tokyo"},
                                         {"organizations.0.update_windows", "false"},
                                         {"releases", "[{version: 11.12.0, at: 30m}]"},
                                         {"timeline", "[{at: 1m, do: deploy, version: 11.12.0}]"}});
  EXPECT_EQ(scenario.epoch.utc, std::chrono::sys_days{std::chrono::year{2026} / 10 / 24});
  EXPECT_EQ(scenario.profiles[0].update_window->days.count(), 2u);
  EXPECT_EQ(scenario.sites[0].time_zone, "Asia/Tokyo");
  EXPECT_FALSE(scenario.organizations[0].update_windows);
  ASSERT_EQ(scenario.releases.size(), 1u);
  EXPECT_EQ(scenario.releases[0].published_at, 30min);
  EXPECT_EQ(scenario.releases[0].line, 0);
  EXPECT_EQ(scenario.actions[0].version, "11.12.0");
}

// ---------------------------------------------------------------------------------------------
// Overrides

TEST(ScenarioOverrides, ParseOverrideSplitsAtTheFirstEquals) {
  EXPECT_EQ(parse_override("fleet.cameras=500"), Override("fleet.cameras", "500"));
  EXPECT_EQ(parse_override("sites.0.uplink.latency=30ms"),
            Override("sites.0.uplink.latency", "30ms"));
  EXPECT_EQ(parse_override("description=a=b"), Override("description", "a=b"));
  EXPECT_EQ(parse_override("description="), Override("description", ""));
  expect_override_error(
      [] {
        try {
          parse_override("fleet.cameras");
        } catch (const ScenarioError& error) {
          return error;
        }
        return ScenarioError("", 0, "", "");
      }(),
      "fleet.cameras", "", "expected KEY=VALUE");
  for (const char* bad : {"=5", "fleet..cameras=5", ".x=1", "x.=1", "fleet cameras=5"}) {
    EXPECT_THROW(parse_override(bad), ScenarioError) << bad;
  }
  try {
    parse_override("fleet..cameras=5");
  } catch (const ScenarioError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("--set fleet..cameras=5: fleet..cameras: ", 0), 0u)
        << error.what();
  }
}

TEST(ScenarioOverrides, ChangeValues) {
  const Scenario scenario = parse(R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}], uplink: {latency: 10ms}}
  - {name: malmo, devices: [{count: 1}]}
checks:
  - {id: up, expect: all_devices_connected, within: 5m}
)",
                                  {{"duration", "2h"},
                                   {"sites.1.uplink.latency", "30ms"},
                                   {"sites.0.devices.0.count", "7"},
                                   {"checks.0.within", "90m"},
                                   {"name", "renamed"}});
  EXPECT_EQ(scenario.name, "renamed");
  EXPECT_EQ(scenario.duration, 2h);
  EXPECT_EQ(scenario.sites[0].uplink.latency, 10ms);
  EXPECT_EQ(scenario.sites[1].uplink.latency, 30ms);
  EXPECT_EQ(scenario.sites[0].devices[0].count, 7u);
  EXPECT_EQ(scenario.checks[0].within, 90min);  // valid only because duration grew first
}

TEST(ScenarioOverrides, CreateKeysAndTakeFlowValues) {
  const Scenario scenario =
      parse(kSmall, {{"heartbeat.interval", "30s"},
                     {"fleet", "{cameras: 4, sites: 2}"},
                     {"sites.0.uplink", "{bandwidth: 5Mbps}"},
                     {"timeline", "[{at: 5m, do: fault, kind: partition, for: 1m}]"},
                     {"description", "made by --set"}});
  EXPECT_EQ(scenario.heartbeat.interval, 30s);
  EXPECT_EQ(scenario.heartbeat.missed_max, 3u);
  EXPECT_EQ(scenario.description, "made by --set");
  ASSERT_EQ(scenario.sites.size(), 3u);
  EXPECT_DOUBLE_EQ(scenario.sites[0].uplink.bandwidth_bps, 5e6);
  EXPECT_EQ(scenario.sites[0].uplink.latency, 20ms);
  EXPECT_EQ(scenario.device_count(), 6u);
  ASSERT_EQ(scenario.timeline.size(), 1u);
  EXPECT_EQ(scenario.timeline[0].at, 5min);
}

TEST(ScenarioOverrides, LaterOverridesWin) {
  const Scenario scenario = parse(kSmall, {{"duration", "2h"}, {"duration", "3h"}});
  EXPECT_EQ(scenario.duration, 3h);
}

TEST(ScenarioOverrides, ValuesAreValidatedAndNameTheOverride) {
  const ScenarioError unknown = parse_error(R"(
name: x
duration: 1h
fleet: {cameras: 1}
checks: [{id: up, expect: all_devices_connected}]
)",
                                            {{"fleet.camras", "5"}});
  expect_override_error(unknown, "fleet.camras=5", "fleet.camras",
                        "unknown key; expected one of cameras, sites, model, os, track, region,");
  EXPECT_EQ(std::string(unknown.what()),
            "--set fleet.camras=5: fleet.camras: unknown key; expected one of cameras, sites, "
            "model, os, track, region, time_zone, uplink, nat, firewall, organization, telemetry");
  expect_override_error(parse_error(kSmall, {{"sites.0.devices.0.count", "abc"}}),
                        "sites.0.devices.0.count=abc", "sites.0.devices.0.count",
                        "got \"abc\"; expected a whole number");
  expect_override_error(parse_error(kSmall, {{"duration", "5 minutes"}}), "duration=5 minutes",
                        "duration", "not a duration");
  expect_override_error(parse_error(kSmall, {{"sites.0.uplink", "{latency: slow}"}}),
                        "sites.0.uplink={latency: slow}", "sites.0.uplink.latency",
                        "not a duration");
  expect_override_error(parse_error(kSmall, {{"checks.0.id", "lots of spaces"}}),
                        "checks.0.id=lots of spaces", "checks.0.id", "1-64 characters");
  // A map the override had to create is the override's too.
  expect_override_error(parse_error(kSmall, {{"fleet.sites", "3"}}), "fleet.sites=3",
                        "fleet.cameras", "missing");
  // A cross-reference broken by an override is blamed on the override.
  expect_override_error(parse_error(kSmall, {{"checks.0",
                                              "{id: c, expect: connected_fraction, "
                                              "at: 5m, site: nowhere, at_least: 1}"}}),
                        "checks.0={id: c, expect: connected_fraction, at: 5m, site: nowhere, "
                        "at_least: 1}",
                        "checks.0.site", "not a site");
}

TEST(ScenarioOverrides, ErrorsOutsideTheOverriddenKeysStillNameTheFile) {
  // The override shrinks the duration; the check's `within`, untouched, is now past the end.
  const ScenarioError error = parse_error(R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]}
checks:
  - {id: up, expect: all_devices_connected, within: 30m}
)",
                                          {{"duration", "10m"}});
  expect_file_error(error, 6, "checks.0.within", "at most 10m");
}

TEST(ScenarioOverrides, ChecksFromOverridesHaveNoLine) {
  const Scenario scenario = parse(kSmall, {{"checks", "[{id: a, expect: all_devices_connected}]"}});
  ASSERT_EQ(scenario.checks.size(), 1u);
  EXPECT_EQ(scenario.checks[0].line, 0);
  EXPECT_EQ(parse(kSmall).checks[0].line, 8);
}

TEST(ScenarioOverrides, PathsThatDoNotExist) {
  expect_override_error(parse_error(kSmall, {{"sites.1.name", "b"}}), "sites.1.name=b", "sites.1",
                        "past the end of sites, which has 1 item;");
  expect_override_error(parse_error(kSmall, {{"sites.first.name", "b"}}), "sites.first.name=b",
                        "sites", "is a list, so \"first\" cannot index it");
  expect_override_error(parse_error(kSmall, {{"duration.hours", "1"}}), "duration.hours=1",
                        "duration", "is a value, so it has no key hours");
  expect_override_error(parse_error(kSmall, {{"name", "[unclosed"}}), "name=[unclosed", "name",
                        "not valid YAML");
  expect_override_error(parse_error(kSmall, {{"fleet..cameras", "1"}}), "fleet..cameras=1",
                        "fleet..cameras", "not a key path");
}

// ---------------------------------------------------------------------------------------------
// Values

TEST(ScenarioValues, Durations) {
  EXPECT_EQ(parse_duration("90s"), 90s);
  EXPECT_EQ(parse_duration("15m"), 15min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10us"), 10us);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("1d2h3m4s5ms6us"), 24h + 2h + 3min + 4s + 5ms + 6us);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("0.25ms"), 250us);
  EXPECT_EQ(parse_duration("0s"), 0s);
  EXPECT_EQ(parse_duration("366d"), std::chrono::hours(24 * 366));
  for (const char* junk : {"5 minutes",
                           "-3s",
                           "",
                           "1x",
                           "5",
                           "s",
                           "1h 30m",
                           " 1h",
                           "1h ",
                           "30m1h",
                           "1h1h",
                           "1.s",
                           ".5s",
                           "1.5us",
                           "1,5s",
                           "1e3s",
                           "+1s",
                           "367d",
                           "99999999999999999999999d",
                           "1H",
                           "1min"}) {
    EXPECT_THROW(parse_duration(junk), std::invalid_argument) << '"' << junk << '"';
  }
  try {
    parse_duration("5 minutes");
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()),
              "\"5 minutes\" is not a duration; expected a number and a unit (d, h, m, s, ms, "
              "us), largest unit first, no spaces, such as 90s, 15m, 250ms or 1h30m");
  }
}

TEST(ScenarioValues, Bandwidths) {
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("50Mbps"), 50e6);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("10Gbps"), 10e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("100kbps"), 100e3);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("1.5Mbps"), 1.5e6);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("40MBps"), 320e6);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("2kBps"), 16e3);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("9600bps"), 9600);
  EXPECT_DOUBLE_EQ(parse_bandwidth_bps("1Tbps"), 1e12);
  for (const char* junk : {"", "fast", "-5Mbps", "5 Mbps", "5Mb", "5mbps", "Mbps", "5", "1x",
                           "5Mbps ", "1e3Mbps", "5Mbit/s"}) {
    EXPECT_THROW(parse_bandwidth_bps(junk), std::invalid_argument) << '"' << junk << '"';
  }
}

TEST(ScenarioValues, Fractions) {
  EXPECT_DOUBLE_EQ(parse_fraction("0.1%"), 0.001);
  EXPECT_DOUBLE_EQ(parse_fraction("0.001"), 0.001);
  EXPECT_DOUBLE_EQ(parse_fraction("99%"), 0.99);
  EXPECT_DOUBLE_EQ(parse_fraction("100%"), 1.0);
  EXPECT_DOUBLE_EQ(parse_fraction("1"), 1.0);
  EXPECT_DOUBLE_EQ(parse_fraction("0"), 0.0);
  EXPECT_DOUBLE_EQ(parse_fraction("1e-3"), 0.001);
  for (const char* junk : {"", "1x", "abc", "%", "150%", "1.5", "-0.1", "-3%", "nan", "inf",
                           "0.1 %", " 0.1", "0.1%%"}) {
    EXPECT_THROW(parse_fraction(junk), std::invalid_argument) << '"' << junk << '"';
  }
}

}  // namespace
}  // namespace ccsim::scenarios

namespace ccsim::scenarios {
namespace {

// A file with three mistakes gets three problems, each with its own line, in file order, and
// every one of them in what(), as a compiler reports a file's errors.
TEST(ScenarioFileProblems, EveryProblemOfAFileIsReportedAtOnce) {
  const ScenarioError error = parse_error(R"(
name: three-mistakes
duration: 1h
sites:
  - name: lund
    colour: blue
    devices:
      - {kind: camera, count: -3}
checks:
  - {id: up, expect: all_devices_connected, within: 5 parsecs}
)");
  ASSERT_EQ(error.problems.size(), 3U) << error.what();
  expect_file_error(error, 5, "sites.0.colour", "unknown key");
  expect_file_error(error, 7, "sites.0.devices.0.count", "got \"-3\"; expected a whole number");
  expect_file_error(error, 9, "checks.0.within", "\"5 parsecs\" is not a duration");
  EXPECT_EQ(error.problems[0].line, 5);
  EXPECT_EQ(error.problems[1].line, 7);
  EXPECT_EQ(error.problems[2].line, 9);
  EXPECT_EQ(std::count(error.what(), error.what() + std::strlen(error.what()), '\n'), 2);
}

// Past kScenarioProblemsMax, the rest are counted, not listed.
TEST(ScenarioFileProblems, AtMostFiftyProblemsAreListedAndTheRestCounted) {
  std::string yaml =
      "name: many\nduration: 1h\nsites:\n  - name: lund\n    devices: [{count: 1}]\n"
      "checks:\n";
  for (int i = 0; i < 60; ++i) {
    yaml += "  - {id: c" + std::to_string(i) + ", expect: all_devices_connected, within: 2h}\n";
  }
  const ScenarioError error = parse_error(yaml);
  EXPECT_EQ(error.problems.size(), kScenarioProblemsMax);
  EXPECT_EQ(error.more, 10U);
  EXPECT_NE(std::string(error.what()).find("10 more problems not listed"), std::string::npos);
}

// A window shorter than the install budget could never see an install: refused, naming both.
TEST(ScenarioFileProblems, AWindowShorterThanTheInstallBudgetIsRefusedNamingBoth) {
  const std::string profile = R"(
name: window
duration: 1h
profiles:
  managed-lts:
    mode: managed
    update_window: {days: [sun], start: "02:30", duration: 20m})";
  const std::string rest = R"(
sites:
  - name: lund
    devices: [{count: 1}]
checks:
  - {id: up, expect: all_devices_connected}
)";
  expect_file_error(parse_error(profile + rest), 6, "profiles.managed-lts.update_window",
                    "the update window is open 20m, shorter than the install budget of 30m");
  // Its own budget of 15 minutes fits; one of 25 does not, and then the budget is blamed.
  const Scenario fits = parse(profile + "\n    install_budget: 15m" + rest);
  EXPECT_EQ(fits.profiles[0].install_budget, std::chrono::minutes(15));
  expect_file_error(parse_error(profile + "\n    install_budget: 25m" + rest), 7,
                    "profiles.managed-lts.install_budget",
                    "shorter than the install budget of 25m");
  EXPECT_EQ(parse(profile + "\n    install_budget: 15m" + rest).profiles[0].update_window->duration,
            std::chrono::minutes(20));
}

}  // namespace
}  // namespace ccsim::scenarios

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

TEST(ScenarioFile, RegionsGiveEveryFieldAndTheirLatencies) {
  const Scenario scenario = parse(R"(
name: regional
duration: 1h
regions:
  - {name: eu-west, latency: 2ms, bandwidth: 40Gbps, admission: {rate: 250, burst: 500}, return_rate: 5}
  - {name: us-east, latency_to: {eu-west: 45ms}}
  - {name: lab}
sites:
  - {name: dublin, region: eu-west, devices: [{count: 1}]}
  - {name: boston, region: us-east, devices: [{count: 1}]}
timeline:
  - {at: 10m, do: fault, kind: region_outage, region: eu-west, for: 5m}
  - {at: 20m, do: fault, kind: endpoint_restart, region: lab, for: 30s}
checks:
  - {id: up, expect: all_devices_connected}
  - {id: storm, expect: reconnect_rate, region: us-east, at_most: 100}
)");
  ASSERT_EQ(scenario.regions.size(), 3U);
  const Region& eu = scenario.regions[0];
  EXPECT_EQ(eu.name, "eu-west");
  EXPECT_EQ(eu.backbone_latency, 2ms);
  EXPECT_DOUBLE_EQ(eu.backbone_bps, 40e9);
  EXPECT_DOUBLE_EQ(eu.admission_per_second, 250);
  EXPECT_EQ(eu.admission_burst, 500U);
  EXPECT_DOUBLE_EQ(eu.return_per_second, 5);
  // The defaults: 1,000 hellos a second, 2,000 at once, 50 sent home a second.
  EXPECT_DOUBLE_EQ(scenario.regions[2].admission_per_second, 1000);
  EXPECT_EQ(scenario.regions[2].admission_burst, 2000U);
  EXPECT_DOUBLE_EQ(scenario.regions[2].return_per_second, 50);
  // The scenario's 45 ms over the public table's 35 ms; a name the table does not know: 75 ms.
  EXPECT_EQ(scenario.region_latencies.between(0, 1), 45ms);
  EXPECT_EQ(scenario.region_latencies.between(1, 0), 45ms);
  EXPECT_EQ(scenario.region_latencies.between(0, 2), 75ms);
  ASSERT_EQ(scenario.timeline.size(), 2U);
  EXPECT_EQ(scenario.timeline[0].kind, FaultKind::kRegionOutage);
  EXPECT_EQ(scenario.timeline[0].region, "eu-west");
  EXPECT_EQ(scenario.timeline[1].kind, FaultKind::kEndpointRestart);
  EXPECT_EQ(scenario.checks[1].kind, CheckKind::kReconnectRate);
  EXPECT_EQ(scenario.checks[1].region, "us-east");
}

TEST(ScenarioFileErrors, Regions) {
  const ScenarioError error = parse_error(R"(
name: regional
duration: 1h
regions:
  - {name: eu-west, admission: {rate: 0}}
  - {name: eu-west}
  - {name: us-east, latency_to: {mars: 10ms}}
organizations:
  - {name: acme, region: ap-south}
sites:
  - {name: dublin, region: moon, devices: [{count: 1}]}
timeline:
  - {at: 10m, do: fault, kind: region_outage, for: 5m}
checks:
  - {id: up, expect: all_devices_connected}
)");
  expect_file_error(error, 4, "regions.0.admission.rate", "expected hellos per second above 0");
  expect_file_error(error, 5, "regions.1.name", "\"eu-west\" is already taken by regions.0");
  expect_file_error(error, 6, "regions.2.latency_to.mars", "expected one of the scenario's other");
  expect_file_error(error, 8, "organizations.0.region",
                    "\"ap-south\" is not one of the scenario's regions; expected one of eu-west");
  expect_file_error(error, 10, "sites.0.region", "\"moon\" is not one of the scenario's regions");
  expect_file_error(error, 12, "timeline.0.region", "missing");
  // A site that says no region is in eu-west, which must then be a region of the scenario.
  expect_file_error(parse_error(R"(
name: regional
duration: 1h
regions: [{name: us-east}, {name: us-west}]
sites:
  - {name: cork, devices: [{count: 1}]}
checks:
  - {id: up, expect: all_devices_connected}
)"),
                    5, "sites.0.name",
                    "\"eu-west\" (the default region) is not one of the scenario's regions");
}

}  // namespace
}  // namespace ccsim::scenarios

namespace ccsim::scenarios {
namespace {

constexpr std::string_view kSmallFile =
    "name: x\nduration: 1h\nsites:\n  - {name: lund, devices: [{count: 1}]}\nchecks:\n  - {id: "
    "up, expect: all_devices_connected}\n";

TEST(ScenarioFile, ObjectivesBecomeMetricChecksAfterTheChecks) {
  const Scenario s = parse_scenario(
      std::string(kSmallFile) +
          "slo:\n  - {metric: reconnect_peak_per_second, at_most: 100}\n"
          "  - {id: setup, metric: live_session_setup_p99_s, at_least: 0, at_most: 2}\n",
      "x.yaml", {});
  ASSERT_EQ(s.checks.size(), 3u);
  EXPECT_FALSE(s.checks[0].objective);
  EXPECT_TRUE(s.checks[1].objective);
  EXPECT_EQ(s.checks[1].id, "slo-reconnect_peak_per_second");
  EXPECT_EQ(s.checks[1].kind, CheckKind::kMetric);
  EXPECT_EQ(s.checks[1].at_most, 100);
  EXPECT_EQ(s.checks[2].id, "setup");
  EXPECT_EQ(s.checks[2].line, 9);
}

TEST(ScenarioFile, CapacityKeysAndTheirDefaults) {
  const Scenario plain = parse_scenario(kSmallFile, "x.yaml", {});
  EXPECT_EQ(plain.capacity.headroom, 0.30);
  EXPECT_EQ(plain.capacity.node.turn_relay_bps, 1e9);
  EXPECT_FALSE(plain.capacity.prices.given());
  const Scenario s = parse_scenario(
      std::string(kSmallFile) +
          "capacity:\n  headroom: 25%\n  node: {turn_relay: 10Gbps, signaling_sessions: 500}\n"
          "  prices: {currency: USD, turn_relay_node_month: 300, relay_egress_per_gb: 0.02}\n",
      "x.yaml", {});
  EXPECT_EQ(s.capacity.headroom, 0.25);
  EXPECT_EQ(s.capacity.node.turn_relay_bps, 10e9);
  EXPECT_EQ(s.capacity.node.signaling_sessions, 500);
  EXPECT_EQ(s.capacity.node.device_endpoint_connections, 100'000);  // left at its default
  EXPECT_EQ(s.capacity.prices.currency, "USD");
  EXPECT_EQ(s.capacity.prices.turn_relay_node_month, 300);
  EXPECT_TRUE(s.capacity.prices.given());
}

TEST(ScenarioFileErrors, ObjectivesAndCapacity) {
  const auto error = [](const std::string& tail) {
    return parse_error(std::string(kSmallFile) + tail);
  };
  expect_file_error(error("slo:\n  - {metric: nothing, at_most: 1}\n"), 8, "slo.0.metric",
                    "\"nothing\" is not a metric");
  expect_file_error(error("slo:\n  - {metric: frame_errors}\n"), 8, "slo.0", "has no bound");
  expect_file_error(error("slo:\n  - {metric: frame_errors, at_least: 2, at_most: 1}\n"), 8,
                    "slo.0.at_most", "below at_least");
  expect_file_error(error("slo:\n  - {id: up, metric: frame_errors, at_most: 0}\n"), 8, "slo.0",
                    "\"up\" is already the id of a check");
  expect_file_error(error("slo:\n  - {metric: frame_errors, below: 1}\n"), 8, "slo.0.below",
                    "at_most");
  expect_file_error(error("capacity: {headroom: 95%}\n"), 7, "capacity.headroom", "at most 90%");
  expect_file_error(error("capacity: {node: {turn_relay: 0Gbps}}\n"), 7, "capacity.node.turn_relay",
                    "a bandwidth above 0");
  expect_file_error(error("capacity: {node: {signaling_sessions: -3}}\n"), 7,
                    "capacity.node.signaling_sessions", "positive");
  expect_file_error(error("capacity: {prices: {signaling_node_month: -1}}\n"), 7,
                    "capacity.prices.signaling_node_month", "0 or more");
  expect_file_error(error("capacity: {nodes: {}}\n"), 7, "capacity.nodes", "node");
}

}  // namespace
}  // namespace ccsim::scenarios

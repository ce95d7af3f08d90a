#include "scenarios/scenario_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
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

// The file, line and key of a file error, in the fields and at the front of what().
void expect_file_error(const ScenarioError& error, int line, const std::string& key,
                       const std::string& expected_part) {
  EXPECT_EQ(error.file, kFile) << error.what();
  EXPECT_EQ(error.line, line) << error.what();
  EXPECT_EQ(error.key, key) << error.what();
  EXPECT_TRUE(error.setting.empty()) << error.what();
  const std::string head =
      std::string(kFile) + ":" + std::to_string(line) + ": " + (key.empty() ? "" : key + ": ");
  EXPECT_EQ(std::string(error.what()).rfind(head, 0), 0u) << error.what();
  EXPECT_NE(error.expected.find(expected_part), std::string::npos) << error.what();
}

void expect_override_error(const ScenarioError& error, const std::string& setting,
                           const std::string& key, const std::string& expected_part) {
  EXPECT_EQ(error.file, "--set") << error.what();
  EXPECT_EQ(error.line, 0) << error.what();
  EXPECT_EQ(error.key, key) << error.what();
  EXPECT_EQ(error.setting, setting) << error.what();
  const std::string head = "--set " + setting + ": " + (key.empty() ? "" : key + ": ");
  EXPECT_EQ(std::string(error.what()).rfind(head, 0), 0u) << error.what();
  EXPECT_NE(error.expected.find(expected_part), std::string::npos) << error.what();
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
                    "unknown key; expected one of cameras, sites, model, os, region, uplink");
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
heartbeat: {interval: 2h}
)"),
                    3, "heartbeat.interval", "at most 1h");
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

TEST(ScenarioFileErrors, Timeline) {
  const std::string head = R"(
name: x
duration: 1h
sites:
  - {name: lund, devices: [{count: 1}]}
timeline:
)";
  const auto error = [&](const std::string& entry) { return parse_error(head + entry + "\n"); };
  expect_file_error(error("  - {at: 1h, do: fault, kind: partition, for: 1m}"), 6, "timeline.0.at",
                    "before the end of the scenario (duration 1h)");
  expect_file_error(error("  - {at: 2h, do: fault, kind: partition, for: 1m}"), 6, "timeline.0.at",
                    "at most 1h");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 0s}"), 6, "timeline.0.for",
                    "above 0");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition}"), 6, "timeline.0.for",
                    "missing");
  expect_file_error(error("  - {at: 1m, do: reboot, kind: partition, for: 1m}"), 6, "timeline.0.do",
                    "got \"reboot\"; expected one of fault, onboard");
  expect_file_error(error("  - {at: 1m, do: fault, kind: outage, for: 1m}"), 6, "timeline.0.kind",
                    "expected partition");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, site: malmo}"), 6,
                    "timeline.0.site", "\"malmo\" is not a site; expected one of lund");
  expect_file_error(error("  - {at: 1m, do: fault, kind: partition, for: 1m, region: mars}"), 6,
                    "timeline.0.region", "\"mars\" is no site's region; expected one of eu-west");
  expect_file_error(
      error("  - {at: 1m, do: fault, kind: partition, for: 1m, site: lund, region: eu-west}"), 6,
      "timeline.0.region", "not both");
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
  expect_file_error(parse_error(std::string(kSmall) + "---\nname: y\n"), 10, "",
                    "a second YAML document");
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
                        "unknown key; expected one of cameras, sites, model, os, region, uplink");
  EXPECT_EQ(std::string(unknown.what()),
            "--set fleet.camras=5: fleet.camras: unknown key; expected one of cameras, sites, "
            "model, os, region, uplink");
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

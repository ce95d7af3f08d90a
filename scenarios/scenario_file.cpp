// Scenario files: the document as a whole (one YAML document, a map), the top-level keys, and the
// order the sections are read in: what later sections refer to is read first. Each section is
// read by its own file (file_sections.h); every problem found is reported at the end, together.
#include "scenarios/scenario_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "core/file_text.h"
#include "core/yaml_documents.h"
#include "scenarios/file_overrides.h"
#include "scenarios/file_sections.h"
#include "scenarios/model/turn_servers.h"

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;
using namespace file;  // NOLINT: the loader's own vocabulary

constexpr std::size_t kDescriptionCharsMax = 4096;
constexpr Duration kOnboardingTimeoutMax = 24h;

constexpr std::array<std::string_view, 28> kTopLevelKeys = {"name",
                                                            "description",
                                                            "duration",
                                                            "start_within",
                                                            "start_order",
                                                            "sample_interval",
                                                            "heartbeat",
                                                            "reconnect",
                                                            "cloud",
                                                            "network",
                                                            "regions",
                                                            "latest_lts",
                                                            "onboarding_timeout",
                                                            "epoch",
                                                            "release_check_interval",
                                                            "telemetry_interval",
                                                            "releases",
                                                            "profiles",
                                                            "organizations",
                                                            "fleet",
                                                            "sites",
                                                            "viewers",
                                                            "turn_servers",
                                                            "timeline",
                                                            "swarm",
                                                            "checks",
                                                            "slo",
                                                            "capacity"};

// name, description, duration and how the run starts. A duration that cannot be read leaves the
// longest one, so the times of the other sections are judged against nothing smaller.
void read_run_settings(const Reader& reader, const MapView& root, Scenario& scenario) {
  reader.recover(
      [&] { scenario.name = read_identifier(reader, root.require("name", kIdentifierExpected)); });
  root.with("description", [&](const Field& description) {
    scenario.description = read_text(reader, description, kDescriptionCharsMax);
  });
  scenario.duration = kScenarioDurationMax;
  reader.recover([&] {
    scenario.duration = read_duration(reader, root.require("duration", "a duration such as 1h"),
                                      1us, kScenarioDurationMax);
  });
  root.with("start_within", [&](const Field& start_within) {
    scenario.start_within =
        read_duration(reader, start_within, 1us, scenario.duration, "the scenario's duration");
  });
  scenario.start_within = std::min(scenario.start_within, scenario.duration);
  scenario.sample_interval = std::min(scenario.sample_interval, scenario.duration);
  root.with("sample_interval", [&](const Field& interval) {
    const Duration least = std::max<Duration>(
        1s, (scenario.duration + Duration(kSamplesPerRunMax - 1)) / kSamplesPerRunMax);
    scenario.sample_interval =
        read_duration(reader, interval, least, scenario.duration, "the scenario's duration");
  });
  root.with("start_order", [&](const Field& start_order) {
    scenario.start_order = read_word(reader, start_order, {"random", "staggered"}) == "staggered"
                               ? StartOrder::kStaggered
                               : StartOrder::kRandom;
  });
  root.with("heartbeat", [&](const Field& heartbeat) {
    scenario.heartbeat = read_heartbeat(reader, heartbeat);
  });
  root.with("reconnect", [&](const Field& reconnect) {
    scenario.reconnect = read_reconnect(reader, reconnect);
  });
  root.with("cloud", [&](const Field& cloud) { scenario.cloud = read_cloud(reader, cloud); });
  root.with("network",
            [&](const Field& network) { scenario.network = read_network(reader, network); });
  root.with("latest_lts",
            [&](const Field& lts) { scenario.latest_lts_track = read_identifier(reader, lts); });
  root.with("onboarding_timeout", [&](const Field& timeout) {
    scenario.onboarding_timeout = read_duration(reader, timeout, 1s, kOnboardingTimeoutMax);
  });
}

Scenario read_scenario(const Reader& reader, const Field& root_field, const std::string& file) {
  const MapView root = open_map(reader, root_field, kTopLevelKeys);
  Scenario scenario;
  scenario.file = file;
  read_run_settings(reader, root, scenario);
  read_update_settings(reader, root, scenario);
  root.with("regions", [&](const Field& regions) { read_regions(reader, regions, scenario); });
  reader.recover([&] { scenario.profiles = read_profiles(reader, root.find("profiles")); });
  std::vector<OrganizationField> organizations;
  reader.recover([&] {
    scenario.organizations =
        read_organizations(reader, root.find("organizations"), organizations, scenario.regions);
  });
  reader.recover([&] {
    scenario.sites =
        read_all_sites(reader, root, scenario.organizations, organizations, scenario.regions);
  });
  root.with("viewers", [&](const Field& viewers) {
    scenario.viewers = read_viewers(reader, viewers, scenario.regions);
  });
  Names names = names_of(scenario);
  root.with("turn_servers",
            [&](const Field& servers) { read_turn_servers(reader, servers, names, scenario); });
  scenario.turn_servers = turn_servers_with_defaults(scenario);
  for (const TurnServer& server : scenario.turn_servers) names.turn_servers.push_back(server.name);
  check_organizations(reader, organizations, scenario, names);
  reader.recover([&] { read_timeline(reader, root.find("timeline"), names, scenario); });
  root.with("swarm",
            [&](const Field& swarm) { scenario.swarm = read_swarm(reader, swarm, scenario); });
  for (const Action& action : scenario.actions) {
    if (action.kind == ActionKind::kRollout) names.rollouts.push_back(action.name);
  }
  reader.recover([&] {
    scenario.checks =
        read_checks(reader, root.require("checks", "a list of at least one check"), names);
  });
  root.with("slo", [&](const Field& slo) { read_objectives(reader, slo, scenario.checks); });
  root.with("capacity",
            [&](const Field& capacity) { scenario.capacity = read_capacity(reader, capacity); });
  reader.finish();
  return scenario;
}

YAML::Node load_document(std::string_view yaml_text, const std::string& file_label) {
  if (yaml_text.size() > kScenarioFileBytesMax) {
    throw ScenarioError(file_label, 0, "",
                        std::to_string(yaml_text.size()) + " bytes; expected at most " +
                            std::to_string(kScenarioFileBytesMax));
  }
  const std::string text(yaml_text);
  YAML::Node document;
  try {
    // Not YAML::LoadAll, which loops on a stray ',' (core/yaml_documents.h).
    const core::YamlDocuments scan = core::scan_yaml_documents(text);
    if (scan.stalled_at) {
      throw ScenarioError(file_label, scan.stalled_at->line + 1, "",
                          "invalid YAML: unexpected character at column " +
                              std::to_string(scan.stalled_at->column + 1) +
                              "; expected a key, a value or a list item (a ',' outside [] or {}?)");
    }
    if (scan.second_at) {
      throw ScenarioError(file_label, scan.second_at->line + 1, "",
                          "a second YAML document; expected one scenario per file");
    }
    document = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ScenarioError(file_label, error.mark.line >= 0 ? error.mark.line + 1 : 0, "",
                        "invalid YAML: " + error.msg);
  }
  if (!document.IsDefined() || document.IsNull()) {
    throw ScenarioError(file_label, 1, "",
                        "empty document; expected a map with name, duration, sites or fleet, "
                        "and checks");
  }
  return document;
}

}  // namespace

Scenario parse_scenario(std::string_view yaml_text, const std::string& file_label,
                        const std::vector<Override>& overrides) {
  YAML::Node root = load_document(yaml_text, file_label);
  if (!root.IsMap()) {
    throw ScenarioError(file_label, root.Mark().line + 1, "",
                        "the document is " + std::string(describe_node(root)) +
                            "; expected a map with name, duration, sites or fleet, and checks");
  }
  std::vector<AppliedOverride> applied = apply_overrides(root, overrides);
  const Reader reader(file_label, std::move(applied));
  return read_scenario(reader, Field{root, ""}, file_label);
}

Scenario load_scenario(const std::string& path, const std::vector<Override>& overrides) {
  const core::FileText file = core::read_file_text(path, kScenarioFileBytesMax);
  if (!file.error.empty()) {
    throw ScenarioError(path, 0, "", file.error + "; expected a readable scenario file");
  }
  return parse_scenario(file.text, path, overrides);  // it reports a text over the size limit
}

}  // namespace ccsim::scenarios

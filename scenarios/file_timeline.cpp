// The timeline of a scenario file: `do: fault` entries and the actions, each read by the keys its
// declaration names (scenarios/model/vocabulary.h), with the rules that tie keys together.
#include <algorithm>
#include <map>

#include "scenarios/file_keys.h"
#include "scenarios/file_sections.h"

namespace ccsim::scenarios::file {
namespace {

using namespace std::chrono_literals;

std::vector<std::string_view> entry_words() {
  std::vector<std::string_view> words{kFaultWord};
  for (const ActionSpec& spec : action_specs()) words.push_back(spec.word);
  return words;
}

std::vector<std::string_view> fault_words() {
  std::vector<std::string_view> words;
  for (const FaultSpec& spec : fault_specs()) words.push_back(spec.word);
  return words;
}

// Every key some action or fault takes, for "not valid with do: X".
std::vector<std::string_view> timeline_keys() {
  std::vector<std::string_view> keys{"at", "do", "kind"};
  for (const ActionSpec& spec : action_specs()) {
    for (const KeySpec<Action>& key : spec.keys) keys.push_back(key.name);
  }
  for (const FaultSpec& spec : fault_specs()) {
    for (const KeySpec<Fault>& key : spec.keys) keys.push_back(key.name);
  }
  return keys;
}

// `at:` of a timeline entry: within the run, before its end.
Duration read_entry_time(const Reader& reader, const MapView& map, const Names& names) {
  return read_time_before_end(reader, map.require("at", "the time it happens, such as 10m"),
                              names.duration);
}

// Rules across a fault's keys, once they are read.
void check_fault(const Reader& reader, const MapView& map, const Fault& fault) {
  if (map.find("site") && map.find("region")) {
    reader.report(*map.find("region"), "given with site; expected site or region, not both");
  }
  if (fault.kind == FaultKind::kLossBurst && map.find("loss") && fault.burst.loss <= 0.0) {
    reader.report(*map.find("loss"), "0; expected a loss above 0 in the bad state");
  }
  if (fault.kind == FaultKind::kLatencySpike && fault.latency > kLatencySpikeMax) {
    reader.report(*map.find("latency"), format_duration(fault.latency) +
                                            "; expected a latency spike of at most " +
                                            format_duration(kLatencySpikeMax));
  }
  if (fault.kind == FaultKind::kPowerLoss && fault.stagger > kStaggerMax) {
    reader.report(*map.find("stagger"), format_duration(fault.stagger) +
                                            "; expected a stagger of at most " +
                                            format_duration(kStaggerMax));
  }
  if (fault.kind == FaultKind::kJitter && fault.jitter > kJitterMax) {
    reader.report(*map.find("jitter"), format_duration(fault.jitter) +
                                           "; expected a jitter of at most " +
                                           format_duration(kJitterMax));
  }
}

Fault read_fault(const Reader& reader, const Field& item, const Names& names) {
  const std::vector<std::string_view> kinds = fault_words();
  const Field kind_field{item.node[std::string(kFaultKindKey)],
                         child_path(item.path, kFaultKindKey)};
  if (!kind_field.node.IsDefined()) {
    reader.fail(Field{item.node, kind_field.path}, "missing; expected one of " + join_words(kinds));
  }
  const FaultSpec& spec = fault_specs()[read_word_index(reader, kind_field, kinds)];
  const MapView map = open_map(reader, item, allowed_keys<Fault>({"at", "do", "kind"}, spec.keys),
                               timeline_keys(), "do: fault, kind: " + std::string(spec.word));
  Fault fault;
  fault.kind = spec.kind;
  fault.line = reader.line_of(item);
  fault.at = read_entry_time(reader, map, names);
  read_declared_keys<Fault>(reader, map, spec.keys, KeyContext{names, fault.at}, fault);
  check_fault(reader, map, fault);
  return fault;
}

// Rules across an action's keys, once they are read.
void check_action(const Reader& reader, const MapView& map, const Action& action) {
  if (!action.scope.empty() && action.as == ActingRole::kOwner) {
    reader.report(*map.find("scope"),
                  "given for the owner, whose role is organization-wide; expected as: "
                  "administrator, operator or viewer");
  }
}

Action read_action(const Reader& reader, const Field& item, const ActionSpec& spec,
                   const Names& names) {
  const MapView map = open_map(reader, item, allowed_keys<Action>({"at", "do"}, spec.keys),
                               timeline_keys(), "do: " + std::string(spec.word));
  if (names.organizations.empty()) {
    reader.fail(open_map_field(item, kActionWordKey),
                "do: " + std::string(spec.word) +
                    " acts on a platform with tenants; expected organizations: in the scenario "
                    "(only do: fault works without)");
  }
  Action action;
  action.kind = spec.kind;
  action.line = reader.line_of(item);
  action.at = read_entry_time(reader, map, names);
  read_declared_keys<Action>(reader, map, spec.keys, KeyContext{names, action.at}, action);
  check_action(reader, map, action);
  return action;
}

// One entry: a fault into scenario.timeline, or an action into scenario.actions.
void read_entry(const Reader& reader, const Field& item, const Names& names, Scenario& scenario) {
  if (!item.node.IsMap()) {
    reader.fail(item, "got " + std::string(describe_node(item.node)) +
                          "; expected a map such as {at: 10m, do: onboard, devices: all}");
  }
  const std::vector<std::string_view> words = entry_words();
  const YAML::Node word_node = item.node[std::string(kActionWordKey)];
  const Field word_field{word_node.IsDefined() ? word_node : item.node,
                         child_path(item.path, kActionWordKey)};
  if (!word_node.IsDefined())
    reader.fail(word_field, "missing; expected one of " + join_words(words));
  const std::size_t word = read_word_index(reader, word_field, words);
  if (word == 0) {
    scenario.timeline.push_back(read_fault(reader, item, names));
    return;
  }
  scenario.actions.push_back(read_action(reader, item, action_specs()[word - 1], names));
}

}  // namespace

void read_timeline(const Reader& reader, const std::optional<Field>& field, const Names& names,
                   Scenario& scenario) {
  if (!field) return;
  std::map<std::string, std::string> rollouts;  // name -> the entry that has it
  for (const Field& item : open_list(reader, *field, kTimelineEntriesMax, "timeline entries")) {
    const std::size_t actions_before = scenario.actions.size();
    reader.recover([&] { read_entry(reader, item, names, scenario); });
    if (scenario.actions.size() == actions_before) continue;
    const Action& action = scenario.actions.back();
    if (action.kind != ActionKind::kRollout || action.name.empty()) continue;
    const auto [it, added] = rollouts.emplace(action.name, item.path);
    if (!added) {
      reader.report(open_map_field(item, "name"), quote(action.name) +
                                                      " already names the rollout " + it->second +
                                                      "; expected a unique rollout name");
    }
  }
}

SwarmSpec read_swarm(const Reader& reader, const Field& field, const Scenario& scenario) {
  const MapView map =
      open_map(reader, field, {"faults", "count", "after", "within", "for_max", "converge_within"});
  SwarmSpec swarm;
  swarm.line = reader.line_of(field);
  const std::vector<std::string_view> kinds = fault_words();
  const Field faults =
      map.require("faults", "a list of fault kinds, such as [partition, power_loss]");
  for (const Field& item : open_list(reader, faults, kinds.size(), "fault kinds")) {
    reader.recover(
        [&] { swarm.faults.push_back(fault_specs()[read_word_index(reader, item, kinds)].kind); });
  }
  map.with("count", [&](const Field& count) {
    swarm.count = static_cast<std::uint32_t>(read_whole_number(reader, count, 1, kSwarmFaultsMax));
  });
  map.with("within", [&](const Field& within) {
    swarm.within = read_duration(reader, within, 1us, scenario.duration, "the scenario's duration");
  });
  map.with("after", [&](const Field& after) {
    swarm.after = read_duration(reader, after, 0s, scenario.duration, "the scenario's duration");
  });
  map.with("for_max", [&](const Field& length) {
    swarm.for_max = read_duration(reader, length, 1min, kScenarioDurationMax);
  });
  map.with("converge_within", [&](const Field& converge) {
    swarm.converge_within = read_duration(reader, converge, 1s, kScenarioDurationMax);
  });
  // The last fault may begin just before `within`, last `for_max` (and a power loss's boots 5
  // minutes more); the fleet must have converged `converge_within` later, inside the run.
  const Duration within = swarm.within > Duration::zero() ? swarm.within : scenario.duration / 2;
  if (swarm.after >= within) {
    reader.report(open_map_field(field, "after"),
                  format_duration(swarm.after) + " is not before within, " +
                      format_duration(within) + "; expected faults to have time to begin");
  }
  const Duration latest = within + swarm.for_max + 5min + swarm.converge_within;
  if (latest > scenario.duration) {
    reader.report(open_map_field(field, "converge_within"),
                  format_duration(latest) + " from the start the fleet may still be converging (" +
                      "within + for_max + 5m of boots + converge_within); expected it to fit in " +
                      "the scenario's duration, " + format_duration(scenario.duration));
  }
  return swarm;
}

}  // namespace ccsim::scenarios::file

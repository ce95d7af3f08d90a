#include "scenarios/file_keys.h"

#include <algorithm>
#include <iterator>

#include "platform/audit_topics.h"
#include "platform/device_registry.h"
#include "scenarios/model/metrics.h"

namespace ccsim::scenarios::file {
namespace {

using namespace std::chrono_literals;

// The overlay text of a set_overlay_text task, as the Task Manager takes it.
std::string read_overlay_text(const Reader& reader, const Field& field) {
  const std::string& text = read_scalar(reader, field, "text");
  if (text.size() > kOverlayTextBytesMax) {
    reader.fail(field, std::to_string(text.size()) + " bytes; expected at most " +
                           std::to_string(kOverlayTextBytesMax) + " (the Task Manager's limit)");
  }
  const auto control = std::find_if(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
  if (control != text.end()) {
    reader.fail(field, "a control character at byte " +
                           std::to_string(std::distance(text.begin(), control)) +
                           "; expected text without control characters (newlines and tabs "
                           "included)");
  }
  return text;
}

// A version deploy and rollout may install: a release's.
std::string read_known_version(const Reader& reader, const Field& field, const Names& names) {
  std::string version = read_version(reader, field);
  if (!std::binary_search(names.versions.begin(), names.versions.end(), version)) {
    reader.fail(field, quote(version) +
                           " is an unknown version: the platform deploys only published releases; "
                           "expected one of the releases: " +
                           (names.versions.empty() ? std::string("(none published)")
                                                   : join(names.versions, kNamesListedMax)));
  }
  return version;
}

RolloutStage read_rollout_stage(const Reader& reader, const Field& item, bool last) {
  const MapView map = open_map(reader, item, {"devices", "success_threshold"});
  RolloutStage stage;
  map.with("success_threshold", [&](const Field& threshold) {
    stage.success_threshold = read_fraction(reader, threshold);
  });
  const Field devices = map.require(
      "devices", "how many devices the stage takes (0 in the last stage: every device left)");
  stage.devices = read_whole_number(reader, devices, 0, kDevicesPerScenarioMax);
  if (stage.devices == 0 && !last) {
    reader.fail(devices,
                "0 in a stage before the last; expected at least 1 (only the last stage may "
                "take 0: every device left)");
  }
  return stage;
}

std::vector<RolloutStage> read_rollout_stages(const Reader& reader, const Field& field) {
  constexpr std::string_view kStage = "stages such as {devices: 10, success_threshold: 90%}";
  const std::vector<Field> items = open_list(reader, field, kRolloutStagesMax, kStage);
  if (items.empty()) {
    reader.fail(field, "an empty list; expected at least one of the " + std::string(kStage) +
                           ", or no stages: one stage of every device");
  }
  std::vector<RolloutStage> stages;
  bool whole = true;
  for (std::size_t i = 0; i < items.size(); ++i) {
    whole = reader.recover([&] {
      stages.push_back(read_rollout_stage(reader, items[i], i + 1 == items.size()));
    }) && whole;
  }
  if (!whole) throw FieldAbandoned{};  // recorded: a rollout with a stage missing is no rollout
  return stages;
}

AbortRule read_abort_rule(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"failure_share", "after"});
  AbortRule rule;
  map.with("failure_share",
           [&](const Field& share) { rule.failure_share = read_fraction(reader, share); });
  map.with("after", [&](const Field& after) {
    rule.after = read_whole_number(reader, after, 1, kDevicesPerScenarioMax);
  });
  return rule;
}

std::string read_region(const Reader& reader, const Field& field, const Names& names) {
  std::string region = read_identifier(reader, field);
  if (names.regions.count(region) == 0) {
    reader.fail(field, quote(region) + " is no site's region; expected one of " +
                           join(names.region_list, kNamesListedMax));
  }
  return region;
}

// A site of an organization, whose resource group a role may be scoped to.
std::string read_scope(const Reader& reader, const Field& field, const Names& names) {
  std::string scope = read_site_reference(reader, field, names);
  if (names.owned_sites.count(scope) == 0) {
    reader.fail(field, quote(scope) +
                           " belongs to no organization, so it has no resource group; expected a "
                           "site of an organization");
  }
  return scope;
}

std::string read_audit_topic(const Reader& reader, const Field& field) {
  std::string topic = read_scalar(reader, field, "an audit topic such as device.onboarded");
  const auto& topics = platform::kAuditTopics;
  const bool known =
      std::any_of(topics.begin(), topics.end(),
                  [&](const platform::AuditTopicSpec& t) { return t.topic == topic; });
  if (!known) {
    std::vector<std::string> all;
    for (const platform::AuditTopicSpec& t : topics) all.emplace_back(t.topic);
    reader.fail(field,
                quote(topic) + " is not an audit topic; expected one of " + join(all, all.size()));
  }
  return topic;
}

std::string read_audit_trail(const Reader& reader, const Field& field, const Names& names) {
  std::vector<std::string> trails = names.organizations;
  trails.emplace_back(platform::kRegistryAuditTrail);
  return read_reference(reader, field, trails, "an audit trail (an organization, or platform)");
}

// The types whose value is a duration.
Duration read_duration_key(const Reader& reader, const Field& field, KeyType type,
                           const KeyContext& context) {
  const Duration duration = context.names.duration;
  switch (type) {
    case KeyType::kTime:
      return read_time_before_end(reader, field, duration);
    case KeyType::kMoment:
      return read_duration(reader, field, Duration::zero(), duration, "the scenario's duration");
    case KeyType::kWithin:
      return read_duration(reader, field, 1us, duration, "the scenario's duration");
    case KeyType::kLength:
      return read_duration(reader, field, 1us, kScenarioDurationMax);
    default:  // kSpread
      return read_duration(reader, field, Duration::zero(), duration - context.entry_at,
                           "the time left in the scenario");
  }
}

// The types whose value is a name one of the scenario's sections defines.
std::string read_name_key(const Reader& reader, const Field& field, KeyType type,
                          const Names& names) {
  switch (type) {
    case KeyType::kSite:
      return read_site_reference(reader, field, names);
    case KeyType::kRegion:
      return read_region(reader, field, names);
    case KeyType::kOrganization:
      return read_reference(reader, field, names.organizations, "an organization");
    case KeyType::kProfile:
      return read_reference(reader, field, names.profiles, "a profile");
    case KeyType::kViewer:
      return read_reference(reader, field, names.viewers, "a viewer (a name under viewers:)");
    case KeyType::kTurnServer:
      return read_reference(reader, field, names.turn_servers,
                            "a TURN server (a name under turn_servers:, or turn-REGION)");
    case KeyType::kScope:
      return read_scope(reader, field, names);
    case KeyType::kRollout:
      return read_reference(reader, field, names.rollouts,
                            "a rollout (the name of a do: rollout entry)");
    case KeyType::kRelease:
      return read_known_version(reader, field, names);
    default:  // kAuditTrail
      return read_audit_trail(reader, field, names);
  }
}

}  // namespace

std::string read_metric_name(const Reader& reader, const Field& field) {
  std::string metric = read_scalar(reader, field, "a metric name such as frame_errors");
  if (find_metric(metric) == nullptr) {
    std::vector<std::string> known;
    for (const MetricSpec& spec : metric_specs()) known.emplace_back(spec.name);
    reader.fail(field,
                quote(metric) + " is not a metric; expected one of " + join(known, known.size()));
  }
  return metric;
}

KeyValue read_key_value(const Reader& reader, const Field& field, KeyType type, std::uint64_t min,
                        std::uint64_t max, std::span<const std::string_view> words,
                        const KeyContext& context) {
  switch (type) {
    case KeyType::kTime:
    case KeyType::kMoment:
    case KeyType::kWithin:
    case KeyType::kLength:
    case KeyType::kSpread:
      return read_duration_key(reader, field, type, context);
    case KeyType::kWhole:
      return read_whole_number(reader, field, min, max);
    case KeyType::kFraction:
      return read_fraction(reader, field);
    case KeyType::kNumber:
      return read_number(reader, field);
    case KeyType::kBandwidth:
      return read_bandwidth_bps(reader, field);
    case KeyType::kBool:
      return read_bool(reader, field);
    case KeyType::kWord: {
      const std::size_t index = read_word_index(reader, field, words);
      return Word{index, std::string(words[index])};
    }
    case KeyType::kIdentifier:
      return read_identifier(reader, field);
    case KeyType::kText:
      return read_text(reader, field, max);
    case KeyType::kOverlayText:
      return read_overlay_text(reader, field);
    case KeyType::kVersion:
      return read_version(reader, field);
    case KeyType::kSelection:
      return read_selection(reader, field, context.names);
    case KeyType::kMetric:
      return read_metric_name(reader, field);
    case KeyType::kAuditTopic:
      return read_audit_topic(reader, field);
    case KeyType::kRolloutStages:
      return read_rollout_stages(reader, field);
    case KeyType::kAbortRule:
      return read_abort_rule(reader, field);
    default:
      return read_name_key(reader, field, type, context.names);
  }
}

}  // namespace ccsim::scenarios::file

// The words a scenario file is written in, declared once: each timeline action (`do:`), each
// fault kind, each check (`expect:`), with every key it takes: the key's type, its default, its
// limits, a line of documentation, and where its value goes. The loader reads keys from these
// declarations, the engine dispatches on them, and scenarios/README.md's key tables are generated
// from them (scenario_reference), so none of those is a list kept in step by hand. Metrics are
// declared in metrics.h, audit topics by the platform (platform/audit_topics.h).
//
// Adding an action is one ActionSpec row in actions.cpp and one handler in the engine's timeline;
// a check, one CheckSpec row in checks.cpp and one judge.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

// How a key's value is written and checked.
enum class KeyType : std::uint8_t {
  kTime,           // a duration: a moment of the run, 0s up to, not including, its end
  kMoment,         // a duration: a moment of the run, 0s up to and including its end
  kWithin,         // a duration above 0, at most the scenario's duration
  kLength,         // a duration above 0, at most 366d (may run past the end)
  kSpread,         // a duration of at most the time left after the entry's `at`
  kWhole,          // a whole number in [min, max]
  kFraction,       // a fraction: 0.5 or 50%
  kNumber,         // any finite number
  kBandwidth,      // bits per second, written 5Mbps: above 0, at most 1Tbps
  kBool,           // true or false
  kWord,           // one of `words`
  kIdentifier,     // 1-64 characters of A-Z a-z 0-9 . _ -
  kText,           // text of at most `max` characters
  kOverlayText,    // overlay text, as the Task Manager takes it
  kVersion,        // an OS version, N.N.N
  kRelease,        // the version of one of the scenario's releases
  kSelection,      // a device selection: all, or {site, organization, model, count}
  kSite,           // the name of one of the scenario's sites
  kViewer,         // the name of one of the scenario's viewers
  kTurnServer,     // the name of one of the scenario's TURN servers
  kRegion,         // a region some site is in
  kOrganization,   // the name of one of the scenario's organizations
  kProfile,        // the name of one of the scenario's profiles
  kScope,          // a site of an organization (its resource group)
  kRollout,        // the name of one of the timeline's rollouts
  kMetric,         // the name of a metric (metrics.h)
  kAuditTrail,     // an organization's name, or platform
  kAuditTopic,     // an audit topic the platform writes
  kRolloutStages,  // a list of {devices, success_threshold}
  kAbortRule,      // {failure_share, after}
};

// The text a README table shows for a type: "duration", "whole number", ...
std::string_view key_type_name(KeyType type);

// A word of a kWord key: its position in the key's words, and the word itself.
struct Word {
  std::size_t index = 0;
  std::string text;
};

// What a rollout's `abort:` says.
struct AbortRule {
  double failure_share = 1.0;
  std::uint64_t after = 1;
};

// A key's value once read, by its type: Duration for the duration types, std::uint64_t for kWhole,
// double for kFraction, kNumber and kBandwidth (bits per second), std::string for names, text and
// versions.
using KeyValue = std::variant<bool, std::uint64_t, double, Duration, std::string, Word,
                              DeviceSelection, std::vector<RolloutStage>, AbortRule>;

// When a key is left out.
enum class Absent : std::uint8_t {
  kDefault,   // the target keeps its default (see default_text)
  kRequired,  // an error
  kDuration,  // the target gets the scenario's duration
};

// One key of an action, a fault or a check (Target: Action, Fault or Check).
template <typename Target>
struct KeySpec {
  std::string_view name;
  KeyType type;
  Absent absent = Absent::kDefault;
  std::string_view default_text;            // for the README: "`0s`", "each device's own", ...
  std::string_view doc;                     // what it means, for the README
  std::uint64_t min = 0, max = 0;           // kWhole; kText: max characters
  std::span<const std::string_view> words;  // kWord
  void (*assign)(Target& target, const KeyValue& value) = nullptr;
};

// Where an action happens.
enum class ActionSide : std::uint8_t {
  kPlatform,  // a user acts through the platform's API
  kDevices,   // something happens at the devices themselves, at their sites
};

struct ActionSpec {
  std::string_view word;  // `do: WORD`
  ActionKind kind;
  ActionSide side;
  std::string_view doc;                   // what happens
  std::span<const KeySpec<Action>> keys;  // besides `at` and `do`
};

struct FaultSpec {
  std::string_view word;  // `kind: WORD` of a `do: fault` entry
  FaultKind kind;
  std::string_view doc;
  std::span<const KeySpec<Fault>> keys;  // besides `at`, `do` and `kind`
};

// Whether a check takes at_least / at_most.
enum class Bounds : std::uint8_t {
  kNone,      // neither
  kOptional,  // either, both or none
  kRequired,  // at least one
};

struct CheckSpec {
  std::string_view word;  // `expect: WORD`
  CheckKind kind;
  std::string_view passes_when;          // for the README
  std::span<const KeySpec<Check>> keys;  // besides `id`, `expect` and the bounds
  Bounds bounds;
  bool fraction_bounds;  // bounds are fractions (else any number)
  // Judged at its `at` (a moment of the run) rather than at the end.
  bool looks_at_a_moment;
};

// Every action, fault kind and check, in the order the README lists them.
std::span<const ActionSpec> action_specs();
std::span<const FaultSpec> fault_specs();
std::span<const CheckSpec> check_specs();
const ActionSpec& action_spec(ActionKind kind);
const FaultSpec& fault_spec(FaultKind kind);
const CheckSpec& check_spec(CheckKind kind);

// Keys every action has (`at`, and `do` itself), every fault (`at`, `do: fault`, `kind`) and every
// check (`id`, `expect`, and `at_least`/`at_most` as its Bounds say).
inline constexpr std::string_view kActionWordKey = "do";
inline constexpr std::string_view kFaultWord = "fault";
inline constexpr std::string_view kFaultKindKey = "kind";
inline constexpr std::string_view kCheckWordKey = "expect";

// Sets `Target::*Member` from a value of the member's type: an integer member from a whole number,
// an enum or bool member from a word's index, a string member from a word's text.
template <auto Member, typename Target>
void assign_member(Target& target, const KeyValue& value) {
  using Field = std::remove_cvref_t<decltype(target.*Member)>;
  if constexpr (std::is_same_v<Field, bool> || std::is_enum_v<Field>) {
    if (const Word* word = std::get_if<Word>(&value)) {
      target.*Member = static_cast<Field>(word->index);
    } else if constexpr (std::is_same_v<Field, bool>) {
      target.*Member = std::get<bool>(value);
    }
  } else if constexpr (std::is_integral_v<Field>) {
    target.*Member = static_cast<Field>(std::get<std::uint64_t>(value));
  } else if constexpr (std::is_same_v<Field, std::string>) {
    if (const Word* word = std::get_if<Word>(&value)) {
      target.*Member = word->text;
    } else {
      target.*Member = std::get<std::string>(value);
    }
  } else {
    target.*Member = std::get<Field>(value);
  }
}

}  // namespace ccsim::scenarios

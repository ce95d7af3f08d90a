// The declarations: every kind of action, fault and check has one, the keys they declare are
// unique and land where they say, and the README's tables carry every word.
#include "scenarios/model/vocabulary.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "platform/audit_topics.h"
#include "scenarios/model/metrics.h"
#include "scenarios/model/reference.h"

namespace ccsim::scenarios {
namespace {

template <typename Target>
void expect_unique_keys(std::string_view word, std::span<const KeySpec<Target>> keys) {
  std::set<std::string_view> names;
  for (const KeySpec<Target>& key : keys) {
    EXPECT_TRUE(names.insert(key.name).second) << word << ": " << key.name << " twice";
    EXPECT_NE(key.assign, nullptr) << word << "." << key.name;
    EXPECT_FALSE(key.doc.empty()) << word << "." << key.name;
    if (key.type == KeyType::kWord) {
      EXPECT_FALSE(key.words.empty()) << word << "." << key.name;
    }
    if (key.type == KeyType::kWhole) {
      EXPECT_LE(key.min, key.max) << word << "." << key.name;
    }
  }
}

TEST(Vocabulary, EveryActionKindHasOneDeclarationWithUniqueKeys) {
  std::set<std::string_view> words;
  for (int kind = 0; kind <= static_cast<int>(ActionKind::kSetDiagnostics); ++kind) {
    const ActionSpec& spec = action_spec(static_cast<ActionKind>(kind));
    EXPECT_EQ(static_cast<int>(spec.kind), kind);
    EXPECT_TRUE(words.insert(spec.word).second) << spec.word;
    expect_unique_keys(spec.word, spec.keys);
  }
  EXPECT_EQ(words.size(), action_specs().size());
  EXPECT_FALSE(words.contains(kFaultWord)) << "fault is the timeline's other word";
}

TEST(Vocabulary, EveryCheckKindHasOneDeclarationWithUniqueKeys) {
  std::set<std::string_view> words;
  for (int kind = 0; kind <= static_cast<int>(CheckKind::kReconnectRate); ++kind) {
    const CheckSpec& spec = check_spec(static_cast<CheckKind>(kind));
    EXPECT_EQ(static_cast<int>(spec.kind), kind);
    EXPECT_TRUE(words.insert(spec.word).second) << spec.word;
    expect_unique_keys(spec.word, spec.keys);
    for (const KeySpec<Check>& key : spec.keys) {
      EXPECT_NE(key.name, "at_least") << "bounds come from the spec's Bounds";
    }
  }
}

TEST(Vocabulary, FaultKindsAreDeclaredWithUniqueKeys) {
  const std::vector<std::string_view> expected = {
      "partition",     "loss_burst",           "latency_spike",    "throttle",   "jitter",
      "region_outage", "endpoint_restart",     "platform_upgrade", "power_loss", "device_crash",
      "clock_skew",    "task_manager_restart", "turn_server_down"};
  ASSERT_EQ(fault_specs().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(fault_specs()[i].word, expected[i]);
    EXPECT_EQ(fault_spec(fault_specs()[i].kind).word, expected[i]) << "found by its kind";
    expect_unique_keys(fault_specs()[i].word, fault_specs()[i].keys);
    EXPECT_EQ(fault_specs()[i].keys[0].name, "for") << "every fault says how long it lasts";
  }
}

const KeySpec<Action>& action_key(ActionKind kind, std::string_view name) {
  for (const KeySpec<Action>& key : action_spec(kind).keys) {
    if (key.name == name) return key;
  }
  ADD_FAILURE() << name;
  return action_spec(kind).keys[0];
}

// Each key lands in its own field: a word as its enum, a number as its width, a rollout's keys
// inside the rollout.
TEST(Vocabulary, KeysAssignTheFieldTheyName) {
  Action action;
  action_key(ActionKind::kOnboard, "method").assign(action, Word{1, "local"});
  EXPECT_EQ(action.method, ClaimMethod::kLocal);
  action_key(ActionKind::kOnboard, "as").assign(action, Word{2, "operator"});
  EXPECT_EQ(action.as, ActingRole::kOperator);
  action_key(ActionKind::kOnboard, "oak").assign(action, Word{1, "wrong"});
  EXPECT_TRUE(action.wrong_oak);
  action_key(ActionKind::kOnboard, "attempts").assign(action, std::uint64_t{7});
  EXPECT_EQ(action.attempts, 7U);
  action_key(ActionKind::kOnboard, "over").assign(action, Duration(std::chrono::minutes(3)));
  EXPECT_EQ(action.over, std::chrono::minutes(3));
  action_key(ActionKind::kRollout, "starts_per_minute").assign(action, std::uint64_t{12});
  action_key(ActionKind::kRollout, "abort").assign(action, AbortRule{0.25, 4});
  EXPECT_EQ(action.rollout.starts_per_minute, 12U);
  EXPECT_EQ(action.rollout.abort_failure_share, 0.25);
  EXPECT_EQ(action.rollout.abort_after, 4U);
  action_key(ActionKind::kSetDiagnostics, "granted").assign(action, false);
  EXPECT_FALSE(action.granted);
}

TEST(Vocabulary, TheWordsOfAnEnumKeyFollowTheEnumsOrder) {
  const KeySpec<Action>& as = action_key(ActionKind::kOnboard, "as");
  ASSERT_EQ(as.words.size(), 4U);
  EXPECT_EQ(as.words[static_cast<std::size_t>(ActingRole::kOwner)], "owner");
  EXPECT_EQ(as.words[static_cast<std::size_t>(ActingRole::kViewer)], "viewer");
  const KeySpec<Action>& method = action_key(ActionKind::kOnboard, "method");
  EXPECT_EQ(method.words[static_cast<std::size_t>(ClaimMethod::kOneClick)], "one-click");
}

// The tables carry every word a file may use, including the audit topics the registry writes
// that a hand-kept list once missed.
TEST(Reference, TheTablesCarryEveryDeclaredWord) {
  const std::string actions = reference_markdown("actions");
  for (const ActionSpec& spec : action_specs()) {
    EXPECT_NE(actions.find("| `" + std::string(spec.word) + "` |"), std::string::npos) << spec.word;
  }
  const std::string checks = reference_markdown("checks");
  for (const CheckSpec& spec : check_specs()) {
    EXPECT_NE(checks.find("| `" + std::string(spec.word) + "` |"), std::string::npos) << spec.word;
  }
  const std::string metrics = reference_markdown("metrics");
  for (const MetricSpec& spec : metric_specs()) {
    EXPECT_NE(metrics.find("| `" + std::string(spec.name) + "` |"), std::string::npos);
  }
  const std::string topics = reference_markdown("audit-topics");
  EXPECT_NE(topics.find("| `device.group_assigned` |"), std::string::npos);
  EXPECT_NE(topics.find("| `task_series.created` |"), std::string::npos);
  EXPECT_EQ(std::count(topics.begin(), topics.end(), '\n'), 2 + platform::kAuditTopics.size());
}

TEST(Reference, SectionsAreReplacedBetweenTheirMarkersAndMissingOnesNamed) {
  std::string readme = "intro\n";
  for (std::string_view section : reference_sections()) {
    readme += "<!-- BEGIN GENERATED " + std::string(section) +
              ": from the declarations by scenario_reference; do not edit by hand -->\nstale\n"
              "<!-- END GENERATED " +
              std::string(section) + " -->\n";
  }
  std::string problem;
  const std::optional<std::string> written = with_generated_sections(readme, problem);
  ASSERT_TRUE(written) << problem;
  EXPECT_EQ(written->find("stale"), std::string::npos);
  EXPECT_EQ(written->rfind("intro\n", 0), 0U);
  EXPECT_NE(written->find(reference_markdown("metrics")), std::string::npos);
  // Writing again changes nothing.
  EXPECT_EQ(with_generated_sections(*written, problem), written);
  EXPECT_FALSE(with_generated_sections("no markers here", problem));
  EXPECT_NE(problem.find("no section actions"), std::string::npos) << problem;
}

}  // namespace
}  // namespace ccsim::scenarios

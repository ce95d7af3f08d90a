// The checks: what each `expect:` measures, when it passes, and every key it takes.
#include <algorithm>
#include <array>
#include <cassert>
#include <vector>

#include "platform/device_registry.h"
#include "platform/insights.h"
#include "platform/task_manager.h"
#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios {
namespace {

using Key = KeySpec<Check>;

constexpr std::array<std::string_view, 4> kStatusWords = {"registered", "onboarding", "onboarded",
                                                          "failed"};
constexpr std::array<std::string_view, 3> kModeWords = {"standalone", "connected", "managed"};
// "settled": finished or aborted, whichever (a swarm's liveness asks no more).
constexpr std::array<std::string_view, 4> kRolloutStateWords = {"running", "finished", "aborted",
                                                                "settled"};
constexpr std::array<std::string_view, 2> kOriginWords = {"user", "host"};

// The Task Manager's actions and statuses, and the insights the platform raises, as it names them.
std::span<const std::string_view> task_action_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> all;
    for (const platform::TaskActionSpec& spec : platform::kTaskActions) all.push_back(spec.name());
    return all;
  }();
  return words;
}
std::span<const std::string_view> task_status_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> all;
    for (std::size_t i = 0; i < platform::kTaskStatusCount; ++i) {
      all.push_back(platform::task_status_name(static_cast<platform::TaskStatus>(i)));
    }
    return all;
  }();
  return words;
}
std::span<const std::string_view> insight_words() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> all;
    for (std::size_t i = 0; i < platform::kInsightKindCount; ++i) {
      all.push_back(platform::insight_kind_name(static_cast<platform::InsightKind>(i)));
    }
    return all;
  }();
  return words;
}

const Key kSelection{"devices",
                     KeyType::kSelection,
                     Absent::kDefault,
                     "`all`",
                     "the devices it looks at (see device selections)",
                     0,
                     0,
                     {},
                     &assign_member<&Check::devices, Check>};
const Key kWithin{"within",
                  KeyType::kWithin,
                  Absent::kDuration,
                  "`duration`",
                  "the deadline, from the start of the run",
                  0,
                  0,
                  {},
                  &assign_member<&Check::within, Check>};
const Key kFractionAt{"at",
                      KeyType::kMoment,
                      Absent::kRequired,
                      "required",
                      "the time to look, such as 30m; at most `duration`, which is the end",
                      0,
                      0,
                      {},
                      &assign_member<&Check::at, Check>};
const Key kSite{"site",
                KeyType::kSite,
                Absent::kDefault,
                "every site",
                "only the devices of this site",
                0,
                0,
                {},
                &assign_member<&Check::site, Check>};

const std::array<Key, 1> kAllConnectedKeys = {{kWithin}};
const std::array<Key, 2> kFractionKeys = {{kFractionAt, kSite}};
const std::array<Key, 1> kMetricKeys = {{
    {"metric",
     KeyType::kMetric,
     Absent::kRequired,
     "required",
     "a metric name such as frame_errors (the metrics are listed below)",
     0,
     0,
     {},
     &assign_member<&Check::metric, Check>},
}};
const std::array<Key, 2> kAllOnboardedKeys = {{kWithin, kSelection}};
const std::array<Key, 3> kStatusKeys = {{
    {"status", KeyType::kWord, Absent::kRequired, "required", "an onboarding status", 0, 0,
     kStatusWords, &assign_member<&Check::status, Check>},
    {"reason",
     KeyType::kText,
     Absent::kDefault,
     "any",
     "a text the failure reason must contain",
     0,
     256,
     {},
     &assign_member<&Check::reason, Check>},
    kSelection,
}};
const std::array<Key, 2> kModeKeys = {{
    {"mode", KeyType::kWord, Absent::kRequired, "required", "a management mode", 0, 0, kModeWords,
     &assign_member<&Check::mode, Check>},
    kSelection,
}};
const std::array<Key, 3> kAuditKeys = {{
    {"trail",
     KeyType::kAuditTrail,
     Absent::kRequired,
     "required",
     "an organization or platform: whose audit trail (`platform` is the device registry's)",
     0,
     0,
     {},
     &assign_member<&Check::trail, Check>},
    {"topic",
     KeyType::kAuditTopic,
     Absent::kRequired,
     "required",
     "an audit topic such as device.onboarded (the topics are listed below)",
     0,
     0,
     {},
     &assign_member<&Check::topic, Check>},
    {"detail",
     KeyType::kText,
     Absent::kDefault,
     "any",
     "a text the entry's detail must contain",
     0,
     256,
     {},
     &assign_member<&Check::detail, Check>},
}};
const std::array<Key, 3> kOnVersionKeys = {{
    {"version",
     KeyType::kVersion,
     Absent::kRequired,
     "required",
     "an OS version of three numbers, such as 11.12.0: the version counted",
     0,
     0,
     {},
     &assign_member<&Check::version, Check>},
    kSelection,
    {"at",
     KeyType::kMoment,
     Absent::kDuration,
     "`duration`",
     "the moment it looks",
     0,
     0,
     {},
     &assign_member<&Check::at, Check>},
}};
const std::array<Key, 2> kRolloutStateKeys = {{
    {"rollout",
     KeyType::kRollout,
     Absent::kRequired,
     "required",
     "the name of a rollout: the `name` of a `do: rollout` entry",
     0,
     0,
     {},
     &assign_member<&Check::rollout, Check>},
    {"state", KeyType::kWord, Absent::kRequired, "required",
     "the state it must end in; `settled` is finished or aborted", 0, 0, kRolloutStateWords,
     &assign_member<&Check::state, Check>},
}};
const std::array<Key, 4> kTasksKeys = {{
    {"action", KeyType::kWord, Absent::kDefault, "any", "a Task Manager action", 0, 0,
     task_action_words(), &assign_member<&Check::action, Check>},
    {"status", KeyType::kWord, Absent::kDefault, "any", "a task status", 0, 0, task_status_words(),
     &assign_member<&Check::status, Check>},
    {"origin", KeyType::kWord, Absent::kDefault, "any",
     "who created the task: a user, or the host itself", 0, 0, kOriginWords,
     &assign_member<&Check::origin, Check>},
    kSelection,
}};
const std::array<Key, 2> kTasksOnceKeys = {{
    {"action", KeyType::kWord, Absent::kDefault, "any", "a Task Manager action", 0, 0,
     task_action_words(), &assign_member<&Check::action, Check>},
    kSelection,
}};
const std::array<Key, 2> kInsightsKeys = {{
    {"insight", KeyType::kWord, Absent::kRequired, "required", "an insight the platform raises", 0,
     0, insight_words(), &assign_member<&Check::insight, Check>},
    kSelection,
}};

const std::array<Key, 1> kReconnectRateKeys = {{
    {"region",
     KeyType::kRegion,
     Absent::kRequired,
     "required",
     "the platform region whose device endpoint it looks at",
     0,
     0,
     {},
     &assign_member<&Check::region, Check>},
}};

const std::array<CheckSpec, 16> kChecks = {{
    {"all_devices_connected", CheckKind::kAllDevicesConnected,
     "every device has been connected at least once by `within`", kAllConnectedKeys, Bounds::kNone,
     false, false},
    {"connected_fraction", CheckKind::kConnectedFraction,
     "at time `at`, the share of devices (of `site`, or of all) the platform shows connected lies "
     "in [at_least, at_most]",
     kFractionKeys, Bounds::kRequired, true, true},
    {"disconnected_fraction", CheckKind::kDisconnectedFraction,
     "the same for the share shown disconnected", kFractionKeys, Bounds::kRequired, true, true},
    {"metric", CheckKind::kMetric, "at the end of the run, the metric lies in [at_least, at_most]",
     kMetricKeys, Bounds::kRequired, false, false},
    {"all_devices_onboarded", CheckKind::kAllDevicesOnboarded,
     "every selected device is onboarded, each by `within`; fails when the selection is empty",
     kAllOnboardedKeys, Bounds::kNone, false, false},
    {"devices_with_status", CheckKind::kDevicesWithStatus,
     "at the end, the number of selected devices with this onboarding status, and with `reason` "
     "in their failure reason when given, lies in [at_least, at_most]",
     kStatusKeys, Bounds::kRequired, false, false},
    {"devices_in_mode", CheckKind::kDevicesInMode,
     "at the end, the number of selected devices in this mode lies in [at_least, at_most]",
     kModeKeys, Bounds::kRequired, false, false},
    {"audit_entries", CheckKind::kAuditEntries,
     "at the end, the number of entries of `topic` in the trail, with `detail` in their text when "
     "given, lies in [at_least, at_most]",
     kAuditKeys, Bounds::kRequired, false, false},
    {"audit_trails_intact",
     CheckKind::kAuditTrailsIntact,
     "at the end, every audit trail verifies",
     {},
     Bounds::kNone,
     false,
     false},
    {"devices_on_version", CheckKind::kDevicesOnVersion,
     "at time `at`, the number of selected devices running `version` lies in [at_least, at_most]",
     kOnVersionKeys, Bounds::kRequired, false, true},
    {"updates_outside_window",
     CheckKind::kUpdatesOutsideWindow,
     "the number of policy updates that started outside their device's update window lies in "
     "[at_least, at_most]; typically `at_most: 0`",
     {},
     Bounds::kRequired,
     false,
     false},
    {"rollout_state", CheckKind::kRolloutState,
     "at the end, the rollout is in `state`, and, when bounds are given, its number of finished "
     "devices lies in [at_least, at_most]",
     kRolloutStateKeys, Bounds::kOptional, false, false},
    {"tasks", CheckKind::kTasks,
     "at the end, the number of tasks of the selected devices with this action, status and origin "
     "lies in [at_least, at_most]",
     kTasksKeys, Bounds::kRequired, false, false},
    {"tasks_exactly_once", CheckKind::kTasksExactlyOnce,
     "at the end, no task of the selected devices (with this action) ran twice on its host, "
     "unless the action is safe to run again after a restart, and every task the platform "
     "shows succeeded ran on its host, which reported it succeeded: the platform's record and "
     "the hosts' journals, two accounts of one history, agree",
     kTasksOnceKeys, Bounds::kNone, false, false},
    {"insights", CheckKind::kInsights,
     "at the end, the number of selected devices with this insight lies in [at_least, at_most]",
     kInsightsKeys, Bounds::kRequired, false, false},
    {"reconnect_rate", CheckKind::kReconnectRate,
     "over the run, the most connections the region's device endpoint accepted in one second lies "
     "in [at_least, at_most]: the admission bucket's rate bounds it, plus its burst",
     kReconnectRateKeys, Bounds::kRequired, false, false},
}};
static_assert(kChecks.size() == static_cast<std::size_t>(CheckKind::kReconnectRate) + 1,
              "one row per check kind");

}  // namespace

std::span<const CheckSpec> check_specs() {
  return kChecks;
}

const CheckSpec& check_spec(CheckKind kind) {
  const auto found = std::find_if(kChecks.begin(), kChecks.end(),
                                  [kind](const CheckSpec& spec) { return spec.kind == kind; });
  assert(found != kChecks.end() && "every check kind is declared");
  return *found;
}

}  // namespace ccsim::scenarios

#include "scenarios/task_accounts.h"

#include <optional>

namespace ccsim::scenarios {

std::string task_accounts_disagree(const platform::Task& task, const devices::TaskEngine* engine) {
  if (engine == nullptr) return "its host " + task.host + " is not in the fleet";
  const bool succeeded = task.status == platform::TaskStatus::kSucceeded;
  const std::optional<std::uint32_t> runs = engine->runs_of(task.id);
  if (!runs) {
    const bool journal_whole = engine->counters().forgotten == 0;
    return succeeded && journal_whole ? "succeeded on the platform, never reached its host" : "";
  }
  const platform::TaskActionSpec* spec = platform::find_task_action(task.payload.action);
  const bool runs_again = spec != nullptr && spec->rerun_after_restart;
  if (*runs > 1 && !runs_again) return "ran " + std::to_string(*runs) + " times";
  if (!succeeded) return "";
  if (*runs == 0) return "succeeded on the platform, never ran on its host";
  const std::optional<devices::TaskReport> report = engine->report_of(task.id);
  if (!report) return "succeeded on the platform, still unfinished on its host";
  if (report->outcome != wire::TASK_OUTCOME_SUCCEEDED) {
    return "succeeded on the platform, " + std::string(wire::task_outcome_name(report->outcome)) +
           " on its host";
  }
  return "";
}

}  // namespace ccsim::scenarios

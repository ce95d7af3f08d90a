// Two accounts of one task: the platform's record (platform::Task) and the journal of the host
// that ran it (devices::TaskEngine). The tasks_exactly_once check holds each task's two
// accounts against each other, so neither side is its own oracle.
#pragma once

#include <string>

#include "devices/task_engine.h"
#include "platform/task_manager.h"

namespace ccsim::scenarios {

// What the two accounts of `task` disagree on, in words; empty when they agree. `engine` is the
// engine of the task's host, null when the host is not one of the fleet's. They disagree when:
// the task ran more than once and its action is not safe to run again after a restart; or the
// platform shows it succeeded and its host never ran it, still runs it, or reported a failure.
// A task its host never received is no disagreement unless the platform shows it succeeded
// (and the host has forgotten no task, so its journal is whole).
std::string task_accounts_disagree(const platform::Task& task, const devices::TaskEngine* engine);

}  // namespace ccsim::scenarios

// Software rollouts as users start them: one OS version to a list of devices, under the safety
// rules of platform/rollout.h (staged groups, a rate limit, an abort threshold). The devices the
// rules let start become upgrade_firmware tasks of the Task Manager, created as the user who
// started the rollout, in one task series per batch; each task's end (its result, or its
// timeout) finishes its device in the rollout, which may open the next group or abort.
//
// A sans-IO service beside the Task Manager: the platform node calls advance() whenever it
// flushes the Task Manager's outbox and passes on the tasks that finished; next_wakeup() says
// when a rollout held back by its rate limit may start more (a stage gate opens on results).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "platform/audit_log.h"
#include "platform/audit_topics.h"
#include "platform/rollout.h"
#include "platform/service_result.h"
#include "platform/task_manager.h"

namespace ccsim::platform {

inline constexpr std::size_t kRolloutsMax = 10'000;
inline constexpr std::size_t kRolloutNameBytesMax = 64;
// How often a rollout waiting on its rate limit looks again.
inline constexpr core::Duration kRolloutTick = std::chrono::seconds(5);

struct RolloutRequest {
  std::string name;  // 1..kRolloutNameBytesMax bytes, unique in the organization
  std::string version;
  std::vector<std::string> devices;  // in rollout order
  RolloutPolicy policy;
};

struct RolloutRecord {
  std::string name;
  OrganizationId organization;
  UserId started_by;
  std::string version;
  Rollout rollout;
  core::Time started_at{};
  std::optional<core::Time> ended_at;  // finished or aborted
  std::vector<TaskSeriesId> series;    // one per batch of starts
  std::size_t refused = 0;             // devices whose task could not be created (failed)
};

class RolloutManager {
 public:
  // `tasks` and `audit_log` must outlive the manager.
  RolloutManager(TaskManager& tasks, AuditLog& audit_log);

  // Checks the request (name, policy, devices) and starts the first batch at once, as `actor`:
  // the rollout exists only if that batch's tasks were created (so a user without the right to
  // update the devices' software gets the Task Manager's kPermissionDenied). kAlreadyExists for
  // a name in use in the organization.
  Result<const RolloutRecord*> start(core::Time now, std::string_view actor,
                                     std::string_view organization, RolloutRequest request);
  // Starts whatever the rollouts' rules allow now.
  void advance(core::Time now);
  // A task reached its final status; tasks of no rollout are ignored.
  void on_task_finished(core::Time now, std::string_view task);
  std::optional<core::Time> next_wakeup(core::Time now) const;

  const RolloutRecord* find(std::string_view organization, std::string_view name) const;
  const std::vector<RolloutRecord>& rollouts() const { return rollouts_; }

 private:
  void start_batch(core::Time now, std::size_t index);
  void note_end(core::Time now, RolloutRecord& record);
  // Remembers which rollout the series' tasks belong to.
  void note_tasks(const TaskSeriesId& series, std::size_t index);

  TaskManager& tasks_;
  AuditLog& audit_log_;
  std::vector<RolloutRecord> rollouts_;
  std::map<TaskId, std::size_t, std::less<>> rollout_of_task_;
};

}  // namespace ccsim::platform

#include "platform/rollout_manager.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace ccsim::platform {
namespace {

// "<rollout>/<batch>", the rollout's name cut as needed so the whole fits a series name (a
// rollout's name may be as long as a series').
std::string series_name(const std::string& rollout, std::size_t batch) {
  const std::string suffix = "/" + std::to_string(batch);
  return rollout.substr(0, kTaskSeriesNameBytesMax - suffix.size()) + suffix;
}

}  // namespace

RolloutManager::RolloutManager(TaskManager& tasks, AuditLog& audit_log)
    : tasks_(tasks), audit_log_(audit_log) {}

Result<const RolloutRecord*> RolloutManager::start(core::Time now, std::string_view actor,
                                                   std::string_view organization,
                                                   RolloutRequest request) {
  if (request.name.empty() || request.name.size() > kRolloutNameBytesMax) {
    return error(ErrorCode::kInvalidArgument, "name: " + std::to_string(request.name.size()) +
                                                  " bytes, expected 1 to " +
                                                  std::to_string(kRolloutNameBytesMax));
  }
  if (find(organization, request.name) != nullptr) {
    return error(ErrorCode::kAlreadyExists,
                 "name: a rollout named \"" + request.name + "\" exists in the organization");
  }
  if (rollouts_.size() >= kRolloutsMax) {
    return error(ErrorCode::kResourceExhausted,
                 std::to_string(kRolloutsMax) + " rollouts exist, the most");
  }
  TaskPayload payload{wire::TASK_ACTION_UPGRADE_FIRMWARE,
                      {{std::string(kParameterVersion), request.version}}};
  if (auto valid = validate_task_payload(payload); !valid.ok()) {
    return error(ErrorCode::kInvalidArgument, "version: " + valid.error().message);
  }
  const std::size_t devices = request.devices.size();
  auto rollout = Rollout::create(std::move(request.devices), std::move(request.policy));
  if (!rollout.ok()) return rollout.error();
  rollouts_.push_back(RolloutRecord{std::move(request.name),
                                    std::string(organization),
                                    std::string(actor),
                                    std::move(request.version),
                                    std::move(rollout).value(),
                                    now,
                                    std::nullopt,
                                    {},
                                    0});
  const std::size_t index = rollouts_.size() - 1;
  RolloutRecord& record = rollouts_[index];
  std::vector<std::string> first = record.rollout.take_starts(now);
  auto series =
      tasks_.create_series(now, actor, organization,
                           TaskSeriesRequest{series_name(record.name, 1), std::move(payload),
                                             std::move(first), std::nullopt});
  if (!series.ok()) {
    rollouts_.pop_back();
    return series.error();
  }
  (void)audit_log_.append(now, AuditRecord{record.organization, record.started_by,
                                           std::string(kTopicRolloutStarted), "",
                                           "rollout=" + record.name + " version=" + record.version +
                                               " devices=" + std::to_string(devices)});
  record.series.push_back(series.value().id);
  note_tasks(series.value().id, index);
  return &rollouts_[index];
}

void RolloutManager::start_batch(core::Time now, std::size_t index) {
  RolloutRecord& record = rollouts_[index];
  std::vector<std::string> starts = record.rollout.take_starts(now);
  if (starts.empty()) return;
  auto series = tasks_.create_series(
      now, record.started_by, record.organization,
      TaskSeriesRequest{series_name(record.name, record.series.size() + 1),
                        TaskPayload{wire::TASK_ACTION_UPGRADE_FIRMWARE,
                                    {{std::string(kParameterVersion), record.version}}},
                        starts, std::nullopt});
  if (!series.ok()) {
    // The user lost the right, or a device left the organization: those devices fail.
    for (const std::string& device : starts) {
      ++record.refused;
      (void)record.rollout.finish(now, device, false);
    }
    note_end(now, record);
    return;
  }
  record.series.push_back(series.value().id);
  note_tasks(series.value().id, index);
}

void RolloutManager::note_tasks(const TaskSeriesId& series, std::size_t index) {
  const auto tasks = tasks_.series_tasks(series);
  assert(tasks.ok());
  for (const Task& task : tasks.value()) rollout_of_task_.emplace(task.id, index);
}

void RolloutManager::advance(core::Time now) {
  for (std::size_t i = 0; i < rollouts_.size(); ++i) {
    if (rollouts_[i].rollout.state() == RolloutState::kRunning) start_batch(now, i);
  }
}

void RolloutManager::on_task_finished(core::Time now, std::string_view task) {
  const auto found = rollout_of_task_.find(task);
  if (found == rollout_of_task_.end()) return;
  RolloutRecord& record = rollouts_[found->second];
  rollout_of_task_.erase(found);
  const Task finished = tasks_.task(task).value();
  assert(is_final(finished.status));
  // After an abort the rollout takes no more results; the task's own status keeps its end.
  if (record.rollout.state() != RolloutState::kRunning) return;
  (void)record.rollout.finish(now, finished.device, finished.status == TaskStatus::kSucceeded);
  note_end(now, record);
}

void RolloutManager::note_end(core::Time now, RolloutRecord& record) {
  if (record.ended_at || record.rollout.state() == RolloutState::kRunning) return;
  record.ended_at = now;
  std::string detail = "rollout=" + record.name +
                       " state=" + std::string(rollout_state_name(record.rollout.state())) +
                       " succeeded=" + std::to_string(record.rollout.succeeded()) +
                       " failed=" + std::to_string(record.rollout.failed());
  if (!record.rollout.abort_reason().empty()) detail += " reason=" + record.rollout.abort_reason();
  (void)audit_log_.append(now, AuditRecord{record.organization, record.started_by,
                                           std::string(kTopicRolloutEnded), "", std::move(detail)});
}

std::optional<core::Time> RolloutManager::next_wakeup(core::Time now) const {
  // Only a rate limit holds devices back for time; a stage gate opens on results, which come
  // in as frames.
  const bool waiting = std::any_of(rollouts_.begin(), rollouts_.end(), [](const RolloutRecord& r) {
    if (r.rollout.state() != RolloutState::kRunning || r.rollout.policy().starts_per_minute == 0) {
      return false;
    }
    std::size_t started = 0;
    std::size_t devices = 0;
    for (const RolloutGroupProgress& group : r.rollout.progress()) {
      started += group.started;
      devices += group.devices;
    }
    return started < devices;
  });
  if (!waiting) return std::nullopt;
  return now + kRolloutTick;
}

const RolloutRecord* RolloutManager::find(std::string_view organization,
                                          std::string_view name) const {
  for (const RolloutRecord& record : rollouts_) {
    if (record.organization == organization && record.name == name) return &record;
  }
  return nullptr;
}

}  // namespace ccsim::platform

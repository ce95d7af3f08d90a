#include "devices/task_engine.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace ccsim::devices {

std::string_view engine_task_state_name(EngineTaskState state) {
  switch (state) {
    case EngineTaskState::kQueued:
      return "queued";
    case EngineTaskState::kRunning:
      return "running";
    case EngineTaskState::kFinished:
      return "finished";
  }
  return "unknown";
}

TaskDurations default_task_durations() {
  TaskDurations durations;
  durations.by_action = {
      {wire::TASK_ACTION_SET_OVERLAY_TEXT, std::chrono::seconds(2)},
      {wire::TASK_ACTION_ADOPT_DEVICE, std::chrono::seconds(20)},
      {wire::TASK_ACTION_REBOOT, std::chrono::seconds(90)},
      {wire::TASK_ACTION_UPGRADE_FIRMWARE, std::chrono::minutes(6)},
  };
  return durations;
}

TaskExecutor timed_executor(TaskDurations durations) {
  return [durations = std::move(durations)](core::Time, const TaskAssignment& task) {
    const auto found = durations.by_action.find(task.action);
    return TaskExecution{found == durations.by_action.end() ? durations.otherwise : found->second,
                         true, "done"};
  };
}

TaskEngine::TaskEngine(std::string host, TaskExecutor executor, TaskEngineLimits limits)
    : host_(std::move(host)), executor_(std::move(executor)), limits_(limits) {
  assert(!host_.empty());
  assert(executor_);
  assert(limits_.workers >= 1 && limits_.workers <= kTaskWorkersMax);
  assert(limits_.queue_max >= 1 && limits_.queue_max <= kTaskQueueMax);
  assert(limits_.remembered_max >= 1 && limits_.remembered_max <= kTasksRememberedMax);
}

TaskEngine::TaskEngine(std::string host, TaskExecutor executor, TaskEngineLimits limits,
                       TaskEngineJournal journal, core::Time now, TaskEngineOutbox& out)
    : TaskEngine(std::move(host), std::move(executor), limits) {
  last_local_serial_ = journal.last_local_serial;
  for (JournalledTask& journalled : journal.tasks) restore(std::move(journalled), now, out);
  pump(now, out);
}

void TaskEngine::restore(JournalledTask journalled, core::Time now, TaskEngineOutbox& out) {
  const EngineTaskState state = journalled.state;
  journalled.state = EngineTaskState::kQueued;  // set_state below counts it from here
  Entry& entry = add(std::move(journalled));
  switch (state) {
    case EngineTaskState::kQueued:
      queue_.push_back(entry.journalled.task.task);
      return;
    case EngineTaskState::kRunning:
      if (entry.journalled.task.rerun_after_restart) {
        ++counters_.reruns_after_restart;
        queue_.push_back(entry.journalled.task.task);
      } else {
        ++counters_.lost_to_restart;
        finish(now, entry, wire::TASK_OUTCOME_FAILED, "host restarted while the task ran", out);
      }
      return;
    case EngineTaskState::kFinished:
      assert(entry.journalled.report);
      set_state(entry, EngineTaskState::kFinished);
      make_forgettable(entry);
      forget_oldest();
      return;
  }
}

void TaskEngine::on_dispatch(core::Time now, const TaskAssignment& task, TaskEngineOutbox& out) {
  assert(!task.task.empty());
  if (const auto found = entries_.find(task.task); found != entries_.end()) {
    ++counters_.duplicate_dispatches;
    answer_copy(found->second, out);
    return;
  }
  if (!admits()) {
    ++counters_.refusals;
    out.refusals.push_back(TaskRefusal{task.task, "task engine full"});
    return;
  }
  JournalledTask journalled;
  journalled.task = task;
  journalled.deadline = now + std::clamp(task.time_left, core::Duration::zero(), kTaskTimeLeftMax);
  add(std::move(journalled));
  out.acknowledgements.push_back(task.task);
  queue_.push_back(task.task);
  pump(now, out);
}

void TaskEngine::answer_copy(const Entry& entry, TaskEngineOutbox& out) {
  out.acknowledgements.push_back(entry.journalled.task.task);
  if (entry.journalled.state == EngineTaskState::kFinished) {
    ++counters_.results_resent;
    out.results.push_back(*entry.journalled.report);
  }
}

void TaskEngine::on_cancel(core::Time now, std::string_view task, TaskEngineOutbox& out) {
  auto found = entries_.find(task);
  if (found == entries_.end()) {
    // Never received (its dispatch was lost, or is still on its way): remember the cancel so the
    // dispatch, if it comes, is answered with this result instead of running.
    JournalledTask journalled;
    journalled.task.task = std::string(task);
    journalled.deadline = now;
    Entry& entry = add(std::move(journalled));
    ++counters_.cancelled;
    finish(now, entry, wire::TASK_OUTCOME_CANCELLED, "cancelled before it arrived", out);
    return;
  }
  Entry& entry = found->second;
  switch (entry.journalled.state) {
    case EngineTaskState::kQueued:
      ++counters_.cancelled;
      finish(now, entry, wire::TASK_OUTCOME_CANCELLED, "cancelled while queued", out);
      return;
    case EngineTaskState::kRunning:
      ++counters_.cancelled;
      running_.erase({entry.ends_at, entry.journalled.task.task});
      finish(now, entry, wire::TASK_OUTCOME_CANCELLED, "cancelled while running", out);
      // The freed worker takes the next task at a wake-up, not now: cancels come in batches,
      // and the next task may be the subject of the next cancel.
      out.wakeups.push_back(now);
      return;
    case EngineTaskState::kFinished:
      answer_copy(entry, out);
      return;
  }
}

void TaskEngine::on_creation_acknowledged(std::string_view task) {
  const auto found = entries_.find(task);
  if (found == entries_.end() || !found->second.journalled.local) return;
  found->second.journalled.creation_acknowledged = true;
  make_forgettable(found->second);
  forget_oldest();
}

void TaskEngine::on_result_acknowledged(std::string_view task) {
  const auto found = entries_.find(task);
  if (found == entries_.end() || found->second.journalled.state != EngineTaskState::kFinished) {
    return;
  }
  found->second.journalled.report_acknowledged = true;
  make_forgettable(found->second);
  forget_oldest();
}

void TaskEngine::on_connected(core::Time /*now*/, TaskEngineOutbox& out) {
  std::vector<const Entry*> held;
  held.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) held.push_back(&entry);
  std::sort(held.begin(), held.end(),
            [](const Entry* a, const Entry* b) { return a->sequence < b->sequence; });
  for (const Entry* entry : held) {
    const JournalledTask& journalled = entry->journalled;
    if (journalled.local && !journalled.creation_acknowledged) {
      out.created.push_back(
          LocalTaskReport{journalled.task, journalled.state != EngineTaskState::kQueued});
    }
    if (journalled.state == EngineTaskState::kRunning) {
      out.started.push_back(journalled.task.task);
    }
    if (journalled.state == EngineTaskState::kFinished && !journalled.report_acknowledged) {
      ++counters_.results_resent;
      out.results.push_back(*journalled.report);
    }
  }
}

void TaskEngine::on_wakeup(core::Time now, TaskEngineOutbox& out) {
  while (!running_.empty() && running_.begin()->first <= now) {
    Entry& entry = entries_.at(running_.begin()->second);
    running_.erase(running_.begin());
    if (entry.finishes_at <= now) {
      const wire::TaskOutcome outcome =
          entry.plan.succeeded ? wire::TASK_OUTCOME_SUCCEEDED : wire::TASK_OUTCOME_FAILED;
      finish(now, entry, outcome, entry.plan.detail, out);
    } else {
      ++counters_.timed_out;
      finish(now, entry, wire::TASK_OUTCOME_TIMED_OUT, "deadline passed while the task ran", out);
    }
  }
  pump(now, out);
}

std::optional<TaskId> TaskEngine::create_task(core::Time now, std::string device,
                                              wire::TaskAction action, TaskParameters parameters,
                                              core::Duration timeout, bool rerun_after_restart,
                                              TaskEngineOutbox& out) {
  assert(action != wire::TASK_ACTION_UNSPECIFIED && "a host creates tasks it can name");
  if (!admits()) return std::nullopt;
  char serial[32];
  std::snprintf(serial, sizeof serial, "%0*llu", static_cast<int>(kLocalTaskSerialDigits),
                static_cast<unsigned long long>(++last_local_serial_));
  JournalledTask journalled;
  journalled.task =
      TaskAssignment{host_ + ":local-" + serial, std::move(device), action,
                     std::move(parameters),      timeout,           rerun_after_restart};
  journalled.deadline = now + std::clamp(timeout, core::Duration::zero(), kTaskTimeLeftMax);
  journalled.local = true;
  Entry& entry = add(std::move(journalled));
  out.created.push_back(LocalTaskReport{entry.journalled.task, false});
  queue_.push_back(entry.journalled.task.task);
  const TaskId id = entry.journalled.task.task;
  pump(now, out);
  return id;
}

TaskEngineJournal TaskEngine::journal() const {
  std::vector<const Entry*> held;
  held.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) held.push_back(&entry);
  std::sort(held.begin(), held.end(),
            [](const Entry* a, const Entry* b) { return a->sequence < b->sequence; });
  TaskEngineJournal journal;
  journal.last_local_serial = last_local_serial_;
  journal.tasks.reserve(held.size());
  for (const Entry* entry : held) journal.tasks.push_back(entry->journalled);
  return journal;
}

std::optional<EngineTaskState> TaskEngine::state_of(std::string_view task) const {
  const auto found = entries_.find(task);
  if (found == entries_.end()) return std::nullopt;
  return found->second.journalled.state;
}

std::optional<TaskReport> TaskEngine::report_of(std::string_view task) const {
  const auto found = entries_.find(task);
  if (found == entries_.end()) return std::nullopt;
  return found->second.journalled.report;
}

std::optional<std::uint32_t> TaskEngine::runs_of(std::string_view task) const {
  const auto found = entries_.find(task);
  if (found == entries_.end()) return std::nullopt;
  return found->second.journalled.runs;
}

// Room for one more task: its queue has a free place, and the tasks the engine must keep
// (all but acknowledged finished ones) stay within what it remembers.
bool TaskEngine::admits() const {
  return queued_count_ < limits_.queue_max &&
         entries_.size() - forgettable_.size() < limits_.remembered_max;
}

TaskEngine::Entry& TaskEngine::add(JournalledTask journalled) {
  assert(journalled.state == EngineTaskState::kQueued);
  const TaskId id = journalled.task.task;
  Entry entry;
  entry.journalled = std::move(journalled);
  entry.sequence = next_sequence_++;
  const auto [it, inserted] = entries_.emplace(id, std::move(entry));
  assert(inserted);
  ++queued_count_;
  return it->second;
}

void TaskEngine::set_state(Entry& entry, EngineTaskState state) {
  const EngineTaskState before = entry.journalled.state;
  assert(before != EngineTaskState::kFinished);
  if (before == EngineTaskState::kQueued) --queued_count_;
  if (state == EngineTaskState::kQueued) ++queued_count_;
  if (state == EngineTaskState::kFinished) ++finished_count_;
  entry.journalled.state = state;
}

void TaskEngine::pump(core::Time now, TaskEngineOutbox& out) {
  while (running_.size() < limits_.workers && !queue_.empty()) {
    Entry& entry = entries_.at(queue_.front());
    queue_.pop_front();
    if (entry.journalled.state != EngineTaskState::kQueued) continue;  // cancelled meanwhile
    if (entry.journalled.deadline <= now) {
      ++counters_.timed_out;
      finish(now, entry, wire::TASK_OUTCOME_TIMED_OUT, "deadline passed before the task started",
             out);
      continue;
    }
    start(now, entry, out);
  }
}

void TaskEngine::start(core::Time now, Entry& entry, TaskEngineOutbox& out) {
  entry.plan = executor_(now, entry.journalled.task);
  assert(entry.plan.duration >= core::Duration::zero() && entry.plan.duration <= kTaskRunMax);
  ++counters_.executions;
  ++entry.journalled.runs;
  set_state(entry, EngineTaskState::kRunning);
  out.started.push_back(entry.journalled.task.task);
  entry.downloading = entry.plan.download_bytes > 0;
  if (entry.downloading) {
    out.downloads.push_back({entry.journalled.task.task, entry.plan.download_bytes});
    schedule_end(entry, core::Time::max(), out);  // only the deadline ends it for now
  } else {
    schedule_end(entry, now + entry.plan.duration, out);
  }
  counters_.running_peak = std::max(counters_.running_peak, running_.size());
}

// A running entry ends at the earlier of `finishes_at` and its deadline; it is in running_ by
// that time, and the engine wakes then.
void TaskEngine::schedule_end(Entry& entry, core::Time finishes_at, TaskEngineOutbox& out) {
  entry.finishes_at = finishes_at;
  entry.ends_at = std::min(entry.finishes_at, entry.journalled.deadline);
  running_.emplace(entry.ends_at, entry.journalled.task.task);
  out.wakeups.push_back(entry.ends_at);
}

void TaskEngine::on_download_done(core::Time now, std::string_view task, TaskEngineOutbox& out) {
  const auto found = entries_.find(task);
  if (found == entries_.end()) return;
  Entry& entry = found->second;
  if (entry.journalled.state != EngineTaskState::kRunning || !entry.downloading) return;
  entry.downloading = false;
  running_.erase({entry.ends_at, entry.journalled.task.task});
  schedule_end(entry, now + entry.plan.duration, out);
}

void TaskEngine::finish(core::Time now, Entry& entry, wire::TaskOutcome outcome, std::string detail,
                        TaskEngineOutbox& out) {
  set_state(entry, EngineTaskState::kFinished);
  entry.journalled.report = TaskReport{entry.journalled.task.task, outcome, std::move(detail), now};
  entry.journalled.report_acknowledged = false;
  out.results.push_back(*entry.journalled.report);
}

void TaskEngine::make_forgettable(Entry& entry) {
  const JournalledTask& journalled = entry.journalled;
  const bool settled = journalled.state == EngineTaskState::kFinished &&
                       journalled.report_acknowledged &&
                       (!journalled.local || journalled.creation_acknowledged);
  if (!settled || entry.forgettable) return;
  entry.forgettable = true;
  forgettable_.push_back(journalled.task.task);
}

void TaskEngine::forget_oldest() {
  while (finished_count_ > limits_.remembered_max && !forgettable_.empty()) {
    entries_.erase(forgettable_.front());
    forgettable_.pop_front();
    --finished_count_;
    ++counters_.forgotten;
  }
}

}  // namespace ccsim::devices

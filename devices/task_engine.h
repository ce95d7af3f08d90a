// The task engine of a device host or edge host: it takes the tasks the platform's Task Manager
// dispatches for the devices it manages, and the tasks the host creates itself (adopting a
// device added on its LAN), runs them on a bounded pool of workers and reports their progress
// and results. A sans-IO state machine: every input takes the current time and an outbox to
// fill; a task's run is a duration the executor gives, ended by a wake-up, never a sleep.
//
// Delivery. The task id is the idempotency key.
//  - A dispatch is acknowledged as soon as the task is journalled (queued), or refused when the
//    queue is full. A copy of a task the engine holds is acknowledged again and not run again;
//    a copy of a finished one is answered with its result again (how the platform asks for a
//    result it missed).
//  - Results, and the reports of tasks the host created, are re-sent on every reconnection
//    until the platform acknowledges them. Only then may the engine forget a finished task, and
//    only the oldest beyond `remembered_max`: an acknowledged task is one the platform will not
//    dispatch again.
//  - A cancel stops a queued or running task (reported cancelled); the worker it frees takes
//    the next task at a wake-up set for the same instant, after the rest of a batch of cancels.
//    For a task the engine never received, a cancel leaves a cancelled record behind, so a
//    dispatch arriving later never runs.
//  - Each task carries the time left until its deadline; one not started by then, or still
//    running then, ends timed out.
//
// Restart. The journal (every task held: queued, running, finished with its result, and what
// the platform acknowledged) is the engine's persistent part; a restarted engine is built from
// it. Queued tasks simply run. A task that was running is lost with the process, and its
// dispatch says what to do (the action's idempotency, decided by the platform): re-run it when
// `rerun_after_restart` (running it again gives the same end state, e.g. setting an overlay
// text), else report it failed "host restarted" (e.g. a firmware upgrade, which the device
// rolls back; whether to try again is the user's call). Times are the run's, as everywhere in
// the core, so a journalled deadline still holds after a restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node.h"
#include "proto/task_vocabulary.h"

namespace ccsim::devices {

using TaskId = std::string;
using TaskParameters = std::map<std::string, std::string, std::less<>>;

inline constexpr std::size_t kTaskWorkersDefault = 4;
inline constexpr std::size_t kTaskWorkersMax = 256;
inline constexpr std::size_t kTaskQueueDefault = 256;
inline constexpr std::size_t kTaskQueueMax = 100'000;
// Finished tasks remembered (to deduplicate and re-send results) before the oldest acknowledged
// one is forgotten; also the most tasks held whose results are not acknowledged yet.
inline constexpr std::size_t kTasksRememberedDefault = 10'000;
inline constexpr std::size_t kTasksRememberedMax = 1'000'000;
inline constexpr core::Duration kTaskTimeLeftMax = std::chrono::hours(24 * 7);
inline constexpr core::Duration kTaskRunMax = std::chrono::hours(24 * 7);
inline constexpr std::size_t kLocalTaskSerialDigits = 6;

// A task as the platform dispatches it, or as the host creates it. Actions and outcomes are the
// wire's (proto/task_vocabulary.h): the engine and the platform share one vocabulary.
struct TaskAssignment {
  TaskId task;
  std::string device;
  wire::TaskAction action = wire::TASK_ACTION_UNSPECIFIED;  // unspecified: a cancel's placeholder
  TaskParameters parameters;
  core::Duration time_left{};  // until its deadline, as of its arrival
  bool rerun_after_restart = false;
};

struct TaskReport {
  TaskId task;
  wire::TaskOutcome outcome = wire::TASK_OUTCOME_SUCCEEDED;
  std::string detail;
  core::Time finished_at{};
};

// A task the host created, for the platform.
struct LocalTaskReport {
  TaskAssignment task;
  bool started = false;
};

struct TaskRefusal {
  TaskId task;
  std::string reason;
};

// How one run of a task goes: it first downloads `download_bytes` (none: it starts at once),
// which takes as long as the links make it take, then takes `duration`, then succeeds or fails
// with `detail`.
struct TaskExecution {
  core::Duration duration{};  // 0..kTaskRunMax
  bool succeeded = true;
  std::string detail;
  std::uint64_t download_bytes = 0;
};
// Called once per run, as the run starts (so a count of calls is a count of executions).
using TaskExecutor = std::function<TaskExecution(core::Time now, const TaskAssignment& task)>;

// A table executor's durations: every task succeeds after its action's duration.
struct TaskDurations {
  std::map<wire::TaskAction, core::Duration> by_action;
  core::Duration otherwise = std::chrono::seconds(5);
};
// What the virtual devices take: an overlay 2 s, an adoption 20 s, a reboot 90 s, a firmware
// upgrade 6 min (download and flash; the reboot after it included).
TaskDurations default_task_durations();
TaskExecutor timed_executor(TaskDurations durations);

// A download a run waits for; the host carries it and calls TaskEngine::on_download_done.
struct TaskDownload {
  TaskId task;
  std::uint64_t bytes = 0;
};

// What to send the platform after one input, in this order, what to download, and when to wake
// the engine.
struct TaskEngineOutbox {
  std::vector<TaskId> acknowledgements;
  std::vector<TaskRefusal> refusals;
  std::vector<LocalTaskReport> created;
  std::vector<TaskId> started;
  std::vector<TaskReport> results;
  std::vector<TaskDownload> downloads;
  std::vector<core::Time> wakeups;

  void clear() { *this = TaskEngineOutbox{}; }
  bool empty() const {
    return acknowledgements.empty() && refusals.empty() && created.empty() && started.empty() &&
           results.empty() && downloads.empty() && wakeups.empty();
  }
};

enum class EngineTaskState : std::uint8_t { kQueued, kRunning, kFinished };
std::string_view engine_task_state_name(EngineTaskState state);

// One task as the journal keeps it.
struct JournalledTask {
  TaskAssignment task;
  core::Time deadline{};
  EngineTaskState state = EngineTaskState::kQueued;
  bool local = false;                  // created by the host
  bool creation_acknowledged = false;  // local tasks: the platform has the report
  std::optional<TaskReport> report;    // finished tasks
  bool report_acknowledged = false;
  std::uint32_t runs = 0;  // runs started, across the host's restarts
};

// The engine's persistent part.
struct TaskEngineJournal {
  std::vector<JournalledTask> tasks;  // in arrival order
  std::uint64_t last_local_serial = 0;
};

struct TaskEngineLimits {
  std::size_t workers = kTaskWorkersDefault;  // tasks running at once, 1..kTaskWorkersMax
  std::size_t queue_max = kTaskQueueDefault;  // tasks waiting for a worker, 1..kTaskQueueMax
  std::size_t remembered_max = kTasksRememberedDefault;  // 1..kTasksRememberedMax
};

struct TaskEngineCounters {
  std::uint64_t executions = 0;  // runs started
  std::uint64_t duplicate_dispatches = 0;
  std::uint64_t results_resent = 0;
  std::uint64_t refusals = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t reruns_after_restart = 0;
  std::uint64_t lost_to_restart = 0;  // reported failed "host restarted"
  std::uint64_t forgotten = 0;        // acknowledged finished tasks dropped from memory
  std::size_t running_peak = 0;
};

class TaskEngine {
 public:
  // A fresh engine of host `host` (its serial, which prefixes the ids of tasks it creates).
  TaskEngine(std::string host, TaskExecutor executor, TaskEngineLimits limits = {});
  // The engine restarted at `now` from its journal, as the header comment says.
  TaskEngine(std::string host, TaskExecutor executor, TaskEngineLimits limits,
             TaskEngineJournal journal, core::Time now, TaskEngineOutbox& out);

  void on_dispatch(core::Time now, const TaskAssignment& task, TaskEngineOutbox& out);
  void on_cancel(core::Time now, std::string_view task, TaskEngineOutbox& out);
  // The platform holds the report of a task the host created, or the result of a task.
  void on_creation_acknowledged(std::string_view task);
  void on_result_acknowledged(std::string_view task);
  // The connection to the platform is up: re-sends what it has not acknowledged.
  void on_connected(core::Time now, TaskEngineOutbox& out);
  void on_wakeup(core::Time now, TaskEngineOutbox& out);
  // The download a run of `task` waited for is in: the run goes on for its planned duration. A
  // download for a task no longer running (cancelled, timed out, restarted) is ignored.
  void on_download_done(core::Time now, std::string_view task, TaskEngineOutbox& out);

  // A task of the host's own ("<host>:local-NNNNNN"), reported to the platform and run like any
  // other; nullopt when the engine cannot take more.
  std::optional<TaskId> create_task(core::Time now, std::string device, wire::TaskAction action,
                                    TaskParameters parameters, core::Duration timeout,
                                    bool rerun_after_restart, TaskEngineOutbox& out);

  // What survives a restart.
  TaskEngineJournal journal() const;

  std::optional<EngineTaskState> state_of(std::string_view task) const;
  std::optional<TaskReport> report_of(std::string_view task) const;
  // How many times the engine started `task`, restarts included; nullopt when it never had the
  // task or has forgotten it (finished, acknowledged, and past remembered_max).
  std::optional<std::uint32_t> runs_of(std::string_view task) const;
  std::size_t running_count() const { return running_.size(); }
  std::size_t queued_count() const { return queued_count_; }
  std::size_t remembered_count() const { return entries_.size(); }
  const TaskEngineCounters& counters() const { return counters_; }
  const std::string& host() const { return host_; }

 private:
  struct Entry {
    JournalledTask journalled;
    std::uint64_t sequence = 0;  // arrival order
    bool forgettable = false;    // finished and acknowledged: in forgettable_
    // While running:
    TaskExecution plan;
    bool downloading = false;  // waiting for the plan's download; finishes_at is then unknown
    core::Time finishes_at{};  // as planned
    core::Time ends_at{};      // the earlier of finishes_at and the deadline
  };
  using RunEnd = std::pair<core::Time, TaskId>;

  bool admits() const;
  Entry& add(JournalledTask journalled);
  void answer_copy(const Entry& entry, TaskEngineOutbox& out);
  void set_state(Entry& entry, EngineTaskState state);
  void pump(core::Time now, TaskEngineOutbox& out);
  void start(core::Time now, Entry& entry, TaskEngineOutbox& out);
  void schedule_end(Entry& entry, core::Time finishes_at, TaskEngineOutbox& out);
  void finish(core::Time now, Entry& entry, wire::TaskOutcome outcome, std::string detail,
              TaskEngineOutbox& out);
  void restore(JournalledTask journalled, core::Time now, TaskEngineOutbox& out);
  void make_forgettable(Entry& entry);
  void forget_oldest();

  std::string host_;
  TaskExecutor executor_;
  TaskEngineLimits limits_;
  std::map<TaskId, Entry, std::less<>> entries_;
  std::deque<TaskId> queue_;  // may hold ids no longer queued (cancelled), skipped
  std::size_t queued_count_ = 0;
  std::set<RunEnd> running_;  // by the time each run ends (finished or timed out)
  std::size_t finished_count_ = 0;
  std::deque<TaskId> forgettable_;  // finished and acknowledged, oldest acknowledgement first
  std::uint64_t next_sequence_ = 1;
  std::uint64_t last_local_serial_ = 0;
  TaskEngineCounters counters_;
};

}  // namespace ccsim::devices

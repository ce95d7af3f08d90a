// The task engine on its own: the platform's side is played by hand, one input at a time, and
// the executor counts every run it is asked for.
#include "devices/task_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ccsim::devices {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kHost = "EDGE-1";

TaskAssignment overlay(const std::string& id, core::Duration time_left = minutes(5)) {
  return TaskAssignment{
      id, "CAM-" + id, wire::TASK_ACTION_SET_OVERLAY_TEXT, {{"text", "Lobby"}}, time_left, true};
}

TaskAssignment firmware(const std::string& id, core::Duration time_left = minutes(30)) {
  return TaskAssignment{
      id,        "CAM-" + id, wire::TASK_ACTION_UPGRADE_FIRMWARE, {{"version", "11.11.120"}},
      time_left, false};
}

// An executor with a duration per action that counts its runs per task and remembers when
// each began, so tests can see concurrency and repeated runs from outside the engine.
struct CountingExecutor {
  std::map<wire::TaskAction, core::Duration> durations{
      {wire::TASK_ACTION_SET_OVERLAY_TEXT, seconds(2)},
      {wire::TASK_ACTION_UPGRADE_FIRMWARE, minutes(6)}};
  std::map<TaskId, int> runs;
  std::vector<std::pair<core::Time, core::Time>> spans;  // [start, planned end)
  std::set<TaskId> failing;
  std::map<TaskId, std::uint64_t> downloads;  // bytes each task's run downloads first

  TaskExecutor executor() {
    return [this](core::Time now, const TaskAssignment& task) {
      ++runs[task.task];
      const core::Duration duration = durations.at(task.action);
      spans.emplace_back(now, now + duration);
      const auto download = downloads.find(task.task);
      const std::uint64_t bytes = download == downloads.end() ? 0 : download->second;
      if (failing.contains(task.task)) return TaskExecution{duration, false, "disk full", bytes};
      return TaskExecution{duration, true, "applied", bytes};
    };
  }

  // The most runs planned to overlap at any instant.
  std::size_t overlap_max() const {
    std::size_t most = 0;
    for (const auto& [start, end] : spans) {
      std::size_t at_start = 0;
      for (const auto& [s, e] : spans) at_start += (s <= start && start < e) ? 1 : 0;
      most = std::max(most, at_start);
    }
    return most;
  }
};

// An engine and its clock. Each input gets a fresh outbox, kept in `out`; the wake-ups asked
// for are collected in `wakeups`.
struct Harness {
  explicit Harness(TaskEngineLimits limits = {})
      : engine(std::string(kHost), executor.executor(), limits) {}

  TaskEngineOutbox& dispatch(const TaskAssignment& task) {
    out.clear();
    engine.on_dispatch(now, task, out);
    return collected();
  }
  TaskEngineOutbox& cancel(const std::string& task) {
    out.clear();
    engine.on_cancel(now, task, out);
    return collected();
  }
  TaskEngineOutbox& downloaded(const std::string& task) {
    out.clear();
    engine.on_download_done(now, task, out);
    return collected();
  }
  TaskEngineOutbox& advance(core::Duration by) {
    now += by;
    out.clear();
    engine.on_wakeup(now, out);
    return collected();
  }
  // Wakes the engine at each time it asked for, up to `until`; returns every result.
  std::vector<TaskReport> run_until(core::Time until) {
    std::vector<TaskReport> results;
    while (!wakeups.empty() && *wakeups.begin() <= until) {
      now = std::max(now, *wakeups.begin());
      wakeups.erase(wakeups.begin());
      out.clear();
      engine.on_wakeup(now, out);
      collected();
      results.insert(results.end(), out.results.begin(), out.results.end());
    }
    now = std::max(now, until);
    return results;
  }
  TaskEngineOutbox& collected() {
    wakeups.insert(out.wakeups.begin(), out.wakeups.end());
    return out;
  }

  CountingExecutor executor;
  TaskEngine engine;
  core::Time now{};
  TaskEngineOutbox out;
  std::set<core::Time> wakeups;
};

TEST(TaskEngine, RunsAtMostItsWorkersAtOnceAndQueuesTheRest) {
  Harness h(TaskEngineLimits{2, 16, 100});
  for (int i = 0; i < 5; ++i) {
    const TaskEngineOutbox& out = h.dispatch(overlay("t" + std::to_string(i)));
    ASSERT_EQ(out.acknowledgements, std::vector<TaskId>{"t" + std::to_string(i)});
  }
  EXPECT_EQ(h.engine.running_count(), 2u);
  EXPECT_EQ(h.engine.queued_count(), 3u);
  const std::vector<TaskReport> results = h.run_until(h.now + minutes(1));
  ASSERT_EQ(results.size(), 5u);
  for (const TaskReport& result : results) {
    EXPECT_EQ(result.outcome, wire::TASK_OUTCOME_SUCCEEDED) << result.task;
    EXPECT_EQ(result.detail, "applied");
  }
  EXPECT_EQ(h.executor.overlap_max(), 2u);
  EXPECT_EQ(h.engine.counters().running_peak, 2u);
  EXPECT_EQ(h.engine.counters().executions, 5u);
  EXPECT_EQ(results.back().finished_at, core::Time(seconds(6)));  // three rounds of 2 s
}

TEST(TaskEngine, ACopyOfATaskHeldIsAcknowledgedAndNotRunAgain) {
  Harness h;
  h.dispatch(overlay("t1"));
  EXPECT_EQ(h.dispatch(overlay("t1")).acknowledgements, std::vector<TaskId>{"t1"});
  EXPECT_TRUE(h.out.started.empty());
  h.advance(seconds(2));
  ASSERT_EQ(h.out.results.size(), 1u);
  // After it finished, a copy is how the platform asks for a result it missed.
  const TaskEngineOutbox& again = h.dispatch(overlay("t1"));
  EXPECT_EQ(again.acknowledgements, std::vector<TaskId>{"t1"});
  ASSERT_EQ(again.results.size(), 1u);
  EXPECT_EQ(again.results[0].outcome, wire::TASK_OUTCOME_SUCCEEDED);
  EXPECT_EQ(h.executor.runs["t1"], 1);
  EXPECT_EQ(h.engine.counters().duplicate_dispatches, 2u);
  EXPECT_EQ(h.engine.counters().results_resent, 1u);
}

TEST(TaskEngine, RefusesATaskWhenItsQueueIsFull) {
  Harness h(TaskEngineLimits{1, 2, 100});
  for (const char* id : {"t1", "t2", "t3"}) h.dispatch(overlay(id));
  const TaskEngineOutbox& out = h.dispatch(overlay("t4"));
  EXPECT_TRUE(out.acknowledgements.empty());
  ASSERT_EQ(out.refusals.size(), 1u);
  EXPECT_EQ(out.refusals[0].task, "t4");
  EXPECT_FALSE(h.engine.state_of("t4"));
  EXPECT_EQ(h.engine.counters().refusals, 1u);
  // Once a place frees up, the same task is taken.
  h.advance(seconds(2));
  EXPECT_EQ(h.dispatch(overlay("t4")).acknowledgements, std::vector<TaskId>{"t4"});
}

TEST(TaskEngine, CancelStopsAQueuedOrRunningTaskAndFreesItsWorker) {
  Harness h(TaskEngineLimits{1, 8, 100});
  h.dispatch(firmware("t1"));
  h.dispatch(firmware("t2"));
  h.dispatch(firmware("t3"));
  const TaskEngineOutbox& queued = h.cancel("t2");
  ASSERT_EQ(queued.results.size(), 1u);
  EXPECT_EQ(queued.results[0].outcome, wire::TASK_OUTCOME_CANCELLED);
  EXPECT_EQ(queued.results[0].detail, "cancelled while queued");
  h.now += minutes(1);
  const TaskEngineOutbox& running = h.cancel("t1");
  ASSERT_EQ(running.results.size(), 1u);
  EXPECT_EQ(running.results[0].detail, "cancelled while running");
  EXPECT_TRUE(running.started.empty());
  EXPECT_EQ(running.wakeups, std::vector<core::Time>{h.now});
  EXPECT_EQ(h.advance(core::Duration::zero()).started, std::vector<TaskId>{"t3"});
  EXPECT_EQ(h.executor.runs.count("t2"), 0u);
  // A cancel of a finished task re-sends its result and changes nothing.
  EXPECT_EQ(h.cancel("t1").results.at(0).outcome, wire::TASK_OUTCOME_CANCELLED);
  EXPECT_EQ(h.engine.counters().cancelled, 2u);
}

TEST(TaskEngine, ACancelAheadOfItsDispatchKeepsTheTaskFromEverRunning) {
  Harness h;
  const TaskEngineOutbox& out = h.cancel("t9");
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].outcome, wire::TASK_OUTCOME_CANCELLED);
  const TaskEngineOutbox& late = h.dispatch(overlay("t9"));
  EXPECT_EQ(late.acknowledgements, std::vector<TaskId>{"t9"});
  EXPECT_EQ(late.results.at(0).outcome, wire::TASK_OUTCOME_CANCELLED);
  EXPECT_TRUE(late.started.empty());
  EXPECT_EQ(h.executor.runs.count("t9"), 0u);
}

TEST(TaskEngine, ATaskEndsTimedOutAtItsDeadline) {
  Harness h(TaskEngineLimits{1, 8, 100});
  h.dispatch(firmware("long", minutes(2)));  // needs 6 minutes
  h.dispatch(overlay("starved", minutes(1)));
  h.dispatch(overlay("expired", core::Duration::zero()));
  EXPECT_EQ(h.wakeups, std::set<core::Time>{core::Time(minutes(2))});
  const std::vector<TaskReport> all = h.run_until(minutes(10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].task, "long");
  EXPECT_EQ(all[0].outcome, wire::TASK_OUTCOME_TIMED_OUT);
  EXPECT_EQ(all[0].detail, "deadline passed while the task ran");
  EXPECT_EQ(all[0].finished_at, core::Time(minutes(2)));
  EXPECT_EQ(all[1].task, "starved");
  EXPECT_EQ(all[1].outcome, wire::TASK_OUTCOME_TIMED_OUT);
  EXPECT_EQ(all[1].detail, "deadline passed before the task started");
  EXPECT_EQ(all[2].task, "expired");
  EXPECT_EQ(h.executor.runs.count("starved"), 0u);
  EXPECT_EQ(h.executor.runs.count("expired"), 0u);
  EXPECT_EQ(h.engine.counters().timed_out, 3u);
}

TEST(TaskEngine, ARunWithADownloadTakesItsDurationFromTheMomentTheDownloadIsIn) {
  Harness h;
  h.executor.downloads["img"] = 150'000'000;
  const TaskEngineOutbox& started = h.dispatch(firmware("img", minutes(30)));
  ASSERT_EQ(started.downloads.size(), 1u);
  EXPECT_EQ(started.downloads[0].task, "img");
  EXPECT_EQ(started.downloads[0].bytes, 150'000'000u);
  EXPECT_EQ(started.started, std::vector<TaskId>{"img"});
  EXPECT_EQ(h.wakeups, std::set<core::Time>{core::Time(minutes(30))});  // the deadline only
  EXPECT_TRUE(h.advance(minutes(10)).results.empty());
  // In after 10 minutes: the 6-minute install ends at 16.
  EXPECT_EQ(h.downloaded("img").wakeups, std::vector<core::Time>{core::Time(minutes(16))});
  const std::vector<TaskReport> all = h.run_until(minutes(40));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].outcome, wire::TASK_OUTCOME_SUCCEEDED);
  EXPECT_EQ(all[0].finished_at, core::Time(minutes(16)));
  EXPECT_EQ(h.engine.counters().timed_out, 0u);
  // A second word of the same download changes nothing.
  EXPECT_TRUE(h.downloaded("img").empty());
}

TEST(TaskEngine, ADownloadThatComesLateOrForACancelledRunIsIgnored) {
  Harness h;
  h.executor.downloads["slow"] = 1;
  h.executor.downloads["dropped"] = 1;
  h.dispatch(firmware("slow", minutes(5)));
  h.dispatch(firmware("dropped", minutes(30)));
  // The download outlives the deadline: the run times out there, as any run would.
  const std::vector<TaskReport> late = h.run_until(minutes(5));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].task, "slow");
  EXPECT_EQ(late[0].outcome, wire::TASK_OUTCOME_TIMED_OUT);
  EXPECT_EQ(late[0].finished_at, core::Time(minutes(5)));
  EXPECT_TRUE(h.downloaded("slow").empty());
  h.cancel("dropped");
  EXPECT_TRUE(h.downloaded("dropped").empty());
  EXPECT_TRUE(h.downloaded("never-dispatched").empty());
  EXPECT_EQ(h.engine.report_of("dropped")->outcome, wire::TASK_OUTCOME_CANCELLED);
}

TEST(TaskEngine, AFailingRunReportsItsReason) {
  Harness h;
  h.executor.failing.insert("t1");
  h.dispatch(overlay("t1"));
  const TaskEngineOutbox& out = h.advance(seconds(2));
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].outcome, wire::TASK_OUTCOME_FAILED);
  EXPECT_EQ(out.results[0].detail, "disk full");
}

TEST(TaskEngine, ResultsAreReSentOnEachReconnectionUntilAcknowledged) {
  Harness h;
  h.dispatch(overlay("t1"));
  h.dispatch(overlay("t2"));
  h.advance(seconds(2));
  ASSERT_EQ(h.out.results.size(), 2u);  // lost: the connection was down
  h.out.clear();
  h.engine.on_connected(h.now, h.out);
  ASSERT_EQ(h.out.results.size(), 2u);
  h.engine.on_result_acknowledged("t1");
  h.engine.on_result_acknowledged("unknown");  // ignored
  h.out.clear();
  h.engine.on_connected(h.now, h.out);
  ASSERT_EQ(h.out.results.size(), 1u);
  EXPECT_EQ(h.out.results[0].task, "t2");
  EXPECT_EQ(h.executor.runs["t1"] + h.executor.runs["t2"], 2);
}

TEST(TaskEngine, ForgetsOnlyAcknowledgedFinishedTasksAndStopsTakingTasksBeforeLosingOne) {
  Harness h(TaskEngineLimits{4, 8, 2});
  h.dispatch(overlay("t1"));
  h.dispatch(overlay("t2"));
  // Two tasks it must keep (their results are not acknowledged): no room for a third.
  EXPECT_EQ(h.dispatch(overlay("t3")).refusals.size(), 1u);
  h.advance(seconds(2));
  EXPECT_EQ(h.dispatch(overlay("t3")).refusals.size(), 1u);
  h.engine.on_result_acknowledged("t1");
  EXPECT_EQ(h.dispatch(overlay("t3")).acknowledgements.size(), 1u);
  EXPECT_EQ(h.engine.remembered_count(), 3u);
  h.advance(seconds(2));
  h.engine.on_result_acknowledged("t2");
  h.engine.on_result_acknowledged("t3");
  // Three finished, all acknowledged, two remembered: the oldest acknowledged one goes.
  EXPECT_EQ(h.engine.remembered_count(), 2u);
  EXPECT_FALSE(h.engine.state_of("t1"));
  EXPECT_EQ(h.engine.state_of("t2"), EngineTaskState::kFinished);
  EXPECT_EQ(h.engine.counters().forgotten, 1u);
}

TEST(TaskEngine, AfterARestartIdempotentTasksRunAgainAndOthersFailHostRestarted) {
  Harness h(TaskEngineLimits{2, 8, 100});
  h.dispatch(overlay("done"));
  h.advance(seconds(2));
  h.dispatch(overlay("overlay"));   // running when the host restarts; safe to run again
  h.dispatch(firmware("upgrade"));  // running too; not safe to run again
  h.dispatch(overlay("waiting"));   // queued
  h.now += seconds(1);
  const TaskEngineJournal journal = h.engine.journal();
  ASSERT_EQ(journal.tasks.size(), 4u);
  EXPECT_EQ(journal.tasks[1].state, EngineTaskState::kRunning);

  TaskEngineOutbox out;
  TaskEngine restarted(std::string(kHost), h.executor.executor(), TaskEngineLimits{2, 8, 100},
                       journal, h.now, out);
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].task, "upgrade");
  EXPECT_EQ(out.results[0].outcome, wire::TASK_OUTCOME_FAILED);
  EXPECT_EQ(out.results[0].detail, "host restarted while the task ran");
  EXPECT_EQ(out.started, (std::vector<TaskId>{"overlay", "waiting"}));
  EXPECT_EQ(restarted.counters().reruns_after_restart, 1u);
  EXPECT_EQ(restarted.counters().lost_to_restart, 1u);
  EXPECT_EQ(h.executor.runs["overlay"], 2);  // one lost run, one full run
  EXPECT_EQ(h.executor.runs["upgrade"], 1);  // never again
  // The finished task survived: a copy is answered, not run.
  TaskEngineOutbox copy;
  restarted.on_dispatch(h.now, overlay("done"), copy);
  EXPECT_EQ(copy.results.at(0).outcome, wire::TASK_OUTCOME_SUCCEEDED);
  EXPECT_EQ(h.executor.runs["done"], 1);
  // The upgrade too, with its failure.
  copy.clear();
  restarted.on_dispatch(h.now, firmware("upgrade"), copy);
  EXPECT_EQ(copy.results.at(0).detail, "host restarted while the task ran");
  EXPECT_EQ(h.executor.runs["upgrade"], 1);
  // The journal counts the runs the executor saw, across the restart.
  for (const char* task : {"done", "overlay", "upgrade", "waiting"}) {
    EXPECT_EQ(restarted.runs_of(task), static_cast<std::uint32_t>(h.executor.runs[task])) << task;
  }
  EXPECT_FALSE(restarted.runs_of("never-dispatched"));
}

TEST(TaskEngine, ATaskTheHostCreatesIsReportedUntilAcknowledged) {
  Harness h;
  const auto id = h.engine.create_task(h.now, "CAM-7", wire::TASK_ACTION_SET_OVERLAY_TEXT,
                                       {{"text", "New"}}, minutes(5), true, h.out);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "EDGE-1:local-000001");
  ASSERT_EQ(h.out.created.size(), 1u);
  EXPECT_EQ(h.out.created[0].task.device, "CAM-7");
  EXPECT_FALSE(h.out.created[0].started);
  EXPECT_EQ(h.out.started, std::vector<TaskId>{*id});
  h.out.clear();
  h.engine.on_connected(h.now, h.out);
  ASSERT_EQ(h.out.created.size(), 1u);
  EXPECT_TRUE(h.out.created[0].started);
  h.engine.on_creation_acknowledged(*id);
  h.advance(seconds(2));
  h.out.clear();
  h.engine.on_connected(h.now, h.out);
  EXPECT_TRUE(h.out.created.empty());
  EXPECT_EQ(h.out.results.size(), 1u);
  // Its serial survives a restart, so ids are never reused.
  TaskEngineOutbox out;
  TaskEngine restarted(std::string(kHost), h.executor.executor(), {}, h.engine.journal(), h.now,
                       out);
  EXPECT_EQ(restarted.create_task(h.now, "CAM-8", wire::TASK_ACTION_SET_OVERLAY_TEXT,
                                  {{"text", "x"}}, minutes(5), true, out),
            "EDGE-1:local-000002");
}

TEST(TaskEngine, TimedExecutorTakesEachActionsDuration) {
  const TaskExecutor executor = timed_executor(default_task_durations());
  EXPECT_EQ(executor(core::Time{}, overlay("a")).duration, seconds(2));
  EXPECT_EQ(executor(core::Time{}, firmware("b")).duration, minutes(6));
  TaskAssignment other = overlay("c");
  other.action = wire::TASK_ACTION_ADOPT_DEVICE;
  EXPECT_EQ(executor(core::Time{}, other).duration, seconds(20));
  other.action = wire::TASK_ACTION_REBOOT;
  EXPECT_EQ(executor(core::Time{}, other).duration, seconds(90));
  // An action its table leaves out takes the table's `otherwise`, and still succeeds.
  const TaskExecutor overlays_only =
      timed_executor(TaskDurations{{{wire::TASK_ACTION_SET_OVERLAY_TEXT, seconds(1)}}, seconds(7)});
  EXPECT_EQ(overlays_only(core::Time{}, overlay("d")).duration, seconds(1));
  EXPECT_EQ(overlays_only(core::Time{}, firmware("e")).duration, seconds(7));
  EXPECT_TRUE(overlays_only(core::Time{}, firmware("e")).succeeded);
}

}  // namespace
}  // namespace ccsim::devices

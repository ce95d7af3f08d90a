// The platform's record of a task against its host's journal: engines driven by hand through
// dispatches, restarts and a tampered journal, platform records written by hand.
#include "scenarios/task_accounts.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ccsim::scenarios {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kHost = "EDGE-1";

// An executor whose runs take 10 s and fail for the tasks named in `failing`.
devices::TaskExecutor executor(std::map<std::string, int>& runs, std::string failing = "") {
  return [&runs, failing](core::Time, const devices::TaskAssignment& task) {
    ++runs[task.task];
    return devices::TaskExecution{seconds(10), task.task != failing, "done", 0};
  };
}

devices::TaskAssignment assignment(const std::string& id, wire::TaskAction action) {
  const bool again = platform::find_task_action(action)->rerun_after_restart;
  return {id, "CAM-1", action, {}, minutes(30), again};
}

platform::Task record(const std::string& id, wire::TaskAction action, platform::TaskStatus status) {
  platform::Task task;
  task.id = id;
  task.device = "CAM-1";
  task.host = kHost;
  task.payload.action = action;
  task.status = status;
  return task;
}

// Runs `engine` until nothing is due, from `now` on.
void run_out(devices::TaskEngine& engine, core::Time now) {
  devices::TaskEngineOutbox out;
  for (int i = 0; i < 10; ++i) engine.on_wakeup(now + minutes(i + 1), out);
}

TEST(TaskAccounts, ATaskRunOnceAndSucceededOnBothSidesAgrees) {
  std::map<std::string, int> runs;
  devices::TaskEngine engine(kHost, executor(runs), {});
  devices::TaskEngineOutbox out;
  engine.on_dispatch(core::Time{}, assignment("t1", wire::TASK_ACTION_UPGRADE_FIRMWARE), out);
  run_out(engine, core::Time{});
  ASSERT_EQ(runs["t1"], 1);
  EXPECT_EQ(task_accounts_disagree(
                record("t1", wire::TASK_ACTION_UPGRADE_FIRMWARE, platform::TaskStatus::kSucceeded),
                &engine),
            "");
}

TEST(TaskAccounts, AnUpgradeRunTwiceIsCaughtAndAnOverlayRerunAfterARestartIsNot) {
  std::map<std::string, int> runs;
  devices::TaskEngine engine(kHost, executor(runs), {});
  devices::TaskEngineOutbox out;
  engine.on_dispatch(core::Time{}, assignment("up", wire::TASK_ACTION_UPGRADE_FIRMWARE), out);
  engine.on_dispatch(core::Time{}, assignment("ov", wire::TASK_ACTION_SET_OVERLAY_TEXT), out);
  // A journal a faulty engine might keep: both running tasks written back as queued, so the
  // restarted engine runs both again; only the overlay may be.
  devices::TaskEngineJournal journal = engine.journal();
  for (devices::JournalledTask& t : journal.tasks) t.state = devices::EngineTaskState::kQueued;
  devices::TaskEngine restarted(kHost, executor(runs), {}, journal, core::Time{} + seconds(5), out);
  run_out(restarted, core::Time{} + seconds(5));
  ASSERT_EQ(runs["up"], 2);
  ASSERT_EQ(runs["ov"], 2);
  EXPECT_EQ(task_accounts_disagree(
                record("up", wire::TASK_ACTION_UPGRADE_FIRMWARE, platform::TaskStatus::kSucceeded),
                &restarted),
            "ran 2 times");
  EXPECT_EQ(task_accounts_disagree(
                record("ov", wire::TASK_ACTION_SET_OVERLAY_TEXT, platform::TaskStatus::kSucceeded),
                &restarted),
            "");
}

TEST(TaskAccounts, SucceededOnThePlatformButNotOnTheHostIsCaught) {
  std::map<std::string, int> runs;
  devices::TaskEngine engine(kHost, executor(runs, "bad"), {});
  devices::TaskEngineOutbox out;
  engine.on_dispatch(core::Time{}, assignment("bad", wire::TASK_ACTION_REBOOT), out);
  engine.on_dispatch(core::Time{}, assignment("slow", wire::TASK_ACTION_REBOOT), out);
  const auto succeeded = [](const std::string& id) {
    return record(id, wire::TASK_ACTION_REBOOT, platform::TaskStatus::kSucceeded);
  };
  EXPECT_EQ(task_accounts_disagree(succeeded("slow"), &engine),
            "succeeded on the platform, still unfinished on its host");
  engine.on_wakeup(core::Time{} + seconds(10), out);  // both end; "bad" failed
  EXPECT_EQ(task_accounts_disagree(succeeded("slow"), &engine), "");
  EXPECT_EQ(task_accounts_disagree(succeeded("bad"), &engine),
            "succeeded on the platform, failed on its host");
  EXPECT_EQ(task_accounts_disagree(succeeded("never"), &engine),
            "succeeded on the platform, never reached its host");
  EXPECT_EQ(
      task_accounts_disagree(
          record("never", wire::TASK_ACTION_REBOOT, platform::TaskStatus::kTimedOut), &engine),
      "");
  platform::Task elsewhere = succeeded("bad");
  elsewhere.host = "EDGE-9";
  EXPECT_EQ(task_accounts_disagree(elsewhere, nullptr), "its host EDGE-9 is not in the fleet");
}

}  // namespace
}  // namespace ccsim::scenarios

// Rollouts as users start them, on a Task Manager the tests drive by hand: the host's
// acknowledgements, starts and results go in through on_*(), what the manager hands out comes
// from take_outbox(), and finished tasks reach the rollouts as the platform node passes them
// (on_task_finished, then advance).
#include "platform/rollout_manager.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/identity_store.h"
#include "platform/tenancy.h"

namespace ccsim::platform {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kHost = "EDGE-1";
constexpr std::string_view kVersion = "11.11.120";

std::string camera(int index) {
  char serial[16];
  std::snprintf(serial, sizeof serial, "CAM-%04d", index);
  return serial;
}

std::vector<std::string> cameras(int first, int last) {
  std::vector<std::string> serials;
  for (int i = first; i <= last; ++i) serials.push_back(camera(i));
  return serials;
}

// One group of every device, no rate limit, never aborting on failures.
RolloutPolicy all_at_once() {
  return RolloutPolicy{{RolloutGroup{0, 1.0}}, 0, 1.0, 1};
}

// Acme (owner Alice, operator Oscar) owns CAM-0001..CAM-0020, all behind EDGE-1; Globex (owner
// Bob) owns GLX-1, its own host.
class RolloutManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = must(identities_.register_user("alice@acme.example", "Alice"));
    oscar_ = must(identities_.register_user("oscar@acme.example", "Oscar"));
    bob_ = must(identities_.register_user("bob@globex.example", "Bob"));
    acme_ = must(tenancy_.create_organization(tick(), alice_, "Acme", "eu-west"));
    globex_ = must(tenancy_.create_organization(tick(), bob_, "Globex", "us-east"));
    const InvitationId invitation =
        must(tenancy_.invite(tick(), alice_, acme_, "oscar@acme.example", Role::kOperator));
    ASSERT_TRUE(tenancy_.accept_invitation(tick(), oscar_, invitation).ok());
    for (int i = 1; i <= 20; ++i) routes_[camera(i)] = DeviceRoute{acme_, std::string(kHost), ""};
    routes_["GLX-1"] = DeviceRoute{globex_, "GLX-1", ""};
  }

  core::Time tick() { return now_ += seconds(1); }

  Result<const RolloutRecord*> start(std::string name, std::vector<std::string> devices,
                                     RolloutPolicy policy, const UserId* actor = nullptr) {
    return rollouts_.start(now_, actor ? *actor : alice_, acme_,
                           RolloutRequest{std::move(name), std::string(kVersion),
                                          std::move(devices), std::move(policy)});
  }

  const RolloutRecord& record(std::string_view name) const {
    const RolloutRecord* found = rollouts_.find(acme_, name);
    EXPECT_NE(found, nullptr) << name;
    return *found;
  }

  std::vector<Task> series_tasks(const TaskSeriesId& series) const {
    return must(tasks_.series_tasks(series));
  }

  // The ids of the tasks EDGE-1 was sent now, in order.
  std::vector<TaskId> dispatched() {
    std::vector<TaskId> ids;
    for (const HostMessages& messages : tasks_.take_outbox(now_).hosts) {
      EXPECT_EQ(messages.host, kHost);
      for (const TaskDispatch& dispatch : messages.dispatches) ids.push_back(dispatch.task);
    }
    return ids;
  }

  // EDGE-1 takes the task, runs it and reports `outcome`.
  void run(const TaskId& task, wire::TaskOutcome outcome) {
    EXPECT_EQ(tasks_.on_acknowledged(now_, kHost, task), ReportDisposition::kRecorded) << task;
    EXPECT_EQ(tasks_.on_started(now_, kHost, task), ReportDisposition::kRecorded) << task;
    EXPECT_EQ(tasks_.on_result(now_, kHost, TaskResultReport{task, outcome, "done"}),
              ReportDisposition::kRecorded)
        << task;
  }

  // What the platform node does after each host message: the finished tasks to the rollouts.
  // Returns how many there were.
  std::size_t pass_finished() {
    const TaskManagerOutbox out = tasks_.take_outbox(now_);
    for (const TaskId& task : out.finished) rollouts_.on_task_finished(now_, task);
    return out.finished.size();
  }

  std::vector<AuditEntry> audit(std::string_view topic) const {
    AuditQuery query;
    query.organization = acme_;
    query.topic = std::string(topic);
    query.limit = kAuditPageEntriesMax;
    return must(audit_log_.search(query)).entries;
  }

  core::Time now_{};
  AuditLog audit_log_;
  IdentityStore identities_;
  Tenancy tenancy_{audit_log_, identities_};
  std::map<std::string, DeviceRoute, std::less<>> routes_;
  TaskManager tasks_{audit_log_, tenancy_,
                     [this](std::string_view device) -> std::optional<DeviceRoute> {
                       const auto found = routes_.find(device);
                       if (found == routes_.end()) return std::nullopt;
                       return found->second;
                     }};
  RolloutManager rollouts_{tasks_, audit_log_};
  UserId alice_, oscar_, bob_;
  OrganizationId acme_, globex_;
};

TEST_F(RolloutManagerTest, TheFirstBatchIsCreatedAsATaskSeriesAtOnce) {
  const core::Time started_at = tick();
  const RolloutRecord* started = must(start("spring", cameras(1, 3), all_at_once()));
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->name, "spring");
  EXPECT_EQ(started->organization, acme_);
  EXPECT_EQ(started->started_by, alice_);
  EXPECT_EQ(started->version, kVersion);
  EXPECT_EQ(started->started_at, started_at);
  EXPECT_FALSE(started->ended_at);
  EXPECT_EQ(started->refused, 0u);
  EXPECT_EQ(started->rollout.state(), RolloutState::kRunning);
  ASSERT_EQ(started->series.size(), 1u);

  const TaskSeries series = must(tasks_.series(started->series[0]));
  EXPECT_EQ(series.name, "spring/1");
  EXPECT_EQ(series.organization, acme_);
  EXPECT_EQ(series.created_by, alice_);
  EXPECT_EQ(series.created_at, started_at);
  EXPECT_EQ(series.payload,
            (TaskPayload{wire::TASK_ACTION_UPGRADE_FIRMWARE,
                         {{std::string(kParameterVersion), std::string(kVersion)}}}));
  const std::vector<Task> tasks = series_tasks(series.id);
  ASSERT_EQ(tasks.size(), 3u);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].device, camera(static_cast<int>(i) + 1));
    EXPECT_EQ(tasks[i].host, kHost);
    EXPECT_EQ(tasks[i].status, TaskStatus::kQueued);
    EXPECT_EQ(started->rollout.status(tasks[i].device), DeviceRolloutStatus::kStarted);
  }
  // Every device has started: nothing waits on a rate limit.
  EXPECT_FALSE(rollouts_.next_wakeup(now_));
  ASSERT_EQ(audit(kTopicRolloutStarted).size(), 1u);
  EXPECT_EQ(audit(kTopicRolloutStarted)[0].actor, alice_);
  EXPECT_EQ(audit(kTopicRolloutStarted)[0].detail, "rollout=spring version=11.11.120 devices=3");
  EXPECT_EQ(audit(kTopicTaskSeriesCreated).size(), 1u);
  // Its host gets the tasks when it connects.
  EXPECT_EQ(tasks_.host_connected(now_, kHost).dispatches.size(), 3u);
}

TEST_F(RolloutManagerTest, ANameUsedTwiceInAnOrganizationIsAlreadyExists) {
  ASSERT_TRUE(start("spring", {camera(1)}, all_at_once()).ok());
  expect_error(start("spring", {camera(2)}, all_at_once()), ErrorCode::kAlreadyExists,
               "name: a rollout named \"spring\" exists");
  EXPECT_EQ(rollouts_.rollouts().size(), 1u);
  EXPECT_EQ(tasks_.task_count(), 1u);
  EXPECT_EQ(audit(kTopicRolloutStarted).size(), 1u);
  // Names are the organization's: Globex may use it.
  EXPECT_TRUE(rollouts_
                  .start(now_, bob_, globex_,
                         RolloutRequest{"spring", std::string(kVersion), {"GLX-1"}, all_at_once()})
                  .ok());
  EXPECT_EQ(rollouts_.rollouts().size(), 2u);
  EXPECT_NE(rollouts_.find(globex_, "spring"), nullptr);
}

TEST_F(RolloutManagerTest, AnActorWithoutUpdateSoftwareIsDeniedAndNoRolloutExists) {
  expect_error(start("spring", cameras(1, 3), all_at_once(), &oscar_), ErrorCode::kPermissionDenied,
               "may not update_software");
  EXPECT_TRUE(rollouts_.rollouts().empty());
  EXPECT_EQ(rollouts_.find(acme_, "spring"), nullptr);
  EXPECT_EQ(tasks_.task_count(), 0u);
  EXPECT_TRUE(audit(kTopicRolloutStarted).empty());
  EXPECT_FALSE(rollouts_.next_wakeup(now_));
  // The name is free for one who may.
  EXPECT_TRUE(start("spring", cameras(1, 3), all_at_once()).ok());
}

TEST_F(RolloutManagerTest, RequestErrorsNameTheField) {
  expect_error(start("", {camera(1)}, all_at_once()), ErrorCode::kInvalidArgument, "name: 0 bytes");
  expect_error(start(std::string(kRolloutNameBytesMax + 1, 'r'), {camera(1)}, all_at_once()),
               ErrorCode::kInvalidArgument, "name: 65 bytes, expected 1 to 64");
  expect_error(rollouts_.start(now_, alice_, acme_,
                               RolloutRequest{"spring", "11.11 beta", {camera(1)}, all_at_once()}),
               ErrorCode::kInvalidArgument, "version: payload.parameters.version");
  expect_error(start("spring", {}, all_at_once()), ErrorCode::kInvalidArgument, "devices: none");
  expect_error(start("spring", {camera(1)}, RolloutPolicy{}), ErrorCode::kInvalidArgument,
               "groups:");
  expect_error(start("spring", {camera(1), "NO-SUCH-CAM"}, all_at_once()), ErrorCode::kNotFound,
               "devices[1]: unknown device 'NO-SUCH-CAM'");
  EXPECT_TRUE(rollouts_.rollouts().empty());
  EXPECT_EQ(tasks_.task_count(), 0u);
}

TEST_F(RolloutManagerTest, ANameOfTheMostBytesNamesEveryBatchsSeries) {
  // Each batch is a series named after the rollout and the batch's number, and a series name
  // has a limit of its own: the rollout's may not make a batch's series impossible.
  const std::string name(kRolloutNameBytesMax, 'r');
  ASSERT_NE(must(start(name, cameras(1, 12), RolloutPolicy{{RolloutGroup{0, 1.0}}, 1, 1.0, 1})),
            nullptr);
  for (int minute = 1; minute < 12; ++minute) {
    now_ += minutes(1);
    rollouts_.advance(now_);
  }
  const RolloutRecord& rollout = record(name);
  EXPECT_EQ(rollout.refused, 0u);
  EXPECT_EQ(rollout.rollout.failed(), 0u);
  EXPECT_EQ(rollout.rollout.state(), RolloutState::kRunning);
  ASSERT_EQ(rollout.series.size(), 12u);
  for (std::size_t i = 0; i < rollout.series.size(); ++i) {
    const TaskSeries series = must(tasks_.series(rollout.series[i]));
    EXPECT_LE(series.name.size(), kTaskSeriesNameBytesMax);
    EXPECT_TRUE(series.name.ends_with("/" + std::to_string(i + 1))) << series.name;
  }
  EXPECT_EQ(tasks_.task_count(), 12u);
}

TEST_F(RolloutManagerTest, TheNextGroupStartsOnlyOnceTheFirstReachesItsThreshold) {
  // Two canaries that must both succeed, then the other four.
  ASSERT_TRUE(start("staged", cameras(1, 6),
                    RolloutPolicy{{RolloutGroup{2, 1.0}, RolloutGroup{0, 1.0}}, 0, 1.0, 1})
                  .ok());
  ASSERT_EQ(record("staged").series.size(), 1u);
  ASSERT_EQ(series_tasks(record("staged").series[0]).size(), 2u);
  tasks_.host_connected(tick(), kHost);
  const std::vector<Task> canaries = series_tasks(record("staged").series[0]);
  rollouts_.advance(now_);
  EXPECT_EQ(record("staged").series.size(), 1u);
  // Devices wait on the gate, which only results open: no wake-up is needed for it.
  EXPECT_FALSE(rollouts_.next_wakeup(now_));

  // One canary through: half the group, short of its threshold.
  tick();
  run(canaries[0].id, wire::TASK_OUTCOME_SUCCEEDED);
  EXPECT_EQ(pass_finished(), 1u);
  rollouts_.advance(now_);
  EXPECT_EQ(record("staged").series.size(), 1u);
  EXPECT_EQ(record("staged").rollout.open_groups(), 1u);
  EXPECT_EQ(tasks_.task_count(), 2u);

  // Both: the gate opens when the result is taken, and the tasks come with the next advance().
  tick();
  run(canaries[1].id, wire::TASK_OUTCOME_SUCCEEDED);
  EXPECT_EQ(pass_finished(), 1u);
  EXPECT_EQ(record("staged").rollout.open_groups(), 2u);
  EXPECT_EQ(record("staged").series.size(), 1u);
  rollouts_.advance(now_);
  ASSERT_EQ(record("staged").series.size(), 2u);
  const TaskSeries second = must(tasks_.series(record("staged").series[1]));
  EXPECT_EQ(second.name, "staged/2");
  EXPECT_EQ(second.created_by, alice_);
  EXPECT_EQ(second.created_at, now_);
  const std::vector<Task> rest = series_tasks(second.id);
  ASSERT_EQ(rest.size(), 4u);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].device, camera(static_cast<int>(i) + 3));
  }
  EXPECT_FALSE(rollouts_.next_wakeup(now_));
  EXPECT_EQ(dispatched().size(), 4u);

  // The rest through: finished, and the trail says so.
  tick();
  for (const Task& task : rest) run(task.id, wire::TASK_OUTCOME_SUCCEEDED);
  EXPECT_EQ(pass_finished(), 4u);
  const RolloutRecord& done = record("staged");
  EXPECT_EQ(done.rollout.state(), RolloutState::kFinished);
  EXPECT_EQ(done.rollout.succeeded(), 6u);
  EXPECT_EQ(done.ended_at, now_);
  ASSERT_EQ(audit(kTopicRolloutEnded).size(), 1u);
  EXPECT_EQ(audit(kTopicRolloutEnded)[0].detail,
            "rollout=staged state=finished succeeded=6 failed=0");
}

TEST_F(RolloutManagerTest, AGroupEndingShortOfItsThresholdAbortsTheRollout) {
  ASSERT_TRUE(start("staged", cameras(1, 6),
                    RolloutPolicy{{RolloutGroup{2, 1.0}, RolloutGroup{0, 1.0}}, 0, 1.0, 1})
                  .ok());
  tasks_.host_connected(tick(), kHost);
  const std::vector<Task> canaries = series_tasks(record("staged").series[0]);
  run(canaries[0].id, wire::TASK_OUTCOME_FAILED);
  pass_finished();
  rollouts_.advance(now_);
  EXPECT_EQ(record("staged").rollout.state(), RolloutState::kRunning);  // one may still succeed

  const core::Time ended_at = tick();
  run(canaries[1].id, wire::TASK_OUTCOME_SUCCEEDED);
  pass_finished();
  rollouts_.advance(now_);
  const RolloutRecord& aborted = record("staged");
  EXPECT_EQ(aborted.rollout.state(), RolloutState::kAborted);
  EXPECT_EQ(aborted.ended_at, ended_at);
  EXPECT_EQ(aborted.series.size(), 1u);
  EXPECT_EQ(tasks_.task_count(), 2u);
  EXPECT_EQ(aborted.rollout.status(camera(3)), DeviceRolloutStatus::kPending);
  EXPECT_FALSE(rollouts_.next_wakeup(now_));

  const std::vector<AuditEntry> started = audit(kTopicRolloutStarted);
  const std::vector<AuditEntry> ended = audit(kTopicRolloutEnded);
  ASSERT_EQ(started.size(), 1u);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].actor, alice_);
  EXPECT_EQ(ended[0].at, ended_at);
  EXPECT_NE(ended[0].detail.find("rollout=staged state=aborted succeeded=1 failed=1"),
            std::string::npos)
      << ended[0].detail;
  EXPECT_NE(ended[0].detail.find("reason=group 0 ended with 1 of 2 succeeded"), std::string::npos)
      << ended[0].detail;
  EXPECT_LT(started[0].sequence, ended[0].sequence);
}

TEST_F(RolloutManagerTest, TheRateLimitSpreadsBatchesOverMinutes) {
  const core::Time t0 = tick();
  ASSERT_TRUE(start("paced", cameras(1, 5), RolloutPolicy{{RolloutGroup{0, 1.0}}, 2, 1.0, 1}).ok());
  ASSERT_EQ(record("paced").series.size(), 1u);
  EXPECT_EQ(series_tasks(record("paced").series[0]).size(), 2u);
  EXPECT_EQ(rollouts_.next_wakeup(t0), t0 + kRolloutTick);

  // Within the minute nothing more may start, however often the manager looks.
  for (core::Time at = t0 + kRolloutTick; at < t0 + minutes(1); at += kRolloutTick) {
    rollouts_.advance(at);
    EXPECT_EQ(record("paced").series.size(), 1u);
    EXPECT_EQ(rollouts_.next_wakeup(at), at + kRolloutTick);
  }
  rollouts_.advance(t0 + minutes(1));
  ASSERT_EQ(record("paced").series.size(), 2u);
  const TaskSeries second = must(tasks_.series(record("paced").series[1]));
  EXPECT_EQ(second.name, "paced/2");
  EXPECT_EQ(second.created_at, t0 + minutes(1));
  EXPECT_EQ(series_tasks(second.id).size(), 2u);
  EXPECT_EQ(rollouts_.next_wakeup(t0 + minutes(1)), t0 + minutes(1) + kRolloutTick);

  rollouts_.advance(t0 + minutes(2));
  ASSERT_EQ(record("paced").series.size(), 3u);
  const std::vector<Task> last = series_tasks(record("paced").series[2]);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].device, camera(5));
  // Everyone has started: no more wake-ups for this rollout.
  EXPECT_FALSE(rollouts_.next_wakeup(t0 + minutes(2)));
  EXPECT_EQ(tasks_.task_count(), 5u);
}

TEST_F(RolloutManagerTest, ResultsArrivingAfterAnAbortChangeNothing) {
  // Aborts once two have finished and more than half of the finished failed.
  ASSERT_TRUE(start("risky", cameras(1, 4), RolloutPolicy{{RolloutGroup{0, 1.0}}, 0, 0.5, 2}).ok());
  tasks_.host_connected(tick(), kHost);
  const std::vector<Task> tasks = series_tasks(record("risky").series[0]);
  ASSERT_EQ(tasks.size(), 4u);
  run(tasks[0].id, wire::TASK_OUTCOME_FAILED);
  run(tasks[1].id, wire::TASK_OUTCOME_FAILED);
  pass_finished();
  const core::Time aborted_at = now_;
  ASSERT_EQ(record("risky").rollout.state(), RolloutState::kAborted);
  EXPECT_NE(record("risky").rollout.abort_reason().find("2 of 2 finished devices failed"),
            std::string::npos)
      << record("risky").rollout.abort_reason();

  tick();
  run(tasks[2].id, wire::TASK_OUTCOME_SUCCEEDED);
  run(tasks[3].id, wire::TASK_OUTCOME_FAILED);
  EXPECT_EQ(pass_finished(), 2u);
  rollouts_.advance(now_);
  const RolloutRecord& aborted = record("risky");
  EXPECT_EQ(aborted.rollout.state(), RolloutState::kAborted);
  EXPECT_EQ(aborted.rollout.succeeded(), 0u);
  EXPECT_EQ(aborted.rollout.failed(), 2u);
  EXPECT_EQ(aborted.rollout.status(camera(3)), DeviceRolloutStatus::kStarted);
  EXPECT_EQ(aborted.ended_at, aborted_at);
  EXPECT_EQ(aborted.series.size(), 1u);
  EXPECT_EQ(audit(kTopicRolloutEnded).size(), 1u);
  // The tasks themselves keep how they ended.
  EXPECT_EQ(must(tasks_.task(tasks[2].id)).status, TaskStatus::kSucceeded);
  EXPECT_EQ(must(tasks_.task(tasks[3].id)).status, TaskStatus::kFailed);
  // So do copies of a result, and tasks of no rollout.
  rollouts_.on_task_finished(now_, tasks[2].id);
  rollouts_.on_task_finished(now_, "task-99999999");
  EXPECT_EQ(record("risky").rollout.succeeded(), 0u);
}

TEST_F(RolloutManagerTest, ATaskTimingOutFinishesItsDeviceAsFailed) {
  ASSERT_TRUE(start("slow", {camera(1)}, all_at_once()).ok());
  const Task task = series_tasks(record("slow").series[0]).at(0);
  now_ = task.deadline;
  EXPECT_EQ(pass_finished(), 1u);
  const RolloutRecord& ended = record("slow");
  EXPECT_EQ(must(tasks_.task(task.id)).status, TaskStatus::kTimedOut);
  EXPECT_EQ(ended.rollout.failed(), 1u);
  // One group, never aborting: every device has finished, so has the rollout.
  EXPECT_EQ(ended.rollout.state(), RolloutState::kFinished);
  EXPECT_EQ(ended.ended_at, task.deadline);
  ASSERT_EQ(audit(kTopicRolloutEnded).size(), 1u);
  EXPECT_EQ(audit(kTopicRolloutEnded)[0].detail,
            "rollout=slow state=finished succeeded=0 failed=1");
}

TEST_F(RolloutManagerTest, DevicesWhoseTasksCannotBeCreatedAreRefusedAndFail) {
  ASSERT_TRUE(start("paced", cameras(1, 3), RolloutPolicy{{RolloutGroup{0, 1.0}}, 1, 1.0, 1}).ok());
  // CAM-0002 leaves the organization before its turn.
  routes_.erase(camera(2));
  now_ += minutes(1);
  rollouts_.advance(now_);
  const RolloutRecord& rollout = record("paced");
  EXPECT_EQ(rollout.refused, 1u);
  EXPECT_EQ(rollout.rollout.status(camera(2)), DeviceRolloutStatus::kFailed);
  EXPECT_EQ(rollout.series.size(), 1u);
  EXPECT_EQ(rollout.rollout.state(), RolloutState::kRunning);
  now_ += minutes(1);
  rollouts_.advance(now_);
  EXPECT_EQ(record("paced").series.size(), 2u);
  EXPECT_EQ(series_tasks(record("paced").series[1]).at(0).device, camera(3));
}

}  // namespace
}  // namespace ccsim::platform

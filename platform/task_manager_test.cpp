// The Task Manager Service, alone and end to end with the hosts' task engines
// (devices/task_engine.h). The wire between them is played in-process by `Wire`: it converts
// messages as the protobuf adapter will, and loses whatever is sent while a host is
// disconnected.
#include "platform/task_manager.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/random_stream.h"
#include "devices/task_engine.h"
#include "platform/device_registry.h"
#include "platform/identity_store.h"
#include "platform/owner_key.h"

namespace ccsim::platform {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// ---- The wire ------------------------------------------------------------------------------

devices::TaskAssignment assignment_of(const TaskDispatch& dispatch) {
  return devices::TaskAssignment{dispatch.task,
                                 dispatch.device,
                                 dispatch.payload.action,
                                 devices::TaskParameters(dispatch.payload.parameters.begin(),
                                                         dispatch.payload.parameters.end()),
                                 dispatch.time_left,
                                 dispatch.rerun_after_restart};
}

HostTaskReport host_task_report_of(const devices::LocalTaskReport& report) {
  const devices::TaskAssignment& task = report.task;
  return HostTaskReport{task.task, task.device,
                        TaskPayload{task.action, {task.parameters.begin(), task.parameters.end()}},
                        task.time_left, report.started};
}

// Runs of each task, and when each ran, per host: what the tests count executions and
// concurrency by, from outside the engines.
struct Executions {
  std::map<wire::TaskAction, core::Duration> durations{
      {wire::TASK_ACTION_SET_OVERLAY_TEXT, seconds(2)},
      {wire::TASK_ACTION_UPGRADE_FIRMWARE, minutes(6)},
      {wire::TASK_ACTION_REBOOT, seconds(90)},
      {wire::TASK_ACTION_ADOPT_DEVICE, seconds(20)}};
  std::map<TaskId, int> runs;
  std::map<std::string, std::vector<std::pair<core::Time, core::Time>>> spans;  // by host

  devices::TaskExecutor executor_for(const std::string& host) {
    return [this, host](core::Time now, const devices::TaskAssignment& task) {
      ++runs[task.task];
      const core::Duration duration = durations.at(task.action);
      spans[host].emplace_back(now, now + duration);
      return devices::TaskExecution{duration, true, "applied"};
    };
  }

  // The most runs of `host` planned to overlap at any instant.
  std::size_t overlap_max(const std::string& host) const {
    std::size_t most = 0;
    const auto& list = spans.at(host);
    for (const auto& [start, end] : list) {
      std::size_t at_start = 0;
      for (const auto& [s, e] : list) at_start += (s <= start && start < e) ? 1 : 0;
      most = std::max(most, at_start);
    }
    return most;
  }
};

// The hosts' side: one task engine per host, and the connections to the manager.
class Wire {
 public:
  Wire(TaskManager& manager, core::Time& now) : manager_(manager), now_(now) {}

  devices::TaskEngine& add_host(const std::string& serial, devices::TaskEngineLimits limits = {}) {
    Host& host = hosts_[serial];
    host.limits = limits;
    host.engine =
        std::make_unique<devices::TaskEngine>(serial, executions.executor_for(serial), limits);
    return *host.engine;
  }
  devices::TaskEngine& engine(const std::string& serial) { return *hosts_.at(serial).engine; }

  void connect(const std::string& serial) {
    Host& host = hosts_.at(serial);
    host.connected = true;
    to_host(serial, manager_.host_connected(now_, serial));
    devices::TaskEngineOutbox out;
    host.engine->on_connected(now_, out);
    to_manager(serial, out);
    settle();
  }

  void disconnect(const std::string& serial) {
    hosts_.at(serial).connected = false;
    manager_.host_disconnected(now_, serial);
  }

  // The host's process dies and comes back from its journal, disconnected meanwhile.
  void restart(const std::string& serial) {
    disconnect(serial);
    Host& host = hosts_.at(serial);
    devices::TaskEngineJournal journal = host.engine->journal();
    devices::TaskEngineOutbox out;
    host.wakeups.clear();
    host.engine = std::make_unique<devices::TaskEngine>(serial, executions.executor_for(serial),
                                                        host.limits, std::move(journal), now_, out);
    to_manager(serial, out);  // lost but for the wake-ups: not connected yet
  }

  // Passes messages both ways at the current time until nothing more is sent.
  void settle() {
    if (manager_down) return;
    for (int round = 0;; ++round) {
      ASSERT_LT(round, 10'000) << "messages never settle";
      TaskManagerOutbox out = manager_.take_outbox(now_);
      notifications.insert(notifications.end(), out.notifications.begin(), out.notifications.end());
      finished.insert(finished.end(), out.finished.begin(), out.finished.end());
      manager_wakeup_ = out.wakeup;
      if (out.hosts.empty()) return;
      for (const HostMessages& messages : out.hosts) to_host(messages.host, messages);
    }
  }

  // Advances time to each wake-up anyone asked for, up to `until`.
  void run_until(core::Time until) {
    settle();
    while (true) {
      std::optional<core::Time> next = manager_wakeup_;
      for (const auto& [serial, host] : hosts_) {
        if (!host.wakeups.empty() && (!next || *host.wakeups.begin() < *next)) {
          next = *host.wakeups.begin();
        }
      }
      if (!next || *next > until) break;
      now_ = std::max(now_, *next);
      for (auto& [serial, host] : hosts_) {
        while (!host.wakeups.empty() && *host.wakeups.begin() <= now_) {
          host.wakeups.erase(host.wakeups.begin());
          devices::TaskEngineOutbox out;
          host.engine->on_wakeup(now_, out);
          to_manager(serial, out);
        }
      }
      settle();
    }
    now_ = std::max(now_, until);
    settle();
  }

  Executions executions;
  std::vector<TaskNotification> notifications;
  std::vector<TaskId> finished;       // as the outboxes listed them
  std::size_t lose_dispatches = 0;    // the next this many dispatches vanish on the way
  bool duplicate_dispatches = false;  // every dispatch arrives twice
  bool manager_down = false;          // the manager crashed: what hosts send it is lost

 private:
  struct Host {
    std::unique_ptr<devices::TaskEngine> engine;
    devices::TaskEngineLimits limits;
    bool connected = false;
    std::set<core::Time> wakeups;
  };

  void to_host(const std::string& serial, const HostMessages& messages) {
    Host& host = hosts_.at(serial);
    if (!host.connected) return;
    devices::TaskEngineOutbox out;
    for (const TaskId& task : messages.cancels) host.engine->on_cancel(now_, task, out);
    for (const TaskDispatch& dispatch : messages.dispatches) {
      if (lose_dispatches > 0) {
        --lose_dispatches;
        continue;
      }
      host.engine->on_dispatch(now_, assignment_of(dispatch), out);
      if (duplicate_dispatches) host.engine->on_dispatch(now_, assignment_of(dispatch), out);
    }
    for (const TaskId& task : messages.host_task_acknowledgements) {
      host.engine->on_creation_acknowledged(task);
    }
    for (const TaskId& task : messages.result_acknowledgements) {
      host.engine->on_result_acknowledged(task);
    }
    to_manager(serial, out);
  }

 public:
  // What the engine sent, if its host is connected; its wake-ups stay with the host.
  void to_manager(const std::string& serial, const devices::TaskEngineOutbox& out) {
    Host& host = hosts_.at(serial);
    host.wakeups.insert(out.wakeups.begin(), out.wakeups.end());
    if (!host.connected || manager_down) return;
    for (const TaskId& task : out.acknowledgements) manager_.on_acknowledged(now_, serial, task);
    for (const devices::TaskRefusal& refusal : out.refusals) {
      manager_.on_refused(now_, serial, refusal.task, refusal.reason);
    }
    for (const devices::LocalTaskReport& report : out.created) {
      host_task_results.push_back(manager_.on_host_task(now_, serial, host_task_report_of(report)));
    }
    for (const TaskId& task : out.started) manager_.on_started(now_, serial, task);
    for (const devices::TaskReport& report : out.results) {
      manager_.on_result(now_, serial,
                         TaskResultReport{report.task, report.outcome, report.detail});
    }
  }
  std::vector<Result<Task>> host_task_results;

 private:
  TaskManager& manager_;
  core::Time& now_;
  std::map<std::string, Host> hosts_;
  std::optional<core::Time> manager_wakeup_;
};

// ---- Fixture -------------------------------------------------------------------------------

std::string camera(int index) {
  char serial[16];
  std::snprintf(serial, sizeof serial, "CAM-%04d", index);
  return serial;
}

TaskPayload overlay_payload(std::string text = "Main entrance") {
  return TaskPayload{wire::TASK_ACTION_SET_OVERLAY_TEXT, {{"text", std::move(text)}}};
}

TaskPayload firmware_payload(std::string version = "11.11.120") {
  return TaskPayload{wire::TASK_ACTION_UPGRADE_FIRMWARE, {{"version", std::move(version)}}};
}

// Acme owns CAM-0001..CAM-0500 (odd ones behind EDGE-1, even ones behind EDGE-2) and LUND-1 in
// its resource group "lund" (behind EDGE-1); Globex owns GLX-1 (its own host).
class TaskManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = must(identities_.register_user("alice@acme.example", "Alice"));
    oscar_ = must(identities_.register_user("oscar@acme.example", "Oscar"));
    vera_ = must(identities_.register_user("vera@acme.example", "Vera"));
    sam_ = must(identities_.register_user("sam@acme.example", "Sam"));
    bob_ = must(identities_.register_user("bob@globex.example", "Bob"));
    acme_ = must(tenancy_.create_organization(tick(), alice_, "Acme", "eu-west"));
    globex_ = must(tenancy_.create_organization(tick(), bob_, "Globex", "us-east"));
    lund_ = must(tenancy_.create_resource_group(tick(), alice_, acme_, "lund"));
    join(oscar_, "oscar@acme.example", Role::kOperator);
    join(vera_, "vera@acme.example", Role::kViewer);
    join(sam_, "sam@acme.example", Role::kOperator, lund_);
    for (int i = 1; i <= 500; ++i) {
      routes_[camera(i)] = DeviceRoute{acme_, i % 2 == 1 ? "EDGE-1" : "EDGE-2", ""};
    }
    routes_["LUND-1"] = DeviceRoute{acme_, "EDGE-1", lund_};
    routes_["GLX-1"] = DeviceRoute{globex_, "GLX-1", ""};
  }

  void join(const UserId& user, const std::string& email, Role role,
            std::optional<std::string> scope = std::nullopt) {
    const InvitationId invitation =
        must(tenancy_.invite(tick(), alice_, acme_, email, role,
                             scope ? std::optional<std::string_view>(*scope) : std::nullopt));
    ASSERT_TRUE(tenancy_.accept_invitation(tick(), user, invitation).ok());
  }

  core::Time tick() { return now_ += seconds(1); }

  static TaskSeriesRequest request(TaskPayload payload, std::vector<std::string> devices,
                                   std::optional<core::Duration> timeout = std::nullopt) {
    return TaskSeriesRequest{"test series", std::move(payload), std::move(devices), timeout};
  }
  static std::vector<std::string> cameras(int first, int last, int step = 1) {
    std::vector<std::string> serials;
    for (int i = first; i <= last; i += step) serials.push_back(camera(i));
    return serials;
  }

  TaskSeries create(TaskPayload payload, std::vector<std::string> devices,
                    std::optional<core::Duration> timeout = std::nullopt) {
    return must(manager_.create_series(now_, alice_, acme_,
                                       request(std::move(payload), std::move(devices), timeout)));
  }

  Task task_of(const TaskSeries& series, std::size_t index) {
    return must(manager_.series_tasks(series.id)).at(index);
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
  DeviceRouter manager_router() {
    return [this](std::string_view device) -> std::optional<DeviceRoute> {
      const auto found = routes_.find(device);
      if (found == routes_.end()) return std::nullopt;
      return found->second;
    };
  }
  TaskManager manager_{audit_log_, tenancy_, manager_router()};
  Wire wire_{manager_, now_};
  UserId alice_, oscar_, vera_, sam_, bob_;
  OrganizationId acme_, globex_;
  ResourceGroupId lund_;
};

// ---- End to end ----------------------------------------------------------------------------

TEST_F(TaskManagerTest, FiveHundredOverlayTasksFlowThroughTwoHostsWithBoundedConcurrency) {
  for (const char* host : {"EDGE-1", "EDGE-2"}) {
    wire_.add_host(host, devices::TaskEngineLimits{4, 256, 10'000});
    wire_.connect(host);
  }
  const core::Time start = now_;
  const TaskSeries series = create(overlay_payload(), cameras(1, 500));
  EXPECT_EQ(series.progress.total, 500u);
  EXPECT_EQ(series.progress.queued, 500u);
  wire_.run_until(start + minutes(10));

  const TaskSeries done = must(manager_.series(series.id));
  EXPECT_EQ(done.progress.succeeded, 500u);
  EXPECT_EQ(done.progress.finished(), 500u);
  ASSERT_TRUE(done.completed_at);
  // 250 tasks of 2 s on 4 workers per host: 63 rounds.
  EXPECT_EQ(*done.completed_at - start, seconds(126));
  for (const Task& task : must(manager_.series_tasks(series.id))) {
    EXPECT_EQ(task.status, TaskStatus::kSucceeded) << task.id;
    EXPECT_EQ(task.deliveries, 1u) << task.id;
    EXPECT_EQ(wire_.executions.runs[task.id], 1) << task.id;
  }
  EXPECT_EQ(wire_.executions.runs.size(), 500u);
  for (const char* host : {"EDGE-1", "EDGE-2"}) {
    EXPECT_EQ(wire_.executions.overlap_max(host), 4u) << host;
    EXPECT_EQ(wire_.engine(host).counters().running_peak, 4u) << host;
    // Every result was acknowledged, so the engine holds nothing it must still send.
    devices::TaskEngineOutbox resend;
    wire_.engine(host).on_connected(now_, resend);
    EXPECT_TRUE(resend.results.empty()) << host;
  }
  ASSERT_EQ(wire_.notifications.size(), 1u);
  EXPECT_EQ(wire_.notifications[0].series, series.id);
  EXPECT_EQ(wire_.notifications[0].user, alice_);
  EXPECT_EQ(wire_.notifications[0].progress.succeeded, 500u);
  // Each task is listed finished once, in the outbox after its result.
  EXPECT_EQ(wire_.finished.size(), 500u);
  EXPECT_EQ(std::set<TaskId>(wire_.finished.begin(), wire_.finished.end()).size(), 500u);
  EXPECT_EQ(manager_.counters().redeliveries, 0u);
  EXPECT_EQ(manager_.counters().duplicate_reports, 0u);
}

TEST_F(TaskManagerTest, AHostThatDropsMidTaskAndReconnectsEndsEveryTaskExactlyOnce) {
  wire_.executions.durations[wire::TASK_ACTION_SET_OVERLAY_TEXT] = seconds(10);
  wire_.add_host("EDGE-1", devices::TaskEngineLimits{2, 64, 1'000});
  wire_.connect("EDGE-1");
  const core::Time start = now_;
  const TaskSeries series = create(overlay_payload(), cameras(1, 19, 2));  // 10, all on EDGE-1
  wire_.run_until(start + seconds(5));
  EXPECT_EQ(must(manager_.series(series.id)).progress.running, 2u);

  wire_.disconnect("EDGE-1");  // the engine works on; what it sends is lost
  wire_.run_until(start + minutes(1));
  EXPECT_EQ(wire_.engine("EDGE-1").counters().executions, 10u);
  EXPECT_EQ(must(manager_.series(series.id)).progress.finished(), 0u);

  wire_.connect("EDGE-1");
  wire_.run_until(start + minutes(2));
  const TaskSeries done = must(manager_.series(series.id));
  EXPECT_EQ(done.progress.succeeded, 10u);
  for (const Task& task : must(manager_.series_tasks(series.id))) {
    EXPECT_EQ(task.status, TaskStatus::kSucceeded) << task.id;
    EXPECT_EQ(wire_.executions.runs[task.id], 1) << task.id;
    EXPECT_EQ(task.deliveries, 2u) << task.id;  // once, then again on reconnection
  }
  // Both sides re-sent (the manager its dispatches, the engine its results): copies were
  // counted and changed nothing.
  EXPECT_EQ(manager_.counters().redeliveries, 10u);
  EXPECT_GE(manager_.counters().duplicate_reports, 10u);
  EXPECT_EQ(wire_.engine("EDGE-1").counters().duplicate_dispatches, 10u);
  EXPECT_EQ(wire_.notifications.size(), 1u);
}

TEST_F(TaskManagerTest, ADispatchLostOnTheWayIsSentAgainAfterTheAckTimeout) {
  wire_.add_host("EDGE-1");
  wire_.connect("EDGE-1");
  const core::Time start = now_;
  wire_.lose_dispatches = 1;
  const TaskSeries series = create(overlay_payload(), {camera(1)});
  wire_.run_until(start + seconds(29));
  Task task = task_of(series, 0);
  EXPECT_EQ(task.status, TaskStatus::kDispatched);
  EXPECT_FALSE(task.acknowledged_at);
  EXPECT_EQ(wire_.executions.runs.count(task.id), 0u);

  wire_.run_until(start + minutes(1));
  task = task_of(series, 0);
  EXPECT_EQ(task.status, TaskStatus::kSucceeded);
  EXPECT_EQ(task.deliveries, 2u);
  EXPECT_EQ(*task.acknowledged_at - start, kTaskAckTimeoutDefault);
  EXPECT_EQ(wire_.executions.runs[task.id], 1);
  EXPECT_EQ(manager_.counters().redeliveries, 1u);
}

TEST_F(TaskManagerTest, DuplicateDispatchesAreAcknowledgedButNotRun) {
  wire_.add_host("EDGE-1");
  wire_.add_host("EDGE-2");
  wire_.connect("EDGE-1");
  wire_.connect("EDGE-2");
  wire_.duplicate_dispatches = true;
  const TaskSeries series = create(overlay_payload(), cameras(1, 20));
  wire_.run_until(now_ + minutes(1));
  EXPECT_EQ(must(manager_.series(series.id)).progress.succeeded, 20u);
  for (const auto& [task, runs] : wire_.executions.runs) EXPECT_EQ(runs, 1) << task;
  EXPECT_EQ(wire_.engine("EDGE-1").counters().duplicate_dispatches +
                wire_.engine("EDGE-2").counters().duplicate_dispatches,
            20u);
  EXPECT_EQ(manager_.counters().duplicate_reports, 20u);  // the second acknowledgements
}

TEST_F(TaskManagerTest, AHostRestartMidTaskEndsEachTaskOnceAsItsActionAllows) {
  wire_.add_host("EDGE-1", devices::TaskEngineLimits{4, 64, 1'000});
  wire_.connect("EDGE-1");
  const core::Time start = now_;
  const TaskSeries overlays = create(overlay_payload(), {camera(1), camera(3)});
  const TaskSeries upgrades = create(firmware_payload(), {camera(5), camera(7)});
  wire_.run_until(start + seconds(1));
  ASSERT_EQ(wire_.engine("EDGE-1").running_count(), 4u);

  wire_.restart("EDGE-1");
  now_ += seconds(9);
  wire_.connect("EDGE-1");
  wire_.run_until(start + minutes(10));

  for (const Task& task : must(manager_.series_tasks(overlays.id))) {
    EXPECT_EQ(task.status, TaskStatus::kSucceeded) << task.id;
    // The run the restart cut short, then one to the end: an overlay is idempotent.
    EXPECT_EQ(wire_.executions.runs[task.id], 2) << task.id;
  }
  for (const Task& task : must(manager_.series_tasks(upgrades.id))) {
    EXPECT_EQ(task.status, TaskStatus::kFailed) << task.id;
    EXPECT_EQ(task.detail, "host restarted while the task ran");
    EXPECT_EQ(wire_.executions.runs[task.id], 1) << task.id;
  }
  EXPECT_EQ(wire_.notifications.size(), 2u);
}

TEST_F(TaskManagerTest, ARestartRebuildsFromTheStoreAndEveryTaskStillEndsOnce) {
  wire_.add_host("EDGE-1", devices::TaskEngineLimits{4, 256, 1'000});
  wire_.connect("EDGE-1");
  const core::Time start = now_;
  // 100 overlays of 2 s, 4 at a time; the host's window sends 64 at once.
  const TaskSeries series = create(overlay_payload(), cameras(1, 199, 2));
  wire_.run_until(start + seconds(10));
  const TaskSeriesProgress before = must(manager_.series(series.id)).progress;
  ASSERT_EQ(before.succeeded, 20u);  // 5 rounds of 4 in 10 s
  ASSERT_EQ(before.queued, 16u);     // never sent: 100 - 20 done - 64 in the window
  // Down 30 s: the engine runs on, and the results it sends meanwhile are lost.
  wire_.manager_down = true;
  wire_.run_until(start + seconds(40));
  EXPECT_EQ(must(manager_.series(series.id)).progress.succeeded, before.succeeded);
  wire_.manager_down = false;
  manager_.restart(now_, {"EDGE-1"});
  wire_.run_until(start + minutes(4));

  for (const Task& task : must(manager_.series_tasks(series.id))) {
    EXPECT_EQ(task.status, TaskStatus::kSucceeded) << task.id;
    EXPECT_EQ(wire_.executions.runs[task.id], 1) << task.id;
  }
  EXPECT_EQ(manager_.counters().restarts, 1u);
  // The 64 sent and unfinished at the crash went again; the engine held every one (it answered
  // the copies of those it had finished with their results).
  EXPECT_EQ(manager_.counters().redeliveries, 64u);
  EXPECT_EQ(wire_.engine("EDGE-1").counters().duplicate_dispatches, 64u);
  EXPECT_EQ(wire_.notifications.size(), 1u);
}

TEST_F(TaskManagerTest, ADeadlinePassedWhileTheManagerWasDownTimesTheTaskOutAtItsRestart) {
  // GLX-1's host never connects; its task may wait 1 minute.
  const TaskSeries series = must(manager_.create_series(
      now_, bob_, globex_, request(overlay_payload(), {"GLX-1"}, minutes(1))));
  wire_.manager_down = true;
  now_ += minutes(2);
  wire_.manager_down = false;
  manager_.restart(now_, {});
  const Task task = task_of(series, 0);
  EXPECT_EQ(task.status, TaskStatus::kTimedOut);
  EXPECT_EQ(task.detail, "not dispatched by its deadline: host offline or busy");
}

TEST_F(TaskManagerTest, RefusedTasksWaitAndTheHostsWindowShrinksToWhatItTakes) {
  wire_.add_host("EDGE-1", devices::TaskEngineLimits{1, 2, 1'000});
  wire_.connect("EDGE-1");
  const TaskSeries series = create(overlay_payload(), cameras(1, 19, 2));
  wire_.settle();
  EXPECT_EQ(manager_.counters().refusals, 7u);  // 1 running, 2 queued, 7 refused
  EXPECT_EQ(must(manager_.series(series.id)).progress.queued, 7u);
  EXPECT_NE(task_of(series, 9).detail.find("refused by its host: task engine full"),
            std::string::npos);
  wire_.run_until(now_ + minutes(2));
  EXPECT_EQ(must(manager_.series(series.id)).progress.succeeded, 10u);
  for (const auto& [task, runs] : wire_.executions.runs) EXPECT_EQ(runs, 1) << task;
  EXPECT_EQ(wire_.engine("EDGE-1").counters().running_peak, 1u);
}

// ---- The vocabulary ------------------------------------------------------------------------

TEST(TaskActions, EveryActionTheSchemaNamesHasOneRowInTheSchemasOrder) {
  std::vector<wire::TaskAction> rows;
  std::vector<std::string> names;
  for (const TaskActionSpec& spec : kTaskActions) {
    rows.push_back(spec.action);
    names.emplace_back(spec.name());
    EXPECT_EQ(find_task_action(spec.action), &spec);
  }
  EXPECT_EQ(rows, (std::vector<wire::TaskAction>(wire::task_actions().begin(),
                                                 wire::task_actions().end())));
  EXPECT_EQ(names, (std::vector<std::string>{"set_overlay_text", "upgrade_firmware", "reboot",
                                             "adopt_device"}));
  EXPECT_EQ(find_task_action(wire::TASK_ACTION_UNSPECIFIED), nullptr);
  EXPECT_EQ(find_task_action(static_cast<wire::TaskAction>(99)), nullptr);
}

// A host's outcome becomes the final status of the same name, so a scenario's `status: timed_out`
// means what the host's result says.
TEST_F(TaskManagerTest, EachOutcomeEndsTheTaskInTheStatusOfItsName) {
  const std::pair<wire::TaskOutcome, TaskStatus> oracle[] = {
      {wire::TASK_OUTCOME_SUCCEEDED, TaskStatus::kSucceeded},
      {wire::TASK_OUTCOME_FAILED, TaskStatus::kFailed},
      {wire::TASK_OUTCOME_CANCELLED, TaskStatus::kCancelled},
      {wire::TASK_OUTCOME_TIMED_OUT, TaskStatus::kTimedOut},
  };
  ASSERT_EQ(std::size(oracle), wire::task_outcomes().size());
  const TaskSeries series = create(overlay_payload(), cameras(1, 7, 2));
  ASSERT_EQ(manager_.host_connected(now_, "EDGE-1").dispatches.size(), 4u);
  for (std::size_t i = 0; i < std::size(oracle); ++i) {
    const auto [outcome, status] = oracle[i];
    const TaskId id = task_of(series, i).id;
    EXPECT_EQ(manager_.on_result(now_, "EDGE-1", {id, outcome, "by the host"}),
              ReportDisposition::kRecorded);
    EXPECT_EQ(task_of(series, i).status, status);
    EXPECT_EQ(task_status_name(status), wire::task_outcome_name(outcome));
  }
}

// ---- Results and acknowledgements ----------------------------------------------------------

TEST_F(TaskManagerTest, ResultsForUnknownTasksOrFromAnotherHostOrTwiceAreIgnoredAndCounted) {
  const TaskSeries series = create(overlay_payload(), {camera(1)});
  EXPECT_TRUE(manager_.host_connected(now_, "EDGE-1").dispatches.size() == 1);
  const TaskId id = task_of(series, 0).id;
  const TaskResultReport ok{id, wire::TASK_OUTCOME_SUCCEEDED, "applied"};

  EXPECT_EQ(manager_.on_result(now_, "EDGE-1", {"task-99999999", wire::TASK_OUTCOME_SUCCEEDED, ""}),
            ReportDisposition::kUnknownTask);
  EXPECT_EQ(manager_.on_result(now_, "EDGE-2", ok), ReportDisposition::kWrongHost);
  EXPECT_EQ(task_of(series, 0).status, TaskStatus::kDispatched);
  EXPECT_EQ(manager_.on_result(now_, "EDGE-1", ok), ReportDisposition::kRecorded);
  EXPECT_EQ(manager_.on_result(now_, "EDGE-1", {id, wire::TASK_OUTCOME_FAILED, "other"}),
            ReportDisposition::kDuplicate);
  const Task task = task_of(series, 0);
  EXPECT_EQ(task.status, TaskStatus::kSucceeded);
  EXPECT_EQ(task.detail, "applied");
  EXPECT_TRUE(task.finished_by_host);
  EXPECT_EQ(manager_.counters().unknown_task_reports, 1u);
  EXPECT_EQ(manager_.counters().wrong_host_reports, 1u);
  EXPECT_EQ(manager_.counters().duplicate_reports, 1u);
  EXPECT_EQ(manager_.on_acknowledged(now_, "EDGE-1", "task-99999999"),
            ReportDisposition::kUnknownTask);
  // Every result is acknowledged, so the host stops re-sending even those it had wrong.
  const TaskManagerOutbox out = manager_.take_outbox(now_);
  ASSERT_EQ(out.hosts.size(), 1u);
  EXPECT_EQ(out.hosts[0].result_acknowledgements, (std::vector<TaskId>{"task-99999999", id, id}));
}

// ---- Cancelling ----------------------------------------------------------------------------

TEST_F(TaskManagerTest, CancelBeforeDispatchNeverReachesTheHost) {
  wire_.add_host("EDGE-1");
  const TaskSeries series = create(overlay_payload(), cameras(1, 5, 2));  // 3, on EDGE-1
  const Task cancelled = must(manager_.cancel_task(now_, oscar_, acme_, task_of(series, 0).id));
  EXPECT_EQ(cancelled.status, TaskStatus::kCancelled);
  EXPECT_EQ(cancelled.detail, "cancelled before dispatch");
  EXPECT_FALSE(cancelled.finished_by_host);
  const TaskSeries after = must(manager_.cancel_series(now_, alice_, acme_, series.id));
  EXPECT_EQ(after.progress.cancelled, 3u);
  ASSERT_TRUE(after.completed_at);
  expect_error(manager_.cancel_series(now_, alice_, acme_, series.id),
               ErrorCode::kFailedPrecondition, "no task left");
  expect_error(manager_.cancel_task(now_, alice_, acme_, task_of(series, 0).id),
               ErrorCode::kFailedPrecondition, "already cancelled");

  wire_.connect("EDGE-1");
  wire_.run_until(now_ + minutes(1));
  EXPECT_TRUE(wire_.executions.runs.empty());
  EXPECT_EQ(wire_.engine("EDGE-1").remembered_count(), 0u);
  ASSERT_EQ(wire_.notifications.size(), 1u);
  EXPECT_EQ(wire_.notifications[0].progress.cancelled, 3u);
  ASSERT_EQ(audit(kTopicTaskCancelled).size(), 1u);
  EXPECT_EQ(audit(kTopicTaskCancelled)[0].actor, oscar_);
  ASSERT_EQ(audit(kTopicTaskSeriesCancelled).size(), 1u);
  EXPECT_NE(audit(kTopicTaskSeriesCancelled)[0].detail.find("tasks=2"), std::string::npos);
}

TEST_F(TaskManagerTest, CancelWhileRunningStopsTheTaskOnItsHost) {
  wire_.add_host("EDGE-1");
  wire_.connect("EDGE-1");
  const TaskSeries series = create(firmware_payload(), {camera(1)});
  wire_.run_until(now_ + minutes(1));
  const TaskId id = task_of(series, 0).id;
  ASSERT_EQ(task_of(series, 0).status, TaskStatus::kRunning);

  const Task requested = must(manager_.cancel_task(now_, alice_, acme_, id));
  EXPECT_EQ(requested.status, TaskStatus::kRunning);  // until the host answers
  EXPECT_TRUE(requested.cancel_requested);
  wire_.settle();
  const Task task = task_of(series, 0);
  EXPECT_EQ(task.status, TaskStatus::kCancelled);
  EXPECT_EQ(task.detail, "cancelled while running");
  EXPECT_TRUE(task.finished_by_host);
  EXPECT_EQ(wire_.executions.runs[id], 1);
  EXPECT_EQ(wire_.engine("EDGE-1").running_count(), 0u);
}

TEST_F(TaskManagerTest, ACancelThatLosesTheRaceLeavesTheOutcomeTheHostReports) {
  const TaskSeries series = create(overlay_payload(), {camera(1)});
  manager_.host_connected(now_, "EDGE-1");
  const TaskId id = task_of(series, 0).id;
  EXPECT_EQ(manager_.on_started(now_, "EDGE-1", id), ReportDisposition::kRecorded);
  must(manager_.cancel_task(now_, alice_, acme_, id));
  EXPECT_EQ(manager_.take_outbox(now_).hosts.at(0).cancels, std::vector<TaskId>{id});
  // The host had finished before the cancel reached it.
  EXPECT_EQ(manager_.on_result(now_, "EDGE-1", {id, wire::TASK_OUTCOME_SUCCEEDED, "applied"}),
            ReportDisposition::kRecorded);
  EXPECT_EQ(task_of(series, 0).status, TaskStatus::kSucceeded);
  EXPECT_EQ(manager_.on_result(now_, "EDGE-1", {id, wire::TASK_OUTCOME_CANCELLED, ""}),
            ReportDisposition::kDuplicate);
  EXPECT_EQ(task_of(series, 0).status, TaskStatus::kSucceeded);
}

TEST_F(TaskManagerTest, ACancelForADisconnectedHostIsSentAloneWhenItReconnects) {
  wire_.add_host("EDGE-1", devices::TaskEngineLimits{1, 8, 100});
  wire_.connect("EDGE-1");
  const TaskSeries series = create(firmware_payload(), {camera(1), camera(3)});
  wire_.run_until(now_ + minutes(1));
  wire_.disconnect("EDGE-1");
  must(manager_.cancel_series(now_, alice_, acme_, series.id));
  now_ += minutes(1);
  const HostMessages resend = manager_.host_connected(now_, "EDGE-1");
  EXPECT_EQ(resend.cancels.size(), 2u);
  EXPECT_TRUE(resend.dispatches.empty());
  manager_.host_disconnected(now_, "EDGE-1");
  wire_.connect("EDGE-1");
  wire_.run_until(now_ + minutes(1));
  const TaskSeries done = must(manager_.series(series.id));
  EXPECT_EQ(done.progress.cancelled, 2u);
  EXPECT_EQ(wire_.executions.runs.size(), 1u);  // the second never started
}

// ---- Deadlines -----------------------------------------------------------------------------

TEST_F(TaskManagerTest, ATaskWithoutAResultByItsDeadlineTimesOut) {
  const core::Time start = now_;
  const TaskSeries offline = create(overlay_payload(), {camera(1)}, minutes(1));
  EXPECT_EQ(offline.deadline, start + minutes(1));
  EXPECT_EQ(manager_.next_wakeup(), start + minutes(1));
  manager_.on_wakeup(start + seconds(59));
  EXPECT_EQ(task_of(offline, 0).status, TaskStatus::kQueued);
  const TaskManagerOutbox out = manager_.take_outbox(start + minutes(1));
  const Task task = task_of(offline, 0);
  EXPECT_EQ(task.status, TaskStatus::kTimedOut);
  EXPECT_EQ(task.detail, "not dispatched by its deadline: host offline or busy");
  ASSERT_EQ(out.notifications.size(), 1u);
  EXPECT_EQ(out.notifications[0].progress.timed_out, 1u);
}

TEST_F(TaskManagerTest, AHostRunningPastTheDeadlineStopsAndALateResultChangesNothing) {
  wire_.add_host("EDGE-1");
  wire_.connect("EDGE-1");
  const core::Time start = now_;
  const TaskSeries series = create(firmware_payload(), {camera(1)}, minutes(2));  // needs 6
  wire_.run_until(start + minutes(10));
  const Task task = task_of(series, 0);
  EXPECT_EQ(task.status, TaskStatus::kTimedOut);
  EXPECT_EQ(*task.finished_at, start + minutes(2));
  EXPECT_EQ(wire_.engine("EDGE-1").running_count(), 0u);  // the engine gave up too

  const TaskSeries other = create(overlay_payload(), {camera(2)}, minutes(1));
  manager_.host_connected(now_, "EDGE-2");
  manager_.on_wakeup(now_ + minutes(1));
  EXPECT_EQ(manager_.on_result(now_ + minutes(1), "EDGE-2",
                               {task_of(other, 0).id, wire::TASK_OUTCOME_SUCCEEDED, "done"}),
            ReportDisposition::kLate);
  EXPECT_EQ(task_of(other, 0).status, TaskStatus::kTimedOut);
  EXPECT_EQ(manager_.counters().late_results, 1u);
}

// ---- Rights and input ----------------------------------------------------------------------

TEST_F(TaskManagerTest, RightsFollowTheActionAndTheDevicesResourceGroup) {
  const auto by = [&](const UserId& user, TaskPayload payload, std::vector<std::string> devices) {
    return manager_.create_series(now_, user, acme_, request(std::move(payload), devices));
  };
  expect_error(by(vera_, overlay_payload(), {camera(1)}), ErrorCode::kPermissionDenied,
               "may not operate_devices");
  EXPECT_TRUE(by(oscar_, overlay_payload(), {camera(1)}).ok());
  expect_error(by(oscar_, firmware_payload(), {camera(1)}), ErrorCode::kPermissionDenied,
               "may not update_software");
  EXPECT_TRUE(by(alice_, firmware_payload(), {camera(1)}).ok());
  // Sam operates only in "lund".
  EXPECT_TRUE(by(sam_, overlay_payload(), {"LUND-1"}).ok());
  expect_error(by(sam_, overlay_payload(), {"LUND-1", camera(1)}), ErrorCode::kPermissionDenied,
               "whole organization");
  // A stranger learns nothing of which devices exist.
  expect_error(by(bob_, overlay_payload(), {camera(1)}), ErrorCode::kPermissionDenied,
               "not a member");
  expect_error(by(bob_, overlay_payload(), {"NO-SUCH-CAM"}), ErrorCode::kPermissionDenied,
               "not a member");
  expect_error(by("user-999999", overlay_payload(), {camera(1)}), ErrorCode::kUnauthenticated, "");
  // Another organization's device is as unknown as one that does not exist.
  expect_error(by(alice_, overlay_payload(), {camera(1), "GLX-1"}), ErrorCode::kNotFound,
               "devices[1]: unknown device 'GLX-1'");
  expect_error(by(alice_, overlay_payload(), {"NO-SUCH-CAM"}), ErrorCode::kNotFound,
               "devices[0]: unknown device 'NO-SUCH-CAM'");

  const TaskSeries series = create(overlay_payload(), {camera(3)});
  expect_error(manager_.cancel_task(now_, vera_, acme_, task_of(series, 0).id),
               ErrorCode::kPermissionDenied, "operate_devices");
  expect_error(manager_.cancel_series(now_, vera_, acme_, series.id), ErrorCode::kPermissionDenied,
               "operate_devices");
  expect_error(manager_.cancel_task(now_, bob_, globex_, task_of(series, 0).id),
               ErrorCode::kNotFound, "not found in");
  // Only the accepted series were audited.
  EXPECT_EQ(audit(kTopicTaskSeriesCreated).size(), 4u);
}

struct PayloadCase {
  TaskPayload payload;
  std::string message;
};

TEST_F(TaskManagerTest, PayloadErrorsNameTheField) {
  const std::vector<PayloadCase> cases = {
      {TaskPayload{wire::TASK_ACTION_UNSPECIFIED, {}}, "payload.action: missing"},
      {TaskPayload{static_cast<wire::TaskAction>(99), {}},
       "payload.action: unknown action 99 (known: set_overlay_text, upgrade_firmware, reboot, "
       "adopt_device)"},
      {overlay_payload(std::string(kOverlayTextBytesMax + 1, 'x')),
       "payload.parameters.text: 129 bytes, at most 128"},
      {overlay_payload("two\nlines"), "payload.parameters.text: control character at byte 3"},
      {TaskPayload{wire::TASK_ACTION_SET_OVERLAY_TEXT, {}}, "payload.parameters.text: missing"},
      {TaskPayload{wire::TASK_ACTION_UPGRADE_FIRMWARE, {}},
       "payload.parameters.version: missing: upgrade_firmware needs a version"},
      {firmware_payload(""), "payload.parameters.version: '' is not a version"},
      {firmware_payload("11.11 beta"), "payload.parameters.version: '11.11 beta' is not"},
      {TaskPayload{wire::TASK_ACTION_REBOOT, {{"colour", "red"}}},
       "payload.parameters.colour: not a parameter of reboot"},
  };
  for (const PayloadCase& c : cases) {
    SCOPED_TRACE(c.message);
    expect_error(manager_.create_series(now_, alice_, acme_, request(c.payload, {camera(1)})),
                 ErrorCode::kInvalidArgument, c.message);
  }
  EXPECT_TRUE(audit(kTopicTaskSeriesCreated).empty());
  EXPECT_EQ(manager_.task_count(), 0u);
}

TEST_F(TaskManagerTest, RequestErrorsNameTheFieldAndLimitsAreNamed) {
  const auto series = [&](std::vector<std::string> devices,
                          std::optional<core::Duration> timeout = std::nullopt) {
    return manager_.create_series(now_, alice_, acme_,
                                  request(overlay_payload(), std::move(devices), timeout));
  };
  expect_error(series({}), ErrorCode::kInvalidArgument, "devices: empty");
  expect_error(series({camera(1), camera(2), camera(1)}), ErrorCode::kInvalidArgument,
               "devices[2]: 'CAM-0001' repeated");
  expect_error(series({"bad serial"}), ErrorCode::kInvalidArgument,
               "devices[0]: 'bad serial' is not a serial");
  expect_error(series({camera(1)}, core::Duration::zero()), ErrorCode::kInvalidArgument,
               "timeout: 0 us");
  expect_error(series({camera(1)}, kTaskTimeoutMax + seconds(1)), ErrorCode::kInvalidArgument,
               "timeout:");
  TaskSeriesRequest named = request(overlay_payload(), {camera(1)});
  named.name = std::string(kTaskSeriesNameBytesMax + 1, 'n');
  expect_error(manager_.create_series(now_, alice_, acme_, named), ErrorCode::kInvalidArgument,
               "name: 65 bytes, at most 64");

  TaskManagerLimits limits;
  limits.series_devices_max = 3;
  limits.tasks_max = 5;
  TaskManager small(audit_log_, tenancy_, manager_router(), limits);
  expect_error(small.create_series(now_, alice_, acme_, request(overlay_payload(), cameras(1, 4))),
               ErrorCode::kResourceExhausted, "devices: 4 devices, at most 3 per series");
  EXPECT_TRUE(
      small.create_series(now_, alice_, acme_, request(overlay_payload(), cameras(1, 3))).ok());
  expect_error(small.create_series(now_, alice_, acme_, request(overlay_payload(), cameras(4, 6))),
               ErrorCode::kResourceExhausted, "the service may hold");
}

// ---- Host-created tasks --------------------------------------------------------------------

TEST_F(TaskManagerTest, ATaskAHostCreatesIsVisibleLikeAnyOther) {
  devices::TaskEngine& engine = wire_.add_host("EDGE-1");
  wire_.connect("EDGE-1");
  devices::TaskEngineOutbox out;
  const std::optional<TaskId> id = engine.create_task(
      now_, camera(1), wire::TASK_ACTION_ADOPT_DEVICE, {}, minutes(30), true, out);
  ASSERT_TRUE(id);
  wire_.to_manager("EDGE-1", out);
  ASSERT_EQ(wire_.host_task_results.size(), 1u);
  ASSERT_TRUE(wire_.host_task_results[0].ok());
  Task task = must(manager_.task(*id));
  EXPECT_EQ(task.origin, TaskOrigin::kHost);
  EXPECT_EQ(task.created_by, "EDGE-1");
  EXPECT_EQ(task.organization, acme_);
  EXPECT_EQ(task.series, "");
  EXPECT_EQ(task.status, TaskStatus::kRunning);

  wire_.run_until(now_ + minutes(1));
  task = must(manager_.task(*id));
  EXPECT_EQ(task.status, TaskStatus::kSucceeded);
  const std::vector<Task> listed = manager_.tasks_of(acme_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, *id);
  ASSERT_EQ(audit(kTopicTaskHostCreated).size(), 1u);
  EXPECT_EQ(audit(kTopicTaskHostCreated)[0].actor, "EDGE-1");
  // Both reports were acknowledged: nothing left to re-send.
  devices::TaskEngineOutbox resend;
  engine.on_connected(now_, resend);
  EXPECT_TRUE(resend.created.empty());
  EXPECT_TRUE(resend.results.empty());
  // A copy of the report is answered with the task as it stands.
  const HostTaskReport copy{*id, camera(1), TaskPayload{wire::TASK_ACTION_ADOPT_DEVICE, {}},
                            minutes(30), false};
  EXPECT_EQ(must(manager_.on_host_task(now_, "EDGE-1", copy)).status, TaskStatus::kSucceeded);
}

TEST_F(TaskManagerTest, AHostMayReportTasksOnlyForDevicesItManages) {
  manager_.host_connected(now_, "EDGE-1");
  const auto report = [&](std::string task, std::string device, TaskPayload payload) {
    return manager_.on_host_task(
        now_, "EDGE-1",
        HostTaskReport{std::move(task), std::move(device), std::move(payload), minutes(5), false});
  };
  expect_error(report("EDGE-1:local-1", camera(2), overlay_payload()),
               ErrorCode::kFailedPrecondition, "CAM-0002 is not managed by EDGE-1");
  expect_error(report("EDGE-2:local-1", camera(1), overlay_payload()), ErrorCode::kInvalidArgument,
               "task: 'EDGE-2:local-1' is not EDGE-1:");
  expect_error(report("EDGE-1:local-1", camera(1), TaskPayload{}), ErrorCode::kInvalidArgument,
               "payload.action: missing");
  expect_error(report("EDGE-1:local-1", "NO-SUCH-CAM", overlay_payload()), ErrorCode::kNotFound,
               "device: unknown device");
  EXPECT_EQ(manager_.task_count(), 0u);
  // Refused or not, each report is acknowledged, so the host does not send it forever.
  EXPECT_EQ(manager_.take_outbox(now_).hosts.at(0).host_task_acknowledgements.size(), 4u);
}

// ---- Progress ------------------------------------------------------------------------------

TEST_F(TaskManagerTest, SeriesProgressCountsEachStatusAndNotifiesOnceOnCompletion) {
  wire_.add_host("EDGE-1");
  wire_.add_host("EDGE-2");
  const TaskSeries series = create(overlay_payload(), {camera(1), camera(2), camera(3)});
  const auto progress = [&] { return must(manager_.series(series.id)).progress; };
  EXPECT_EQ(progress(), (TaskSeriesProgress{3, 3, 0, 0, 0, 0, 0, 0}));
  ASSERT_EQ(audit(kTopicTaskSeriesCreated).size(), 1u);
  EXPECT_EQ(audit(kTopicTaskSeriesCreated)[0].actor, alice_);
  EXPECT_NE(audit(kTopicTaskSeriesCreated)[0].detail.find("action=set_overlay_text devices=3"),
            std::string::npos);

  // Dispatched but not yet delivered.
  const HostMessages first = manager_.host_connected(now_, "EDGE-1");
  EXPECT_EQ(first.dispatches.size(), 2u);
  EXPECT_EQ(progress(), (TaskSeriesProgress{3, 1, 2, 0, 0, 0, 0, 0}));
  manager_.host_disconnected(now_, "EDGE-1");

  wire_.connect("EDGE-1");
  EXPECT_EQ(progress(), (TaskSeriesProgress{3, 1, 0, 2, 0, 0, 0, 0}));
  wire_.run_until(now_ + seconds(10));
  EXPECT_EQ(progress(), (TaskSeriesProgress{3, 1, 0, 0, 2, 0, 0, 0}));
  EXPECT_FALSE(must(manager_.series(series.id)).completed_at);
  EXPECT_TRUE(wire_.notifications.empty());

  wire_.connect("EDGE-2");
  wire_.run_until(now_ + seconds(10));
  EXPECT_EQ(progress(), (TaskSeriesProgress{3, 0, 0, 0, 3, 0, 0, 0}));
  ASSERT_EQ(wire_.notifications.size(), 1u);
  EXPECT_EQ(wire_.notifications[0].organization, acme_);
  EXPECT_EQ(wire_.notifications[0].progress.succeeded, 3u);
  EXPECT_EQ(must(manager_.series(series.id)).completed_at, wire_.notifications[0].at);
  wire_.run_until(now_ + minutes(10));
  EXPECT_EQ(wire_.notifications.size(), 1u);
}

// ---- Routing through the device registry ---------------------------------------------------

TEST_F(TaskManagerTest, RegistryRouterRoutesOnboardedDevicesToTheHostThatManagesThem) {
  core::RandomStream random(7, core::kDeviceRegistryStream);
  core::RandomStream keys(7, core::kFactoryStream);
  DeviceRegistry registry(audit_log_, tenancy_, random);
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme_, "device-management", 10).ok());
  ASSERT_TRUE(registry
                  .define_profile(tick(), alice_, acme_,
                                  DeviceProfile{"lts", DeviceMode::kConnected, "lts-2024", {}, {}})
                  .ok());
  ASSERT_TRUE(registry.set_default_profile(tick(), alice_, acme_, "lts").ok());
  std::map<std::string, std::string> oaks;
  std::vector<FactoryRecord> records;
  for (const auto& [serial, kind, tier] :
       {std::tuple{"CAM-T1", DeviceKind::kCamera, DeviceTier::kTier1},
        std::tuple{"CAM-T2", DeviceKind::kCamera, DeviceTier::kTier2},
        std::tuple{"REC-1", DeviceKind::kRecorder, DeviceTier::kTier1},
        std::tuple{"CAM-IDLE", DeviceKind::kCamera, DeviceTier::kTier1}}) {
    oaks[serial] = generate_owner_key(keys);
    records.push_back(
        FactoryRecord{serial, "model", kind, tier, oaks[serial], hours(1), hours(2), "11.11.0"});
  }
  ASSERT_TRUE(registry.register_devices(tick(), records).ok());
  for (const char* serial : {"CAM-T1", "REC-1"}) {
    ASSERT_TRUE(registry.claim(tick(), alice_, acme_, serial, oaks[serial]).ok());
    ASSERT_TRUE(registry.complete_onboarding(tick(), serial, "11.11.0", "lts-2024").ok());
  }
  ASSERT_TRUE(registry.place_on_lan(tick(), "REC-1", "lan").ok());
  ASSERT_TRUE(registry.place_on_lan(tick(), "CAM-T2", "lan").ok());
  ASSERT_TRUE(
      registry.claim_via_host(tick(), alice_, acme_, "REC-1", "CAM-T2", oaks["CAM-T2"]).ok());
  ASSERT_TRUE(registry.complete_onboarding(tick(), "CAM-T2", "11.11.0", "lts-2024").ok());

  const DeviceRouter router = registry_router(registry);
  ASSERT_TRUE(router("CAM-T1"));
  EXPECT_EQ(router("CAM-T1")->host, "CAM-T1");  // a Tier-1 camera is its own device host
  EXPECT_EQ(router("CAM-T1")->organization, acme_);
  ASSERT_TRUE(router("CAM-T2"));
  EXPECT_EQ(router("CAM-T2")->host, "REC-1");
  EXPECT_FALSE(router("CAM-IDLE"));  // registered, not onboarded
  EXPECT_FALSE(router("NO-SUCH-CAM"));
}

}  // namespace
}  // namespace ccsim::platform

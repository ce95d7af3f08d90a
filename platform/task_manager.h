// The Task Manager Service: every task of every organization. A task is a small packet, an
// action or a setting (TaskPayload) for one device; users create them as a task series (one
// action on many devices: "set the overlay text on these 500 cameras"), one task per device, and
// each task goes to the host that manages its device (the device itself for a Tier-1 camera, its
// recorder or edge host for a Tier-2 one), whose task engine (devices/task_engine.h) runs it and
// reports the result. Hosts also create tasks themselves (an edge host adopting a device added on
// its LAN) and report them here, where they are visible like any other.
//
// A sans-IO service. User commands (create a series, cancel) take the time and the actor,
// authorize, validate, write one audit entry, then change state; they return Result values.
// Hosts' messages come in through on_*() calls; what to send to hosts comes out of
// host_connected() and take_outbox(), which also hands over the series-completion
// notifications and the next wake-up. Nothing here knows the transport. Queries take no actor,
// as in the platform's other services.
//
// Delivery: no task lost, none run twice. The task id is the idempotency key on both sides.
//  - A task waits in its host's queue (queued) until the host is connected and has room in its
//    window (tasks sent and not finished, at most TaskManagerLimits::host_window); take_outbox()
//    then hands out a TaskDispatch and marks it dispatched.
//  - The host acknowledges each dispatch; one not acknowledged within ack_timeout is sent again
//    while the host stays connected. On reconnection, host_connected() returns every task sent
//    and not finished (acknowledged or not) again, and cancels for those being cancelled; the
//    engine runs a task id once, re-acknowledges a copy, and answers a copy of a finished one
//    with its result again.
//  - A host that cannot take a task (queue full) refuses it: it is queued again, ahead of the
//    tasks never sent; the host's window shrinks to what it holds, then grows back by one per
//    result, and nothing new goes to it until its next result or until ack_timeout has passed.
//  - Results are idempotent: the first result of a task finishes it; later ones (a copy, or one
//    arriving after the manager gave up on the task) change nothing and are counted. Every
//    result and every host-task report is acknowledged, so the engine stops re-sending it and
//    may forget the task.
//  - Each task has a deadline (created_at + timeout). A task not finished by then is timed out
//    here, whatever comes later; the dispatch carries the time left so the engine gives up too.
//  - A restart (restart()) loses what the service keeps in memory (host queues, windows, timers,
//    what waits to be sent) and keeps what is in the global store: every task and series with its
//    status, and the audit trail. It rebuilds the rest from the tasks: queued ones wait in their
//    host's queue again, in creation order; every task sent and not finished goes again to its
//    host, connected or when it connects (the engine dedups by id and answers a finished copy
//    with its result, so a result the service missed while down comes back).
//  - Cancelling a task still queued here cancels it at once. A task already sent gets a cancel
//    request: the host answers with a result (cancelled, or what it finished with first). Only
//    the cancel is (re-)sent for such a task, never its dispatch again, and an engine that never
//    got the dispatch remembers the cancel, so the task cannot start afterwards.
//
// Rights. A task's action decides the permission it needs (kTaskActions): setting an overlay or
// rebooting is operating the device (kOperateDevices), deploying a firmware version is managing
// its software (kUpdateSoftware), adopting a device is onboarding (kOnboardDevices). The actor
// needs it in each target device's resource group (tenancy.h: an organization-wide grant, or one
// scoped to that group). Cancelling needs the same as creating. Devices of other organizations
// are reported unknown, as devices that do not exist.
#pragma once

#include <array>
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
#include "platform/audit_log.h"
#include "platform/audit_topics.h"
#include "platform/permissions.h"
#include "platform/service_result.h"
#include "platform/tenancy.h"
#include "proto/task_vocabulary.h"

namespace ccsim::platform {

class DeviceRegistry;

// "task-00000001" for a task a user created; "<host serial>:<host's own id>" for one a host
// created (e.g. "EDGE-1:local-000001"), so host-made ids never collide with each other or ours.
using TaskId = std::string;
using TaskSeriesId = std::string;  // "series-000001"

inline constexpr std::string_view kTaskIdPrefix = "task";
inline constexpr std::string_view kTaskSeriesIdPrefix = "series";

// The actions' parameters. The actions themselves, and the outcomes a host reports, are the wire's
// (proto/task_vocabulary.h), which the hosts' task engines share.
inline constexpr std::string_view kParameterText = "text";
inline constexpr std::string_view kParameterVersion = "version";

// Limits.
inline constexpr std::size_t kOverlayTextBytesMax = 128;
inline constexpr std::size_t kFirmwareVersionBytesMax = 32;
inline constexpr std::size_t kTaskParametersMax = 8;
inline constexpr std::size_t kTaskSeriesNameBytesMax = 64;
inline constexpr std::size_t kTaskDetailBytesMax = 256;  // a result's detail is cut to this
inline constexpr std::size_t kHostTaskIdBytesMax = 32;   // the host's own part of its task ids
inline constexpr std::size_t kTaskSeriesDevicesMax = 10'000;
inline constexpr std::size_t kTasksMax = 1'000'000;  // held by the service, finished included
inline constexpr std::size_t kTaskSeriesMax = 100'000;
inline constexpr std::size_t kTaskNotificationsPendingMax = 10'000;  // then the oldest is dropped
inline constexpr std::size_t kHostWindowDefault = 64;
inline constexpr std::size_t kHostWindowMax = 1'024;
inline constexpr core::Duration kTaskAckTimeoutDefault = std::chrono::seconds(30);
inline constexpr core::Duration kTaskTimeoutMax = std::chrono::hours(24 * 7);

// What a task does: an action and its parameters.
struct TaskPayload {
  wire::TaskAction action = wire::TASK_ACTION_UNSPECIFIED;  // unspecified: refused
  std::map<std::string, std::string, std::less<>> parameters;
  bool operator==(const TaskPayload&) const = default;
};

enum class TaskParameterKind : std::uint8_t {
  kText,     // any bytes but control characters (an overlay may be emptied with "")
  kVersion,  // 1.. bytes of [A-Za-z0-9._-]
};

struct TaskParameterSpec {
  std::string_view name;
  TaskParameterKind kind = TaskParameterKind::kText;
  std::size_t bytes_max = 0;
  bool required = true;
};

// One row per action. `rerun_after_restart` is the action's idempotency, which the engine
// applies to a task it was running when its host restarted: an idempotent action (setting the
// same overlay, adopting the same device) runs again and gives the same end state; any other
// (a reboot, a firmware upgrade whose half-written image the device rolls back) is reported
// failed "host restarted", and the user decides whether to create it again.
struct TaskActionSpec {
  wire::TaskAction action;
  Permission permission;
  std::optional<TaskParameterSpec> parameter;  // the only one it takes, if any
  core::Duration timeout_default;
  bool rerun_after_restart;
  // As users, commands and scenario files write it: "set_overlay_text".
  std::string_view name() const { return wire::task_action_name(action); }
};

// Every action the schema names, in its order (a test holds the two in step).
inline constexpr std::array<TaskActionSpec, 4> kTaskActions = {{
    {wire::TASK_ACTION_SET_OVERLAY_TEXT, Permission::kOperateDevices,
     TaskParameterSpec{kParameterText, TaskParameterKind::kText, kOverlayTextBytesMax, true},
     std::chrono::minutes(5), true},
    {wire::TASK_ACTION_UPGRADE_FIRMWARE, Permission::kUpdateSoftware,
     TaskParameterSpec{kParameterVersion, TaskParameterKind::kVersion, kFirmwareVersionBytesMax,
                       true},
     std::chrono::hours(2), false},
    {wire::TASK_ACTION_REBOOT, Permission::kOperateDevices, std::nullopt, std::chrono::minutes(10),
     false},
    {wire::TASK_ACTION_ADOPT_DEVICE, Permission::kOnboardDevices, std::nullopt,
     std::chrono::minutes(30), true},
}};

// The row of `action`, or nullptr (the unspecified zero, a number the schema does not name).
const TaskActionSpec* find_task_action(wire::TaskAction action);

// Checks a payload against kTaskActions: kInvalidArgument naming the field ("payload.action"
// when it is unspecified, "payload.parameters.text", ...) and what is wrong with it.
Result<Done> validate_task_payload(const TaskPayload& payload);

enum class TaskStatus : std::uint8_t {
  kQueued,      // waiting here for its host (a host-created task: waiting at its host)
  kDispatched,  // sent to its host (acknowledged_at says whether it arrived)
  kRunning,     // its host started it
  kSucceeded,
  kFailed,
  kCancelled,
  kTimedOut,  // no result by its deadline
};
inline constexpr std::size_t kTaskStatusCount = 7;
std::string_view task_status_name(TaskStatus status);
bool is_final(TaskStatus status);

enum class TaskOrigin : std::uint8_t { kUser, kHost };

struct Task {
  TaskId id;
  TaskSeriesId series;  // empty for a host-created task
  OrganizationId organization;
  std::string device;
  std::string host;            // the host that manages the device and runs the task
  std::string resource_group;  // the device's, when the task was created; empty: none
  TaskPayload payload;
  TaskOrigin origin = TaskOrigin::kUser;
  std::string created_by;  // a user id, or the host's serial
  TaskStatus status = TaskStatus::kQueued;
  core::Time created_at{};
  core::Time deadline{};
  std::optional<core::Time> dispatched_at;  // first dispatch
  std::optional<core::Time> acknowledged_at;
  std::optional<core::Time> started_at;
  std::optional<core::Time> finished_at;
  std::uint32_t deliveries = 0;  // dispatches sent, first one included
  bool cancel_requested = false;
  // The final status came from the host's result, not from the manager (a timeout, a cancel
  // before dispatch).
  bool finished_by_host = false;
  std::string detail;  // the result, or why the task failed, was cancelled or timed out
};

struct TaskSeriesProgress {
  std::size_t total = 0;
  std::size_t queued = 0;
  std::size_t dispatched = 0;
  std::size_t running = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t cancelled = 0;
  std::size_t timed_out = 0;
  std::size_t finished() const { return succeeded + failed + cancelled + timed_out; }
  bool operator==(const TaskSeriesProgress&) const = default;
};

struct TaskSeries {
  TaskSeriesId id;
  OrganizationId organization;
  std::string name;
  UserId created_by;  // who is notified on completion
  TaskPayload payload;
  core::Time created_at{};
  core::Time deadline{};
  TaskSeriesProgress progress;
  std::optional<core::Time> completed_at;  // when its last task finished
};

struct TaskSeriesRequest {
  std::string name;  // for people; may be empty
  TaskPayload payload;
  std::vector<std::string> devices;       // serials, 1..series_devices_max, no repeats
  std::optional<core::Duration> timeout;  // 1 us..kTaskTimeoutMax; default: the action's
};

// Every task of a series has finished; for the user who created it.
struct TaskNotification {
  OrganizationId organization;
  TaskSeriesId series;
  UserId user;
  TaskSeriesProgress progress;
  core::Time at{};
};

// Where a device's tasks go. The caller supplies the lookup (registry_router() reads the device
// registry); nullopt: no such device.
struct DeviceRoute {
  std::string organization;    // the owner; a device of no organization has no route
  std::string host;            // serial of the device host or edge host that manages it
  std::string resource_group;  // empty: none
};
using DeviceRouter = std::function<std::optional<DeviceRoute>(std::string_view device)>;

// Routes onboarding or onboarded devices of the registry: to the recorder or edge host they were
// claimed through, else to the device itself (a Tier-1 device is its own host).
DeviceRouter registry_router(const DeviceRegistry& registry);

// Cloud -> host.
struct TaskDispatch {
  TaskId task;
  std::string device;
  TaskPayload payload;
  core::Duration time_left{};  // until the deadline, as of this dispatch
  bool rerun_after_restart = false;
  std::uint32_t delivery = 1;  // 1 for the first dispatch of the task, then 2, 3...
};

// Everything for one host at one time, to send in this order.
struct HostMessages {
  std::string host;
  std::vector<TaskId> cancels;
  std::vector<TaskDispatch> dispatches;
  // Host-task reports and results received: stop re-sending them.
  std::vector<TaskId> host_task_acknowledgements;
  std::vector<TaskId> result_acknowledgements;
  bool empty() const {
    return cancels.empty() && dispatches.empty() && host_task_acknowledgements.empty() &&
           result_acknowledgements.empty();
  }
};

struct TaskManagerOutbox {
  std::vector<HostMessages> hosts;  // connected hosts only, by serial
  std::vector<TaskNotification> notifications;
  std::vector<TaskId> finished;      // tasks that reached a final status since the last call
  std::optional<core::Time> wakeup;  // call on_wakeup() then, or earlier
};

// Host -> cloud.
struct TaskResultReport {
  TaskId task;
  wire::TaskOutcome outcome = wire::TASK_OUTCOME_SUCCEEDED;  // one the schema names
  std::string detail;
};

// A task a host created itself; its progress and result follow as for any other.
struct HostTaskReport {
  TaskId task;  // "<host serial>:<host's id>"
  std::string device;
  TaskPayload payload;
  core::Duration timeout{};  // from now; 1 us..kTaskTimeoutMax
  bool started = false;      // the host already runs it
};

// What became of one host message.
enum class ReportDisposition : std::uint8_t {
  kRecorded,     // changed the task
  kDuplicate,    // the task already had this (a copy of an acknowledgement, start or result)
  kLate,         // the task had finished here already (timed out, cancelled before dispatch)
  kUnknownTask,  // no such task
  kWrongHost,    // the task belongs to another host
};
std::string_view report_disposition_name(ReportDisposition disposition);

struct TaskManagerCounters {
  std::uint64_t dispatches = 0;  // first dispatches
  std::uint64_t redeliveries = 0;
  std::uint64_t refusals = 0;
  std::uint64_t duplicate_reports = 0;
  std::uint64_t late_results = 0;
  std::uint64_t unknown_task_reports = 0;
  std::uint64_t wrong_host_reports = 0;
  std::uint64_t notifications_dropped = 0;
  std::uint64_t restarts = 0;
};

// The service's limits; tests shrink them, the platform keeps the defaults.
struct TaskManagerLimits {
  std::size_t tasks_max = kTasksMax;
  std::size_t series_max = kTaskSeriesMax;
  std::size_t series_devices_max = kTaskSeriesDevicesMax;
  std::size_t notifications_max = kTaskNotificationsPendingMax;
  std::size_t host_window = kHostWindowDefault;         // 1..kHostWindowMax
  core::Duration ack_timeout = kTaskAckTimeoutDefault;  // > 0
};

class TaskManager {
 public:
  // `audit_log` and `tenancy` must outlive the service.
  TaskManager(AuditLog& audit_log, const Tenancy& tenancy, DeviceRouter router,
              TaskManagerLimits limits = {});

  // One task per device, all or nothing, each queued for its device's host. kInvalidArgument
  // for a bad payload, name, timeout or device list (naming the field); kNotFound for a device
  // the organization does not own (by index and serial); kPermissionDenied unless the actor has
  // the action's permission for every device; kResourceExhausted past a limit.
  Result<TaskSeries> create_series(core::Time now, std::string_view actor,
                                   std::string_view organization, const TaskSeriesRequest& request);

  // Cancels a task as the header comment says; returns it. kFailedPrecondition once finished.
  Result<Task> cancel_task(core::Time now, std::string_view actor, std::string_view organization,
                           std::string_view task);
  // Cancels every unfinished task of the series; kFailedPrecondition when none is left.
  Result<TaskSeries> cancel_series(core::Time now, std::string_view actor,
                                   std::string_view organization, std::string_view series);

  // The host's connection is up: what to send it now (see Delivery above).
  HostMessages host_connected(core::Time now, std::string_view host);
  // Nothing more goes to the host until it connects again.
  void host_disconnected(core::Time now, std::string_view host);

  // The host holds the task (acknowledged), could not take it (refused), or started it.
  ReportDisposition on_acknowledged(core::Time now, std::string_view host, std::string_view task);
  ReportDisposition on_refused(core::Time now, std::string_view host, std::string_view task,
                               std::string_view reason);
  ReportDisposition on_started(core::Time now, std::string_view host, std::string_view task);
  // The task's result; acknowledged to the host whatever its disposition.
  ReportDisposition on_result(core::Time now, std::string_view host,
                              const TaskResultReport& report);
  // A task the host created. A copy of one already recorded returns it unchanged. Errors as for
  // create_series, and kFailedPrecondition when `host` does not manage the device. The report
  // is acknowledged to the host either way.
  Result<Task> on_host_task(core::Time now, std::string_view host, const HostTaskReport& report);

  // The service restarts (see Delivery above); `connected_hosts` are the hosts the device
  // endpoint holds connections to now. What to send goes out at the next take_outbox().
  void restart(core::Time now, const std::vector<std::string>& connected_hosts);

  // Times out tasks past their deadline and schedules redelivery of dispatches not acknowledged
  // in time. take_outbox() does it too.
  void on_wakeup(core::Time now);
  // What to send to connected hosts (dispatching queued tasks as their windows allow), the
  // notifications since the last call, and when to wake up next.
  TaskManagerOutbox take_outbox(core::Time now);
  std::optional<core::Time> next_wakeup() const;

  Result<Task> task(std::string_view task) const;
  Result<TaskSeries> series(std::string_view series) const;
  // The series' tasks, in device order of the request.
  Result<std::vector<Task>> series_tasks(std::string_view series) const;
  // Every task of the organization, by id.
  std::vector<Task> tasks_of(std::string_view organization) const;
  const TaskManagerCounters& counters() const { return counters_; }
  std::size_t task_count() const { return tasks_.size(); }

 private:
  struct SeriesState {
    TaskSeries series;
    std::vector<TaskId> tasks;
  };
  struct HostState {
    bool connected = false;
    std::deque<TaskId> queue;     // tasks waiting for dispatch; finished ones are skipped
    std::set<TaskId> refused;     // queued again after a refusal; sent before `queue`
    std::set<TaskId> in_flight;   // dispatched or running, sent from here
    std::set<TaskId> cancelling;  // cancel requested, not finished
    std::vector<TaskId> cancels_unsent;
    std::vector<TaskId> redeliveries;
    std::vector<TaskId> host_task_acknowledgements;
    std::vector<TaskId> result_acknowledgements;
    std::size_t window = 0;
    // After a refusal, nothing new is sent until then or until the host's next result.
    std::optional<core::Time> paused_until;
  };
  using TaskTimer = std::pair<core::Time, TaskId>;

  Result<Done> check_request(std::string_view actor, std::string_view organization,
                             const TaskSeriesRequest& request) const;
  Result<std::vector<DeviceRoute>> resolve_devices(std::string_view organization,
                                                   const std::vector<std::string>& devices) const;
  // Whether `actor` has `permission` in each resource group ("" for none).
  Result<Done> authorize_groups(std::string_view actor, std::string_view organization,
                                Permission permission,
                                const std::vector<std::string_view>& groups) const;
  void cancel_one(core::Time now, Task& task);
  // The task `host` reports on, or the disposition telling why there is none.
  std::pair<Task*, ReportDisposition> reported_task(std::string_view host, std::string_view task);
  // Counts and names a report about a task that has finished.
  ReportDisposition finished_disposition(const Task& task);
  // Queues an acknowledgement for `host` into `host`'s list `acknowledgements`, if connected.
  void acknowledge(std::string_view host, std::vector<TaskId> HostState::*acknowledgements,
                   std::string_view task);
  Task& add_task(Task task);
  // Moves the task to `status`, keeping its series' counts, its host's sets and the timers.
  void set_status(core::Time now, Task& task, TaskStatus status);
  void finish(core::Time now, Task& task, TaskStatus status, std::string_view detail);
  void notify(core::Time now, SeriesState& series);
  // The next task to dispatch to `host`, taken off its queues.
  std::optional<TaskId> next_queued(HostState& host);
  TaskDispatch dispatch(core::Time now, Task& task, HostState& host);
  HostMessages messages_for(core::Time now, const std::string& serial, HostState& host);
  void expire_deadlines(core::Time now);
  void expire_acknowledgements(core::Time now);
  void set_ack_timer(const TaskId& task, core::Time at);
  void clear_ack_timer(const TaskId& task);
  HostState& host_state(std::string_view host);
  Result<Done> record(core::Time now, std::string_view organization, std::string_view actor,
                      std::string_view topic, std::string_view device, std::string detail);
  TaskId next_task_id();

  AuditLog& audit_log_;
  const Tenancy& tenancy_;
  DeviceRouter router_;
  TaskManagerLimits limits_;
  std::map<TaskId, Task, std::less<>> tasks_;
  std::map<TaskSeriesId, SeriesState, std::less<>> series_;
  std::map<std::string, HostState, std::less<>> hosts_;
  std::map<OrganizationId, std::set<TaskId>, std::less<>> tasks_by_organization_;
  std::set<TaskTimer> deadlines_;  // unfinished tasks
  std::set<TaskTimer> ack_due_;    // dispatches waiting for their acknowledgement
  std::set<std::pair<core::Time, std::string>> host_resumes_;  // paused hosts
  std::map<TaskId, core::Time, std::less<>> ack_due_of_;
  std::set<std::string, std::less<>> hosts_pending_;  // hosts with something to send
  std::deque<TaskNotification> notifications_;
  std::vector<TaskId> finished_;  // since the last take_outbox()
  TaskManagerCounters counters_;
  std::uint64_t last_task_serial_ = 0;
  std::uint64_t last_series_serial_ = 0;
};

}  // namespace ccsim::platform

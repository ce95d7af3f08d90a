#include "platform/task_manager.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "platform/device_registry.h"

namespace ccsim::platform {

namespace {

// Characters quoted back in an error message before it says "...".
constexpr std::size_t kEchoBytesMax = 64;

ServiceError invalid(std::string_view field, std::string_view what) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": " + std::string(what));
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

bool is_identifier_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

bool is_identifier(std::string_view text, std::size_t bytes_max) {
  return !text.empty() && text.size() <= bytes_max &&
         std::all_of(text.begin(), text.end(), is_identifier_char);
}

// `text` as it may appear in a message: quoted, control characters as '?', cut short.
std::string echo(std::string_view text) {
  std::string shown(text.substr(0, kEchoBytesMax));
  std::replace_if(shown.begin(), shown.end(), is_control, '?');
  return "'" + shown + (text.size() > kEchoBytesMax ? "...'" : "'");
}

std::string cut(std::string_view text, std::size_t bytes_max) {
  return std::string(text.substr(0, bytes_max));
}

std::string numbered(std::string_view prefix, std::uint64_t serial, int digits) {
  char number[32];
  std::snprintf(number, sizeof number, "%0*llu", digits, static_cast<unsigned long long>(serial));
  return std::string(prefix) + "-" + number;
}

std::string known_actions() {
  std::string names;
  for (const TaskActionSpec& spec : kTaskActions) {
    if (!names.empty()) names += ", ";
    names += spec.name();
  }
  return names;
}

std::optional<ServiceError> check_parameter(const TaskParameterSpec& spec, std::string_view value) {
  const std::string field = "payload.parameters." + std::string(spec.name);
  if (value.size() > spec.bytes_max) {
    return invalid(
        field, std::to_string(value.size()) + " bytes, at most " + std::to_string(spec.bytes_max));
  }
  switch (spec.kind) {
    case TaskParameterKind::kText: {
      const auto control = std::find_if(value.begin(), value.end(), is_control);
      if (control == value.end()) return std::nullopt;
      return invalid(field, "control character at byte " +
                                std::to_string(std::distance(value.begin(), control)));
    }
    case TaskParameterKind::kVersion:
      if (is_identifier(value, spec.bytes_max) && value.find_first_of(":@") == value.npos) {
        return std::nullopt;
      }
      return invalid(field, echo(value) + " is not a version (1.." +
                                std::to_string(spec.bytes_max) + " of [A-Za-z0-9._-])");
  }
  return invalid(field, "unknown kind");
}

std::optional<ServiceError> check_timeout(std::string_view field, core::Duration timeout) {
  if (timeout > core::Duration::zero() && timeout <= kTaskTimeoutMax) return std::nullopt;
  return invalid(field, std::to_string(timeout.count()) + " us, expected 1 us.." +
                            std::to_string(kTaskTimeoutMax.count()) + " us");
}

std::size_t& count_of(TaskSeriesProgress& progress, TaskStatus status) {
  switch (status) {
    case TaskStatus::kQueued:
      return progress.queued;
    case TaskStatus::kDispatched:
      return progress.dispatched;
    case TaskStatus::kRunning:
      return progress.running;
    case TaskStatus::kSucceeded:
      return progress.succeeded;
    case TaskStatus::kFailed:
      return progress.failed;
    case TaskStatus::kCancelled:
      return progress.cancelled;
    case TaskStatus::kTimedOut:
      return progress.timed_out;
  }
  assert(false);
  return progress.queued;
}

// The final status a host's outcome gives; the status has the outcome's name (a test holds them).
TaskStatus status_of(wire::TaskOutcome outcome) {
  switch (outcome) {
    case wire::TASK_OUTCOME_SUCCEEDED:
      return TaskStatus::kSucceeded;
    case wire::TASK_OUTCOME_FAILED:
      return TaskStatus::kFailed;
    case wire::TASK_OUTCOME_CANCELLED:
      return TaskStatus::kCancelled;
    case wire::TASK_OUTCOME_TIMED_OUT:
      return TaskStatus::kTimedOut;
    default:
      break;
  }
  assert(false && "a host's result names its outcome; the platform node refuses any other");
  return TaskStatus::kFailed;
}

std::optional<std::string_view> group_of(const Task& task) {
  if (task.resource_group.empty()) return std::nullopt;
  return task.resource_group;
}

}  // namespace

const TaskActionSpec* find_task_action(wire::TaskAction action) {
  for (const TaskActionSpec& spec : kTaskActions) {
    if (spec.action == action) return &spec;
  }
  return nullptr;
}

Result<Done> validate_task_payload(const TaskPayload& payload) {
  if (payload.action == wire::TASK_ACTION_UNSPECIFIED) return invalid("payload.action", "missing");
  const TaskActionSpec* spec = find_task_action(payload.action);
  if (spec == nullptr) {
    return invalid("payload.action", "unknown action " +
                                         std::to_string(static_cast<int>(payload.action)) +
                                         " (known: " + known_actions() + ")");
  }
  const std::string action(spec->name());
  if (payload.parameters.size() > kTaskParametersMax) {
    return invalid("payload.parameters", std::to_string(payload.parameters.size()) +
                                             " parameters, at most " +
                                             std::to_string(kTaskParametersMax));
  }
  for (const auto& [name, value] : payload.parameters) {
    if (!spec->parameter || spec->parameter->name != name) {
      const std::string shown = is_identifier(name, kEchoBytesMax) ? name : echo(name);
      return invalid("payload.parameters." + shown, "not a parameter of " + action);
    }
  }
  if (!spec->parameter) return Done{};
  const auto found = payload.parameters.find(spec->parameter->name);
  if (found == payload.parameters.end()) {
    if (!spec->parameter->required) return Done{};
    return invalid("payload.parameters." + std::string(spec->parameter->name),
                   "missing: " + action + " needs a " + std::string(spec->parameter->name));
  }
  if (auto e = check_parameter(*spec->parameter, found->second)) return *e;
  return Done{};
}

std::string_view task_status_name(TaskStatus status) {
  switch (status) {
    case TaskStatus::kQueued:
      return "queued";
    case TaskStatus::kDispatched:
      return "dispatched";
    case TaskStatus::kRunning:
      return "running";
    case TaskStatus::kSucceeded:
      return "succeeded";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "cancelled";
    case TaskStatus::kTimedOut:
      return "timed_out";
  }
  return "unknown";
}

bool is_final(TaskStatus status) {
  return status == TaskStatus::kSucceeded || status == TaskStatus::kFailed ||
         status == TaskStatus::kCancelled || status == TaskStatus::kTimedOut;
}

std::string_view report_disposition_name(ReportDisposition disposition) {
  switch (disposition) {
    case ReportDisposition::kRecorded:
      return "recorded";
    case ReportDisposition::kDuplicate:
      return "duplicate";
    case ReportDisposition::kLate:
      return "late";
    case ReportDisposition::kUnknownTask:
      return "unknown_task";
    case ReportDisposition::kWrongHost:
      return "wrong_host";
  }
  return "unknown";
}

DeviceRouter registry_router(const DeviceRegistry& registry) {
  return [&registry](std::string_view serial) -> std::optional<DeviceRoute> {
    const auto found = registry.device(serial);
    if (!found.ok()) return std::nullopt;
    const DeviceState& state = found.value().state;
    if (state.status != OnboardingStatus::kOnboarded) return std::nullopt;
    return DeviceRoute{state.organization, state.host.empty() ? std::string(serial) : state.host,
                       state.resource_group};
  };
}

TaskManager::TaskManager(AuditLog& audit_log, const Tenancy& tenancy, DeviceRouter router,
                         TaskManagerLimits limits)
    : audit_log_(audit_log), tenancy_(tenancy), router_(std::move(router)), limits_(limits) {
  assert(router_);
  assert(limits_.host_window >= 1 && limits_.host_window <= kHostWindowMax);
  assert(limits_.ack_timeout > core::Duration::zero());
  assert(limits_.series_devices_max >= 1);
}

// ---- User commands -------------------------------------------------------------------------

Result<TaskSeries> TaskManager::create_series(core::Time now, std::string_view actor,
                                              std::string_view organization,
                                              const TaskSeriesRequest& request) {
  auto checked = check_request(actor, organization, request);
  if (!checked.ok()) return checked.error();
  const TaskActionSpec& spec = *find_task_action(request.payload.action);
  auto routes = resolve_devices(organization, request.devices);
  if (!routes.ok()) return routes.error();
  std::vector<std::string_view> groups;
  for (const DeviceRoute& route : routes.value()) groups.push_back(route.resource_group);
  auto allowed = authorize_groups(actor, organization, spec.permission, groups);
  if (!allowed.ok()) return allowed.error();
  if (tasks_.size() + request.devices.size() > limits_.tasks_max) {
    return error(ErrorCode::kResourceExhausted,
                 "devices: " + std::to_string(request.devices.size()) + " more tasks than the " +
                     std::to_string(limits_.tasks_max - tasks_.size()) + " the service may hold");
  }
  if (series_.size() >= limits_.series_max) {
    return error(ErrorCode::kResourceExhausted,
                 std::to_string(limits_.series_max) + " task series exist, the most");
  }
  const core::Duration timeout = request.timeout.value_or(spec.timeout_default);
  const TaskSeriesId id = numbered(kTaskSeriesIdPrefix, last_series_serial_ + 1, 6);
  auto recorded = record(now, organization, actor, kTopicTaskSeriesCreated, "",
                         "series=" + id + " action=" + std::string(spec.name()) +
                             " devices=" + std::to_string(request.devices.size()) +
                             " timeout_us=" + std::to_string(timeout.count()));
  if (!recorded.ok()) return recorded.error();
  ++last_series_serial_;
  SeriesState& state = series_[id];
  state.series = TaskSeries{id,
                            std::string(organization),
                            request.name,
                            UserId(actor),
                            request.payload,
                            now,
                            now + timeout,
                            {},
                            std::nullopt};
  for (std::size_t i = 0; i < request.devices.size(); ++i) {
    Task task;
    task.id = next_task_id();
    task.series = id;
    task.organization = std::string(organization);
    task.device = request.devices[i];
    task.host = routes.value()[i].host;
    task.resource_group = routes.value()[i].resource_group;
    task.payload = request.payload;
    task.created_by = std::string(actor);
    task.created_at = now;
    task.deadline = now + timeout;
    state.tasks.push_back(add_task(std::move(task)).id);
  }
  return state.series;
}

Result<Done> TaskManager::check_request(std::string_view actor, std::string_view organization,
                                        const TaskSeriesRequest& request) const {
  auto valid = validate_task_payload(request.payload);
  if (!valid.ok()) return valid.error();
  // Only members learn which devices exist: a stranger is refused before devices are looked up.
  const std::vector<OrganizationId> memberships = tenancy_.organizations_of(actor);
  if (std::find(memberships.begin(), memberships.end(), organization) == memberships.end()) {
    auto allowed = tenancy_.authorize(actor, organization,
                                      find_task_action(request.payload.action)->permission);
    if (!allowed.ok()) return allowed.error();
  }
  if (request.name.size() > kTaskSeriesNameBytesMax) {
    return invalid("name", std::to_string(request.name.size()) + " bytes, at most " +
                               std::to_string(kTaskSeriesNameBytesMax));
  }
  if (std::any_of(request.name.begin(), request.name.end(), is_control)) {
    return invalid("name", "holds a control character");
  }
  if (request.timeout) {
    if (auto e = check_timeout("timeout", *request.timeout)) return *e;
  }
  if (request.devices.empty()) return invalid("devices", "empty: a series needs 1 device or more");
  if (request.devices.size() > limits_.series_devices_max) {
    return error(ErrorCode::kResourceExhausted,
                 "devices: " + std::to_string(request.devices.size()) + " devices, at most " +
                     std::to_string(limits_.series_devices_max) + " per series");
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < request.devices.size(); ++i) {
    const std::string field = "devices[" + std::to_string(i) + "]";
    const std::string& serial = request.devices[i];
    if (!is_identifier(serial, kSerialBytesMax)) {
      return invalid(field, echo(serial) + " is not a serial (1.." +
                                std::to_string(kSerialBytesMax) + " of [A-Za-z0-9._:@-])");
    }
    if (!seen.insert(serial).second) return invalid(field, echo(serial) + " repeated");
  }
  return Done{};
}

Result<std::vector<DeviceRoute>> TaskManager::resolve_devices(
    std::string_view organization, const std::vector<std::string>& devices) const {
  std::vector<DeviceRoute> routes;
  routes.reserve(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    std::optional<DeviceRoute> route = router_(devices[i]);
    if (!route || route->organization != organization) {
      return error(ErrorCode::kNotFound, "devices[" + std::to_string(i) + "]: unknown device " +
                                             echo(devices[i]) + " in " + std::string(organization));
    }
    assert(!route->host.empty());
    routes.push_back(std::move(*route));
  }
  return routes;
}

Result<Done> TaskManager::authorize_groups(std::string_view actor, std::string_view organization,
                                           Permission permission,
                                           const std::vector<std::string_view>& groups) const {
  const std::set<std::string_view> distinct(groups.begin(), groups.end());
  for (std::string_view group : distinct) {
    const std::optional<std::string_view> scope =
        group.empty() ? std::nullopt : std::optional<std::string_view>(group);
    auto allowed = tenancy_.authorize(actor, organization, permission, scope);
    if (!allowed.ok()) return allowed.error();
  }
  return Done{};
}

Result<Task> TaskManager::cancel_task(core::Time now, std::string_view actor,
                                      std::string_view organization, std::string_view task) {
  const auto found = tasks_.find(task);
  if (found == tasks_.end() || found->second.organization != organization) {
    return error(ErrorCode::kNotFound,
                 "task: " + echo(task) + " not found in " + std::string(organization));
  }
  Task& target = found->second;
  const TaskActionSpec& spec = *find_task_action(target.payload.action);
  auto allowed = tenancy_.authorize(actor, organization, spec.permission, group_of(target));
  if (!allowed.ok()) return allowed.error();
  if (is_final(target.status)) {
    return error(ErrorCode::kFailedPrecondition,
                 "task: " + target.id + " already " + std::string(task_status_name(target.status)));
  }
  if (target.cancel_requested) return target;
  auto recorded =
      record(now, organization, actor, kTopicTaskCancelled, target.device,
             "task=" + target.id + " status=" + std::string(task_status_name(target.status)));
  if (!recorded.ok()) return recorded.error();
  cancel_one(now, target);
  return target;
}

Result<TaskSeries> TaskManager::cancel_series(core::Time now, std::string_view actor,
                                              std::string_view organization,
                                              std::string_view series) {
  const auto found = series_.find(series);
  if (found == series_.end() || found->second.series.organization != organization) {
    return error(ErrorCode::kNotFound,
                 "series: " + echo(series) + " not found in " + std::string(organization));
  }
  SeriesState& state = found->second;
  std::vector<Task*> open;
  std::vector<std::string_view> groups;
  for (const TaskId& id : state.tasks) {
    Task& task = tasks_.at(id);
    groups.push_back(task.resource_group);
    if (!is_final(task.status) && !task.cancel_requested) open.push_back(&task);
  }
  const TaskActionSpec& spec = *find_task_action(state.series.payload.action);
  auto allowed = authorize_groups(actor, organization, spec.permission, groups);
  if (!allowed.ok()) return allowed.error();
  if (open.empty()) {
    return error(ErrorCode::kFailedPrecondition,
                 "series: " + state.series.id + " has no task left to cancel");
  }
  auto recorded = record(now, organization, actor, kTopicTaskSeriesCancelled, "",
                         "series=" + state.series.id + " tasks=" + std::to_string(open.size()));
  if (!recorded.ok()) return recorded.error();
  for (Task* task : open) cancel_one(now, *task);
  return state.series;
}

void TaskManager::cancel_one(core::Time now, Task& task) {
  if (task.status == TaskStatus::kQueued && task.origin == TaskOrigin::kUser) {
    finish(now, task, TaskStatus::kCancelled, "cancelled before dispatch");
    return;
  }
  task.cancel_requested = true;
  clear_ack_timer(task.id);  // a cancel replaces any further dispatch
  HostState& host = host_state(task.host);
  host.cancelling.insert(task.id);
  if (host.connected) {
    host.cancels_unsent.push_back(task.id);
    hosts_pending_.insert(task.host);
  }
}

// ---- Hosts ---------------------------------------------------------------------------------

HostMessages TaskManager::host_connected(core::Time now, std::string_view host) {
  on_wakeup(now);
  HostState& state = host_state(host);
  state.connected = true;
  state.cancels_unsent.assign(state.cancelling.begin(), state.cancelling.end());
  state.redeliveries.clear();
  for (const TaskId& id : state.in_flight) {
    if (!tasks_.at(id).cancel_requested) state.redeliveries.push_back(id);
  }
  hosts_pending_.erase(std::string(host));
  return messages_for(now, std::string(host), state);
}

void TaskManager::host_disconnected(core::Time /*now*/, std::string_view host) {
  HostState& state = host_state(host);
  state.connected = false;
  // What was not sent is rebuilt on reconnection, and the host re-sends what was not
  // acknowledged.
  state.cancels_unsent.clear();
  state.redeliveries.clear();
  state.host_task_acknowledgements.clear();
  state.result_acknowledgements.clear();
  hosts_pending_.erase(std::string(host));
}

ReportDisposition TaskManager::on_acknowledged(core::Time now, std::string_view host,
                                               std::string_view task) {
  auto [found, disposition] = reported_task(host, task);
  if (found == nullptr) return disposition;
  // Queued again (after a refusal): an acknowledgement overtaken by the refusal.
  if (is_final(found->status) || found->acknowledged_at || found->status == TaskStatus::kQueued) {
    ++counters_.duplicate_reports;
    return ReportDisposition::kDuplicate;
  }
  found->acknowledged_at = now;
  clear_ack_timer(found->id);
  return ReportDisposition::kRecorded;
}

ReportDisposition TaskManager::on_refused(core::Time now, std::string_view host,
                                          std::string_view task, std::string_view reason) {
  auto [found, disposition] = reported_task(host, task);
  if (found == nullptr) return disposition;
  if (found->status != TaskStatus::kDispatched || found->acknowledged_at) {
    ++counters_.duplicate_reports;  // a refusal contradicting what the host said before
    return ReportDisposition::kDuplicate;
  }
  ++counters_.refusals;
  HostState& state = host_state(host);
  state.in_flight.erase(found->id);
  clear_ack_timer(found->id);
  if (found->cancel_requested) {
    finish(now, *found, TaskStatus::kCancelled, "cancelled before its host took it");
  } else {
    found->detail = "refused by its host: " + cut(reason, kTaskDetailBytesMax);
    set_status(now, *found, TaskStatus::kQueued);
    state.refused.insert(found->id);
  }
  state.window = std::max<std::size_t>(1, state.in_flight.size());
  state.paused_until = now + limits_.ack_timeout;
  host_resumes_.emplace(*state.paused_until, std::string(host));
  return ReportDisposition::kRecorded;
}

ReportDisposition TaskManager::on_started(core::Time now, std::string_view host,
                                          std::string_view task) {
  auto [found, disposition] = reported_task(host, task);
  if (found == nullptr) return disposition;
  if (is_final(found->status)) return finished_disposition(*found);
  if (found->status == TaskStatus::kRunning) {
    ++counters_.duplicate_reports;
    return ReportDisposition::kDuplicate;
  }
  if (!found->acknowledged_at) found->acknowledged_at = now;
  clear_ack_timer(found->id);
  if (found->origin == TaskOrigin::kUser) host_state(host).in_flight.insert(found->id);
  set_status(now, *found, TaskStatus::kRunning);
  return ReportDisposition::kRecorded;
}

ReportDisposition TaskManager::on_result(core::Time now, std::string_view host,
                                         const TaskResultReport& report) {
  acknowledge(host, &HostState::result_acknowledgements, report.task);
  auto [found, disposition] = reported_task(host, report.task);
  if (found == nullptr) return disposition;
  if (is_final(found->status)) return finished_disposition(*found);
  if (!found->acknowledged_at) found->acknowledged_at = now;
  found->finished_by_host = true;
  finish(now, *found, status_of(report.outcome), report.detail);
  HostState& state = host_state(host);
  state.window = std::min(state.window + 1, limits_.host_window);
  state.paused_until.reset();
  return ReportDisposition::kRecorded;
}

Result<Task> TaskManager::on_host_task(core::Time now, std::string_view host,
                                       const HostTaskReport& report) {
  acknowledge(host, &HostState::host_task_acknowledgements, report.task);
  const std::string prefix = std::string(host) + ":";
  if (!report.task.starts_with(prefix) ||
      !is_identifier(std::string_view(report.task).substr(prefix.size()), kHostTaskIdBytesMax)) {
    return invalid("task", echo(report.task) + " is not " + prefix + "<1.." +
                               std::to_string(kHostTaskIdBytesMax) + " of [A-Za-z0-9._:@-]>");
  }
  if (const auto found = tasks_.find(report.task); found != tasks_.end()) {
    ++counters_.duplicate_reports;
    return found->second;
  }
  auto valid = validate_task_payload(report.payload);
  if (!valid.ok()) return valid.error();
  if (auto e = check_timeout("timeout", report.timeout)) return *e;
  std::optional<DeviceRoute> route = router_(report.device);
  if (!route) return error(ErrorCode::kNotFound, "device: unknown device " + echo(report.device));
  if (route->host != host) {
    return error(ErrorCode::kFailedPrecondition,
                 "device: " + report.device + " is not managed by " + std::string(host));
  }
  if (tasks_.size() >= limits_.tasks_max) {
    return error(ErrorCode::kResourceExhausted,
                 std::to_string(limits_.tasks_max) + " tasks held, the most");
  }
  auto recorded = record(now, route->organization, host, kTopicTaskHostCreated, report.device,
                         "task=" + report.task + " action=" +
                             std::string(wire::task_action_name(report.payload.action)));
  if (!recorded.ok()) return recorded.error();
  Task task;
  task.id = report.task;
  task.organization = route->organization;
  task.device = report.device;
  task.host = std::string(host);
  task.resource_group = route->resource_group;
  task.payload = report.payload;
  task.origin = TaskOrigin::kHost;
  task.created_by = std::string(host);
  task.created_at = now;
  task.deadline = now + report.timeout;
  Task& added = add_task(std::move(task));
  if (report.started) set_status(now, added, TaskStatus::kRunning);
  return added;
}

void TaskManager::restart(core::Time now, const std::vector<std::string>& connected_hosts) {
  ++counters_.restarts;
  hosts_.clear();
  deadlines_.clear();
  ack_due_.clear();
  ack_due_of_.clear();
  host_resumes_.clear();
  hosts_pending_.clear();
  for (const auto& [id, task] : tasks_) {  // ids are numbered: creation order
    if (is_final(task.status)) continue;
    deadlines_.emplace(task.deadline, id);
    HostState& host = host_state(task.host);
    if (task.cancel_requested) host.cancelling.insert(id);
    if (task.origin != TaskOrigin::kUser) continue;
    if (task.status == TaskStatus::kQueued) {
      host.queue.push_back(id);
    } else {
      host.in_flight.insert(id);
    }
  }
  for (const std::string& serial : connected_hosts) {
    HostState& host = host_state(serial);
    host.connected = true;
    host.cancels_unsent.assign(host.cancelling.begin(), host.cancelling.end());
    for (const TaskId& id : host.in_flight) {
      if (!tasks_.at(id).cancel_requested) host.redeliveries.push_back(id);
    }
    hosts_pending_.insert(serial);
  }
  on_wakeup(now);
}

// ---- Time and output -----------------------------------------------------------------------

void TaskManager::on_wakeup(core::Time now) {
  expire_deadlines(now);
  expire_acknowledgements(now);
  while (!host_resumes_.empty() && host_resumes_.begin()->first <= now) {
    const auto [at, serial] = *host_resumes_.begin();
    host_resumes_.erase(host_resumes_.begin());
    HostState& state = host_state(serial);
    if (state.paused_until && *state.paused_until <= now) state.paused_until.reset();
    if (state.connected) hosts_pending_.insert(serial);
  }
}

TaskManagerOutbox TaskManager::take_outbox(core::Time now) {
  on_wakeup(now);
  TaskManagerOutbox out;
  const std::set<std::string, std::less<>> pending = std::move(hosts_pending_);
  hosts_pending_.clear();
  for (const std::string& serial : pending) {
    HostState& state = host_state(serial);
    if (!state.connected) continue;
    HostMessages messages = messages_for(now, serial, state);
    if (!messages.empty()) out.hosts.push_back(std::move(messages));
  }
  out.notifications.assign(std::make_move_iterator(notifications_.begin()),
                           std::make_move_iterator(notifications_.end()));
  notifications_.clear();
  out.finished = std::move(finished_);
  finished_.clear();
  out.wakeup = next_wakeup();
  return out;
}

std::optional<core::Time> TaskManager::next_wakeup() const {
  std::optional<core::Time> next;
  const auto consider = [&next](core::Time at) {
    if (!next || at < *next) next = at;
  };
  if (!deadlines_.empty()) consider(deadlines_.begin()->first);
  if (!ack_due_.empty()) consider(ack_due_.begin()->first);
  if (!host_resumes_.empty()) consider(host_resumes_.begin()->first);
  return next;
}

void TaskManager::expire_deadlines(core::Time now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Task& task = tasks_.at(deadlines_.begin()->second);
    std::string detail = task.status == TaskStatus::kQueued && task.origin == TaskOrigin::kUser
                             ? "not dispatched by its deadline: host offline or busy"
                             : "no result from its host by the deadline";
    if (task.cancel_requested) detail += " (cancel requested)";
    finish(now, task, TaskStatus::kTimedOut, std::move(detail));
  }
}

void TaskManager::expire_acknowledgements(core::Time now) {
  while (!ack_due_.empty() && ack_due_.begin()->first <= now) {
    const TaskId id = ack_due_.begin()->second;
    clear_ack_timer(id);
    Task& task = tasks_.at(id);
    HostState& host = host_state(task.host);
    // A disconnected host gets everything again when it reconnects.
    if (task.status != TaskStatus::kDispatched || !host.connected) continue;
    host.redeliveries.push_back(id);
    hosts_pending_.insert(task.host);
  }
}

HostMessages TaskManager::messages_for(core::Time now, const std::string& serial, HostState& host) {
  assert(host.connected);
  HostMessages messages;
  messages.host = serial;
  for (const TaskId& id : host.cancels_unsent) {
    if (host.cancelling.contains(id)) messages.cancels.push_back(id);
  }
  host.cancels_unsent.clear();
  for (const TaskId& id : host.redeliveries) {
    Task& task = tasks_.at(id);
    if (is_final(task.status) || task.cancel_requested) continue;
    messages.dispatches.push_back(dispatch(now, task, host));
  }
  host.redeliveries.clear();
  const bool paused = host.paused_until && *host.paused_until > now;
  while (!paused && host.in_flight.size() < host.window) {
    std::optional<TaskId> next = next_queued(host);
    if (!next) break;
    messages.dispatches.push_back(dispatch(now, tasks_.at(*next), host));
  }
  messages.host_task_acknowledgements = std::move(host.host_task_acknowledgements);
  host.host_task_acknowledgements.clear();
  messages.result_acknowledgements = std::move(host.result_acknowledgements);
  host.result_acknowledgements.clear();
  return messages;
}

std::optional<TaskId> TaskManager::next_queued(HostState& host) {
  // Refused tasks first, oldest first: they were next before they were refused.
  while (!host.refused.empty() || !host.queue.empty()) {
    TaskId id;
    if (!host.refused.empty()) {
      id = *host.refused.begin();
      host.refused.erase(host.refused.begin());
    } else {
      id = std::move(host.queue.front());
      host.queue.pop_front();
    }
    if (tasks_.at(id).status == TaskStatus::kQueued) return id;  // else cancelled or timed out
  }
  return std::nullopt;
}

TaskDispatch TaskManager::dispatch(core::Time now, Task& task, HostState& host) {
  assert(!is_final(task.status) && task.deadline > now);
  const TaskActionSpec& spec = *find_task_action(task.payload.action);
  ++task.deliveries;
  if (!task.dispatched_at) {
    task.dispatched_at = now;
    ++counters_.dispatches;
  } else {
    ++counters_.redeliveries;
  }
  if (task.status == TaskStatus::kQueued) set_status(now, task, TaskStatus::kDispatched);
  host.in_flight.insert(task.id);
  if (!task.acknowledged_at) set_ack_timer(task.id, now + limits_.ack_timeout);
  return TaskDispatch{
      task.id,        task.device, task.payload, task.deadline - now, spec.rerun_after_restart,
      task.deliveries};
}

// ---- Bookkeeping ---------------------------------------------------------------------------

std::pair<Task*, ReportDisposition> TaskManager::reported_task(std::string_view host,
                                                               std::string_view task) {
  const auto found = tasks_.find(task);
  if (found == tasks_.end()) {
    ++counters_.unknown_task_reports;
    return {nullptr, ReportDisposition::kUnknownTask};
  }
  if (found->second.host != host) {
    ++counters_.wrong_host_reports;
    return {nullptr, ReportDisposition::kWrongHost};
  }
  return {&found->second, ReportDisposition::kRecorded};
}

ReportDisposition TaskManager::finished_disposition(const Task& task) {
  assert(is_final(task.status));
  if (task.finished_by_host) {
    ++counters_.duplicate_reports;
    return ReportDisposition::kDuplicate;
  }
  ++counters_.late_results;
  return ReportDisposition::kLate;
}

void TaskManager::acknowledge(std::string_view host,
                              std::vector<TaskId> HostState::*acknowledgements,
                              std::string_view task) {
  HostState& state = host_state(host);
  if (!state.connected) return;  // the host re-sends it when it reconnects
  (state.*acknowledgements).emplace_back(task);
  hosts_pending_.insert(std::string(host));
}

Task& TaskManager::add_task(Task task) {
  assert(!tasks_.contains(task.id));
  tasks_by_organization_[task.organization].insert(task.id);
  deadlines_.emplace(task.deadline, task.id);
  if (!task.series.empty()) {
    TaskSeriesProgress& progress = series_.at(task.series).series.progress;
    ++progress.total;
    ++count_of(progress, task.status);
  }
  if (task.origin == TaskOrigin::kUser) {
    HostState& host = host_state(task.host);
    host.queue.push_back(task.id);
    if (host.connected) hosts_pending_.insert(task.host);
  }
  const TaskId id = task.id;
  return tasks_.emplace(id, std::move(task)).first->second;
}

void TaskManager::set_status(core::Time now, Task& task, TaskStatus status) {
  assert(!is_final(task.status));
  if (task.status == status) return;
  SeriesState* series = task.series.empty() ? nullptr : &series_.at(task.series);
  if (series != nullptr) {
    --count_of(series->series.progress, task.status);
    ++count_of(series->series.progress, status);
  }
  task.status = status;
  if (status == TaskStatus::kRunning && !task.started_at) task.started_at = now;
  if (!is_final(status)) return;
  task.finished_at = now;
  finished_.push_back(task.id);
  deadlines_.erase({task.deadline, task.id});
  clear_ack_timer(task.id);
  HostState& host = host_state(task.host);
  host.cancelling.erase(task.id);
  if (host.in_flight.erase(task.id) > 0 && host.connected) hosts_pending_.insert(task.host);
  if (series != nullptr && series->series.progress.finished() == series->series.progress.total) {
    notify(now, *series);
  }
}

void TaskManager::finish(core::Time now, Task& task, TaskStatus status, std::string_view detail) {
  assert(is_final(status));
  task.detail = cut(detail, kTaskDetailBytesMax);
  set_status(now, task, status);
}

void TaskManager::notify(core::Time now, SeriesState& series) {
  series.series.completed_at = now;
  notifications_.push_back(TaskNotification{series.series.organization, series.series.id,
                                            series.series.created_by, series.series.progress, now});
  if (notifications_.size() > limits_.notifications_max) {
    notifications_.pop_front();
    ++counters_.notifications_dropped;
  }
}

void TaskManager::set_ack_timer(const TaskId& task, core::Time at) {
  clear_ack_timer(task);
  ack_due_.emplace(at, task);
  ack_due_of_.emplace(task, at);
}

void TaskManager::clear_ack_timer(const TaskId& task) {
  const auto found = ack_due_of_.find(task);
  if (found == ack_due_of_.end()) return;
  ack_due_.erase({found->second, task});
  ack_due_of_.erase(found);
}

TaskManager::HostState& TaskManager::host_state(std::string_view host) {
  auto found = hosts_.find(host);
  if (found == hosts_.end()) {
    found = hosts_.emplace(std::string(host), HostState{}).first;
    found->second.window = limits_.host_window;
  }
  return found->second;
}

Result<Done> TaskManager::record(core::Time now, std::string_view organization,
                                 std::string_view actor, std::string_view topic,
                                 std::string_view device, std::string detail) {
  auto appended = audit_log_.append(
      now, AuditRecord{std::string(organization), std::string(actor), std::string(topic),
                       std::string(device), std::move(detail)});
  if (!appended.ok()) return appended.error();
  return Done{};
}

TaskId TaskManager::next_task_id() {
  return numbered(kTaskIdPrefix, ++last_task_serial_, 8);
}

// ---- Queries -------------------------------------------------------------------------------

Result<Task> TaskManager::task(std::string_view task) const {
  const auto found = tasks_.find(task);
  if (found == tasks_.end())
    return error(ErrorCode::kNotFound, "task: " + echo(task) + " not found");
  return found->second;
}

Result<TaskSeries> TaskManager::series(std::string_view series) const {
  const auto found = series_.find(series);
  if (found == series_.end()) {
    return error(ErrorCode::kNotFound, "series: " + echo(series) + " not found");
  }
  return found->second.series;
}

Result<std::vector<Task>> TaskManager::series_tasks(std::string_view series) const {
  const auto found = series_.find(series);
  if (found == series_.end()) {
    return error(ErrorCode::kNotFound, "series: " + echo(series) + " not found");
  }
  std::vector<Task> tasks;
  tasks.reserve(found->second.tasks.size());
  for (const TaskId& id : found->second.tasks) tasks.push_back(tasks_.at(id));
  return tasks;
}

std::vector<Task> TaskManager::tasks_of(std::string_view organization) const {
  std::vector<Task> tasks;
  const auto found = tasks_by_organization_.find(organization);
  if (found == tasks_by_organization_.end()) return tasks;
  for (const TaskId& id : found->second) tasks.push_back(tasks_.at(id));
  return tasks;
}

}  // namespace ccsim::platform

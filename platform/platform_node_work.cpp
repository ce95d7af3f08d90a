// The platform node's side of device work: tasks, rollouts, release checks and diagnostics
// (see platform_node.h). Split from platform_node.cpp, which keeps connections and onboarding.
#include <algorithm>
#include <cassert>

#include "platform/platform_node.h"

namespace ccsim::platform {

namespace {

ServiceError task_manager_down() {
  return ServiceError{ErrorCode::kFailedPrecondition,
                      "the Task Manager is restarting; nothing was created, try again"};
}

}  // namespace

void PlatformNode::set_task_manager_up(Time now, bool up, core::Outbox& out) {
  assert(control_plane_ != nullptr);
  if (up == !task_manager_down_) return;
  task_manager_down_ = !up;
  if (!up) return;
  std::vector<std::string> hosts;
  for (const DeviceConnection& record : devices_) {
    if (record.status == ConnectionStatus::kConnected && record.host == DeviceConnection::kNoHost) {
      hosts.push_back(record.serial);
    }
  }
  control_plane_->tasks.restart(now, hosts);
  flush_tasks(now, out);
}

Result<TaskSeries> PlatformNode::create_task_series(Time now, std::string_view actor,
                                                    std::string_view organization,
                                                    const TaskSeriesRequest& request,
                                                    core::Outbox& out) {
  assert(control_plane_ != nullptr);
  if (task_manager_down_) return task_manager_down();
  if (auto deployable = check_deployable(control_plane_->software.catalog(), request.payload);
      !deployable.ok()) {
    return deployable.error();
  }
  auto series = control_plane_->tasks.create_series(now, actor, organization, request);
  if (series.ok()) flush_tasks(now, out);
  return series;
}

Result<const RolloutRecord*> PlatformNode::start_rollout(Time now, std::string_view actor,
                                                         std::string_view organization,
                                                         RolloutRequest request,
                                                         core::Outbox& out) {
  assert(control_plane_ != nullptr);
  if (task_manager_down_) return task_manager_down();
  if (control_plane_->software.catalog().find(request.version) == nullptr) {
    return error(ErrorCode::kNotFound,
                 "version: \"" + request.version + "\" is not a published release");
  }
  auto started = control_plane_->rollouts.start(now, actor, organization, std::move(request));
  if (started.ok()) flush_tasks(now, out);
  return started;
}

Result<Done> PlatformNode::set_diagnostics(Time now, std::string_view actor,
                                           std::string_view organization, std::string_view device,
                                           bool granted, core::Outbox& out) {
  assert(control_plane_ != nullptr);
  auto set = control_plane_->insights.set_consent(now, actor, organization, device, granted);
  if (!set.ok()) return set;
  const DeviceConnection* record = find(device);
  if (record != nullptr && record->status == ConnectionStatus::kConnected) {
    const DeviceConnection& host =
        record->host == DeviceConnection::kNoHost ? *record : devices_[record->host];
    wire::Envelope& message = reply_;
    message.Clear();
    message.mutable_diagnostics_consent()->set_serial(std::string(device));
    message.mutable_diagnostics_consent()->set_granted(granted);
    send(now, host.connection, host.serial, message, 0, out);
  }
  return set;
}

void PlatformNode::host_online(Time now, std::uint32_t index, core::Outbox& out) {
  assert(control_plane_ != nullptr);
  const DeviceConnection& record = devices_[index];
  // A Task Manager down learns who is connected when it restarts.
  const HostMessages messages = task_manager_down_
                                    ? HostMessages{}
                                    : control_plane_->tasks.host_connected(now, record.serial);
  // Consents survive the host's restarts on the platform's side: tell it again.
  const Insights& insights = control_plane_->insights;
  const auto tell_consent = [&](const std::string& serial) {
    if (!insights.consented(serial)) return;
    wire::Envelope& message = reply_;
    message.Clear();
    message.mutable_diagnostics_consent()->set_serial(serial);
    message.mutable_diagnostics_consent()->set_granted(true);
    send(now, record.connection, record.serial, message, 0, out);
  };
  tell_consent(record.serial);
  for (std::uint32_t hosted : record.hosted) tell_consent(devices_[hosted].serial);
  send_host_messages(now, messages, out);
  flush_tasks(now, out);
}

void PlatformNode::send_host_messages(Time now, const HostMessages& messages, core::Outbox& out) {
  if (messages.empty()) return;
  const DeviceConnection* host = find(messages.host);
  assert(host != nullptr && host->status == ConnectionStatus::kConnected &&
         "the Task Manager sends to connected hosts only");
  const auto emit = [&](auto fill) {
    wire::Envelope& message = reply_;
    message.Clear();
    fill(message);
    send(now, host->connection, host->serial, message, 0, out);
  };
  for (const TaskId& task : messages.cancels) {
    emit([&](wire::Envelope& m) { m.mutable_task_cancel()->set_task(task); });
  }
  for (const TaskDispatch& dispatch : messages.dispatches) {
    emit([&](wire::Envelope& m) {
      wire::TaskDispatch* d = m.mutable_task_dispatch();
      d->set_task(dispatch.task);
      d->set_device(dispatch.device);
      d->set_action(dispatch.payload.action);
      for (const auto& [key, value] : dispatch.payload.parameters) {
        (*d->mutable_parameters())[key] = value;
      }
      d->set_time_left_us(static_cast<std::uint64_t>(dispatch.time_left.count()));
      d->set_rerun_after_restart(dispatch.rerun_after_restart);
      d->set_delivery(dispatch.delivery);
    });
  }
  for (const TaskId& task : messages.host_task_acknowledgements) {
    emit([&](wire::Envelope& m) {
      m.mutable_task_receipt()->set_task(task);
      m.mutable_task_receipt()->set_host_task(true);
    });
  }
  for (const TaskId& task : messages.result_acknowledgements) {
    emit([&](wire::Envelope& m) { m.mutable_task_receipt()->set_task(task); });
  }
}

void PlatformNode::flush_tasks(Time now, core::Outbox& out) {
  assert(control_plane_ != nullptr);
  if (task_manager_down_) return;
  TaskManager& tasks = control_plane_->tasks;
  RolloutManager& rollouts = control_plane_->rollouts;
  // Finished tasks may let a rollout start more, whose tasks then go out in the second round (a
  // new batch finishes nothing at once).
  for (int round = 0; round < 2; ++round) {
    TaskManagerOutbox outbox = tasks.take_outbox(now);
    for (const HostMessages& messages : outbox.hosts) send_host_messages(now, messages, out);
    for (TaskNotification& notification : outbox.notifications) {
      ++metrics_.task_notifications;
      notifications_.push_back(std::move(notification));
      if (notifications_.size() > kNotificationsKeptMax) notifications_.pop_front();
    }
    for (const TaskId& task : outbox.finished) rollouts.on_task_finished(now, task);
    rollouts.advance(now);
  }
  std::optional<Time> next = tasks.next_wakeup();
  if (const auto rollout_next = rollouts.next_wakeup(now)) {
    next = next ? std::min(*next, *rollout_next) : *rollout_next;
  }
  if (next && (!tasks_wakeup_ || *next < *tasks_wakeup_ || *tasks_wakeup_ <= now)) {
    tasks_wakeup_ = std::max(*next, now);
    out.wakeups.push_back(*tasks_wakeup_);
  }
}

std::uint32_t PlatformNode::connected_host(ConnectionId connection) {
  const std::uint32_t index = device_on(connection);
  if (control_plane_ == nullptr || index == kNoDevice ||
      devices_[index].status != ConnectionStatus::kConnected) {
    ++metrics_.frames_without_hello;
    return kNoDevice;
  }
  return index;
}

void PlatformNode::on_task_update(Time now, ConnectionId connection, const wire::Envelope& in,
                                  core::Outbox& out) {
  const std::uint32_t index = connected_host(connection);
  if (index == kNoDevice) return;
  ++metrics_.task_updates;
  if (task_manager_down_) {
    ++metrics_.task_updates_lost;
    return;
  }
  const std::string& host = devices_[index].serial;
  TaskManager& tasks = control_plane_->tasks;
  const wire::TaskUpdate& update = in.task_update();
  switch (update.event_case()) {
    case wire::TaskUpdate::kAcknowledged:
      (void)tasks.on_acknowledged(now, host, update.task());
      break;
    case wire::TaskUpdate::kRefused:
      (void)tasks.on_refused(now, host, update.task(), update.refused());
      break;
    case wire::TaskUpdate::kStarted:
      (void)tasks.on_started(now, host, update.task());
      break;
    case wire::TaskUpdate::kResult:
      // decode_frame refused any outcome the schema does not name.
      (void)tasks.on_result(
          now, host,
          TaskResultReport{update.task(), update.result().outcome(), update.result().detail()});
      break;
    case wire::TaskUpdate::kCreated: {
      const wire::HostTask& created = update.created();
      HostTaskReport report{
          update.task(), created.device(), TaskPayload{created.action(), {}},
          Duration(static_cast<std::int64_t>(std::min<std::uint64_t>(
              created.timeout_us(), static_cast<std::uint64_t>(kTaskTimeoutMax.count())))),
          created.started()};
      for (const auto& [key, value] : created.parameters()) {
        report.payload.parameters.emplace(key, value);
      }
      if (!tasks.on_host_task(now, host, report).ok()) ++metrics_.commands_refused;
      break;
    }
    case wire::TaskUpdate::EVENT_NOT_SET:
      break;
  }
  flush_tasks(now, out);
}

void PlatformNode::on_release_check(Time now, ConnectionId connection, const wire::Envelope& in,
                                    core::Outbox& out) {
  const std::uint32_t index = connected_host(connection);
  if (index == kNoDevice) return;
  ++metrics_.release_checks;
  const SoftwareUpdates& software = control_plane_->software;
  const DeviceRegistry& registry = control_plane_->registry;
  const Insights& insights = control_plane_->insights;
  wire::Envelope& reply = reply_;
  reply.Clear();
  wire::ReleaseOffer* answer = reply.mutable_release_offer();
  answer->set_sequence(in.release_check().sequence());
  const auto consider = [&](const std::string& serial) {
    const auto found = registry.device(serial);
    if (!found.ok()) return;
    const DeviceState& state = found.value().state;
    if (state.status != OnboardingStatus::kOnboarded) return;
    UpdateOffer offer = software.offer_for(
        now, DeviceSoftwareFacts{state.organization, state.profile, state.resource_group,
                                 state.mode, state.os_version, state.os_track});
    if (offer.kind == UpdateOfferKind::kNone && insights.recommends_os_update(serial)) {
      // A crash loop recommends the newest release of the device's track, whatever its policy.
      const Release* latest = software.catalog().latest_on(state.os_track, now);
      if (latest != nullptr && latest->version != state.os_version) {
        offer =
            UpdateOffer{UpdateOfferKind::kRecommend, latest->version, latest->size_bytes, {}, {},
                        "crash_loop insight"};
      }
    }
    if (offer.kind == UpdateOfferKind::kNone) return;
    if (offer.kind == UpdateOfferKind::kRecommend) {
      ++metrics_.recommendations;
      recommendations_[serial] = offer.version;
    } else {
      ++metrics_.install_offers;
    }
    wire::DeviceOffer* o = answer->add_offers();
    o->set_serial(serial);
    o->set_kind(std::string(update_offer_kind_name(offer.kind)));
    o->set_version(offer.version);
    o->set_size_bytes(offer.size_bytes);
    const auto in_from_now = [now](Time at) {
      return static_cast<std::uint64_t>(std::max(at - now, Duration::zero()).count());
    };
    o->set_start_in_us(in_from_now(offer.start_after));
    o->set_last_start_in_us(in_from_now(offer.start_before));
  };
  consider(devices_[index].serial);
  for (std::uint32_t hosted : devices_[index].hosted) consider(devices_[hosted].serial);
  if (answer->offers_size() == 0) return;  // nothing to do: no answer, to spare the uplink
  send(now, connection, devices_[index].serial, reply, in.correlation_id(), out);
}

void PlatformNode::on_telemetry(Time now, ConnectionId connection, const wire::Envelope& in) {
  const wire::Telemetry& t = in.telemetry();
  if (control_plane_ == nullptr || !speaks_for(connection, t.serial())) {
    ++metrics_.frames_without_hello;
    return;
  }
  const TelemetryDisposition disposition = control_plane_->insights.on_telemetry(
      now, t.serial(),
      TelemetrySample{t.load_permille() / 1000.0, t.sd_card_health_permille() / 1000.0,
                      t.crashes()});
  ++(disposition == TelemetryDisposition::kRecorded ? metrics_.telemetry_recorded
                                                    : metrics_.telemetry_refused);
}

}  // namespace ccsim::platform

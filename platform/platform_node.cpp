#include "platform/platform_node.h"

#include <algorithm>
#include <cassert>
#include <sstream>

#include "core/time_text.h"

namespace ccsim::platform {

std::string_view disconnect_reason_name(DisconnectReason reason) {
  switch (reason) {
    case DisconnectReason::kNone:
      return "none";
    case DisconnectReason::kMissedHeartbeats:
      return "missed_heartbeats";
    case DisconnectReason::kGoodbye:
      return "goodbye";
    case DisconnectReason::kConnectionClosed:
      return "connection_closed";
  }
  return "unknown";
}

std::string describe_knowledge(const std::vector<DeviceConnection>& devices) {
  std::vector<const DeviceConnection*> sorted;
  sorted.reserve(devices.size());
  for (const DeviceConnection& record : devices) sorted.push_back(&record);
  std::sort(sorted.begin(), sorted.end(), [](const DeviceConnection* a, const DeviceConnection* b) {
    return a->serial < b->serial;
  });
  std::ostringstream text;
  for (const DeviceConnection* r : sorted) {
    text << r->serial << ' ' << r->model << ' ' << r->os_version << " tier" << r->tier << ' '
         << connection_status_name(r->status) << ' ' << disconnect_reason_name(r->last_disconnect)
         << " hellos=" << r->hellos << " heartbeats=" << r->heartbeats << '\n';
  }
  return text.str();
}

std::uint64_t PlatformMetrics::frame_errors_total() const {
  std::uint64_t total = 0;
  for (std::uint64_t count : frame_errors) total += count;
  return total;
}

PlatformNode::PlatformNode(HeartbeatPolicy policy, std::size_t fleet_size_max, core::Trace* trace,
                           ControlPlane* control_plane, OnboardingPolicy onboarding)
    : policy_(policy),
      fleet_size_max_(fleet_size_max),
      trace_(trace),
      control_plane_(control_plane),
      onboarding_(onboarding) {
  index_by_serial_.reserve(std::min(fleet_size_max_, kFleetSizeReserved));
  assert(policy_.interval > Duration::zero());
  assert(onboarding_.timeout > Duration::zero());
  assert(policy_.missed_heartbeats_max >= 1);
  assert(fleet_size_max_ >= 1 && fleet_size_max_ <= kFleetSizeMax);
}

void PlatformNode::start(Time now, core::Outbox& out) {
  next_sweep_ = now + policy_.interval;
  out.wakeups.push_back(next_sweep_);
}

const DeviceConnection* PlatformNode::find(std::string_view serial) const {
  auto it = index_by_serial_.find(std::string(serial));
  return it == index_by_serial_.end() ? nullptr : &devices_[it->second];
}

void PlatformNode::on_frame(Time now, ConnectionId connection, std::string_view frame,
                            core::Outbox& out) {
  auto decoded = wire::decode_frame(frame, scratch_);
  if (auto* error = std::get_if<wire::FrameError>(&decoded)) {
    ++metrics_.frame_errors[static_cast<std::size_t>(error->code)];
    if (trace_) {
      trace_->record(now, core::TraceEvent::kFrameError, connection,
                     static_cast<std::uint64_t>(error->code));
    }
    return;
  }
  switch (scratch_.body_case()) {
    case wire::Envelope::kHello:
      on_hello(now, connection, scratch_, out);
      break;
    case wire::Envelope::kHeartbeat:
      on_heartbeat(now, connection, scratch_, out);
      break;
    case wire::Envelope::kGoodbye:
      on_goodbye(now, connection);
      break;
    case wire::Envelope::kProvisionAck:
      on_provision_ack(now, connection, scratch_, out);
      break;
    case wire::Envelope::kDeviceReport:
      on_device_report(now, connection, scratch_, out);
      break;
    case wire::Envelope::kTaskUpdate:
      on_task_update(now, connection, scratch_, out);
      break;
    case wire::Envelope::kReleaseCheck:
      on_release_check(now, connection, scratch_, out);
      break;
    case wire::Envelope::kTelemetry:
      on_telemetry(now, connection, scratch_);
      break;
    case wire::Envelope::kSignaling:
      on_signaling(now, connection, scratch_, out);
      break;
    default:
      // Acknowledgements travel cloud-to-device only; one arriving here is a confused peer.
      ++metrics_.frame_errors[static_cast<std::size_t>(wire::FrameErrorCode::kUnknownBody)];
      break;
  }
}

bool PlatformNode::admit(Time now, ConnectionId connection, const wire::Envelope& in,
                         core::Outbox& out) {
  const wire::DeviceHello& hello = in.hello();
  std::string reason;
  if (!index_by_serial_.contains(hello.serial()) && devices_.size() >= fleet_size_max_) {
    reason =
        "fleet full: this platform tracks at most " + std::to_string(fleet_size_max_) + " devices";
  } else if (control_plane_ != nullptr && !control_plane_->registry.device(hello.serial()).ok()) {
    ++metrics_.hellos_refused_unregistered;
    reason = "unknown device: serial " + hello.serial() + " was never registered by its factory";
  } else if (!regions_.several()) {
    return true;
  } else if (const std::optional<Duration> wait = regions_.admit(now, region_of(connection))) {
    ++metrics_.hellos_deferred;
    wire::Envelope& reply = reply_;
    reply.Clear();
    wire::HelloAck* ack = reply.mutable_hello_ack();
    ack->set_accepted(false);
    ack->set_reason("busy: this endpoint admits hellos at a bounded rate");
    const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
    ack->set_retry_after_ms(
        static_cast<std::uint32_t>(std::clamp<std::int64_t>(wait_ms, 1, wire::kRetryAfterMsMax)));
    send(now, connection, hello.serial(), reply, in.correlation_id(), out);
    return false;
  } else {
    return true;
  }
  ++metrics_.hellos_refused;
  wire::Envelope& reply = reply_;
  reply.Clear();
  reply.mutable_hello_ack()->set_accepted(false);
  reply.mutable_hello_ack()->set_reason(reason);
  send(now, connection, hello.serial(), reply, in.correlation_id(), out);
  return false;
}

std::uint32_t PlatformNode::record_for(const std::string& serial, Time now) {
  auto found = index_by_serial_.find(serial);
  if (found != index_by_serial_.end()) return found->second;
  assert(devices_.size() < fleet_size_max_);
  const auto index = static_cast<std::uint32_t>(devices_.size());
  DeviceConnection& record = devices_.emplace_back();
  record.serial = serial;
  record.first_connected_at = now;
  index_by_serial_.emplace(serial, index);
  return index;
}

void PlatformNode::on_hello(Time now, ConnectionId connection, const wire::Envelope& in,
                            core::Outbox& out) {
  if (!admit(now, connection, in, out)) return;
  const wire::DeviceHello& hello = in.hello();
  const std::uint32_t index = record_for(hello.serial(), now);
  DeviceConnection& record = devices_[index];
  // The device came back on a new connection before the old one was seen to die (connected, or
  // already given up on for missed heartbeats): the old one is no longer the device's.
  if (record.connection != connection && device_on(record.connection) == index) {
    unbind(record.connection);
    out.closes.push_back({record.connection});
  }
  // A connection speaks for one device: if another device said hello on it before, that one
  // is no longer reachable through it.
  const std::uint32_t previous = device_on(connection);
  if (previous != kNoDevice && previous != index) {
    mark_disconnected(now, previous, DisconnectReason::kConnectionClosed);
  }
  if (record.host != DeviceConnection::kNoHost) {  // carried by a host until now: on its own
    std::erase(devices_[record.host].hosted, index);
    record.host = DeviceConnection::kNoHost;
  }
  record.model = hello.model();
  record.os_version = hello.os_version();
  record.tier = hello.tier();
  record.connection = connection;
  ++record.hellos;
  bind(connection, index);
  ++metrics_.hellos_accepted;
  if (regions_.several()) note_region(now, index, connection, hello.region(), out);
  // The devices a host carries are the ones this hello lists (update_hosted, below), not the
  // ones it listed before: those it dropped must not come back with it, even for a moment.
  mark_connected(now, index, /*hosted_too=*/false);
  wire::Envelope& reply = reply_;
  reply.Clear();
  wire::HelloAck* ack = reply.mutable_hello_ack();
  ack->set_accepted(true);
  ack->set_heartbeat_interval_ms(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(policy_.interval).count()));
  send(now, connection, hello.serial(), reply, in.correlation_id(), out);
  if (hello.hosted_size() > 0 || !devices_[index].hosted.empty()) {
    update_hosted(now, index, hello, out);
  }
  if (control_plane_ == nullptr) return;
  DeviceRegistry& registry = control_plane_->registry;
  if (!hello.lan().empty()) {
    auto known = registry.device(hello.serial());
    if (known.ok() && known.value().state.lan != hello.lan()) {
      (void)registry.place_on_lan(now, hello.serial(), hello.lan());
    }
    for (const wire::HostedDevice& hosted : hello.hosted()) {
      auto carried = registry.device(hosted.serial());
      if (carried.ok() && carried.value().state.lan != hello.lan()) {
        (void)registry.place_on_lan(now, hosted.serial(), hello.lan());
      }
    }
  }
  provision_pending(now, index, out);
  host_online(now, index, out);
}

void PlatformNode::note_region(Time now, std::uint32_t index, ConnectionId connection,
                               std::string_view home, core::Outbox& out) {
  DeviceConnection& record = devices_[index];
  // What it was on before (a connection not yet seen to close) no longer holds.
  regions_.set_draining(index, record.region, false);
  regions_.set_away(index, record.home_region, false);
  record.region = region_of(connection);
  record.home_region = regions_.index(home).value_or(record.region);
  regions_.connected(now, record.region);
  const bool away = record.region != record.home_region;
  regions_.set_away(index, record.home_region, away);
  // Away while its own region is up (it failed over for a reason of its own): it goes back too.
  if (away && regions_.up(record.home_region)) look_for_moves(now + std::chrono::seconds(1), out);
}

void PlatformNode::update_hosted(Time now, std::uint32_t host, const wire::DeviceHello& hello,
                                 core::Outbox&) {
  std::vector<std::uint32_t> carried;
  for (const wire::HostedDevice& hosted : hello.hosted()) {
    if (hosted.serial() == hello.serial()) continue;  // a host does not carry itself
    if (control_plane_ != nullptr && !control_plane_->registry.device(hosted.serial()).ok()) {
      ++metrics_.hosted_refused_unregistered;
      continue;
    }
    if (!index_by_serial_.contains(hosted.serial()) && devices_.size() >= fleet_size_max_) {
      continue;
    }
    const std::uint32_t index = record_for(hosted.serial(), now);
    DeviceConnection& record = devices_[index];
    if (!record.hosted.empty() || std::find(carried.begin(), carried.end(), index) != carried.end())
      continue;  // a host cannot be carried, nor a device declared twice
    if (record.host != DeviceConnection::kNoHost && record.host != host) {
      std::erase(devices_[record.host].hosted, index);
    } else if (record.host == DeviceConnection::kNoHost && device_on(record.connection) == index) {
      unbind(record.connection);  // it spoke for itself before; now its host does
    }
    record.model = hosted.model();
    record.os_version = hosted.os_version();
    record.tier = 2;
    record.connection = devices_[host].connection;
    record.host = host;
    ++record.hellos;
    carried.push_back(index);
    mark_connected(now, index);
  }
  for (std::uint32_t before : devices_[host].hosted) {
    if (std::find(carried.begin(), carried.end(), before) != carried.end()) continue;
    devices_[before].host = DeviceConnection::kNoHost;
    mark_disconnected(now, before, DisconnectReason::kConnectionClosed);
  }
  devices_[host].hosted = std::move(carried);
}

Result<DeviceRecord> PlatformNode::claim(Time now, const ClaimRequest& request, core::Outbox& out) {
  assert(control_plane_ != nullptr);
  DeviceRegistry& registry = control_plane_->registry;
  const std::optional<std::string_view> profile =
      request.profile ? std::optional<std::string_view>(*request.profile) : std::nullopt;
  const std::optional<std::string_view> group =
      request.resource_group ? std::optional<std::string_view>(*request.resource_group)
                             : std::nullopt;
  Result<DeviceRecord> claimed =
      request.host
          ? registry.claim_via_host(now, request.actor, request.organization, *request.host,
                                    request.serial, request.oak, profile, group)
          : registry.claim(now, request.actor, request.organization, request.serial, request.oak,
                           profile, group);
  if (!claimed.ok()) return claimed;
  onboarding_deadlines_[request.serial] = now + onboarding_.timeout;
  if (trace_) {
    trace_->record(now, core::TraceEvent::kOnboarding,
                   static_cast<std::uint64_t>(OnboardingStatus::kOnboarding),
                   request.serial.size());
  }
  provision(now, request.serial, out);
  return claimed;
}

void PlatformNode::provision_pending(Time now, std::uint32_t index, core::Outbox& out) {
  if (onboarding_deadlines_.empty()) return;
  if (onboarding_deadlines_.contains(devices_[index].serial)) {
    provision(now, devices_[index].serial, out);
  }
  for (std::uint32_t hosted : devices_[index].hosted) {
    if (onboarding_deadlines_.contains(devices_[hosted].serial)) {
      provision(now, devices_[hosted].serial, out);
    }
  }
}

void PlatformNode::provision(Time now, const std::string& serial, core::Outbox& out) {
  const auto found = index_by_serial_.find(serial);
  if (found == index_by_serial_.end()) return;  // never connected: provisioned at its hello
  const DeviceConnection& record = devices_[found->second];
  if (record.status != ConnectionStatus::kConnected) return;
  const DeviceRegistry& registry = control_plane_->registry;
  const Result<DeviceRecord> found_device = registry.device(serial);
  // Released meanwhile (its organization was deleted): nothing to provision; the sweep drops it.
  if (!found_device.ok() || found_device.value().state.status != OnboardingStatus::kOnboarding) {
    return;
  }
  const DeviceRecord& device = found_device.value();
  const DeviceProfile profile =
      registry.profile(device.state.organization, device.state.profile).value();
  wire::Envelope& message = reply_;
  message.Clear();
  wire::Provision* p = message.mutable_provision();
  p->set_serial(serial);
  p->set_organization(device.state.organization);
  p->set_profile(profile.name);
  p->set_mode(std::string(device_mode_name(profile.mode)));
  p->set_os_track(profile.os_track);
  const std::string& receiver =
      record.host == DeviceConnection::kNoHost ? serial : devices_[record.host].serial;
  send(now, record.connection, receiver, message, 0, out);
  ++metrics_.provisions_sent;
}

bool PlatformNode::speaks_for(ConnectionId connection, const std::string& serial) const {
  const auto found = index_by_serial_.find(serial);
  if (found == index_by_serial_.end()) return false;
  const DeviceConnection& record = devices_[found->second];
  const std::uint32_t on = device_on(connection);
  return on != kNoDevice && record.status == ConnectionStatus::kConnected &&
         (on == found->second || record.host == on);
}

void PlatformNode::on_provision_ack(Time now, ConnectionId connection, const wire::Envelope& in,
                                    core::Outbox& out) {
  const wire::ProvisionAck& ack = in.provision_ack();
  if (control_plane_ == nullptr || !speaks_for(connection, ack.serial())) {
    ++metrics_.frames_without_hello;
    return;
  }
  const auto pending = onboarding_deadlines_.find(ack.serial());
  if (pending == onboarding_deadlines_.end()) {
    ++metrics_.provision_acks_unexpected;  // repeated (a Provision sent again), or late
    return;
  }
  onboarding_deadlines_.erase(pending);
  DeviceRegistry& registry = control_plane_->registry;
  if (!ack.accepted()) {
    ++metrics_.onboardings_refused;
    (void)registry.fail_onboarding(now, ack.serial(),
                                   "device refused provisioning: " + ack.reason());
    if (trace_) {
      trace_->record(now, core::TraceEvent::kOnboarding,
                     static_cast<std::uint64_t>(OnboardingStatus::kFailed), ack.serial().size());
    }
    return;
  }
  auto completed =
      registry.complete_onboarding(now, ack.serial(), ack.os_version(), ack.os_track());
  if (!completed.ok()) {
    ++metrics_.commands_refused;
    (void)registry.fail_onboarding(now, ack.serial(),
                                   "device reported bad facts: " + completed.error().message);
    return;
  }
  ++metrics_.onboardings_completed;
  if (trace_) {
    trace_->record(now, core::TraceEvent::kOnboarding,
                   static_cast<std::uint64_t>(OnboardingStatus::kOnboarded), ack.serial().size());
  }
  const std::uint32_t index = index_by_serial_.find(ack.serial())->second;
  devices_[index].os_version = ack.os_version();
  report_connection(now, index, ConnectionStatus::kConnected);
  tell_mode(now, ack.serial(), DeviceMode::kStandalone, "onboarded", out);
}

void PlatformNode::on_device_report(Time now, ConnectionId connection, const wire::Envelope& in,
                                    core::Outbox& out) {
  const wire::DeviceReport& report = in.device_report();
  if (control_plane_ == nullptr || !speaks_for(connection, report.serial())) {
    ++metrics_.frames_without_hello;
    return;
  }
  ++metrics_.device_reports;
  DeviceRegistry& registry = control_plane_->registry;
  auto before = registry.device(report.serial());
  if (!before.ok()) {
    ++metrics_.commands_refused;
    return;
  }
  Result<Done> reported = Done{};
  std::string_view cause;
  switch (report.fact_case()) {
    case wire::DeviceReport::kAppInstalled:
      reported = registry.report_app_installed(now, report.serial(), report.app_installed());
      cause = "app_installed";
      break;
    case wire::DeviceReport::kLocalAdministratorUsed:
      reported = registry.report_local_administrator_used(now, report.serial());
      cause = "local_administrator_used";
      break;
    case wire::DeviceReport::kOs:
      reported =
          registry.report_os(now, report.serial(), report.os().version(), report.os().track());
      if (reported.ok()) {
        devices_[index_by_serial_.find(report.serial())->second].os_version = report.os().version();
      }
      cause = "os_reported";
      break;
    case wire::DeviceReport::FACT_NOT_SET:
      assert(false && "decode_frame refuses reports without a fact");
      return;
  }
  if (!reported.ok()) {
    ++metrics_.commands_refused;
    return;
  }
  tell_mode(now, report.serial(), before.value().state.mode, cause, out);
}

Result<std::vector<std::string>> PlatformNode::set_latest_lts_track(Time now,
                                                                    std::string_view track,
                                                                    core::Outbox& out) {
  assert(control_plane_ != nullptr);
  auto fell_back = control_plane_->registry.set_latest_lts_track(now, track);
  if (!fell_back.ok()) return fell_back;
  for (const std::string& serial : fell_back.value()) {
    // A device that never said hello has no connection to be told on.
    if (index_by_serial_.contains(serial)) {
      tell_mode(now, serial, DeviceMode::kManaged, "latest_lts_moved", out);
    }
  }
  return fell_back;
}

void PlatformNode::tell_mode(Time now, const std::string& serial, DeviceMode before,
                             std::string_view cause, core::Outbox& out) {
  const DeviceMode after = control_plane_->registry.device(serial).value().state.mode;
  if (after == before) return;
  if (trace_) {
    trace_->record(now, core::TraceEvent::kOnboarding, 100 + static_cast<std::uint64_t>(after),
                   serial.size());
  }
  const DeviceConnection& record = devices_[index_by_serial_.find(serial)->second];
  if (record.status != ConnectionStatus::kConnected) return;
  wire::Envelope& message = reply_;
  message.Clear();
  wire::ModeChange* change = message.mutable_mode_change();
  change->set_serial(serial);
  change->set_mode(std::string(device_mode_name(after)));
  change->set_cause(std::string(cause));
  const std::string& receiver =
      record.host == DeviceConnection::kNoHost ? serial : devices_[record.host].serial;
  send(now, record.connection, receiver, message, 0, out);
  ++metrics_.mode_changes_sent;
}

void PlatformNode::report_connection(Time now, std::uint32_t index, ConnectionStatus status) {
  if (control_plane_ == nullptr) return;
  // Only onboarded devices keep connection facts; the registry refuses the others.
  (void)control_plane_->registry.report_connection(now, devices_[index].serial, status);
}

void PlatformNode::expire_onboardings(Time now, core::Outbox& out) {
  for (auto it = onboarding_deadlines_.begin(); it != onboarding_deadlines_.end();) {
    const Result<DeviceRecord> device = control_plane_->registry.device(it->first);
    if (!device.ok() || device.value().state.status != OnboardingStatus::kOnboarding) {
      // Released meanwhile (its organization was deleted): no onboarding left to finish.
      it = onboarding_deadlines_.erase(it);
      continue;
    }
    const auto found = index_by_serial_.find(it->first);
    const bool connected = found != index_by_serial_.end() &&
                           devices_[found->second].status == ConnectionStatus::kConnected;
    if (it->second > now) {
      // Still in time: a Provision may have been lost on the way, so it goes again.
      if (connected) provision(now, it->first, out);
      ++it;
      continue;
    }
    const std::string reason = std::string(connected ? "device did not answer its provisioning"
                                                     : "device did not connect") +
                               " within " + core::duration_text(onboarding_.timeout);
    (void)control_plane_->registry.fail_onboarding(now, it->first, reason);
    ++metrics_.onboardings_timed_out;
    if (trace_) {
      trace_->record(now, core::TraceEvent::kOnboarding,
                     static_cast<std::uint64_t>(OnboardingStatus::kFailed), it->first.size());
    }
    it = onboarding_deadlines_.erase(it);
  }
}

void PlatformNode::on_heartbeat(Time now, ConnectionId connection, const wire::Envelope& in,
                                core::Outbox& out) {
  const std::uint32_t index = device_on(connection);
  if (index == kNoDevice) {
    ++metrics_.frames_without_hello;
    return;
  }
  ++metrics_.heartbeats_received;
  DeviceConnection& record = devices_[index];
  ++record.heartbeats;
  // A host given up on for missed heartbeats whose late heartbeat arrives is back: the Task
  // Manager must learn it, as from a hello.
  const bool back = record.status != ConnectionStatus::kConnected;
  mark_connected(now, index);
  wire::Envelope& reply = reply_;
  reply.Clear();
  reply.mutable_heartbeat_ack()->set_sequence(in.heartbeat().sequence());
  send(now, connection, record.serial, reply, in.correlation_id(), out);
  if (back && control_plane_ != nullptr && record.host == DeviceConnection::kNoHost) {
    host_online(now, index, out);
  }
}

void PlatformNode::on_goodbye(Time now, ConnectionId connection) {
  const std::uint32_t index = device_on(connection);
  if (index == kNoDevice) {
    ++metrics_.frames_without_hello;
    return;
  }
  ++metrics_.goodbyes_received;
  unbind(connection);
  mark_disconnected(now, index, DisconnectReason::kGoodbye);
}

void PlatformNode::on_connection_closed(Time now, ConnectionId connection) {
  const std::uint32_t index = device_on(connection);
  if (index == kNoDevice) return;
  unbind(connection);
  mark_disconnected(now, index, DisconnectReason::kConnectionClosed);
}

std::uint32_t PlatformNode::device_on(ConnectionId connection) const {
  if (connection < kDenseConnectionIdsMax) {
    return connection < index_by_connection_.size() ? index_by_connection_[connection] : kNoDevice;
  }
  auto found = index_by_sparse_connection_.find(connection);
  return found == index_by_sparse_connection_.end() ? kNoDevice : found->second;
}

void PlatformNode::bind(ConnectionId connection, std::uint32_t index) {
  assert(index != kNoDevice);
  if (connection >= kDenseConnectionIdsMax) {
    index_by_sparse_connection_[connection] = index;
    return;
  }
  if (connection >= index_by_connection_.size()) {
    index_by_connection_.resize(
        std::max<std::size_t>(connection + 1, 2 * index_by_connection_.size()), kNoDevice);
  }
  index_by_connection_[connection] = index;
}

void PlatformNode::unbind(ConnectionId connection) {
  if (connection >= kDenseConnectionIdsMax) {
    index_by_sparse_connection_.erase(connection);
  } else if (connection < index_by_connection_.size()) {
    index_by_connection_[connection] = kNoDevice;
  }
}

void PlatformNode::on_wakeup(Time now, core::Outbox& out) {
  if (control_plane_ != nullptr && tasks_wakeup_ && *tasks_wakeup_ <= now) {
    tasks_wakeup_.reset();
    flush_tasks(now, out);
  }
  if (next_return_ && *next_return_ <= now) send_home(now, out);
  if (session_wakeup_ && *session_wakeup_ <= now) expire_sessions(now, out);
  if (now < next_sweep_) return;  // a wake-up that no longer matches the sweep deadline
  sweep(now);
  if (!onboarding_deadlines_.empty()) expire_onboardings(now, out);
  if (control_plane_ != nullptr) control_plane_->audit_log.enforce_retention(now);
  next_sweep_ = now + policy_.interval;
  out.wakeups.push_back(next_sweep_);
}

void PlatformNode::sweep(Time now) {
  const Duration silence_max = policy_.interval * policy_.missed_heartbeats_max;
  for (std::uint32_t index = 0; index < devices_.size(); ++index) {
    const DeviceConnection& record = devices_[index];
    if (record.host != DeviceConnection::kNoHost) continue;  // it follows its host
    if (record.status == ConnectionStatus::kConnected && now - record.last_seen > silence_max) {
      ++metrics_.disconnects_detected;
      mark_disconnected(now, index, DisconnectReason::kMissedHeartbeats);
    }
  }
}

void PlatformNode::mark_connected(Time now, std::uint32_t index, bool hosted_too) {
  DeviceConnection& record = devices_[index];
  record.last_seen = now;
  if (record.status == ConnectionStatus::kConnected) return;
  if (record.disconnects > 0) {
    ++metrics_.reconnects;
    metrics_.disconnected_us.add(
        static_cast<std::uint64_t>((now - record.disconnected_at).count()));
  }
  record.status = ConnectionStatus::kConnected;
  ++connected_count_;
  metrics_.peak_connected = std::max<std::uint64_t>(metrics_.peak_connected, connected_count_);
  if (trace_) trace_->record(now, core::TraceEvent::kStatusChange, index, 1);
  report_connection(now, index, ConnectionStatus::kConnected);
  if (!hosted_too) return;
  for (std::uint32_t hosted : record.hosted) mark_connected(now, hosted);
}

void PlatformNode::mark_disconnected(Time now, std::uint32_t index, DisconnectReason reason) {
  DeviceConnection& record = devices_[index];
  if (record.status == ConnectionStatus::kDisconnected) return;
  assert(connected_count_ > 0);
  record.status = ConnectionStatus::kDisconnected;
  record.last_disconnect = reason;
  record.disconnected_at = now;
  ++record.disconnects;
  --connected_count_;
  if (trace_) {
    trace_->record(now, core::TraceEvent::kStatusChange, index, 0,
                   static_cast<std::uint64_t>(reason));
  }
  report_connection(now, index, ConnectionStatus::kDisconnected);
  if (!signaling_.empty()) end_sessions_of(now, record.serial);
  if (regions_.several()) {
    regions_.set_away(index, record.home_region, false);
    regions_.set_draining(index, record.region, false);
  }
  if (control_plane_ != nullptr && record.host == DeviceConnection::kNoHost &&
      !task_manager_down_) {
    control_plane_->tasks.host_disconnected(now, record.serial);
  }
  for (std::uint32_t hosted : record.hosted) mark_disconnected(now, hosted, reason);
}

void PlatformNode::set_regions(std::vector<RegionPolicy> regions) {
  assert(devices_.empty() && "regions are set before any device says hello");
  regions_ = RegionalEndpoints(std::move(regions));
}

void PlatformNode::on_connection_opened(Time, ConnectionId connection, std::uint32_t region) {
  assert(region < std::max<std::size_t>(1, regions_.count()));
  if (connection >= kDenseConnectionIdsMax) {
    region_by_sparse_connection_[connection] = region;
    return;
  }
  if (connection >= region_by_connection_.size()) {
    region_by_connection_.resize(
        std::max<std::size_t>(connection + 1, 2 * region_by_connection_.size()), 0);
  }
  region_by_connection_[connection] = static_cast<std::uint8_t>(region);
}

std::uint32_t PlatformNode::region_of(ConnectionId connection) const {
  if (connection < kDenseConnectionIdsMax) {
    return connection < region_by_connection_.size() ? region_by_connection_[connection] : 0;
  }
  const auto found = region_by_sparse_connection_.find(connection);
  return found == region_by_sparse_connection_.end() ? 0 : found->second;
}

void PlatformNode::set_region_up(Time now, std::uint32_t region, bool up, core::Outbox& out) {
  if (!regions_.several()) return;
  regions_.set_up(region, up);
  if (up) look_for_moves(now, out);
}

void PlatformNode::drain_region(Time now, std::uint32_t region, core::Outbox& out) {
  if (!regions_.several()) return;
  regions_.drain(region);
  for (std::uint32_t index = 0; index < devices_.size(); ++index) {
    const DeviceConnection& record = devices_[index];
    if (record.status == ConnectionStatus::kConnected && record.host == DeviceConnection::kNoHost &&
        record.region == region) {
      regions_.set_draining(index, region, true);
    }
  }
  look_for_moves(now, out);
}

void PlatformNode::look_for_moves(Time at, core::Outbox& out) {
  if (!regions_.anyone_to_move() || (next_return_ && *next_return_ <= at)) return;
  next_return_ = at;
  out.wakeups.push_back(at);
}

// Sends the devices whose turn it is a Redirect: home, or off a draining region; looks again each
// second while any device is to move.
void PlatformNode::send_home(Time now, core::Outbox& out) {
  constexpr Duration kReturnTick = std::chrono::seconds(1);
  next_return_.reset();
  const std::vector<RegionalEndpoints::Move> moves =
      regions_.moving(now, [this](std::uint32_t index) {
        return std::pair{devices_[index].home_region, devices_[index].region};
      });
  for (const RegionalEndpoints::Move& move : moves) {
    const DeviceConnection& record = devices_[move.record];
    if (record.status != ConnectionStatus::kConnected) continue;
    wire::Envelope& message = reply_;
    message.Clear();
    message.mutable_redirect()->set_region(regions_.name(move.to));
    send(now, record.connection, record.serial, message, 0, out);
    ++metrics_.redirects_sent;
  }
  if (!regions_.anyone_to_move()) return;
  next_return_ = now + kReturnTick;
  out.wakeups.push_back(*next_return_);
}

void PlatformNode::send(Time now, ConnectionId connection, const std::string& destination,
                        wire::Envelope& envelope, std::uint64_t correlation_id, core::Outbox& out) {
  envelope.set_source(std::string(kPlatformAddress));
  envelope.set_destination(destination);
  envelope.set_correlation_id(correlation_id);
  envelope.set_sent_at_us(static_cast<std::uint64_t>(now.count()));
  out.sends.push_back({connection, wire::encode_frame(envelope)});
}

}  // namespace ccsim::platform

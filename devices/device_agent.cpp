#include "devices/device_agent.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace ccsim::devices {
namespace {
// The platform address every agent writes as destination.
constexpr std::string_view kPlatformAddress = "platform";
// The connection id an agent uses for its single connection to the platform.
constexpr core::ConnectionId kPlatformConnection = 0;

// Envelopes reused across calls: agents run one at a time on a thread, and building a fresh
// protobuf message per frame costs several allocations (which a 100,000-camera run notices).
// One for frames going out, one for frames coming in, so that answering a frame never
// overwrites the frame being answered.
wire::Envelope& scratch_envelope() {
  thread_local wire::Envelope envelope;
  envelope.Clear();
  return envelope;
}
wire::Envelope& scratch_received_envelope() {
  thread_local wire::Envelope envelope;
  return envelope;  // decode_frame clears it
}
// What the device host hands back from one call, sent at once by send_host_work; shared by the
// agents of a thread, as the envelopes above, to keep the agent small.
std::vector<wire::Envelope>& host_sends() {
  thread_local std::vector<wire::Envelope> sends;
  return sends;
}
std::vector<core::Time>& host_wakeups() {
  thread_local std::vector<core::Time> wakeups;
  return wakeups;
}
}  // namespace

std::string_view agent_state_name(AgentState state) {
  switch (state) {
    case AgentState::kIdle:
      return "idle";
    case AgentState::kConnecting:
      return "connecting";
    case AgentState::kHelloSent:
      return "hello_sent";
    case AgentState::kOnline:
      return "online";
    case AgentState::kRefused:
      return "refused";
    case AgentState::kDone:
      return "done";
    case AgentState::kOff:
      return "off";
  }
  return "unknown";
}

std::string_view local_mode_name(LocalMode mode) {
  switch (mode) {
    case LocalMode::kStandalone:
      return "standalone";
    case LocalMode::kConnected:
      return "connected";
    case LocalMode::kManaged:
      return "managed";
  }
  return "unknown";
}

DeviceAgent::DeviceAgent(DeviceIdentity identity, const DeviceAgentConfig& config,
                         core::RandomStream random)
    : identity_(std::move(identity)),
      config_(config),
      random_(random),
      heartbeat_interval_(config.heartbeat_interval),
      modes_(1 + identity_.hosted.size(), LocalMode::kStandalone) {
  assert(!identity_.serial.empty());
  assert(identity_.hosted.size() <= wire::kHostedDevicesMax);
  assert(config_.heartbeat_interval > Duration::zero());
  assert(config_.unacked_heartbeats_max >= 1);
}

void DeviceAgent::arm(Time at, Deadline kind, core::Outbox& out) {
  deadline_ = at;
  deadline_kind_ = kind;
  out.wakeups.push_back(at);
}

void DeviceAgent::start(Time now, core::Outbox& out) {
  assert(state_ == AgentState::kIdle && deadline_kind_ == Deadline::kNone);
  const auto spread = static_cast<std::uint64_t>(config_.start_spread.count());
  const Duration delay(spread == 0 ? 0 : static_cast<std::int64_t>(random_.next_below(spread)));
  arm(now + delay, Deadline::kConnect, out);
}

void DeviceAgent::start_at(Time at, core::Outbox& out) {
  assert(state_ == AgentState::kIdle && deadline_kind_ == Deadline::kNone);
  arm(at, Deadline::kConnect, out);
}

DeviceHost& DeviceAgent::host() {
  if (!host_) {
    host_ = std::make_unique<DeviceHost>(identity_.serial, config_.host,
                                         random_.fork(core::kDeviceHostSubstream));
  }
  return *host_;
}

void DeviceAgent::send_host_work(Time now, core::Outbox& out) {
  for (wire::Envelope& envelope : host_sends()) send(now, envelope, out);
  host_sends().clear();
  out.wakeups.insert(out.wakeups.end(), host_wakeups().begin(), host_wakeups().end());
  host_wakeups().clear();
  if (!host_) return;
  std::vector<core::Outbox::Transfer>& transfers = host_->transfers();
  out.transfers.insert(out.transfers.end(), transfers.begin(), transfers.end());
  transfers.clear();
}

void DeviceAgent::on_transfer_done(Time now, std::uint64_t transfer, core::Outbox& out) {
  if (!host_ || state_ == AgentState::kOff) return;  // no host, no transfer of its
  host_->on_transfer_done(now, transfer, identity_, state_ == AgentState::kOnline, host_sends(),
                          host_wakeups());
  send_host_work(now, out);
}

void DeviceAgent::restart(Time now, core::Outbox& out) {
  ++metrics_.restarts;
  going_offline(now);
  if (state_ != AgentState::kIdle && state_ != AgentState::kDone) {
    out.closes.push_back({kPlatformConnection});
  }
  if (state_ == AgentState::kDone) return;
  state_ = AgentState::kIdle;
  backoff_step_ = 0;
  host().restart(now, identity_, host_wakeups());
  send_host_work(now, out);
  arm(now + kHostBootTime, Deadline::kConnect, out);
}

void DeviceAgent::power_off(Time now) {
  assert(power_holds_ < std::numeric_limits<std::uint8_t>::max() && "faults overlap too deep");
  if (power_holds_++ > 0 || state_ == AgentState::kDone) return;
  going_offline(now);
  state_ = AgentState::kOff;
  deadline_kind_ = Deadline::kNone;
}

void DeviceAgent::power_on(Time now, core::Outbox& out) {
  if (power_holds_ == 0 || --power_holds_ > 0 || state_ != AgentState::kOff) return;
  state_ = AgentState::kIdle;  // its connection died with the power: nothing to close
  restart(now, out);
}

bool DeviceAgent::add_device_locally(Time now, std::string_view serial, core::Outbox& out) {
  const std::size_t index = local_index(serial);
  if (index == std::string_view::npos || index == 0) return false;
  const bool adopted = host().adopt(now, serial, identity_, state_ == AgentState::kOnline,
                                    host_sends(), host_wakeups());
  send_host_work(now, out);
  return adopted;
}

void DeviceAgent::on_wakeup(Time now, core::Outbox& out) {
  if (state_ == AgentState::kOff) return;
  if (host_) {
    host_->on_wakeup(now, identity_, state_ == AgentState::kOnline, host_sends(), host_wakeups());
    send_host_work(now, out);
  }
  if (deadline_kind_ == Deadline::kNone || now < deadline_) return;  // stale wake-up
  const Deadline kind = deadline_kind_;
  deadline_kind_ = Deadline::kNone;
  switch (kind) {
    case Deadline::kConnect:
      state_ = AgentState::kConnecting;
      ++metrics_.connects_requested;
      out.connect = true;
      if (!config_.endpoint_orders.empty()) {
        out.connect_region = config_.endpoint_orders[identity_.home_region][endpoint_];
      }
      break;
    case Deadline::kHelloTimeout:
      next_endpoint();
      back_off(now, out);
      break;
    case Deadline::kHeartbeat:
      if (unacked_heartbeats_ >= config_.unacked_heartbeats_max) {
        ++metrics_.presumed_dead;
        back_off(now, out);
      } else {
        send_heartbeat(now, out);
      }
      break;
    case Deadline::kNone:
      break;
  }
}

void DeviceAgent::going_offline(Time now) {
  if (state_ == AgentState::kOnline) offline_since_ = now;
}

void DeviceAgent::back_off(Time now, core::Outbox& out, Duration at_least) {
  going_offline(now);
  // Full jitter: uniform below the step, so a cut-off fleet does not reconnect in lockstep.
  const auto cap =
      static_cast<std::uint64_t>(reconnect_delay_cap(config_.reconnect, backoff_step_).count());
  if (backoff_step_ < UINT32_MAX) ++backoff_step_;
  const Duration delay(static_cast<std::int64_t>(random_.next_below(cap)));
  state_ = AgentState::kIdle;
  arm(now + std::max(delay, at_least), Deadline::kConnect, out);
}

void DeviceAgent::next_endpoint() {
  if (config_.endpoint_orders.empty()) return;
  endpoint_ = (endpoint_ + 1) % static_cast<std::uint32_t>(config_.regions.size());
}

void DeviceAgent::on_redirect(Time now, const wire::Redirect& redirect, core::Outbox& out) {
  if (config_.endpoint_orders.empty() || state_ != AgentState::kOnline) return;
  const std::vector<std::uint32_t>& order = config_.endpoint_orders[identity_.home_region];
  for (std::uint32_t i = 0; i < order.size(); ++i) {
    if (config_.regions[order[i]] != redirect.region()) continue;
    going_offline(now);
    endpoint_ = i;
    out.closes.push_back({kPlatformConnection});
    state_ = AgentState::kIdle;
    backoff_step_ = 0;
    // Soon, not at once: a redirected device has a working connection to give up.
    arm(now + Duration(static_cast<std::int64_t>(random_.next_below(kRedirectSpread.count()))),
        Deadline::kConnect, out);
    return;
  }
}

void DeviceAgent::on_connected(Time now, core::Outbox& out) {
  if (state_ != AgentState::kConnecting) return;  // off, among others
  state_ = AgentState::kHelloSent;
  wire::Envelope& envelope = scratch_envelope();
  wire::DeviceHello* hello = envelope.mutable_hello();
  hello->set_serial(identity_.serial);
  hello->set_model(identity_.model);
  hello->set_tier(identity_.tier);
  hello->set_os_version(identity_.os_version);
  hello->set_agent_version("ccsim-agent/1");
  hello->set_os_track(identity_.os_track);
  hello->set_lan(identity_.lan);
  if (!config_.regions.empty()) hello->set_region(config_.regions[identity_.home_region]);
  for (const HostedIdentity& carried : identity_.hosted) {
    wire::HostedDevice* d = hello->add_hosted();
    d->set_serial(carried.serial);
    d->set_model(carried.model);
    d->set_os_version(carried.os_version);
    d->set_os_track(carried.os_track);
  }
  ++metrics_.hellos_sent;
  send(now, envelope, out);
  arm(now + config_.hello_timeout, Deadline::kHelloTimeout, out);
}

void DeviceAgent::on_disconnected(Time now, core::Outbox& out) {
  // Idle: the loss is already known and a retry is scheduled.
  if (state_ == AgentState::kDone || state_ == AgentState::kRefused ||
      state_ == AgentState::kIdle || state_ == AgentState::kOff) {
    return;
  }
  // A connection that never opened counts against its endpoint; one lost after it opened is
  // tried again there first.
  if (state_ == AgentState::kConnecting) next_endpoint();
  back_off(now, out);
}

void DeviceAgent::on_frame(Time now, std::string_view frame, core::Outbox& out) {
  if (state_ == AgentState::kOff) return;
  wire::Envelope& envelope = scratch_received_envelope();
  if (std::holds_alternative<wire::FrameError>(wire::decode_frame(frame, envelope))) {
    ++metrics_.frame_errors;
    return;
  }
  if (envelope.has_hello_ack()) {
    on_hello_ack(now, envelope.hello_ack(), out);
  } else if (envelope.has_heartbeat_ack()) {
    on_heartbeat_ack(now, envelope.heartbeat_ack(), out);
  } else if (envelope.has_provision()) {
    on_provision(now, envelope.provision(), out);
  } else if (envelope.has_mode_change()) {
    on_mode_change(envelope.mode_change());
  } else if (envelope.has_redirect()) {
    on_redirect(now, envelope.redirect(), out);
  } else if (envelope.has_signaling() && state_ == AgentState::kOnline) {
    on_signaling(now, envelope.signaling(), out);
  } else if (state_ == AgentState::kOnline &&
             host().on_envelope(now, envelope, identity_, host_sends(), host_wakeups())) {
    send_host_work(now, out);
  } else {
    ++metrics_.frame_errors;  // a body that travels device-to-cloud only
  }
}

// Every answer goes back for the same device: the camera itself, or the one its host carries.
void DeviceAgent::on_signaling(Time now, const wire::Signaling& signaling, core::Outbox& out) {
  if (!webrtc_) webrtc_ = std::make_unique<WebRtcPeer>(identity_.webrtc);
  for (std::string& text : webrtc_->on_signaling(signaling.json())) {
    wire::Envelope& envelope = scratch_envelope();
    envelope.mutable_signaling()->set_serial(signaling.serial());
    envelope.mutable_signaling()->set_json(std::move(text));
    send(now, envelope, out);
  }
}

void DeviceAgent::on_hello_ack(Time now, const wire::HelloAck& ack, core::Outbox& out) {
  if (state_ != AgentState::kHelloSent) return;  // a late answer to an abandoned hello
  if (!ack.accepted() && ack.retry_after_ms() > 0) {
    // Busy: this endpoint admits hellos at a bounded rate; come back after the wait it asks.
    ++metrics_.hellos_deferred;
    out.closes.push_back({kPlatformConnection});
    back_off(now, out, std::chrono::milliseconds(ack.retry_after_ms()));
    return;
  }
  if (!ack.accepted()) {
    state_ = AgentState::kRefused;
    deadline_kind_ = Deadline::kNone;
    return;
  }
  if (ack.heartbeat_interval_ms() > 0) {
    heartbeat_interval_ = std::chrono::milliseconds(ack.heartbeat_interval_ms());
  }
  state_ = AgentState::kOnline;
  backoff_step_ = 0;
  if (offline_since_ != kNotOffline && config_.offline_us != nullptr) {
    config_.offline_us->add(static_cast<std::uint64_t>((now - offline_since_).count()));
  }
  offline_since_ = kNotOffline;
  unacked_heartbeats_ = 0;
  heartbeat_sequence_ = 0;
  arm(now + heartbeat_interval_, Deadline::kHeartbeat, out);
  flush_reports(now, out);
  if (host_ || config_.host.release_check_interval > Duration::zero()) {
    host().on_online(now, identity_, host_sends(), host_wakeups());
    send_host_work(now, out);
  }
}

std::size_t DeviceAgent::local_index(std::string_view serial) const {
  if (serial == identity_.serial) return 0;
  for (std::size_t i = 0; i < identity_.hosted.size(); ++i) {
    if (identity_.hosted[i].serial == serial) return i + 1;
  }
  return std::string_view::npos;
}

void DeviceAgent::on_provision(Time now, const wire::Provision& provision, core::Outbox& out) {
  if (state_ != AgentState::kOnline) return;
  const std::size_t index = local_index(provision.serial());
  wire::Envelope& envelope = scratch_envelope();
  wire::ProvisionAck* ack = envelope.mutable_provision_ack();
  ack->set_serial(provision.serial());
  if (index == std::string_view::npos) {
    ++metrics_.provisions_refused;
    ack->set_accepted(false);
    ack->set_reason("not this device, nor one it carries");
  } else {
    ++metrics_.provisions_accepted;
    ack->set_accepted(true);
    const bool self = index == 0;
    ack->set_os_version(self ? identity_.os_version : identity_.hosted[index - 1].os_version);
    const std::string& track = self ? identity_.os_track : identity_.hosted[index - 1].os_track;
    // A device that does not know its track reports the one it is provisioned for.
    ack->set_os_track(track.empty() ? provision.os_track() : track);
  }
  send(now, envelope, out);
}

void DeviceAgent::on_mode_change(const wire::ModeChange& change) {
  const std::size_t index = local_index(change.serial());
  if (index == std::string_view::npos) {
    ++metrics_.frame_errors;
    return;
  }
  for (LocalMode mode : {LocalMode::kStandalone, LocalMode::kConnected, LocalMode::kManaged}) {
    if (local_mode_name(mode) == change.mode()) {
      modes_[index] = mode;
      ++metrics_.mode_changes;
      return;
    }
  }
  ++metrics_.frame_errors;  // a mode this agent does not know
}

bool DeviceAgent::install_app(Time now, std::string_view serial, std::string_view app,
                              core::Outbox& out) {
  if (local_index(serial) == std::string_view::npos) return false;
  wire::DeviceReport r;
  r.set_serial(std::string(serial));
  r.set_app_installed(std::string(app));
  report(now, std::move(r), out);
  return true;
}

bool DeviceAgent::use_local_administrator(Time now, std::string_view serial, core::Outbox& out) {
  if (local_index(serial) == std::string_view::npos) return false;
  wire::DeviceReport r;
  r.set_serial(std::string(serial));
  r.set_local_administrator_used(true);
  report(now, std::move(r), out);
  return true;
}

bool DeviceAgent::install_os(Time now, std::string_view serial, std::string_view version,
                             std::string_view track, core::Outbox& out) {
  const std::size_t index = local_index(serial);
  if (index == std::string_view::npos) return false;
  std::string& os_version =
      index == 0 ? identity_.os_version : identity_.hosted[index - 1].os_version;
  std::string& os_track = index == 0 ? identity_.os_track : identity_.hosted[index - 1].os_track;
  os_version = std::string(version);
  os_track = std::string(track);
  wire::DeviceReport r;
  r.set_serial(std::string(serial));
  r.mutable_os()->set_version(os_version);
  r.mutable_os()->set_track(os_track);
  report(now, std::move(r), out);
  return true;
}

void DeviceAgent::report(Time now, wire::DeviceReport report, core::Outbox& out) {
  if (reports_queued_.size() >= kReportsQueuedMax) {
    reports_queued_.erase(reports_queued_.begin());
    ++metrics_.reports_dropped;
  }
  reports_queued_.push_back(std::move(report));
  if (state_ == AgentState::kOnline) flush_reports(now, out);
}

void DeviceAgent::flush_reports(Time now, core::Outbox& out) {
  for (wire::DeviceReport& queued : reports_queued_) {
    wire::Envelope& envelope = scratch_envelope();
    *envelope.mutable_device_report() = std::move(queued);
    ++metrics_.reports_sent;
    send(now, envelope, out);
  }
  reports_queued_.clear();
}

void DeviceAgent::send_heartbeat(Time now, core::Outbox& out) {
  assert(state_ == AgentState::kOnline);
  wire::Envelope& envelope = scratch_envelope();
  wire::Heartbeat* heartbeat = envelope.mutable_heartbeat();
  heartbeat->set_sequence(++heartbeat_sequence_);
  heartbeat->set_uptime_s(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count()));
  ++unacked_heartbeats_;
  ++metrics_.heartbeats_sent;
  send(now, envelope, out);
  arm(now + heartbeat_interval_, Deadline::kHeartbeat, out);
}

void DeviceAgent::on_heartbeat_ack(Time now, const wire::HeartbeatAck& ack, core::Outbox& out) {
  if (state_ != AgentState::kOnline || ack.sequence() > heartbeat_sequence_) return;
  unacked_heartbeats_ = 0;
  ++metrics_.heartbeats_acked;
  if (config_.heartbeat_limit == 0 || metrics_.heartbeats_acked < config_.heartbeat_limit) return;
  wire::Envelope& envelope = scratch_envelope();
  envelope.mutable_goodbye()->set_reason("heartbeat limit reached");
  send(now, envelope, out);
  out.closes.push_back({kPlatformConnection});
  state_ = AgentState::kDone;
  deadline_kind_ = Deadline::kNone;
}

void DeviceAgent::send(Time now, wire::Envelope& envelope, core::Outbox& out) {
  envelope.set_source(identity_.serial);
  envelope.set_destination(std::string(kPlatformAddress));
  envelope.set_correlation_id(++correlation_counter_);
  envelope.set_sent_at_us(static_cast<std::uint64_t>((now + clock_ahead_).count()));
  out.sends.push_back({kPlatformConnection, wire::encode_frame(envelope)});
}

}  // namespace ccsim::devices

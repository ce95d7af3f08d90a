// The platform node's side of live sessions: each region's signaling service (signaling.h), the
// device end of its messages (Signaling frames over the device's websocket, or its host's), the
// viewer end (the sink the engine or the API gives), expiries on the node's wake-ups, and the
// sessions of a device that went away.
#include <cassert>

#include "platform/platform_node.h"

namespace ccsim::platform {

void PlatformNode::set_signaling(std::vector<SignalingConfig> regions, ViewerSink sink) {
  assert(control_plane_ != nullptr && signaling_.empty() && !regions.empty());
  for (SignalingConfig& config : regions) {
    signaling_.push_back(std::make_unique<Signaling>(std::move(config), control_plane_->registry,
                                                     control_plane_->tenancy,
                                                     control_plane_->audit_log));
  }
  viewer_sink_ = std::move(sink);
}

SignalingOutput PlatformNode::viewer_signaling(Time now, std::uint32_t region,
                                               std::string_view actor,
                                               std::string_view organization, std::string_view text,
                                               core::Outbox& out) {
  assert(region < signaling_.size());
  SignalingOutput result = signaling_[region]->from_viewer(now, actor, organization, text);
  if (result.to_device && !send_signaling(now, result.serial, *result.to_device, out)) {
    ++metrics_.signaling_undeliverable;
  }
  arm_session_expiry(out);
  return result;
}

bool PlatformNode::send_signaling(Time now, std::string_view serial, const std::string& text,
                                  core::Outbox& out) {
  const DeviceConnection* record = find(serial);
  if (record == nullptr || record->status != ConnectionStatus::kConnected) return false;
  const ConnectionId connection = record->host == DeviceConnection::kNoHost
                                      ? record->connection
                                      : devices_[record->host].connection;
  wire::Envelope& envelope = reply_;
  envelope.Clear();
  envelope.mutable_signaling()->set_serial(std::string(serial));
  envelope.mutable_signaling()->set_json(text);
  send(now, connection, std::string(serial), envelope, 0, out);
  return true;
}

// A device speaks for itself or a camera it carries; its region's service has its sessions.
void PlatformNode::on_signaling(Time now, ConnectionId connection, const wire::Envelope& in,
                                core::Outbox& out) {
  const wire::Signaling& message = in.signaling();
  if (signaling_.empty() || !speaks_for(connection, message.serial())) {
    ++metrics_.frames_without_hello;
    return;
  }
  const DeviceConnection& record = *find(message.serial());
  const std::uint32_t region =
      std::min<std::uint32_t>(record.region, static_cast<std::uint32_t>(signaling_.size() - 1));
  SignalingOutput result = signaling_[region]->from_device(now, message.serial(), message.json());
  if (!result.reply.empty()) (void)send_signaling(now, message.serial(), result.reply, out);
  if (result.to_viewer && viewer_sink_) viewer_sink_(now, result.session, *result.to_viewer);
  arm_session_expiry(out);
}

void PlatformNode::expire_sessions(Time now, core::Outbox& out) {
  session_wakeup_.reset();
  for (const std::unique_ptr<Signaling>& service : signaling_) {
    for (EndedSession& ended : service->expire(now)) {
      (void)send_signaling(now, ended.session.serial, ended.to_device, out);
      if (viewer_sink_) viewer_sink_(now, ended.session.id, std::move(ended.to_viewer));
    }
  }
  arm_session_expiry(out);
}

void PlatformNode::end_sessions_of(Time now, std::string_view serial) {
  for (const std::unique_ptr<Signaling>& service : signaling_) {
    for (EndedSession& ended : service->device_gone(now, serial)) {
      if (viewer_sink_) viewer_sink_(now, ended.session.id, std::move(ended.to_viewer));
    }
  }
}

void PlatformNode::arm_session_expiry(core::Outbox& out) {
  std::optional<Time> next;
  for (const std::unique_ptr<Signaling>& service : signaling_) {
    const std::optional<Time> expiry = service->next_expiry();
    if (expiry && (!next || *expiry < *next)) next = expiry;
  }
  if (!next || (session_wakeup_ && *session_wakeup_ <= *next)) return;
  session_wakeup_ = next;
  out.wakeups.push_back(*next);
}

}  // namespace ccsim::platform

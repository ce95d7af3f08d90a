#include "platform/platform_node.h"

#include <algorithm>
#include <cassert>
#include <sstream>

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

std::string describe_knowledge(const std::vector<DeviceRecord>& devices) {
  std::vector<const DeviceRecord*> sorted;
  sorted.reserve(devices.size());
  for (const DeviceRecord& record : devices) sorted.push_back(&record);
  std::sort(sorted.begin(), sorted.end(),
            [](const DeviceRecord* a, const DeviceRecord* b) { return a->serial < b->serial; });
  std::ostringstream text;
  for (const DeviceRecord* r : sorted) {
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

PlatformNode::PlatformNode(HeartbeatPolicy policy, std::size_t fleet_size_max, core::Trace* trace)
    : policy_(policy), fleet_size_max_(fleet_size_max), trace_(trace) {
  index_by_serial_.reserve(std::min(fleet_size_max_, kFleetSizeReserved));
  assert(policy_.interval > Duration::zero());
  assert(policy_.missed_heartbeats_max >= 1);
  assert(fleet_size_max_ >= 1 && fleet_size_max_ <= kFleetSizeMax);
}

void PlatformNode::start(Time now, core::Outbox& out) {
  next_sweep_ = now + policy_.interval;
  out.wakeups.push_back(next_sweep_);
}

const DeviceRecord* PlatformNode::find(std::string_view serial) const {
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
    default:
      // Acknowledgements travel cloud-to-device only; one arriving here is a confused peer.
      ++metrics_.frame_errors[static_cast<std::size_t>(wire::FrameErrorCode::kUnknownBody)];
      break;
  }
}

void PlatformNode::on_hello(Time now, ConnectionId connection, const wire::Envelope& in,
                            core::Outbox& out) {
  const wire::DeviceHello& hello = in.hello();
  wire::Envelope& reply = reply_;
  reply.Clear();
  wire::HelloAck* ack = reply.mutable_hello_ack();
  auto found = index_by_serial_.find(hello.serial());
  if (found == index_by_serial_.end() && devices_.size() >= fleet_size_max_) {
    ++metrics_.hellos_refused;
    ack->set_accepted(false);
    ack->set_reason("fleet full: this platform tracks at most " + std::to_string(fleet_size_max_) +
                    " devices");
    send(now, connection, hello.serial(), reply, in.correlation_id(), out);
    return;
  }
  std::uint32_t index = 0;
  if (found == index_by_serial_.end()) {
    index = static_cast<std::uint32_t>(devices_.size());
    DeviceRecord& record = devices_.emplace_back();
    record.serial = hello.serial();
    record.first_connected_at = now;
    index_by_serial_.emplace(hello.serial(), index);
  } else {
    index = found->second;
  }
  DeviceRecord& record = devices_[index];
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
  record.model = hello.model();
  record.os_version = hello.os_version();
  record.tier = hello.tier();
  record.connection = connection;
  ++record.hellos;
  bind(connection, index);
  ++metrics_.hellos_accepted;
  mark_connected(now, index);
  ack->set_accepted(true);
  ack->set_heartbeat_interval_ms(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(policy_.interval).count()));
  send(now, connection, record.serial, reply, in.correlation_id(), out);
}

void PlatformNode::on_heartbeat(Time now, ConnectionId connection, const wire::Envelope& in,
                                core::Outbox& out) {
  const std::uint32_t index = device_on(connection);
  if (index == kNoDevice) {
    ++metrics_.frames_without_hello;
    return;
  }
  ++metrics_.heartbeats_received;
  DeviceRecord& record = devices_[index];
  ++record.heartbeats;
  mark_connected(now, index);
  wire::Envelope& reply = reply_;
  reply.Clear();
  reply.mutable_heartbeat_ack()->set_sequence(in.heartbeat().sequence());
  send(now, connection, record.serial, reply, in.correlation_id(), out);
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
  if (now < next_sweep_) return;  // a wake-up that no longer matches the sweep deadline
  sweep(now);
  next_sweep_ = now + policy_.interval;
  out.wakeups.push_back(next_sweep_);
}

void PlatformNode::sweep(Time now) {
  const Duration silence_max = policy_.interval * policy_.missed_heartbeats_max;
  for (std::uint32_t index = 0; index < devices_.size(); ++index) {
    const DeviceRecord& record = devices_[index];
    if (record.status == ConnectionStatus::kConnected && now - record.last_seen > silence_max) {
      ++metrics_.disconnects_detected;
      mark_disconnected(now, index, DisconnectReason::kMissedHeartbeats);
    }
  }
}

void PlatformNode::mark_connected(Time now, std::uint32_t index) {
  DeviceRecord& record = devices_[index];
  record.last_seen = now;
  if (record.status == ConnectionStatus::kConnected) return;
  if (record.disconnects > 0) ++metrics_.reconnects;
  record.status = ConnectionStatus::kConnected;
  ++connected_count_;
  metrics_.peak_connected = std::max<std::uint64_t>(metrics_.peak_connected, connected_count_);
  if (trace_) trace_->record(now, core::TraceEvent::kStatusChange, index, 1);
}

void PlatformNode::mark_disconnected(Time now, std::uint32_t index, DisconnectReason reason) {
  DeviceRecord& record = devices_[index];
  if (record.status == ConnectionStatus::kDisconnected) return;
  assert(connected_count_ > 0);
  record.status = ConnectionStatus::kDisconnected;
  record.last_disconnect = reason;
  ++record.disconnects;
  --connected_count_;
  if (trace_) {
    trace_->record(now, core::TraceEvent::kStatusChange, index, 0,
                   static_cast<std::uint64_t>(reason));
  }
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

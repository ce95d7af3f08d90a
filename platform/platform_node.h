// The platform node: the cloud side of the device connection. It accepts device hellos, answers
// heartbeats, and keeps, for every device that ever said hello, what the platform knows of it:
// identity facts, connection status and why it last went disconnected. A device is marked
// disconnected when it says goodbye, when its connection closes, or when it misses
// `missed_heartbeats_max` heartbeat intervals in a row (found by a sweep every interval).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/node.h"
#include "core/trace.h"
#include "platform/connection_status.h"
#include "proto/frame.h"

namespace ccsim::platform {

using core::ConnectionId;
using core::Duration;
using core::Time;

inline constexpr std::string_view kPlatformAddress = "platform";
// Most devices one platform node tracks; hellos past it are refused with a reason.
inline constexpr std::size_t kFleetSizeMax = 1'000'000;

struct HeartbeatPolicy {
  Duration interval = std::chrono::minutes(5);
  std::uint32_t missed_heartbeats_max = 3;  // disconnected after this many silent intervals
};

enum class DisconnectReason : std::uint8_t {
  kNone,
  kMissedHeartbeats,
  kGoodbye,
  kConnectionClosed,
};
std::string_view disconnect_reason_name(DisconnectReason reason);

// What the platform knows of one device.
struct DeviceRecord {
  std::string serial;
  std::string model;
  std::string os_version;
  std::uint32_t tier = 0;
  ConnectionStatus status = ConnectionStatus::kDisconnected;
  DisconnectReason last_disconnect = DisconnectReason::kNone;
  ConnectionId connection = 0;
  Time first_connected_at{};
  Time last_seen{};
  std::uint64_t hellos = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t disconnects = 0;
};

struct PlatformMetrics {
  std::uint64_t hellos_accepted = 0;
  std::uint64_t hellos_refused = 0;
  std::uint64_t heartbeats_received = 0;
  std::uint64_t goodbyes_received = 0;
  std::uint64_t disconnects_detected = 0;       // by missed heartbeats
  std::uint64_t reconnects = 0;                 // a disconnected device connected again
  std::uint64_t frames_without_hello = 0;       // heartbeats on a connection that never said hello
  std::uint64_t peak_connected = 0;             // most devices connected at once
  std::array<std::uint64_t, 4> frame_errors{};  // indexed by wire::FrameErrorCode
  std::uint64_t frame_errors_total() const;
};

// The platform's knowledge as text, one line per device sorted by serial: serial, model, OS
// version, tier, status, last disconnect reason, hellos, heartbeats. Both drivers' runs of the
// same exchange must give the same text.
std::string describe_knowledge(const std::vector<DeviceRecord>& devices);

class PlatformNode {
 public:
  // `trace` may be null; it must outlive the node otherwise.
  PlatformNode(HeartbeatPolicy policy, std::size_t fleet_size_max, core::Trace* trace);

  // Arms the first sweep.
  void start(Time now, core::Outbox& out);
  void on_frame(Time now, ConnectionId connection, std::string_view frame, core::Outbox& out);
  void on_connection_closed(Time now, ConnectionId connection);
  void on_wakeup(Time now, core::Outbox& out);

  // Every device that ever said hello, in the order of their first hello.
  const std::vector<DeviceRecord>& devices() const { return devices_; }
  const DeviceRecord* find(std::string_view serial) const;
  std::size_t connected_count() const { return connected_count_; }
  const PlatformMetrics& metrics() const { return metrics_; }
  const HeartbeatPolicy& policy() const { return policy_; }

 private:
  void on_hello(Time now, ConnectionId connection, const wire::Envelope& in, core::Outbox& out);
  void on_heartbeat(Time now, ConnectionId connection, const wire::Envelope& in, core::Outbox& out);
  void on_goodbye(Time now, ConnectionId connection);
  void mark_connected(Time now, std::uint32_t index);
  void mark_disconnected(Time now, std::uint32_t index, DisconnectReason reason);
  void sweep(Time now);
  void send(Time now, ConnectionId connection, const std::string& destination,
            wire::Envelope& envelope, std::uint64_t correlation_id, core::Outbox& out);

  HeartbeatPolicy policy_;
  std::size_t fleet_size_max_;
  core::Trace* trace_;
  Time next_sweep_{};
  std::vector<DeviceRecord> devices_;
  // Lookups only; nothing that reaches output iterates these.
  std::unordered_map<std::string, std::uint32_t> index_by_serial_;
  // Which device a connection carries. Drivers number connections densely from zero (a device's
  // index in the simulator, a session counter on real sockets), so a vector serves; ids past
  // kDenseConnectionIdsMax go to a map, so a driver that numbers sparsely still works.
  static constexpr std::uint32_t kNoDevice = UINT32_MAX;
  static constexpr ConnectionId kDenseConnectionIdsMax = 4 * kFleetSizeMax;
  static constexpr std::size_t kFleetSizeReserved = 200'000;  // lookups sized up front
  std::uint32_t device_on(ConnectionId connection) const;     // kNoDevice if none
  void bind(ConnectionId connection, std::uint32_t index);
  void unbind(ConnectionId connection);
  std::vector<std::uint32_t> index_by_connection_;
  std::unordered_map<ConnectionId, std::uint32_t> index_by_sparse_connection_;
  std::size_t connected_count_ = 0;
  PlatformMetrics metrics_;
  wire::Envelope scratch_;  // reused for decoding, to spare allocations per frame
  wire::Envelope reply_;    // reused for answers
};

}  // namespace ccsim::platform

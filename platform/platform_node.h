// The platform node: the cloud side of the device connection. It accepts device hellos, answers
// heartbeats, and keeps, for every device that ever said hello, what the platform knows of it:
// identity facts, connection status and why it last went disconnected. A device is marked
// disconnected when it says goodbye, when its connection closes, or when it misses
// `missed_heartbeats_max` heartbeat intervals in a row (found by a sweep every interval).
// A recorder or edge host declares in its hello the Tier-2 devices it carries; they are
// connected through it, and go down with it.
//
// With a control plane attached the node is also the device end of onboarding and modes:
// - only devices the factory registered may say hello; the LAN a hello names is recorded;
// - a claim (claim()) sends the device, or the host that carries it, a Provision as soon as it
//   is connected, and again at each sweep while it is pending (a Provision may be lost); its
//   ProvisionAck completes the onboarding, or fails it with the device's reason; a device that
//   has not answered `onboarding.timeout` after the claim fails with that reason (found by the
//   sweep);
// - device hosts and edge hosts are the Task Manager's hosts: their hello tells it they are
//   connected, its dispatches, cancels and receipts go to them, their task updates come back to
//   it, and rollouts advance as its tasks finish (platform_node_work.cpp);
// - a host's release check is answered with what each of its devices should do (install now,
//   inside a window, or a recommendation for a connected device); telemetry of consented
//   devices feeds the insights, and a host learns which of its devices are consented;
// - device reports (an app installed, the local administrator used, a new OS) go to the
//   registry, and a device whose mode changes is told with a ModeChange;
// - connection changes of onboarded devices are kept among the registry's deep facts;
// - audit trails with a retention are pruned by age at each sweep.
// Without one (connection-only runs) every hello is accepted and nothing else happens.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/histogram.h"
#include "core/node.h"
#include "core/trace.h"
#include "platform/connection_status.h"
#include "platform/control_plane.h"
#include "platform/regional_endpoints.h"
#include "platform/signaling.h"
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

struct OnboardingPolicy {
  // A claimed device that has not accepted its provisioning this long after the claim fails.
  Duration timeout = std::chrono::minutes(10);
};

// A claim as a user makes it: one-click (serial + OAK), or local discovery through `host`.
struct ClaimRequest {
  std::string actor;
  std::string organization;
  std::string serial;
  std::string oak;
  std::optional<std::string> profile;         // else the organization's default
  std::optional<std::string> host;            // a recorder or edge host on the device's LAN
  std::optional<std::string> resource_group;  // the group the device joins (a site, say)
};

enum class DisconnectReason : std::uint8_t {
  kNone,
  kMissedHeartbeats,
  kGoodbye,
  kConnectionClosed,
};
std::string_view disconnect_reason_name(DisconnectReason reason);

// What the platform knows of one device.
struct DeviceConnection {
  std::string serial;
  std::string model;
  std::string os_version;
  std::uint32_t tier = 0;
  ConnectionStatus status = ConnectionStatus::kDisconnected;
  DisconnectReason last_disconnect = DisconnectReason::kNone;
  ConnectionId connection = 0;
  Time first_connected_at{};
  Time last_seen{};
  static constexpr std::uint32_t kNoHost = UINT32_MAX;
  std::uint32_t host = kNoHost;       // the record of the host carrying it, for Tier-2 devices
  std::vector<std::uint32_t> hosted;  // hosts: the records of the devices they carry
  std::uint64_t hellos = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t disconnects = 0;
  std::uint32_t region = 0;       // whose device endpoint its connection came through
  std::uint32_t home_region = 0;  // the region it belongs to (its hello says), else `region`
  Time disconnected_at{};         // when it was last marked disconnected
};

struct PlatformMetrics {
  std::uint64_t hellos_accepted = 0;
  std::uint64_t hellos_refused = 0;
  std::uint64_t heartbeats_received = 0;
  std::uint64_t goodbyes_received = 0;
  std::uint64_t disconnects_detected = 0;  // by missed heartbeats
  std::uint64_t reconnects = 0;            // a disconnected device connected again
  std::uint64_t frames_without_hello = 0;  // heartbeats on a connection that never said hello
  std::uint64_t peak_connected = 0;        // most devices connected at once
  std::uint64_t hellos_deferred = 0;       // answered "busy, retry after" by a rationing endpoint
  std::uint64_t redirects_sent = 0;        // devices sent back to their own region
  // How long each device the platform marked disconnected stayed so, in microseconds, counted
  // when it connected again.
  core::Histogram disconnected_us;
  std::array<std::uint64_t, 4> frame_errors{};  // indexed by wire::FrameErrorCode
  // With a control plane:
  std::uint64_t hellos_refused_unregistered = 0;  // serials the factory never registered
  std::uint64_t hosted_refused_unregistered = 0;  // hosted serials likewise (ignored)
  std::uint64_t provisions_sent = 0;
  std::uint64_t onboardings_completed = 0;
  std::uint64_t onboardings_refused = 0;  // the device answered its Provision with a refusal
  std::uint64_t onboardings_timed_out = 0;
  std::uint64_t device_reports = 0;
  std::uint64_t mode_changes_sent = 0;
  std::uint64_t commands_refused = 0;           // reports or acks the control plane refused
  std::uint64_t provision_acks_unexpected = 0;  // for no pending onboarding (repeated, late)
  std::uint64_t task_updates = 0;               // task messages from hosts
  std::uint64_t task_updates_lost = 0;          // ... that came while the Task Manager was down
  std::uint64_t task_notifications = 0;         // series completions users were told of
  std::uint64_t release_checks = 0;
  std::uint64_t signaling_undeliverable = 0;  // for a device with no connection at the moment
  std::uint64_t install_offers = 0;   // managed devices told to install (now, or in a window)
  std::uint64_t recommendations = 0;  // connected devices shown a version to deploy
  std::uint64_t telemetry_recorded = 0;
  std::uint64_t telemetry_refused = 0;  // without consent, or out of range
  std::uint64_t frame_errors_total() const;
};

// The platform's knowledge as text, one line per device sorted by serial: serial, model, OS
// version, tier, status, last disconnect reason, hellos, heartbeats. Both drivers' runs of the
// same exchange must give the same text.
std::string describe_knowledge(const std::vector<DeviceConnection>& devices);

class PlatformNode {
 public:
  // `trace` and `control_plane` may be null; they must outlive the node otherwise.
  PlatformNode(HeartbeatPolicy policy, std::size_t fleet_size_max, core::Trace* trace,
               ControlPlane* control_plane = nullptr, OnboardingPolicy onboarding = {});

  // A user's claim (needs a control plane), as DeviceRegistry::claim or claim_via_host; on
  // success the device is provisioned at once if it is connected, else when it says hello.
  Result<DeviceRecord> claim(Time now, const ClaimRequest& request, core::Outbox& out);

  // User commands of the Task Manager, rollouts and insights (they need a control plane), with
  // what they send to hosts. A firmware version must be a published release (kNotFound).
  Result<TaskSeries> create_task_series(Time now, std::string_view actor,
                                        std::string_view organization,
                                        const TaskSeriesRequest& request, core::Outbox& out);
  Result<const RolloutRecord*> start_rollout(Time now, std::string_view actor,
                                             std::string_view organization, RolloutRequest request,
                                             core::Outbox& out);
  Result<Done> set_diagnostics(Time now, std::string_view actor, std::string_view organization,
                               std::string_view device, bool granted, core::Outbox& out);
  // The platform learns of a newer LTS track (DeviceRegistry::set_latest_lts_track): managed
  // devices left on the previous one fall back to connected, and each that is connected is told
  // with a ModeChange. Returns the serials that fell back.
  Result<std::vector<std::string>> set_latest_lts_track(Time now, std::string_view track,
                                                        core::Outbox& out);
  // The version last recommended to each device, by serial.
  const std::map<std::string, std::string, std::less<>>& recommendations() const {
    return recommendations_;
  }
  // Series completions, newest last (at most kNotificationsKeptMax).
  const std::deque<TaskNotification>& notifications() const { return notifications_; }

  // The platform's regions, before start(); without, one region that admits every hello.
  void set_regions(std::vector<RegionPolicy> regions);
  // The driver opened `connection` on region `region`'s device endpoint, before its hello.
  void on_connection_opened(Time now, ConnectionId connection, std::uint32_t region);
  // A region's device endpoint went down or came back; once it is back, the devices that left it
  // are sent home a few each second (RegionalEndpoints).
  void set_region_up(Time now, std::uint32_t region, bool up, core::Outbox& out);
  // A region drains for an upgrade: it is down for new devices, and those connected through it
  // are sent to the next region of their list that is up, a few each second, so that none of
  // them finds its connection dead (set_region_up brings it back).
  void drain_region(Time now, std::uint32_t region, core::Outbox& out);
  // The Task Manager crashes (up false) or comes back (up true). Down, it takes no new work
  // (kFailedPrecondition) and what hosts send it about tasks is lost (they are not told it
  // arrived); back, it rebuilds from the global store (TaskManager::restart) and sends every
  // task it had sent and not seen finish again, to the hosts connected now.
  void set_task_manager_up(Time now, bool up, core::Outbox& out);
  bool task_manager_up() const { return !task_manager_down_; }
  const RegionalEndpoints& regions() const { return regions_; }

  // Live sessions (platform_node_signaling.cpp): a signaling service per region (needs a control
  // plane), and where what they have for viewers goes: `sink` is called at once, from inside the
  // call that produced it (a device's frame, an expiry, a device gone), with the session and text.
  using ViewerSink = std::function<void(Time now, const std::string& session, std::string text)>;
  void set_signaling(std::vector<SignalingConfig> regions, ViewerSink sink);
  // A viewer's message to region `region`'s service (the device's region when it connects); what
  // goes to the device is sent to it, the reply is returned.
  SignalingOutput viewer_signaling(Time now, std::uint32_t region, std::string_view actor,
                                   std::string_view organization, std::string_view text,
                                   core::Outbox& out);
  const Signaling* signaling(std::uint32_t region) const {
    return region < signaling_.size() ? signaling_[region].get() : nullptr;
  }

  // Arms the first sweep.
  void start(Time now, core::Outbox& out);
  void on_frame(Time now, ConnectionId connection, std::string_view frame, core::Outbox& out);
  void on_connection_closed(Time now, ConnectionId connection);
  void on_wakeup(Time now, core::Outbox& out);

  // Every device that ever said hello, in the order of their first hello.
  const std::vector<DeviceConnection>& devices() const { return devices_; }
  const DeviceConnection* find(std::string_view serial) const;
  std::size_t connected_count() const { return connected_count_; }
  const PlatformMetrics& metrics() const { return metrics_; }
  const HeartbeatPolicy& policy() const { return policy_; }
  const ControlPlane* control_plane() const { return control_plane_; }
  // Claimed devices waiting to accept their provisioning.
  std::size_t onboardings_pending() const { return onboarding_deadlines_.size(); }

 private:
  void on_hello(Time now, ConnectionId connection, const wire::Envelope& in, core::Outbox& out);
  void on_heartbeat(Time now, ConnectionId connection, const wire::Envelope& in, core::Outbox& out);
  void on_goodbye(Time now, ConnectionId connection);
  void on_provision_ack(Time now, ConnectionId connection, const wire::Envelope& in,
                        core::Outbox& out);
  void on_device_report(Time now, ConnectionId connection, const wire::Envelope& in,
                        core::Outbox& out);
  // Whether the hello may proceed; a refusal is answered here.
  bool admit(Time now, ConnectionId connection, const wire::Envelope& in, core::Outbox& out);
  // A hello came through `connection`: the device's region now, its home region, and whether it
  // is away from home (regions_.several() only).
  void note_region(Time now, std::uint32_t index, ConnectionId connection, std::string_view home,
                   core::Outbox& out);
  void update_hosted(Time now, std::uint32_t host, const wire::DeviceHello& hello,
                     core::Outbox& out);
  std::uint32_t record_for(const std::string& serial, Time now);
  // Whether `serial`, reached through `connection`, is the device on it or one it carries.
  bool speaks_for(ConnectionId connection, const std::string& serial) const;
  // Sends a Provision to a device that is onboarding and connected.
  void provision(Time now, const std::string& serial, core::Outbox& out);
  void provision_pending(Time now, std::uint32_t index, core::Outbox& out);
  void tell_mode(Time now, const std::string& serial, DeviceMode before, std::string_view cause,
                 core::Outbox& out);
  void report_connection(Time now, std::uint32_t index, ConnectionStatus status);
  void expire_onboardings(Time now, core::Outbox& out);
  // With `hosted_too`, the devices a host carries come back with it.
  void mark_connected(Time now, std::uint32_t index, bool hosted_too = true);
  void mark_disconnected(Time now, std::uint32_t index, DisconnectReason reason);
  void sweep(Time now);
  std::uint32_t region_of(ConnectionId connection) const;
  // Sends home (or off a draining region) the devices whose turn it is, and arms the next look
  // while any is to move.
  void send_home(Time now, core::Outbox& out);
  // Arms a look for devices to move at `at`, unless one is armed by then or nobody is to move.
  void look_for_moves(Time at, core::Outbox& out);
  // Device work (platform_node_work.cpp).
  // The connected device on `connection`, which sends for itself and what it carries; kNoDevice
  // (counted as a frame without hello) when there is none, or no control plane.
  std::uint32_t connected_host(ConnectionId connection);
  void on_task_update(Time now, ConnectionId connection, const wire::Envelope& in,
                      core::Outbox& out);
  void on_release_check(Time now, ConnectionId connection, const wire::Envelope& in,
                        core::Outbox& out);
  void on_telemetry(Time now, ConnectionId connection, const wire::Envelope& in);
  void on_signaling(Time now, ConnectionId connection, const wire::Envelope& in, core::Outbox& out);
  // Sends `text` to device `serial` over its connection or its host's; false when it has none.
  bool send_signaling(Time now, std::string_view serial, const std::string& text,
                      core::Outbox& out);
  // Ends the sessions past their expiry, or of a device that went away, telling both sides.
  void expire_sessions(Time now, core::Outbox& out);
  void end_sessions_of(Time now, std::string_view serial);
  void arm_session_expiry(core::Outbox& out);
  // A host said hello: what the Task Manager holds for it, and its devices' consents.
  void host_online(Time now, std::uint32_t index, core::Outbox& out);
  // Sends what the Task Manager has for connected hosts, advances rollouts, and arms the next
  // wake-up the Task Manager or a rollout needs.
  void flush_tasks(Time now, core::Outbox& out);
  void send_host_messages(Time now, const HostMessages& messages, core::Outbox& out);
  void send(Time now, ConnectionId connection, const std::string& destination,
            wire::Envelope& envelope, std::uint64_t correlation_id, core::Outbox& out);

  HeartbeatPolicy policy_;
  std::size_t fleet_size_max_;
  core::Trace* trace_;
  ControlPlane* control_plane_;
  OnboardingPolicy onboarding_;
  // Claimed devices not yet onboarded, by serial (so the sweep expires them in serial order).
  std::map<std::string, Time, std::less<>> onboarding_deadlines_;
  Time next_sweep_{};
  std::vector<DeviceConnection> devices_;
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
  static constexpr std::size_t kNotificationsKeptMax = 10'000;
  std::deque<TaskNotification> notifications_;
  std::map<std::string, std::string, std::less<>> recommendations_;
  std::optional<Time> tasks_wakeup_;  // the earliest wake-up asked for the Task Manager
  bool task_manager_down_ = false;
  RegionalEndpoints regions_;
  std::vector<std::unique_ptr<Signaling>> signaling_;  // by region; empty without live sessions
  ViewerSink viewer_sink_;
  std::optional<Time> session_wakeup_;  // the earliest session expiry a wake-up is armed for
  // The region each connection came through, as the driver said (dense ids; others in the map).
  std::vector<std::uint8_t> region_by_connection_;
  std::unordered_map<ConnectionId, std::uint32_t> region_by_sparse_connection_;
  std::optional<Time> next_return_;  // when to send the next devices home
};

}  // namespace ccsim::platform

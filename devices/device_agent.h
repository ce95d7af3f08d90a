// The device agent: what runs on a Tier-1 camera (its device host) to keep it connected to the
// platform. It opens a connection, says hello, sends a heartbeat every interval and expects each
// to be acknowledged. After `unacked_heartbeats_max` heartbeats in a row go unanswered, or when
// a hello is not answered in time, it presumes the connection dead and reconnects with a growing
// back-off (3, 6, 12, 24, then 30 s, as ONVIF Uplink devices do), each delay drawn uniformly
// below its step ("full jitter") so that a fleet cut off together does not come back together.
//
// With several platform regions, the device tries its own region's endpoint first. A connection
// lost is tried again at the same endpoint; an attempt that fails (the connection does not open,
// or the hello goes unanswered) moves to the next region in its list, nearest first, round and
// round. An endpoint that answers "busy, retry after" is tried again after at least that long; a
// Redirect sends the device to the region it names (home, once that region is back).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/histogram.h"
#include "core/node.h"
#include "core/random_stream.h"
#include "devices/device_host.h"
#include "devices/reconnect_backoff.h"
#include "devices/webrtc_peer.h"
#include "proto/frame.h"

namespace ccsim::devices {

using core::Duration;
using core::Time;

// What a device measures of itself, sent as telemetry once its owner consents to diagnostics.
struct TelemetryProfile {
  double load = 0.3;             // CPU load, in [0, 1]
  double sd_card_health = 1.0;   // remaining SD card endurance, in [0, 1]
  double crashes_per_day = 0.0;  // application crashes, on average
};

// A Tier-2 device a recorder or edge host carries on its LAN.
struct HostedIdentity {
  std::string serial;
  std::string model;
  std::string os_version;
  std::string os_track;
  TelemetryProfile telemetry;
};

struct DeviceIdentity {
  std::string serial;
  std::string model;
  std::string os_version;
  std::uint32_t tier = 1;
  std::string os_track;                // empty: not said in the hello
  std::string lan;                     // the LAN it sits on; empty: not said
  std::vector<HostedIdentity> hosted;  // recorders and edge hosts only
  TelemetryProfile telemetry;
  std::uint64_t uplink_bps = 50'000'000;  // its site's link, which image downloads cross
  std::uint32_t home_region = 0;          // index into DeviceAgentConfig::regions
  WebRtcAddresses webrtc;                 // where its live sessions' candidates are
};

// Reports a device keeps while it cannot send them (offline); past this the oldest is dropped.
inline constexpr std::size_t kReportsQueuedMax = 32;

// A device's management mode as the platform last told it.
enum class LocalMode : std::uint8_t { kStandalone, kConnected, kManaged };
std::string_view local_mode_name(LocalMode mode);

// Settings shared by a fleet of agents; one instance outlives all agents that point at it.
struct DeviceAgentConfig {
  Duration heartbeat_interval = std::chrono::minutes(5);  // until the platform says otherwise
  Duration hello_timeout = std::chrono::seconds(30);
  std::uint32_t unacked_heartbeats_max = 3;
  // Connect at a time drawn uniformly in [0, start_spread), so a fleet does not start as one.
  Duration start_spread = std::chrono::seconds(60);
  // After this many acknowledged heartbeats, say goodbye and stop; 0 means never (tests use it
  // to end both drivers in the same state).
  std::uint64_t heartbeat_limit = 0;
  ReconnectBackoff reconnect;
  // The device host's work: tasks, release checks, telemetry.
  DeviceHostConfig host;
  // The platform's regions, and for each the order a device of that region tries their device
  // endpoints in (its own first). Empty: one platform, one endpoint.
  std::vector<std::string> regions;
  std::vector<std::vector<std::uint32_t>> endpoint_orders;
  // Where agents add how long each was offline: from when a connection it was online on ended (as
  // it saw it) to its next accepted hello; null: nobody counts.
  core::Histogram* offline_us = nullptr;
};

// How long a redirected device waits, at most, before connecting to the region it was sent to.
inline constexpr Duration kRedirectSpread = std::chrono::seconds(1);

enum class AgentState : std::uint8_t {
  kIdle,        // waiting to (re)connect
  kConnecting,  // asked the driver for a connection
  kHelloSent,   // connected, waiting for the hello acknowledgement
  kOnline,      // acknowledged; heartbeating
  kRefused,     // the platform refused the hello; the agent stays quiet
  kDone,        // said goodbye after heartbeat_limit
  kOff,         // without power: hears nothing, sends nothing, until powered on
};
std::string_view agent_state_name(AgentState state);

struct AgentMetrics {
  std::uint32_t connects_requested = 0;
  std::uint32_t hellos_sent = 0;
  std::uint32_t hellos_deferred = 0;  // refused for now by a busy endpoint, tried again later
  std::uint32_t heartbeats_sent = 0;
  std::uint32_t heartbeats_acked = 0;
  std::uint32_t presumed_dead = 0;  // connections given up for lack of answers
  std::uint32_t frame_errors = 0;
  std::uint32_t provisions_accepted = 0;
  std::uint32_t provisions_refused = 0;  // for a serial this device neither is nor carries
  std::uint32_t reports_sent = 0;
  std::uint32_t reports_dropped = 0;  // the queue was full while offline
  std::uint32_t mode_changes = 0;
  std::uint32_t restarts = 0;
};

class DeviceAgent {
 public:
  // `config` must outlive the agent. `random` is this device's own stream.
  DeviceAgent(DeviceIdentity identity, const DeviceAgentConfig& config, core::RandomStream random);

  // Schedules the first connection attempt at a time drawn in [now, now + start_spread).
  void start(Time now, core::Outbox& out);
  // Schedules the first connection attempt at `at` (a fleet powered on in a set order).
  void start_at(Time at, core::Outbox& out);
  // The driver opened the connection asked for with Outbox::connect.
  void on_connected(Time now, core::Outbox& out);
  void on_frame(Time now, std::string_view frame, core::Outbox& out);
  // The driver lost the connection (closed by the peer, failed to open).
  void on_disconnected(Time now, core::Outbox& out);
  void on_wakeup(Time now, core::Outbox& out);
  // The driver carried the last byte of a transfer the agent asked for (Outbox::transfers).
  void on_transfer_done(Time now, std::uint64_t transfer, core::Outbox& out);

  // Local actions on the device itself or one it carries (`serial`), as a person at the site or
  // the device's own software would do them. Each becomes a report to the platform, sent at once
  // when online, else queued (kReportsQueuedMax) until the next accepted hello. False when
  // `serial` is neither this device nor one it carries.
  bool install_app(Time now, std::string_view serial, std::string_view app, core::Outbox& out);
  bool use_local_administrator(Time now, std::string_view serial, core::Outbox& out);
  bool install_os(Time now, std::string_view serial, std::string_view version,
                  std::string_view track, core::Outbox& out);

  // The device restarts: the connection drops, and the agent connects again once booted
  // (kHostBootTime). Its device host's task journal survives.
  void restart(Time now, core::Outbox& out);
  // The power goes: the device stops at once, saying nothing (its connection just goes silent).
  // Powered on, it boots (kHostBootTime) and connects again; its task journal survives. Faults
  // may overlap (a site's power loss during a device's crash): the device comes back only when
  // every power_off has had its power_on.
  void power_off(Time now);
  void power_on(Time now, core::Outbox& out);
  // The device's clock runs `ahead` of true time (NTP gone wrong, an RTC reset): what it stamps
  // (Envelope::sent_at_us) says so. Every time the platform sends it is a duration (a task's time
  // left, a window's start), so nothing it does depends on its clock.
  void set_clock_ahead(Duration ahead) { clock_ahead_ = ahead; }
  // A Tier-2 device (`serial`, one this host carries) was added on the LAN: the host adopts it
  // with a task of its own. False when `serial` is not carried here or the engine is full.
  bool add_device_locally(Time now, std::string_view serial, core::Outbox& out);

  const DeviceIdentity& identity() const { return identity_; }
  // The device host, once it has had work (null before).
  const DeviceHost* host() const { return host_.get(); }
  // The mode of this device (index 0) or of its hosted device index-1, as last told.
  LocalMode mode(std::size_t index = 0) const { return modes_[index]; }
  AgentState state() const { return state_; }
  const AgentMetrics& metrics() const { return metrics_; }
  // Its live sessions' side, once it has been sent signaling; null before.
  const WebRtcPeer* webrtc() const { return webrtc_.get(); }

 private:
  enum class Deadline : std::uint8_t { kNone, kConnect, kHelloTimeout, kHeartbeat };

  void arm(Time at, Deadline kind, core::Outbox& out);
  // Reconnects after a full-jitter delay, but no sooner than `at_least`.
  void back_off(Time now, core::Outbox& out, Duration at_least = Duration::zero());
  // The attempt at the current endpoint failed: the next attempt goes to the next region.
  void next_endpoint();
  // The agent leaves kOnline now: its time offline starts.
  void going_offline(Time now);
  void on_redirect(Time now, const wire::Redirect& redirect, core::Outbox& out);
  void send_heartbeat(Time now, core::Outbox& out);
  void send(Time now, wire::Envelope& envelope, core::Outbox& out);
  void on_signaling(Time now, const wire::Signaling& signaling, core::Outbox& out);
  void on_hello_ack(Time now, const wire::HelloAck& ack, core::Outbox& out);
  void on_heartbeat_ack(Time now, const wire::HeartbeatAck& ack, core::Outbox& out);
  void on_provision(Time now, const wire::Provision& provision, core::Outbox& out);
  void on_mode_change(const wire::ModeChange& change);
  // 0 for this device, 1 + i for hosted[i]; npos when neither.
  std::size_t local_index(std::string_view serial) const;
  void report(Time now, wire::DeviceReport report, core::Outbox& out);
  void flush_reports(Time now, core::Outbox& out);
  DeviceHost& host();
  // Sends the device host's envelopes and passes on its wake-ups.
  void send_host_work(Time now, core::Outbox& out);

  DeviceIdentity identity_;
  const DeviceAgentConfig& config_;
  core::RandomStream random_;
  Duration heartbeat_interval_;
  Time deadline_{};
  Deadline deadline_kind_ = Deadline::kNone;
  AgentState state_ = AgentState::kIdle;
  std::uint8_t power_holds_ = 0;  // power_offs not yet matched by a power_on
  Duration clock_ahead_{};
  std::uint32_t backoff_step_ = 0;
  std::uint32_t endpoint_ = 0;  // position in the endpoint order of the next or current attempt
  Time offline_since_ = kNotOffline;  // when its last online connection ended
  static constexpr Time kNotOffline = Time(-1);
  std::uint32_t unacked_heartbeats_ = 0;
  std::uint64_t heartbeat_sequence_ = 0;
  std::uint64_t correlation_counter_ = 0;
  std::vector<LocalMode> modes_;  // this device, then each hosted one
  std::vector<wire::DeviceReport> reports_queued_;
  AgentMetrics metrics_;
  std::unique_ptr<WebRtcPeer> webrtc_;  // made at the first signaling: most devices never stream
  // Created at its first work; on the heap, so the agent moves freely.
  std::unique_ptr<DeviceHost> host_;
};

}  // namespace ccsim::devices

// What a run measured, gathered at its end from the driver, the nodes and the engine: the
// sources every metric of metrics.h is read from.
#pragma once

#include <array>
#include <cstdint>

#include "core/histogram.h"
#include "platform/platform_node.h"
#include "platform/task_manager.h"
#include "scenarios/model/driver.h"

namespace ccsim::scenarios {

// What the timeline's user and device actions did, summed.
struct ActionCounters {
  std::uint64_t claims_attempted = 0;
  std::uint64_t claims_accepted = 0;
  std::array<std::uint64_t, 8> claims_refused{};  // indexed by platform::ErrorCode
  std::uint64_t live_video_granted = 0;
  std::uint64_t live_video_refused = 0;
  std::uint64_t device_actions = 0;          // local actions done on devices
  std::uint64_t device_actions_refused = 0;  // e.g. adopting a device on a host that is full
  std::uint64_t work_accepted = 0;  // task series and rollouts the platform took, by organization
  std::uint64_t work_refused = 0;
  std::uint64_t consents_set = 0;  // diagnostics consents granted or revoked
  std::uint64_t consents_refused = 0;
};

// Live video sessions as viewers saw them (scenarios/live_sessions.h).
struct LiveSessionCounters {
  std::uint64_t peer_to_peer = 0;
  std::uint64_t relayed_udp = 0;
  std::uint64_t relayed_tcp = 0;
  std::uint64_t failed = 0;       // never set up: no answer in time, or no relay up when needed
  std::uint64_t ended_early = 0;  // the platform ended a set-up session before its length
  std::uint64_t lost = 0;         // set up, then its media gone for good: the viewer closed it
  core::Histogram setup_us;       // request to media flowing, of the sessions set up
  std::uint64_t signaling_errors = 0;    // the signaling services' error answers, every region
  std::uint64_t concurrent_peak = 0;     // sessions set up and not yet ended, at most at once
  double relay_peak_bps = 0;             // the most one of the platform's TURN servers carried
  double partner_relay_peak_bps = 0;     // the most one partner-run TURN server carried
  std::uint64_t running = 0;             // sessions set up and not yet ended, now
  double relay_bps = 0;                  // what the platform's TURN servers carry now, together
  std::uint64_t relay_restarts = 0;      // ICE restarts onto the next relay when one went down
  core::Histogram interruption_us;       // media gone to media back, of each restart
  std::uint64_t keepalives = 0;          // the viewers' keepalives on their nominated pairs
  std::uint64_t media_gaps = 0;          // a viewer's mapping lapsed and came back on the same port
  std::uint64_t bitrate_step_downs = 0;  // rungs stepped down, over every stream
  std::uint64_t bitrate_step_ups = 0;
  double bitrate_lowest_bps = 0;      // the lowest rung any stream ran at; 0: no stream ran
  core::Histogram ptz_round_trip_us;  // PTZ commands answered over the data channel
  std::uint64_t ptz_unanswered = 0;   // sent while the session's relay was down
};

// Device-side counters summed over the fleet.
struct FleetCounters {
  std::uint64_t connects_requested = 0;
  std::uint64_t hellos_sent = 0;
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t presumed_dead = 0;
  std::uint64_t frame_errors = 0;
  std::uint64_t provisions_accepted = 0;
  std::uint64_t reports_sent = 0;
  // Device hosts' work:
  std::uint64_t task_executions = 0;  // task runs started by the hosts' engines
  std::uint64_t release_checks = 0;
  std::uint64_t installs_created = 0;    // policy installs the hosts started as their own tasks
  std::uint64_t images_prefetched = 0;   // images downloaded ahead of their window
  std::uint64_t installs_postponed = 0;  // images not in before their window's last start
  std::uint64_t upgrades_succeeded = 0;
  std::uint64_t upgrades_failed = 0;
  std::uint64_t telemetry_sent = 0;
  std::uint64_t restarts = 0;
};

// The Task Manager's tasks at the end of a run, by status, and its counters.
struct TaskCounters {
  std::uint64_t created = 0;
  std::array<std::uint64_t, platform::kTaskStatusCount> by_status{};
  std::uint64_t redeliveries = 0;
  std::uint64_t rollouts_aborted = 0;
  std::uint64_t insights_raised = 0;
};

struct Measurements {
  platform::PlatformMetrics platform;
  FleetCounters fleet;
  NetworkCounters network;
  ActionCounters actions;
  TaskCounters tasks;               // with a control plane
  std::uint64_t audit_entries = 0;  // with a control plane
  std::uint64_t devices = 0;
  std::uint64_t devices_connected_end = 0;
  std::uint64_t reconnect_peak_per_second = 0;  // over every region's endpoint
  core::Histogram offline_us;                   // the devices' time offline, as they saw it
  LiveSessionCounters live;
};

}  // namespace ccsim::scenarios

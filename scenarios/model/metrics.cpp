#include "scenarios/model/metrics.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace ccsim::scenarios {
namespace {

double count(std::uint64_t value) {
  return static_cast<double>(value);
}

double seconds(std::uint64_t microseconds) {
  return static_cast<double>(microseconds) / 1e6;
}

std::uint64_t tasks_with(const Measurements& m, platform::TaskStatus status) {
  return m.tasks.by_status[static_cast<std::size_t>(status)];
}

std::uint64_t claims_refused(const Measurements& m, platform::ErrorCode code) {
  return m.actions.claims_refused[static_cast<std::size_t>(code)];
}

// Rows are grouped as scenarios/README.md lists them: connections, onboarding and modes, then
// tasks, software and insights.
constexpr auto kMetrics = std::to_array<MetricSpec>({
    {"devices", "devices in the scenario", [](const Measurements& m) { return count(m.devices); }},
    {"devices_connected_end", "devices the platform shows connected at the end",
     [](const Measurements& m) { return count(m.devices_connected_end); }},
    {"hellos_accepted", "hellos the platform accepted",
     [](const Measurements& m) { return count(m.platform.hellos_accepted); }},
    {"hellos_refused", "hellos the platform refused, for any reason",
     [](const Measurements& m) { return count(m.platform.hellos_refused); }},
    {"heartbeats_received", "heartbeats the platform received",
     [](const Measurements& m) { return count(m.platform.heartbeats_received); }},
    {"goodbyes_received", "goodbyes the platform received",
     [](const Measurements& m) { return count(m.platform.goodbyes_received); }},
    {"disconnects_detected", "devices marked disconnected for missed heartbeats",
     [](const Measurements& m) { return count(m.platform.disconnects_detected); }},
    {"reconnects", "devices connected again after a disconnection",
     [](const Measurements& m) { return count(m.platform.reconnects); }},
    {"frame_errors", "frames the platform rejected (oversized, malformed, ...)",
     [](const Measurements& m) { return count(m.platform.frame_errors_total()); }},
    {"frames_without_hello", "frames on a connection that never said hello",
     [](const Measurements& m) { return count(m.platform.frames_without_hello); }},
    {"connects_requested", "connection attempts devices made",
     [](const Measurements& m) { return count(m.fleet.connects_requested); }},
    {"presumed_dead", "connections devices gave up for lack of answers",
     [](const Measurements& m) { return count(m.fleet.presumed_dead); }},
    {"messages_sent", "every message handed to the network, both directions",
     [](const Measurements& m) { return count(m.network.messages_sent); }},
    {"messages_delivered", "messages the network delivered",
     [](const Measurements& m) { return count(m.network.messages_delivered); }},
    {"messages_dropped_loss",
     "transmissions lost to an uplink's loss rate or a loss burst (TCP sends them again)",
     [](const Measurements& m) { return count(m.network.messages_dropped_loss); }},
    {"messages_dropped_partition", "transmissions lost to a partition fault",
     [](const Measurements& m) { return count(m.network.messages_dropped_partition); }},
    {"messages_dropped_nat", "transmissions a site's NAT refused: the mapping had expired",
     [](const Measurements& m) { return count(m.network.messages_dropped_nat); }},
    {"messages_dropped_closed",
     "messages that arrived for a connection already closed or reset at their end",
     [](const Measurements& m) { return count(m.network.messages_dropped_closed); }},
    {"retransmissions", "segments sent again after a retransmission timeout (RFC 6298)",
     [](const Measurements& m) { return count(m.network.retransmissions); }},
    {"connections_reset_nat", "connections reset as their NAT mapping expired under them",
     [](const Measurements& m) { return count(m.network.connections_reset_nat); }},
    {"connections_reset_retransmissions",
     "connections reset by their sender after a segment was lost too many times in a row",
     [](const Measurements& m) { return count(m.network.connections_reset_retransmissions); }},
    {"hellos_deferred",
     "hellos a busy regional endpoint answered \"retry after\" (its admission rate)",
     [](const Measurements& m) { return count(m.platform.hellos_deferred); }},
    {"redirects_sent", "devices the platform sent back to their own region once it was up again",
     [](const Measurements& m) { return count(m.platform.redirects_sent); }},
    {"reconnect_peak_per_second",
     "the most connections one regional endpoint accepted in one second, over every region",
     [](const Measurements& m) { return count(m.reconnect_peak_per_second); }},
    {"disconnected_p50_s",
     "over every reconnection: seconds the platform showed the device disconnected (from when it "
     "found it gone, by a close or missed heartbeats, to its next hello), median",
     [](const Measurements& m) { return seconds(m.platform.disconnected_us.percentile(0.5)); }},
    {"disconnected_p99_s", "the same, 99th percentile",
     [](const Measurements& m) { return seconds(m.platform.disconnected_us.percentile(0.99)); }},
    {"disconnected_max_s", "the same, the longest",
     [](const Measurements& m) { return seconds(m.platform.disconnected_us.max()); }},
    {"offline_p50_s",
     "over every time a device came back online: seconds from when its connection ended (as "
     "the device saw it) to its next accepted hello, median",
     [](const Measurements& m) { return seconds(m.offline_us.percentile(0.5)); }},
    {"offline_p99_s", "the same, 99th percentile",
     [](const Measurements& m) { return seconds(m.offline_us.percentile(0.99)); }},
    {"offline_max_s", "the same, the longest",
     [](const Measurements& m) { return seconds(m.offline_us.max()); }},
    {"connects_blocked_firewall", "connections a site's firewall kept from opening",
     [](const Measurements& m) { return count(m.network.connects_blocked_firewall); }},
    {"bytes_sent", "payload bytes of the messages sent",
     [](const Measurements& m) { return count(m.network.bytes_sent); }},
    {"transfers_started", "bulk transfers begun beside the connections (firmware images)",
     [](const Measurements& m) { return count(m.network.transfers_started); }},
    {"transfers_completed", "bulk transfers whose last byte arrived",
     [](const Measurements& m) { return count(m.network.transfers_completed); }},
    {"peak_connected", "most devices connected at once, seen at the platform's sweeps",
     [](const Measurements& m) { return count(m.platform.peak_connected); }},
    {"hellos_refused_unregistered", "hellos from serials the factory never registered",
     [](const Measurements& m) { return count(m.platform.hellos_refused_unregistered); }},
    {"claims_attempted", "claims users made through the API",
     [](const Measurements& m) { return count(m.actions.claims_attempted); }},
    {"claims_accepted", "claims the platform accepted",
     [](const Measurements& m) { return count(m.actions.claims_accepted); }},
    {"claims_refused_invalid_argument", "claims refused as malformed (a bad serial or OAK shape)",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kInvalidArgument));
     }},
    {"claims_refused_not_found", "claims of a serial the factory never registered",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kNotFound));
     }},
    {"claims_refused_already_exists", "claims of a device another organization holds (no takeover)",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kAlreadyExists));
     }},
    {"claims_refused_permission_denied", "a wrong OAK, or a role that may not onboard",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kPermissionDenied));
     }},
    {"claims_refused_unauthenticated", "claims by a user the platform does not know",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kUnauthenticated));
     }},
    {"claims_refused_failed_precondition",
     "claims refused by state: Tier-2 without a host, a host off the LAN, ...",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kFailedPrecondition));
     }},
    {"claims_refused_resource_exhausted", "no device-management seat left",
     [](const Measurements& m) {
       return count(claims_refused(m, platform::ErrorCode::kResourceExhausted));
     }},
    {"claims_refused_locked", "too many wrong OAKs for the serial lately",
     [](const Measurements& m) { return count(claims_refused(m, platform::ErrorCode::kLocked)); }},
    {"provisions_sent", "Provision messages the platform sent",
     [](const Measurements& m) { return count(m.platform.provisions_sent); }},
    {"provisions_accepted", "provisionings devices accepted",
     [](const Measurements& m) { return count(m.fleet.provisions_accepted); }},
    {"onboardings_completed", "devices that accepted their provisioning",
     [](const Measurements& m) { return count(m.platform.onboardings_completed); }},
    {"onboardings_refused", "devices that answered their provisioning with a refusal",
     [](const Measurements& m) { return count(m.platform.onboardings_refused); }},
    {"onboardings_timed_out", "claimed devices that never accepted their provisioning",
     [](const Measurements& m) { return count(m.platform.onboardings_timed_out); }},
    {"device_reports", "reports (apps, local administrator, OS) the platform received",
     [](const Measurements& m) { return count(m.platform.device_reports); }},
    {"mode_changes_sent", "ModeChange messages the platform sent",
     [](const Measurements& m) { return count(m.platform.mode_changes_sent); }},
    {"live_video_granted", "WebRTC live video requests the platform allowed (a session opened)",
     [](const Measurements& m) { return count(m.actions.live_video_granted); }},
    {"live_video_refused", "WebRTC live video requests the platform refused",
     [](const Measurements& m) { return count(m.actions.live_video_refused); }},
    {"live_sessions_peer_to_peer", "live sessions set up with a direct pair (ICE through the NATs)",
     [](const Measurements& m) { return count(m.live.peer_to_peer); }},
    {"live_sessions_relayed_udp", "live sessions set up through a TURN relay over UDP",
     [](const Measurements& m) { return count(m.live.relayed_udp); }},
    {"live_sessions_relayed_tcp", "live sessions set up through a TURN relay over TCP/TLS on 443",
     [](const Measurements& m) { return count(m.live.relayed_tcp); }},
    {"live_sessions_failed",
     "live sessions opened that were never set up: no answer and candidates from the device in "
     "time, or no TURN server up when the session needed a relay",
     [](const Measurements& m) { return count(m.live.failed); }},
    {"live_sessions_ended_early", "set-up sessions the platform ended before their length",
     [](const Measurements& m) { return count(m.live.ended_early); }},
    {"live_sessions_lost",
     "set-up sessions whose media went for good before their length (the viewer's NAT mapping "
     "lapsed, or no TURN server was left): the viewer closed them",
     [](const Measurements& m) { return count(m.live.lost); }},
    {"live_session_setup_p50_s",
     "seconds from a viewer's request to media flowing, over the sessions set up, median",
     [](const Measurements& m) { return seconds(m.live.setup_us.percentile(0.5)); }},
    {"live_session_setup_p95_s", "the same, 95th percentile",
     [](const Measurements& m) { return seconds(m.live.setup_us.percentile(0.95)); }},
    {"live_session_setup_p99_s", "the same, 99th percentile",
     [](const Measurements& m) { return seconds(m.live.setup_us.percentile(0.99)); }},
    {"live_sessions_concurrent_peak", "the most live sessions set up and running at once",
     [](const Measurements& m) { return count(m.live.concurrent_peak); }},
    {"relay_bandwidth_peak_bps",
     "the most one of the platform's TURN servers carried at once, in bits per second: each "
     "relayed session's bitrate now twice (in from one side, out to the other)",
     [](const Measurements& m) { return m.live.relay_peak_bps; }},
    {"partner_relay_bandwidth_peak_bps",
     "the same for the partner-run TURN servers (turn_servers: with organization:)",
     [](const Measurements& m) { return m.live.partner_relay_peak_bps; }},
    {"live_relay_restarts",
     "ICE restarts onto the next TURN server of a session's list after its relay went down",
     [](const Measurements& m) { return count(m.live.relay_restarts); }},
    {"live_media_interruption_max_s",
     "seconds from a relay going down to the session's media flowing through the next one, the "
     "longest over the restarts",
     [](const Measurements& m) { return seconds(m.live.interruption_us.percentile(1.0)); }},
    {"live_keepalives",
     "keepalives the viewers sent on their nominated pairs while their media flowed (one each "
     "`keepalive:`)",
     [](const Measurements& m) { return count(m.live.keepalives); }},
    {"live_media_gaps",
     "times a viewer's NAT mapping lapsed between two keepalives and the next made it again on "
     "the same port (a NAT that preserves ports): the media stopped until then",
     [](const Measurements& m) { return count(m.live.media_gaps); }},
    {"live_bitrate_step_downs",
     "rungs the live streams stepped down when their site's uplink share fell, over every stream",
     [](const Measurements& m) { return count(m.live.bitrate_step_downs); }},
    {"live_bitrate_step_ups", "rungs they stepped back up, one each 5 s probe while there is room",
     [](const Measurements& m) { return count(m.live.bitrate_step_ups); }},
    {"live_ptz_round_trip_p50_s",
     "seconds from a viewer's PTZ command to its answer over the session's data channel, median",
     [](const Measurements& m) { return seconds(m.live.ptz_round_trip_us.percentile(0.5)); }},
    {"live_ptz_round_trip_p99_s", "the same, 99th percentile",
     [](const Measurements& m) { return seconds(m.live.ptz_round_trip_us.percentile(0.99)); }},
    {"live_ptz_unanswered",
     "PTZ commands sent while the session had no media path (its relay down)",
     [](const Measurements& m) { return count(m.live.ptz_unanswered); }},
    {"live_bitrate_lowest_bps",
     "the lowest bitrate any live stream ran at, in bits per second (0: no stream ran)",
     [](const Measurements& m) { return m.live.bitrate_lowest_bps; }},
    {"signaling_errors", "error answers of the signaling services, every region",
     [](const Measurements& m) { return count(m.live.signaling_errors); }},
    {"audit_entries", "entries in the audit log at the end",
     [](const Measurements& m) { return count(m.audit_entries); }},
    {"tasks_created", "tasks the Task Manager holds at the end, users' and hosts'",
     [](const Measurements& m) { return count(m.tasks.created); }},
    {"tasks_succeeded", "tasks that ended succeeded",
     [](const Measurements& m) { return count(tasks_with(m, platform::TaskStatus::kSucceeded)); }},
    {"tasks_failed", "tasks that ended failed",
     [](const Measurements& m) { return count(tasks_with(m, platform::TaskStatus::kFailed)); }},
    {"tasks_cancelled", "tasks that ended cancelled",
     [](const Measurements& m) { return count(tasks_with(m, platform::TaskStatus::kCancelled)); }},
    {"tasks_timed_out", "tasks that ended timed out",
     [](const Measurements& m) { return count(tasks_with(m, platform::TaskStatus::kTimedOut)); }},
    {"task_redeliveries", "dispatches sent again for want of an acknowledgement",
     [](const Measurements& m) { return count(m.tasks.redeliveries); }},
    {"task_updates_lost", "task messages from hosts that came while the Task Manager was down",
     [](const Measurements& m) { return count(m.platform.task_updates_lost); }},
    {"task_executions", "task runs the hosts' engines started (a re-run counts again)",
     [](const Measurements& m) { return count(m.fleet.task_executions); }},
    {"task_notifications", "series completions users were notified of",
     [](const Measurements& m) { return count(m.platform.task_notifications); }},
    {"work_accepted", "task series and rollouts the platform accepted from the timeline",
     [](const Measurements& m) { return count(m.actions.work_accepted); }},
    {"work_refused",
     "task series and rollouts refused (a role without the right, an unknown version)",
     [](const Measurements& m) { return count(m.actions.work_refused); }},
    {"release_checks", "release checks the platform answered or found nothing for",
     [](const Measurements& m) { return count(m.platform.release_checks); }},
    {"install_offers", "managed devices told to install a release (now or in a window)",
     [](const Measurements& m) { return count(m.platform.install_offers); }},
    {"recommendations", "connected devices shown a version to deploy",
     [](const Measurements& m) { return count(m.platform.recommendations); }},
    {"policy_installs", "installs hosts started on their own, following a policy",
     [](const Measurements& m) { return count(m.fleet.installs_created); }},
    {"images_prefetched", "images devices downloaded ahead of their update window",
     [](const Measurements& m) { return count(m.fleet.images_prefetched); }},
    {"installs_postponed",
     "window installs put off to the next window: the image was not in by the last start",
     [](const Measurements& m) { return count(m.fleet.installs_postponed); }},
    {"upgrades_succeeded", "firmware upgrades (or downgrades) that took, at the devices",
     [](const Measurements& m) { return count(m.fleet.upgrades_succeeded); }},
    {"upgrades_failed", "rolled back, image refused or missing, cancelled, timed out",
     [](const Measurements& m) { return count(m.fleet.upgrades_failed); }},
    {"rollouts_aborted", "rollouts that stopped at their failure threshold",
     [](const Measurements& m) { return count(m.tasks.rollouts_aborted); }},
    {"telemetry_recorded", "telemetry samples the insights took (consented devices)",
     [](const Measurements& m) { return count(m.platform.telemetry_recorded); }},
    {"telemetry_refused", "samples dropped: no consent, or out of range",
     [](const Measurements& m) { return count(m.platform.telemetry_refused); }},
    {"insights_raised", "device insights raised (overload, SD card, crash loop)",
     [](const Measurements& m) { return count(m.tasks.insights_raised); }},
    {"consents_set", "diagnostics consents granted or revoked from the timeline",
     [](const Measurements& m) { return count(m.actions.consents_set); }},
    {"consents_refused", "consents refused (a role without the right)",
     [](const Measurements& m) { return count(m.actions.consents_refused); }},
    {"host_restarts", "device hosts restarted by the timeline",
     [](const Measurements& m) { return count(m.fleet.restarts); }},
    {"device_actions_refused", "local actions a device could not take (an edge host full)",
     [](const Measurements& m) { return count(m.actions.device_actions_refused); }},
});

}  // namespace

std::span<const MetricSpec> metric_specs() {
  return kMetrics;
}

const MetricSpec* find_metric(std::string_view name) {
  const auto found = std::find_if(kMetrics.begin(), kMetrics.end(),
                                  [&](const MetricSpec& spec) { return spec.name == name; });
  return found == kMetrics.end() ? nullptr : &*found;
}

std::vector<std::pair<std::string, double>> metric_values(const Measurements& measurements) {
  std::vector<std::pair<std::string, double>> values;
  values.reserve(kMetrics.size());
  for (const MetricSpec& spec : kMetrics) {
    values.emplace_back(std::string(spec.name), spec.value(measurements));
  }
  return values;
}

}  // namespace ccsim::scenarios

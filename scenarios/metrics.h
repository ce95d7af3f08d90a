// The metrics a run reports, by name, in the order result.json lists them. Scenario files may
// check any of them with `expect: metric`; a name not listed here is refused as bad input.
#pragma once

#include <array>
#include <string_view>

namespace ccsim::scenarios {

inline constexpr std::array<std::string_view, 63> kMetricNames = {
    "devices",                // devices in the scenario
    "devices_connected_end",  // devices the platform shows connected at the end
    "hellos_accepted",        // platform side
    "hellos_refused",
    "heartbeats_received",
    "goodbyes_received",
    "disconnects_detected",  // devices marked disconnected for missed heartbeats
    "reconnects",            // devices connected again after a disconnection
    "frame_errors",          // frames the platform rejected (oversized, malformed, ...)
    "frames_without_hello",  // frames on a connection that never said hello
    "connects_requested",    // device side: connection attempts
    "presumed_dead",         // device side: connections given up for lack of answers
    "messages_sent",         // network: every message handed to the network
    "messages_delivered",
    "messages_dropped_loss",       // lost to an uplink's loss rate
    "messages_dropped_partition",  // lost to a partition fault
    "bytes_sent",
    "peak_connected",  // most devices connected at once, seen at sweeps
    // Onboarding and modes (scenarios with organizations):
    "hellos_refused_unregistered",  // hellos from serials the factory never registered
    "claims_attempted",             // claims users made through the API
    "claims_accepted",
    "claims_refused_invalid_argument",  // claims refused, by error code
    "claims_refused_not_found",
    "claims_refused_already_exists",     // the device belongs to an organization (no takeover)
    "claims_refused_permission_denied",  // a wrong OAK, or a role that may not onboard
    "claims_refused_unauthenticated",
    "claims_refused_failed_precondition",  // Tier-2 without a host, a host off the LAN, ...
    "claims_refused_resource_exhausted",   // no device-management seat left
    "claims_refused_locked",               // too many wrong OAKs for the serial lately
    "provisions_sent",                     // Provision messages the platform sent
    "provisions_accepted",                 // device side: provisionings accepted
    "onboardings_completed",
    "onboardings_refused",    // devices that answered their provisioning with a refusal
    "onboardings_timed_out",  // claimed devices that never accepted their provisioning
    "device_reports",         // reports (apps, local administrator, OS) the platform received
    "mode_changes_sent",      // ModeChange messages the platform sent
    "live_video_granted",     // WebRTC live video requests the platform allowed
    "live_video_refused",
    "audit_entries",  // entries in the audit log at the end
    // Tasks, software and insights (scenarios with organizations):
    "tasks_created",  // tasks the Task Manager holds at the end, users' and hosts'
    "tasks_succeeded",
    "tasks_failed",
    "tasks_cancelled",
    "tasks_timed_out",     // by status at the end
    "task_redeliveries",   // dispatches sent again for want of an acknowledgement
    "task_executions",     // task runs the hosts' engines started (a re-run counts again)
    "task_notifications",  // series completions users were notified of
    "work_accepted",       // task series and rollouts the platform accepted from the timeline
    "work_refused",        // ... and refused (a role without the right, an unknown version)
    "release_checks",      // release checks the platform answered or found nothing for
    "install_offers",      // managed devices told to install a release (now or in a window)
    "recommendations",     // connected devices shown a version to deploy
    "policy_installs",     // installs hosts started on their own, following a policy
    "upgrades_succeeded",  // firmware upgrades (or downgrades) that took, at the devices
    "upgrades_failed",     // rolled back, image refused or missing, cancelled, timed out
    "rollouts_aborted",
    "telemetry_recorded",  // telemetry samples the insights took (consented devices)
    "telemetry_refused",   // samples dropped: no consent, or out of range
    "insights_raised",
    "consents_set",      // diagnostics consents granted or revoked from the timeline
    "consents_refused",  // ... and refused (a role without the right)
    "host_restarts",     // device hosts restarted by the timeline
    "device_actions_refused",  // local actions a device could not take (an edge host full)
};

}  // namespace ccsim::scenarios

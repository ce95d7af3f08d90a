// The metrics a run reports, by name, in the order result.json lists them. Scenario files may
// check any of them with `expect: metric`; a name not listed here is refused as bad input.
#pragma once

#include <array>
#include <string_view>

namespace ccsim::scenarios {

inline constexpr std::array<std::string_view, 18> kMetricNames = {
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
};

}  // namespace ccsim::scenarios

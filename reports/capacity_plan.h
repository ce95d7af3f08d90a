// A run's capacity plan: for each platform subsystem, each of its limits with the run's peak
// demand on it, what one node carries (the scenario's `capacity:`), the nodes needed to keep the
// stated headroom, and their utilisation at the peak; which limit binds first; and, from the unit
// prices given, the cost a device a month.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenarios/model/run_result.h"

namespace ccsim::reports {

struct Limit {
  std::string subsystem;    // device endpoint, signaling, TURN relay, Task Manager, site uplinks
  std::string limit;        // what runs out: "connections held", ...
  std::string unit;         // of demand and per_node: "connections", "bps", "share of the uplink"
  double demand = 0;        // the run's peak
  double per_node = 0;      // 0: not a node (a site's uplink is the site's own)
  double nodes = 0;         // to keep the headroom at the peak; 0: the run did not use it
  double utilisation = 0;   // demand over what those nodes carry (a site's uplink: its own share)
  bool sets_nodes = false;  // this limit decides its subsystem's node count
};

struct CapacityPlan {
  double headroom = 0;
  std::vector<Limit> limits;
  // The limit nearest its nodes' capacity at the peak (site uplinks: nearest full); -1 for none.
  int binds_first = -1;
  double devices = 0;
  // Relay egress (the half of what the relays carry that leaves towards viewers), a 30-day month.
  double relay_egress_gb_month = 0;
  std::optional<double> cost_month;             // with unit prices: nodes and egress
  std::optional<double> cost_per_device_month;  // cost_month over the devices
};

// A month for costs: 30 days.
inline constexpr double kSecondsPerMonth = 30 * 86'400.0;

// From the run's metrics, time series and capacity inputs.
CapacityPlan plan_capacity(const scenarios::RunResult& run);

// The column `name` of `series`; empty when it has none.
std::vector<double> series_column(const scenarios::TimeSeries& series, std::string_view name);

}  // namespace ccsim::reports

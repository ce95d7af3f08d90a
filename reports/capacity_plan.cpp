#include "reports/capacity_plan.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace ccsim::reports {
namespace {

using scenarios::CapacityInputs;
using scenarios::RunResult;

double metric(const RunResult& run, std::string_view name) {
  for (const auto& [key, value] : run.metrics) {
    if (key == name) return std::isfinite(value) ? value : 0;
  }
  return 0;
}

double column_max(const RunResult& run, std::string_view name) {
  const std::vector<double> column = series_column(run.series, name);
  return column.empty() ? 0 : *std::max_element(column.begin(), column.end());
}

// What leaves the relays towards viewers over the run, in bytes: the relay bandwidth (in and out
// together) integrated over the samples by the trapezoid rule, halved.
double relay_egress_bytes(const RunResult& run) {
  const std::vector<double> time = series_column(run.series, "time_s");
  const std::vector<double> bps = series_column(run.series, "relay_bps");
  double bits = 0;
  for (std::size_t i = 1; i < std::min(time.size(), bps.size()); ++i) {
    bits += (bps[i] + bps[i - 1]) / 2 * (time[i] - time[i - 1]);
  }
  return bits / 2 / 8;
}

// Nodes for `demand` at `per_node` each, keeping `headroom` of each free at the peak.
double nodes_for(double demand, double per_node, double headroom) {
  if (demand <= 0) return 0;
  return std::ceil(demand / (per_node * (1 - headroom)) - 1e-9);
}

std::vector<Limit> limits_of(const RunResult& run) {
  const scenarios::NodeCapacity& node = run.capacity.node;
  return {
      {"device endpoint", "connections held", "connections", metric(run, "peak_connected"),
       node.device_endpoint_connections},
      {"device endpoint", "connects in the busiest second", "connects a second",
       metric(run, "reconnect_peak_per_second"), node.device_endpoint_connects_per_s},
      {"signaling", "live sessions at once", "sessions",
       metric(run, "live_sessions_concurrent_peak"), node.signaling_sessions},
      {"TURN relay", "bandwidth of the busiest region's server", "bps",
       metric(run, "relay_bandwidth_peak_bps"), node.turn_relay_bps},
      {"Task Manager", "tasks created a second (busiest interval)", "tasks a second",
       column_max(run, "tasks_created_per_s"), node.task_manager_tasks_per_s},
      {"site uplinks", "busiest site's uplink (busiest interval)", "share of the uplink",
       column_max(run, "uplink_max"), 0},
  };
}

// Each subsystem's node count is its most demanding limit's; utilisation follows from it.
void size_nodes(std::vector<Limit>& limits, double headroom) {
  for (Limit& limit : limits) {
    if (limit.per_node > 0) limit.nodes = nodes_for(limit.demand, limit.per_node, headroom);
  }
  for (Limit& limit : limits) {
    if (limit.per_node <= 0) {
      limit.utilisation = limit.demand;
      continue;
    }
    double nodes = 0;
    for (const Limit& other : limits) {
      if (other.subsystem == limit.subsystem) nodes = std::max(nodes, other.nodes);
    }
    limit.utilisation = nodes > 0 ? limit.demand / (nodes * limit.per_node) : 0;
    limit.sets_nodes = nodes > 0 && limit.nodes == nodes;
    limit.nodes = nodes;
  }
  // Where two limits need the same count, the first sets it.
  for (std::size_t i = 0; i < limits.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (limits[j].subsystem == limits[i].subsystem && limits[j].sets_nodes) {
        limits[i].sets_nodes = false;
      }
    }
  }
}

double node_month_price(const scenarios::UnitPrices& prices, const std::string& subsystem) {
  if (subsystem == "device endpoint") return prices.device_endpoint_node_month;
  if (subsystem == "signaling") return prices.signaling_node_month;
  if (subsystem == "TURN relay") return prices.turn_relay_node_month;
  if (subsystem == "Task Manager") return prices.task_manager_node_month;
  return 0;
}

void add_cost(CapacityPlan& plan, const RunResult& run) {
  const scenarios::UnitPrices& prices = run.capacity.prices;
  if (!prices.given()) return;
  double cost = plan.relay_egress_gb_month * prices.relay_egress_per_gb;
  for (const Limit& limit : plan.limits) {
    if (limit.sets_nodes) cost += limit.nodes * node_month_price(prices, limit.subsystem);
  }
  plan.cost_month = cost;
  if (plan.devices > 0) plan.cost_per_device_month = cost / plan.devices;
}

}  // namespace

std::vector<double> series_column(const scenarios::TimeSeries& series, std::string_view name) {
  const auto found = std::find(series.columns.begin(), series.columns.end(), name);
  if (found == series.columns.end()) return {};
  const auto index = static_cast<std::size_t>(found - series.columns.begin());
  std::vector<double> column;
  column.reserve(series.rows.size());
  for (const std::vector<double>& row : series.rows) column.push_back(row.at(index));
  return column;
}

CapacityPlan plan_capacity(const RunResult& run) {
  CapacityPlan plan;
  plan.headroom = run.capacity.headroom;
  plan.limits = limits_of(run);
  size_nodes(plan.limits, plan.headroom);
  double nearest = -1;
  for (std::size_t i = 0; i < plan.limits.size(); ++i) {
    const Limit& limit = plan.limits[i];
    if (limit.demand > 0 && limit.utilisation > nearest) {
      nearest = limit.utilisation;
      plan.binds_first = static_cast<int>(i);
    }
  }
  plan.devices = static_cast<double>(run.devices);
  if (run.sim_time_s > 0) {
    plan.relay_egress_gb_month = relay_egress_bytes(run) / 1e9 * kSecondsPerMonth / run.sim_time_s;
  }
  add_cost(plan, run);
  return plan;
}

}  // namespace ccsim::reports

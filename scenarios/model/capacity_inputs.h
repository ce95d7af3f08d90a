// What a capacity plan sizes the platform with (the scenario's `capacity:` key): what one node of
// each subsystem carries, the headroom kept on top of the run's demand, and the unit prices a
// cost per camera-month is worked from. The defaults are round assumptions, not measurements:
// docs/CAPACITY.md says where each comes from, and a report says which ones a scenario left.
#pragma once

#include <string>

namespace ccsim::scenarios {

// A node of each subsystem, at most.
struct NodeCapacity {
  double device_endpoint_connections = 100'000;   // device websockets held
  double device_endpoint_connects_per_s = 1'000;  // TLS handshakes and hellos a second
  double signaling_sessions = 10'000;             // live sessions being set up or running
  double turn_relay_bps = 1e9;                    // relayed media, in and out together
  double task_manager_tasks_per_s = 500;          // tasks created a second
};

// Unit prices in one currency; zero: not given.
struct UnitPrices {
  std::string currency = "EUR";
  double device_endpoint_node_month = 0;
  double signaling_node_month = 0;
  double turn_relay_node_month = 0;
  double task_manager_node_month = 0;
  double relay_egress_per_gb = 0;  // what leaves the relays towards viewers, per 10^9 bytes

  bool given() const {
    return device_endpoint_node_month > 0 || signaling_node_month > 0 ||
           turn_relay_node_month > 0 || task_manager_node_month > 0 || relay_egress_per_gb > 0;
  }
};

struct CapacityInputs {
  double headroom = 0.30;  // of each node's capacity kept free at the run's peak
  NodeCapacity node;
  UnitPrices prices;
};

// A headroom of at most this leaves a node some capacity to plan with.
inline constexpr double kHeadroomMax = 0.90;

}  // namespace ccsim::scenarios

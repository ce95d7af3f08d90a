// The capacity planning sections of a scenario file: `slo:`, the service level objectives (each a
// bound on one metric, judged as a check and shown first in the capacity report), and
// `capacity:`, what the report sizes the platform with (scenarios/model/capacity_inputs.h).
#include <set>

#include "scenarios/file_keys.h"
#include "scenarios/file_sections.h"

namespace ccsim::scenarios::file {
namespace {

constexpr std::size_t kObjectivesMax = 100;

Check read_objective(const Reader& reader, const Field& item) {
  const MapView map = open_map(reader, item, {"id", "metric", "at_least", "at_most"});
  Check check;
  check.kind = CheckKind::kMetric;
  check.objective = true;
  check.line = reader.line_of(item);
  check.metric = read_metric_name(reader, map.require("metric",
                                                      "a metric name such as "
                                                      "live_session_setup_p99_s"));
  check.id = "slo-" + check.metric;
  map.with("id", [&](const Field& id) { check.id = read_identifier(reader, id); });
  const std::optional<Field> at_least = map.find("at_least");
  const std::optional<Field> at_most = map.find("at_most");
  if (!at_least && !at_most) {
    reader.fail(item, "has no bound; expected at_least, at_most or both");
  }
  if (at_least) check.at_least = read_number(reader, *at_least);
  if (at_most) check.at_most = read_number(reader, *at_most);
  if (check.at_least > check.at_most) {
    reader.fail(*at_most, "below at_least; expected at_least <= at_most");
  }
  return check;
}

// A number greater than zero.
double read_positive(const Reader& reader, const Field& field) {
  const double value = read_number(reader, field);
  if (!(value > 0)) reader.fail(field, "not above zero; expected a positive number");
  return value;
}

// A price: zero or more.
double read_price(const Reader& reader, const Field& field) {
  const double value = read_number(reader, field);
  if (value < 0) reader.fail(field, "below zero; expected a price of 0 or more");
  return value;
}

NodeCapacity read_node_capacity(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field,
                               {"device_endpoint_connections", "device_endpoint_connects_per_s",
                                "signaling_sessions", "turn_relay", "task_manager_tasks_per_s"});
  NodeCapacity node;
  map.with("device_endpoint_connections",
           [&](const Field& f) { node.device_endpoint_connections = read_positive(reader, f); });
  map.with("device_endpoint_connects_per_s",
           [&](const Field& f) { node.device_endpoint_connects_per_s = read_positive(reader, f); });
  map.with("signaling_sessions",
           [&](const Field& f) { node.signaling_sessions = read_positive(reader, f); });
  map.with("turn_relay",
           [&](const Field& f) { node.turn_relay_bps = read_bandwidth_bps(reader, f); });
  map.with("task_manager_tasks_per_s",
           [&](const Field& f) { node.task_manager_tasks_per_s = read_positive(reader, f); });
  return node;
}

UnitPrices read_prices(const Reader& reader, const Field& field) {
  const MapView map =
      open_map(reader, field,
               {"currency", "device_endpoint_node_month", "signaling_node_month",
                "turn_relay_node_month", "task_manager_node_month", "relay_egress_per_gb"});
  UnitPrices prices;
  map.with("currency", [&](const Field& f) { prices.currency = read_identifier(reader, f); });
  const std::pair<std::string_view, double UnitPrices::*> keys[] = {
      {"device_endpoint_node_month", &UnitPrices::device_endpoint_node_month},
      {"signaling_node_month", &UnitPrices::signaling_node_month},
      {"turn_relay_node_month", &UnitPrices::turn_relay_node_month},
      {"task_manager_node_month", &UnitPrices::task_manager_node_month},
      {"relay_egress_per_gb", &UnitPrices::relay_egress_per_gb}};
  for (const auto& [key, member] : keys) {
    map.with(key, [&](const Field& f) { prices.*member = read_price(reader, f); });
  }
  return prices;
}

}  // namespace

void read_objectives(const Reader& reader, const Field& field, std::vector<Check>& checks) {
  std::set<std::string> ids;
  for (const Check& check : checks) ids.insert(check.id);
  for (const Field& item : open_list(reader, field, kObjectivesMax, "slo")) {
    reader.recover([&] {
      Check objective = read_objective(reader, item);
      if (!ids.insert(objective.id).second) {
        reader.fail(item, quote(objective.id) +
                              " is already the id of a check or objective; expected a unique id "
                              "(give this one an id:)");
      }
      checks.push_back(std::move(objective));
    });
  }
}

CapacityInputs read_capacity(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"headroom", "node", "prices"});
  CapacityInputs capacity;
  map.with("headroom", [&](const Field& f) {
    capacity.headroom = read_fraction(reader, f);
    if (capacity.headroom > kHeadroomMax) {
      reader.fail(f, "leaves a node less than a tenth to plan with; expected at most 90%");
    }
  });
  map.with("node", [&](const Field& f) { capacity.node = read_node_capacity(reader, f); });
  map.with("prices", [&](const Field& f) { capacity.prices = read_prices(reader, f); });
  return capacity;
}

}  // namespace ccsim::scenarios::file

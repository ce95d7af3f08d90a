#include "scenarios/model/run_result_json.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ccsim::scenarios {
namespace {

// Longest scalar quoted back in a reader error.
constexpr std::size_t kQuotedValueCharsMax = 40;

nlohmann::ordered_json number_or_null(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

template <typename Json>
std::string describe(const Json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kQuotedValueCharsMax) text = text.substr(0, kQuotedValueCharsMax) + "...";
  return text;
}

template <typename Json>
[[noreturn]] void fail_expected(const std::string& origin, const std::string& key,
                                const std::string& expected, const Json& found) {
  throw std::runtime_error(origin + ": key '" + key + "': expected " + expected + ", found " +
                           describe(found));
}

// Reads the members of one JSON object, naming origin and the key's full path in every error.
template <typename Json>
class StrictReader {
 public:
  StrictReader(const Json& object, const std::string& origin, std::string prefix)
      : object_(object), origin_(origin), prefix_(std::move(prefix)) {}

  const Json& member(const std::string& key) const {
    const auto found = object_.find(key);
    if (found == object_.end()) {
      throw std::runtime_error(origin_ + ": key '" + prefix_ + key + "': missing");
    }
    return *found;
  }

  std::string string(const std::string& key) const {
    const Json& value = member(key);
    if (!value.is_string()) fail_expected(origin_, prefix_ + key, "a string", value);
    return value.template get<std::string>();
  }

  bool boolean(const std::string& key) const {
    const Json& value = member(key);
    if (!value.is_boolean()) fail_expected(origin_, prefix_ + key, "true or false", value);
    return value.template get<bool>();
  }

  std::uint64_t unsigned_integer(const std::string& key) const {
    const Json& value = member(key);
    // A document built in C++ from an int holds a signed integer; a parsed one holds unsigned.
    const bool non_negative =
        value.is_number_unsigned() ||
        (value.is_number_integer() && value.template get<std::int64_t>() >= 0);
    if (!non_negative) fail_expected(origin_, prefix_ + key, "an unsigned integer", value);
    return value.template get<std::uint64_t>();
  }

  double number(const std::string& key) const { return number_of(member(key), key); }

  // result_to_json writes a non-finite number as null, so null reads back as NaN.
  double number_of(const Json& value, const std::string& key) const {
    if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!value.is_number()) fail_expected(origin_, prefix_ + key, "a number", value);
    return value.template get<double>();
  }

  const Json& typed(const std::string& key, bool want_array) const {
    const Json& value = member(key);
    if (want_array && !value.is_array()) fail_expected(origin_, prefix_ + key, "an array", value);
    if (!want_array && !value.is_object()) {
      fail_expected(origin_, prefix_ + key, "an object", value);
    }
    return value;
  }

 private:
  const Json& object_;
  const std::string& origin_;
  std::string prefix_;
};

// An objective's bound: null is none, an infinity of `sign`.
template <typename Json>
double bound_of(const StrictReader<Json>& reader, const std::string& key, int sign) {
  const double bound = reader.number(key);
  return std::isnan(bound) ? sign * std::numeric_limits<double>::infinity() : bound;
}

template <typename Json>
std::vector<Assumption> assumptions_from_json(const Json& json, const std::string& origin) {
  std::vector<Assumption> assumptions;
  for (std::size_t index = 0; index < json.size(); ++index) {
    const StrictReader<Json> reader(json[index], origin,
                                    "assumptions[" + std::to_string(index) + "].");
    assumptions.push_back(
        {reader.string("input"), reader.string("value"), reader.string("source")});
  }
  return assumptions;
}

template <typename Json>
CapacityInputs capacity_from_json(const StrictReader<Json>& reader, const std::string& origin) {
  CapacityInputs c;
  c.headroom = reader.number("headroom");
  const StrictReader<Json> node(reader.typed("node", false), origin, "capacity.node.");
  c.node = {node.number("device_endpoint_connections"),
            node.number("device_endpoint_connects_per_s"), node.number("signaling_sessions"),
            node.number("turn_relay_bps"), node.number("task_manager_tasks_per_s")};
  const StrictReader<Json> prices(reader.typed("prices", false), origin, "capacity.prices.");
  c.prices = {prices.string("currency"),
              prices.number("device_endpoint_node_month"),
              prices.number("signaling_node_month"),
              prices.number("turn_relay_node_month"),
              prices.number("task_manager_node_month"),
              prices.number("relay_egress_per_gb")};
  return c;
}

template <typename Json>
std::vector<CheckResult> checks_from_json(const Json& checks, const std::string& origin) {
  std::vector<CheckResult> result;
  for (std::size_t index = 0; index < checks.size(); ++index) {
    const std::string key = "checks[" + std::to_string(index) + "]";
    const Json& check = checks[index];
    if (!check.is_object()) fail_expected(origin, key, "an object", check);
    const StrictReader<Json> reader(check, origin, key + ".");
    const bool liveness = check.contains("liveness") && reader.boolean("liveness");
    result.push_back(
        {reader.string("id"), reader.boolean("passed"), reader.string("detail"), liveness, {}});
    if (check.contains("objective")) {
      const StrictReader<Json> objective(reader.typed("objective", false), origin,
                                         key + ".objective.");
      result.back().objective =
          Objective{objective.string("metric"), bound_of(objective, "at_least", -1),
                    bound_of(objective, "at_most", +1), objective.number("measured")};
    }
  }
  return result;
}

template <typename Json>
RunResult from_json(const Json& json, const std::string& origin) {
  if (!json.is_object()) {
    throw std::runtime_error(origin + ": expected a JSON object, found " + describe(json));
  }
  const StrictReader<Json> reader(json, origin, "");
  RunResult result;
  result.scenario = reader.string("scenario");
  result.file = reader.string("file");
  result.seed = reader.unsigned_integer("seed");
  result.passed = reader.boolean("passed");
  result.checks = checks_from_json(reader.typed("checks", true), origin);
  const StrictReader<Json> metrics(reader.typed("metrics", false), origin, "metrics.");
  for (const auto& [name, value] : reader.typed("metrics", false).items()) {
    result.metrics.emplace_back(name, metrics.number_of(value, name));
  }
  result.trace_hash = reader.string("trace_hash");
  result.sim_time_s = reader.number("sim_time_s");
  result.wall_time_s = reader.number("wall_time_s");
  result.events = reader.unsigned_integer("events");
  result.devices = reader.unsigned_integer("devices");
  result.reproduce = reader.string("reproduce");
  result.driver = reader.string("driver");
  result.build = reader.string("build");
  result.tz_database = reader.string("tz_database");
  // Written since the capacity report; a result.json from before has neither.
  if (json.contains("assumptions")) {
    result.assumptions = assumptions_from_json(reader.typed("assumptions", true), origin);
  }
  if (json.contains("capacity")) {
    result.capacity = capacity_from_json(
        StrictReader<Json>(reader.typed("capacity", false), origin, "capacity."), origin);
  }
  return result;
}

nlohmann::ordered_json capacity_to_json(const CapacityInputs& c) {
  const NodeCapacity& n = c.node;
  const UnitPrices& p = c.prices;
  return {{"headroom", c.headroom},
          {"node",
           {{"device_endpoint_connections", n.device_endpoint_connections},
            {"device_endpoint_connects_per_s", n.device_endpoint_connects_per_s},
            {"signaling_sessions", n.signaling_sessions},
            {"turn_relay_bps", n.turn_relay_bps},
            {"task_manager_tasks_per_s", n.task_manager_tasks_per_s}}},
          {"prices",
           {{"currency", p.currency},
            {"device_endpoint_node_month", p.device_endpoint_node_month},
            {"signaling_node_month", p.signaling_node_month},
            {"turn_relay_node_month", p.turn_relay_node_month},
            {"task_manager_node_month", p.task_manager_node_month},
            {"relay_egress_per_gb", p.relay_egress_per_gb}}}};
}

}  // namespace

nlohmann::ordered_json result_to_json(const RunResult& result) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const CheckResult& check : result.checks) {
    checks.push_back({{"id", check.id}, {"passed", check.passed}, {"detail", check.detail}});
    if (check.liveness) checks.back()["liveness"] = true;
    if (check.objective) {
      const Objective& o = *check.objective;
      checks.back()["objective"] = {{"metric", o.metric},
                                    {"at_least", number_or_null(o.at_least)},
                                    {"at_most", number_or_null(o.at_most)},
                                    {"measured", number_or_null(o.measured)}};
    }
  }
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& [name, value] : result.metrics) {
    if (metrics.contains(name)) throw std::invalid_argument("metric '" + name + "' repeated");
    metrics[name] = number_or_null(value);
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["scenario"] = result.scenario;
  json["file"] = result.file;
  json["seed"] = result.seed;
  json["passed"] = result.passed;
  json["checks"] = std::move(checks);
  json["metrics"] = std::move(metrics);
  json["trace_hash"] = result.trace_hash;
  json["sim_time_s"] = number_or_null(result.sim_time_s);
  json["wall_time_s"] = number_or_null(result.wall_time_s);
  json["events"] = result.events;
  json["devices"] = result.devices;
  json["reproduce"] = result.reproduce;
  json["driver"] = result.driver;
  json["build"] = result.build;
  json["tz_database"] = result.tz_database;
  nlohmann::ordered_json assumptions = nlohmann::ordered_json::array();
  for (const Assumption& a : result.assumptions) {
    assumptions.push_back({{"input", a.input}, {"value", a.value}, {"source", a.source}});
  }
  json["assumptions"] = std::move(assumptions);
  json["capacity"] = capacity_to_json(result.capacity);
  return json;
}

RunResult result_from_json(const nlohmann::ordered_json& json, const std::string& origin) {
  return from_json(json, origin);
}

RunResult result_from_json(const nlohmann::json& json, const std::string& origin) {
  return from_json(json, origin);
}

}  // namespace ccsim::scenarios

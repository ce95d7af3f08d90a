#include "scenarios/assumptions.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "scenarios/file_reader.h"
#include "scenarios/model/turn_servers.h"

namespace ccsim::scenarios {
namespace {

constexpr const char* kAssumedCapacity = "default: a round assumption (docs/CAPACITY.md)";

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string bandwidth(double bps) {
  if (bps >= 1e9) return number(bps / 1e9) + " Gbps";
  if (bps >= 1e6) return number(bps / 1e6) + " Mbps";
  return number(bps / 1e3) + " kbps";
}

double metric(const std::vector<std::pair<std::string, double>>& metrics, std::string_view name) {
  for (const auto& [key, value] : metrics) {
    if (key == name) return value;
  }
  return 0;
}

// "scenario key KEY" when the scenario set a value other than the default, else `otherwise`.
template <typename T>
std::string source_of(const T& value, const T& fallback, const std::string& key,
                      const std::string& otherwise = "default") {
  return value == fallback ? otherwise : "scenario key " + key;
}

void add_run_settings(std::vector<Assumption>& rows, const Scenario& s, std::uint64_t devices) {
  const Scenario d;
  rows.push_back({"devices", number(static_cast<double>(devices)), "the scenario's sites"});
  rows.push_back({"sites", number(static_cast<double>(s.sites.size())), "the scenario's sites"});
  std::string regions;
  for (const std::string& region : platform_regions(s))
    regions += (regions.empty() ? "" : ", ") + region;
  rows.push_back({"platform regions", regions,
                  s.regions.empty() ? "default: the cloud's one" : "scenario key regions"});
  rows.push_back({"duration", file::format_duration(s.duration), "scenario key duration"});
  rows.push_back({"heartbeat interval", file::format_duration(s.heartbeat.interval),
                  source_of(s.heartbeat.interval, d.heartbeat.interval, "heartbeat.interval")});
  rows.push_back(
      {"reconnect back-off (first, cap)",
       file::format_duration(s.reconnect.first) + ", " + file::format_duration(s.reconnect.cap),
       source_of(s.reconnect.first == d.reconnect.first && s.reconnect.cap == d.reconnect.cap, true,
                 "reconnect")});
  rows.push_back(
      {"release check interval", file::format_duration(s.release_check_interval),
       source_of(s.release_check_interval, d.release_check_interval, "release_check_interval",
                 "default: the white paper's every two hours")});
  rows.push_back({"telemetry interval", file::format_duration(s.telemetry_interval),
                  source_of(s.telemetry_interval, d.telemetry_interval, "telemetry_interval")});
  rows.push_back(
      {"sample interval", file::format_duration(s.sample_interval),
       source_of(s.sample_interval, std::min(d.sample_interval, s.duration), "sample_interval")});
}

// Each profile's update window length: how long its managed devices may install in a night.
void add_update_windows(std::vector<Assumption>& rows, const Scenario& s) {
  for (const Profile& profile : s.profiles) {
    if (!profile.update_window) continue;
    rows.push_back({"update window length (" + profile.name + ")",
                    file::format_duration(profile.update_window->duration),
                    "scenario key profiles." + profile.name + ".update_window.duration"});
  }
}

void add_live_video(std::vector<Assumption>& rows, const Scenario& s,
                    const std::vector<std::pair<std::string, double>>& metrics) {
  std::set<double> bitrates;
  std::string lines;
  std::size_t requests = 0;
  for (const Action& action : s.actions) {
    if (action.kind != ActionKind::kRequestLiveVideo) continue;
    bitrates.insert(action.bitrate_bps);
    lines += (lines.empty() ? "" : ", ") + std::to_string(action.line);
    ++requests;
  }
  if (bitrates.empty()) {
    rows.push_back({"live video", "none in this run", "the scenario's timeline"});
    return;
  }
  std::string values;
  for (double bps : bitrates) values += (values.empty() ? "" : ", ") + bandwidth(bps);
  rows.push_back({"live video bitrate (top rung)", values,
                  "request_live_video, timeline line" + std::string(requests > 1 ? "s " : " ") +
                      lines + " (default 2 Mbps)"});
  const double relayed =
      metric(metrics, "live_sessions_relayed_udp") + metric(metrics, "live_sessions_relayed_tcp");
  const double set_up = relayed + metric(metrics, "live_sessions_peer_to_peer");
  rows.push_back(
      {"share of live sessions relayed",
       set_up > 0 ? number(std::round(1000 * relayed / set_up) / 10) + " %" : "none set up",
       "measured: the sites' and viewers' NATs and firewalls (docs/NAT_TRAVERSAL.md)"});
}

void add_capacity(std::vector<Assumption>& rows, const CapacityInputs& c) {
  const CapacityInputs d;
  rows.push_back({"headroom kept at the peak", number(c.headroom * 100) + " %",
                  source_of(c.headroom, d.headroom, "capacity.headroom", "default: 30 %")});
  const NodeCapacity& n = c.node;
  const NodeCapacity& dn = d.node;
  const auto node = [&](const char* input, double value, double fallback, const char* key,
                        std::string text) {
    rows.push_back(
        {input, std::move(text),
         source_of(value, fallback, std::string("capacity.node.") + key, kAssumedCapacity)});
  };
  node("device endpoint node: connections", n.device_endpoint_connections,
       dn.device_endpoint_connections, "device_endpoint_connections",
       number(n.device_endpoint_connections));
  node("device endpoint node: connects a second", n.device_endpoint_connects_per_s,
       dn.device_endpoint_connects_per_s, "device_endpoint_connects_per_s",
       number(n.device_endpoint_connects_per_s));
  node("signaling node: live sessions", n.signaling_sessions, dn.signaling_sessions,
       "signaling_sessions", number(n.signaling_sessions));
  node("TURN relay node: bandwidth (in and out)", n.turn_relay_bps, dn.turn_relay_bps, "turn_relay",
       bandwidth(n.turn_relay_bps));
  node("Task Manager node: tasks created a second", n.task_manager_tasks_per_s,
       dn.task_manager_tasks_per_s, "task_manager_tasks_per_s", number(n.task_manager_tasks_per_s));
  const UnitPrices& p = c.prices;
  if (!p.given()) {
    rows.push_back({"unit prices", "none given: no cost", "scenario key capacity.prices"});
    return;
  }
  const auto price = [&](const char* input, double value) {
    rows.push_back({input, number(value) + " " + p.currency, "scenario key capacity.prices"});
  };
  price("device endpoint node, a month", p.device_endpoint_node_month);
  price("signaling node, a month", p.signaling_node_month);
  price("TURN relay node, a month", p.turn_relay_node_month);
  price("Task Manager node, a month", p.task_manager_node_month);
  price("relay egress, a GB", p.relay_egress_per_gb);
}

}  // namespace

std::vector<Assumption> assumptions_of(const Scenario& scenario,
                                       const std::vector<std::pair<std::string, double>>& metrics,
                                       std::uint64_t devices) {
  std::vector<Assumption> rows;
  add_run_settings(rows, scenario, devices);
  add_update_windows(rows, scenario);
  add_live_video(rows, scenario, metrics);
  rows.push_back({"recording: segment length, retention", "not modelled yet",
                  "object-store recording is not in this version of ccsim"});
  add_capacity(rows, scenario.capacity);
  return rows;
}

}  // namespace ccsim::scenarios

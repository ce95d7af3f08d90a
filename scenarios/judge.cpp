#include "scenarios/judge.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "core/time_text.h"
#include "scenarios/model/metrics.h"
#include "scenarios/model/vocabulary.h"
#include "scenarios/verdict_text.h"

namespace ccsim::scenarios {
namespace {

using core::Time;

std::string format_fraction(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", value);
  return text;
}

std::uint32_t site_named(const Scenario& scenario, const std::string& name) {
  for (std::uint32_t i = 0; i < scenario.sites.size(); ++i) {
    if (scenario.sites[i].name == name) return i;
  }
  assert(false && "check names a site the loader accepted");
  return 0;
}

// The share of the check's devices (a site's, or the fleet's) connected, or disconnected, now.
CheckResult judge_fraction(const Deployment& d, const Check& check) {
  const FleetLayout& layout = d.layout;
  const bool whole_fleet = check.site.empty();
  const std::uint32_t site = whole_fleet ? 0 : site_named(d.scenario, check.site);
  const std::uint64_t in_scope =
      whole_fleet ? layout.device_count()
                  : layout.first_device_of_site[site + 1] - layout.first_device_of_site[site];
  std::uint64_t connected = 0;
  for (const platform::DeviceConnection& record : d.platform.devices()) {
    if (record.status != platform::ConnectionStatus::kConnected) continue;
    const std::optional<std::uint64_t> device = device_index(record.serial);
    if (whole_fleet || (device && layout.site_of_device[*device] == site)) ++connected;
  }
  const bool wants_connected = check.kind == CheckKind::kConnectedFraction;
  const std::uint64_t counted = wants_connected ? connected : in_scope - connected;
  const double fraction =
      in_scope == 0 ? 0.0 : static_cast<double>(counted) / static_cast<double>(in_scope);
  CheckResult r{check.id, within_bounds(fraction, check), ""};
  r.detail = std::string(wants_connected ? "connected" : "disconnected") + " at " +
             core::duration_text(check.at) + (check.site.empty() ? "" : " at site " + check.site) +
             ": " + std::to_string(counted) + " of " + std::to_string(in_scope) + " = " +
             format_fraction(fraction) + "; expected " + bounds_text(check);
  return r;
}

// Devices connected at least once by `within`, and the time of the last first connection.
CheckResult judge_all_connected(const Deployment& d, const Check& check) {
  std::uint64_t count = 0;
  Time last{};
  for (const platform::DeviceConnection& record : d.platform.devices()) {
    if (record.first_connected_at <= check.within) {
      ++count;
      last = std::max(last, record.first_connected_at);
    }
  }
  const std::uint64_t devices = d.layout.device_count();
  CheckResult r{check.id, count == devices, ""};
  r.detail = std::to_string(count) + " of " + std::to_string(devices) + " devices connected by " +
             core::duration_text(check.within) +
             (count > 0 ? " (last at " + core::duration_text(last) + ")" : "");
  return r;
}

CheckResult judge_metric(const Check& check,
                         const std::vector<std::pair<std::string, double>>& metrics) {
  const auto found = std::find_if(metrics.begin(), metrics.end(),
                                  [&](const auto& metric) { return metric.first == check.metric; });
  assert(found != metrics.end() && "check names a metric the loader accepted");
  CheckResult r{check.id, within_bounds(found->second, check), ""};
  r.detail =
      check.metric + " = " + format_number(found->second) + "; expected " + bounds_text(check);
  if (check.objective)
    r.objective = Objective{check.metric, check.at_least, check.at_most, found->second};
  return r;
}

CheckResult judge_reconnect_rate(const Deployment& d, const Check& check) {
  const std::uint32_t region = d.scenario.region_index(check.region).value_or(0);
  const platform::RegionalEndpoints& regions = d.platform.regions();
  const double peak = regions.count() > region
                          ? static_cast<double>(regions.metrics(region).connects_peak_per_second)
                          : 0.0;
  CheckResult r{check.id, within_bounds(peak, check), ""};
  r.detail = "at most " + format_number(peak) + " connections in one second at " + check.region +
             "'s endpoint; expected " + bounds_text(check);
  return r;
}

// How many entries of `topic` (with `detail` in their text) trail `organization` holds.
std::uint64_t count_audit_entries(const platform::AuditLog& log, const std::string& organization,
                                  const std::string& topic, const std::string& detail) {
  platform::AuditQuery query;
  query.organization = organization;
  query.topic = topic;
  query.limit = platform::kAuditPageEntriesMax;
  std::uint64_t count = 0;
  while (true) {
    const auto page = log.search(query);
    if (!page.ok()) return count;
    for (const platform::AuditEntry& entry : page.value().entries) {
      if (detail.empty() || entry.detail.find(detail) != std::string::npos) ++count;
    }
    if (page.value().next_cursor.empty()) return count;
    query.cursor = page.value().next_cursor;
  }
}

CheckResult judge_audit(const Deployment& d, const platform::ControlPlane& plane,
                        const Check& check) {
  CheckResult r{check.id, false, ""};
  if (check.kind == CheckKind::kAuditTrailsIntact) {
    const platform::VerifyReport report = plane.audit_log.verify();
    r.passed = report.intact;
    r.detail = report.intact ? std::to_string(report.entries_checked) + " entries verified"
                             : "broken: " + report.reason;
    return r;
  }
  std::string trail = check.trail;
  for (std::size_t i = 0; i < d.scenario.organizations.size(); ++i) {
    if (d.scenario.organizations[i].name == check.trail) trail = d.tenants.organization_ids[i];
  }
  const auto count = count_audit_entries(plane.audit_log, trail, check.topic, check.detail);
  r.passed = within_bounds(static_cast<double>(count), check);
  r.detail = std::to_string(count) + " " + check.topic + " entries in the trail of " + check.trail +
             (check.detail.empty() ? "" : " containing '" + check.detail + "'") + "; expected " +
             bounds_text(check);
  return r;
}

std::string device_state_text(const platform::DeviceRecord& device) {
  std::string text = device.facts.serial + " " +
                     std::string(platform::onboarding_status_name(device.state.status));
  if (!device.state.failure_reason.empty()) text += " (" + device.state.failure_reason + ")";
  return text + " " + std::string(platform::device_mode_name(device.state.mode));
}

// The devices of a check that match it, and a few of each side for its detail.
struct DeviceTally {
  std::uint64_t selected = 0;
  std::uint64_t matched = 0;
  Time last{};  // the last onboarding, for all_devices_onboarded
  std::vector<std::string> matching, others;
};

bool device_matches(const Check& check, const platform::DeviceState& state) {
  switch (check.kind) {
    case CheckKind::kAllDevicesOnboarded:
      return state.status == platform::OnboardingStatus::kOnboarded &&
             state.onboarded_at <= check.within;
    case CheckKind::kDevicesWithStatus:
      return platform::onboarding_status_name(state.status) == check.status &&
             state.failure_reason.find(check.reason) != std::string::npos;
    case CheckKind::kDevicesInMode:
      return platform::device_mode_name(state.mode) == check.mode;
    default:
      assert(false && "not a device check");
      return false;
  }
}

DeviceTally tally_devices(const Deployment& d, const platform::ControlPlane& plane,
                          const Check& check) {
  DeviceTally tally;
  for (std::uint32_t device : select_devices(d.scenario, d.layout, check.devices)) {
    ++tally.selected;
    const platform::DeviceRecord record = plane.registry.device(device_serial(device)).value();
    const bool match = device_matches(check, record.state);
    if (match) {
      ++tally.matched;
      if (check.kind == CheckKind::kAllDevicesOnboarded) {
        tally.last = std::max(tally.last, record.state.onboarded_at);
      }
    }
    std::vector<std::string>& named = match ? tally.matching : tally.others;
    if (named.size() < kExamplesNamedMax) named.push_back(device_state_text(record));
  }
  return tally;
}

// Onboarding status and mode checks, at the end of the run.
CheckResult judge_devices(const Deployment& d, const platform::ControlPlane& plane,
                          const Check& check) {
  const DeviceTally t = tally_devices(d, plane, check);
  const std::string of =
      " of " + std::to_string(t.selected) + " devices" + selection_text(check.devices);
  // When too many devices match, name some of them; when too few, some of the others.
  const auto culprits = [&] {
    if (static_cast<double>(t.matched) > check.at_most && !t.matching.empty()) {
      return "; for example: " + join(t.matching);
    }
    return t.others.empty() ? std::string() : "; others: " + join(t.others);
  };
  CheckResult r{check.id, within_bounds(static_cast<double>(t.matched), check), ""};
  switch (check.kind) {
    case CheckKind::kAllDevicesOnboarded:
      r.passed = t.matched == t.selected && t.selected > 0;
      r.detail = std::to_string(t.matched) + of + " onboarded by " +
                 core::duration_text(check.within) +
                 (t.matched > 0 ? " (last at " + core::duration_text(t.last) + ")" : "") +
                 (t.others.empty() ? "" : "; not: " + join(t.others));
      break;
    case CheckKind::kDevicesWithStatus:
      r.detail = std::to_string(t.matched) + of + " " + check.status +
                 (check.reason.empty() ? "" : " with reason containing '" + check.reason + "'") +
                 "; expected " + bounds_text(check) + (r.passed ? "" : culprits());
      break;
    default:
      r.detail = std::to_string(t.matched) + of + " in " + check.mode + " mode; expected " +
                 bounds_text(check) + (r.passed ? "" : culprits());
      break;
  }
  return r;
}

}  // namespace

Judge::Judge(Deployment& deployment, Driver& driver)
    : deployment_(deployment), observed_(deployment.scenario.checks.size()) {
  const Scenario& scenario = deployment.scenario;
  for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
    const Check& check = scenario.checks[i];
    if (!check_spec(check.kind).looks_at_a_moment || check.at >= scenario.duration) continue;
    driver.at_platform(
        check.at,
        [this, i](Time now) {
          deployment_.trace.record(now, core::TraceEvent::kProbe, i,
                                   deployment_.platform.connected_count());
          observed_[i] = judge(deployment_.scenario.checks[i], {});
        },
        Phase::kObserve);
  }
}

std::vector<CheckResult> Judge::verdicts(
    const std::vector<std::pair<std::string, double>>& metrics) {
  std::vector<CheckResult> results;
  const Scenario& scenario = deployment_.scenario;
  for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
    results.push_back(observed_[i] ? std::move(*observed_[i]) : judge(scenario.checks[i], metrics));
    results.back().liveness = scenario.checks[i].liveness;
  }
  return results;
}

CheckResult Judge::judge(const Check& check,
                         const std::vector<std::pair<std::string, double>>& metrics) const {
  switch (check.kind) {
    case CheckKind::kAllDevicesConnected:
      return judge_all_connected(deployment_, check);
    case CheckKind::kConnectedFraction:
    case CheckKind::kDisconnectedFraction:
      return judge_fraction(deployment_, check);
    case CheckKind::kMetric:
      return judge_metric(check, metrics);
    case CheckKind::kReconnectRate:
      return judge_reconnect_rate(deployment_, check);
    default:
      break;
  }
  const platform::ControlPlane* plane = deployment_.plane();
  if (plane == nullptr) {
    return {check.id, false, "the scenario has no organizations, so no platform to look at"};
  }
  switch (check.kind) {
    case CheckKind::kAuditEntries:
    case CheckKind::kAuditTrailsIntact:
      return judge_audit(deployment_, *plane, check);
    case CheckKind::kAllDevicesOnboarded:
    case CheckKind::kDevicesWithStatus:
    case CheckKind::kDevicesInMode:
      return judge_devices(deployment_, *plane, check);
    default:
      return judge_work(deployment_, *plane, check);
  }
}

}  // namespace ccsim::scenarios

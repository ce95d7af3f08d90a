#include "scenarios/run.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "core/time_text.h"
#include "reports/result_files.h"
#include "scenarios/metrics.h"
#include "scenarios/scenario_file.h"
#include "sim/child_process.h"
#include "sim/simulation.h"

namespace ccsim::scenarios {
namespace {

using core::Time;
using platform::TaskStatus;

std::string format_fraction(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", value);
  return text;
}

bool within_bounds(double value, const Check& check) {
  return value >= check.at_least && value <= check.at_most;
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string bounds_text(const Check& check) {
  std::string text;
  if (check.at_least > -std::numeric_limits<double>::infinity()) {
    text += "at least " + format_number(check.at_least);
  }
  if (check.at_most < std::numeric_limits<double>::infinity()) {
    text += (text.empty() ? "" : " and ") + std::string("at most ") + format_number(check.at_most);
  }
  return text;
}

// What one check needs from the run, filled by probes and by the end of the run.
struct Observation {
  bool observed = false;
  std::uint64_t in_scope = 0;
  std::uint64_t connected = 0;
};

std::uint32_t site_index(const Scenario& scenario, const std::string& name) {
  for (std::uint32_t i = 0; i < scenario.sites.size(); ++i) {
    if (scenario.sites[i].name == name) return i;
  }
  assert(false && "check names a site the loader accepted");
  return 0;
}

// Counts the devices in the check's scope and those of them the platform shows connected.
Observation observe_connected(const Scenario& scenario, const Check& check,
                              const sim::PlatformView& view) {
  const platform::PlatformNode& platform = view.platform;
  const sim::FleetLayout& layout = view.layout;
  Observation o;
  o.observed = true;
  const bool whole_fleet = check.site.empty();
  const std::uint32_t site = whole_fleet ? 0 : site_index(scenario, check.site);
  o.in_scope = whole_fleet
                   ? layout.device_count()
                   : layout.first_device_of_site[site + 1] - layout.first_device_of_site[site];
  for (const platform::DeviceConnection& record : platform.devices()) {
    if (record.status != platform::ConnectionStatus::kConnected) continue;
    if (whole_fleet || layout.site_of_agent(record.connection) == site) ++o.connected;
  }
  return o;
}

// Devices connected at least once by `within`, and the time of the last first connection.
struct FirstConnections {
  std::uint64_t count = 0;
  Time last{};
};

FirstConnections first_connections(const platform::PlatformNode& platform, Duration within) {
  FirstConnections f;
  for (const platform::DeviceConnection& record : platform.devices()) {
    if (record.first_connected_at <= within) {
      ++f.count;
      f.last = std::max(f.last, record.first_connected_at);
    }
  }
  return f;
}

std::vector<std::pair<std::string, double>> collect_metrics(const sim::SimulationOutcome& o) {
  const platform::PlatformMetrics& p = o.platform;
  const sim::ActionCounters& a = o.actions;
  const double values[] = {
      static_cast<double>(o.devices),
      static_cast<double>(o.devices_connected_end),
      static_cast<double>(p.hellos_accepted),
      static_cast<double>(p.hellos_refused),
      static_cast<double>(p.heartbeats_received),
      static_cast<double>(p.goodbyes_received),
      static_cast<double>(p.disconnects_detected),
      static_cast<double>(p.reconnects),
      static_cast<double>(p.frame_errors_total()),
      static_cast<double>(p.frames_without_hello),
      static_cast<double>(o.fleet.connects_requested),
      static_cast<double>(o.fleet.presumed_dead),
      static_cast<double>(o.network.messages_sent),
      static_cast<double>(o.network.messages_delivered),
      static_cast<double>(o.network.messages_dropped_loss),
      static_cast<double>(o.network.messages_dropped_partition),
      static_cast<double>(o.network.bytes_sent),
      static_cast<double>(p.peak_connected),
      static_cast<double>(p.hellos_refused_unregistered),
      static_cast<double>(a.claims_attempted),
      static_cast<double>(a.claims_accepted),
      static_cast<double>(a.claims_refused[0]),
      static_cast<double>(a.claims_refused[1]),
      static_cast<double>(a.claims_refused[2]),
      static_cast<double>(a.claims_refused[3]),
      static_cast<double>(a.claims_refused[4]),
      static_cast<double>(a.claims_refused[5]),
      static_cast<double>(a.claims_refused[6]),
      static_cast<double>(a.claims_refused[7]),
      static_cast<double>(p.provisions_sent),
      static_cast<double>(o.fleet.provisions_accepted),
      static_cast<double>(p.onboardings_completed),
      static_cast<double>(p.onboardings_refused),
      static_cast<double>(p.onboardings_timed_out),
      static_cast<double>(p.device_reports),
      static_cast<double>(p.mode_changes_sent),
      static_cast<double>(a.live_video_granted),
      static_cast<double>(a.live_video_refused),
      static_cast<double>(o.audit_entries),
      static_cast<double>(o.tasks.created),
      static_cast<double>(o.tasks.by_status[static_cast<std::size_t>(TaskStatus::kSucceeded)]),
      static_cast<double>(o.tasks.by_status[static_cast<std::size_t>(TaskStatus::kFailed)]),
      static_cast<double>(o.tasks.by_status[static_cast<std::size_t>(TaskStatus::kCancelled)]),
      static_cast<double>(o.tasks.by_status[static_cast<std::size_t>(TaskStatus::kTimedOut)]),
      static_cast<double>(o.tasks.redeliveries),
      static_cast<double>(o.fleet.task_executions),
      static_cast<double>(p.task_notifications),
      static_cast<double>(a.work_accepted),
      static_cast<double>(a.work_refused),
      static_cast<double>(p.release_checks),
      static_cast<double>(p.install_offers),
      static_cast<double>(p.recommendations),
      static_cast<double>(o.fleet.installs_created),
      static_cast<double>(o.fleet.upgrades_succeeded),
      static_cast<double>(o.fleet.upgrades_failed),
      static_cast<double>(o.tasks.rollouts_aborted),
      static_cast<double>(p.telemetry_recorded),
      static_cast<double>(p.telemetry_refused),
      static_cast<double>(o.tasks.insights_raised),
      static_cast<double>(a.consents_set),
      static_cast<double>(a.consents_refused),
      static_cast<double>(o.fleet.restarts),
      static_cast<double>(a.device_actions_refused),
  };
  // The claims_refused_* names follow platform::ErrorCode's order.
  static_assert(static_cast<int>(platform::ErrorCode::kInvalidArgument) == 0);
  static_assert(static_cast<int>(platform::ErrorCode::kLocked) == 7);
  static_assert(std::size(values) == kMetricNames.size());
  std::vector<std::pair<std::string, double>> metrics;
  for (std::size_t i = 0; i < kMetricNames.size(); ++i) {
    metrics.emplace_back(std::string(kMetricNames[i]), values[i]);
  }
  return metrics;
}

double metric_value(const std::vector<std::pair<std::string, double>>& metrics,
                    const std::string& name) {
  for (const auto& [key, value] : metrics) {
    if (key == name) return value;
  }
  assert(false && "check names a metric the loader accepted");
  return 0;
}

CheckResult judge_fraction(const Check& check, const Observation& o) {
  const std::uint64_t counted =
      check.kind == CheckKind::kConnectedFraction ? o.connected : o.in_scope - o.connected;
  const double fraction =
      o.in_scope == 0 ? 0.0 : static_cast<double>(counted) / static_cast<double>(o.in_scope);
  const char* what = check.kind == CheckKind::kConnectedFraction ? "connected" : "disconnected";
  CheckResult r{check.id, o.observed && within_bounds(fraction, check), ""};
  r.detail = std::string(what) + " at " + core::duration_text(check.at) +
             (check.site.empty() ? "" : " at site " + check.site) + ": " + std::to_string(counted) +
             " of " + std::to_string(o.in_scope) + " = " + format_fraction(fraction) +
             "; expected " + bounds_text(check);
  return r;
}

bool judged_by_control_plane(CheckKind kind) {
  return kind == CheckKind::kAllDevicesOnboarded || kind == CheckKind::kDevicesWithStatus ||
         kind == CheckKind::kDevicesInMode || kind == CheckKind::kAuditEntries ||
         kind == CheckKind::kAuditTrailsIntact;
}

// The checks of tasks, software and insights; kDevicesOnVersion is judged at its `at`.
bool judged_on_work(CheckKind kind) {
  return kind == CheckKind::kDevicesOnVersion || kind == CheckKind::kUpdatesOutsideWindow ||
         kind == CheckKind::kRolloutState || kind == CheckKind::kTasks ||
         kind == CheckKind::kInsights;
}

// Devices named in a detail at most, so a failing check on a large fleet stays readable.
constexpr std::size_t kDevicesNamedMax = 3;

std::string selection_text(const DeviceSelection& selection) {
  std::string text;
  if (!selection.organization.empty()) text += " of " + selection.organization;
  if (!selection.site.empty()) text += " at site " + selection.site;
  if (!selection.model.empty()) text += " of model " + selection.model;
  return text;
}

std::string device_state_text(const platform::DeviceRecord& device) {
  std::string text = device.facts.serial + " " +
                     std::string(platform::onboarding_status_name(device.state.status));
  if (!device.state.failure_reason.empty()) text += " (" + device.state.failure_reason + ")";
  return text + " " + std::string(platform::device_mode_name(device.state.mode));
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

// The checks that look at the control plane (onboarding status, modes, the audit log), at the
// end of the run.
CheckResult judge_control_plane(const Scenario& scenario, const Check& check,
                                const sim::PlatformView& view) {
  CheckResult r{check.id, false, ""};
  const platform::ControlPlane* plane = view.platform.control_plane();
  if (plane == nullptr) {
    r.detail = "the scenario has no organizations, so no platform to look at";
    return r;
  }
  if (check.kind == CheckKind::kAuditTrailsIntact) {
    const platform::VerifyReport report = plane->audit_log.verify();
    r.passed = report.intact;
    r.detail = report.intact ? std::to_string(report.entries_checked) + " entries verified"
                             : "broken: " + report.reason;
    return r;
  }
  if (check.kind == CheckKind::kAuditEntries) {
    std::string trail = check.trail;
    for (std::size_t i = 0; i < scenario.organizations.size(); ++i) {
      if (scenario.organizations[i].name == check.trail) trail = view.organization_ids[i];
    }
    const auto count = count_audit_entries(plane->audit_log, trail, check.topic, check.detail);
    r.passed = within_bounds(static_cast<double>(count), check);
    r.detail = std::to_string(count) + " " + check.topic + " entries in the trail of " +
               check.trail + (check.detail.empty() ? "" : " containing '" + check.detail + "'") +
               "; expected " + bounds_text(check);
    return r;
  }
  const std::vector<std::uint32_t> selected =
      sim::select_devices(scenario, view.layout, check.devices);
  std::uint64_t matched = 0;
  Time last{};
  // A few devices of each side, named in the detail of a failed check.
  std::vector<std::string> matching, others;
  for (std::uint32_t device : selected) {
    const platform::DeviceRecord record =
        plane->registry.device(sim::device_serial(device)).value();
    const platform::DeviceState& state = record.state;
    bool match = false;
    switch (check.kind) {
      case CheckKind::kAllDevicesOnboarded:
        match = state.status == platform::OnboardingStatus::kOnboarded &&
                state.onboarded_at <= check.within;
        if (match) last = std::max(last, state.onboarded_at);
        break;
      case CheckKind::kDevicesWithStatus:
        match = platform::onboarding_status_name(state.status) == check.status &&
                state.failure_reason.find(check.reason) != std::string::npos;
        break;
      case CheckKind::kDevicesInMode:
        match = platform::device_mode_name(state.mode) == check.mode;
        break;
      default:
        assert(false && "not a device check");
    }
    std::vector<std::string>& named = match ? matching : others;
    if (match) ++matched;
    if (named.size() < kDevicesNamedMax) named.push_back(device_state_text(record));
  }
  const std::string of =
      " of " + std::to_string(selected.size()) + " devices" + selection_text(check.devices);
  const auto join_named = [](const std::vector<std::string>& devices) {
    std::string text;
    for (const std::string& device : devices) text += (text.empty() ? "" : ", ") + device;
    return text;
  };
  const std::string unmatched = join_named(others);
  // When too many devices match, name some of them; when too few, some of the others.
  const auto culprits = [&] {
    if (static_cast<double>(matched) > check.at_most && !matching.empty()) {
      return "; for example: " + join_named(matching);
    }
    return unmatched.empty() ? std::string() : "; others: " + unmatched;
  };
  switch (check.kind) {
    case CheckKind::kAllDevicesOnboarded:
      r.passed = matched == selected.size() && !selected.empty();
      r.detail = std::to_string(matched) + of + " onboarded by " +
                 core::duration_text(check.within) +
                 (matched > 0 ? " (last at " + core::duration_text(last) + ")" : "") +
                 (unmatched.empty() ? "" : "; not: " + unmatched);
      break;
    case CheckKind::kDevicesWithStatus:
      r.passed = within_bounds(static_cast<double>(matched), check);
      r.detail = std::to_string(matched) + of + " " + check.status +
                 (check.reason.empty() ? "" : " with reason containing '" + check.reason + "'") +
                 "; expected " + bounds_text(check) + (r.passed ? "" : culprits());
      break;
    default:
      r.passed = within_bounds(static_cast<double>(matched), check);
      r.detail = std::to_string(matched) + of + " in " + check.mode + " mode; expected " +
                 bounds_text(check) + (r.passed ? "" : culprits());
      break;
  }
  return r;
}

// Policy updates (upgrades a host started on its own) that started outside the window of their
// device: its profile's window in its site's zone, where its organization's offering allows
// windows. Returns {outside, started} and names a few of the outside ones.
struct WindowAudit {
  std::uint64_t started = 0;
  std::uint64_t outside = 0;
  std::vector<std::string> examples;
};

WindowAudit audit_update_windows(const Scenario& scenario, const sim::PlatformView& view,
                                 const platform::ControlPlane& plane) {
  WindowAudit audit;
  std::map<std::pair<std::uint32_t, std::string>, std::optional<platform::UpdateWindow>> windows;
  for (const std::string& organization : view.organization_ids) {
    for (const platform::Task& task : plane.tasks.tasks_of(organization)) {
      if (task.origin != platform::TaskOrigin::kHost ||
          task.payload.action != platform::kActionUpgradeFirmware || !task.started_at) {
        continue;
      }
      ++audit.started;
      const std::optional<std::uint64_t> device = sim::device_index(task.device);
      if (!device || *device >= view.layout.device_count()) continue;
      const std::uint32_t site = view.layout.site_of_device[*device];
      const Site& where = scenario.sites[site];
      const platform::DeviceState state = plane.registry.device(task.device).value().state;
      auto [cached, fresh] = windows.try_emplace({site, state.profile});
      if (fresh && where.organization >= 0 &&
          scenario.organizations[static_cast<std::size_t>(where.organization)].update_windows) {
        for (const Profile& profile : scenario.profiles) {
          if (profile.name != state.profile || !profile.update_window) continue;
          const ProfileUpdateWindow& w = *profile.update_window;
          auto window = platform::UpdateWindow::create(
              platform::UpdateWindowSchedule{w.days, w.start, w.duration, where.time_zone},
              scenario.epoch);
          if (window.ok()) cached->second.emplace(std::move(window).value());
        }
      }
      if (!cached->second || cached->second->is_open(*task.started_at)) continue;
      ++audit.outside;
      if (audit.examples.size() < kDevicesNamedMax) {
        audit.examples.push_back(task.device + " at " + core::duration_text(*task.started_at) +
                                 " (" + platform::update_window_text(cached->second->schedule()) +
                                 ")");
      }
    }
  }
  return audit;
}

// The checks of tasks, software and insights.
CheckResult judge_work(const Scenario& scenario, const Check& check,
                       const sim::PlatformView& view) {
  CheckResult r{check.id, false, ""};
  const platform::ControlPlane* plane = view.platform.control_plane();
  if (plane == nullptr) {
    r.detail = "the scenario has no organizations, so no platform to look at";
    return r;
  }
  const auto join = [](const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
  };
  if (check.kind == CheckKind::kUpdatesOutsideWindow) {
    const WindowAudit audit = audit_update_windows(scenario, view, *plane);
    r.passed = within_bounds(static_cast<double>(audit.outside), check);
    r.detail = std::to_string(audit.outside) + " of " + std::to_string(audit.started) +
               " policy updates started outside their device's window; expected " +
               bounds_text(check) +
               (audit.examples.empty() ? "" : "; for example: " + join(audit.examples));
    return r;
  }
  if (check.kind == CheckKind::kRolloutState) {
    const platform::RolloutRecord* found = nullptr;
    for (const std::string& organization : view.organization_ids) {
      if ((found = plane->rollouts.find(organization, check.rollout)) != nullptr) break;
    }
    if (found == nullptr) {
      r.detail = "no rollout named " + check.rollout + " was started";
      return r;
    }
    const platform::Rollout& rollout = found->rollout;
    const std::string state(platform::rollout_state_name(rollout.state()));
    r.passed =
        state == check.state && within_bounds(static_cast<double>(rollout.finished()), check);
    r.detail = "rollout " + check.rollout + " " + state + " with " +
               std::to_string(rollout.succeeded()) + " succeeded and " +
               std::to_string(rollout.failed()) + " failed" +
               (rollout.abort_reason().empty() ? "" : " (" + rollout.abort_reason() + ")") +
               "; expected " + check.state +
               (bounds_text(check).empty() ? "" : " with finished devices " + bounds_text(check));
    return r;
  }
  const std::vector<std::uint32_t> selected =
      sim::select_devices(scenario, view.layout, check.devices);
  const std::string of =
      " of " + std::to_string(selected.size()) + " devices" + selection_text(check.devices);
  std::uint64_t matched = 0;
  std::vector<std::string> others;
  if (check.kind == CheckKind::kTasks) {
    std::set<std::string> devices;
    for (std::uint32_t device : selected) devices.insert(sim::device_serial(device));
    std::uint64_t considered = 0;
    for (const std::string& organization : view.organization_ids) {
      for (const platform::Task& task : plane->tasks.tasks_of(organization)) {
        if (!devices.contains(task.device)) continue;
        if (!check.action.empty() && task.payload.action != check.action) continue;
        const bool host = task.origin == platform::TaskOrigin::kHost;
        if (!check.origin.empty() && (check.origin == "host") != host) continue;
        ++considered;
        if (check.status.empty() || platform::task_status_name(task.status) == check.status) {
          ++matched;
        } else if (others.size() < kDevicesNamedMax) {
          others.push_back(task.id + " on " + task.device + " " +
                           std::string(platform::task_status_name(task.status)) +
                           (task.detail.empty() ? "" : " (" + task.detail + ")"));
        }
      }
    }
    r.passed = within_bounds(static_cast<double>(matched), check);
    r.detail = std::to_string(matched) + " of " + std::to_string(considered) + " tasks" +
               (check.action.empty() ? "" : " " + check.action) +
               (check.origin.empty() ? "" : " from the " + check.origin) +
               (check.status.empty() ? "" : " " + check.status) + " on devices" +
               selection_text(check.devices) + "; expected " + bounds_text(check) +
               (r.passed || others.empty() ? "" : "; others: " + join(others));
    return r;
  }
  for (std::uint32_t device : selected) {
    const std::string serial = sim::device_serial(device);
    bool match = false;
    std::string seen;
    if (check.kind == CheckKind::kDevicesOnVersion) {
      seen = plane->registry.device(serial).value().state.os_version;
      match = seen == check.version;
    } else {
      for (const platform::Insight& insight : plane->insights.insights_of(serial)) {
        const std::string_view kind = platform::insight_kind_name(insight.kind);
        seen += (seen.empty() ? "" : ",") + std::string(kind);
        match = match || kind == check.insight;
      }
    }
    if (match) {
      ++matched;
    } else if (others.size() < kDevicesNamedMax) {
      others.push_back(serial + " " + (seen.empty() ? "none" : seen));
    }
  }
  r.passed = within_bounds(static_cast<double>(matched), check);
  const std::string what = check.kind == CheckKind::kDevicesOnVersion
                               ? " on " + check.version + " at " + core::duration_text(check.at)
                               : " with insight " + check.insight;
  r.detail = std::to_string(matched) + of + what + "; expected " + bounds_text(check) +
             (r.passed || others.empty() ? "" : "; others: " + join(others));
  return r;
}

}  // namespace

namespace {

// One argument as a POSIX shell reads it back: bare when it is plainly safe, else single-quoted.
std::string shell_quote(const std::string& argument) {
  const bool plain = !argument.empty() && argument.find_first_not_of(
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_./=:,+@%-") == std::string::npos;
  if (plain) return argument;
  std::string quoted = "'";
  for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string reproduce_command(const std::string& file, const RunSettings& settings) {
  std::string command =
      "ccsim run " + shell_quote(file) + " --seed " + std::to_string(settings.seed);
  for (const auto& [key, value] : settings.overrides) {
    command += " --set " + shell_quote(key + "=" + value);
  }
  return command;
}

RunResult run_scenario(const Scenario& scenario, const RunSettings& settings) {
  const auto wall_start = std::chrono::steady_clock::now();
  std::vector<Observation> observations(scenario.checks.size());

  sim::SimulationOptions options;
  options.seed = settings.seed;
  options.progress = settings.progress;
  for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
    const Check& check = scenario.checks[i];
    if (check.kind != CheckKind::kConnectedFraction &&
        check.kind != CheckKind::kDisconnectedFraction) {
      continue;
    }
    options.probes.push_back({check.at, [&, i](Time, const sim::PlatformView& view) {
                                observations[i] =
                                    observe_connected(scenario, scenario.checks[i], view);
                              }});
  }
  // The end of the run: first connections, judged once the platform knows everything.
  std::vector<FirstConnections> first_by_check(scenario.checks.size());
  std::vector<CheckResult> judged_at_end(scenario.checks.size());
  // Versions are judged when the check says (by a deadline); the other work checks at the end.
  for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
    const Check& check = scenario.checks[i];
    if (!judged_on_work(check.kind)) continue;
    const Time at = check.kind == CheckKind::kDevicesOnVersion ? check.at : scenario.duration;
    options.probes.push_back({at, [&, i](Time, const sim::PlatformView& view) {
                                judged_at_end[i] = judge_work(scenario, scenario.checks[i], view);
                              }});
  }
  options.probes.push_back({scenario.duration, [&](Time, const sim::PlatformView& view) {
                              for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
                                const Check& check = scenario.checks[i];
                                if (check.kind == CheckKind::kAllDevicesConnected) {
                                  first_by_check[i] =
                                      first_connections(view.platform, check.within);
                                } else if (judged_by_control_plane(check.kind)) {
                                  judged_at_end[i] = judge_control_plane(scenario, check, view);
                                }
                              }
                            }});

  const sim::SimulationOutcome outcome = sim::simulate(scenario, options);

  RunResult result;
  result.scenario = scenario.name;
  result.file = scenario.file;
  result.seed = settings.seed;
  result.metrics = collect_metrics(outcome);
  result.trace_hash = outcome.trace_hash;
  result.sim_time_s = outcome.sim_time_s;
  result.events = outcome.trace_events;
  result.devices = outcome.devices;
  result.reproduce = reproduce_command(scenario.file, settings);
  for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
    const Check& check = scenario.checks[i];
    switch (check.kind) {
      case CheckKind::kAllDevicesConnected: {
        const FirstConnections& f = first_by_check[i];
        CheckResult r{check.id, f.count == outcome.devices, ""};
        r.detail = std::to_string(f.count) + " of " + std::to_string(outcome.devices) +
                   " devices connected by " + core::duration_text(check.within) +
                   (f.count > 0 ? " (last at " + core::duration_text(f.last) + ")" : "");
        result.checks.push_back(std::move(r));
        break;
      }
      case CheckKind::kConnectedFraction:
      case CheckKind::kDisconnectedFraction:
        result.checks.push_back(judge_fraction(check, observations[i]));
        break;
      case CheckKind::kMetric: {
        const double value = metric_value(result.metrics, check.metric);
        CheckResult r{check.id, within_bounds(value, check), ""};
        r.detail = check.metric + " = " + format_number(value) + "; expected " + bounds_text(check);
        result.checks.push_back(std::move(r));
        break;
      }
      case CheckKind::kAllDevicesOnboarded:
      case CheckKind::kDevicesWithStatus:
      case CheckKind::kDevicesInMode:
      case CheckKind::kAuditEntries:
      case CheckKind::kAuditTrailsIntact:
      case CheckKind::kDevicesOnVersion:
      case CheckKind::kUpdatesOutsideWindow:
      case CheckKind::kRolloutState:
      case CheckKind::kTasks:
      case CheckKind::kInsights:
        result.checks.push_back(std::move(judged_at_end[i]));
        break;
    }
  }
  result.passed = std::all_of(result.checks.begin(), result.checks.end(),
                              [](const CheckResult& c) { return c.passed; });
  result.wall_time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

RunResult run_in_child_process(const std::string& path, const RunSettings& settings) {
  const std::string answer = sim::run_in_child([&]() -> std::string {
    nlohmann::ordered_json reply;
    try {
      reply["result"] =
          reports::result_to_json(run_scenario(load_scenario(path, settings.overrides), settings));
    } catch (const ScenarioError& e) {
      reply["scenario_error"] = {{"file", e.file},
                                 {"line", e.line},
                                 {"key", e.key},
                                 {"expected", e.expected},
                                 {"setting", e.setting}};
    } catch (const std::exception& e) {
      reply["error"] = e.what();
    }
    return reply.dump();
  });
  const nlohmann::json reply = nlohmann::json::parse(answer);
  if (reply.contains("scenario_error")) {
    const nlohmann::json& e = reply["scenario_error"];
    throw ScenarioError(e["file"], e["line"], e["key"], e["expected"], e["setting"]);
  }
  if (reply.contains("error")) throw std::runtime_error(reply["error"].get<std::string>());
  return reports::result_from_json(reply["result"], path);
}

}  // namespace ccsim::scenarios

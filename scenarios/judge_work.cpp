// The judge's checks of tasks, software updates and insights: devices on a version, updates
// started outside their window, a rollout's end state, tasks by action, status and origin, and
// insights raised.
#include <algorithm>
#include <cassert>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "core/time_text.h"
#include "scenarios/deployment.h"
#include "scenarios/model/run_result.h"
#include "scenarios/task_accounts.h"
#include "scenarios/verdict_text.h"

namespace ccsim::scenarios {
namespace {

using core::Time;

// The window a device's policy updates must start in: its profile's, in its site's zone, where
// its organization's offering allows windows; none otherwise.
std::optional<platform::UpdateWindow> window_of(const Scenario& scenario, const Site& site,
                                                const std::string& profile_name) {
  if (site.organization < 0 ||
      !scenario.organizations[static_cast<std::size_t>(site.organization)].update_windows) {
    return std::nullopt;
  }
  for (const Profile& profile : scenario.profiles) {
    if (profile.name != profile_name || !profile.update_window) continue;
    const ProfileUpdateWindow& w = *profile.update_window;
    auto window = platform::UpdateWindow::create(
        platform::UpdateWindowSchedule{w.days, w.start, w.duration, site.time_zone},
        scenario.epoch);
    if (window.ok()) return std::move(window).value();
  }
  return std::nullopt;
}

// Policy updates (upgrades a host started on its own) that started outside the window of their
// device, and a few of them named.
struct WindowAudit {
  std::uint64_t started = 0;
  std::uint64_t outside = 0;
  std::vector<std::string> examples;
};

WindowAudit audit_update_windows(const Deployment& d, const platform::ControlPlane& plane) {
  WindowAudit audit;
  std::map<std::pair<std::uint32_t, std::string>, std::optional<platform::UpdateWindow>> windows;
  for (const std::string& organization : d.tenants.organization_ids) {
    for (const platform::Task& task : plane.tasks.tasks_of(organization)) {
      if (task.origin != platform::TaskOrigin::kHost ||
          task.payload.action != wire::TASK_ACTION_UPGRADE_FIRMWARE || !task.started_at) {
        continue;
      }
      ++audit.started;
      const std::optional<std::uint64_t> device = device_index(task.device);
      if (!device || *device >= d.layout.device_count()) continue;
      const std::uint32_t site = d.layout.site_of_device[*device];
      const std::string profile = plane.registry.device(task.device).value().state.profile;
      auto [cached, fresh] = windows.try_emplace({site, profile});
      if (fresh) cached->second = window_of(d.scenario, d.scenario.sites[site], profile);
      if (!cached->second || cached->second->is_open(*task.started_at)) continue;
      ++audit.outside;
      if (audit.examples.size() < kExamplesNamedMax) {
        audit.examples.push_back(task.device + " at " + core::duration_text(*task.started_at) +
                                 " (" + platform::update_window_text(cached->second->schedule()) +
                                 ")");
      }
    }
  }
  return audit;
}

CheckResult judge_windows(const Deployment& d, const platform::ControlPlane& plane,
                          const Check& check) {
  const WindowAudit audit = audit_update_windows(d, plane);
  CheckResult r{check.id, within_bounds(static_cast<double>(audit.outside), check), ""};
  r.detail = std::to_string(audit.outside) + " of " + std::to_string(audit.started) +
             " policy updates started outside their device's window; expected " +
             bounds_text(check) +
             (audit.examples.empty() ? "" : "; for example: " + join(audit.examples));
  return r;
}

CheckResult judge_rollout(const Deployment& d, const platform::ControlPlane& plane,
                          const Check& check) {
  CheckResult r{check.id, false, ""};
  const platform::RolloutRecord* found = nullptr;
  for (const std::string& organization : d.tenants.organization_ids) {
    if ((found = plane.rollouts.find(organization, check.rollout)) != nullptr) break;
  }
  if (found == nullptr) {
    r.detail = "no rollout named " + check.rollout + " was started";
    return r;
  }
  const platform::Rollout& rollout = found->rollout;
  const std::string state(platform::rollout_state_name(rollout.state()));
  const bool settled = rollout.state() != platform::RolloutState::kRunning;
  r.passed = (check.state == "settled" ? settled : state == check.state) &&
             within_bounds(static_cast<double>(rollout.finished()), check);
  r.detail = "rollout " + check.rollout + " " + state + " with " +
             std::to_string(rollout.succeeded()) + " succeeded and " +
             std::to_string(rollout.failed()) + " failed" +
             (rollout.abort_reason().empty() ? "" : " (" + rollout.abort_reason() + ")") +
             "; expected " + check.state +
             (bounds_text(check).empty() ? "" : " with finished devices " + bounds_text(check));
  return r;
}

bool task_considered(const Check& check, const platform::Task& task) {
  if (!check.action.empty() && wire::task_action_name(task.payload.action) != check.action) {
    return false;
  }
  const bool host = task.origin == platform::TaskOrigin::kHost;
  return check.origin.empty() || (check.origin == "host") == host;
}

CheckResult judge_tasks(const Deployment& d, const platform::ControlPlane& plane,
                        const Check& check) {
  std::set<std::string> devices;
  for (std::uint32_t device : select_devices(d.scenario, d.layout, check.devices)) {
    devices.insert(device_serial(device));
  }
  std::uint64_t considered = 0, matched = 0;
  std::vector<std::string> others;
  for (const std::string& organization : d.tenants.organization_ids) {
    for (const platform::Task& task : plane.tasks.tasks_of(organization)) {
      if (!devices.contains(task.device) || !task_considered(check, task)) continue;
      ++considered;
      if (check.status.empty() || platform::task_status_name(task.status) == check.status) {
        ++matched;
      } else if (others.size() < kExamplesNamedMax) {
        others.push_back(task.id + " on " + task.device + " " +
                         std::string(platform::task_status_name(task.status)) +
                         (task.detail.empty() ? "" : " (" + task.detail + ")"));
      }
    }
  }
  CheckResult r{check.id, within_bounds(static_cast<double>(matched), check), ""};
  r.detail = std::to_string(matched) + " of " + std::to_string(considered) + " tasks" +
             (check.action.empty() ? "" : " " + check.action) +
             (check.origin.empty() ? "" : " from the " + check.origin) +
             (check.status.empty() ? "" : " " + check.status) + " on devices" +
             selection_text(check.devices) + "; expected " + bounds_text(check) +
             (r.passed || others.empty() ? "" : "; others: " + join(others));
  return r;
}

// The engine of the host that ran `task`; null when the host is not one of the fleet's.
const devices::TaskEngine* engine_of(const Deployment& d, const platform::Task& task) {
  const std::optional<std::uint64_t> device = device_index(task.host);
  if (!device || *device >= d.layout.agent_of_device.size()) return nullptr;
  const devices::DeviceHost* host = d.agents[d.layout.agent_of_device[*device]].host();
  return host == nullptr ? nullptr : &host->engine();
}

// tasks_exactly_once: the platform's tasks against their hosts' journals.
CheckResult judge_tasks_once(const Deployment& d, const platform::ControlPlane& plane,
                             const Check& check) {
  std::set<std::string> devices;
  for (std::uint32_t device : select_devices(d.scenario, d.layout, check.devices)) {
    devices.insert(device_serial(device));
  }
  std::uint64_t considered = 0, unknown_to_host = 0, wrong = 0;
  std::vector<std::string> examples;
  for (const std::string& organization : d.tenants.organization_ids) {
    for (const platform::Task& task : plane.tasks.tasks_of(organization)) {
      if (!devices.contains(task.device) || !task_considered(check, task)) continue;
      ++considered;
      const devices::TaskEngine* engine = engine_of(d, task);
      if (engine != nullptr && !engine->runs_of(task.id)) ++unknown_to_host;
      const std::string problem = task_accounts_disagree(task, engine);
      if (problem.empty()) continue;
      ++wrong;
      if (examples.size() < kExamplesNamedMax) {
        examples.push_back(task.id + " on " + task.device + " " + problem);
      }
    }
  }
  CheckResult r{check.id, wrong == 0, ""};
  r.detail = std::to_string(considered - wrong) + " of " + std::to_string(considered) + " tasks" +
             (check.action.empty() ? "" : " " + check.action) + " on devices" +
             selection_text(check.devices) + " agree with their hosts' journals (" +
             std::to_string(unknown_to_host) + " never reached their host)" +
             (examples.empty() ? "" : "; " + join(examples));
  return r;
}

// devices_on_version and insights: how many selected devices run the version, or have the
// insight.
CheckResult judge_device_facts(const Deployment& d, const platform::ControlPlane& plane,
                               const Check& check) {
  const std::vector<std::uint32_t> selected = select_devices(d.scenario, d.layout, check.devices);
  std::uint64_t matched = 0;
  std::vector<std::string> others;
  for (std::uint32_t device : selected) {
    const std::string serial = device_serial(device);
    bool match = false;
    std::string seen;
    if (check.kind == CheckKind::kDevicesOnVersion) {
      seen = plane.registry.device(serial).value().state.os_version;
      match = seen == check.version;
    } else {
      for (const platform::Insight& insight : plane.insights.insights_of(serial)) {
        const std::string_view kind = platform::insight_kind_name(insight.kind);
        seen += (seen.empty() ? "" : ",") + std::string(kind);
        match = match || kind == check.insight;
      }
    }
    if (match) {
      ++matched;
    } else if (others.size() < kExamplesNamedMax) {
      others.push_back(serial + " " + (seen.empty() ? "none" : seen));
    }
  }
  CheckResult r{check.id, within_bounds(static_cast<double>(matched), check), ""};
  const std::string what = check.kind == CheckKind::kDevicesOnVersion
                               ? " on " + check.version + " at " + core::duration_text(check.at)
                               : " with insight " + check.insight;
  r.detail = std::to_string(matched) + " of " + std::to_string(selected.size()) + " devices" +
             selection_text(check.devices) + what + "; expected " + bounds_text(check) +
             (r.passed || others.empty() ? "" : "; others: " + join(others));
  return r;
}

}  // namespace

CheckResult judge_work(const Deployment& d, const platform::ControlPlane& plane,
                       const Check& check) {
  switch (check.kind) {
    case CheckKind::kUpdatesOutsideWindow:
      return judge_windows(d, plane, check);
    case CheckKind::kRolloutState:
      return judge_rollout(d, plane, check);
    case CheckKind::kTasks:
      return judge_tasks(d, plane, check);
    case CheckKind::kTasksExactlyOnce:
      return judge_tasks_once(d, plane, check);
    case CheckKind::kDevicesOnVersion:
    case CheckKind::kInsights:
      return judge_device_facts(d, plane, check);
    default:
      assert(false && "not a check of tasks, software or insights");
      return {check.id, false, "not a check of tasks, software or insights"};
  }
}

}  // namespace ccsim::scenarios

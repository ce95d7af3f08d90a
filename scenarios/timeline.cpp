#include "scenarios/timeline.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <set>
#include <utility>

#include "scenarios/model/vocabulary.h"
#include "scenarios/scenario_error.h"

namespace ccsim::scenarios {
namespace {

using core::Time;

// The sites a fault matches: the one named, or every site of the region named, or every site.
std::vector<std::uint32_t> sites_of(const Scenario& scenario, const Fault& fault) {
  std::vector<std::uint32_t> sites;
  for (std::uint32_t s = 0; s < scenario.sites.size(); ++s) {
    const Site& site = scenario.sites[s];
    const bool matches = fault.site.empty() ? (fault.region.empty() || fault.region == site.region)
                                            : fault.site == site.name;
    if (matches) sites.push_back(s);
  }
  return sites;
}

}  // namespace

Timeline::Timeline(Deployment& deployment, Driver& driver)
    : deployment_(deployment),
      driver_(driver),
      live_(deployment, driver),
      timeline_random_(deployment.seed, core::kTimelineStream) {
  const Scenario& scenario = deployment.scenario;
  for (const Action& action : scenario.actions) {
    selected_.push_back(select_devices(scenario, deployment.layout, action.devices));
  }
  claims_done_.assign(scenario.actions.size(), 0);
  site_outs_.resize(scenario.sites.size());
  refuse_gateways_the_driver_cannot_make();
  schedule_start();
  for (const Fault& fault : scenario.timeline) schedule_fault(fault);
  for (std::uint32_t i = 0; i < scenario.actions.size(); ++i) schedule_action(i);
}

// The platform node first, then each site's agents: at once with a connection drawn in
// start_within, or staggered evenly in agent order, as a rolling power-on does.
void Timeline::schedule_start() {
  driver_.at_platform(Time(0), [this](Time now) {
    deployment_.platform.start(now, platform_out_);
    driver_.dispatch_platform(now, platform_out_);
  });
  const FleetLayout& layout = deployment_.layout;
  for (std::uint32_t site = 0; site < deployment_.scenario.sites.size(); ++site) {
    driver_.at_site(Time(0), site, [this, site, &layout](Time now) {
      const Scenario& s = deployment_.scenario;
      const auto fleet_size = static_cast<std::int64_t>(layout.agent_count());
      core::Outbox& out = site_outs_[site];
      for (std::uint32_t agent = layout.first_agent_of_site[site];
           agent < layout.first_agent_of_site[site + 1]; ++agent) {
        devices::DeviceAgent& a = deployment_.agents[agent];
        if (s.start_order == StartOrder::kStaggered) {
          a.start_at(s.start_within * agent / fleet_size, out);
        } else {
          a.start(now, out);
        }
        driver_.dispatch_agent(now, agent, out);
      }
    });
  }
}

void Timeline::refuse_gateways_the_driver_cannot_make() const {
  const Scenario& scenario = deployment_.scenario;
  if (scenario.regions.size() > 1 && !driver_.makes_regions()) {
    throw ScenarioError(scenario.file, scenario.regions[1].line, "regions",
                        "this driver has one device endpoint, not one per region, yet; expected "
                        "another driver (--driver sim) or one region");
  }
  if (driver_.makes_site_gateways()) return;
  for (const Site& site : deployment_.scenario.sites) {
    if (!site.nat && !site.firewall) continue;
    throw ScenarioError(deployment_.scenario.file, site.line, site.nat ? "nat" : "firewall",
                        "this driver cannot put a NAT or a firewall before site " + site.name +
                            " yet; expected another driver (--driver sim)");
  }
}

// A fault begins at its sites at `at` and ends `for` later. The trace records the kind and
// whether it begins (a partition's records are what they were before there were other kinds).
void Timeline::schedule_fault(const Fault& fault) {
  if (!driver_.makes(fault.kind)) {
    throw ScenarioError(deployment_.scenario.file, fault.line, "kind",
                        "this driver cannot make a " + std::string(fault_spec(fault.kind).word) +
                            " fault yet; expected another driver (--driver sim)");
  }
  if (hits_region(fault.kind)) return schedule_region_fault(fault);
  switch (fault.kind) {  // the engine's own; the others change a site's network
    case FaultKind::kPowerLoss:
      return schedule_power_loss(fault);
    case FaultKind::kDeviceCrash:
      return schedule_device_crash(fault);
    case FaultKind::kTaskManagerRestart:
      return schedule_task_manager_restart(fault);
    case FaultKind::kTurnServerDown:
      return schedule_turn_server_down(fault);
    case FaultKind::kClockSkew:
      return schedule_clock_skew(fault);
    default:
      assert(!made_by_engine(fault.kind));
      break;
  }
  const std::vector<std::uint32_t> sites = sites_of(deployment_.scenario, fault);
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  driver_.at_platform(fault.at, [this, sites, fault, kind](Time now) {
    deployment_.trace.record(now, core::TraceEvent::kFault, sites.size(), kind + 1);
    for (std::uint32_t site : sites) driver_.begin_fault(site, fault);
    if (fault.kind == FaultKind::kThrottle) uplinks_changed(now, sites);
  });
  driver_.at_platform(fault.at + fault.length, [this, sites, fault, kind](Time now) {
    deployment_.trace.record(now, core::TraceEvent::kFault, sites.size(), kind);
    for (std::uint32_t site : sites) driver_.end_fault(site, fault);
    if (fault.kind == FaultKind::kThrottle) uplinks_changed(now, sites);
  });
}

void Timeline::uplinks_changed(Time now, const std::vector<std::uint32_t>& sites) {
  for (std::uint32_t site : sites)
    deployment_.uplinks.set_capacity(site, now, driver_.uplink_bps(site));
  live_.uplinks_changed(now, sites);
}

// A region's device endpoint goes down, and the platform hears of it (it sends devices home once
// the region is back).
void Timeline::schedule_region_fault(const Fault& fault) {
  const std::uint32_t region = deployment_.scenario.region_index(fault.region).value_or(0);
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  driver_.at_platform(fault.at, [this, region, fault, kind](Time now) {
    deployment_.trace.record(now, core::TraceEvent::kFault, region, kind + 1);
    driver_.begin_region_fault(region, fault);
    if (fault.kind == FaultKind::kPlatformUpgrade) {
      deployment_.platform.drain_region(now, region, platform_out_);
    } else {
      deployment_.platform.set_region_up(now, region, false, platform_out_);
    }
    driver_.dispatch_platform(now, platform_out_);
  });
  driver_.at_platform(fault.at + fault.length, [this, region, fault, kind](Time now) {
    deployment_.trace.record(now, core::TraceEvent::kFault, region, kind);
    driver_.end_region_fault(region, fault);
    deployment_.platform.set_region_up(now, region, true, platform_out_);
    driver_.dispatch_platform(now, platform_out_);
  });
}

// The power goes at every matched site at once, and comes back `for` later; each agent then
// boots at its own time drawn over `stagger`.
void Timeline::schedule_power_loss(const Fault& fault) {
  const FleetLayout& layout = deployment_.layout;
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  for (std::uint32_t site : sites_of(deployment_.scenario, fault)) {
    driver_.at_site(fault.at, site, [this, site, kind, &layout](Time now) {
      deployment_.trace.record(now, core::TraceEvent::kFault, site, kind + 1);
      for (std::uint32_t agent = layout.first_agent_of_site[site];
           agent < layout.first_agent_of_site[site + 1]; ++agent) {
        deployment_.agents[agent].power_off(now);
      }
    });
    for (std::uint32_t agent = layout.first_agent_of_site[site];
         agent < layout.first_agent_of_site[site + 1]; ++agent) {
      const Duration boot(static_cast<std::int64_t>(
          timeline_random_.next_below(static_cast<std::uint64_t>(fault.stagger.count()) + 1)));
      driver_.at_site(fault.at + fault.length + boot, site, [this, site, agent](Time now) {
        core::Outbox& out = site_outs_[site];
        deployment_.agents[agent].power_on(now, out);
        driver_.dispatch_agent(now, agent, out);
      });
    }
  }
}

// The agents of the devices `fault` selects; a Tier-2 camera has none of its own (it goes down,
// and keeps time, with its host). Refused when there is none.
std::vector<std::uint32_t> Timeline::agents_selected(const Fault& fault) const {
  const FleetLayout& layout = deployment_.layout;
  std::vector<std::uint32_t> agents;
  for (std::uint32_t device : select_devices(deployment_.scenario, layout, fault.devices)) {
    if (!layout.hosted(device)) agents.push_back(layout.agent_of_device[device]);
  }
  if (agents.empty()) {
    throw ScenarioError(deployment_.scenario.file, fault.line, "devices",
                        "selects no device of its own on the network (Tier-2 cameras go down, "
                        "and keep time, with their host); expected cameras, edge hosts or "
                        "recorders");
  }
  return agents;
}

// Each selected device that is an agent of its own stops at `at` and boots `for` later.
void Timeline::schedule_device_crash(const Fault& fault) {
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  for (std::uint32_t agent : agents_selected(fault)) {
    const std::uint32_t site = deployment_.layout.site_of_agent(agent);
    driver_.at_site(fault.at, site, [this, agent, kind](Time now) {
      deployment_.trace.record(now, core::TraceEvent::kFault, agent, kind + 1);
      deployment_.agents[agent].power_off(now);
    });
    driver_.at_site(fault.at + fault.length, site, [this, site, agent, kind](Time now) {
      deployment_.trace.record(now, core::TraceEvent::kFault, agent, kind);
      core::Outbox& out = site_outs_[site];
      deployment_.agents[agent].power_on(now, out);
      driver_.dispatch_agent(now, agent, out);
    });
  }
}

// Each selected agent's clock runs ahead from `at` for `for`.
void Timeline::schedule_clock_skew(const Fault& fault) {
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  for (std::uint32_t agent : agents_selected(fault)) {
    const std::uint32_t site = deployment_.layout.site_of_agent(agent);
    for (const bool skewed : {true, false}) {
      driver_.at_site(skewed ? fault.at : fault.at + fault.length, site,
                      [this, agent, kind, skewed, ahead = fault.ahead](Time now) {
                        deployment_.trace.record(now, core::TraceEvent::kFault, agent,
                                                 kind + (skewed ? 1 : 0));
                        deployment_.agents[agent].set_clock_ahead(skewed ? ahead : Duration{});
                      });
    }
  }
}

void Timeline::schedule_task_manager_restart(const Fault& fault) {
  if (deployment_.plane() == nullptr) {
    throw ScenarioError(deployment_.scenario.file, fault.line, "kind",
                        "task_manager_restart without organizations: there is no Task Manager; "
                        "expected organizations");
  }
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  for (const bool up : {false, true}) {
    driver_.at_platform(up ? fault.at + fault.length : fault.at, [this, up, kind](Time now) {
      deployment_.trace.record(now, core::TraceEvent::kFault, 0, kind + (up ? 0 : 1));
      deployment_.platform.set_task_manager_up(now, up, platform_out_);
      driver_.dispatch_platform(now, platform_out_);
    });
  }
}

// The relay is the live sessions' own: they move to the next server, or end.
void Timeline::schedule_turn_server_down(const Fault& fault) {
  const std::uint64_t kind = static_cast<std::uint64_t>(fault.kind) * 2;
  for (const bool up : {false, true}) {
    driver_.at_platform(
        up ? fault.at + fault.length : fault.at, [this, up, kind, server = fault.server](Time now) {
          deployment_.trace.record(now, core::TraceEvent::kFault, 0, kind + (up ? 0 : 1));
          live_.set_turn_server_up(now, server, up);
        });
  }
}

void Timeline::schedule_action(std::uint32_t index) {
  const Action& action = deployment_.scenario.actions[index];
  if (action_spec(action.kind).side == ActionSide::kPlatform) {
    driver_.at_platform(action.at, [this, index](Time now) { run_platform_action(now, index); });
    return;
  }
  std::set<std::uint32_t> sites;
  for (std::uint32_t device : selected_[index]) {
    sites.insert(deployment_.layout.site_of_device[device]);
  }
  for (std::uint32_t site : sites) {
    driver_.at_site(action.at, site,
                    [this, index, site](Time now) { run_device_action(now, index, site); });
  }
}

void Timeline::run_platform_action(Time now, std::uint32_t index) {
  const Action& action = deployment_.scenario.actions[index];
  deployment_.trace.record(now, core::TraceEvent::kAction, index, selected_[index].size());
  platform::ControlPlane& plane = *deployment_.control_plane;
  switch (action.kind) {
    case ActionKind::kOnboard:
      onboard_due(now, index);
      break;
    case ActionKind::kSetLatestLts:
      (void)deployment_.platform.set_latest_lts_track(now, action.track, platform_out_);
      driver_.dispatch_platform(now, platform_out_);
      break;
    case ActionKind::kRequestLiveVideo:
      request_live_video(now, action, index);
      break;
    case ActionKind::kDeleteOrganization: {
      const int organization = organization_index(deployment_.scenario, action.organization);
      (void)plane.tenancy.delete_organization(
          now, scenarios::acting_user(deployment_.tenants, organization, ActingRole::kOwner),
          deployment_.tenants.organization_ids[static_cast<std::size_t>(organization)]);
      break;
    }
    case ActionKind::kSetOverlayText:
    case ActionKind::kDeploy:
    case ActionKind::kRollout:
      for (auto& [organization, serials] : devices_by_organization(index)) {
        start_work(now, action, organization, std::move(serials));
      }
      break;
    case ActionKind::kSetDiagnostics:
      set_diagnostics(now, action, index);
      break;
    case ActionKind::kInstallApp:
    case ActionKind::kUseLocalAdministrator:
    case ActionKind::kInstallOs:
    case ActionKind::kRestartHost:
    case ActionKind::kAddDeviceLocally:
      assert(false && "device actions run at their sites");
      break;
  }
}

// Claims spread evenly over `over`: the k-th of n at at + over * k / n. The action's callback
// comes back for the next claim due.
void Timeline::onboard_due(Time now, std::uint32_t index) {
  const Action& action = deployment_.scenario.actions[index];
  const std::vector<std::uint32_t>& devices = selected_[index];
  std::size_t& done = claims_done_[index];
  const auto due = [&](std::size_t k) {
    return action.at +
           action.over * static_cast<std::int64_t>(k) / static_cast<std::int64_t>(devices.size());
  };
  while (done < devices.size() && due(done) <= now) onboard(now, action, devices[done++]);
  if (done < devices.size()) {
    driver_.at_platform(due(done),
                        [this, index](Time later) { run_platform_action(later, index); });
  }
}

void Timeline::onboard(Time now, const Action& action, std::uint32_t device) {
  const std::optional<platform::ClaimRequest> claim =
      claim_request(deployment_.scenario, deployment_.layout, deployment_.tenants, action, device);
  if (!claim) return;  // a device of no organization's site, and none named
  ActionCounters& counters = deployment_.actions;
  for (std::uint32_t attempt = 0; attempt < action.attempts; ++attempt) {
    ++counters.claims_attempted;
    const auto claimed = deployment_.platform.claim(now, *claim, platform_out_);
    if (claimed.ok()) {
      ++counters.claims_accepted;
    } else {
      ++counters.claims_refused[static_cast<std::size_t>(claimed.error().code)];
    }
    driver_.dispatch_platform(now, platform_out_);
  }
}

void Timeline::request_live_video(Time now, const Action& action, std::uint32_t index) {
  const Scenario& scenario = deployment_.scenario;
  int viewer = -1;
  for (std::size_t v = 0; v < scenario.viewers.size(); ++v) {
    if (scenario.viewers[v].name == action.viewer) viewer = static_cast<int>(v);
  }
  for (std::uint32_t device : selected_[index]) {
    const int organization = deployment_.organization_of(device);
    if (organization < 0) continue;
    live_.request(now, device, viewer, action, acting_user(action, organization), organization);
  }
}

void Timeline::set_diagnostics(Time now, const Action& action, std::uint32_t index) {
  for (std::uint32_t device : selected_[index]) {
    const int organization = deployment_.organization_of(device);
    if (organization < 0) continue;
    const auto set = deployment_.platform.set_diagnostics(
        now, acting_user(action, organization),
        deployment_.tenants.organization_ids[static_cast<std::size_t>(organization)],
        device_serial(device), action.granted, platform_out_);
    ++(set.ok() ? deployment_.actions.consents_set : deployment_.actions.consents_refused);
    driver_.dispatch_platform(now, platform_out_);
  }
}

std::map<int, std::vector<std::string>> Timeline::devices_by_organization(
    std::uint32_t index) const {
  std::map<int, std::vector<std::string>> grouped;
  for (std::uint32_t device : selected_[index]) {
    const int organization = deployment_.organization_of(device);
    if (organization >= 0) grouped[organization].push_back(device_serial(device));
  }
  return grouped;
}

namespace {

platform::RolloutPolicy rollout_policy(const RolloutSpec& spec) {
  platform::RolloutPolicy policy;
  for (const RolloutStage& stage : spec.stages) {
    policy.groups.push_back({static_cast<std::size_t>(stage.devices), stage.success_threshold});
  }
  if (policy.groups.empty()) policy.groups.push_back({0, 0.0});  // one group of every device
  policy.starts_per_minute = spec.starts_per_minute;
  policy.abort_failure_share = spec.abort_failure_share;
  policy.abort_after_min = static_cast<std::size_t>(spec.abort_after);
  return policy;
}

platform::TaskPayload task_payload(const Action& action) {
  if (action.kind == ActionKind::kSetOverlayText) {
    return {wire::TASK_ACTION_SET_OVERLAY_TEXT,
            {{std::string(platform::kParameterText), action.text}}};
  }
  return {wire::TASK_ACTION_UPGRADE_FIRMWARE,
          {{std::string(platform::kParameterVersion), action.version}}};
}

}  // namespace

// A task series (overlay, deploy) or a rollout on one organization's selected devices.
void Timeline::start_work(Time now, const Action& action, int organization,
                          std::vector<std::string> serials) {
  const std::string& actor = acting_user(action, organization);
  const std::string& id =
      deployment_.tenants.organization_ids[static_cast<std::size_t>(organization)];
  bool accepted = false;
  if (action.kind == ActionKind::kRollout) {
    accepted =
        deployment_.platform
            .start_rollout(now, actor, id,
                           platform::RolloutRequest{action.name, action.version, std::move(serials),
                                                    rollout_policy(action.rollout)},
                           platform_out_)
            .ok();
  } else {
    accepted =
        deployment_.platform
            .create_task_series(now, actor, id,
                                platform::TaskSeriesRequest{action.name, task_payload(action),
                                                            std::move(serials), std::nullopt},
                                platform_out_)
            .ok();
  }
  ++(accepted ? deployment_.actions.work_accepted : deployment_.actions.work_refused);
  driver_.dispatch_platform(now, platform_out_);
}

// A local action at each selected device of this site, done on the agent that carries it.
void Timeline::run_device_action(Time now, std::uint32_t index, std::uint32_t site) {
  const Action& action = deployment_.scenario.actions[index];
  const FleetLayout& layout = deployment_.layout;
  deployment_.trace.record(now, core::TraceEvent::kAction, index, site);
  for (std::uint32_t device : selected_[index]) {
    if (layout.site_of_device[device] != site) continue;
    // A host restarts once, however many of the devices it carries were selected.
    if (action.kind == ActionKind::kRestartHost && layout.hosted(device)) continue;
    core::Outbox& out = site_outs_[site];
    const bool done = act_on_device(now, action, device, out);
    ++(done ? deployment_.actions.device_actions : deployment_.actions.device_actions_refused);
    driver_.dispatch_agent(now, layout.agent_of_device[device], out);
  }
}

bool Timeline::act_on_device(Time now, const Action& action, std::uint32_t device,
                             core::Outbox& out) {
  const FleetLayout& layout = deployment_.layout;
  devices::DeviceAgent& carrier = deployment_.agents[layout.agent_of_device[device]];
  const std::string serial = device_serial(device);
  bool done = false;
  switch (action.kind) {
    case ActionKind::kInstallApp:
      done = carrier.install_app(now, serial, action.app, out);
      break;
    case ActionKind::kUseLocalAdministrator:
      done = carrier.use_local_administrator(now, serial, out);
      break;
    case ActionKind::kInstallOs:
      done = carrier.install_os(now, serial, action.version, action.track, out);
      break;
    case ActionKind::kRestartHost:
      carrier.restart(now, out);
      done = true;
      break;
    case ActionKind::kAddDeviceLocally:
      // Refused when the device has no host, or its host's engine is full.
      return layout.hosted(device) && carrier.add_device_locally(now, serial, out);
    default:
      assert(false && "platform actions run on the platform's side");
  }
  assert(done && "the layout puts each device on the agent that carries it");
  return done;
}

const std::string& Timeline::acting_user(const Action& action, int organization) const {
  return scenarios::acting_user(deployment_.scenario, deployment_.tenants, action, organization);
}

}  // namespace ccsim::scenarios

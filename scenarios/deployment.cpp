#include "scenarios/deployment.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/digest.h"
#include "core/os_version.h"

namespace ccsim::scenarios {
namespace {

std::unique_ptr<platform::ControlPlane> make_control_plane(const Scenario& scenario,
                                                           std::uint64_t seed) {
  if (scenario.organizations.empty()) return nullptr;
  return std::make_unique<platform::ControlPlane>(seed, platform::ControlPlaneLimits{},
                                                  scenario.epoch);
}

// The vendor's images of every release for every model of the fleet, signed with a key drawn
// from the run's seed; a release marked tampered gets a signature that does not verify.
std::unique_ptr<devices::FirmwareDownloads> publish_images(const Scenario& scenario,
                                                           std::uint64_t seed) {
  if (scenario.releases.empty()) return nullptr;
  const devices::FirmwareSigner signer(core::RandomStream(seed, core::kFirmwareSigningStream));
  auto downloads = std::make_unique<devices::FirmwareDownloads>(signer.public_key());
  std::set<std::string> models;
  for (const Site& site : scenario.sites) {
    for (const DeviceGroup& group : site.devices) models.insert(group.model);
  }
  for (const Release& release : scenario.releases) {
    const std::optional<core::OsVersion> version = core::parse_os_version(release.version);
    assert(version && "the loader checks release versions");
    for (const std::string& model : models) {
      devices::FirmwareImage image =
          signer.sign(model, *version, release.size_bytes,
                      core::sha256("image of " + model + " " + release.version));
      if (release.tampered) image.signature[0] = static_cast<char>(image.signature[0] ^ 1);
      downloads->images.emplace(std::pair(model, release.version),
                                devices::PublishedImage{std::move(image), release.failure_share});
    }
  }
  return downloads;
}

std::vector<double> uplink_bandwidths(const Scenario& s) {
  std::vector<double> bps;
  for (const Site& site : s.sites) bps.push_back(site.uplink.bandwidth_bps);
  return bps;
}

devices::DeviceAgentConfig agent_config_of(const Scenario& s,
                                           const devices::FirmwareDownloads* downloads) {
  devices::DeviceAgentConfig config;
  config.heartbeat_interval = s.heartbeat.interval;
  config.reconnect = s.reconnect;
  config.unacked_heartbeats_max = s.heartbeat.missed_max;
  config.start_spread = s.start_within;
  config.heartbeat_limit = s.heartbeat.limit;
  // Hosts check for releases only when the platform publishes some.
  if (!s.releases.empty()) config.host.release_check_interval = s.release_check_interval;
  config.host.telemetry_interval = s.telemetry_interval;
  config.host.downloads = downloads;
  for (std::uint32_t r = 0; r < s.regions.size(); ++r) {
    config.regions.push_back(s.regions[r].name);
    config.endpoint_orders.push_back(s.region_latencies.endpoint_order(r));
  }
  return config;
}

std::vector<platform::RegionPolicy> region_policies(const Scenario& s) {
  std::vector<platform::RegionPolicy> policies;
  for (std::uint32_t r = 0; r < s.regions.size(); ++r) {
    const Region& region = s.regions[r];
    policies.push_back({region.name, region.admission_per_second,
                        static_cast<double>(region.admission_burst), region.return_per_second,
                        s.region_latencies.endpoint_order(r)});
  }
  return policies;
}

void sum_agent(const devices::DeviceAgent& agent, FleetCounters& fleet) {
  const devices::AgentMetrics& m = agent.metrics();
  fleet.connects_requested += m.connects_requested;
  fleet.hellos_sent += m.hellos_sent;
  fleet.heartbeats_sent += m.heartbeats_sent;
  fleet.presumed_dead += m.presumed_dead;
  fleet.frame_errors += m.frame_errors;
  fleet.provisions_accepted += m.provisions_accepted;
  fleet.reports_sent += m.reports_sent;
  fleet.restarts += m.restarts;
  if (const devices::DeviceHost* host = agent.host()) {
    const devices::DeviceHostMetrics& h = host->metrics();
    fleet.task_executions += host->executions();
    fleet.release_checks += h.release_checks;
    fleet.installs_created += h.installs_created;
    fleet.images_prefetched += h.images_prefetched;
    fleet.installs_postponed += h.installs_postponed;
    fleet.upgrades_succeeded += h.upgrades_succeeded;
    fleet.upgrades_failed += h.upgrades_failed;
    fleet.telemetry_sent += h.telemetry_sent;
  }
}

TaskCounters count_tasks(const platform::ControlPlane& plane, const Tenants& tenants) {
  TaskCounters tasks;
  tasks.created = plane.tasks.task_count();
  for (const std::string& organization : tenants.organization_ids) {
    for (const platform::Task& task : plane.tasks.tasks_of(organization)) {
      ++tasks.by_status[static_cast<std::size_t>(task.status)];
    }
  }
  tasks.redeliveries = plane.tasks.counters().redeliveries;
  for (const platform::RolloutRecord& rollout : plane.rollouts.rollouts()) {
    if (rollout.rollout.state() == platform::RolloutState::kAborted) ++tasks.rollouts_aborted;
  }
  for (std::uint64_t raised : plane.insights.counters().insights_raised) {
    tasks.insights_raised += raised;
  }
  return tasks;
}

}  // namespace

Deployment::Deployment(const Scenario& s, std::uint64_t seed_in)
    : scenario(s),
      seed(seed_in),
      layout(s),
      uplinks(uplink_bandwidths(s)),
      downloads(publish_images(s, seed_in)),
      control_plane(make_control_plane(s, seed_in)),
      platform({s.heartbeat.interval, s.heartbeat.missed_max},
               std::max<std::size_t>(1, layout.device_count()), &trace, control_plane.get(),
               platform::OnboardingPolicy{s.onboarding_timeout}) {
  agent_config = agent_config_of(s, downloads.get());
  agent_config.offline_us = &offline_us;
  platform.set_regions(region_policies(s));
  if (control_plane) tenants = set_up_tenants(s, layout, seed, *control_plane);
  agents.reserve(layout.agent_count());
  for (std::uint32_t agent = 0; agent < layout.agent_count(); ++agent) {
    agents.emplace_back(
        agent_identity(s, layout, agent), agent_config,
        core::RandomStream(seed, core::kDeviceStreamBase + layout.device_of_agent[agent]));
  }
}

std::string Deployment::finish_trace(core::Time end) {
  if (control_plane) {
    std::vector<std::string> trails = tenants.organization_ids;
    trails.emplace_back(platform::kRegistryAuditTrail);
    for (const std::string& trail : trails) {
      trace.record_text(end, core::TraceEvent::kAuditHead,
                        trail + " " + control_plane->audit_log.head_hash(trail));
    }
  }
  return trace.finish();
}

std::string Deployment::describe() const {
  std::string text = platform::describe_knowledge(platform.devices());
  if (!control_plane) return text;
  text += "registry:\n";
  for (std::uint64_t i = 0; i < layout.device_count(); ++i) {
    const platform::DeviceRecord d = control_plane->registry.device(device_serial(i)).value();
    text += d.facts.serial + " " + std::string(platform::onboarding_status_name(d.state.status)) +
            " " + std::string(platform::device_mode_name(d.state.mode)) +
            " profile=" + d.state.profile + " os=" + d.state.os_version + "/" + d.state.os_track +
            " " + std::string(platform::connection_status_name(d.state.connection)) +
            " lan=" + d.state.lan + " failure=" + d.state.failure_reason + "\n";
  }
  return text;
}

Measurements Deployment::measure(const NetworkCounters& network) const {
  Measurements m;
  m.platform = platform.metrics();
  for (const devices::DeviceAgent& agent : agents) sum_agent(agent, m.fleet);
  if (control_plane) {
    m.tasks = count_tasks(*control_plane, tenants);
    m.audit_entries = control_plane->audit_log.size();
  }
  m.network = network;
  m.actions = actions;
  m.devices = layout.device_count();
  m.devices_connected_end = platform.connected_count();
  m.offline_us = offline_us;
  m.live = live;
  for (std::uint32_t r = 0; platform.signaling(r) != nullptr; ++r) {
    m.live.signaling_errors += platform.signaling(r)->counters().errors_total();
  }
  for (std::uint32_t r = 0; r < platform.regions().count(); ++r) {
    m.reconnect_peak_per_second = std::max(m.reconnect_peak_per_second,
                                           platform.regions().metrics(r).connects_peak_per_second);
  }
  return m;
}

}  // namespace ccsim::scenarios

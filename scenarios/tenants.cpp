#include "scenarios/tenants.h"

#include <array>
#include <cassert>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace ccsim::scenarios {
namespace {

using core::Time;

platform::DeviceKind device_kind(const std::string& kind) {
  if (kind == "recorder") return platform::DeviceKind::kRecorder;
  if (kind == "edge_host") return platform::DeviceKind::kEdgeHost;
  return platform::DeviceKind::kCamera;
}

template <typename T>
T must(platform::Result<T> result, const char* what) {
  if (!result.ok()) {
    throw std::runtime_error(std::string("setting up the platform: ") + what + ": " +
                             result.error().message);
  }
  return std::move(result).value();
}

// The host a local discovery goes through: the device's own carrier, else the site's first
// recorder or edge host; none when the site has neither.
std::optional<std::uint32_t> local_host(const Scenario& scenario, const FleetLayout& layout,
                                        std::uint32_t device) {
  if (layout.hosted(device)) return layout.device_of_agent[layout.agent_of_device[device]];
  const std::uint32_t site = layout.site_of_device[device];
  for (std::uint32_t d = layout.first_device_of_site[site];
       d < layout.first_device_of_site[site + 1]; ++d) {
    if (scenario.sites[site].devices[layout.group_of_device[d]].kind != "camera") return d;
  }
  return std::nullopt;
}

}  // namespace

namespace {

// The releases the platform publishes, each organization's offering, its profiles' update
// policies and its sites' time zones.
void set_up_software(const Scenario& s, const Tenants& tenants, platform::ControlPlane& plane) {
  platform::SoftwareUpdates& software = plane.software;
  for (const Release& release : s.releases) {
    must(software.catalog().publish(platform::Release{release.version, release.track,
                                                      release.size_bytes, release.published_at}),
         "publish");
  }
  for (std::size_t o = 0; o < s.organizations.size(); ++o) {
    const std::string& id = tenants.organization_ids[o];
    must(software.set_offering(id, s.organizations[o].update_windows), "set_offering");
    for (const Profile& profile : s.profiles) {
      std::optional<platform::UpdateWindowRule> window;
      if (profile.update_window) {
        const ProfileUpdateWindow& w = *profile.update_window;
        window.emplace(platform::UpdateWindowRule{w.days, w.start, w.duration});
      }
      const platform::ProfileUpdatePolicy policy{
          profile.update_policy == UpdatePolicy::kPinned ? platform::UpdatePolicyKind::kPinned
                                                         : platform::UpdatePolicyKind::kLatest,
          profile.pinned_version, window, profile.install_budget};
      must(software.set_profile_policy(id, profile.name, policy), "set_profile_policy");
    }
  }
  for (std::size_t site = 0; site < s.sites.size(); ++site) {
    const int organization = s.sites[site].organization;
    if (organization < 0) continue;
    must(software.set_time_zone(tenants.organization_ids[static_cast<std::size_t>(organization)],
                                tenants.site_groups[site], s.sites[site].time_zone),
         "set_time_zone");
  }
}

}  // namespace

namespace {

constexpr std::array<std::string_view, 4> kRoleNames = {"owner", "administrator", "operator",
                                                        "viewer"};

// An organization with its owner, an administrator, an operator and a viewer, its licenses, the
// scenario's profiles and its audit retention.
void set_up_organization(const Scenario& s, const Organization& organization,
                         platform::ControlPlane& plane, Tenants& tenants) {
  const Time start(0);
  std::array<std::string, 4> users;
  for (std::size_t role = 0; role < kRoleNames.size(); ++role) {
    users[role] = must(plane.identity_store.register_user(
                           std::string(kRoleNames[role]) + "@" + organization.name + ".example",
                           std::string(kRoleNames[role]) + " of " + organization.name),
                       "register_user");
  }
  const std::string id = must(
      plane.tenancy.create_organization(start, users[0], organization.name, organization.region),
      "create_organization");
  for (std::size_t role = 1; role < kRoleNames.size(); ++role) {
    const platform::Role granted = must(platform::parse_role(kRoleNames[role]), "parse_role");
    const std::string invitation =
        must(plane.tenancy.invite(
                 start, users[0], id,
                 std::string(kRoleNames[role]) + "@" + organization.name + ".example", granted),
             "invite");
    must(plane.tenancy.accept_invitation(start, users[role], invitation), "accept_invitation");
  }
  for (const License& license : organization.licenses) {
    must(plane.tenancy.set_license(start, users[0], id, license.service, license.seats),
         "set_license");
  }
  for (const Profile& profile : s.profiles) {
    platform::DeviceProfile defined;
    defined.name = profile.name;
    defined.mode =
        profile.managed ? platform::DeviceMode::kManaged : platform::DeviceMode::kConnected;
    defined.os_track = profile.os_track;
    defined.allowed_apps.insert(profile.allowed_apps.begin(), profile.allowed_apps.end());
    defined.capabilities.insert(profile.capabilities.begin(), profile.capabilities.end());
    must(plane.registry.define_profile(start, users[0], id, defined), "define_profile");
  }
  if (!organization.default_profile.empty()) {
    must(plane.registry.set_default_profile(start, users[0], id, organization.default_profile),
         "set_default_profile");
  }
  if (organization.audit_entries_max > 0) {
    must(plane.audit_log.set_retention(id, platform::AuditRetention{organization.audit_entries_max,
                                                                    organization.audit_age_max}),
         "set_retention");
  }
  tenants.organization_ids.push_back(id);
  tenants.users.push_back(std::move(users));
}

// Each site of an organization is one of its resource groups; the roles actions take scoped to a
// site get a user of their own, invited with that scope.
void set_up_resource_groups(const Scenario& s, platform::ControlPlane& plane, Tenants& tenants) {
  const Time start(0);
  tenants.site_groups.resize(s.sites.size());
  for (std::size_t site = 0; site < s.sites.size(); ++site) {
    const int organization = s.sites[site].organization;
    if (organization < 0) continue;
    const auto o = static_cast<std::size_t>(organization);
    tenants.site_groups[site] =
        must(plane.tenancy.create_resource_group(start, tenants.users[o][0],
                                                 tenants.organization_ids[o], s.sites[site].name),
             "create_resource_group");
  }
  for (const Action& action : s.actions) {
    if (action.scope.empty()) continue;
    const std::size_t site = site_index(s, action.scope);
    const auto o = static_cast<std::size_t>(s.sites[site].organization);
    const ScopedRole key{site, action.as};
    if (tenants.scoped_users.contains(key)) continue;
    const std::string role_name(kRoleNames[static_cast<std::size_t>(action.as)]);
    const std::string email =
        role_name + "." + s.sites[site].name + "@" + s.organizations[o].name + ".example";
    const std::string user =
        must(plane.identity_store.register_user(email, role_name + " of " + s.sites[site].name),
             "register_user");
    const std::string invitation =
        must(plane.tenancy.invite(start, tenants.users[o][0], tenants.organization_ids[o], email,
                                  must(platform::parse_role(role_name), "parse_role"),
                                  tenants.site_groups[site]),
             "invite");
    must(plane.tenancy.accept_invitation(start, user, invitation), "accept_invitation");
    tenants.scoped_users.emplace(key, user);
  }
}

// Every device registered as its factory would, with an OAK drawn from the factory stream.
void register_fleet(const Scenario& s, const FleetLayout& layout, std::uint64_t seed,
                    platform::ControlPlane& plane, Tenants& tenants) {
  core::RandomStream factory(seed, core::kFactoryStream);
  std::vector<platform::FactoryRecord> batch;
  tenants.oaks.reserve(layout.device_count());
  for (std::uint32_t device = 0; device < layout.device_count(); ++device) {
    const std::uint32_t site = layout.site_of_device[device];
    const DeviceGroup& group = s.sites[site].devices[layout.group_of_device[device]];
    platform::FactoryRecord record;
    record.serial = device_serial(device);
    record.model = group.model;
    record.kind = device_kind(group.kind);
    record.tier = group.tier == 2 ? platform::DeviceTier::kTier2 : platform::DeviceTier::kTier1;
    record.oak = platform::generate_owner_key(factory);
    record.warranty_end = std::chrono::hours(24 * 365 * 3);
    record.end_of_support = std::chrono::hours(24 * 365 * 7);
    record.recommended_os = group.os_version;
    tenants.oaks.push_back(record.oak);
    batch.push_back(std::move(record));
    if (batch.size() == platform::kRegistrationBatchMax || device + 1 == layout.device_count()) {
      must(plane.registry.register_devices(Time(0), batch), "register_devices");
      batch.clear();
    }
  }
  tenants.wrong_oak = platform::generate_owner_key(factory);
}

}  // namespace

Tenants set_up_tenants(const Scenario& s, const FleetLayout& layout, std::uint64_t seed,
                       platform::ControlPlane& plane) {
  Tenants tenants;
  for (const Organization& organization : s.organizations) {
    set_up_organization(s, organization, plane, tenants);
  }
  set_up_resource_groups(s, plane, tenants);
  must(plane.registry.set_latest_lts_track(Time(0), s.latest_lts_track), "set_latest_lts_track");
  set_up_software(s, tenants, plane);
  register_fleet(s, layout, seed, plane, tenants);
  return tenants;
}

int organization_index(const Scenario& scenario, const std::string& name) {
  for (std::size_t i = 0; i < scenario.organizations.size(); ++i) {
    if (scenario.organizations[i].name == name) return static_cast<int>(i);
  }
  assert(false && "the loader checks organization names");
  return -1;
}

const std::string& acting_user(const Tenants& tenants, int organization, ActingRole role) {
  assert(organization >= 0 && static_cast<std::size_t>(organization) < tenants.users.size());
  return tenants.users[static_cast<std::size_t>(organization)][static_cast<std::size_t>(role)];
}

std::size_t site_index(const Scenario& scenario, const std::string& name) {
  for (std::size_t i = 0; i < scenario.sites.size(); ++i) {
    if (scenario.sites[i].name == name) return i;
  }
  assert(false && "the loader checks site names");
  return 0;
}

const std::string& acting_user(const Scenario& scenario, const Tenants& tenants,
                               const Action& action, int organization) {
  if (action.scope.empty()) return acting_user(tenants, organization, action.as);
  return tenants.scoped_users.at(ScopedRole{site_index(scenario, action.scope), action.as});
}

std::optional<platform::ClaimRequest> claim_request(const Scenario& scenario,
                                                    const FleetLayout& layout,
                                                    const Tenants& tenants, const Action& action,
                                                    std::uint32_t device) {
  const int organization = action.organization.empty()
                               ? scenario.sites[layout.site_of_device[device]].organization
                               : organization_index(scenario, action.organization);
  if (organization < 0) return std::nullopt;
  platform::ClaimRequest claim;
  claim.actor = acting_user(scenario, tenants, action, organization);
  claim.organization = tenants.organization_ids[static_cast<std::size_t>(organization)];
  claim.serial = device_serial(device);
  claim.oak = action.wrong_oak ? tenants.wrong_oak : tenants.oaks[device];
  if (!action.profile.empty()) claim.profile = action.profile;
  // Into the device's site's group, when the claiming organization is the site's.
  const std::uint32_t site = layout.site_of_device[device];
  if (scenario.sites[site].organization == organization) {
    claim.resource_group = tenants.site_groups[site];
  }
  if (action.method == ClaimMethod::kLocal) {
    // Without a host at the site the claim names the device itself, which the platform refuses.
    claim.host = device_serial(local_host(scenario, layout, device).value_or(device));
  }
  return claim;
}

}  // namespace ccsim::scenarios

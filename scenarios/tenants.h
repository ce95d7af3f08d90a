// The scenario's organizations in the control plane: what the engine sets up before a run, on
// either driver (each organization with an owner, an administrator, an operator and a viewer, its
// licenses and the scenario's profiles; every device registered as its factory would, with an OAK
// drawn from the run's factory stream), and the claims the timeline's onboard actions make.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/control_plane.h"
#include "platform/platform_node.h"
#include "scenarios/model/fleet_layout.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

// A role scoped to one site's resource group: (site index, role).
using ScopedRole = std::pair<std::size_t, ActingRole>;

struct Tenants {
  std::vector<std::string> organization_ids;      // by scenario organization
  std::vector<std::array<std::string, 4>> users;  // by organization, by ActingRole
  std::vector<std::string> site_groups;  // by site: its resource group; empty for unowned sites
  std::map<ScopedRole, std::string> scoped_users;  // for the scopes actions name
  std::vector<std::string> oaks;                   // by device: what its label says
  std::string wrong_oak;                           // a well-formed key of no device
};

// Sets the scenario up in `plane` at time zero. Throws std::runtime_error when the control plane
// refuses something the loader let through (a defect on one side or the other).
Tenants set_up_tenants(const Scenario& scenario, const FleetLayout& layout, std::uint64_t seed,
                       platform::ControlPlane& plane);

// The index of the organization named `name` (the loader checked it exists).
int organization_index(const Scenario& scenario, const std::string& name);

// The user acting with `role` in scenario organization `organization`.
const std::string& acting_user(const Tenants& tenants, int organization, ActingRole role);

// The index of the site named `name` (the loader checked it exists).
std::size_t site_index(const Scenario& scenario, const std::string& name);

// The user an action acts as in scenario organization `organization`: the one holding its role
// organization-wide, or scoped to its `scope` site.
const std::string& acting_user(const Scenario& scenario, const Tenants& tenants,
                               const Action& action, int organization);

// The claim an onboard action makes for `device`: by its acting user, into the named
// organization or else the one owning the device's site, with the device's OAK (or a wrong
// one), into its site's resource group (when the site is that organization's), through the device's
// host for local discovery. None when no organization applies.
std::optional<platform::ClaimRequest> claim_request(const Scenario& scenario,
                                                    const FleetLayout& layout,
                                                    const Tenants& tenants, const Action& action,
                                                    std::uint32_t device);

}  // namespace ccsim::scenarios

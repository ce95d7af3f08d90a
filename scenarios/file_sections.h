// The sections of a scenario file, each read by its own file (internal to scenarios/file_*.cpp):
// sites and the fleet (file_sites.cpp), organizations, profiles and releases
// (file_organizations.cpp), the timeline (file_timeline.cpp) and the checks (file_checks.cpp).
// Each reads what it can and records a problem for what it cannot, so one run of the loader
// reports every problem of a file.
#pragma once

#include <optional>
#include <vector>

#include "scenarios/file_reader.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios::file {

Heartbeat read_heartbeat(const Reader& reader, const Field& field);
Cloud read_cloud(const Reader& reader, const Field& field);
NetworkModel read_network(const Reader& reader, const Field& field);
// `regions:` into scenario.regions and scenario.region_latencies (file_regions.cpp).
void read_regions(const Reader& reader, const Field& field, Scenario& scenario);
// With regions declared, `region` (of a site or organization, at `field`) must be one of them;
// `whose` says where it came from when it was not written there ("its organization's").
void check_region(const Reader& reader, const Field& field, const std::string& region,
                  const std::vector<Region>& regions, std::string_view whose = {});

// An organization as read, with where it was written and the sites it owns (read with the others
// in read_all_sites).
struct OrganizationField {
  Field item;
  std::optional<Field> sites;
};

// `organizations:`, each with its field in `fields` (in the same order).
std::vector<Organization> read_organizations(const Reader& reader,
                                             const std::optional<Field>& field,
                                             std::vector<OrganizationField>& fields,
                                             const std::vector<Region>& regions);
// Default profiles name defined profiles; device-management seats default to one per device.
void check_organizations(const Reader& reader, const std::vector<OrganizationField>& fields,
                         Scenario& scenario, const Names& names);
std::vector<Profile> read_profiles(const Reader& reader, const std::optional<Field>& field);
// epoch, release_check_interval, telemetry_interval and releases.
void read_update_settings(const Reader& reader, const MapView& root, Scenario& scenario);

// Explicit sites first, then the organizations', then the fleet's, every name unique.
// With regions declared, every site's region must be one of them.
// viewers: client sites, each {name, region, nat, firewall, latency}.
std::vector<Viewer> read_viewers(const Reader& reader, const Field& field,
                                 const std::vector<Region>& regions);
// reconnect: {first, cap}, the devices' reconnection back-off.
devices::ReconnectBackoff read_reconnect(const Reader& reader, const Field& field);
// turn_servers: each {name, region | organization, host}, into scenario.turn_servers.
void read_turn_servers(const Reader& reader, const Field& field, const Names& names,
                       Scenario& scenario);
std::vector<Site> read_all_sites(const Reader& reader, const MapView& root,
                                 const std::vector<Organization>& organizations,
                                 const std::vector<OrganizationField>& fields,
                                 const std::vector<Region>& regions);

// `timeline:`: faults into scenario.timeline, the other entries into scenario.actions.
void read_timeline(const Reader& reader, const std::optional<Field>& field, const Names& names,
                   Scenario& scenario);
std::vector<Check> read_checks(const Reader& reader, const Field& field, const Names& names);
// file_capacity.cpp: the `slo:` objectives, added to `checks` (after them) as metric checks, and
// `capacity:`.
void read_objectives(const Reader& reader, const Field& field, std::vector<Check>& checks);
CapacityInputs read_capacity(const Reader& reader, const Field& field);
// `swarm:` (file_timeline.cpp): the fault kinds a swarm run may draw and its budget, which must
// leave the run time to converge before its end.
SwarmSpec read_swarm(const Reader& reader, const Field& field, const Scenario& scenario);

}  // namespace ccsim::scenarios::file

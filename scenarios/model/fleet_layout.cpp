#include "scenarios/model/fleet_layout.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

namespace ccsim::scenarios {

FleetLayout::FleetLayout(const Scenario& scenario) {
  const std::uint64_t devices = scenario.device_count();
  site_of_device.reserve(devices);
  agent_of_device.reserve(devices);
  group_of_device.reserve(devices);
  for (std::uint32_t s = 0; s < scenario.sites.size(); ++s) {
    first_device_of_site.push_back(static_cast<std::uint32_t>(site_of_device.size()));
    first_agent_of_site.push_back(static_cast<std::uint32_t>(device_of_agent.size()));
    const std::vector<DeviceGroup>& groups = scenario.sites[s].devices;
    std::vector<std::uint32_t> host_agent(groups.size(), UINT32_MAX);  // named hosts' agents
    for (std::uint32_t g = 0; g < groups.size(); ++g) {
      const DeviceGroup& group = groups[g];
      std::uint32_t carrier = UINT32_MAX;
      if (!group.via.empty()) {
        for (std::uint32_t h = 0; h < g; ++h) {
          if (groups[h].name == group.via) carrier = host_agent[h];
        }
        assert(carrier != UINT32_MAX && "the loader checks via against hosts named before");
      }
      for (std::uint32_t k = 0; k < group.count; ++k) {
        const auto device = static_cast<std::uint32_t>(site_of_device.size());
        site_of_device.push_back(s);
        group_of_device.push_back(g);
        if (carrier != UINT32_MAX) {
          agent_of_device.push_back(carrier);
          continue;
        }
        agent_of_device.push_back(static_cast<std::uint32_t>(device_of_agent.size()));
        device_of_agent.push_back(device);
      }
      if (!group.name.empty()) host_agent[g] = agent_of_device.back();
    }
  }
  first_device_of_site.push_back(static_cast<std::uint32_t>(site_of_device.size()));
  first_agent_of_site.push_back(static_cast<std::uint32_t>(device_of_agent.size()));
  for (const Site& site : scenario.sites) {
    region_of_site.push_back(scenario.region_index(site.region).value_or(0));
  }
}

namespace {
devices::TelemetryProfile telemetry_profile(const DeviceGroup& group) {
  return {group.telemetry.load, group.telemetry.sd_card_health, group.telemetry.crashes_per_day};
}
}  // namespace

// Where a device's live-session candidates are, in documentation ranges: its LAN address in
// 10/8, its site's public address in 198.18/15 (RFC 2544), its region's TURN relay in
// 192.0.2/24 (RFC 5737). Only their shape matters: the NAT model decides what connects.
devices::WebRtcAddresses webrtc_addresses(std::uint32_t device, std::uint32_t site,
                                          std::uint32_t region) {
  const auto port = static_cast<std::uint16_t>(49152 + device % 16384);
  return {{0x0A000000u | (device & 0xFFFFFFu), 50000},
          {0xC6120000u | (site & 0x1FFFFu), port},
          {0xC0000200u | (region & 0xFFu), port}};
}

devices::DeviceIdentity agent_identity(const Scenario& s, const FleetLayout& layout,
                                       std::uint32_t agent) {
  const std::uint32_t device = layout.device_of_agent[agent];
  const std::uint32_t site = layout.site_of_device[device];
  const DeviceGroup& group = s.sites[site].devices[layout.group_of_device[device]];
  const auto uplink_bps = static_cast<std::uint64_t>(
      std::clamp(s.sites[site].uplink.bandwidth_bps, 1.0,
                 static_cast<double>(devices::kDownloadBandwidthBpsMax)));
  devices::DeviceIdentity identity{device_serial(device),
                                   group.model,
                                   group.os_version,
                                   group.tier,
                                   group.os_track,
                                   s.sites[site].name,
                                   {},
                                   telemetry_profile(group),
                                   uplink_bps,
                                   layout.region_of_site[site],
                                   webrtc_addresses(device, site, layout.region_of_site[site])};
  // The devices this one carries follow it in its site, in device order.
  for (std::uint32_t d = device + 1; d < layout.first_device_of_site[site + 1]; ++d) {
    if (layout.agent_of_device[d] != agent) continue;
    const DeviceGroup& carried = s.sites[site].devices[layout.group_of_device[d]];
    identity.hosted.push_back(devices::HostedIdentity{device_serial(d), carried.model,
                                                      carried.os_version, carried.os_track,
                                                      telemetry_profile(carried)});
  }
  return identity;
}

std::vector<std::uint32_t> select_devices(const Scenario& scenario, const FleetLayout& layout,
                                          const DeviceSelection& selection) {
  std::vector<std::uint32_t> chosen;
  for (std::uint32_t device = 0; device < layout.device_count(); ++device) {
    const Site& site = scenario.sites[layout.site_of_device[device]];
    if (!selection.site.empty() && site.name != selection.site) continue;
    if (!selection.organization.empty() &&
        (site.organization < 0 ||
         scenario.organizations[static_cast<std::size_t>(site.organization)].name !=
             selection.organization)) {
      continue;
    }
    if (!selection.model.empty() &&
        site.devices[layout.group_of_device[device]].model != selection.model) {
      continue;
    }
    chosen.push_back(device);
    if (selection.count != 0 && chosen.size() == selection.count) break;
  }
  return chosen;
}

std::string device_serial(std::uint64_t index) {
  char serial[32];
  std::snprintf(serial, sizeof serial, "B8A44F%06" PRIX64, index);
  return serial;
}

std::optional<std::uint64_t> device_index(std::string_view serial) {
  constexpr std::string_view kPrefix = "B8A44F";
  constexpr std::size_t kHexDigitsMax = 15;
  if (!serial.starts_with(kPrefix)) return std::nullopt;
  const std::string_view hex = serial.substr(kPrefix.size());
  if (hex.size() < 6 || hex.size() > kHexDigitsMax) return std::nullopt;
  std::uint64_t index = 0;
  for (char c : hex) {
    const bool digit = c >= '0' && c <= '9';
    const bool letter = c >= 'A' && c <= 'F';
    if (!digit && !letter) return std::nullopt;
    index = index * 16 + static_cast<std::uint64_t>(digit ? c - '0' : c - 'A' + 10);
  }
  if (device_serial(index) != serial) return std::nullopt;  // leading zeros beyond six digits
  return index;
}

}  // namespace ccsim::scenarios

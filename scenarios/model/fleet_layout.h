// Where each device of a scenario sits, as both drivers and the engine number them: devices site
// by site, group by group; agents (the devices with a connection of their own) likewise. A Tier-2
// camera has no connection: its recorder or edge host carries it, and it is reached on its
// carrier's. Serial numbers follow device numbers, so a serial names its device in every driver.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devices/device_agent.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

struct FleetLayout {
  std::vector<std::uint32_t> site_of_device;
  std::vector<std::uint32_t> first_device_of_site;  // one past the end: device_count()
  std::vector<std::uint32_t> device_of_agent;
  std::vector<std::uint32_t> agent_of_device;      // its own agent, or its host's
  std::vector<std::uint32_t> first_agent_of_site;  // one past the end: agent_count()
  std::vector<std::uint32_t> group_of_device;      // index into its site's device groups
  std::vector<std::uint32_t> region_of_site;       // index into the scenario's regions; 0: none

  explicit FleetLayout(const Scenario& scenario);
  std::uint64_t device_count() const { return site_of_device.size(); }
  std::uint64_t agent_count() const { return device_of_agent.size(); }
  std::uint32_t site_of_agent(std::uint64_t agent) const {
    return site_of_device[device_of_agent[agent]];
  }
  bool hosted(std::uint32_t device) const {
    return device_of_agent[agent_of_device[device]] != device;
  }
};

// Agent `agent` as it says hello: its own device's identity, on its site's LAN, with the devices
// it carries.
devices::DeviceIdentity agent_identity(const Scenario& scenario, const FleetLayout& layout,
                                       std::uint32_t agent);

// The devices a selection picks, in device order.
std::vector<std::uint32_t> select_devices(const Scenario& scenario, const FleetLayout& layout,
                                          const DeviceSelection& selection);

// The serial number of device `index` ("B8A44F000001" style: a vendor prefix, then hex).
std::string device_serial(std::uint64_t index);
// The index of the device with serial `serial`; nullopt for a serial device_serial never made.
std::optional<std::uint64_t> device_index(std::string_view serial);

}  // namespace ccsim::scenarios

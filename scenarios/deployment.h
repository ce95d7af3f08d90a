// A scenario's deployment: the platform and the fleet the engine builds for one run, the same on
// either driver. The platform node with its control plane (organizations, members, profiles and
// software set up as the scenario says, every device registered as its factory would), the
// vendor's signed firmware images of every release, and one device agent per agent of the fleet
// layout. The timeline acts on it, the judge looks at it, and at the end it says what the run
// measured.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/trace.h"
#include "devices/device_agent.h"
#include "devices/firmware.h"
#include "platform/control_plane.h"
#include "platform/platform_node.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/fleet_layout.h"
#include "scenarios/model/measurements.h"
#include "scenarios/model/scenario.h"
#include "scenarios/model/uplink_meter.h"
#include "scenarios/tenants.h"

namespace ccsim::scenarios {

struct Deployment {
  // `scenario` must outlive the deployment. Throws std::runtime_error when the control plane
  // refuses something the loader let through (a defect on one side or the other).
  Deployment(const Scenario& scenario, std::uint64_t seed);
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  // What a driver drives.
  Fleet fleet() { return Fleet{scenario, layout, platform, agents, trace, seed}; }
  // The organization owning device `device`'s site; -1 for none.
  int organization_of(std::uint32_t device) const {
    return scenario.sites[layout.site_of_device[device]].organization;
  }
  const platform::ControlPlane* plane() const { return control_plane.get(); }

  // Ends the trace with every audit trail's head, so that the digest covers what the platform
  // recorded, and returns it. Once, after the run.
  std::string finish_trace(core::Time end);
  // Everything the metrics read, after the run.
  Measurements measure(const NetworkCounters& network) const;
  // What the platform knows at the end, as text: each device's connection record
  // (platform::describe_knowledge), then each registered device's onboarding status, mode,
  // profile, OS, connection and LAN, in serial order. Both drivers' runs of one scenario agree on
  // it wherever timing cannot change it.
  std::string describe() const;

  const Scenario& scenario;
  const std::uint64_t seed;
  const FleetLayout layout;
  core::Trace trace;
  devices::DeviceAgentConfig agent_config;
  core::Histogram offline_us;  // the agents' time offline, each time they came back
  LiveSessionCounters live;    // the timeline's live sessions
  UplinkMeter uplinks;         // what the live sessions' streams send up each site's uplink
  std::unique_ptr<devices::FirmwareDownloads> downloads;  // with releases only
  std::unique_ptr<platform::ControlPlane> control_plane;  // with organizations only
  Tenants tenants;
  platform::PlatformNode platform;
  std::vector<devices::DeviceAgent> agents;
  ActionCounters actions;  // the timeline's
};

}  // namespace ccsim::scenarios

// Device numbering, shared by both drivers and the engine: site by site, group by group; Tier-2
// cameras reached on their host's connection; serials that name their device and nothing else.
#include "scenarios/model/fleet_layout.h"

#include <gtest/gtest.h>

#include "scenarios/model/fleet_fixture.h"

namespace ccsim::scenarios {
namespace {

TEST(FleetLayout, NumbersDevicesSiteBySite) {
  Scenario scenario = cameras_at_sites({"north", "south"}, 3);
  DeviceGroup domes;
  domes.model = "tier1-dome";
  domes.count = 2;
  scenario.sites[1].devices.push_back(domes);
  const FleetLayout layout(scenario);
  EXPECT_EQ(layout.device_count(), 8U);
  EXPECT_EQ(layout.site_of_device, (std::vector<std::uint32_t>{0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(layout.first_device_of_site, (std::vector<std::uint32_t>{0, 3, 8}));
  EXPECT_EQ(layout.agent_count(), 8U);
}

// A recorder carrying two Tier-2 cameras: three devices, one agent, and the cameras reached on it.
TEST(FleetLayout, TierTwoCamerasAreReachedOnTheirHostsAgent) {
  Scenario scenario = cameras_at_sites({"lund"}, 1);
  DeviceGroup recorder;
  recorder.kind = "recorder";
  recorder.name = "rec-1";
  DeviceGroup carried;
  carried.model = "tier2-dome";
  carried.tier = 2;
  carried.count = 2;
  carried.via = "rec-1";
  scenario.sites[0].devices = {recorder, carried};
  const FleetLayout layout(scenario);
  EXPECT_EQ(layout.device_count(), 3U);
  EXPECT_EQ(layout.agent_count(), 1U);
  EXPECT_EQ(layout.agent_of_device, (std::vector<std::uint32_t>{0, 0, 0}));
  EXPECT_FALSE(layout.hosted(0));
  EXPECT_TRUE(layout.hosted(2));
  const devices::DeviceIdentity identity = agent_identity(scenario, layout, 0);
  ASSERT_EQ(identity.hosted.size(), 2U);
  EXPECT_EQ(identity.hosted[1].serial, "B8A44F000002");
  EXPECT_EQ(identity.lan, "lund");
}

TEST(FleetLayout, SerialsNameTheirDeviceAndNothingElse) {
  EXPECT_EQ(device_serial(0), "B8A44F000000");
  EXPECT_EQ(device_serial(255), "B8A44F0000FF");
  EXPECT_EQ(device_index("B8A44F0000FF"), 255U);
  EXPECT_EQ(device_index(device_serial(999'999)), 999'999U);
  EXPECT_FALSE(device_index("B8A44F00000FF"));  // a leading zero too many
  EXPECT_FALSE(device_index("ACCC8E000001"));
  EXPECT_FALSE(device_index("B8A44F00g001"));
}

TEST(FleetLayout, ASelectionTakesSiteOrganizationModelAndCount) {
  Scenario scenario = cameras_at_sites({"north", "south"}, 4);
  scenario.sites[1].devices[0].model = "tier1-dome";
  const FleetLayout layout(scenario);
  DeviceSelection selection;
  EXPECT_EQ(select_devices(scenario, layout, selection).size(), 8U);
  selection.site = "south";
  EXPECT_EQ(select_devices(scenario, layout, selection), (std::vector<std::uint32_t>{4, 5, 6, 7}));
  selection.count = 2;
  EXPECT_EQ(select_devices(scenario, layout, selection), (std::vector<std::uint32_t>{4, 5}));
  selection = {};
  selection.model = "tier1-dome";
  EXPECT_EQ(select_devices(scenario, layout, selection).size(), 4U);
  selection.site = "north";
  EXPECT_TRUE(select_devices(scenario, layout, selection).empty());
}

}  // namespace
}  // namespace ccsim::scenarios

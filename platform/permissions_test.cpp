// One test per cell of the permission matrix, written out from the white paper's role
// descriptions rather than read back from the table, so a wrong cell fails here.
#include "platform/permissions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>

namespace ccsim::platform {
namespace {

struct Cell {
  Role role;
  Permission permission;
  bool allowed;
};

std::string cell_name(const testing::TestParamInfo<Cell>& info) {
  return std::string(role_name(info.param.role)) + "_" +
         std::string(permission_name(info.param.permission));
}

class PermissionMatrix : public testing::TestWithParam<Cell> {};

TEST_P(PermissionMatrix, Cell) {
  const Cell& c = GetParam();
  EXPECT_EQ(role_allows(c.role, c.permission), c.allowed)
      << role_name(c.role) << " / " << permission_name(c.permission);
}

using R = Role;
using P = Permission;

INSTANTIATE_TEST_SUITE_P(Owner, PermissionMatrix,
                         testing::Values(Cell{R::kOwner, P::kInviteUsers, true},
                                         Cell{R::kOwner, P::kAssignRoles, true},
                                         Cell{R::kOwner, P::kOnboardDevices, true},
                                         Cell{R::kOwner, P::kChangeDeviceProfiles, true},
                                         Cell{R::kOwner, P::kOperateDevices, true},
                                         Cell{R::kOwner, P::kViewLiveVideo, true},
                                         Cell{R::kOwner, P::kReadRecordings, true},
                                         Cell{R::kOwner, P::kManageLicenses, true},
                                         Cell{R::kOwner, P::kReadAuditLog, true},
                                         Cell{R::kOwner, P::kDeleteOrganization, true},
                                         Cell{R::kOwner, P::kUpdateSoftware, true}),
                         cell_name);

INSTANTIATE_TEST_SUITE_P(Administrator, PermissionMatrix,
                         testing::Values(Cell{R::kAdministrator, P::kInviteUsers, true},
                                         Cell{R::kAdministrator, P::kAssignRoles, true},
                                         Cell{R::kAdministrator, P::kOnboardDevices, true},
                                         Cell{R::kAdministrator, P::kChangeDeviceProfiles, true},
                                         Cell{R::kAdministrator, P::kOperateDevices, true},
                                         Cell{R::kAdministrator, P::kViewLiveVideo, true},
                                         Cell{R::kAdministrator, P::kReadRecordings, true},
                                         Cell{R::kAdministrator, P::kManageLicenses, true},
                                         Cell{R::kAdministrator, P::kReadAuditLog, true},
                                         Cell{R::kAdministrator, P::kDeleteOrganization, false},
                                         Cell{R::kAdministrator, P::kUpdateSoftware, true}),
                         cell_name);

INSTANTIATE_TEST_SUITE_P(Operator, PermissionMatrix,
                         testing::Values(Cell{R::kOperator, P::kInviteUsers, false},
                                         Cell{R::kOperator, P::kAssignRoles, false},
                                         Cell{R::kOperator, P::kOnboardDevices, false},
                                         Cell{R::kOperator, P::kChangeDeviceProfiles, false},
                                         Cell{R::kOperator, P::kOperateDevices, true},
                                         Cell{R::kOperator, P::kViewLiveVideo, true},
                                         Cell{R::kOperator, P::kReadRecordings, true},
                                         Cell{R::kOperator, P::kManageLicenses, false},
                                         Cell{R::kOperator, P::kReadAuditLog, false},
                                         Cell{R::kOperator, P::kDeleteOrganization, false},
                                         Cell{R::kOperator, P::kUpdateSoftware, false}),
                         cell_name);

INSTANTIATE_TEST_SUITE_P(Viewer, PermissionMatrix,
                         testing::Values(Cell{R::kViewer, P::kInviteUsers, false},
                                         Cell{R::kViewer, P::kAssignRoles, false},
                                         Cell{R::kViewer, P::kOnboardDevices, false},
                                         Cell{R::kViewer, P::kChangeDeviceProfiles, false},
                                         Cell{R::kViewer, P::kOperateDevices, false},
                                         Cell{R::kViewer, P::kViewLiveVideo, true},
                                         Cell{R::kViewer, P::kReadRecordings, false},
                                         Cell{R::kViewer, P::kManageLicenses, false},
                                         Cell{R::kViewer, P::kReadAuditLog, false},
                                         Cell{R::kViewer, P::kDeleteOrganization, false},
                                         Cell{R::kViewer, P::kUpdateSoftware, false}),
                         cell_name);

TEST(PermissionNames, AreDistinctForEveryRoleAndPermission) {
  std::set<std::string_view> roles, permissions;
  for (std::size_t r = 0; r < kRoleCount; ++r) roles.insert(role_name(static_cast<Role>(r)));
  for (std::size_t p = 0; p < kPermissionCount; ++p) {
    permissions.insert(permission_name(static_cast<Permission>(p)));
  }
  EXPECT_EQ(roles.size(), kRoleCount);
  EXPECT_EQ(permissions.size(), kPermissionCount);
  EXPECT_EQ(roles.count("unknown"), 0u);
  EXPECT_EQ(permissions.count("unknown"), 0u);
}

TEST(PermissionMatrix, EachRoleHoldsNoMoreThanTheOneAboveIt) {
  for (std::size_t r = 1; r < kRoleCount; ++r) {
    for (std::size_t p = 0; p < kPermissionCount; ++p) {
      if (kPermissionMatrix[r][p]) {
        EXPECT_TRUE(kPermissionMatrix[r - 1][p])
            << role_name(static_cast<Role>(r)) << " may "
            << permission_name(static_cast<Permission>(p)) << " but "
            << role_name(static_cast<Role>(r - 1)) << " may not";
      }
    }
  }
}

}  // namespace
}  // namespace ccsim::platform

// Who may do what in an organization: the roles of the white paper and the permission matrix
// every platform command checks. The owner (the organization's creator) may do everything; an
// administrator manages users, devices, licenses and video; an operator watches live video,
// operates devices and reads recordings; a viewer watches live video only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ccsim::platform {

enum class Role : std::uint8_t { kOwner, kAdministrator, kOperator, kViewer };
inline constexpr std::size_t kRoleCount = 4;

enum class Permission : std::uint8_t {
  kInviteUsers,
  kAssignRoles,
  kOnboardDevices,
  kChangeDeviceProfiles,
  kOperateDevices,
  kViewLiveVideo,
  kReadRecordings,
  kManageLicenses,
  kReadAuditLog,
  kDeleteOrganization,
  // Deploy an OS or app version to a device (a firmware upgrade or downgrade task): managing the
  // device's software, as administrators do; an operator only operates devices.
  kUpdateSoftware,
};
inline constexpr std::size_t kPermissionCount = 11;

// The matrix, one row per role in Role order, one column per permission in Permission order.
inline constexpr std::array<std::array<bool, kPermissionCount>, kRoleCount> kPermissionMatrix = {{
    //  invite assign onboard profile operate live  record license audit  delete software
    {{true, true, true, true, true, true, true, true, true, true, true}},          // owner
    {{true, true, true, true, true, true, true, true, true, false, true}},         // administrator
    {{false, false, false, false, true, true, true, false, false, false, false}},  // operator
    {{false, false, false, false, false, true, false, false, false, false, false}},  // viewer
}};

constexpr bool role_allows(Role role, Permission permission) {
  return kPermissionMatrix[static_cast<std::size_t>(role)][static_cast<std::size_t>(permission)];
}

constexpr std::string_view role_name(Role role) {
  switch (role) {
    case Role::kOwner:
      return "owner";
    case Role::kAdministrator:
      return "administrator";
    case Role::kOperator:
      return "operator";
    case Role::kViewer:
      return "viewer";
  }
  return "unknown";
}

constexpr std::string_view permission_name(Permission permission) {
  switch (permission) {
    case Permission::kInviteUsers:
      return "invite_users";
    case Permission::kAssignRoles:
      return "assign_roles";
    case Permission::kOnboardDevices:
      return "onboard_devices";
    case Permission::kChangeDeviceProfiles:
      return "change_device_profiles";
    case Permission::kOperateDevices:
      return "operate_devices";
    case Permission::kViewLiveVideo:
      return "view_live_video";
    case Permission::kReadRecordings:
      return "read_recordings";
    case Permission::kManageLicenses:
      return "manage_licenses";
    case Permission::kReadAuditLog:
      return "read_audit_log";
    case Permission::kDeleteOrganization:
      return "delete_organization";
    case Permission::kUpdateSoftware:
      return "update_software";
  }
  return "unknown";
}

}  // namespace ccsim::platform

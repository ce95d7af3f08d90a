// Device management modes and the table of transitions between them. Standalone: registered but
// not onboarded. Connected: the owner manages the device's composition; no WebRTC. Managed: the
// platform manages composition through the device's profile, and the device falls back to
// connected as soon as its composition leaves what managing allows: its OS on neither the active
// track nor the latest LTS (the white paper's "ne dispose pas du suivi actif d'AXIS OS ou de la
// dernière LTS", whatever track its profile installs), an app outside the profile, its local
// administrator account used. Every mode change the
// platform makes is one row of kModeTransitions, found by (from, cause); anything else is not a
// transition and leaves the mode alone.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ccsim::platform {

enum class DeviceMode : std::uint8_t { kStandalone, kConnected, kManaged };

// Why a device's mode changes; its name is the audit entry's cause.
enum class ModeCause : std::uint8_t {
  kOnboardedConnected,      // onboarded with a connected-mode profile
  kOnboardedManaged,        // onboarded with a managed-mode profile
  kOffOsTrack,              // OS neither on the active track nor on the latest LTS track
  kAppOutsideProfile,       // an app the profile does not allow was installed
  kLocalAdministratorUsed,  // the device's local administrator account was used
  kReleased,                // its organization was deleted
};

struct ModeTransition {
  DeviceMode from;
  ModeCause cause;
  DeviceMode to;
};

inline constexpr std::array<ModeTransition, 7> kModeTransitions = {{
    {DeviceMode::kStandalone, ModeCause::kOnboardedConnected, DeviceMode::kConnected},
    {DeviceMode::kStandalone, ModeCause::kOnboardedManaged, DeviceMode::kManaged},
    {DeviceMode::kManaged, ModeCause::kOffOsTrack, DeviceMode::kConnected},
    {DeviceMode::kManaged, ModeCause::kAppOutsideProfile, DeviceMode::kConnected},
    {DeviceMode::kManaged, ModeCause::kLocalAdministratorUsed, DeviceMode::kConnected},
    {DeviceMode::kConnected, ModeCause::kReleased, DeviceMode::kStandalone},
    {DeviceMode::kManaged, ModeCause::kReleased, DeviceMode::kStandalone},
}};

// The mode `cause` moves a device in `from` to; nullopt when no row applies.
constexpr std::optional<DeviceMode> mode_after(DeviceMode from, ModeCause cause) {
  for (const ModeTransition& row : kModeTransitions) {
    if (row.from == from && row.cause == cause) return row.to;
  }
  return std::nullopt;
}

constexpr std::string_view device_mode_name(DeviceMode mode) {
  switch (mode) {
    case DeviceMode::kStandalone:
      return "standalone";
    case DeviceMode::kConnected:
      return "connected";
    case DeviceMode::kManaged:
      return "managed";
  }
  return "unknown";
}

constexpr std::string_view mode_cause_name(ModeCause cause) {
  switch (cause) {
    case ModeCause::kOnboardedConnected:
      return "onboarded_connected";
    case ModeCause::kOnboardedManaged:
      return "onboarded_managed";
    case ModeCause::kOffOsTrack:
      return "off_os_track";
    case ModeCause::kAppOutsideProfile:
      return "app_outside_profile";
    case ModeCause::kLocalAdministratorUsed:
      return "local_administrator_used";
    case ModeCause::kReleased:
      return "released";
  }
  return "unknown";
}

}  // namespace ccsim::platform

// The device registry: every device the factory made (light integration: static facts only),
// and for each device an organization onboarded, its dynamic facts (deep integration:
// onboarding status, OS version and track, connection status, mode, owner, profile). It also
// holds each organization's device profiles and default profile, runs onboarding (one-click,
// and local discovery through a recorder or edge host on the device's LAN) and moves devices
// between modes by the table in device_mode.h.
//
// A sans-IO service: each command takes the current time and writes one audit entry per state
// change, with its cause, before making it. Entries about a device an organization owns or is
// claiming go to that organization's trail; entries about unowned devices (registration, LAN
// placement, release after an organization's deletion, whose trail is closed by then) go to the
// platform's trail, kRegistryAuditTrail. OAKs are kept only as salted hashes (owner_key.h), the
// salts drawn from the injected random stream; wrong keys are rate-limited by a ClaimGuard.
//
// Onboarding status: registered -> onboarding -> onboarded | failed(reason); a failed device
// may be claimed again, and a released one is registered again. A claim proves the OAK, takes a
// seat and chooses the profile (onboarding); the device itself finishes it when it accepts its
// provisioning over its connection and reports its OS (complete_onboarding), or the platform
// gives up (fail_onboarding: the device never came, or refused), which frees the seat. Only a
// caller who is allowed to onboard and has proven the OAK can move a device out of registered:
// refusals before that (bad input, rights, wrong key, lock, another organization's device) leave it
// as it was, and wrong keys and locks are audited as kTopicDeviceClaimRefused in the claimant's
// trail.
//
// Resource groups. A device an organization owns belongs to at most one of its resource groups
// (tenancy.h: a site, say), chosen by the claim or later by assign_resource_group, and the rights
// a user has on the device are those tenancy grants in that group: a role scoped to the group
// counts there, and an organization-wide one everywhere. A device in no group needs an
// organization-wide grant. The group goes with the ownership: failing the onboarding or releasing
// the device clears it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "core/os_version.h"
#include "core/random_stream.h"
#include "platform/audit_log.h"
#include "platform/audit_topics.h"
#include "platform/connection_status.h"
#include "platform/device_mode.h"
#include "platform/owner_key.h"
#include "platform/service_result.h"
#include "platform/tenancy.h"

namespace ccsim::platform {

// Serials, models, LAN ids, OS versions and tracks, profile, app and capability names: 1..max
// characters of [A-Za-z0-9._:@-], as audit identifiers.
inline constexpr std::size_t kSerialBytesMax = 32;
inline constexpr std::size_t kModelBytesMax = 64;
inline constexpr std::size_t kRegistryNameBytesMax = 64;
inline constexpr std::size_t kDevicesMax = 1'000'000;
inline constexpr std::size_t kRegistrationBatchMax = 100'000;
inline constexpr std::size_t kOrganizationProfilesMax = 100;
inline constexpr std::size_t kProfileAppsMax = 64;
inline constexpr std::size_t kProfileCapabilitiesMax = 16;
inline constexpr std::size_t kFailureReasonBytesMax = 256;

// The licensed service an onboarded device takes a seat of.
inline constexpr std::string_view kDeviceManagementService = "device-management";
// The capability connected devices are refused.
inline constexpr std::string_view kCapabilityWebRtc = "webrtc";
inline constexpr std::string_view kRegistryAuditTrail = "platform";

enum class DeviceKind : std::uint8_t { kCamera, kRecorder, kEdgeHost, kSpeaker, kDoorController };
// Tier-1 hosts the edge services itself; Tier-2 reaches the cloud only through a host.
enum class DeviceTier : std::uint8_t { kTier1 = 1, kTier2 = 2 };
enum class OnboardingStatus : std::uint8_t { kRegistered, kOnboarding, kOnboarded, kFailed };

std::string_view onboarding_status_name(OnboardingStatus status);

// What the factory declares about a device; `oak` is hashed on registration and dropped.
struct FactoryRecord {
  std::string serial;
  std::string model;
  DeviceKind kind = DeviceKind::kCamera;
  DeviceTier tier = DeviceTier::kTier1;
  std::string oak;
  core::Time warranty_end{};
  core::Time end_of_support{};
  std::string recommended_os;
};

// Light facts: static, known from the factory.
struct DeviceFacts {
  std::string serial;
  std::string model;
  DeviceKind kind = DeviceKind::kCamera;
  DeviceTier tier = DeviceTier::kTier1;
  core::Time warranty_end{};
  core::Time end_of_support{};
  std::string recommended_os;
};

// Deep facts: dynamic, learnt through onboarding and the device's connection.
struct DeviceState {
  OnboardingStatus status = OnboardingStatus::kRegistered;
  std::string failure_reason;  // of the last failed onboarding; empty otherwise
  std::string organization;    // owner; empty unless onboarding or onboarded
  std::string resource_group;  // the owner's resource group it belongs to; empty: none
  std::string profile;         // chosen by the claim; empty unless onboarding or onboarded
  std::string host;            // the recorder or edge host it was claimed through; else empty
  core::Time onboarded_at{};   // when it last became onboarded
  DeviceMode mode = DeviceMode::kStandalone;
  std::string os_version;  // empty until reported
  std::string os_track;
  ConnectionStatus connection = ConnectionStatus::kDisconnected;
  std::string lan;  // the LAN the device was seen on; empty when unknown
};

struct DeviceRecord {
  DeviceFacts facts;
  DeviceState state;
};

// A system composition chosen at onboarding. `mode` is connected or managed.
struct DeviceProfile {
  std::string name;
  DeviceMode mode = DeviceMode::kConnected;
  // What the platform installs, e.g. "lts-2024", "active". Not whether the device stays managed:
  // that takes the active track or the latest LTS (set_latest_lts_track).
  std::string os_track;
  std::set<std::string> allowed_apps;  // apps a managed device may run
  std::set<std::string> capabilities;  // e.g. kCapabilityWebRtc
};

struct DeviceRegistryLimits {
  std::size_t devices_max = kDevicesMax;
  std::size_t registration_batch_max = kRegistrationBatchMax;
  std::size_t profiles_max = kOrganizationProfilesMax;  // per organization
};

class DeviceRegistry {
 public:
  // All three must outlive the registry. Wire deletion with connect_to(tenancy).
  DeviceRegistry(AuditLog& audit_log, Tenancy& tenancy, core::RandomStream& random,
                 DeviceRegistryLimits limits = {}, ClaimLockoutPolicy lockout = {});

  // Installs release_organization as `tenancy`'s device release hook.
  void connect_to(Tenancy& tenancy);

  // Registers a factory batch, all or nothing: kInvalidArgument for a malformed record (named
  // by index), kAlreadyExists for a serial registered or repeated, kResourceExhausted past the
  // limits. Returns how many were registered.
  Result<std::size_t> register_devices(core::Time now, const std::vector<FactoryRecord>& records);

  // The device was seen on LAN `lan` (by discovery or the simulator's topology).
  Result<Done> place_on_lan(core::Time now, std::string_view serial, std::string_view lan);

  // Adds a profile to `organization` (kChangeDeviceProfiles); kAlreadyExists for its name.
  Result<Done> define_profile(core::Time now, std::string_view actor, std::string_view organization,
                              const DeviceProfile& profile);
  // The profile applied when onboarding names none (kChangeDeviceProfiles).
  Result<Done> set_default_profile(core::Time now, std::string_view actor,
                                   std::string_view organization, std::string_view profile);

  // One-click onboarding (serial + OAK) into `organization` by `actor`, with `profile` or else
  // the organization's default, into `resource_group` when given; the device is then onboarding,
  // waiting for complete_onboarding. Needs kOnboardDevices in `resource_group` (a role scoped to
  // it will do), else organization-wide; kNotFound for a group not in the organization.
  // Tier-2 devices: kFailedPrecondition. Wrong OAK: kPermissionDenied; locked: kLocked; owned by
  // another organization: kAlreadyExists; no device-management seat: kResourceExhausted, and the
  // device is failed with that reason.
  Result<DeviceRecord> claim(core::Time now, std::string_view actor, std::string_view organization,
                             std::string_view serial, std::string_view oak,
                             std::optional<std::string_view> profile = std::nullopt,
                             std::optional<std::string_view> resource_group = std::nullopt);

  // Local discovery: as claim, through `host` (a recorder or edge host onboarded in
  // `organization`, on the device's LAN: else kFailedPrecondition). Tier-2 devices allowed.
  // Acting through the host, `actor` needs kOnboardDevices in the host's resource group too.
  Result<DeviceRecord> claim_via_host(
      core::Time now, std::string_view actor, std::string_view organization, std::string_view host,
      std::string_view serial, std::string_view oak,
      std::optional<std::string_view> profile = std::nullopt,
      std::optional<std::string_view> resource_group = std::nullopt);

  // Moves a device `organization` owns (onboarding or onboarded) into `resource_group`, or out of
  // every group when absent. Needs kOnboardDevices organization-wide, as creating a group does:
  // grouping devices is managing the fleet. kNotFound for a group not in the organization or a
  // device it does not own. Returns the device; moving it where it is records nothing.
  Result<DeviceRecord> assign_resource_group(core::Time now, std::string_view actor,
                                             std::string_view organization, std::string_view serial,
                                             std::optional<std::string_view> resource_group);

  // The device accepted its provisioning and runs `os_version` on `os_track`: onboarding ->
  // onboarded, in the mode of its profile, then judged on its OS as report_os does.
  // kFailedPrecondition unless it is onboarding.
  Result<DeviceRecord> complete_onboarding(core::Time now, std::string_view serial,
                                           std::string_view os_version, std::string_view os_track);
  // Onboarding -> failed with `reason` (cut to kFailureReasonBytesMax); its seat is freed.
  // kFailedPrecondition unless it is onboarding.
  Result<Done> fail_onboarding(core::Time now, std::string_view serial, std::string_view reason);

  // Releases every device `organization` owns or is onboarding (registered again, no owner, no
  // resource group, standalone) and returns their serials, sorted. Its profiles are forgotten.
  // Audited in the platform trail, since the organization's own is closed by now.
  std::vector<std::string> release_organization(core::Time now, std::string_view organization);

  // The newest LTS track (e.g. "lts-2024"; at first the newest of core::kLtsTracks). A managed
  // device stays managed only on the active track (core::kActiveTrack) or this one, whatever its
  // profile's track: so each onboarded managed device left on another track falls back to connected
  // now (audited as off_os_track). Returns their serials, sorted; a refused audit entry leaves its
  // device as it was and is returned as the error once the others are judged (setting the track
  // again retries them).
  Result<std::vector<std::string>> set_latest_lts_track(core::Time now, std::string_view track);

  // Facts reported by an onboarded device through its connection. Each may move a managed
  // device to connected (see device_mode.h): an OS on neither the active track nor the latest
  // LTS, an app outside its profile, its local administrator account used.
  Result<Done> report_os(core::Time now, std::string_view serial, std::string_view version,
                         std::string_view track);
  Result<Done> report_app_installed(core::Time now, std::string_view serial, std::string_view app);
  Result<Done> report_local_administrator_used(core::Time now, std::string_view serial);
  Result<Done> report_connection(core::Time now, std::string_view serial,
                                 ConnectionStatus connection);

  // Whether `actor` may use `capability` on `serial` in `organization` (kViewLiveVideo in the
  // device's resource group; organization-wide for a device in none or not in `organization`):
  // kFailedPrecondition when the device is not onboarded there, its profile lacks the
  // capability, or the capability is WebRTC and the device is not managed.
  Result<Done> request_capability(std::string_view actor, std::string_view organization,
                                  std::string_view serial, std::string_view capability) const;

  Result<DeviceRecord> device(std::string_view serial) const;
  // Devices owned by (onboarding or onboarded in) `organization`, by serial.
  std::vector<DeviceRecord> devices_of(std::string_view organization) const;
  Result<DeviceProfile> profile(std::string_view organization, std::string_view name) const;
  std::optional<std::string> default_profile(std::string_view organization) const;
  std::size_t size() const { return devices_.size(); }

 private:
  struct Device {
    DeviceFacts facts;
    DeviceState state;
    OwnerKeyHash oak;
  };
  struct OrganizationProfiles {
    std::map<std::string, DeviceProfile, std::less<>> profiles;
    std::string default_profile;
  };
  struct ClaimRoute {
    std::optional<std::string_view> host;  // local discovery when present
  };

  Result<DeviceRecord> claim_through(core::Time now, std::string_view actor,
                                     std::string_view organization, std::string_view serial,
                                     std::string_view oak, std::optional<std::string_view> profile,
                                     std::optional<std::string_view> resource_group,
                                     ClaimRoute route);
  Result<Done> check_host(std::string_view actor, std::string_view organization,
                          std::string_view host, const Device& device) const;
  Result<const DeviceProfile*> resolve_profile(std::string_view organization,
                                               std::optional<std::string_view> profile) const;
  Result<Done> check_oak(core::Time now, std::string_view actor, std::string_view organization,
                         Device& device, std::string_view oak);
  Result<DeviceRecord> onboard(core::Time now, std::string_view actor,
                               std::string_view organization, Device& device,
                               const DeviceProfile& profile,
                               std::optional<std::string_view> resource_group, std::string detail);
  Result<Done> mark_failed(core::Time now, std::string_view actor, Device& device,
                           std::string reason, bool seat_held);
  Result<Done> judge_os_track(core::Time now, Device& device, std::string_view track);
  Result<Done> change_mode(core::Time now, Device& device, ModeCause cause, std::string detail);
  Result<Device*> find_onboarded(std::string_view serial);
  Result<Done> record(core::Time now, std::string_view trail, std::string_view actor,
                      std::string_view topic, std::string_view device, std::string detail);
  static DeviceRecord record_of(const Device& device);
  // The resource group `device` belongs to, as tenancy's authorize takes it.
  static std::optional<std::string_view> group_of(const Device& device);

  AuditLog& audit_log_;
  Tenancy& tenancy_;
  core::RandomStream& random_;
  DeviceRegistryLimits limits_;
  ClaimGuard claim_guard_;
  std::map<std::string, Device, std::less<>> devices_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> devices_by_organization_;
  std::map<std::string, OrganizationProfiles, std::less<>> profiles_;
  // Until told otherwise, the newest LTS line the platform knows (core/os_version.h).
  std::string latest_lts_track_{core::kLtsTracks.back().name};
};

}  // namespace ccsim::platform

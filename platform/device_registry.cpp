#include "platform/device_registry.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace ccsim::platform {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

// kInvalidArgument naming `field` unless `value` is 1..bytes_max name characters. Never quotes
// the value: it may be oversized or hostile.
std::optional<ServiceError> check_name(std::string_view field, std::string_view value,
                                       std::size_t bytes_max) {
  if (value.empty() || value.size() > bytes_max) {
    return error(ErrorCode::kInvalidArgument,
                 std::string(field) + ": 1.." + std::to_string(bytes_max) + " characters");
  }
  if (!std::all_of(value.begin(), value.end(), is_name_char)) {
    return error(ErrorCode::kInvalidArgument,
                 std::string(field) + ": only letters, digits and . _ : @ -");
  }
  return std::nullopt;
}

bool is_host(DeviceKind kind) {
  return kind == DeviceKind::kRecorder || kind == DeviceKind::kEdgeHost;
}

std::optional<ServiceError> check_factory_record(const FactoryRecord& record) {
  if (auto e = check_name("serial", record.serial, kSerialBytesMax)) return e;
  if (auto e = check_name("model", record.model, kModelBytesMax)) return e;
  if (auto e = check_name("recommended_os", record.recommended_os, kRegistryNameBytesMax)) return e;
  if (auto e = validate_owner_key(record.oak); !e.ok()) return e.error();
  if (record.tier != DeviceTier::kTier1 && record.tier != DeviceTier::kTier2) {
    return error(ErrorCode::kInvalidArgument, "tier: 1 or 2");
  }
  if (record.tier == DeviceTier::kTier2 && record.kind != DeviceKind::kCamera) {
    return error(ErrorCode::kInvalidArgument, "tier: only cameras are Tier-2");
  }
  return std::nullopt;
}

std::optional<ServiceError> check_profile(const DeviceProfile& profile) {
  if (auto e = check_name("profile", profile.name, kRegistryNameBytesMax)) return e;
  if (profile.mode == DeviceMode::kStandalone) {
    return error(ErrorCode::kInvalidArgument, "mode: connected or managed");
  }
  if (auto e = check_name("os_track", profile.os_track, kRegistryNameBytesMax)) return e;
  if (profile.allowed_apps.size() > kProfileAppsMax) {
    return error(ErrorCode::kInvalidArgument, "allowed_apps: too many");
  }
  if (profile.capabilities.size() > kProfileCapabilitiesMax) {
    return error(ErrorCode::kInvalidArgument, "capabilities: too many");
  }
  for (const std::string& app : profile.allowed_apps) {
    if (auto e = check_name("allowed_apps", app, kRegistryNameBytesMax)) return e;
  }
  for (const std::string& capability : profile.capabilities) {
    if (auto e = check_name("capabilities", capability, kRegistryNameBytesMax)) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view onboarding_status_name(OnboardingStatus status) {
  switch (status) {
    case OnboardingStatus::kRegistered:
      return "registered";
    case OnboardingStatus::kOnboarding:
      return "onboarding";
    case OnboardingStatus::kOnboarded:
      return "onboarded";
    case OnboardingStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

DeviceRegistry::DeviceRegistry(AuditLog& audit_log, Tenancy& tenancy, core::RandomStream& random,
                               DeviceRegistryLimits limits, ClaimLockoutPolicy lockout)
    : audit_log_(audit_log),
      tenancy_(tenancy),
      random_(random),
      limits_(limits),
      claim_guard_(lockout) {
  assert(limits_.devices_max >= 1 && limits_.devices_max <= kDevicesMax);
  assert(limits_.registration_batch_max >= 1);
  assert(limits_.registration_batch_max <= kRegistrationBatchMax);
  assert(limits_.profiles_max >= 1 && limits_.profiles_max <= kOrganizationProfilesMax);
}

void DeviceRegistry::connect_to(Tenancy& tenancy) {
  tenancy.set_device_release([this](core::Time now, std::string_view organization) {
    return release_organization(now, organization);
  });
}

Result<Done> DeviceRegistry::record(core::Time now, std::string_view trail, std::string_view actor,
                                    std::string_view topic, std::string_view device,
                                    std::string detail) {
  auto appended =
      audit_log_.append(now, AuditRecord{std::string(trail), std::string(actor), std::string(topic),
                                         std::string(device), std::move(detail)});
  if (!appended.ok()) return appended.error();
  return Done{};
}

DeviceRecord DeviceRegistry::record_of(const Device& device) {
  return DeviceRecord{device.facts, device.state};
}

std::optional<std::string_view> DeviceRegistry::group_of(const Device& device) {
  if (device.state.resource_group.empty()) return std::nullopt;
  return device.state.resource_group;
}

Result<std::size_t> DeviceRegistry::register_devices(core::Time now,
                                                     const std::vector<FactoryRecord>& records) {
  if (records.size() > limits_.registration_batch_max) {
    return error(ErrorCode::kResourceExhausted, "records: batch over the limit");
  }
  if (devices_.size() + records.size() > limits_.devices_max) {
    return error(ErrorCode::kResourceExhausted, "registry full");
  }
  std::set<std::string_view> batch;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string where = "records[" + std::to_string(i) + "].";
    if (auto e = check_factory_record(records[i])) {
      return error(e->code, where + e->message);
    }
    if (devices_.contains(records[i].serial) || !batch.insert(records[i].serial).second) {
      return error(ErrorCode::kAlreadyExists, where + "serial: already registered");
    }
  }
  for (const FactoryRecord& in : records) {
    auto recorded = record(now, kRegistryAuditTrail, kAuditPlatformActor, kTopicDeviceRegistered,
                           in.serial, "model=" + in.model);
    if (!recorded.ok()) return recorded.error();
    Device device;
    device.facts = DeviceFacts{in.serial,       in.model,          in.kind,          in.tier,
                               in.warranty_end, in.end_of_support, in.recommended_os};
    device.oak = hash_owner_key(in.oak, random_);
    devices_.emplace(in.serial, std::move(device));
  }
  return records.size();
}

Result<Done> DeviceRegistry::place_on_lan(core::Time now, std::string_view serial,
                                          std::string_view lan) {
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  if (auto e = check_name("lan", lan, kRegistryNameBytesMax)) return *e;
  const auto it = devices_.find(serial);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "serial: no such device");
  auto recorded = record(now, kRegistryAuditTrail, kAuditPlatformActor, kTopicDevicePlacedOnLan,
                         serial, "lan=" + std::string(lan));
  if (!recorded.ok()) return recorded.error();
  it->second.state.lan = std::string(lan);
  return Done{};
}

Result<Done> DeviceRegistry::define_profile(core::Time now, std::string_view actor,
                                            std::string_view organization,
                                            const DeviceProfile& profile) {
  auto allowed = tenancy_.authorize(actor, organization, Permission::kChangeDeviceProfiles);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_profile(profile)) return *e;
  OrganizationProfiles& held = profiles_[std::string(organization)];
  if (held.profiles.contains(profile.name)) {
    return error(ErrorCode::kAlreadyExists, "profile: already defined");
  }
  if (held.profiles.size() >= limits_.profiles_max) {
    return error(ErrorCode::kResourceExhausted, "profiles: limit reached");
  }
  auto recorded =
      record(now, organization, actor, kTopicProfileDefined, "",
             "profile=" + profile.name + " mode=" + std::string(device_mode_name(profile.mode)) +
                 " os_track=" + profile.os_track);
  if (!recorded.ok()) return recorded.error();
  held.profiles.emplace(profile.name, profile);
  return Done{};
}

Result<Done> DeviceRegistry::set_default_profile(core::Time now, std::string_view actor,
                                                 std::string_view organization,
                                                 std::string_view profile) {
  auto allowed = tenancy_.authorize(actor, organization, Permission::kChangeDeviceProfiles);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_name("profile", profile, kRegistryNameBytesMax)) return *e;
  const auto held = profiles_.find(organization);
  if (held == profiles_.end() || !held->second.profiles.contains(profile)) {
    return error(ErrorCode::kNotFound, "profile: not defined in this organization");
  }
  auto recorded = record(now, organization, actor, kTopicProfileDefaultSet, "",
                         "profile=" + std::string(profile));
  if (!recorded.ok()) return recorded.error();
  held->second.default_profile = std::string(profile);
  return Done{};
}

Result<DeviceRecord> DeviceRegistry::claim(core::Time now, std::string_view actor,
                                           std::string_view organization, std::string_view serial,
                                           std::string_view oak,
                                           std::optional<std::string_view> profile,
                                           std::optional<std::string_view> resource_group) {
  return claim_through(now, actor, organization, serial, oak, profile, resource_group,
                       ClaimRoute{});
}

Result<DeviceRecord> DeviceRegistry::claim_via_host(
    core::Time now, std::string_view actor, std::string_view organization, std::string_view host,
    std::string_view serial, std::string_view oak, std::optional<std::string_view> profile,
    std::optional<std::string_view> resource_group) {
  return claim_through(now, actor, organization, serial, oak, profile, resource_group,
                       ClaimRoute{host});
}

Result<DeviceRecord> DeviceRegistry::claim_through(core::Time now, std::string_view actor,
                                                   std::string_view organization,
                                                   std::string_view serial, std::string_view oak,
                                                   std::optional<std::string_view> profile,
                                                   std::optional<std::string_view> resource_group,
                                                   ClaimRoute route) {
  // In the group the device is to join (which tenancy finds in the organization, or says
  // kNotFound), else organization-wide.
  auto allowed =
      tenancy_.authorize(actor, organization, Permission::kOnboardDevices, resource_group);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  if (oak.size() > kOwnerKeyInputBytesMax) {
    return error(ErrorCode::kInvalidArgument, "oak: oversized");
  }
  const auto it = devices_.find(serial);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "serial: no such device");
  Device& device = it->second;
  std::string detail = "method=one_click";
  if (route.host) {
    if (auto e = check_name("host", *route.host, kSerialBytesMax)) return *e;
    auto host_ok = check_host(actor, organization, *route.host, device);
    if (!host_ok.ok()) return host_ok.error();
    detail = "method=local_discovery host=" + std::string(*route.host);
  } else if (device.facts.tier == DeviceTier::kTier2) {
    return error(ErrorCode::kFailedPrecondition,
                 "serial: a Tier-2 device onboards through a recorder or edge host");
  }
  auto chosen = resolve_profile(organization, profile);
  if (!chosen.ok()) return chosen.error();
  auto key_ok = check_oak(now, actor, organization, device, oak);
  if (!key_ok.ok()) return key_ok.error();
  if (!device.state.organization.empty()) {
    // The OAK is proven, so saying the device is taken reveals nothing new to the caller.
    return error(ErrorCode::kAlreadyExists,
                 device.state.organization == organization
                     ? "serial: already onboarded in this organization"
                     : "serial: owned by another organization (no takeover)");
  }
  auto onboarding =
      onboard(now, actor, organization, device, *chosen.value(), resource_group, std::move(detail));
  if (!onboarding.ok()) return onboarding;
  if (route.host) device.state.host = std::string(*route.host);
  return record_of(device);
}

Result<Done> DeviceRegistry::check_host(std::string_view actor, std::string_view organization,
                                        std::string_view host, const Device& device) const {
  const auto it = devices_.find(host);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "host: no such device");
  const Device& found = it->second;
  if (!is_host(found.facts.kind)) {
    return error(ErrorCode::kFailedPrecondition, "host: not a recorder or edge host");
  }
  if (found.state.status != OnboardingStatus::kOnboarded ||
      found.state.organization != organization) {
    return error(ErrorCode::kFailedPrecondition, "host: not onboarded in this organization");
  }
  // The claim acts through the host (it carries the device's provisioning), so the actor needs
  // the right to onboard where the host is, too.
  auto allowed =
      tenancy_.authorize(actor, organization, Permission::kOnboardDevices, group_of(found));
  if (!allowed.ok()) return allowed.error();
  if (found.state.lan.empty() || found.state.lan != device.state.lan) {
    return error(ErrorCode::kFailedPrecondition, "host: not on the device's LAN");
  }
  return Done{};
}

Result<const DeviceProfile*> DeviceRegistry::resolve_profile(
    std::string_view organization, std::optional<std::string_view> profile) const {
  if (profile) {
    if (auto e = check_name("profile", *profile, kRegistryNameBytesMax)) return *e;
  }
  const auto held = profiles_.find(organization);
  if (held == profiles_.end() || (!profile && held->second.default_profile.empty())) {
    return error(ErrorCode::kFailedPrecondition,
                 "profile: none given and the organization has no default profile");
  }
  const std::string_view name = profile ? *profile : held->second.default_profile;
  const auto found = held->second.profiles.find(name);
  if (found == held->second.profiles.end()) {
    return error(ErrorCode::kNotFound, "profile: not defined in this organization");
  }
  return &found->second;
}

Result<Done> DeviceRegistry::check_oak(core::Time now, std::string_view actor,
                                       std::string_view organization, Device& device,
                                       std::string_view oak) {
  auto checked = claim_guard_.check_claim(now, device.facts.serial, oak, device.oak);
  if (checked.ok()) return Done{};
  const ErrorCode code = checked.error().code;
  if (code == ErrorCode::kPermissionDenied || code == ErrorCode::kLocked) {
    auto recorded = record(now, organization, actor, kTopicDeviceClaimRefused, device.facts.serial,
                           "cause=" + std::string(error_code_name(code)));
    if (!recorded.ok()) return recorded.error();
  }
  return checked.error();
}

Result<DeviceRecord> DeviceRegistry::onboard(core::Time now, std::string_view actor,
                                             std::string_view organization, Device& device,
                                             const DeviceProfile& profile,
                                             std::optional<std::string_view> resource_group,
                                             std::string detail) {
  const std::string& serial = device.facts.serial;
  detail += " profile=" + profile.name;
  if (resource_group) detail += " resource_group=" + std::string(*resource_group);
  auto started = record(now, organization, actor, kTopicDeviceOnboarding, serial, detail);
  if (!started.ok()) return started.error();
  device.state.status = OnboardingStatus::kOnboarding;
  device.state.failure_reason.clear();
  device.state.organization = std::string(organization);
  device.state.resource_group = std::string(resource_group.value_or(""));
  device.state.profile = profile.name;
  devices_by_organization_[device.state.organization].insert(serial);

  auto seat = tenancy_.consume_seat(now, organization, kDeviceManagementService);
  if (!seat.ok()) {
    auto failed = mark_failed(now, actor, device, seat.error().message, false);
    if (!failed.ok()) return failed.error();
    return seat.error();
  }
  return record_of(device);
}

Result<DeviceRecord> DeviceRegistry::complete_onboarding(core::Time now, std::string_view serial,
                                                         std::string_view os_version,
                                                         std::string_view os_track) {
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  if (auto e = check_name("os_version", os_version, kRegistryNameBytesMax)) return *e;
  if (auto e = check_name("os_track", os_track, kRegistryNameBytesMax)) return *e;
  const auto it = devices_.find(serial);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "serial: no such device");
  Device& device = it->second;
  if (device.state.status != OnboardingStatus::kOnboarding) {
    return error(ErrorCode::kFailedPrecondition, "serial: not onboarding");
  }
  const DeviceProfile& profile =
      profiles_.at(device.state.organization).profiles.at(device.state.profile);
  auto done =
      record(now, device.state.organization, kAuditPlatformActor, kTopicDeviceOnboarded, serial,
             "profile=" + profile.name + " os_version=" + std::string(os_version) +
                 " os_track=" + std::string(os_track));
  if (!done.ok()) return done.error();
  device.state.status = OnboardingStatus::kOnboarded;
  device.state.onboarded_at = now;
  device.state.os_version = std::string(os_version);
  device.state.os_track = std::string(os_track);
  const ModeCause cause = profile.mode == DeviceMode::kManaged ? ModeCause::kOnboardedManaged
                                                               : ModeCause::kOnboardedConnected;
  auto moved = change_mode(now, device, cause, "profile=" + profile.name);
  if (!moved.ok()) return moved.error();
  auto judged = judge_os_track(now, device, os_track);
  if (!judged.ok()) return judged.error();
  return record_of(device);
}

Result<Done> DeviceRegistry::fail_onboarding(core::Time now, std::string_view serial,
                                             std::string_view reason) {
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  const auto it = devices_.find(serial);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "serial: no such device");
  if (it->second.state.status != OnboardingStatus::kOnboarding) {
    return error(ErrorCode::kFailedPrecondition, "serial: not onboarding");
  }
  return mark_failed(now, kAuditPlatformActor, it->second, std::string(reason), true);
}

Result<Done> DeviceRegistry::mark_failed(core::Time now, std::string_view actor, Device& device,
                                         std::string reason, bool seat_held) {
  assert(device.state.status == OnboardingStatus::kOnboarding);
  if (reason.size() > kFailureReasonBytesMax) reason.resize(kFailureReasonBytesMax);
  const std::string organization = device.state.organization;
  auto recorded = record(now, organization, actor, kTopicDeviceOnboardingFailed,
                         device.facts.serial, "reason=" + reason);
  if (!recorded.ok()) return recorded.error();
  if (seat_held) {
    auto released = tenancy_.release_seat(now, organization, kDeviceManagementService);
    if (!released.ok()) return released.error();
  }
  devices_by_organization_[organization].erase(device.facts.serial);
  device.state.status = OnboardingStatus::kFailed;
  device.state.failure_reason = std::move(reason);
  device.state.organization.clear();
  device.state.resource_group.clear();
  device.state.profile.clear();
  device.state.host.clear();
  return Done{};
}

Result<Done> DeviceRegistry::change_mode(core::Time now, Device& device, ModeCause cause,
                                         std::string detail) {
  const std::optional<DeviceMode> next = mode_after(device.state.mode, cause);
  if (!next) return Done{};  // no row: the fact does not move this mode
  const std::string trail = device.state.organization.empty() ? std::string(kRegistryAuditTrail)
                                                              : device.state.organization;
  auto recorded =
      record(now, trail, kAuditPlatformActor, kTopicDeviceModeChanged, device.facts.serial,
             "from=" + std::string(device_mode_name(device.state.mode)) +
                 " to=" + std::string(device_mode_name(*next)) +
                 " cause=" + std::string(mode_cause_name(cause)) + " " + detail);
  if (!recorded.ok()) return recorded.error();
  device.state.mode = *next;
  return Done{};
}

std::vector<std::string> DeviceRegistry::release_organization(core::Time now,
                                                              std::string_view organization) {
  profiles_.erase(std::string(organization));
  const auto owned = devices_by_organization_.find(organization);
  if (owned == devices_by_organization_.end()) return {};
  std::vector<std::string> released;
  for (const std::string& serial : owned->second) {
    Device& device = devices_.find(serial)->second;
    device.state.organization.clear();  // so the mode change below lands in the platform trail
    // Best effort: the organization is gone either way; a full log loses these entries only.
    (void)change_mode(now, device, ModeCause::kReleased,
                      "organization=" + std::string(organization));
    (void)record(now, kRegistryAuditTrail, kAuditPlatformActor, kTopicDeviceReleased, serial,
                 "organization=" + std::string(organization) + " cause=organization_deleted");
    device.state.status = OnboardingStatus::kRegistered;
    device.state.failure_reason.clear();
    device.state.resource_group.clear();
    device.state.profile.clear();
    device.state.host.clear();
    device.state.mode = DeviceMode::kStandalone;
    released.push_back(serial);
  }
  devices_by_organization_.erase(owned);
  return released;
}

Result<DeviceRecord> DeviceRegistry::assign_resource_group(
    core::Time now, std::string_view actor, std::string_view organization, std::string_view serial,
    std::optional<std::string_view> resource_group) {
  auto allowed = tenancy_.authorize(actor, organization, Permission::kOnboardDevices);
  if (!allowed.ok()) return allowed.error();
  if (resource_group) {
    // Allowed organization-wide, so in every group: this asks tenancy whether the group is one
    // of the organization's (kNotFound) and well formed (kInvalidArgument).
    auto known =
        tenancy_.authorize(actor, organization, Permission::kOnboardDevices, resource_group);
    if (!known.ok()) return known.error();
  }
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  const auto it = devices_.find(serial);
  if (it == devices_.end() || it->second.state.organization != organization) {
    return error(ErrorCode::kNotFound, "serial: no such device in this organization");
  }
  Device& device = it->second;
  std::string next(resource_group.value_or(""));
  if (device.state.resource_group == next) return record_of(device);  // nothing to record
  const auto shown = [](const std::string& group) { return group.empty() ? "none" : group; };
  auto recorded =
      record(now, organization, actor, kTopicDeviceGroupAssigned, serial,
             "resource_group=" + shown(next) + " previous=" + shown(device.state.resource_group));
  if (!recorded.ok()) return recorded.error();
  device.state.resource_group = std::move(next);
  return record_of(device);
}

Result<std::vector<std::string>> DeviceRegistry::set_latest_lts_track(core::Time now,
                                                                      std::string_view track) {
  if (auto e = check_name("track", track, kRegistryNameBytesMax)) return *e;
  auto recorded = record(now, kRegistryAuditTrail, kAuditPlatformActor, kTopicLatestLtsSet, "",
                         "track=" + std::string(track));
  if (!recorded.ok()) return recorded.error();
  latest_lts_track_ = std::string(track);
  // The track a device left behind is no longer the latest LTS: the rule holds for devices that
  // report nothing new, not only for the next report.
  std::vector<std::string> fell_back;
  std::optional<ServiceError> first_refusal;
  for (auto& [serial, device] : devices_) {
    if (device.state.status != OnboardingStatus::kOnboarded ||
        device.state.mode != DeviceMode::kManaged) {
      continue;
    }
    auto judged = judge_os_track(now, device, device.state.os_track);
    if (!judged.ok() && !first_refusal) first_refusal = judged.error();
    if (device.state.mode != DeviceMode::kManaged) fell_back.push_back(serial);
  }
  if (first_refusal) return *first_refusal;
  return fell_back;
}

Result<DeviceRegistry::Device*> DeviceRegistry::find_onboarded(std::string_view serial) {
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  const auto it = devices_.find(serial);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "serial: no such device");
  if (it->second.state.status != OnboardingStatus::kOnboarded) {
    return error(ErrorCode::kFailedPrecondition, "serial: not onboarded");
  }
  return &it->second;
}

Result<Done> DeviceRegistry::report_os(core::Time now, std::string_view serial,
                                       std::string_view version, std::string_view track) {
  auto found = find_onboarded(serial);
  if (!found.ok()) return found.error();
  if (auto e = check_name("version", version, kRegistryNameBytesMax)) return *e;
  if (auto e = check_name("track", track, kRegistryNameBytesMax)) return *e;
  Device& device = *found.value();
  auto recorded =
      record(now, device.state.organization, kAuditPlatformActor, kTopicDeviceOsReported, serial,
             "version=" + std::string(version) + " track=" + std::string(track));
  if (!recorded.ok()) return recorded.error();
  device.state.os_version = std::string(version);
  device.state.os_track = std::string(track);
  return judge_os_track(now, device, track);
}

Result<Done> DeviceRegistry::judge_os_track(core::Time now, Device& device,
                                            std::string_view track) {
  // The white paper: managed needs "le suivi actif d'AXIS OS ou la dernière LTS". The profile's
  // track only says what the platform installs, so a profile naming an older LTS keeps nobody
  // managed on it.
  if (track == core::kActiveTrack || track == latest_lts_track_) return Done{};
  return change_mode(now, device, ModeCause::kOffOsTrack,
                     "track=" + std::string(track) + " latest_lts=" + latest_lts_track_);
}

Result<Done> DeviceRegistry::report_app_installed(core::Time now, std::string_view serial,
                                                  std::string_view app) {
  auto found = find_onboarded(serial);
  if (!found.ok()) return found.error();
  if (auto e = check_name("app", app, kRegistryNameBytesMax)) return *e;
  Device& device = *found.value();
  auto recorded = record(now, device.state.organization, kAuditPlatformActor,
                         kTopicDeviceAppInstalled, serial, "app=" + std::string(app));
  if (!recorded.ok()) return recorded.error();
  const DeviceProfile& profile =
      profiles_.at(device.state.organization).profiles.at(device.state.profile);
  if (profile.allowed_apps.contains(std::string(app))) return Done{};
  return change_mode(now, device, ModeCause::kAppOutsideProfile, "app=" + std::string(app));
}

Result<Done> DeviceRegistry::report_local_administrator_used(core::Time now,
                                                             std::string_view serial) {
  auto found = find_onboarded(serial);
  if (!found.ok()) return found.error();
  Device& device = *found.value();
  auto recorded = record(now, device.state.organization, kAuditPlatformActor,
                         kTopicDeviceLocalAdministratorUsed, serial, "account=local_administrator");
  if (!recorded.ok()) return recorded.error();
  return change_mode(now, device, ModeCause::kLocalAdministratorUsed,
                     "account=local_administrator");
}

Result<Done> DeviceRegistry::report_connection(core::Time now, std::string_view serial,
                                               ConnectionStatus connection) {
  auto found = find_onboarded(serial);
  if (!found.ok()) return found.error();
  Device& device = *found.value();
  if (device.state.connection == connection) return Done{};
  auto recorded = record(
      now, device.state.organization, kAuditPlatformActor, kTopicDeviceConnection, serial,
      connection == ConnectionStatus::kConnected ? "status=connected" : "status=disconnected");
  if (!recorded.ok()) return recorded.error();
  device.state.connection = connection;
  return Done{};
}

Result<Done> DeviceRegistry::request_capability(std::string_view actor,
                                                std::string_view organization,
                                                std::string_view serial,
                                                std::string_view capability) const {
  // Judged in the device's group when `organization` owns it, else organization-wide. Looking
  // the serial up first tells a non-member nothing: they are refused alike either way.
  const auto it = devices_.find(serial);
  const bool owned = it != devices_.end() && it->second.state.organization == organization;
  auto allowed = tenancy_.authorize(actor, organization, Permission::kViewLiveVideo,
                                    owned ? group_of(it->second) : std::nullopt);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  if (auto e = check_name("capability", capability, kRegistryNameBytesMax)) return *e;
  if (!owned) return error(ErrorCode::kNotFound, "serial: no such device in this organization");
  const DeviceState& state = it->second.state;
  if (state.status != OnboardingStatus::kOnboarded) {
    return error(ErrorCode::kFailedPrecondition, "serial: not onboarded");
  }
  if (capability == kCapabilityWebRtc && state.mode != DeviceMode::kManaged) {
    return error(ErrorCode::kFailedPrecondition,
                 "capability: WebRTC is not available to a device in connected mode");
  }
  const DeviceProfile& profile = profiles_.at(state.organization).profiles.at(state.profile);
  if (!profile.capabilities.contains(std::string(capability))) {
    return error(ErrorCode::kFailedPrecondition, "capability: not in the device's profile");
  }
  return Done{};
}

Result<DeviceRecord> DeviceRegistry::device(std::string_view serial) const {
  if (auto e = check_name("serial", serial, kSerialBytesMax)) return *e;
  const auto it = devices_.find(serial);
  if (it == devices_.end()) return error(ErrorCode::kNotFound, "serial: no such device");
  return record_of(it->second);
}

std::vector<DeviceRecord> DeviceRegistry::devices_of(std::string_view organization) const {
  std::vector<DeviceRecord> out;
  const auto owned = devices_by_organization_.find(organization);
  if (owned == devices_by_organization_.end()) return out;
  for (const std::string& serial : owned->second) out.push_back(record_of(devices_.at(serial)));
  return out;
}

Result<DeviceProfile> DeviceRegistry::profile(std::string_view organization,
                                              std::string_view name) const {
  const auto held = profiles_.find(organization);
  if (held == profiles_.end()) return error(ErrorCode::kNotFound, "profile: not defined");
  const auto found = held->second.profiles.find(name);
  if (found == held->second.profiles.end()) {
    return error(ErrorCode::kNotFound, "profile: not defined");
  }
  return found->second;
}

std::optional<std::string> DeviceRegistry::default_profile(std::string_view organization) const {
  const auto held = profiles_.find(organization);
  if (held == profiles_.end() || held->second.default_profile.empty()) return std::nullopt;
  return held->second.default_profile;
}

}  // namespace ccsim::platform

#include "platform/software_updates.h"

#include <cassert>
#include <utility>

namespace ccsim::platform {
namespace {

using core::OsVersion;
using std::chrono::minutes;

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

ServiceError invalid(std::string_view field, std::string_view got, std::string_view expected) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": got " + std::string(got) +
                                                "; expected " + std::string(expected));
}

ServiceError exhausted(std::string_view what, std::size_t limit) {
  return error(ErrorCode::kResourceExhausted,
               std::string(what) + ": at most " + std::to_string(limit));
}

Result<Done> check_name(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > kSoftwareUpdatesNameBytesMax) {
    return invalid(field, std::to_string(name.size()) + " bytes",
                   "1 to " + std::to_string(kSoftwareUpdatesNameBytesMax) + " bytes");
  }
  return Done{};
}

std::string minutes_text(core::Duration duration) {
  return std::to_string(std::chrono::duration_cast<minutes>(duration).count()) + "m";
}

// update_window.h checks a zone only within a schedule, so this checks one that is otherwise
// surely valid and renames the field.
Result<Done> check_time_zone(std::string_view time_zone) {
  UpdateWindowSchedule probe;
  probe.days.set(0);
  probe.duration = kUpdateWindowDurationMin;
  probe.time_zone = std::string(time_zone);
  const Result<Done> valid = validate_update_window_schedule(probe);
  if (valid.ok() || valid.error().code != ErrorCode::kInvalidArgument) return valid;
  constexpr std::string_view kScheduleField = "update window time zone: ";
  std::string detail = valid.error().message;
  if (detail.starts_with(kScheduleField)) detail.erase(0, kScheduleField.size());
  return error(ErrorCode::kInvalidArgument, "time_zone: " + detail);
}

Result<Done> check_window_rule(const UpdateWindowRule& rule) {
  if (rule.days.none()) {
    return invalid("window.days", "none", "at least one of mon, tue, wed, thu, fri, sat, sun");
  }
  if (rule.start < minutes{0} || rule.start > kUpdateWindowStartMax) {
    return invalid("window.start", std::to_string(rule.start.count()) + " minutes",
                   "0 to " + std::to_string(kUpdateWindowStartMax.count()) +
                       " minutes after midnight (00:00 to 23:59)");
  }
  if (rule.duration < kUpdateWindowDurationMin || rule.duration > kUpdateWindowDurationMax) {
    return invalid("window.duration", std::to_string(rule.duration.count()) + " minutes",
                   std::to_string(kUpdateWindowDurationMin.count()) + " to " +
                       std::to_string(kUpdateWindowDurationMax.count()) + " minutes");
  }
  return Done{};
}

Result<Done> check_policy(const ProfileUpdatePolicy& policy) {
  if (policy.kind == UpdatePolicyKind::kPinned && !core::parse_os_version(policy.pinned_version)) {
    return invalid("pinned_version", quote(policy.pinned_version),
                   "a version N.N.N such as 11.11.120");
  }
  if (policy.kind == UpdatePolicyKind::kLatest && !policy.pinned_version.empty()) {
    return invalid("pinned_version", quote(policy.pinned_version), "empty for a latest policy");
  }
  if (policy.install_budget && (*policy.install_budget <= core::Duration::zero() ||
                                *policy.install_budget > kInstallBudgetMax)) {
    return invalid("install_budget", minutes_text(*policy.install_budget),
                   "above 0 and at most " + minutes_text(kInstallBudgetMax));
  }
  if (policy.window) return check_window_rule(*policy.window);
  return Done{};
}

// Whether `schedule` is `rule` read in `time_zone`.
bool same_schedule(const UpdateWindowSchedule& schedule, const UpdateWindowRule& rule,
                   std::string_view time_zone) {
  return schedule.days == rule.days && schedule.start == rule.start &&
         schedule.duration == rule.duration && schedule.time_zone == time_zone;
}

UpdateOffer no_offer(std::string reason) {
  UpdateOffer offer;
  offer.reason = std::move(reason);
  return offer;
}

UpdateOffer offer_of(UpdateOfferKind kind, const Release& release, std::string reason) {
  UpdateOffer offer;
  offer.kind = kind;
  offer.version = release.version;
  offer.size_bytes = release.size_bytes;
  offer.reason = std::move(reason);
  return offer;
}

// The release a device running `running` should run under `policy`, or why there is none:
// `release` is null and `reason` says why.
struct Target {
  const Release* release = nullptr;
  std::string reason;
};

Target target_for(const ReleaseCatalog& catalog, core::Time now, const DeviceSoftwareFacts& device,
                  const OsVersion& running, const ProfileUpdatePolicy& policy) {
  if (policy.kind == UpdatePolicyKind::kPinned) {
    const Release* pinned = catalog.find(policy.pinned_version);
    if (pinned == nullptr || pinned->published_at > now) {
      return {nullptr, "pinned version " + policy.pinned_version + " is not published"};
    }
    if (pinned->version == running.text()) {
      return {nullptr, "running the pinned version " + pinned->version};
    }
    return {pinned, "pinned to " + pinned->version + " by profile " + device.profile};
  }
  const std::string track =
      device.os_track.empty() ? std::string(core::track_of(running)) : device.os_track;
  const Release* latest = catalog.latest_on(track, now);
  if (latest == nullptr) return {nullptr, "no release on track " + track};
  const std::optional<OsVersion> version = core::parse_os_version(latest->version);
  assert(version);  // the catalog publishes only well-formed versions
  if (*version <= running) {
    return {nullptr, "up to date: running " + running.text() + ", the latest on " + track + " is " +
                         latest->version};
  }
  return {latest, "latest on " + track};
}

}  // namespace

std::string_view update_policy_kind_name(UpdatePolicyKind kind) {
  switch (kind) {
    case UpdatePolicyKind::kLatest:
      return "latest";
    case UpdatePolicyKind::kPinned:
      return "pinned";
  }
  return "unknown";
}

std::string_view update_offer_kind_name(UpdateOfferKind kind) {
  switch (kind) {
    case UpdateOfferKind::kNone:
      return "none";
    case UpdateOfferKind::kInstallNow:
      return "install_now";
    case UpdateOfferKind::kInstallInWindow:
      return "install_in_window";
    case UpdateOfferKind::kRecommend:
      return "recommend";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// The release catalog

Result<Done> ReleaseCatalog::publish(Release release) {
  const std::optional<OsVersion> version = core::parse_os_version(release.version);
  if (!version) {
    return invalid("version", quote(release.version),
                   "N.N.N, three decimal parts without leading zeros, such as 11.11.120");
  }
  const std::string_view track = core::track_of(*version);
  if (release.track != track) {
    return invalid("track", quote(release.track),
                   quote(track) + ", the track of version " + release.version);
  }
  if (release.size_bytes == 0 || release.size_bytes > kReleaseBytesMax) {
    return invalid("size_bytes", std::to_string(release.size_bytes),
                   "1 to " + std::to_string(kReleaseBytesMax));
  }
  if (by_version_.contains(release.version)) {
    return error(ErrorCode::kAlreadyExists,
                 "version: " + release.version + " was published before");
  }
  if (releases_.size() >= kReleasesMax) return exhausted("releases", kReleasesMax);
  const std::size_t index = releases_.size();
  by_version_.emplace(release.version, index);
  by_track_[release.track].emplace(*version, index);
  releases_.push_back(std::move(release));
  return Done{};
}

const Release* ReleaseCatalog::find(std::string_view version) const {
  const auto found = by_version_.find(version);
  return found == by_version_.end() ? nullptr : &releases_[found->second];
}

const Release* ReleaseCatalog::latest_on(std::string_view track, core::Time now) const {
  const auto found = by_track_.find(track);
  if (found == by_track_.end()) return nullptr;
  // Newest version first; one published later than `now` does not exist yet.
  for (auto it = found->second.rbegin(); it != found->second.rend(); ++it) {
    const Release& release = releases_[it->second];
    if (release.published_at <= now) return &release;
  }
  return nullptr;
}

Result<Done> check_deployable(const ReleaseCatalog& catalog, const TaskPayload& payload) {
  if (payload.action != wire::TASK_ACTION_UPGRADE_FIRMWARE) return Done{};
  // Checked first so that the version quoted below is a short, plain one.
  if (auto valid = validate_task_payload(payload); !valid.ok()) return valid;
  const auto version = payload.parameters.find(kParameterVersion);
  assert(version != payload.parameters.end());  // upgrade_firmware requires it
  if (catalog.find(version->second) != nullptr) return Done{};
  return error(ErrorCode::kNotFound, "payload.parameters.version: \"" + version->second +
                                         "\" is not a published release");
}

// ---------------------------------------------------------------------------------------------
// Settings

SoftwareUpdates::SoftwareUpdates(RunEpoch epoch, core::Duration install_budget,
                                 SoftwareUpdatesLimits limits)
    : epoch_(epoch), install_budget_(install_budget), limits_(limits) {
  assert(validate_run_epoch(epoch_).ok());
  assert(install_budget_ > core::Duration::zero() && install_budget_ <= kInstallBudgetMax);
  assert(limits_.window_cache_max > 0);
}

SoftwareUpdates::OrganizationSettings* SoftwareUpdates::settings_for(
    std::string_view organization) {
  const auto found = organizations_.find(organization);
  if (found != organizations_.end()) return &found->second;
  if (organizations_.size() >= limits_.organizations_max) return nullptr;
  return &organizations_.emplace(std::string(organization), OrganizationSettings{}).first->second;
}

const SoftwareUpdates::OrganizationSettings* SoftwareUpdates::find_settings(
    std::string_view organization) const {
  const auto found = organizations_.find(organization);
  return found == organizations_.end() ? nullptr : &found->second;
}

Result<Done> SoftwareUpdates::set_offering(std::string_view organization,
                                           bool update_windows_allowed) {
  if (auto valid = check_name("organization", organization); !valid.ok()) return valid;
  OrganizationSettings* settings = settings_for(organization);
  if (settings == nullptr) return exhausted("organizations", limits_.organizations_max);
  settings->update_windows_allowed = update_windows_allowed;
  return Done{};
}

Result<Done> SoftwareUpdates::set_profile_policy(std::string_view organization,
                                                 std::string_view profile,
                                                 ProfileUpdatePolicy policy) {
  if (auto valid = check_name("organization", organization); !valid.ok()) return valid;
  if (auto valid = check_name("profile", profile); !valid.ok()) return valid;
  if (auto valid = check_policy(policy); !valid.ok()) return valid;
  const OrganizationSettings* known = find_settings(organization);
  const bool new_profile = known == nullptr || !known->profiles.contains(profile);
  if (new_profile && profile_policies_ >= limits_.profile_policies_max) {
    return exhausted("profile policies", limits_.profile_policies_max);
  }
  OrganizationSettings* settings = settings_for(organization);
  if (settings == nullptr) return exhausted("organizations", limits_.organizations_max);
  settings->profiles.insert_or_assign(std::string(profile), std::move(policy));
  if (new_profile) ++profile_policies_;
  return Done{};
}

Result<Done> SoftwareUpdates::set_time_zone(std::string_view organization,
                                            std::string_view resource_group,
                                            std::string_view time_zone) {
  if (auto valid = check_name("organization", organization); !valid.ok()) return valid;
  if (auto valid = check_name("resource_group", resource_group); !valid.ok()) return valid;
  if (auto valid = check_time_zone(time_zone); !valid.ok()) return valid;
  const OrganizationSettings* known = find_settings(organization);
  const bool new_group = known == nullptr || !known->time_zones.contains(resource_group);
  if (new_group && time_zones_ >= limits_.time_zones_max) {
    return exhausted("time zones", limits_.time_zones_max);
  }
  OrganizationSettings* settings = settings_for(organization);
  if (settings == nullptr) return exhausted("organizations", limits_.organizations_max);
  settings->time_zones.insert_or_assign(std::string(resource_group), std::string(time_zone));
  if (new_group) ++time_zones_;
  return Done{};
}

const ProfileUpdatePolicy& SoftwareUpdates::profile_policy(std::string_view organization,
                                                           std::string_view profile) const {
  const OrganizationSettings* settings = find_settings(organization);
  if (settings == nullptr) return default_policy_;
  const auto found = settings->profiles.find(profile);
  return found == settings->profiles.end() ? default_policy_ : found->second;
}

bool SoftwareUpdates::update_windows_allowed(std::string_view organization) const {
  const OrganizationSettings* settings = find_settings(organization);
  return settings == nullptr || settings->update_windows_allowed;
}

std::string_view SoftwareUpdates::time_zone(std::string_view organization,
                                            std::string_view resource_group) const {
  const OrganizationSettings* settings = find_settings(organization);
  if (settings == nullptr) return kTimeZoneDefault;
  const auto found = settings->time_zones.find(resource_group);
  return found == settings->time_zones.end() ? kTimeZoneDefault : found->second;
}

// ---------------------------------------------------------------------------------------------
// Offers

UpdateOffer SoftwareUpdates::offer_for(core::Time now, const DeviceSoftwareFacts& device) const {
  assert(now >= core::Time::zero() && now <= kRunLengthMax);
  if (device.mode == DeviceMode::kStandalone) return no_offer("standalone: not onboarded");
  const std::optional<OsVersion> running = core::parse_os_version(device.os_version);
  if (!running) {
    return no_offer(device.os_version.empty()
                        ? "OS version not reported"
                        : "OS version " + quote(device.os_version) + " is not N.N.N");
  }
  const ProfileUpdatePolicy& policy = profile_policy(device.organization, device.profile);
  Target target = target_for(catalog_, now, device, *running, policy);
  if (target.release == nullptr) return no_offer(std::move(target.reason));
  if (device.mode == DeviceMode::kConnected) {
    // The owner manages a connected device's composition: the platform only recommends.
    return offer_of(UpdateOfferKind::kRecommend, *target.release, std::move(target.reason));
  }
  assert(device.mode == DeviceMode::kManaged);
  return managed_offer(now, device, policy, *target.release, std::move(target.reason));
}

UpdateOffer SoftwareUpdates::managed_offer(core::Time now, const DeviceSoftwareFacts& device,
                                           const ProfileUpdatePolicy& policy, const Release& target,
                                           std::string reason) const {
  if (!policy.window) {
    return offer_of(UpdateOfferKind::kInstallNow, target, reason + ", no update window");
  }
  if (!update_windows_allowed(device.organization)) {
    return offer_of(UpdateOfferKind::kInstallNow, target,
                    reason + ", the organization's offering allows no update windows");
  }
  return window_offer(now, device, *policy.window, policy.install_budget.value_or(install_budget_),
                      target, std::move(reason));
}

UpdateOffer SoftwareUpdates::window_offer(core::Time now, const DeviceSoftwareFacts& device,
                                          const UpdateWindowRule& rule,
                                          core::Duration install_budget, const Release& target,
                                          std::string reason) const {
  if (rule.duration < install_budget) {
    return no_offer("window shorter than the install budget: " + minutes_text(rule.duration) +
                    " window, " + minutes_text(install_budget) + " budget");
  }
  const Result<const UpdateWindow*> made = window_for(device, rule);
  if (!made.ok()) return no_offer("update window: " + made.error().message);
  const UpdateWindow& window = *made.value();
  UpdateOffer offer =
      offer_of(UpdateOfferKind::kInstallInWindow, target,
               reason + ", in update window " + update_window_text(window.schedule()));
  if (window.can_finish(now, install_budget)) {
    const std::optional<UpdateWindowOpening> opening = window.opening_at(now);
    assert(opening);
    offer.start_after = now;
    offer.start_before = opening->closes - install_budget;
    return offer;
  }
  // Openings only ever merge into longer ones, so each lasts at least the rule's duration, which
  // is at least the budget: the next opening is one the install can finish in.
  const UpdateWindowOpening next = window.next_opening(now);
  assert(next.closes - next.opens >= install_budget);
  offer.start_after = next.opens;
  offer.start_before = next.closes - install_budget;
  return offer;
}

Result<const UpdateWindow*> SoftwareUpdates::window_for(const DeviceSoftwareFacts& device,
                                                        const UpdateWindowRule& rule) const {
  const std::string_view zone = time_zone(device.organization, device.resource_group);
  const auto found =
      windows_.find(WindowKeyView(device.organization, device.resource_group, device.profile));
  if (found != windows_.end() && same_schedule(found->second.schedule, rule, zone)) {
    return &found->second.window;
  }
  UpdateWindowSchedule schedule{rule.days, rule.start, rule.duration, std::string(zone)};
  Result<UpdateWindow> made = UpdateWindow::create(schedule, epoch_);
  if (!made.ok()) return made.error();
  if (found != windows_.end()) windows_.erase(found);
  if (windows_.size() >= limits_.window_cache_max) windows_.clear();
  const auto [cached, inserted] =
      windows_.emplace(WindowKey{device.organization, device.resource_group, device.profile},
                       CachedWindow{std::move(schedule), std::move(made).value()});
  assert(inserted);
  (void)inserted;
  return &cached->second.window;
}

}  // namespace ccsim::platform

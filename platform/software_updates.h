// Software updates: the OS releases the platform has learnt of (the release catalog), each
// organization's update policies, and the answer a device host or edge host gets when it checks
// for applicable releases (every two hours): what one device should do now.
//
// The answer follows the device's mode (white paper, "Software and configuration"):
// - standalone: nothing; the platform does not reach it.
// - connected: the owner manages composition, so the platform only recommends a version; the
//   user picks what to deploy, upgrade or downgrade. Nothing is ever installed automatically.
// - managed: the policy of the device's profile decides, set at onboarding: the latest release on
//   the device's track, or a pinned version (a downgrade too). It installs at once, or inside the
//   profile's update window when there is one and the organization's offering allows windows.
//   A window is read in the local time of the device's resource group (an IANA zone, default
//   UTC) with update_window.h's rules, daylight-saving changes included; an install is offered
//   only in an opening it can finish in, given the install budget (download, flash, reboot).
//   As hawkBit does, the device may download before the window; it must start installing inside
//   [start_after, start_before].
//
// Versions and tracks are core/os_version.h's. A sans-IO service: no clock and no IO; time comes
// in with each call as run Time, and the RunEpoch given at construction says which UTC instant
// Time 0 is. offer_for() is a pure query; it only fills a cache of UpdateWindow objects (creating
// one looks its zone up), so the service is, like every node, for one thread. Every container
// that reaches an answer is ordered.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/node.h"
#include "core/os_version.h"
#include "platform/device_mode.h"
#include "platform/service_result.h"
#include "platform/task_manager.h"
#include "platform/update_window.h"

namespace ccsim::platform {

inline constexpr std::size_t kReleasesMax = 10'000;
// As devices' kFirmwareImageBytesMax: the largest image a device takes.
inline constexpr std::uint64_t kReleaseBytesMax = 4'000'000'000;
// Organization, profile and resource group names, as the tenancy and the registry bound them.
inline constexpr std::size_t kSoftwareUpdatesNameBytesMax = 64;
inline constexpr std::size_t kSoftwareUpdatesOrganizationsMax = 100'000;
inline constexpr std::size_t kSoftwareUpdatesProfilePoliciesMax = 100'000;  // all organizations
inline constexpr std::size_t kSoftwareUpdatesTimeZonesMax = 100'000;        // all resource groups
// UpdateWindow objects kept for (organization, resource group, profile); past it the cache
// starts again, which costs zone lookups and changes no answer.
inline constexpr std::size_t kUpdateWindowCacheMax = 100'000;
inline constexpr core::Duration kInstallBudgetDefault = std::chrono::minutes(30);
// An install longer than the longest window could never be offered in one.
inline constexpr core::Duration kInstallBudgetMax = kUpdateWindowDurationMax;
inline constexpr std::string_view kTimeZoneDefault = "UTC";

// One OS release as the vendor publishes it.
struct Release {
  std::string version;  // "11.11.120"
  std::string track;    // core::track_of(version): "lts-2024", "active"
  std::uint64_t size_bytes = 0;
  core::Time published_at{};  // before it, the release does not exist for devices

  friend bool operator==(const Release&, const Release&) = default;
};

// Every release published, in publish order.
class ReleaseCatalog {
 public:
  // kInvalidArgument naming the field: version not "N.N.N", track not the version's track,
  // size_bytes outside 1..kReleaseBytesMax; kAlreadyExists for a version published before;
  // kResourceExhausted past kReleasesMax.
  Result<Done> publish(Release release);

  // The release of `version`, published at any time; nullptr when none.
  const Release* find(std::string_view version) const;
  // The newest release (by OsVersion order, not publish order) on `track` published at or
  // before `now`; nullptr when none.
  const Release* latest_on(std::string_view track, core::Time now) const;
  const std::vector<Release>& releases() const { return releases_; }

 private:
  std::vector<Release> releases_;
  std::map<std::string, std::size_t, std::less<>> by_version_;  // index into releases_
  std::map<std::string, std::map<core::OsVersion, std::size_t>, std::less<>> by_track_;
};

// Whether a task's payload may be deployed: one that deploys firmware (upgrade_firmware) must be
// well formed (validate_task_payload's kInvalidArgument naming the field) and name a version the
// catalog holds (kNotFound naming "payload.parameters.version"); any other action passes, left
// to the Task Manager. The release's published_at is not compared with the time.
Result<Done> check_deployable(const ReleaseCatalog& catalog, const TaskPayload& payload);

enum class UpdatePolicyKind : std::uint8_t {
  kLatest,  // the newest release on the device's track
  kPinned,  // one version, whichever way it lies from the running one
};
std::string_view update_policy_kind_name(UpdatePolicyKind kind);  // "latest", "pinned"

// A weekly window without its zone, which comes from the device's resource group.
struct UpdateWindowRule {
  WeekdaySet days;                   // start days, at least one
  std::chrono::minutes start{0};     // local wall time, 0 to kUpdateWindowStartMax
  std::chrono::minutes duration{0};  // kUpdateWindowDurationMin to kUpdateWindowDurationMax
};

// What a device profile says about updates; the default takes the latest release at once.
struct ProfileUpdatePolicy {
  UpdatePolicyKind kind = UpdatePolicyKind::kLatest;
  std::string pinned_version;  // kPinned only: "N.N.N"; empty for kLatest
  std::optional<UpdateWindowRule> window;
  // How long this profile's installs take (download, flash, reboot), in (0, kInstallBudgetMax];
  // none: the service's install budget.
  std::optional<core::Duration> install_budget;
};

// What the platform knows of one device when its host asks (the registry's DeviceState).
struct DeviceSoftwareFacts {
  std::string organization;
  std::string profile;
  std::string resource_group;  // empty: none, so the default zone
  DeviceMode mode = DeviceMode::kStandalone;
  std::string os_version;  // as reported; empty until reported
  std::string os_track;    // empty: the track of os_version
};

enum class UpdateOfferKind : std::uint8_t {
  kNone,             // nothing to do; `reason` says why
  kInstallNow,       // managed: install `version` now
  kInstallInWindow,  // managed: start installing `version` in [start_after, start_before]
  kRecommend,        // connected: show `version` to the user, who decides
};
// "none", "install_now", "install_in_window", "recommend".
std::string_view update_offer_kind_name(UpdateOfferKind kind);

struct UpdateOffer {
  UpdateOfferKind kind = UpdateOfferKind::kNone;
  std::string version;  // empty for kNone
  std::uint64_t size_bytes = 0;
  core::Time start_after{};   // kInstallInWindow only
  core::Time start_before{};  // kInstallInWindow only: the last start that finishes in time
  std::string reason;         // for logs and check details

  friend bool operator==(const UpdateOffer&, const UpdateOffer&) = default;
};

struct SoftwareUpdatesLimits {
  std::size_t organizations_max = kSoftwareUpdatesOrganizationsMax;
  std::size_t profile_policies_max = kSoftwareUpdatesProfilePoliciesMax;
  std::size_t time_zones_max = kSoftwareUpdatesTimeZonesMax;
  std::size_t window_cache_max = kUpdateWindowCacheMax;
};

class SoftwareUpdates {
 public:
  // `epoch` must pass validate_run_epoch; `install_budget`, in (0, kInstallBudgetMax], is how
  // long the planner assumes an install takes (download, flash, reboot): an update that cannot
  // finish inside its window is not offered in it.
  explicit SoftwareUpdates(RunEpoch epoch, core::Duration install_budget = kInstallBudgetDefault,
                           SoftwareUpdatesLimits limits = {});

  ReleaseCatalog& catalog() { return catalog_; }
  const ReleaseCatalog& catalog() const { return catalog_; }

  // Whether the organization's offering allows update windows; allowed until said otherwise.
  // Without, managed devices install as soon as a release applies.
  Result<Done> set_offering(std::string_view organization, bool update_windows_allowed);
  // Replaces the profile's policy. kInvalidArgument naming the field: pinned_version not
  // "N.N.N" (or given for kLatest), window days, start or duration out of bounds, install_budget
  // outside (0, kInstallBudgetMax].
  Result<Done> set_profile_policy(std::string_view organization, std::string_view profile,
                                  ProfileUpdatePolicy policy);
  // The IANA zone a resource group's windows are read in; kTimeZoneDefault until set.
  // kInvalidArgument naming "time_zone" for a zone not in the tz database; kFailedPrecondition
  // when the tz database cannot be read.
  Result<Done> set_time_zone(std::string_view organization, std::string_view resource_group,
                             std::string_view time_zone);
  // Every command: kInvalidArgument for an empty name or one over kSoftwareUpdatesNameBytesMax,
  // kResourceExhausted past the limits.

  // What `device` should do at `now` (0..kRunLengthMax): see the header comment. kLatest offers
  // only a newer version than the running one; kPinned offers the pinned version whenever it
  // differs from the running one and is published by `now`.
  UpdateOffer offer_for(core::Time now, const DeviceSoftwareFacts& device) const;

  RunEpoch epoch() const { return epoch_; }
  core::Duration install_budget() const { return install_budget_; }
  // The policy offer_for applies to the profile: the default one when none was set.
  const ProfileUpdatePolicy& profile_policy(std::string_view organization,
                                            std::string_view profile) const;
  bool update_windows_allowed(std::string_view organization) const;
  std::string_view time_zone(std::string_view organization, std::string_view resource_group) const;

 private:
  struct OrganizationSettings {
    bool update_windows_allowed = true;
    std::map<std::string, ProfileUpdatePolicy, std::less<>> profiles;
    std::map<std::string, std::string, std::less<>> time_zones;  // by resource group
  };
  using WindowKey = std::tuple<std::string, std::string, std::string>;  // org, group, profile
  using WindowKeyView = std::tuple<std::string_view, std::string_view, std::string_view>;
  // Compares keys held and keys looked up as views, element by element (a tuple of strings and
  // one of views do not compare directly under every compiler).
  struct WindowKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
    template <typename T>
    static WindowKeyView view(const T& key) {
      return {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    }
  };
  struct CachedWindow {
    UpdateWindowSchedule schedule;  // what `window` was made from; a change makes a new one
    UpdateWindow window;
  };

  // The organization's settings, made when missing; nullptr past organizations_max.
  OrganizationSettings* settings_for(std::string_view organization);
  const OrganizationSettings* find_settings(std::string_view organization) const;
  // `reason` says why `target` is the version to run.
  UpdateOffer managed_offer(core::Time now, const DeviceSoftwareFacts& device,
                            const ProfileUpdatePolicy& policy, const Release& target,
                            std::string reason) const;
  UpdateOffer window_offer(core::Time now, const DeviceSoftwareFacts& device,
                           const UpdateWindowRule& rule, core::Duration install_budget,
                           const Release& target, std::string reason) const;
  // The device's window in its resource group's zone, from the cache or made and cached.
  Result<const UpdateWindow*> window_for(const DeviceSoftwareFacts& device,
                                         const UpdateWindowRule& rule) const;

  RunEpoch epoch_;
  core::Duration install_budget_;
  SoftwareUpdatesLimits limits_;
  ReleaseCatalog catalog_;
  std::map<std::string, OrganizationSettings, std::less<>> organizations_;
  std::size_t profile_policies_ = 0;
  std::size_t time_zones_ = 0;
  ProfileUpdatePolicy default_policy_;
  mutable std::map<WindowKey, CachedWindow, WindowKeyLess> windows_;
};

}  // namespace ccsim::platform

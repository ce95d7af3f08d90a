// The tenants of a scenario file and what they run: `organizations:` (licenses, default profile,
// audit retention, offering), `profiles:` (mode, track, apps, capabilities, update policy and
// window, install budget) and `releases:`, with the update settings beside them.
#include <algorithm>
#include <array>
#include <cassert>
#include <map>

#include "core/os_version.h"
#include "platform/audit_log.h"
#include "platform/device_registry.h"
#include "platform/software_updates.h"
#include "platform/update_window.h"
#include "scenarios/file_sections.h"

namespace ccsim::scenarios::file {
namespace {

using namespace std::chrono_literals;

constexpr Duration kTelemetryIntervalMin = 1min;
constexpr Duration kTelemetryIntervalMax = 24h;

constexpr std::array<std::string_view, 6> kRegionNames = {"eu-west", "eu-central", "us-east",
                                                          "us-west", "ap-south",   "ap-northeast"};
constexpr std::array<std::string_view, 3> kServiceNames = {"device-management", "video-streaming",
                                                           "recording"};
constexpr std::uint64_t kLicenseSeatsMax = 1'000'000;

// Whether an organization's name fits in its users' addresses, "owner@NAME.example": labels of
// 1-63 letters, digits and inner '-', joined by dots (the identity store's domain rules).
bool is_domain_part(std::string_view name) {
  constexpr std::size_t kLabelCharsMax = 63;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    const bool fits = !label.empty() && label.size() <= kLabelCharsMax && label.front() != '-' &&
                      label.back() != '-' && std::all_of(label.begin(), label.end(), [](char c) {
                        return is_digit(c) || is_letter(c) || c == '-';
                      });
    if (!fits) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lowered;
}

// Seats of `licenses:`, by service.
std::vector<License> read_licenses(const Reader& reader, const Field& field) {
  std::vector<License> licenses;
  const MapView seats = open_map(reader, field, kServiceNames);
  for (const Entry& entry : seats.entries()) {
    reader.recover([&] {
      licenses.push_back(License{entry.key, static_cast<std::uint32_t>(read_whole_number(
                                                reader, entry.value, 0, kLicenseSeatsMax))});
    });
  }
  return licenses;
}

void read_audit_retention(const Reader& reader, const Field& field, Organization& organization) {
  const MapView kept = open_map(reader, field, {"entries", "age"});
  organization.audit_age_max = platform::kAuditRetentionAgeMax;
  kept.with("age", [&](const Field& age) {
    organization.audit_age_max = read_duration(reader, age, 1us, platform::kAuditRetentionAgeMax);
  });
  organization.audit_entries_max =
      read_whole_number(reader, kept.require("entries", "how many entries the trail keeps"), 1,
                        platform::kAuditOrganizationEntriesMax);
}

// One organization; `names` holds the lower-cased names taken (addresses ignore case).
Organization read_organization(const Reader& reader, const MapView& map,
                               std::map<std::string, std::string>& names,
                               const std::vector<Region>& regions) {
  Organization organization;
  const Field name = map.require("name", kIdentifierExpected);
  organization.name = read_identifier(reader, name);
  if (!is_domain_part(organization.name)) {
    reader.report(name, "got " + quote(organization.name) +
                            "; expected letters, digits and inner - in dot-separated parts of at "
                            "most 63 characters, as its users' addresses owner@NAME.example need");
  }
  const auto [taken, added] = names.emplace(lower_case(organization.name), organization.name);
  if (!added) {
    reader.report(name, quote(organization.name) + " names another organization" +
                            (taken->second == organization.name
                                 ? ""
                                 : " (" + quote(taken->second) + ": addresses ignore case)") +
                            "; expected a unique name");
  }
  map.with("region", [&](const Field& region) {
    if (regions.empty()) {
      organization.region = read_word(reader, region, kRegionNames);
    } else {
      organization.region = read_identifier(reader, region);
      check_region(reader, region, organization.region, regions);
    }
  });
  if (!map.find("region")) {
    check_region(reader, open_map_field(map.field(), "name"), organization.region, regions,
                 "the default region");
  }
  map.with("licenses",
           [&](const Field& licenses) { organization.licenses = read_licenses(reader, licenses); });
  map.with("default_profile", [&](const Field& profile) {
    organization.default_profile = read_identifier(reader, profile);
  });
  map.with("audit_retention",
           [&](const Field& retention) { read_audit_retention(reader, retention, organization); });
  map.with("update_windows",
           [&](const Field& windows) { organization.update_windows = read_bool(reader, windows); });
  return organization;
}

}  // namespace

std::vector<Organization> read_organizations(const Reader& reader,
                                             const std::optional<Field>& field,
                                             std::vector<OrganizationField>& fields,
                                             const std::vector<Region>& regions) {
  std::vector<Organization> organizations;
  if (!field) return organizations;
  std::map<std::string, std::string> names;  // lower-cased -> as given
  for (const Field& item :
       open_list(reader, *field, kOrganizationsPerScenarioMax, "organizations")) {
    reader.recover([&] {
      const MapView map = open_map(reader, item,
                                   {"name", "region", "licenses", "default_profile",
                                    "audit_retention", "update_windows", "sites"});
      organizations.push_back(read_organization(reader, map, names, regions));
      fields.push_back(OrganizationField{item, map.find("sites")});
    });
  }
  return organizations;
}

void check_organizations(const Reader& reader, const std::vector<OrganizationField>& fields,
                         Scenario& scenario, const Names& names) {
  assert(fields.size() == scenario.organizations.size());
  for (std::size_t i = 0; i < scenario.organizations.size(); ++i) {
    Organization& organization = scenario.organizations[i];
    if (!organization.default_profile.empty()) {
      reader.recover([&] {
        read_reference(reader, open_map_field(fields[i].item, "default_profile"), names.profiles,
                       "a profile");
      });
    }
    const bool licensed = std::any_of(
        organization.licenses.begin(), organization.licenses.end(), [](const License& license) {
          return license.service == platform::kDeviceManagementService;
        });
    if (licensed) continue;
    std::uint64_t devices = 0;
    for (const Site& site : scenario.sites) {
      if (site.organization != static_cast<int>(i)) continue;
      for (const DeviceGroup& group : site.devices) devices += group.count;
    }
    organization.licenses.push_back(
        License{std::string(platform::kDeviceManagementService),
                static_cast<std::uint32_t>(std::max<std::uint64_t>(devices, 1))});
  }
}

namespace {

std::vector<std::string> read_names(const Reader& reader, const Field& field,
                                    std::size_t items_max) {
  std::vector<std::string> names;
  for (const Field& item : open_list(reader, field, items_max, "names")) {
    names.push_back(read_identifier(reader, item));
  }
  return names;
}

// `update_window:` of a profile; the zone is each site's.
ProfileUpdateWindow read_update_window(const Reader& reader, const Field& field) {
  const MapView map = open_map(reader, field, {"days", "start", "duration"});
  ProfileUpdateWindow window;
  const Field days = map.require("days", "a list of day names such as [sat, sun]");
  std::vector<std::string> names;
  for (const Field& item :
       open_list(reader, days, platform::kUpdateWindowDayNamesMax, "day names such as sat")) {
    names.push_back(read_scalar(reader, item, "a day name such as sat"));
    // The names so far: the first unknown or repeated one is the one blamed.
    const platform::Result<platform::WeekdaySet> so_far = platform::parse_update_window_days(names);
    if (!so_far.ok()) reader.fail(item, platform_expected(so_far.error()));
  }
  const platform::Result<platform::WeekdaySet> parsed = platform::parse_update_window_days(names);
  if (!parsed.ok()) reader.fail(days, platform_expected(parsed.error()));
  window.days = parsed.value();
  const Field start = map.require("start", "a local time HH:MM such as 02:00");
  const platform::Result<std::chrono::minutes> start_minutes = platform::parse_update_window_start(
      read_scalar(reader, start, "a local time HH:MM such as 02:00"));
  if (!start_minutes.ok()) reader.fail(start, platform_expected(start_minutes.error()));
  window.start = start_minutes.value();
  const Field length = map.require("duration", "how long it is open, such as 3h");
  const platform::Result<std::chrono::minutes> minutes_open =
      platform::parse_update_window_duration(
          read_scalar(reader, length, "how long it is open, such as 3h"));
  if (!minutes_open.ok()) reader.fail(length, platform_expected(minutes_open.error()));
  window.duration = minutes_open.value();
  return window;
}

// A profile's update_policy, pinned_version, update_window and install_budget. A window too short
// for an install could never see one: that is a problem too, naming both durations.
void read_profile_updates(const Reader& reader, const MapView& map, Profile& profile) {
  map.with("update_policy", [&](const Field& policy) {
    profile.update_policy = read_word(reader, policy, {"latest", "pinned"}) == "pinned"
                                ? UpdatePolicy::kPinned
                                : UpdatePolicy::kLatest;
  });
  const bool pinned = profile.update_policy == UpdatePolicy::kPinned;
  if (const std::optional<Field> version = map.find("pinned_version")) {
    reader.recover([&] {
      if (!pinned) {
        reader.fail(*version,
                    "given with update_policy latest; expected pinned_version only with "
                    "update_policy: pinned");
      }
      profile.pinned_version = read_version(reader, *version);
    });
  } else if (pinned) {
    reader.recover([&] {
      map.require("pinned_version",
                  "the version the devices keep, such as 11.11.0, with update_policy: pinned");
    });
  }
  map.with("update_window", [&](const Field& window) {
    profile.update_window = read_update_window(reader, window);
  });
  map.with("install_budget", [&](const Field& budget) {
    profile.install_budget = read_duration(reader, budget, 1min, platform::kInstallBudgetMax);
  });
  if (profile.update_window && profile.update_window->duration < profile.install_budget) {
    const Field blamed = map.find("install_budget") ? open_map_field(map.field(), "install_budget")
                                                    : open_map_field(map.field(), "update_window");
    reader.report(blamed, "the update window is open " +
                              format_duration(profile.update_window->duration) +
                              ", shorter than the install budget of " +
                              format_duration(profile.install_budget) +
                              ", so no install could ever start in it; expected a window of at "
                              "least the install budget, or a shorter install_budget");
  }
}

constexpr std::array<std::string_view, 8> kProfileKeys = {
    "mode",          "track",          "allowed_apps",  "capabilities",
    "update_policy", "pinned_version", "update_window", "install_budget"};

Profile read_profile(const Reader& reader, const Field& body, std::string name) {
  Profile profile;
  profile.name = std::move(name);
  const MapView map = open_map(reader, body, kProfileKeys);
  profile.managed = read_word(reader, map.require("mode", "connected or managed"),
                              {"connected", "managed"}) == "managed";
  map.with("track", [&](const Field& track) { profile.os_track = read_identifier(reader, track); });
  map.with("allowed_apps", [&](const Field& apps) {
    profile.allowed_apps = read_names(reader, apps, platform::kProfileAppsMax);
  });
  map.with("capabilities", [&](const Field& capabilities) {
    profile.capabilities = read_names(reader, capabilities, platform::kProfileCapabilitiesMax);
  });
  read_profile_updates(reader, map, profile);
  return profile;
}

}  // namespace

// `profiles:`, a map from name to {mode, track, allowed_apps, capabilities, update_policy,
// pinned_version, update_window, install_budget}.
std::vector<Profile> read_profiles(const Reader& reader, const std::optional<Field>& field) {
  std::vector<Profile> profiles;
  if (!field) return profiles;
  if (field->node.IsMap() && field->node.size() > kProfilesPerScenarioMax) {
    reader.fail(*field, std::to_string(field->node.size()) + " profiles; expected at most " +
                            std::to_string(kProfilesPerScenarioMax));
  }
  if (!field->node.IsMap()) {
    reader.fail(*field, "got " + std::string(describe_node(field->node)) +
                            "; expected a map from profile name to {" + join_words(kProfileKeys) +
                            "}");
  }
  for (const auto& pair : field->node) {
    reader.recover([&] {
      const Field key{pair.first, field->path, pair.first.Mark()};
      std::string name = read_identifier(reader, key);
      const Field body{pair.second, child_path(field->path, name), pair.first.Mark()};
      const bool repeated = std::any_of(profiles.begin(), profiles.end(),
                                        [&](const Profile& p) { return p.name == name; });
      if (repeated) reader.fail(body, "given twice; expected each profile once");
      profiles.push_back(read_profile(reader, body, std::move(name)));
    });
  }
  return profiles;
}

namespace {

Release read_release(const Reader& reader, const Field& field, Duration duration) {
  const MapView map =
      open_map(reader, field, {"version", "track", "at", "size", "failure_share", "tampered"});
  Release release;
  release.line = reader.line_of(field);
  release.version = read_version(reader, map.require("version", kVersionExpected));
  const std::string_view track = core::track_of(*core::parse_os_version(release.version));
  release.track = std::string(track);
  map.with("track", [&](const Field& given) {
    const std::string name = read_identifier(reader, given);
    if (name != track) {
      reader.fail(given, "got " + quote(name) + "; expected " + std::string(track) +
                             ", the track of " + release.version +
                             " (leave track out and it is filled in)");
    }
  });
  map.with("at", [&](const Field& at) {
    release.published_at = read_time_before_end(reader, at, duration);
  });
  map.with("size", [&](const Field& size) {
    release.size_bytes = read_size_bytes(reader, size, kReleaseBytesMax);
  });
  map.with("failure_share",
           [&](const Field& share) { release.failure_share = read_fraction(reader, share); });
  map.with("tampered",
           [&](const Field& tampered) { release.tampered = read_bool(reader, tampered); });
  return release;
}

// `releases:`, each version once.
std::vector<Release> read_releases(const Reader& reader, const Field& field, Duration duration) {
  std::vector<Release> releases;
  std::map<std::string, std::string> versions;  // version -> the release that has it
  for (const Field& item : open_list(reader, field, kReleasesPerScenarioMax, "releases")) {
    reader.recover([&] {
      releases.push_back(read_release(reader, item, duration));
      const auto [it, added] = versions.emplace(releases.back().version, item.path);
      if (!added) {
        reader.report(open_map_field(item, "version"), quote(releases.back().version) +
                                                           " is already released by " + it->second +
                                                           "; expected a unique version");
      }
    });
  }
  return releases;
}

}  // namespace

void read_update_settings(const Reader& reader, const MapView& root, Scenario& scenario) {
  root.with("epoch", [&](const Field& epoch) {
    const platform::Result<platform::RunEpoch> parsed = platform::parse_run_epoch(
        read_scalar(reader, epoch, "an instant in UTC such as 2026-03-23T00:00:00Z"));
    if (!parsed.ok()) reader.fail(epoch, platform_expected(parsed.error()));
    scenario.epoch = parsed.value();
  });
  root.with("release_check_interval", [&](const Field& interval) {
    scenario.release_check_interval =
        read_duration(reader, interval, kReleaseCheckIntervalMin, kReleaseCheckIntervalMax);
  });
  root.with("telemetry_interval", [&](const Field& interval) {
    scenario.telemetry_interval =
        read_duration(reader, interval, kTelemetryIntervalMin, kTelemetryIntervalMax);
  });
  root.with("releases", [&](const Field& releases) {
    scenario.releases = read_releases(reader, releases, scenario.duration);
  });
}

}  // namespace ccsim::scenarios::file

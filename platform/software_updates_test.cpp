// Software updates: the release catalog's rules (well-formed versions on their own track, no
// repeats, a limit) and its version order; and the offer a device gets by mode and policy,
// including update windows in Europe/Stockholm across the 29 March 2026 spring-forward, with
// instants computed by hand. The run starts on Monday 23 March 2026 at 00:00Z, so Saturday
// 28 March 02:00 CET is 01:00Z, Time 121h, and on Sunday 29 March the clock jumps from 02:00 CET
// to 03:00 CEST at 01:00Z, Time 145h: a 02:00 start it skips opens at the jump.
#include "platform/software_updates.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "platform/result_expectations.h"

namespace ccsim::platform {
namespace {

using core::Time;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kOrganization = "org-acme";
constexpr std::string_view kProfile = "managed-lts";
constexpr std::string_view kSite = "lund";
constexpr std::uint64_t kImageBytes = 95'000'000;

RunEpoch monday_23_march() {
  return must(parse_run_epoch("2026-03-23T00:00:00Z"));
}

Release release(std::string version, std::string track, Time published_at = Time::zero(),
                std::uint64_t size_bytes = kImageBytes) {
  return Release{std::move(version), std::move(track), size_bytes, published_at};
}

DeviceSoftwareFacts device(DeviceMode mode, std::string os_version, std::string os_track = "") {
  return DeviceSoftwareFacts{std::string(kOrganization), std::string(kProfile),
                             std::string(kSite),         mode,
                             std::move(os_version),      std::move(os_track)};
}

WeekdaySet days(std::initializer_list<Weekday> list) {
  WeekdaySet set;
  for (const Weekday day : list) set.set(static_cast<std::size_t>(day));
  return set;
}

// "sat,sun 02:00 for 3h".
UpdateWindowRule weekend_night() {
  return UpdateWindowRule{days({Weekday::kSaturday, Weekday::kSunday}), hours(2), hours(3)};
}

ProfileUpdatePolicy pinned(std::string version) {
  return ProfileUpdatePolicy{UpdatePolicyKind::kPinned, std::move(version), std::nullopt,
                             std::nullopt};
}

ProfileUpdatePolicy latest_in(UpdateWindowRule rule) {
  return ProfileUpdatePolicy{UpdatePolicyKind::kLatest, "", rule, std::nullopt};
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// The release catalog

TEST(SoftwareUpdatesCatalog, RefusesMalformedVersionsWrongTracksAndSizes) {
  ReleaseCatalog catalog;
  for (const char* bad : {"", "11.11", "11.11.x", "011.11.1", "11.11.1.1", "v11.11.1"}) {
    expect_error(catalog.publish(release(bad, "lts-2024")), ErrorCode::kInvalidArgument,
                 "version: got \"" + std::string(bad) + "\"");
  }
  // Each version has exactly one track: 11.11 is LTS 2024, 12.x the active track.
  expect_error(catalog.publish(release("11.11.5", "active")), ErrorCode::kInvalidArgument,
               "track: got \"active\"; expected \"lts-2024\"");
  expect_error(catalog.publish(release("12.0.1", "lts-2024")), ErrorCode::kInvalidArgument,
               "track:");
  expect_error(catalog.publish(release("11.11.5", "")), ErrorCode::kInvalidArgument, "track:");
  expect_error(catalog.publish(release("11.11.5", "lts-2024", Time::zero(), 0)),
               ErrorCode::kInvalidArgument, "size_bytes: got 0");
  expect_error(catalog.publish(release("11.11.5", "lts-2024", Time::zero(), kReleaseBytesMax + 1)),
               ErrorCode::kInvalidArgument, "size_bytes");
  EXPECT_TRUE(catalog.releases().empty());

  ASSERT_TRUE(catalog.publish(release("11.11.5", "lts-2024", Time::zero(), 1)).ok());
  ASSERT_TRUE(catalog.publish(release("10.12.300", "lts-2022")).ok());
  ASSERT_TRUE(catalog.publish(release("12.0.1", "active", Time::zero(), kReleaseBytesMax)).ok());
  EXPECT_EQ(catalog.releases().size(), 3u);
}

TEST(SoftwareUpdatesCatalog, RefusesAVersionPublishedBeforeWhateverElseDiffers) {
  ReleaseCatalog catalog;
  ASSERT_TRUE(catalog.publish(release("11.11.120", "lts-2024", hours(1))).ok());
  expect_error(catalog.publish(release("11.11.120", "lts-2024", hours(5), 1)),
               ErrorCode::kAlreadyExists, "11.11.120 was published before");
  ASSERT_EQ(catalog.releases().size(), 1u);
  EXPECT_EQ(catalog.releases()[0], release("11.11.120", "lts-2024", hours(1)));
  ASSERT_NE(catalog.find("11.11.120"), nullptr);
  EXPECT_EQ(catalog.find("11.11.120")->published_at, hours(1));
  EXPECT_EQ(catalog.find("11.11.121"), nullptr);
  EXPECT_EQ(catalog.find("11.11.0120"), nullptr);  // versions have one spelling
}

TEST(SoftwareUpdatesCatalog, HoldsAtMostTheLimit) {
  ReleaseCatalog catalog;
  for (std::size_t i = 0; i < kReleasesMax; ++i) {
    ASSERT_TRUE(catalog.publish(release("12.0." + std::to_string(i), "active")).ok()) << i;
  }
  expect_error(catalog.publish(release("12.1.0", "active")), ErrorCode::kResourceExhausted,
               "releases: at most 10000");
  EXPECT_EQ(catalog.releases().size(), kReleasesMax);
  // A repeat is still told apart from a full catalog.
  expect_error(catalog.publish(release("12.0.7", "active")), ErrorCode::kAlreadyExists, "12.0.7");
}

TEST(SoftwareUpdatesCatalog, LatestOnIsTheNewestVersionPublishedByNow) {
  ReleaseCatalog catalog;
  // Published out of version order; as text "11.11.9" sorts after "11.11.10".
  ASSERT_TRUE(catalog.publish(release("11.11.10", "lts-2024", Time::zero())).ok());
  ASSERT_TRUE(catalog.publish(release("11.11.9", "lts-2024", Time::zero())).ok());
  ASSERT_TRUE(catalog.publish(release("11.11.11", "lts-2024", hours(30))).ok());
  ASSERT_TRUE(catalog.publish(release("12.0.5", "active", Time::zero())).ok());

  ASSERT_NE(catalog.latest_on("lts-2024", Time::zero()), nullptr);
  EXPECT_EQ(catalog.latest_on("lts-2024", Time::zero())->version, "11.11.10");
  EXPECT_EQ(catalog.latest_on("lts-2024", hours(30) - Time(1))->version, "11.11.10");
  EXPECT_EQ(catalog.latest_on("lts-2024", hours(30))->version, "11.11.11");  // at, inclusive
  EXPECT_EQ(catalog.latest_on("active", hours(30))->version, "12.0.5");
  EXPECT_EQ(catalog.latest_on("lts-2022", hours(30)), nullptr);
  EXPECT_EQ(catalog.latest_on("nightly", hours(30)), nullptr);

  // A newer version not yet published leaves the older ones in place.
  ReleaseCatalog later;
  ASSERT_TRUE(later.publish(release("11.11.200", "lts-2024", hours(10))).ok());
  EXPECT_EQ(later.latest_on("lts-2024", hours(9)), nullptr);
  ASSERT_TRUE(later.publish(release("11.11.150", "lts-2024", hours(5))).ok());
  EXPECT_EQ(later.latest_on("lts-2024", hours(9))->version, "11.11.150");
  EXPECT_EQ(later.latest_on("lts-2024", hours(10))->version, "11.11.200");
}

// ---------------------------------------------------------------------------------------------
// Settings

TEST(SoftwareUpdatesSettings, ErrorsNameTheField) {
  SoftwareUpdates updates(monday_23_march());
  expect_error(updates.set_time_zone(kOrganization, kSite, "Mars/Olympus_Mons"),
               ErrorCode::kInvalidArgument, "time_zone: got \"Mars/Olympus_Mons\"");
  expect_error(updates.set_time_zone(kOrganization, kSite, ""), ErrorCode::kInvalidArgument,
               "time_zone:");
  expect_error(updates.set_time_zone(kOrganization, kSite, "europe/stockholm"),
               ErrorCode::kInvalidArgument, "time_zone:");  // names are case-sensitive
  expect_error(updates.set_time_zone(kOrganization, "", "UTC"), ErrorCode::kInvalidArgument,
               "resource_group:");
  expect_error(updates.set_offering("", false), ErrorCode::kInvalidArgument, "organization:");
  expect_error(updates.set_profile_policy(kOrganization, std::string(65, 'p'), {}),
               ErrorCode::kInvalidArgument, "profile: got 65 bytes");

  expect_error(updates.set_profile_policy(kOrganization, kProfile, pinned("11.11")),
               ErrorCode::kInvalidArgument, "pinned_version: got \"11.11\"");
  expect_error(updates.set_profile_policy(kOrganization, kProfile, pinned("")),
               ErrorCode::kInvalidArgument, "pinned_version:");
  expect_error(updates.set_profile_policy(
                   kOrganization, kProfile,
                   {UpdatePolicyKind::kLatest, "11.11.5", std::nullopt, std::nullopt}),
               ErrorCode::kInvalidArgument, "pinned_version:");
  UpdateWindowRule rule = weekend_night();
  rule.days.reset();
  expect_error(updates.set_profile_policy(kOrganization, kProfile, latest_in(rule)),
               ErrorCode::kInvalidArgument, "window.days:");
  rule = weekend_night();
  rule.start = minutes(24 * 60);
  expect_error(updates.set_profile_policy(kOrganization, kProfile, latest_in(rule)),
               ErrorCode::kInvalidArgument, "window.start: got 1440 minutes");
  for (const minutes duration : {minutes(0), minutes(1431)}) {
    rule = weekend_night();
    rule.duration = duration;
    expect_error(updates.set_profile_policy(kOrganization, kProfile, latest_in(rule)),
                 ErrorCode::kInvalidArgument, "window.duration:");
  }

  // Nothing refused was kept.
  EXPECT_EQ(updates.time_zone(kOrganization, kSite), "UTC");
  EXPECT_TRUE(updates.update_windows_allowed(kOrganization));
  EXPECT_EQ(updates.profile_policy(kOrganization, kProfile).kind, UpdatePolicyKind::kLatest);
  EXPECT_FALSE(updates.profile_policy(kOrganization, kProfile).window);

  ASSERT_TRUE(updates.set_time_zone(kOrganization, kSite, "Europe/Stockholm").ok());
  EXPECT_EQ(updates.time_zone(kOrganization, kSite), "Europe/Stockholm");
  EXPECT_EQ(updates.time_zone(kOrganization, "malmo"), "UTC");
}

TEST(SoftwareUpdatesSettings, RefusesPastItsLimitsButReplacesWhatItHolds) {
  SoftwareUpdatesLimits limits;
  limits.organizations_max = 2;
  limits.profile_policies_max = 2;
  limits.time_zones_max = 1;
  SoftwareUpdates updates(monday_23_march(), kInstallBudgetDefault, limits);
  ASSERT_TRUE(updates.set_offering("org-a", true).ok());
  ASSERT_TRUE(updates.set_profile_policy("org-b", "p1", {}).ok());
  expect_error(updates.set_offering("org-c", false), ErrorCode::kResourceExhausted,
               "organizations: at most 2");
  expect_error(updates.set_time_zone("org-c", "site", "UTC"), ErrorCode::kResourceExhausted,
               "organizations");
  EXPECT_TRUE(updates.update_windows_allowed("org-c"));

  ASSERT_TRUE(updates.set_profile_policy("org-a", "p2", {}).ok());
  expect_error(updates.set_profile_policy("org-a", "p3", {}), ErrorCode::kResourceExhausted,
               "profile policies: at most 2");
  ASSERT_TRUE(updates.set_profile_policy("org-a", "p2", pinned("11.11.5")).ok());  // replaced
  EXPECT_EQ(updates.profile_policy("org-a", "p2").pinned_version, "11.11.5");

  ASSERT_TRUE(updates.set_time_zone("org-a", "lund", "Europe/Stockholm").ok());
  expect_error(updates.set_time_zone("org-b", "lund", "Europe/Stockholm"),
               ErrorCode::kResourceExhausted, "time zones: at most 1");
  ASSERT_TRUE(updates.set_time_zone("org-a", "lund", "Europe/Oslo").ok());  // replaced
  EXPECT_EQ(updates.time_zone("org-a", "lund"), "Europe/Oslo");
}

// ---------------------------------------------------------------------------------------------
// Offers by mode and policy

class SoftwareUpdatesOffer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(updates.catalog().publish(release("11.11.100", "lts-2024", Time::zero())).ok());
    ASSERT_TRUE(updates.catalog().publish(release("11.11.120", "lts-2024", hours(1))).ok());
    ASSERT_TRUE(updates.catalog().publish(release("12.0.5", "active", Time::zero(), 1234)).ok());
  }

  SoftwareUpdates updates{monday_23_march()};
};

TEST_F(SoftwareUpdatesOffer, StandaloneAndUnreportedDevicesGetNothing) {
  UpdateOffer offer = updates.offer_for(hours(2), device(DeviceMode::kStandalone, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(offer.version.empty());
  EXPECT_TRUE(contains(offer.reason, "standalone")) << offer.reason;

  offer = updates.offer_for(hours(2), device(DeviceMode::kManaged, ""));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(contains(offer.reason, "not reported")) << offer.reason;
  offer = updates.offer_for(hours(2), device(DeviceMode::kConnected, "eleven"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
}

TEST_F(SoftwareUpdatesOffer, ConnectedDevicesAreOnlyRecommendedTheLatest) {
  UpdateOffer offer = updates.offer_for(hours(2), device(DeviceMode::kConnected, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kRecommend);
  EXPECT_EQ(offer.version, "11.11.120");
  EXPECT_EQ(offer.size_bytes, kImageBytes);
  EXPECT_EQ(update_offer_kind_name(offer.kind), "recommend");

  // Before 11.11.120 is published the device is up to date; so it is once it runs it.
  offer = updates.offer_for(minutes(59), device(DeviceMode::kConnected, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(contains(offer.reason, "up to date")) << offer.reason;
  EXPECT_EQ(updates.offer_for(hours(2), device(DeviceMode::kConnected, "11.11.120")).kind,
            UpdateOfferKind::kNone);
  // A device ahead of the catalog is never offered an older latest.
  EXPECT_EQ(updates.offer_for(hours(2), device(DeviceMode::kConnected, "11.11.130")).kind,
            UpdateOfferKind::kNone);
}

TEST_F(SoftwareUpdatesOffer, TheTrackIsTheReportedOneElseTheRunningVersionsOne) {
  // 12.0.1 reports no track: it is on the active track, whose latest is 12.0.5.
  UpdateOffer offer = updates.offer_for(hours(2), device(DeviceMode::kConnected, "12.0.1"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kRecommend);
  EXPECT_EQ(offer.version, "12.0.5");
  EXPECT_EQ(offer.size_bytes, 1234u);
  offer = updates.offer_for(hours(2), device(DeviceMode::kConnected, "12.0.1", "lts-2024"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);  // 11.11.120 is older than 12.0.1
  offer = updates.offer_for(hours(2), device(DeviceMode::kConnected, "11.11.100", "lts-2022"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(contains(offer.reason, "no release on track lts-2022")) << offer.reason;
}

TEST_F(SoftwareUpdatesOffer, APinnedVersionIsOfferedEitherWayOncePublished) {
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, pinned("11.11.130")).ok());
  UpdateOffer offer = updates.offer_for(hours(2), device(DeviceMode::kManaged, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(contains(offer.reason, "pinned version 11.11.130 is not published")) << offer.reason;

  ASSERT_TRUE(updates.catalog().publish(release("11.11.130", "lts-2024", hours(50))).ok());
  EXPECT_EQ(updates.offer_for(hours(49), device(DeviceMode::kManaged, "11.11.100")).kind,
            UpdateOfferKind::kNone);
  offer = updates.offer_for(hours(50), device(DeviceMode::kManaged, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallNow);
  EXPECT_EQ(offer.version, "11.11.130");
  EXPECT_TRUE(contains(offer.reason, "pinned to 11.11.130 by profile managed-lts")) << offer.reason;
  offer = updates.offer_for(hours(50), device(DeviceMode::kManaged, "11.11.130"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(contains(offer.reason, "running the pinned version")) << offer.reason;

  // Pinned below the running version: managed devices go down to it, connected ones are told.
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, pinned("11.11.100")).ok());
  offer = updates.offer_for(hours(50), device(DeviceMode::kManaged, "11.11.130"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallNow);
  EXPECT_EQ(offer.version, "11.11.100");
  offer = updates.offer_for(hours(50), device(DeviceMode::kConnected, "11.11.130"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kRecommend);
  EXPECT_EQ(offer.version, "11.11.100");
}

TEST_F(SoftwareUpdatesOffer, ManagedWithoutAWindowInstallsNow) {
  const UpdateOffer offer = updates.offer_for(hours(2), device(DeviceMode::kManaged, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallNow);
  EXPECT_EQ(offer.version, "11.11.120");
  EXPECT_EQ(offer.size_bytes, kImageBytes);
  EXPECT_EQ(offer.start_after, Time::zero());
  EXPECT_EQ(offer.start_before, Time::zero());
}

// ---------------------------------------------------------------------------------------------
// Offers in update windows

class SoftwareUpdatesWindow : public SoftwareUpdatesOffer {
 protected:
  void SetUp() override {
    SoftwareUpdatesOffer::SetUp();
    ASSERT_TRUE(updates.set_time_zone(kOrganization, kSite, "Europe/Stockholm").ok());
    ASSERT_TRUE(
        updates.set_profile_policy(kOrganization, kProfile, latest_in(weekend_night())).ok());
  }

  UpdateOffer offer_at(Time now) {
    return updates.offer_for(now, device(DeviceMode::kManaged, "11.11.100"));
  }
};

// Saturday 28 March: 02:00-05:00 CET is 01:00Z-04:00Z, Time 121h-124h. Sunday 29 March: 02:00
// does not exist, the window opens at the jump, 03:00 CEST = 01:00Z, and stays open 3 hours of
// elapsed time, to 07:00 CEST = 04:00Z: Time 145h-148h.
constexpr Time kSaturdayOpens = hours(121);
constexpr Time kSaturdayCloses = hours(124);
constexpr Time kSundayOpens = hours(145);
constexpr Time kSundayCloses = hours(148);
constexpr core::Duration kBudget = kInstallBudgetDefault;

TEST_F(SoftwareUpdatesWindow, OffersTheNextOpeningInTheSitesZone) {
  const UpdateOffer offer = offer_at(hours(10));  // Monday 10:00Z
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallInWindow);
  EXPECT_EQ(offer.version, "11.11.120");
  EXPECT_EQ(offer.start_after, kSaturdayOpens);
  EXPECT_EQ(offer.start_before, kSaturdayCloses - kBudget);  // 03:30Z
  EXPECT_TRUE(contains(offer.reason, "sat,sun 02:00 for 3h Europe/Stockholm")) << offer.reason;
}

TEST_F(SoftwareUpdatesWindow, InsideAnOpeningOffersNowUntilTheLastStartThatFinishes) {
  UpdateOffer offer = offer_at(hours(122));  // Saturday 02:00Z, 03:00 CET
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallInWindow);
  EXPECT_EQ(offer.start_after, hours(122));
  EXPECT_EQ(offer.start_before, kSaturdayCloses - kBudget);
  // 03:30Z: the last instant an install of 30 minutes finishes by closing time.
  offer = offer_at(kSaturdayCloses - kBudget);
  EXPECT_EQ(offer.start_after, kSaturdayCloses - kBudget);
  EXPECT_EQ(offer.start_before, kSaturdayCloses - kBudget);
}

TEST_F(SoftwareUpdatesWindow, NearTheEndOfAnOpeningOffersTheNextAcrossTheClockChange) {
  // Saturday 03:45Z: still open for 15 minutes, too few for the install.
  UpdateOffer offer = offer_at(hours(123) + minutes(45));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallInWindow);
  EXPECT_EQ(offer.start_after, kSundayOpens);
  EXPECT_EQ(offer.start_before, kSundayCloses - kBudget);
  offer = offer_at(kSaturdayCloses - kBudget + Time(1));
  EXPECT_EQ(offer.start_after, kSundayOpens);
  // After Saturday's has closed, Sunday's too.
  offer = offer_at(kSaturdayCloses);
  EXPECT_EQ(offer.start_after, kSundayOpens);
  EXPECT_EQ(offer.start_before, kSundayCloses - kBudget);
  // After Sunday's: Saturday 4 April 02:00 CEST, 00:00Z, Time 12 days.
  offer = offer_at(kSundayCloses);
  EXPECT_EQ(offer.start_after, hours(12 * 24));
  EXPECT_EQ(offer.start_before, hours(12 * 24 + 3) - kBudget);
}

TEST_F(SoftwareUpdatesWindow, AnOfferingWithoutWindowsInstallsNow) {
  ASSERT_TRUE(updates.set_offering(kOrganization, false).ok());
  UpdateOffer offer = offer_at(hours(10));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallNow);
  EXPECT_EQ(offer.version, "11.11.120");
  EXPECT_TRUE(contains(offer.reason, "offering allows no update windows")) << offer.reason;
  ASSERT_TRUE(updates.set_offering(kOrganization, true).ok());
  EXPECT_EQ(offer_at(hours(10)).kind, UpdateOfferKind::kInstallInWindow);
}

TEST_F(SoftwareUpdatesWindow, AWindowShorterThanTheBudgetOffersNothing) {
  UpdateWindowRule rule = weekend_night();
  rule.duration = minutes(20);
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, latest_in(rule)).ok());
  const UpdateOffer offer = offer_at(hours(121));  // even inside it
  EXPECT_EQ(offer.kind, UpdateOfferKind::kNone);
  EXPECT_TRUE(offer.version.empty());
  EXPECT_TRUE(contains(offer.reason, "window shorter than the install budget")) << offer.reason;
}

// The profile's own budget, 15 minutes: a 20-minute window now takes an install, and the last
// start is 15 minutes before it closes (Saturday 01:00Z + 20m - 15m = 01:05Z).
TEST_F(SoftwareUpdatesWindow, AProfilesOwnInstallBudgetDecidesWhatFitsInItsWindow) {
  UpdateWindowRule rule = weekend_night();
  rule.duration = minutes(20);
  ProfileUpdatePolicy policy = latest_in(rule);
  policy.install_budget = minutes(15);
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, policy).ok());
  const UpdateOffer offer = offer_at(hours(10));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallInWindow) << offer.reason;
  EXPECT_EQ(offer.start_after, kSaturdayOpens);
  EXPECT_EQ(offer.start_before, kSaturdayOpens + minutes(5));
  policy.install_budget = minutes(21);  // a minute too long: nothing fits any more
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, policy).ok());
  EXPECT_EQ(offer_at(hours(10)).kind, UpdateOfferKind::kNone);
}

TEST_F(SoftwareUpdatesWindow, AnInstallBudgetOutOfBoundsIsRefusedNamingTheField) {
  ProfileUpdatePolicy policy = latest_in(weekend_night());
  for (core::Duration budget : {core::Duration::zero(), kInstallBudgetMax + minutes(1)}) {
    policy.install_budget = budget;
    const auto refused = updates.set_profile_policy(kOrganization, kProfile, policy);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(contains(refused.error().message, "install_budget")) << refused.error().message;
  }
}

TEST_F(SoftwareUpdatesWindow, ABudgetAsLongAsTheWindowStartsOnlyAtTheOpening) {
  SoftwareUpdates strict(monday_23_march(), hours(3));
  ASSERT_TRUE(strict.catalog().publish(release("11.11.120", "lts-2024")).ok());
  ASSERT_TRUE(strict.set_time_zone(kOrganization, kSite, "Europe/Stockholm").ok());
  ASSERT_TRUE(strict.set_profile_policy(kOrganization, kProfile, latest_in(weekend_night())).ok());
  UpdateOffer offer = strict.offer_for(hours(10), device(DeviceMode::kManaged, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kInstallInWindow);
  EXPECT_EQ(offer.start_after, kSaturdayOpens);
  EXPECT_EQ(offer.start_before, kSaturdayOpens);
  offer = strict.offer_for(kSaturdayOpens + Time(1), device(DeviceMode::kManaged, "11.11.100"));
  EXPECT_EQ(offer.start_after, kSundayOpens);
  EXPECT_EQ(offer.start_before, kSundayOpens);
}

TEST_F(SoftwareUpdatesWindow, AChangedZoneOrRuleIsReadAtOnce) {
  // Another resource group, never given a zone: its windows are read in UTC.
  DeviceSoftwareFacts elsewhere = device(DeviceMode::kManaged, "11.11.100");
  elsewhere.resource_group = "malmo";
  EXPECT_EQ(updates.offer_for(hours(10), elsewhere).start_after, hours(122));  // 02:00Z
  ASSERT_TRUE(updates.set_time_zone(kOrganization, "malmo", "America/New_York").ok());
  // Saturday 02:00 EDT (daylight saving began 8 March) is 06:00Z.
  EXPECT_EQ(updates.offer_for(hours(10), elsewhere).start_after, hours(126));
  // The rule changes: 04:00 CET on Saturday is 03:00Z.
  UpdateWindowRule rule = weekend_night();
  rule.start = hours(4);
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, latest_in(rule)).ok());
  EXPECT_EQ(offer_at(hours(10)).start_after, hours(123));
  // A device of another profile (no policy set) installs at once.
  DeviceSoftwareFacts other = device(DeviceMode::kManaged, "11.11.100");
  other.profile = "managed-active";
  EXPECT_EQ(updates.offer_for(hours(10), other).kind, UpdateOfferKind::kInstallNow);
}

TEST_F(SoftwareUpdatesWindow, ConnectedDevicesIgnoreTheWindow) {
  const UpdateOffer offer =
      updates.offer_for(hours(10), device(DeviceMode::kConnected, "11.11.100"));
  EXPECT_EQ(offer.kind, UpdateOfferKind::kRecommend);
  EXPECT_EQ(offer.start_after, Time::zero());
}

TEST(SoftwareUpdatesCache, AFullCacheStartsAgainWithoutChangingAnswers) {
  SoftwareUpdatesLimits limits;
  limits.window_cache_max = 1;
  SoftwareUpdates updates(monday_23_march(), kInstallBudgetDefault, limits);
  ASSERT_TRUE(updates.catalog().publish(release("11.11.120", "lts-2024")).ok());
  ASSERT_TRUE(updates.set_time_zone(kOrganization, kSite, "Europe/Stockholm").ok());
  ASSERT_TRUE(updates.set_profile_policy(kOrganization, kProfile, latest_in(weekend_night())).ok());
  DeviceSoftwareFacts lund = device(DeviceMode::kManaged, "11.11.100");
  DeviceSoftwareFacts utc = lund;
  utc.resource_group = "hq";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(updates.offer_for(hours(10), lund).start_after, kSaturdayOpens) << round;
    EXPECT_EQ(updates.offer_for(hours(10), utc).start_after, hours(122)) << round;
  }
}

}  // namespace
}  // namespace ccsim::platform

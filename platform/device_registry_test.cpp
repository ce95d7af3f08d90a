#include "platform/device_registry.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/identity_store.h"

namespace ccsim::platform {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class DeviceRegistryFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = must(identities_.register_user("alice@acme.example", "Alice"));
    bob_ = must(identities_.register_user("bob@globex.example", "Bob"));
    acme_ = must(tenancy_.create_organization(tick(), alice_, "Acme", "eu-west"));
    globex_ = must(tenancy_.create_organization(tick(), bob_, "Globex", "us-east"));
    registry_.connect_to(tenancy_);
    for (const auto& [org, owner] : {std::pair{acme_, alice_}, std::pair{globex_, bob_}}) {
      ASSERT_TRUE(tenancy_.set_license(tick(), owner, org, "device-management", 10).ok());
      ASSERT_TRUE(registry_.define_profile(tick(), owner, org, managed_profile()).ok());
      ASSERT_TRUE(registry_.define_profile(tick(), owner, org, connected_profile()).ok());
      ASSERT_TRUE(registry_.set_default_profile(tick(), owner, org, "managed-lts").ok());
    }
    ASSERT_TRUE(registry_.set_latest_lts_track(tick(), "lts-2024").ok());
    std::vector<FactoryRecord> records = {
        factory("CAM-1", DeviceKind::kCamera, DeviceTier::kTier1),
        factory("CAM-2", DeviceKind::kCamera, DeviceTier::kTier2),
        factory("CAM-3", DeviceKind::kCamera, DeviceTier::kTier1),
        factory("REC-1", DeviceKind::kRecorder, DeviceTier::kTier1),
        factory("EDGE-1", DeviceKind::kEdgeHost, DeviceTier::kTier1),
    };
    ASSERT_EQ(must(registry_.register_devices(tick(), records)), records.size());
  }

  static DeviceProfile managed_profile() {
    return DeviceProfile{
        "managed-lts", DeviceMode::kManaged, "lts-2024", {"motion-guard"}, {"webrtc"}};
  }
  static DeviceProfile connected_profile() {
    return DeviceProfile{"connected", DeviceMode::kConnected, "active", {}, {"webrtc"}};
  }

  FactoryRecord factory(const std::string& serial, DeviceKind kind, DeviceTier tier) {
    const std::string oak = generate_owner_key(key_random_);
    oaks_[serial] = oak;
    return FactoryRecord{serial,          "model-" + serial,   kind,     tier, oak,
                         hours(24 * 365), hours(24 * 365 * 5), "11.11.0"};
  }

  core::Time tick() { return now_ += seconds(1); }

  std::vector<AuditEntry> audit(const std::string& trail, std::string_view topic,
                                std::string_view device = "") const {
    AuditQuery query;
    query.organization = trail;
    query.topic = std::string(topic);
    query.device = std::string(device);
    query.limit = kAuditPageEntriesMax;
    return must(audit_log_.search(query)).entries;
  }

  // The device's side of onboarding: it accepts its provisioning, running an OS on its
  // profile's track.
  Result<DeviceRecord> complete(Result<DeviceRecord> claimed) {
    if (!claimed.ok()) return claimed;
    const DeviceState& state = claimed.value().state;
    const DeviceProfile profile = must(registry_.profile(state.organization, state.profile));
    return registry_.complete_onboarding(tick(), claimed.value().facts.serial, "11.11.0",
                                         profile.os_track);
  }

  // Claims as Alice for Acme, into `group` when given, and completes the onboarding.
  Result<DeviceRecord> claim(const std::string& serial,
                             std::optional<std::string_view> profile = std::nullopt,
                             std::optional<std::string_view> group = std::nullopt) {
    return complete(
        registry_.claim(tick(), alice_, acme_, serial, oaks_.at(serial), profile, group));
  }

  // A new resource group of Acme, made by its owner.
  ResourceGroupId acme_group(std::string_view name) {
    return must(tenancy_.create_resource_group(tick(), alice_, acme_, name));
  }

  // A new member of Acme holding `role` at `scope` (organization-wide when absent).
  UserId join_acme(const std::string& email, Role role,
                   std::optional<std::string_view> scope = std::nullopt) {
    const UserId user = must(identities_.register_user(email, "Member"));
    const InvitationId invitation =
        must(tenancy_.invite(tick(), alice_, acme_, email, role, scope));
    EXPECT_TRUE(tenancy_.accept_invitation(tick(), user, invitation).ok());
    return user;
  }

  core::Time now_{};
  AuditLog audit_log_;
  IdentityStore identities_;
  Tenancy tenancy_{audit_log_, identities_};
  core::RandomStream random_{7, core::kPlatformStream};
  core::RandomStream key_random_{7, 99};
  DeviceRegistry registry_{audit_log_, tenancy_, random_};
  std::map<std::string, std::string> oaks_;
  UserId alice_, bob_;
  OrganizationId acme_, globex_;
};

using DeviceRegistryTest = DeviceRegistryFixture;
using OnboardingTest = DeviceRegistryFixture;
using DeviceModeTest = DeviceRegistryFixture;
using ResourceGroupTest = DeviceRegistryFixture;

TEST_F(DeviceRegistryTest, RegistersFactoryRecordsWithLightFactsOnly) {
  const DeviceRecord cam = must(registry_.device("CAM-2"));
  EXPECT_EQ(cam.facts.model, "model-CAM-2");
  EXPECT_EQ(cam.facts.tier, DeviceTier::kTier2);
  EXPECT_EQ(cam.facts.recommended_os, "11.11.0");
  EXPECT_EQ(cam.facts.end_of_support, hours(24 * 365 * 5));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kRegistered);
  EXPECT_EQ(cam.state.mode, DeviceMode::kStandalone);
  EXPECT_TRUE(cam.state.organization.empty());
  EXPECT_EQ(registry_.size(), 5u);
  EXPECT_EQ(audit(std::string(kRegistryAuditTrail), kTopicDeviceRegistered).size(), 5u);
  expect_error(registry_.device("NOPE"), ErrorCode::kNotFound, "serial");
  expect_error(registry_.device(std::string(kSerialBytesMax + 1, 'A')), ErrorCode::kInvalidArgument,
               "serial");
}

TEST_F(DeviceRegistryTest, RefusesBadOrDuplicateBatchesAsAWhole) {
  std::vector<FactoryRecord> batch = {factory("CAM-9", DeviceKind::kCamera, DeviceTier::kTier1),
                                      factory("CAM-1", DeviceKind::kCamera, DeviceTier::kTier1)};
  expect_error(registry_.register_devices(tick(), batch), ErrorCode::kAlreadyExists,
               "records[1].serial");
  batch = {factory("CAM-9", DeviceKind::kCamera, DeviceTier::kTier1)};
  batch[0].oak = "not-an-oak";
  expect_error(registry_.register_devices(tick(), batch), ErrorCode::kInvalidArgument,
               "records[0].");
  batch = {factory("REC-9", DeviceKind::kRecorder, DeviceTier::kTier2)};
  expect_error(registry_.register_devices(tick(), batch), ErrorCode::kInvalidArgument, "tier");
  EXPECT_EQ(registry_.size(), 5u);
}

TEST_F(DeviceRegistryTest, KeepsNoPlainOwnerKeyAnywhere) {
  const std::string& oak = oaks_.at("CAM-1");
  // The audit log is the registry's only output that persists; nothing in it holds the key.
  AuditQuery query;
  query.organization = std::string(kRegistryAuditTrail);
  query.limit = kAuditPageEntriesMax;
  for (const AuditEntry& entry : must(audit_log_.search(query)).entries) {
    EXPECT_EQ(entry.detail.find(oak), std::string::npos);
  }
  // The registry still recognises the key, through its salted hash.
  EXPECT_TRUE(claim("CAM-1").ok());
}

TEST_F(DeviceRegistryTest, ListsAnOrganizationsDevicesBySerial) {
  ASSERT_TRUE(claim("REC-1").ok());
  ASSERT_TRUE(claim("CAM-3").ok());
  ASSERT_TRUE(claim("CAM-1").ok());
  std::vector<std::string> serials;
  for (const DeviceRecord& record : registry_.devices_of(acme_)) {
    serials.push_back(record.facts.serial);
  }
  EXPECT_EQ(serials, (std::vector<std::string>{"CAM-1", "CAM-3", "REC-1"}));
  EXPECT_TRUE(registry_.devices_of(globex_).empty());
}

TEST_F(OnboardingTest, OneClickOnboardsWithTheChosenProfile) {
  const DeviceRecord cam = must(claim("CAM-1", "connected"));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(cam.state.organization, acme_);
  EXPECT_EQ(cam.state.profile, "connected");
  EXPECT_EQ(cam.state.mode, DeviceMode::kConnected);
  const auto onboarding = audit(acme_, kTopicDeviceOnboarding, "CAM-1");
  ASSERT_EQ(onboarding.size(), 1u);
  EXPECT_EQ(onboarding[0].actor, alice_);
  EXPECT_EQ(onboarding[0].detail, "method=one_click profile=connected");
  const auto onboarded = audit(acme_, kTopicDeviceOnboarded, "CAM-1");
  ASSERT_EQ(onboarded.size(), 1u);
  EXPECT_EQ(onboarded[0].actor, kAuditPlatformActor);
  EXPECT_EQ(onboarded[0].detail, "profile=connected os_version=11.11.0 os_track=active");
  EXPECT_EQ(cam.state.os_version, "11.11.0");
  const auto licenses = must(tenancy_.licenses(acme_));
  EXPECT_EQ(licenses.at(0).used, 1u);
}

TEST_F(OnboardingTest, AClaimWaitsForTheDeviceToAcceptItsProvisioning) {
  const DeviceRecord claimed =
      must(registry_.claim(tick(), alice_, acme_, "CAM-1", oaks_.at("CAM-1"), "managed-lts"));
  EXPECT_EQ(claimed.state.status, OnboardingStatus::kOnboarding);
  EXPECT_EQ(claimed.state.profile, "managed-lts");
  EXPECT_EQ(claimed.state.mode, DeviceMode::kStandalone);
  EXPECT_EQ(must(tenancy_.licenses(acme_)).at(0).used, 1u);  // the seat is held meanwhile
  EXPECT_TRUE(audit(acme_, kTopicDeviceOnboarded, "CAM-1").empty());
  // A device that never onboarded cannot report facts, nor complete twice.
  expect_error(registry_.report_local_administrator_used(tick(), "CAM-1"),
               ErrorCode::kFailedPrecondition, "not onboarded");
  const core::Time completed_at = tick();
  const DeviceRecord cam =
      must(registry_.complete_onboarding(completed_at, "CAM-1", "11.11.0", "lts-2024"));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(cam.state.onboarded_at, completed_at);
  EXPECT_EQ(cam.state.mode, DeviceMode::kManaged);
  expect_error(registry_.complete_onboarding(tick(), "CAM-1", "10.12.300", "lts-2022"),
               ErrorCode::kFailedPrecondition, "not onboarding");
  expect_error(registry_.complete_onboarding(tick(), "CAM-3", "10.12.300", "lts-2022"),
               ErrorCode::kFailedPrecondition, "not onboarding");
  expect_error(registry_.complete_onboarding(tick(), "CAM-1", "", "lts-2022"),
               ErrorCode::kInvalidArgument, "os_version");
}

TEST_F(OnboardingTest, ADeviceOnAnOlderLtsOnboardsManagedThenDropsToConnected) {
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "CAM-1", oaks_.at("CAM-1"), "managed-lts").ok());
  const DeviceRecord cam =
      must(registry_.complete_onboarding(tick(), "CAM-1", "10.12.300", "lts-2022"));
  EXPECT_EQ(cam.state.mode, DeviceMode::kConnected);
  const auto changes = audit(acme_, kTopicDeviceModeChanged, "CAM-1");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].detail,
            "from=standalone to=managed cause=onboarded_managed profile=managed-lts");
  EXPECT_EQ(changes[1].detail,
            "from=managed to=connected cause=off_os_track track=lts-2022 latest_lts=lts-2024");
}

TEST_F(OnboardingTest, ADeviceOnTheActiveTrackOnboardsIntoAnLtsProfileAndStaysManaged) {
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "CAM-1", oaks_.at("CAM-1"), "managed-lts").ok());
  const DeviceRecord cam = must(registry_.complete_onboarding(tick(), "CAM-1", "12.2.0", "active"));
  EXPECT_EQ(cam.state.mode, DeviceMode::kManaged);
  EXPECT_EQ(audit(acme_, kTopicDeviceModeChanged, "CAM-1").size(), 1u);  // onboarded_managed only
}

TEST_F(OnboardingTest, AFailedOnboardingFreesItsSeatAndSaysWhy) {
  ASSERT_TRUE(registry_.claim(tick(), alice_, acme_, "CAM-1", oaks_.at("CAM-1")).ok());
  ASSERT_TRUE(registry_.fail_onboarding(tick(), "CAM-1", "device did not connect within 10m").ok());
  const DeviceRecord cam = must(registry_.device("CAM-1"));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kFailed);
  EXPECT_EQ(cam.state.failure_reason, "device did not connect within 10m");
  EXPECT_TRUE(cam.state.organization.empty());
  EXPECT_TRUE(cam.state.profile.empty());
  EXPECT_EQ(must(tenancy_.licenses(acme_)).at(0).used, 0u);
  EXPECT_EQ(audit(acme_, kTopicDeviceOnboardingFailed, "CAM-1").at(0).detail,
            "reason=device did not connect within 10m");
  expect_error(registry_.fail_onboarding(tick(), "CAM-1", "again"), ErrorCode::kFailedPrecondition,
               "not onboarding");
  EXPECT_EQ(must(claim("CAM-1")).state.status, OnboardingStatus::kOnboarded);
}

TEST_F(OnboardingTest, DefaultProfileAppliesWhenNoneIsChosen) {
  const DeviceRecord cam = must(claim("CAM-1"));
  EXPECT_EQ(cam.state.profile, "managed-lts");
  EXPECT_EQ(cam.state.mode, DeviceMode::kManaged);
  expect_error(claim("CAM-3", "no-such-profile"), ErrorCode::kNotFound, "profile");
}

TEST_F(OnboardingTest, WrongOakIsRefusedAndAudited) {
  const std::string wrong = generate_owner_key(key_random_);
  expect_error(registry_.claim(tick(), alice_, acme_, "CAM-1", wrong), ErrorCode::kPermissionDenied,
               "");
  EXPECT_EQ(must(registry_.device("CAM-1")).state.status, OnboardingStatus::kRegistered);
  const auto refused = audit(acme_, kTopicDeviceClaimRefused, "CAM-1");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].detail, "cause=permission_denied");
}

TEST_F(OnboardingTest, RepeatedWrongOaksLockTheSerialEvenForTheRightKey) {
  const std::string wrong = generate_owner_key(key_random_);
  for (std::uint32_t i = 0; i < ClaimLockoutPolicy{}.wrong_attempts_max; ++i) {
    ASSERT_FALSE(registry_.claim(tick(), bob_, globex_, "CAM-1", wrong).ok());
  }
  expect_error(claim("CAM-1"), ErrorCode::kLocked, "");
  EXPECT_EQ(audit(acme_, kTopicDeviceClaimRefused, "CAM-1").at(0).detail, "cause=locked");
  now_ += ClaimLockoutPolicy{}.lockout;
  EXPECT_TRUE(claim("CAM-1").ok());
}

TEST_F(OnboardingTest, NoTakeoverOfAnotherOrganizationsDevice) {
  ASSERT_TRUE(claim("CAM-1").ok());
  expect_error(registry_.claim(tick(), bob_, globex_, "CAM-1", oaks_.at("CAM-1")),
               ErrorCode::kAlreadyExists, "another organization");
  EXPECT_EQ(must(registry_.device("CAM-1")).state.organization, acme_);
  expect_error(claim("CAM-1"), ErrorCode::kAlreadyExists, "this organization");
}

TEST_F(OnboardingTest, OnlyMembersAllowedToOnboardMayClaim) {
  expect_error(registry_.claim(tick(), bob_, acme_, "CAM-1", oaks_.at("CAM-1")),
               ErrorCode::kPermissionDenied, "");
  EXPECT_TRUE(audit(acme_, kTopicDeviceOnboarding).empty());
}

TEST_F(OnboardingTest, TierTwoOnboardsOnlyThroughAHostOnItsLan) {
  expect_error(claim("CAM-2"), ErrorCode::kFailedPrecondition, "Tier-2");
  ASSERT_TRUE(claim("REC-1").ok());
  ASSERT_TRUE(registry_.place_on_lan(tick(), "REC-1", "lund-lan").ok());
  ASSERT_TRUE(registry_.place_on_lan(tick(), "CAM-2", "lund-lan").ok());
  const DeviceRecord cam = must(complete(
      registry_.claim_via_host(tick(), alice_, acme_, "REC-1", "CAM-2", oaks_.at("CAM-2"))));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(cam.state.host, "REC-1");
  EXPECT_NE(audit(acme_, kTopicDeviceOnboarding, "CAM-2")
                .at(0)
                .detail.find("method=local_discovery host=REC-1"),
            std::string::npos);
}

TEST_F(OnboardingTest, LocalDiscoveryRefusesHostsOffTheLanOrOutsideTheOrganization) {
  ASSERT_TRUE(registry_.place_on_lan(tick(), "CAM-2", "lund-lan").ok());
  ASSERT_TRUE(registry_.place_on_lan(tick(), "EDGE-1", "malmo-lan").ok());
  ASSERT_TRUE(registry_.place_on_lan(tick(), "REC-1", "lund-lan").ok());
  const auto via = [&](std::string_view host) {
    return registry_.claim_via_host(tick(), alice_, acme_, host, "CAM-2", oaks_.at("CAM-2"));
  };
  expect_error(via("EDGE-1"), ErrorCode::kFailedPrecondition, "not onboarded in this");
  ASSERT_TRUE(registry_.claim(tick(), bob_, globex_, "REC-1", oaks_.at("REC-1")).ok());
  expect_error(via("REC-1"), ErrorCode::kFailedPrecondition, "not onboarded in this");
  ASSERT_TRUE(claim("EDGE-1").ok());
  expect_error(via("EDGE-1"), ErrorCode::kFailedPrecondition, "LAN");
  ASSERT_TRUE(claim("CAM-1").ok());
  expect_error(via("CAM-1"), ErrorCode::kFailedPrecondition, "recorder or edge host");
  EXPECT_EQ(must(registry_.device("CAM-2")).state.status, OnboardingStatus::kRegistered);
}

TEST_F(OnboardingTest, ExhaustedSeatsFailTheOnboardingWithItsReason) {
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme_, "device-management", 1).ok());
  ASSERT_TRUE(claim("CAM-1").ok());
  expect_error(claim("CAM-3"), ErrorCode::kResourceExhausted, "seats in use");
  const DeviceRecord cam = must(registry_.device("CAM-3"));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kFailed);
  EXPECT_NE(cam.state.failure_reason.find("seats in use"), std::string::npos);
  EXPECT_TRUE(cam.state.organization.empty());
  EXPECT_EQ(cam.state.mode, DeviceMode::kStandalone);
  EXPECT_EQ(audit(acme_, kTopicDeviceOnboardingFailed, "CAM-3").size(), 1u);
  // A failed device may be claimed again once a seat is free.
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme_, "device-management", 2).ok());
  EXPECT_EQ(must(claim("CAM-3")).state.status, OnboardingStatus::kOnboarded);
}

TEST_F(OnboardingTest, DeletingTheOrganizationReleasesItsDevices) {
  ASSERT_TRUE(claim("CAM-1").ok());
  ASSERT_TRUE(claim("REC-1").ok());
  const auto released = must(tenancy_.delete_organization(tick(), alice_, acme_));
  EXPECT_EQ(released, (std::vector<std::string>{"CAM-1", "REC-1"}));
  const DeviceRecord cam = must(registry_.device("CAM-1"));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kRegistered);
  EXPECT_TRUE(cam.state.organization.empty());
  EXPECT_EQ(cam.state.mode, DeviceMode::kStandalone);
  EXPECT_TRUE(registry_.devices_of(acme_).empty());
  const std::string platform(kRegistryAuditTrail);
  EXPECT_EQ(audit(platform, kTopicDeviceReleased).size(), 2u);
  EXPECT_EQ(audit(platform, kTopicDeviceModeChanged, "CAM-1").at(0).detail,
            "from=managed to=standalone cause=released organization=" + acme_);
  // Released: another organization may now onboard it with its key.
  EXPECT_TRUE(registry_.claim(tick(), bob_, globex_, "CAM-1", oaks_.at("CAM-1")).ok());
}

// One row per transition of device_mode.h: how to reach `from`, what to do, where it ends.
using ModeAct = void (*)(DeviceRegistry&, core::Time, const std::string& serial);

struct ModeRow {
  const char* name;
  std::string_view profile;  // chosen at onboarding
  ModeAct act;               // nullptr: onboarding itself is the act
  DeviceMode from;
  DeviceMode to;
  std::string_view cause;  // in the audit entry; empty: no transition expected
};

void install_foreign_app(DeviceRegistry& r, core::Time now, const std::string& serial) {
  ASSERT_TRUE(r.report_app_installed(now, serial, "crypto-miner").ok());
}
void install_allowed_app(DeviceRegistry& r, core::Time now, const std::string& serial) {
  ASSERT_TRUE(r.report_app_installed(now, serial, "motion-guard").ok());
}
// Neither the active track nor the latest LTS (lts-2024 in the fixture).
void go_to_older_lts(DeviceRegistry& r, core::Time now, const std::string& serial) {
  ASSERT_TRUE(r.report_os(now, serial, "10.12.300", "lts-2022").ok());
}
void move_to_latest_lts(DeviceRegistry& r, core::Time now, const std::string& serial) {
  ASSERT_TRUE(r.report_os(now, serial, "11.11.120", "lts-2024").ok());
}
void move_to_active_track(DeviceRegistry& r, core::Time now, const std::string& serial) {
  ASSERT_TRUE(r.report_os(now, serial, "12.2.0", "active").ok());
}
void use_local_admin(DeviceRegistry& r, core::Time now, const std::string& serial) {
  ASSERT_TRUE(r.report_local_administrator_used(now, serial).ok());
}

const ModeRow kModeRows[] = {
    {"onboard_connected", "connected", nullptr, DeviceMode::kStandalone, DeviceMode::kConnected,
     "onboarded_connected"},
    {"onboard_managed", "managed-lts", nullptr, DeviceMode::kStandalone, DeviceMode::kManaged,
     "onboarded_managed"},
    {"older_lts_off_os_track", "managed-lts", go_to_older_lts, DeviceMode::kManaged,
     DeviceMode::kConnected, "off_os_track"},
    {"latest_lts_keeps_managed", "managed-lts", move_to_latest_lts, DeviceMode::kManaged,
     DeviceMode::kManaged, ""},
    {"active_track_keeps_managed", "managed-lts", move_to_active_track, DeviceMode::kManaged,
     DeviceMode::kManaged, ""},
    {"app_outside_profile", "managed-lts", install_foreign_app, DeviceMode::kManaged,
     DeviceMode::kConnected, "app_outside_profile"},
    {"allowed_app_keeps_managed", "managed-lts", install_allowed_app, DeviceMode::kManaged,
     DeviceMode::kManaged, ""},
    {"local_administrator_used", "managed-lts", use_local_admin, DeviceMode::kManaged,
     DeviceMode::kConnected, "local_administrator_used"},
    {"connected_ignores_foreign_app", "connected", install_foreign_app, DeviceMode::kConnected,
     DeviceMode::kConnected, ""},
    {"connected_ignores_local_admin", "connected", use_local_admin, DeviceMode::kConnected,
     DeviceMode::kConnected, ""},
};

// The table row a transition with this cause name from `from` uses.
std::optional<DeviceMode> table_mode_after(DeviceMode from, std::string_view cause) {
  for (const ModeTransition& t : kModeTransitions) {
    if (t.from == from && mode_cause_name(t.cause) == cause) return t.to;
  }
  return std::nullopt;
}

TEST_F(DeviceModeTest, EveryTransitionOfTheTableWithItsAuditEntry) {
  std::size_t index = 0;
  for (const ModeRow& row : kModeRows) {
    SCOPED_TRACE(row.name);
    // A fresh device per row, so rows cannot lean on each other.
    const std::string serial = "MODE-" + std::to_string(++index);
    ASSERT_TRUE(
        registry_
            .register_devices(tick(), {factory(serial, DeviceKind::kCamera, DeviceTier::kTier1)})
            .ok());
    ASSERT_TRUE(claim(serial, row.profile).ok());
    if (row.act != nullptr) {
      ASSERT_EQ(must(registry_.device(serial)).state.mode, row.from);
      row.act(registry_, tick(), serial);
    }
    EXPECT_EQ(must(registry_.device(serial)).state.mode, row.to);
    const auto entries = audit(acme_, kTopicDeviceModeChanged, serial);
    const std::size_t onboarding_entries = 1;
    if (row.cause.empty()) {
      EXPECT_EQ(entries.size(), onboarding_entries);
      continue;
    }
    ASSERT_FALSE(entries.empty());
    const std::string expected = "from=" + std::string(device_mode_name(row.from)) +
                                 " to=" + std::string(device_mode_name(row.to)) +
                                 " cause=" + std::string(row.cause);
    EXPECT_EQ(entries.back().detail.rfind(expected, 0), 0u) << entries.back().detail;
    EXPECT_EQ(entries.back().actor, kAuditPlatformActor);
    EXPECT_EQ(table_mode_after(row.from, row.cause), row.to);
  }
}

TEST_F(DeviceModeTest, ReleaseRowsAndUnlistedPairsOfTheTable) {
  EXPECT_EQ(mode_after(DeviceMode::kManaged, ModeCause::kReleased), DeviceMode::kStandalone);
  EXPECT_EQ(mode_after(DeviceMode::kConnected, ModeCause::kReleased), DeviceMode::kStandalone);
  EXPECT_EQ(mode_after(DeviceMode::kConnected, ModeCause::kOffOsTrack), std::nullopt);
  EXPECT_EQ(mode_after(DeviceMode::kStandalone, ModeCause::kReleased), std::nullopt);
  EXPECT_EQ(mode_after(DeviceMode::kManaged, ModeCause::kOnboardedManaged), std::nullopt);
}

TEST_F(DeviceModeTest, AnOlderLtsTheProfileNamesKeepsNoDeviceManaged) {
  // The profile's track says what the platform installs, not what keeps a device managed.
  const DeviceProfile old_lts{"managed-2022", DeviceMode::kManaged, "lts-2022", {}, {}};
  ASSERT_TRUE(registry_.define_profile(tick(), alice_, acme_, old_lts).ok());
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "CAM-1", oaks_.at("CAM-1"), "managed-2022").ok());
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "CAM-3", oaks_.at("CAM-3"), "managed-2022").ok());
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "REC-1", oaks_.at("REC-1"), "managed-2022").ok());
  EXPECT_EQ(
      must(registry_.complete_onboarding(tick(), "CAM-1", "10.12.300", "lts-2022")).state.mode,
      DeviceMode::kConnected);
  EXPECT_EQ(must(registry_.complete_onboarding(tick(), "CAM-3", "11.11.0", "lts-2024")).state.mode,
            DeviceMode::kManaged);
  EXPECT_EQ(must(registry_.complete_onboarding(tick(), "REC-1", "12.2.0", "active")).state.mode,
            DeviceMode::kManaged);
  EXPECT_EQ(audit(acme_, kTopicDeviceModeChanged, "CAM-1").back().detail,
            "from=managed to=connected cause=off_os_track track=lts-2022 latest_lts=lts-2024");
  // Reported later, the profile's own track drops a managed device just the same.
  ASSERT_TRUE(registry_.report_os(tick(), "CAM-3", "10.12.310", "lts-2022").ok());
  EXPECT_EQ(must(registry_.device("CAM-3")).state.mode, DeviceMode::kConnected);
}

TEST_F(DeviceModeTest, MovingTheLatestLtsOnDropsTheDevicesLeftOnTheOldOne) {
  ASSERT_TRUE(
      registry_
          .register_devices(tick(), {factory("GLX-1", DeviceKind::kCamera, DeviceTier::kTier1)})
          .ok());
  ASSERT_TRUE(claim("CAM-1", "managed-lts").ok());  // managed on lts-2024
  ASSERT_TRUE(claim("CAM-3", "managed-lts").ok());
  ASSERT_TRUE(registry_.report_os(tick(), "CAM-3", "12.2.0", "active").ok());  // managed, active
  ASSERT_TRUE(claim("REC-1", "connected").ok());
  ASSERT_TRUE(registry_.report_os(tick(), "REC-1", "11.11.0", "lts-2024").ok());  // connected
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "EDGE-1", oaks_.at("EDGE-1"), "managed-lts").ok());
  ASSERT_TRUE(complete(registry_.claim(tick(), bob_, globex_, "GLX-1", oaks_.at("GLX-1"))).ok());
  ASSERT_EQ(must(registry_.device("GLX-1")).state.mode, DeviceMode::kManaged);

  const auto fell_back = must(registry_.set_latest_lts_track(tick(), "lts-2026"));
  EXPECT_EQ(fell_back, (std::vector<std::string>{"CAM-1", "GLX-1"}));
  EXPECT_EQ(must(registry_.device("CAM-1")).state.mode, DeviceMode::kConnected);
  EXPECT_EQ(must(registry_.device("GLX-1")).state.mode, DeviceMode::kConnected);
  EXPECT_EQ(must(registry_.device("CAM-3")).state.mode, DeviceMode::kManaged);
  EXPECT_EQ(must(registry_.device("REC-1")).state.mode, DeviceMode::kConnected);
  EXPECT_EQ(must(registry_.device("EDGE-1")).state.mode, DeviceMode::kStandalone);  // onboarding
  const std::string dropped =
      "from=managed to=connected cause=off_os_track track=lts-2024 latest_lts=lts-2026";
  EXPECT_EQ(audit(acme_, kTopicDeviceModeChanged, "CAM-1").back().detail, dropped);
  EXPECT_EQ(audit(globex_, kTopicDeviceModeChanged, "GLX-1").back().detail, dropped);
  EXPECT_EQ(audit(acme_, kTopicDeviceModeChanged, "REC-1").size(), 1u);  // onboarded only
  EXPECT_EQ(audit(std::string(kRegistryAuditTrail), kTopicLatestLtsSet).back().detail,
            "track=lts-2026");

  // Onboarding later on the track left behind drops at once; the new LTS keeps managed.
  EXPECT_EQ(must(registry_.complete_onboarding(tick(), "EDGE-1", "11.11.0", "lts-2024")).state.mode,
            DeviceMode::kConnected);
  ASSERT_TRUE(registry_.report_os(tick(), "CAM-3", "13.1.0", "lts-2026").ok());
  EXPECT_EQ(must(registry_.device("CAM-3")).state.mode, DeviceMode::kManaged);
  // Nothing is left to drop: setting the same track again moves no device.
  EXPECT_TRUE(must(registry_.set_latest_lts_track(tick(), "lts-2026")).empty());
  expect_error(registry_.set_latest_lts_track(tick(), ""), ErrorCode::kInvalidArgument, "track");
}

TEST_F(DeviceModeTest, WebRtcIsRefusedForConnectedDevices) {
  ASSERT_TRUE(claim("CAM-1", "managed-lts").ok());
  ASSERT_TRUE(claim("CAM-3", "connected").ok());
  EXPECT_TRUE(registry_.request_capability(alice_, acme_, "CAM-1", kCapabilityWebRtc).ok());
  expect_error(registry_.request_capability(alice_, acme_, "CAM-3", kCapabilityWebRtc),
               ErrorCode::kFailedPrecondition, "connected mode");
  // A managed device that falls back loses WebRTC with it.
  ASSERT_TRUE(registry_.report_local_administrator_used(tick(), "CAM-1").ok());
  expect_error(registry_.request_capability(alice_, acme_, "CAM-1", kCapabilityWebRtc),
               ErrorCode::kFailedPrecondition, "connected mode");
  expect_error(registry_.request_capability(bob_, acme_, "CAM-1", kCapabilityWebRtc),
               ErrorCode::kPermissionDenied, "");
}

TEST_F(ResourceGroupTest, AScopedAdministratorClaimsIntoTheirGroupOnly) {
  const ResourceGroupId north = acme_group("north");
  const ResourceGroupId south = acme_group("south");
  const UserId carol = join_acme("carol@acme.example", Role::kAdministrator, north);
  const DeviceRecord cam =
      must(registry_.claim(tick(), carol, acme_, "CAM-1", oaks_.at("CAM-1"), std::nullopt, north));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kOnboarding);
  EXPECT_EQ(cam.state.resource_group, north);
  EXPECT_EQ(must(complete(cam)).state.resource_group, north);
  const auto onboarding = audit(acme_, kTopicDeviceOnboarding, "CAM-1");
  ASSERT_EQ(onboarding.size(), 1u);
  EXPECT_EQ(onboarding[0].actor, carol);
  EXPECT_EQ(onboarding[0].detail, "method=one_click profile=managed-lts resource_group=" + north);
  // Not into another group, nor into none: that needs an organization-wide grant.
  expect_error(
      registry_.claim(tick(), carol, acme_, "CAM-3", oaks_.at("CAM-3"), std::nullopt, south),
      ErrorCode::kPermissionDenied, "resource group " + south);
  expect_error(registry_.claim(tick(), carol, acme_, "CAM-3", oaks_.at("CAM-3")),
               ErrorCode::kPermissionDenied, "the whole organization");
  EXPECT_EQ(must(registry_.device("CAM-3")).state.status, OnboardingStatus::kRegistered);
  EXPECT_TRUE(audit(acme_, kTopicDeviceOnboarding, "CAM-3").empty());
  // The owner, organization-wide, claims into any group or none.
  EXPECT_EQ(must(claim("CAM-3", std::nullopt, south)).state.resource_group, south);
  EXPECT_EQ(must(claim("REC-1")).state.resource_group, "");
}

TEST_F(ResourceGroupTest, GroupsOutsideTheOrganizationAreRefused) {
  const ResourceGroupId north = acme_group("north");
  const ResourceGroupId east = must(tenancy_.create_resource_group(tick(), bob_, globex_, "east"));
  const auto claim_into = [&](std::string_view group) {
    return registry_.claim(tick(), alice_, acme_, "CAM-1", oaks_.at("CAM-1"), std::nullopt, group);
  };
  expect_error(claim_into("rg-000099"), ErrorCode::kNotFound,
               "resource_group: rg-000099 not found in " + acme_);
  expect_error(claim_into(east), ErrorCode::kNotFound, "resource_group: " + east + " not found");
  expect_error(claim_into("north"), ErrorCode::kInvalidArgument, "resource_group");
  EXPECT_EQ(must(registry_.device("CAM-1")).state.status, OnboardingStatus::kRegistered);
  ASSERT_TRUE(claim("CAM-1").ok());
  expect_error(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", "rg-000099"),
               ErrorCode::kNotFound, "resource_group: rg-000099 not found");
  expect_error(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", east),
               ErrorCode::kNotFound, "resource_group: " + east + " not found");
  EXPECT_EQ(must(registry_.device("CAM-1")).state.resource_group, "");
  EXPECT_TRUE(audit(acme_, kTopicDeviceGroupAssigned).empty());
  EXPECT_TRUE(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", north).ok());
}

TEST_F(ResourceGroupTest, AScopedViewerWatchesTheirGroupsDevicesOnly) {
  const ResourceGroupId north = acme_group("north");
  const ResourceGroupId south = acme_group("south");
  const UserId vera = join_acme("vera@acme.example", Role::kViewer, north);
  ASSERT_TRUE(claim("CAM-1", "managed-lts", north).ok());
  ASSERT_TRUE(claim("REC-1", "connected", north).ok());
  ASSERT_TRUE(claim("CAM-3", "managed-lts", south).ok());
  ASSERT_TRUE(claim("EDGE-1", "managed-lts").ok());
  const auto watch = [&](const UserId& user, std::string_view serial) {
    return registry_.request_capability(user, acme_, serial, kCapabilityWebRtc);
  };
  EXPECT_TRUE(watch(vera, "CAM-1").ok());
  // In the group, yet connected: the rights hold, the mode refuses.
  expect_error(watch(vera, "REC-1"), ErrorCode::kFailedPrecondition, "connected mode");
  expect_error(watch(vera, "CAM-3"), ErrorCode::kPermissionDenied, "resource group " + south);
  expect_error(watch(vera, "EDGE-1"), ErrorCode::kPermissionDenied, "the whole organization");
  // A serial Acme does not own is judged organization-wide.
  expect_error(watch(vera, "CAM-2"), ErrorCode::kPermissionDenied, "the whole organization");
  expect_error(watch(vera, "NOPE"), ErrorCode::kPermissionDenied, "the whole organization");
  // The owner watches every group's devices.
  EXPECT_TRUE(watch(alice_, "CAM-3").ok());
  EXPECT_TRUE(watch(alice_, "EDGE-1").ok());
  expect_error(watch(alice_, "CAM-2"), ErrorCode::kNotFound, "no such device in this");
  // Moving a device into the viewer's group brings it into view, and out of it out of view.
  ASSERT_TRUE(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-3", north).ok());
  EXPECT_TRUE(watch(vera, "CAM-3").ok());
  ASSERT_TRUE(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", std::nullopt).ok());
  expect_error(watch(vera, "CAM-1"), ErrorCode::kPermissionDenied, "the whole organization");
}

TEST_F(ResourceGroupTest, AssigningMovesAnOwnedDeviceAndIsAudited) {
  const ResourceGroupId north = acme_group("north");
  const ResourceGroupId south = acme_group("south");
  ASSERT_TRUE(claim("CAM-1").ok());
  EXPECT_EQ(must(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", north))
                .state.resource_group,
            north);
  EXPECT_EQ(must(registry_.device("CAM-1")).state.resource_group, north);
  ASSERT_TRUE(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", south).ok());
  EXPECT_EQ(must(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", std::nullopt))
                .state.resource_group,
            "");
  const auto assigned = audit(acme_, kTopicDeviceGroupAssigned, "CAM-1");
  ASSERT_EQ(assigned.size(), 3u);
  EXPECT_EQ(assigned[0].actor, alice_);
  EXPECT_EQ(assigned[0].detail, "resource_group=" + north + " previous=none");
  EXPECT_EQ(assigned[1].detail, "resource_group=" + south + " previous=" + north);
  EXPECT_EQ(assigned[2].detail, "resource_group=none previous=" + south);
  // Moving it where it is changes nothing, so records nothing.
  ASSERT_TRUE(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-1", std::nullopt).ok());
  EXPECT_EQ(audit(acme_, kTopicDeviceGroupAssigned, "CAM-1").size(), 3u);
  // A device still onboarding may be grouped too.
  ASSERT_TRUE(registry_.claim(tick(), alice_, acme_, "CAM-3", oaks_.at("CAM-3")).ok());
  EXPECT_EQ(must(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-3", south))
                .state.resource_group,
            south);
}

TEST_F(ResourceGroupTest, AssigningNeedsAnOrganizationWideGrantAndAnOwnedDevice) {
  const ResourceGroupId north = acme_group("north");
  const UserId carol = join_acme("carol@acme.example", Role::kAdministrator, north);
  const UserId oscar = join_acme("oscar@acme.example", Role::kOperator);
  ASSERT_TRUE(claim("CAM-1", std::nullopt, north).ok());
  // Grouping is fleet management: not even within the scoped administrator's own group.
  expect_error(registry_.assign_resource_group(tick(), carol, acme_, "CAM-1", std::nullopt),
               ErrorCode::kPermissionDenied, "the whole organization");
  expect_error(registry_.assign_resource_group(tick(), carol, acme_, "CAM-1", north),
               ErrorCode::kPermissionDenied, "the whole organization");
  expect_error(registry_.assign_resource_group(tick(), oscar, acme_, "CAM-1", std::nullopt),
               ErrorCode::kPermissionDenied, "may not onboard_devices");
  expect_error(registry_.assign_resource_group(tick(), bob_, acme_, "CAM-1", std::nullopt),
               ErrorCode::kPermissionDenied, "not a member");
  EXPECT_EQ(must(registry_.device("CAM-1")).state.resource_group, north);
  // Only Acme's own devices: not an unowned one, a failed one, nor Globex's.
  expect_error(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-3", north),
               ErrorCode::kNotFound, "no such device in this organization");
  ASSERT_TRUE(registry_.claim(tick(), bob_, globex_, "CAM-3", oaks_.at("CAM-3")).ok());
  expect_error(registry_.assign_resource_group(tick(), alice_, acme_, "CAM-3", north),
               ErrorCode::kNotFound, "no such device in this organization");
  expect_error(registry_.assign_resource_group(tick(), alice_, acme_, "NOPE", north),
               ErrorCode::kNotFound, "no such device");
  expect_error(registry_.assign_resource_group(tick(), alice_, acme_, "", north),
               ErrorCode::kInvalidArgument, "serial");
  EXPECT_TRUE(audit(acme_, kTopicDeviceGroupAssigned).empty());
}

TEST_F(ResourceGroupTest, LocalDiscoveryNeedsTheRightToOnboardWhereTheHostIs) {
  const ResourceGroupId north = acme_group("north");
  const ResourceGroupId south = acme_group("south");
  const UserId carol = join_acme("carol@acme.example", Role::kAdministrator, north);
  ASSERT_TRUE(claim("REC-1", std::nullopt, south).ok());
  ASSERT_TRUE(registry_.place_on_lan(tick(), "REC-1", "lund-lan").ok());
  ASSERT_TRUE(registry_.place_on_lan(tick(), "CAM-2", "lund-lan").ok());
  const auto via_rec = [&](const UserId& actor) {
    return registry_.claim_via_host(tick(), actor, acme_, "REC-1", "CAM-2", oaks_.at("CAM-2"),
                                    std::nullopt, north);
  };
  expect_error(via_rec(carol), ErrorCode::kPermissionDenied, "resource group " + south);
  EXPECT_EQ(must(registry_.device("CAM-2")).state.status, OnboardingStatus::kRegistered);
  ASSERT_TRUE(registry_.assign_resource_group(tick(), alice_, acme_, "REC-1", north).ok());
  const DeviceRecord cam = must(complete(via_rec(carol)));
  EXPECT_EQ(cam.state.status, OnboardingStatus::kOnboarded);
  EXPECT_EQ(cam.state.host, "REC-1");
  EXPECT_EQ(cam.state.resource_group, north);
  EXPECT_EQ(audit(acme_, kTopicDeviceOnboarding, "CAM-2").at(0).detail,
            "method=local_discovery host=REC-1 profile=managed-lts resource_group=" + north);
}

TEST_F(ResourceGroupTest, FailingAnOnboardingOrReleasingTheFleetClearsTheGroup) {
  const ResourceGroupId north = acme_group("north");
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "CAM-3", oaks_.at("CAM-3"), std::nullopt, north).ok());
  ASSERT_TRUE(registry_.fail_onboarding(tick(), "CAM-3", "device did not connect").ok());
  EXPECT_EQ(must(registry_.device("CAM-3")).state.resource_group, "");
  // Claimed again with no group, it is in none.
  EXPECT_EQ(must(claim("CAM-3")).state.resource_group, "");
  // Seats running out fail the onboarding too.
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme_, "device-management", 1).ok());
  expect_error(claim("EDGE-1", std::nullopt, north), ErrorCode::kResourceExhausted, "seats");
  EXPECT_EQ(must(registry_.device("EDGE-1")).state.resource_group, "");
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme_, "device-management", 10).ok());

  ASSERT_TRUE(claim("CAM-1", std::nullopt, north).ok());
  ASSERT_TRUE(
      registry_.claim(tick(), alice_, acme_, "REC-1", oaks_.at("REC-1"), std::nullopt,
                      north)
          .ok());  // still onboarding
  const auto released = must(tenancy_.delete_organization(tick(), alice_, acme_));
  EXPECT_EQ(released, (std::vector<std::string>{"CAM-1", "CAM-3", "REC-1"}));
  for (const std::string serial : {"CAM-1", "CAM-3", "REC-1"}) {
    SCOPED_TRACE(serial);
    const DeviceRecord device = must(registry_.device(serial));
    EXPECT_EQ(device.state.status, OnboardingStatus::kRegistered);
    EXPECT_EQ(device.state.resource_group, "");
  }
  // Globex claims it afresh, in none of its groups.
  EXPECT_EQ(
      must(registry_.claim(tick(), bob_, globex_, "CAM-1", oaks_.at("CAM-1"))).state.resource_group,
      "");
}

}  // namespace
}  // namespace ccsim::platform

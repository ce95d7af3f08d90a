// Device insights: consent and who may give it, telemetry validation and the sample window, and
// each rule raising and clearing its insight, against a real tenancy and device registry.
#include "platform/insights.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "platform/device_registry.h"
#include "platform/identity_store.h"
#include "platform/owner_key.h"

namespace ccsim::platform {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr core::Duration kSamplePeriod = minutes(30);

TelemetrySample healthy() {
  return TelemetrySample{0.3, 0.95, 0};
}
TelemetrySample with_load(double load) {
  return TelemetrySample{load, 0.95, 0};
}
TelemetrySample with_health(double health) {
  return TelemetrySample{0.3, health, 0};
}
TelemetrySample with_crashes(std::uint32_t crashes) {
  return TelemetrySample{0.3, 0.95, crashes};
}

// Acme owns CAM-1 and CAM-2 (in no resource group) and LUND-1 (in its group "lund"), and is
// still onboarding CAM-PENDING; Globex owns GLX-1. Acme's members: alice (owner), adam
// (administrator), oscar (operator), vera (viewer) and lena (administrator of "lund" only).
class InsightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = must(identities_.register_user("alice@acme.example", "Alice"));
    adam_ = must(identities_.register_user("adam@acme.example", "Adam"));
    oscar_ = must(identities_.register_user("oscar@acme.example", "Oscar"));
    vera_ = must(identities_.register_user("vera@acme.example", "Vera"));
    lena_ = must(identities_.register_user("lena@acme.example", "Lena"));
    bob_ = must(identities_.register_user("bob@globex.example", "Bob"));
    acme_ = must(tenancy_.create_organization(tick(), alice_, "Acme", "eu-west"));
    globex_ = must(tenancy_.create_organization(tick(), bob_, "Globex", "us-east"));
    lund_ = must(tenancy_.create_resource_group(tick(), alice_, acme_, "lund"));
    join(adam_, "adam@acme.example", Role::kAdministrator);
    join(oscar_, "oscar@acme.example", Role::kOperator);
    join(vera_, "vera@acme.example", Role::kViewer);
    join(lena_, "lena@acme.example", Role::kAdministrator, lund_);
    registry_.connect_to(tenancy_);
    prepare(alice_, acme_);
    prepare(bob_, globex_);
    std::vector<FactoryRecord> records;
    for (const char* serial : {"CAM-1", "CAM-2", "LUND-1", "CAM-PENDING", "GLX-1"}) {
      oaks_[serial] = generate_owner_key(keys_);
      records.push_back(FactoryRecord{serial, "model", DeviceKind::kCamera, DeviceTier::kTier1,
                                      oaks_[serial], hours(1), hours(2), "11.11.0"});
    }
    ASSERT_TRUE(registry_.register_devices(tick(), records).ok());
    onboard(alice_, acme_, "CAM-1");
    onboard(alice_, acme_, "CAM-2");
    onboard(alice_, acme_, "LUND-1", lund_);
    onboard(bob_, globex_, "GLX-1");
    ASSERT_TRUE(registry_.claim(tick(), alice_, acme_, "CAM-PENDING", oaks_["CAM-PENDING"]).ok());
  }

  void join(const UserId& user, const std::string& email, Role role,
            std::optional<std::string> scope = std::nullopt) {
    const InvitationId invitation =
        must(tenancy_.invite(tick(), alice_, acme_, email, role,
                             scope ? std::optional<std::string_view>(*scope) : std::nullopt));
    ASSERT_TRUE(tenancy_.accept_invitation(tick(), user, invitation).ok());
  }

  void prepare(const UserId& owner, const OrganizationId& organization) {
    ASSERT_TRUE(
        tenancy_.set_license(tick(), owner, organization, kDeviceManagementService, 10).ok());
    ASSERT_TRUE(
        registry_
            .define_profile(tick(), owner, organization,
                            DeviceProfile{"lts", DeviceMode::kConnected, "lts-2024", {}, {}})
            .ok());
    ASSERT_TRUE(registry_.set_default_profile(tick(), owner, organization, "lts").ok());
  }

  void onboard(const UserId& owner, const OrganizationId& organization, const std::string& serial,
               std::optional<std::string> group = std::nullopt) {
    ASSERT_TRUE(registry_
                    .claim(tick(), owner, organization, serial, oaks_[serial], std::nullopt,
                           group ? std::optional<std::string_view>(*group) : std::nullopt)
                    .ok());
    ASSERT_TRUE(registry_.complete_onboarding(tick(), serial, "11.11.0", "lts-2024").ok());
  }

  core::Time tick() { return now_ += seconds(1); }

  void consent(std::string_view device, bool granted = true) {
    ASSERT_TRUE(insights_.set_consent(tick(), alice_, acme_, device, granted).ok());
  }

  // The device reports one sample, a sample period after the previous one.
  TelemetryDisposition send(std::string_view device, const TelemetrySample& sample) {
    now_ += kSamplePeriod;
    return insights_.on_telemetry(now_, device, sample);
  }

  std::vector<InsightKind> kinds_of(std::string_view device) const {
    std::vector<InsightKind> kinds;
    for (const Insight& insight : insights_.insights_of(device)) kinds.push_back(insight.kind);
    return kinds;
  }

  std::optional<Insight> insight(std::string_view device, InsightKind kind) const {
    for (const Insight& found : insights_.insights_of(device)) {
      if (found.kind == kind) return found;
    }
    return std::nullopt;
  }

  // When the device's active insight of `kind` was raised; Time::min() when none is active.
  core::Time raised_at_of(std::string_view device, InsightKind kind) const {
    const std::optional<Insight> found = insight(device, kind);
    return found ? found->raised_at : core::Time::min();
  }
  std::string detail_of(std::string_view device, InsightKind kind) const {
    const std::optional<Insight> found = insight(device, kind);
    return found ? found->detail : "";
  }

  std::uint64_t raised(InsightKind kind) const {
    return insights_.counters().insights_raised[static_cast<std::size_t>(kind)];
  }
  std::uint64_t cleared(InsightKind kind) const {
    return insights_.counters().insights_cleared[static_cast<std::size_t>(kind)];
  }

  std::vector<AuditEntry> audit(const OrganizationId& organization, std::string_view topic) const {
    AuditQuery query;
    query.organization = organization;
    query.topic = std::string(topic);
    query.limit = kAuditPageEntriesMax;
    return must(audit_log_.search(query)).entries;
  }

  core::Time now_{};
  AuditLog audit_log_;
  IdentityStore identities_;
  Tenancy tenancy_{audit_log_, identities_};
  core::RandomStream random_{7, core::kDeviceRegistryStream};
  core::RandomStream keys_{7, core::kFactoryStream};
  DeviceRegistry registry_{audit_log_, tenancy_, random_};
  Insights insights_{audit_log_, tenancy_, registry_};
  std::map<std::string, std::string> oaks_;
  UserId alice_, adam_, oscar_, vera_, lena_, bob_;
  OrganizationId acme_, globex_;
  ResourceGroupId lund_;
};

// ---- Consent -------------------------------------------------------------------------------

TEST_F(InsightsTest, TelemetryIsDroppedWithoutConsentAndRecordedWithIt) {
  EXPECT_FALSE(insights_.consented("CAM-1"));
  EXPECT_EQ(send("CAM-1", with_health(0.1)), TelemetryDisposition::kNoConsent);
  EXPECT_EQ(insights_.sample_count("CAM-1"), 0u);
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  EXPECT_EQ(insights_.counters().samples_without_consent, 1u);
  EXPECT_EQ(insights_.device_count(), 0u);

  consent("CAM-1");
  EXPECT_TRUE(insights_.consented("CAM-1"));
  EXPECT_FALSE(insights_.consented("CAM-2"));
  EXPECT_EQ(send("CAM-1", with_health(0.1)), TelemetryDisposition::kRecorded);
  EXPECT_EQ(send("CAM-2", with_health(0.1)), TelemetryDisposition::kNoConsent);
  EXPECT_EQ(insights_.sample_count("CAM-1"), 1u);
  EXPECT_EQ(kinds_of("CAM-1"), std::vector<InsightKind>{InsightKind::kSdCardReplace});
  EXPECT_EQ(insights_.counters().samples_recorded, 1u);

  // Revoking forgets what was kept; later samples are dropped again.
  consent("CAM-1", false);
  EXPECT_FALSE(insights_.consented("CAM-1"));
  EXPECT_EQ(insights_.sample_count("CAM-1"), 0u);
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  EXPECT_EQ(insights_.device_count(), 0u);
  EXPECT_EQ(send("CAM-1", with_health(0.1)), TelemetryDisposition::kNoConsent);
  EXPECT_EQ(insights_.counters().samples_without_consent, 3u);
  EXPECT_EQ(insights_.counters().samples_recorded, 1u);

  // Granting again starts from nothing.
  consent("CAM-1");
  EXPECT_EQ(insights_.sample_count("CAM-1"), 0u);
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
}

TEST_F(InsightsTest, OnlyRolesThatChangeDeviceProfilesMayConsent) {
  expect_error(insights_.set_consent(tick(), vera_, acme_, "CAM-1", true),
               ErrorCode::kPermissionDenied, "change_device_profiles");
  expect_error(insights_.set_consent(tick(), oscar_, acme_, "CAM-1", true),
               ErrorCode::kPermissionDenied, "change_device_profiles");
  EXPECT_FALSE(insights_.consented("CAM-1"));
  EXPECT_TRUE(audit(acme_, kTopicDiagnosticsConsentGranted).empty());

  EXPECT_TRUE(insights_.set_consent(tick(), adam_, acme_, "CAM-1", true).ok());
  EXPECT_TRUE(insights_.consented("CAM-1"));
  // Nor may they revoke it.
  expect_error(insights_.set_consent(tick(), oscar_, acme_, "CAM-1", false),
               ErrorCode::kPermissionDenied, "change_device_profiles");
  EXPECT_TRUE(insights_.consented("CAM-1"));

  // An administrator of one resource group decides for its devices only.
  EXPECT_TRUE(insights_.set_consent(tick(), lena_, acme_, "LUND-1", true).ok());
  EXPECT_TRUE(insights_.consented("LUND-1"));
  expect_error(insights_.set_consent(tick(), lena_, acme_, "CAM-2", true),
               ErrorCode::kPermissionDenied, "");
  EXPECT_FALSE(insights_.consented("CAM-2"));
}

TEST_F(InsightsTest, DevicesOutsideTheOrganizationAreNotFound) {
  expect_error(insights_.set_consent(tick(), bob_, globex_, "CAM-1", true), ErrorCode::kNotFound,
               "device: unknown device 'CAM-1'");
  expect_error(insights_.set_consent(tick(), alice_, acme_, "GLX-1", true), ErrorCode::kNotFound,
               "GLX-1");
  expect_error(insights_.set_consent(tick(), alice_, acme_, "NO-SUCH-CAM", true),
               ErrorCode::kNotFound, "NO-SUCH-CAM");
  // A stranger learns nothing about the organization's devices.
  expect_error(insights_.set_consent(tick(), bob_, acme_, "CAM-1", true),
               ErrorCode::kPermissionDenied, "");
  expect_error(insights_.set_consent(tick(), bob_, acme_, "NO-SUCH-CAM", true),
               ErrorCode::kPermissionDenied, "");
  expect_error(insights_.set_consent(tick(), alice_, acme_, "", true), ErrorCode::kInvalidArgument,
               "device:");
  expect_error(insights_.set_consent(tick(), alice_, acme_, "CAM 1", true),
               ErrorCode::kInvalidArgument, "device: 'CAM 1' is not a serial");
  expect_error(insights_.set_consent(tick(), alice_, acme_, "CAM-PENDING", true),
               ErrorCode::kFailedPrecondition, "onboarding, not onboarded");
  EXPECT_FALSE(insights_.consented("CAM-1"));
  EXPECT_FALSE(insights_.consented("GLX-1"));
  EXPECT_EQ(insights_.device_count(), 0u);
}

TEST_F(InsightsTest, ConsentChangesAreAuditedOnce) {
  const core::Time granted_at = tick();
  ASSERT_TRUE(insights_.set_consent(granted_at, alice_, acme_, "CAM-1", true).ok());
  consent("CAM-1");  // already granted: nothing to record
  std::vector<AuditEntry> granted = audit(acme_, kTopicDiagnosticsConsentGranted);
  ASSERT_EQ(granted.size(), 1u);
  EXPECT_EQ(granted[0].at, granted_at);
  EXPECT_EQ(granted[0].actor, alice_);
  EXPECT_EQ(granted[0].device, "CAM-1");

  ASSERT_EQ(send("CAM-1", with_health(0.1)), TelemetryDisposition::kRecorded);
  ASSERT_EQ(send("CAM-1", with_health(0.5)), TelemetryDisposition::kRecorded);
  ASSERT_TRUE(insights_.set_consent(tick(), adam_, acme_, "CAM-1", false).ok());
  consent("CAM-1", false);  // already revoked
  consent("CAM-2", false);  // never granted
  std::vector<AuditEntry> revoked = audit(acme_, kTopicDiagnosticsConsentRevoked);
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].actor, adam_);
  EXPECT_EQ(revoked[0].device, "CAM-1");
  EXPECT_EQ(revoked[0].detail, "samples_dropped=2 insights_dropped=1");
  EXPECT_TRUE(audit_log_.verify().intact);
}

TEST_F(InsightsTest, ConsentLapsesWhenTheDeviceLeavesTheOrganization) {
  ASSERT_TRUE(insights_.set_consent(tick(), bob_, globex_, "GLX-1", true).ok());
  ASSERT_EQ(send("GLX-1", with_crashes(5)), TelemetryDisposition::kRecorded);
  EXPECT_TRUE(insights_.recommends_os_update("GLX-1"));

  ASSERT_TRUE(tenancy_.delete_organization(tick(), bob_, globex_).ok());
  EXPECT_FALSE(insights_.consented("GLX-1"));
  EXPECT_TRUE(insights_.insights_of("GLX-1").empty());
  EXPECT_FALSE(insights_.recommends_os_update("GLX-1"));
  EXPECT_EQ(send("GLX-1", healthy()), TelemetryDisposition::kNoConsent);
  EXPECT_EQ(insights_.device_count(), 0u);  // forgotten once noticed
}

TEST_F(InsightsTest, DevicesHeldAreLimited) {
  Insights small(audit_log_, tenancy_, registry_, InsightsLimits{1, kTelemetrySamplesMax});
  ASSERT_TRUE(small.set_consent(tick(), alice_, acme_, "CAM-1", true).ok());
  expect_error(small.set_consent(tick(), alice_, acme_, "CAM-2", true),
               ErrorCode::kResourceExhausted, "1 devices, the most");
  ASSERT_TRUE(small.set_consent(tick(), alice_, acme_, "CAM-1", false).ok());
  EXPECT_TRUE(small.set_consent(tick(), alice_, acme_, "CAM-2", true).ok());
  EXPECT_EQ(small.device_count(), 1u);
}

// ---- Telemetry -----------------------------------------------------------------------------

TEST_F(InsightsTest, InvalidSamplesAreRefused) {
  consent("CAM-1");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const TelemetrySample& sample :
       {TelemetrySample{1.5, 0.9, 0}, TelemetrySample{-0.1, 0.9, 0}, TelemetrySample{nan, 0.9, 0},
        TelemetrySample{0.5, 1.01, 0}, TelemetrySample{0.5, -0.5, 0}, TelemetrySample{0.5, nan, 0},
        TelemetrySample{0.5, 0.9, kTelemetryCrashesMax + 1}}) {
    EXPECT_EQ(send("CAM-1", sample), TelemetryDisposition::kInvalid)
        << sample.load << " " << sample.sd_card_health << " " << sample.crashes;
  }
  EXPECT_EQ(insights_.counters().samples_invalid, 7u);
  EXPECT_EQ(insights_.sample_count("CAM-1"), 0u);
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());

  // The bounds themselves are valid.
  EXPECT_EQ(send("CAM-1", TelemetrySample{0.0, 1.0, 0}), TelemetryDisposition::kRecorded);
  EXPECT_EQ(send("CAM-1", TelemetrySample{1.0, 0.0, kTelemetryCrashesMax}),
            TelemetryDisposition::kRecorded);
  EXPECT_EQ(insights_.sample_count("CAM-1"), 2u);
  EXPECT_EQ(insights_.counters().samples_recorded, 2u);
  // A device without consent is not even read.
  EXPECT_EQ(send("CAM-2", TelemetrySample{7.0, 7.0, 0}), TelemetryDisposition::kNoConsent);
  EXPECT_EQ(insights_.counters().samples_invalid, 7u);
}

TEST_F(InsightsTest, SamplesOlderThanTheWindowAreDropped) {
  consent("CAM-1");
  for (int i = 0; i < 10; ++i) ASSERT_EQ(send("CAM-1", healthy()), TelemetryDisposition::kRecorded);
  EXPECT_EQ(insights_.sample_count("CAM-1"), 10u);
  now_ += kTelemetryWindow;
  ASSERT_EQ(send("CAM-1", healthy()), TelemetryDisposition::kRecorded);
  EXPECT_EQ(insights_.sample_count("CAM-1"), 1u);
}

TEST_F(InsightsTest, AtMostSamplesMaxAreKeptPerDevice) {
  consent("CAM-1");
  for (std::size_t i = 0; i < kTelemetrySamplesMax + 10; ++i) {
    ASSERT_EQ(insights_.on_telemetry(now_ += minutes(1), "CAM-1", healthy()),
              TelemetryDisposition::kRecorded);
  }
  EXPECT_EQ(insights_.sample_count("CAM-1"), kTelemetrySamplesMax);
  EXPECT_EQ(insights_.counters().samples_recorded, kTelemetrySamplesMax + 10);
}

// ---- Rules ---------------------------------------------------------------------------------

TEST_F(InsightsTest, OverloadIsRaisedByThreeHighSamplesAndClearedByThreeLowOnes) {
  consent("CAM-1");
  send("CAM-1", with_load(0.95));
  send("CAM-1", with_load(0.9));
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  send("CAM-1", with_load(0.5));  // the run is broken
  send("CAM-1", with_load(0.95));
  send("CAM-1", with_load(0.99));
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  send("CAM-1", with_load(0.92));
  const core::Time raised_at = now_;
  ASSERT_EQ(kinds_of("CAM-1"), std::vector<InsightKind>{InsightKind::kOverload});
  EXPECT_EQ(raised_at_of("CAM-1", InsightKind::kOverload), raised_at);
  EXPECT_NE(detail_of("CAM-1", InsightKind::kOverload).find("0.92"), std::string::npos);

  // Raised once: more high samples keep it as it was.
  send("CAM-1", with_load(1.0));
  EXPECT_EQ(raised_at_of("CAM-1", InsightKind::kOverload), raised_at);
  EXPECT_EQ(raised(InsightKind::kOverload), 1u);

  // Load between the thresholds, or low in fewer than three samples, does not clear it.
  send("CAM-1", with_load(0.8));
  send("CAM-1", with_load(0.69));
  send("CAM-1", with_load(0.5));
  EXPECT_TRUE(insight("CAM-1", InsightKind::kOverload));
  send("CAM-1", with_load(0.7));  // not below 0.7
  EXPECT_TRUE(insight("CAM-1", InsightKind::kOverload));
  send("CAM-1", with_load(0.3));
  send("CAM-1", with_load(0.2));
  EXPECT_TRUE(insight("CAM-1", InsightKind::kOverload));
  send("CAM-1", with_load(0.1));
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  EXPECT_EQ(cleared(InsightKind::kOverload), 1u);
  EXPECT_FALSE(insights_.recommends_os_update("CAM-1"));

  // Three high samples again raise it anew.
  for (int i = 0; i < 3; ++i) send("CAM-1", with_load(0.9));
  EXPECT_EQ(raised_at_of("CAM-1", InsightKind::kOverload), now_);
  EXPECT_EQ(raised(InsightKind::kOverload), 2u);
}

TEST_F(InsightsTest, SdCardReplaceStaysUntilANewCard) {
  consent("CAM-1");
  send("CAM-1", with_health(0.2));  // not below 0.2
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  send("CAM-1", with_health(0.15));
  const core::Time raised_at = now_;
  ASSERT_EQ(kinds_of("CAM-1"), std::vector<InsightKind>{InsightKind::kSdCardReplace});
  EXPECT_NE(detail_of("CAM-1", InsightKind::kSdCardReplace).find("0.15"), std::string::npos);

  // A reading that recovers a little is no new card.
  send("CAM-1", with_health(0.5));
  send("CAM-1", with_health(0.79));
  send("CAM-1", with_health(0.1));
  EXPECT_EQ(raised_at_of("CAM-1", InsightKind::kSdCardReplace), raised_at);
  EXPECT_EQ(raised(InsightKind::kSdCardReplace), 1u);

  send("CAM-1", with_health(0.8));  // the card was replaced
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  EXPECT_EQ(cleared(InsightKind::kSdCardReplace), 1u);

  send("CAM-1", with_health(0.05));
  EXPECT_TRUE(insight("CAM-1", InsightKind::kSdCardReplace));
  consent("CAM-1", false);
  consent("CAM-1");
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
}

TEST_F(InsightsTest, CrashLoopRecommendsAnOsUpdateUntilTheCrashesAgeOut) {
  consent("CAM-1");
  consent("CAM-2");
  send("CAM-1", with_crashes(1));
  const core::Time first_crash = now_;
  send("CAM-1", with_crashes(1));
  send("CAM-2", with_crashes(2));
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  EXPECT_FALSE(insights_.recommends_os_update("CAM-1"));

  send("CAM-1", with_crashes(1));
  const core::Time raised_at = now_;
  ASSERT_EQ(kinds_of("CAM-1"), std::vector<InsightKind>{InsightKind::kCrashLoop});
  EXPECT_TRUE(insights_.recommends_os_update("CAM-1"));
  EXPECT_NE(detail_of("CAM-1", InsightKind::kCrashLoop).find("3 crashes"), std::string::npos);
  EXPECT_FALSE(insights_.recommends_os_update("CAM-2"));  // per device
  EXPECT_FALSE(insights_.recommends_os_update("CAM-NONE"));

  // Quiet samples keep it while the crashes are within the window...
  while (now_ + kSamplePeriod - first_crash < kTelemetryWindow) send("CAM-1", healthy());
  ASSERT_TRUE(insight("CAM-1", InsightKind::kCrashLoop));
  EXPECT_EQ(raised_at_of("CAM-1", InsightKind::kCrashLoop), raised_at);
  EXPECT_TRUE(insights_.recommends_os_update("CAM-1"));
  // ...and clear it once the first crash is older than that.
  send("CAM-1", healthy());
  EXPECT_TRUE(insights_.insights_of("CAM-1").empty());
  EXPECT_FALSE(insights_.recommends_os_update("CAM-1"));
  EXPECT_EQ(raised(InsightKind::kCrashLoop), 1u);
  EXPECT_EQ(cleared(InsightKind::kCrashLoop), 1u);
}

TEST_F(InsightsTest, RulesRaiseTheirInsightsTogetherInKindOrder) {
  consent("CAM-1");
  for (int i = 0; i < 3; ++i) send("CAM-1", TelemetrySample{0.97, 0.1, 1});
  EXPECT_EQ(kinds_of("CAM-1"),
            (std::vector<InsightKind>{InsightKind::kOverload, InsightKind::kSdCardReplace,
                                      InsightKind::kCrashLoop}));
}

TEST(InsightKindTest, NamesRoundTrip) {
  for (InsightKind kind :
       {InsightKind::kOverload, InsightKind::kSdCardReplace, InsightKind::kCrashLoop}) {
    EXPECT_EQ(parse_insight_kind(insight_kind_name(kind)), kind);
  }
  EXPECT_EQ(insight_kind_name(InsightKind::kOverload), "overload");
  EXPECT_EQ(insight_kind_name(InsightKind::kSdCardReplace), "sd_card_replace");
  EXPECT_EQ(insight_kind_name(InsightKind::kCrashLoop), "crash_loop");
  EXPECT_FALSE(parse_insight_kind("Overload"));
  EXPECT_FALSE(parse_insight_kind(""));
  EXPECT_EQ(telemetry_disposition_name(TelemetryDisposition::kNoConsent), "no_consent");
}

}  // namespace
}  // namespace ccsim::platform

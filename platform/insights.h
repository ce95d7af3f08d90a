// Device insights: in-device diagnostics (anonymous load, SD card health and crash counts a
// device reports as telemetry) turned into advice for the device's organization: the device is
// overloaded, its SD card should be replaced, it is in a crash loop and an OS update is
// recommended.
//
// Diagnostics only with consent. An organization grants it per device (set_consent, which needs
// kChangeDeviceProfiles in the device's resource group, as changing what the device runs does);
// until then a device's telemetry is dropped unread and only counted. Revoking consent forgets
// the device's samples and insights. Consent belongs to the onboarding it was given in: once the
// device leaves the organization (released) or is onboarded again, it has lapsed, and the next
// sample finds nothing kept.
//
// A sans-IO service. The command takes the time, the actor and the organization, authorizes,
// validates, writes one audit entry, then changes state, and returns a Result. Telemetry comes
// in through on_telemetry() and is judged by the rules below on arrival; queries take no actor
// and show the state as of the device's latest sample. Per device, at most
// InsightsLimits::samples_max samples are kept, none older than kTelemetryWindow.
//
// Rules. Each insight is raised once and keeps its raised_at while active:
//  - overload: load >= kOverloadLoadMin in each of the latest kOverloadSamples samples; cleared
//    when the latest kOverloadSamples are all below kOverloadClearLoadMax;
//  - sd_card_replace: SD card health below kSdCardHealthReplaceMax; cleared only by a new card
//    (health >= kSdCardHealthNewMin) or by revoking consent;
//  - crash_loop: at least kCrashLoopCrashesMin crashes summed over the samples kept (the last
//    kTelemetryWindow); cleared when under. It recommends an OS update.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "platform/audit_log.h"
#include "platform/audit_topics.h"
#include "platform/service_result.h"
#include "platform/tenancy.h"

namespace ccsim::platform {

class DeviceRegistry;

// Limits.
inline constexpr std::size_t kInsightsDevicesMax = 1'000'000;  // devices with consent held
inline constexpr std::size_t kTelemetrySamplesMax = 48;        // kept per device
inline constexpr core::Duration kTelemetryWindow = std::chrono::hours(24);
inline constexpr std::uint32_t kTelemetryCrashesMax = 1'000;  // per sample

// Rule thresholds.
inline constexpr double kOverloadLoadMin = 0.9;
inline constexpr double kOverloadClearLoadMax = 0.7;  // exclusive
inline constexpr std::size_t kOverloadSamples = 3;
inline constexpr double kSdCardHealthReplaceMax = 0.2;  // exclusive
inline constexpr double kSdCardHealthNewMin = 0.8;
inline constexpr std::uint64_t kCrashLoopCrashesMin = 3;

enum class InsightKind : std::uint8_t { kOverload, kSdCardReplace, kCrashLoop };
inline constexpr std::size_t kInsightKindCount = 3;
// "overload", "sd_card_replace", "crash_loop".
std::string_view insight_kind_name(InsightKind kind);
std::optional<InsightKind> parse_insight_kind(std::string_view name);

struct Insight {
  InsightKind kind = InsightKind::kOverload;
  core::Time raised_at{};
  std::string detail;  // for people: what the rule saw when it raised the insight
  bool operator==(const Insight&) const = default;
};

// One report of a device's diagnostics.
struct TelemetrySample {
  double load = 0;            // 0..1
  double sd_card_health = 1;  // 0..1; 1 is a new card
  std::uint32_t crashes = 0;  // since the previous sample, 0..kTelemetryCrashesMax
};

enum class TelemetryDisposition : std::uint8_t {
  kRecorded,
  kNoConsent,  // dropped unread: no consent for the device
  kInvalid,    // a value out of range; dropped
};
std::string_view telemetry_disposition_name(TelemetryDisposition disposition);

struct InsightsCounters {
  std::uint64_t samples_recorded = 0;
  std::uint64_t samples_without_consent = 0;
  std::uint64_t samples_invalid = 0;
  std::array<std::uint64_t, kInsightKindCount> insights_raised{};  // by InsightKind
  std::array<std::uint64_t, kInsightKindCount> insights_cleared{};
};

// The service's limits; tests shrink them, the platform keeps the defaults.
struct InsightsLimits {
  std::size_t devices_max = kInsightsDevicesMax;
  std::size_t samples_max = kTelemetrySamplesMax;  // kOverloadSamples..
};

class Insights {
 public:
  // All three must outlive the service.
  Insights(AuditLog& audit_log, const Tenancy& tenancy, const DeviceRegistry& registry,
           InsightsLimits limits = {});

  // Grants or revokes diagnostics consent for `device`, onboarded in `organization`.
  // kInvalidArgument for a malformed serial; kNotFound for a device the organization does not
  // own; kFailedPrecondition while it is still onboarding; kPermissionDenied without
  // kChangeDeviceProfiles in the device's resource group; kResourceExhausted past devices_max.
  // Revoking forgets the device's samples and insights. Setting what is already set records
  // nothing.
  Result<Done> set_consent(core::Time now, std::string_view actor, std::string_view organization,
                           std::string_view device, bool granted);

  // A sample the device sent at `now` (not before its previous one); judged by the rules when
  // recorded.
  TelemetryDisposition on_telemetry(core::Time now, std::string_view device,
                                    const TelemetrySample& sample);

  bool consented(std::string_view device) const;
  // The device's active insights, by kind; none without consent.
  std::vector<Insight> insights_of(std::string_view device) const;
  // A crash loop is active: the device should get an OS update.
  bool recommends_os_update(std::string_view device) const;
  // Samples kept for the device.
  std::size_t sample_count(std::string_view device) const;
  // Devices held (with consent, or whose consent lapsed and was not yet noticed).
  std::size_t device_count() const { return devices_.size(); }
  const InsightsCounters& counters() const { return counters_; }

 private:
  struct TimedSample {
    core::Time at{};
    TelemetrySample sample;
  };
  struct DeviceDiagnostics {
    OrganizationId organization;  // that gave consent
    core::Time onboarded_at{};    // of the onboarding consent was given in
    std::deque<TimedSample> samples;
    std::array<std::optional<Insight>, kInsightKindCount> insights;  // active ones, by kind
  };

  enum class Verdict : std::uint8_t { kHold, kRaise, kClear };
  struct RuleVerdict {
    Verdict verdict = Verdict::kHold;
    std::string detail;  // when raising
  };
  using Samples = std::deque<TimedSample>;

  static RuleVerdict overload_rule(const Samples& samples);
  static RuleVerdict sd_card_rule(const Samples& samples);
  static RuleVerdict crash_loop_rule(const Samples& samples);

  // The device's diagnostics, if its consent holds.
  const DeviceDiagnostics* find_consented(std::string_view device) const;
  // Whether the consent behind `diagnostics` still holds: the device is onboarded in the same
  // organization, by the same onboarding.
  bool holds(std::string_view device, const DeviceDiagnostics& diagnostics) const;
  // Only members learn which devices exist: a stranger is refused before devices are looked up.
  Result<Done> check_member(std::string_view actor, std::string_view organization) const;
  void prune(core::Time now, Samples& samples) const;
  void evaluate(core::Time now, DeviceDiagnostics& diagnostics);
  void apply(core::Time now, DeviceDiagnostics& diagnostics, InsightKind kind, RuleVerdict verdict);
  Result<Done> record(core::Time now, std::string_view organization, std::string_view actor,
                      std::string_view topic, std::string_view device, std::string detail);

  AuditLog& audit_log_;
  const Tenancy& tenancy_;
  const DeviceRegistry& registry_;
  InsightsLimits limits_;
  std::map<std::string, DeviceDiagnostics, std::less<>> devices_;
  InsightsCounters counters_;
};

}  // namespace ccsim::platform

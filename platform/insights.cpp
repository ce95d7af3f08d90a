#include "platform/insights.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <numeric>
#include <utility>

#include "platform/device_registry.h"
#include "platform/permissions.h"

namespace ccsim::platform {

namespace {

// Characters quoted back in an error message before it says "...".
constexpr std::size_t kEchoBytesMax = 64;

constexpr std::array<InsightKind, kInsightKindCount> kInsightKinds = {
    InsightKind::kOverload, InsightKind::kSdCardReplace, InsightKind::kCrashLoop};

ServiceError invalid(std::string_view field, std::string_view what) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": " + std::string(what));
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

bool is_serial_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

bool is_serial(std::string_view text) {
  return !text.empty() && text.size() <= kSerialBytesMax &&
         std::all_of(text.begin(), text.end(), is_serial_char);
}

// `text` as it may appear in a message: quoted, control characters as '?', cut short.
std::string echo(std::string_view text) {
  std::string shown(text.substr(0, kEchoBytesMax));
  std::replace_if(shown.begin(), shown.end(), is_control, '?');
  return "'" + shown + (text.size() > kEchoBytesMax ? "...'" : "'");
}

std::string fraction(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

// In 0..1; NaN is not.
bool is_fraction(double value) {
  return value >= 0.0 && value <= 1.0;
}

std::size_t index_of(InsightKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  assert(index < kInsightKindCount);
  return index;
}

}  // namespace

std::string_view insight_kind_name(InsightKind kind) {
  switch (kind) {
    case InsightKind::kOverload:
      return "overload";
    case InsightKind::kSdCardReplace:
      return "sd_card_replace";
    case InsightKind::kCrashLoop:
      return "crash_loop";
  }
  return "unknown";
}

std::optional<InsightKind> parse_insight_kind(std::string_view name) {
  for (InsightKind kind : kInsightKinds) {
    if (insight_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view telemetry_disposition_name(TelemetryDisposition disposition) {
  switch (disposition) {
    case TelemetryDisposition::kRecorded:
      return "recorded";
    case TelemetryDisposition::kNoConsent:
      return "no_consent";
    case TelemetryDisposition::kInvalid:
      return "invalid";
  }
  return "unknown";
}

Insights::Insights(AuditLog& audit_log, const Tenancy& tenancy, const DeviceRegistry& registry,
                   InsightsLimits limits)
    : audit_log_(audit_log), tenancy_(tenancy), registry_(registry), limits_(limits) {
  assert(limits_.devices_max >= 1);
  // The overload rule looks at the latest kOverloadSamples samples: they must fit.
  assert(limits_.samples_max >= kOverloadSamples);
}

// ---- Consent -------------------------------------------------------------------------------

Result<Done> Insights::set_consent(core::Time now, std::string_view actor,
                                   std::string_view organization, std::string_view device,
                                   bool granted) {
  auto member = check_member(actor, organization);
  if (!member.ok()) return member.error();
  if (!is_serial(device)) {
    return invalid("device", echo(device) + " is not a serial (1.." +
                                 std::to_string(kSerialBytesMax) + " of [A-Za-z0-9._:@-])");
  }
  const auto found = registry_.device(device);
  if (!found.ok() || found.value().state.organization != organization) {
    return error(ErrorCode::kNotFound,
                 "device: unknown device " + echo(device) + " in " + std::string(organization));
  }
  const DeviceState& state = found.value().state;
  const std::optional<std::string_view> group =
      state.resource_group.empty() ? std::nullopt
                                   : std::optional<std::string_view>(state.resource_group);
  auto allowed = tenancy_.authorize(actor, organization, Permission::kChangeDeviceProfiles, group);
  if (!allowed.ok()) return allowed.error();
  if (state.status != OnboardingStatus::kOnboarded) {
    return error(ErrorCode::kFailedPrecondition,
                 "device: " + std::string(device) + " is " +
                     std::string(onboarding_status_name(state.status)) + ", not onboarded");
  }
  const auto held = devices_.find(device);
  const bool current = held != devices_.end() && holds(device, held->second);
  if (granted == current) {
    // Nothing changes but forgetting the data of a consent that lapsed, which no one sees.
    if (!granted && held != devices_.end()) devices_.erase(held);
    return Done{};
  }
  if (granted && held == devices_.end() && devices_.size() >= limits_.devices_max) {
    return error(
        ErrorCode::kResourceExhausted,
        "device: diagnostics held for " + std::to_string(devices_.size()) + " devices, the most");
  }
  std::string detail;
  if (!granted) {
    const DeviceDiagnostics& dropped = held->second;
    const auto active = std::count_if(dropped.insights.begin(), dropped.insights.end(),
                                      [](const auto& insight) { return insight.has_value(); });
    detail = "samples_dropped=" + std::to_string(dropped.samples.size()) +
             " insights_dropped=" + std::to_string(active);
  }
  auto recorded =
      record(now, organization, actor,
             granted ? kTopicDiagnosticsConsentGranted : kTopicDiagnosticsConsentRevoked, device,
             std::move(detail));
  if (!recorded.ok()) return recorded.error();
  if (granted) {
    DeviceDiagnostics fresh;
    fresh.organization = std::string(organization);
    fresh.onboarded_at = state.onboarded_at;
    devices_.insert_or_assign(std::string(device), std::move(fresh));
  } else {
    devices_.erase(held);
  }
  assert(devices_.size() <= limits_.devices_max);
  return Done{};
}

Result<Done> Insights::check_member(std::string_view actor, std::string_view organization) const {
  const std::vector<OrganizationId> memberships = tenancy_.organizations_of(actor);
  if (std::find(memberships.begin(), memberships.end(), organization) != memberships.end()) {
    return Done{};
  }
  auto allowed = tenancy_.authorize(actor, organization, Permission::kChangeDeviceProfiles);
  if (!allowed.ok()) return allowed.error();
  return Done{};
}

bool Insights::holds(std::string_view device, const DeviceDiagnostics& diagnostics) const {
  const auto found = registry_.device(device);
  if (!found.ok()) return false;
  const DeviceState& state = found.value().state;
  return state.status == OnboardingStatus::kOnboarded &&
         state.organization == diagnostics.organization &&
         state.onboarded_at == diagnostics.onboarded_at;
}

// ---- Telemetry -----------------------------------------------------------------------------

TelemetryDisposition Insights::on_telemetry(core::Time now, std::string_view device,
                                            const TelemetrySample& sample) {
  const auto held = devices_.find(device);
  if (held == devices_.end() || !holds(device, held->second)) {
    if (held != devices_.end()) devices_.erase(held);  // its consent lapsed
    ++counters_.samples_without_consent;
    return TelemetryDisposition::kNoConsent;
  }
  if (!is_fraction(sample.load) || !is_fraction(sample.sd_card_health) ||
      sample.crashes > kTelemetryCrashesMax) {
    ++counters_.samples_invalid;
    return TelemetryDisposition::kInvalid;
  }
  DeviceDiagnostics& diagnostics = held->second;
  assert(diagnostics.samples.empty() || diagnostics.samples.back().at <= now);
  diagnostics.samples.push_back(TimedSample{now, sample});
  prune(now, diagnostics.samples);
  evaluate(now, diagnostics);
  ++counters_.samples_recorded;
  assert(!diagnostics.samples.empty() && diagnostics.samples.size() <= limits_.samples_max);
  return TelemetryDisposition::kRecorded;
}

void Insights::prune(core::Time now, Samples& samples) const {
  while (samples.size() > limits_.samples_max) samples.pop_front();
  while (!samples.empty() && now - samples.front().at >= kTelemetryWindow) samples.pop_front();
}

void Insights::evaluate(core::Time now, DeviceDiagnostics& diagnostics) {
  apply(now, diagnostics, InsightKind::kOverload, overload_rule(diagnostics.samples));
  apply(now, diagnostics, InsightKind::kSdCardReplace, sd_card_rule(diagnostics.samples));
  apply(now, diagnostics, InsightKind::kCrashLoop, crash_loop_rule(diagnostics.samples));
}

void Insights::apply(core::Time now, DeviceDiagnostics& diagnostics, InsightKind kind,
                     RuleVerdict verdict) {
  std::optional<Insight>& active = diagnostics.insights[index_of(kind)];
  if (verdict.verdict == Verdict::kRaise && !active) {
    active = Insight{kind, now, std::move(verdict.detail)};
    ++counters_.insights_raised[index_of(kind)];
  } else if (verdict.verdict == Verdict::kClear && active) {
    active.reset();
    ++counters_.insights_cleared[index_of(kind)];
  }
}

Insights::RuleVerdict Insights::overload_rule(const Samples& samples) {
  if (samples.size() < kOverloadSamples) return {};
  const auto latest = samples.end() - static_cast<std::ptrdiff_t>(kOverloadSamples);
  if (std::all_of(latest, samples.end(),
                  [](const TimedSample& s) { return s.sample.load >= kOverloadLoadMin; })) {
    return {Verdict::kRaise, "load at least " + fraction(kOverloadLoadMin) + " in the latest " +
                                 std::to_string(kOverloadSamples) + " samples (now " +
                                 fraction(samples.back().sample.load) + ")"};
  }
  if (std::all_of(latest, samples.end(),
                  [](const TimedSample& s) { return s.sample.load < kOverloadClearLoadMax; })) {
    return {Verdict::kClear, ""};
  }
  return {};
}

Insights::RuleVerdict Insights::sd_card_rule(const Samples& samples) {
  assert(!samples.empty());
  const double health = samples.back().sample.sd_card_health;
  if (health < kSdCardHealthReplaceMax) {
    return {Verdict::kRaise, "SD card health " + fraction(health) + ", below " +
                                 fraction(kSdCardHealthReplaceMax) + ": replace the card"};
  }
  if (health >= kSdCardHealthNewMin) return {Verdict::kClear, ""};
  return {};
}

Insights::RuleVerdict Insights::crash_loop_rule(const Samples& samples) {
  const std::uint64_t crashes = std::accumulate(
      samples.begin(), samples.end(), std::uint64_t{0},
      [](std::uint64_t sum, const TimedSample& s) { return sum + s.sample.crashes; });
  if (crashes < kCrashLoopCrashesMin) return {Verdict::kClear, ""};
  return {Verdict::kRaise, std::to_string(crashes) + " crashes in the latest " +
                               std::to_string(samples.size()) +
                               " samples: an OS update is recommended"};
}

Result<Done> Insights::record(core::Time now, std::string_view organization, std::string_view actor,
                              std::string_view topic, std::string_view device, std::string detail) {
  auto appended = audit_log_.append(
      now, AuditRecord{std::string(organization), std::string(actor), std::string(topic),
                       std::string(device), std::move(detail)});
  if (!appended.ok()) return appended.error();
  return Done{};
}

// ---- Queries -------------------------------------------------------------------------------

const Insights::DeviceDiagnostics* Insights::find_consented(std::string_view device) const {
  const auto found = devices_.find(device);
  if (found == devices_.end() || !holds(device, found->second)) return nullptr;
  return &found->second;
}

bool Insights::consented(std::string_view device) const {
  return find_consented(device) != nullptr;
}

std::vector<Insight> Insights::insights_of(std::string_view device) const {
  std::vector<Insight> active;
  const DeviceDiagnostics* diagnostics = find_consented(device);
  if (diagnostics == nullptr) return active;
  for (const std::optional<Insight>& insight : diagnostics->insights) {
    if (insight) active.push_back(*insight);
  }
  return active;
}

bool Insights::recommends_os_update(std::string_view device) const {
  const DeviceDiagnostics* diagnostics = find_consented(device);
  return diagnostics != nullptr &&
         diagnostics->insights[index_of(InsightKind::kCrashLoop)].has_value();
}

std::size_t Insights::sample_count(std::string_view device) const {
  const DeviceDiagnostics* diagnostics = find_consented(device);
  return diagnostics == nullptr ? 0 : diagnostics->samples.size();
}

}  // namespace ccsim::platform

#include "proto/frame.h"

#include <cassert>
#include <optional>
#include <utility>

namespace ccsim::wire {
namespace {

FrameError out_of_range(std::string field, std::size_t size, std::size_t limit) {
  return {FrameErrorCode::kFieldOutOfRange,
          field + ": " + std::to_string(size) + " bytes, expected 1 to " + std::to_string(limit)};
}

bool within(const std::string& value, std::size_t limit) {
  return !value.empty() && value.size() <= limit;
}

// A field that must hold 1..limit bytes (`optional`: 0..limit).
std::optional<FrameError> check(const char* field, const std::string& value, std::size_t limit,
                                bool optional = false) {
  if ((optional && value.empty()) || within(value, limit)) return std::nullopt;
  return out_of_range(field, value.size(), limit);
}

std::optional<FrameError> check_hello(const DeviceHello& h) {
  if (auto e = check("hello.serial", h.serial(), kIdentifierBytesMax)) return e;
  if (auto e = check("hello.model", h.model(), kIdentifierBytesMax)) return e;
  if (auto e = check("hello.os_version", h.os_version(), kTextBytesMax)) return e;
  if (auto e = check("hello.agent_version", h.agent_version(), kTextBytesMax, true)) return e;
  if (auto e = check("hello.os_track", h.os_track(), kIdentifierBytesMax, true)) return e;
  if (auto e = check("hello.lan", h.lan(), kIdentifierBytesMax, true)) return e;
  if (auto e = check("hello.region", h.region(), kIdentifierBytesMax, true)) return e;
  if (h.tier() != 1 && h.tier() != 2) {
    return FrameError{FrameErrorCode::kFieldOutOfRange,
                      "hello.tier: " + std::to_string(h.tier()) + ", expected 1 or 2"};
  }
  if (static_cast<std::size_t>(h.hosted_size()) > kHostedDevicesMax) {
    return FrameError{FrameErrorCode::kFieldOutOfRange,
                      "hello.hosted: " + std::to_string(h.hosted_size()) +
                          " devices, expected at most " + std::to_string(kHostedDevicesMax)};
  }
  for (const HostedDevice& d : h.hosted()) {
    if (auto e = check("hello.hosted.serial", d.serial(), kIdentifierBytesMax)) return e;
    if (auto e = check("hello.hosted.model", d.model(), kIdentifierBytesMax)) return e;
    if (auto e = check("hello.hosted.os_version", d.os_version(), kTextBytesMax)) return e;
    if (auto e = check("hello.hosted.os_track", d.os_track(), kIdentifierBytesMax, true)) return e;
  }
  return std::nullopt;
}

std::optional<FrameError> check_report(const DeviceReport& r) {
  if (auto e = check("device_report.serial", r.serial(), kIdentifierBytesMax)) return e;
  switch (r.fact_case()) {
    case DeviceReport::kAppInstalled:
      return check("device_report.app_installed", r.app_installed(), kIdentifierBytesMax);
    case DeviceReport::kLocalAdministratorUsed:
      return std::nullopt;
    case DeviceReport::kOs:
      if (auto e = check("device_report.os.version", r.os().version(), kIdentifierBytesMax)) {
        return e;
      }
      return check("device_report.os.track", r.os().track(), kIdentifierBytesMax);
    case DeviceReport::FACT_NOT_SET:
      break;
  }
  return FrameError{FrameErrorCode::kUnknownBody, "device_report carries no fact this node knows"};
}

// A task's action or outcome: a value its enum names, other than the unspecified zero, which is
// what an absent field reads as. Proto3 enums are open: a number this node's schema does not name
// (a newer sender's) arrives as itself, and is refused too, since this node could not act on it.
std::optional<FrameError> check_task_word(const char* field, int value,
                                          const google::protobuf::EnumDescriptor* type) {
  if (value != 0 && type->FindValueByNumber(value) != nullptr) return std::nullopt;
  return FrameError{FrameErrorCode::kFieldOutOfRange,
                    std::string(field) + ": " + std::to_string(value) +
                        (value == 0 ? " (unspecified)" : " (unknown)") + ", expected a " +
                        type->name() + " the schema names"};
}

std::optional<FrameError> check_parameters(
    const char* field, const google::protobuf::Map<std::string, std::string>& parameters) {
  if (parameters.size() > kTaskParametersMax) {
    return FrameError{FrameErrorCode::kFieldOutOfRange,
                      std::string(field) + ": " + std::to_string(parameters.size()) +
                          " entries, expected at most " + std::to_string(kTaskParametersMax)};
  }
  for (const auto& [key, value] : parameters) {
    if (auto e = check(field, key, kIdentifierBytesMax)) return e;
    if (auto e = check(field, value, kTextBytesMax, true)) return e;
  }
  return std::nullopt;
}

std::optional<FrameError> check_task_update(const TaskUpdate& u) {
  if (auto e = check("task_update.task", u.task(), kIdentifierBytesMax)) return e;
  switch (u.event_case()) {
    case TaskUpdate::kAcknowledged:
    case TaskUpdate::kStarted:
      return std::nullopt;
    case TaskUpdate::kRefused:
      return check("task_update.refused", u.refused(), kTextBytesMax);
    case TaskUpdate::kResult:
      if (auto e = check_task_word("task_update.result.outcome", u.result().outcome(),
                                   TaskOutcome_descriptor())) {
        return e;
      }
      return check("task_update.result.detail", u.result().detail(), kTextBytesMax, true);
    case TaskUpdate::kCreated:
      if (auto e = check("task_update.created.device", u.created().device(), kIdentifierBytesMax)) {
        return e;
      }
      if (auto e = check_task_word("task_update.created.action", u.created().action(),
                                   TaskAction_descriptor())) {
        return e;
      }
      return check_parameters("task_update.created.parameters", u.created().parameters());
    case TaskUpdate::EVENT_NOT_SET:
      break;
  }
  return FrameError{FrameErrorCode::kFieldOutOfRange, "task_update: no event"};
}

std::optional<FrameError> check_offer(const ReleaseOffer& o) {
  if (static_cast<std::size_t>(o.offers_size()) > kDeviceOffersMax) {
    return FrameError{FrameErrorCode::kFieldOutOfRange,
                      "release_offer.offers: " + std::to_string(o.offers_size()) +
                          " entries, expected at most " + std::to_string(kDeviceOffersMax)};
  }
  for (const DeviceOffer& d : o.offers()) {
    if (auto e = check("release_offer.offers.serial", d.serial(), kIdentifierBytesMax)) return e;
    if (auto e = check("release_offer.offers.kind", d.kind(), kIdentifierBytesMax)) return e;
    if (auto e = check("release_offer.offers.version", d.version(), kIdentifierBytesMax)) return e;
  }
  return std::nullopt;
}

std::optional<FrameError> check_telemetry(const Telemetry& t) {
  if (auto e = check("telemetry.serial", t.serial(), kIdentifierBytesMax)) return e;
  if (t.load_permille() > kPermilleMax || t.sd_card_health_permille() > kPermilleMax ||
      t.crashes() > kTelemetryCrashesMax) {
    return FrameError{FrameErrorCode::kFieldOutOfRange,
                      "telemetry: load and SD card health expected in 0..1000 thousandths, "
                      "crashes in 0.." +
                          std::to_string(kTelemetryCrashesMax)};
  }
  return std::nullopt;
}

std::optional<FrameError> check_hello_ack(const HelloAck& a) {
  if (a.reason().size() > kTextBytesMax) {
    return out_of_range("hello_ack.reason", a.reason().size(), kTextBytesMax);
  }
  if (a.retry_after_ms() > kRetryAfterMsMax) {
    return FrameError{FrameErrorCode::kFieldOutOfRange,
                      "hello_ack.retry_after_ms: " + std::to_string(a.retry_after_ms()) +
                          ", expected at most " + std::to_string(kRetryAfterMsMax)};
  }
  return std::nullopt;
}

std::optional<FrameError> check_provision(const Provision& p) {
  for (const auto& [field, value] :
       {std::pair{"provision.serial", &p.serial()},
        std::pair{"provision.organization", &p.organization()},
        std::pair{"provision.profile", &p.profile()}, std::pair{"provision.mode", &p.mode()},
        std::pair{"provision.os_track", &p.os_track()}}) {
    if (auto error = check(field, *value, kIdentifierBytesMax)) return error;
  }
  return std::nullopt;
}

std::optional<FrameError> check_provision_ack(const ProvisionAck& a) {
  if (auto error = check("provision_ack.serial", a.serial(), kIdentifierBytesMax)) return error;
  if (auto error =
          check("provision_ack.os_version", a.os_version(), kIdentifierBytesMax, !a.accepted())) {
    return error;
  }
  if (auto error =
          check("provision_ack.os_track", a.os_track(), kIdentifierBytesMax, !a.accepted())) {
    return error;
  }
  return check("provision_ack.reason", a.reason(), kTextBytesMax, true);
}

std::optional<FrameError> check_task_dispatch(const TaskDispatch& d) {
  if (auto error = check("task_dispatch.task", d.task(), kIdentifierBytesMax)) return error;
  if (auto error = check("task_dispatch.device", d.device(), kIdentifierBytesMax)) return error;
  if (auto error = check_task_word("task_dispatch.action", d.action(), TaskAction_descriptor())) {
    return error;
  }
  return check_parameters("task_dispatch.parameters", d.parameters());
}

std::optional<FrameError> check_signaling(const Signaling& s) {
  if (auto error = check("signaling.serial", s.serial(), kIdentifierBytesMax)) return error;
  return check("signaling.json", s.json(), kSignalingJsonBytesMax);
}

std::optional<FrameError> check_mode_change(const ModeChange& m) {
  if (auto error = check("mode_change.serial", m.serial(), kIdentifierBytesMax)) return error;
  if (auto error = check("mode_change.mode", m.mode(), kIdentifierBytesMax)) return error;
  return check("mode_change.cause", m.cause(), kIdentifierBytesMax);
}

// The first error of the body's fields, if any.
std::optional<FrameError> check_body(const Envelope& e) {
  switch (e.body_case()) {
    case Envelope::kHello:
      return check_hello(e.hello());
    case Envelope::kHelloAck:
      return check_hello_ack(e.hello_ack());
    case Envelope::kRedirect:
      return check("redirect.region", e.redirect().region(), kIdentifierBytesMax);
    case Envelope::kGoodbye:
      return check("goodbye.reason", e.goodbye().reason(), kTextBytesMax, true);
    case Envelope::kProvision:
      return check_provision(e.provision());
    case Envelope::kProvisionAck:
      return check_provision_ack(e.provision_ack());
    case Envelope::kDeviceReport:
      return check_report(e.device_report());
    case Envelope::kModeChange:
      return check_mode_change(e.mode_change());
    case Envelope::kTaskDispatch:
      return check_task_dispatch(e.task_dispatch());
    case Envelope::kTaskCancel:
      return check("task_cancel.task", e.task_cancel().task(), kIdentifierBytesMax);
    case Envelope::kTaskReceipt:
      return check("task_receipt.task", e.task_receipt().task(), kIdentifierBytesMax);
    case Envelope::kTaskUpdate:
      return check_task_update(e.task_update());
    case Envelope::kReleaseOffer:
      return check_offer(e.release_offer());
    case Envelope::kDiagnosticsConsent:
      return check("diagnostics_consent.serial", e.diagnostics_consent().serial(),
                   kIdentifierBytesMax);
    case Envelope::kTelemetry:
      return check_telemetry(e.telemetry());
    case Envelope::kSignaling:
      return check_signaling(e.signaling());
    case Envelope::kReleaseCheck:
    case Envelope::kHeartbeat:
    case Envelope::kHeartbeatAck:
      return std::nullopt;
    case Envelope::BODY_NOT_SET:
      return FrameError{FrameErrorCode::kUnknownBody, "envelope carries no body this node knows"};
  }
  return std::nullopt;
}

std::variant<std::monostate, FrameError> check_fields(const Envelope& e) {
  if (!within(e.source(), kIdentifierBytesMax)) {
    return out_of_range("source", e.source().size(), kIdentifierBytesMax);
  }
  if (!within(e.destination(), kIdentifierBytesMax)) {
    return out_of_range("destination", e.destination().size(), kIdentifierBytesMax);
  }
  if (std::optional<FrameError> error = check_body(e)) return *error;
  return {};
}

}  // namespace

std::string_view frame_error_name(FrameErrorCode code) {
  switch (code) {
    case FrameErrorCode::kOversized:
      return "oversized";
    case FrameErrorCode::kMalformed:
      return "malformed";
    case FrameErrorCode::kUnknownBody:
      return "unknown_body";
    case FrameErrorCode::kFieldOutOfRange:
      return "field_out_of_range";
  }
  return "unknown";
}

std::string encode_frame(const Envelope& envelope) {
  std::string frame;
  const bool ok = envelope.SerializeToString(&frame);
  assert(ok && frame.size() <= kFrameBytesMax);
  (void)ok;
  return frame;
}

std::variant<std::monostate, FrameError> decode_frame(std::string_view frame, Envelope& envelope) {
  if (frame.size() > kFrameBytesMax) {
    return FrameError{FrameErrorCode::kOversized, "frame of " + std::to_string(frame.size()) +
                                                      " bytes, limit " +
                                                      std::to_string(kFrameBytesMax)};
  }
  if (!envelope.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return FrameError{FrameErrorCode::kMalformed, "frame of " + std::to_string(frame.size()) +
                                                      " bytes is not a parseable Envelope"};
  }
  return check_fields(envelope);
}

}  // namespace ccsim::wire

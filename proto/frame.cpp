#include "proto/frame.h"

#include <cassert>

namespace ccsim::wire {
namespace {

FrameError out_of_range(std::string field, std::size_t size, std::size_t limit) {
  return {FrameErrorCode::kFieldOutOfRange,
          field + ": " + std::to_string(size) + " bytes, expected 1 to " + std::to_string(limit)};
}

bool within(const std::string& value, std::size_t limit) {
  return !value.empty() && value.size() <= limit;
}

std::variant<std::monostate, FrameError> check_fields(const Envelope& e) {
  if (!within(e.source(), kIdentifierBytesMax)) {
    return out_of_range("source", e.source().size(), kIdentifierBytesMax);
  }
  if (!within(e.destination(), kIdentifierBytesMax)) {
    return out_of_range("destination", e.destination().size(), kIdentifierBytesMax);
  }
  switch (e.body_case()) {
    case Envelope::kHello: {
      const DeviceHello& h = e.hello();
      if (!within(h.serial(), kIdentifierBytesMax)) {
        return out_of_range("hello.serial", h.serial().size(), kIdentifierBytesMax);
      }
      if (!within(h.model(), kIdentifierBytesMax)) {
        return out_of_range("hello.model", h.model().size(), kIdentifierBytesMax);
      }
      if (!within(h.os_version(), kTextBytesMax)) {
        return out_of_range("hello.os_version", h.os_version().size(), kTextBytesMax);
      }
      if (h.agent_version().size() > kTextBytesMax) {
        return out_of_range("hello.agent_version", h.agent_version().size(), kTextBytesMax);
      }
      if (h.tier() != 1 && h.tier() != 2) {
        return FrameError{FrameErrorCode::kFieldOutOfRange,
                          "hello.tier: " + std::to_string(h.tier()) + ", expected 1 or 2"};
      }
      return {};
    }
    case Envelope::kHelloAck:
      if (e.hello_ack().reason().size() > kTextBytesMax) {
        return out_of_range("hello_ack.reason", e.hello_ack().reason().size(), kTextBytesMax);
      }
      return {};
    case Envelope::kGoodbye:
      if (e.goodbye().reason().size() > kTextBytesMax) {
        return out_of_range("goodbye.reason", e.goodbye().reason().size(), kTextBytesMax);
      }
      return {};
    case Envelope::kHeartbeat:
    case Envelope::kHeartbeatAck:
      return {};
    case Envelope::BODY_NOT_SET:
      break;
  }
  return FrameError{FrameErrorCode::kUnknownBody, "envelope carries no body this node knows"};
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

// Frames: one serialized Envelope per websocket message or simulated message. Decoding never
// throws and never trusts its input: a frame that is too large, does not parse, carries no body
// we know, or breaks a field limit comes back as a FrameError that the receiver counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "proto/ccsim.pb.h"

namespace ccsim::wire {

// Largest frame a node accepts; larger ones are refused before parsing.
inline constexpr std::size_t kFrameBytesMax = 64 * 1024;
// Largest identifier (serial, model, source, destination) accepted in any field.
inline constexpr std::size_t kIdentifierBytesMax = 64;
// Largest free-text field (reasons, versions).
inline constexpr std::size_t kTextBytesMax = 256;
// Largest signaling message (JSON-RPC text) one frame carries; platform/signaling.h keeps its
// own limit below it.
inline constexpr std::size_t kSignalingJsonBytesMax = 48 * 1024;
// Most devices one recorder or edge host declares in its hello.
inline constexpr std::size_t kHostedDevicesMax = 256;
// Most parameters one task carries (key up to kIdentifierBytesMax, value up to kTextBytesMax).
inline constexpr std::size_t kTaskParametersMax = 8;
// A release offer answers for a host and every device it carries.
inline constexpr std::size_t kDeviceOffersMax = kHostedDevicesMax + 1;
// Telemetry: shares in thousandths, and crashes since the previous sample.
inline constexpr std::uint32_t kPermilleMax = 1000;
inline constexpr std::uint32_t kTelemetryCrashesMax = 100'000;
// The longest a busy endpoint may ask a device to wait before its next hello (an hour).
inline constexpr std::uint32_t kRetryAfterMsMax = 3'600'000;

enum class FrameErrorCode : std::uint8_t {
  kOversized,        // more than kFrameBytesMax bytes
  kMalformed,        // not a parseable Envelope
  kUnknownBody,      // parsed, but no body this node understands
  kFieldOutOfRange,  // a field breaks its limit (empty serial, identifier too long, ...)
};

struct FrameError {
  FrameErrorCode code;
  std::string message;  // names the field or the size, for logs and counters
};

// Short stable name of an error code, used as a metric label ("oversized", ...).
std::string_view frame_error_name(FrameErrorCode code);

// Serializes `envelope` into a frame; asserts the result is within kFrameBytesMax, since the
// sender built it and an oversized frame from our own code is a programmer error.
std::string encode_frame(const Envelope& envelope);

// Parses and validates a frame. On success `envelope` holds it and the result is empty.
std::variant<std::monostate, FrameError> decode_frame(std::string_view frame, Envelope& envelope);

}  // namespace ccsim::wire

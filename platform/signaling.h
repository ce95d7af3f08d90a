// WebRTC signaling (white paper 5.1), one service per region, in the message shapes of ONVIF's
// WebRTC profile: JSON-RPC 2.0 between a viewer application and the platform, and between the
// platform and the device over the device's own websocket.
//
//   viewer -> connect {peer: SERIAL}            the platform authorizes the viewer (role in the
//                                               device's group, managed mode, the profile's webrtc
//                                               capability), takes a video-streaming seat, and
//                                               answers {session, iceServers, expiryTimeSeconds};
//                                               the device is told {session, iceServers}
//   viewer -> invite {session, offer}           relayed to the device as a request; the device's
//   device -> {result: {answer}}                answer goes back as the invite's result
//   either -> trickle {session, candidate}      relayed to the other side; a null or empty
//                                               candidate is the end of candidates
//   viewer -> extend {session, expiryTimeSeconds}  pushes the expiry back
//   viewer -> close {session}                   ends the session (a ccsim method: ONVIF ends one
//                                               by closing the websocket, which a simulated viewer
//                                               does not have)
//
// A session ends when closed, when it expires, when its device answers with an error, or when
// its device goes away; its seat is given back and the end is audited with its cause. The ICE
// servers list carries time-limited TURN credentials (platform/turn_credentials.h) named after
// the session, valid until the session's latest possible expiry.
//
// Errors are JSON-RPC error responses: -32700 parse error, -32600 invalid request (not JSON-RPC
// 2.0, too large, too deep), -32601 unknown method, -32602 invalid params, and the service's own
// codes below. A session is found only by the party in it: another viewer's or another device's
// session is "no such session", which tells an outsider nothing. Nothing here throws.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/node.h"
#include "platform/audit_log.h"
#include "platform/device_registry.h"
#include "platform/tenancy.h"
#include "platform/update_window.h"

namespace ccsim::platform {

// What one message may weigh and how deeply it may nest (an SDP offer is a few kilobytes).
inline constexpr std::size_t kSignalingMessageBytesMax = 48 * 1024;  // wire::kSignalingJsonBytesMax
inline constexpr std::size_t kSignalingNestingMax = 8;
// Sessions one region's service holds at once, and candidates each side may trickle into one.
inline constexpr std::size_t kSignalingSessionsMax = 1'000'000;
inline constexpr std::uint32_t kTrickledCandidatesMax = 64;
// A candidate line (RFC 8839 section 5.1) and an SDP body, at most.
inline constexpr std::size_t kCandidateBytesMax = 512;
inline constexpr std::size_t kSdpBytesMax = 32 * 1024;
// A session id ("ses-000001"), at most.
inline constexpr std::size_t kSessionIdBytesMax = 32;
// A session's expiry: given at connect, pushed back by extend, never past the longest lifetime.
inline constexpr std::chrono::seconds kSessionExpiryDefault{300};
inline constexpr std::chrono::seconds kSessionExpiryMax{3600};
inline constexpr std::chrono::seconds kSessionLifetimeMax{24 * 3600};

// The service's own JSON-RPC error codes (the implementation-defined range -32000..-32099).
enum class SignalingError : std::int32_t {
  kParse = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kUnauthorized = -32001,       // the viewer's role or group does not allow live video
  kDeviceUnavailable = -32002,  // not onboarded, connected mode, no webrtc in its profile, gone
  kNoSeat = -32003,             // every video-streaming seat of the organization is in use
  kNoSuchSession = -32004,      // unknown, ended, or another party's
  kSessionState = -32005,       // the message does not fit where the session is
  kCapacity = -32006,           // the region's session table is full
};
inline constexpr std::array<SignalingError, 10> kSignalingErrors = {
    SignalingError::kParse,          SignalingError::kInvalidRequest,
    SignalingError::kMethodNotFound, SignalingError::kInvalidParams,
    SignalingError::kUnauthorized,   SignalingError::kDeviceUnavailable,
    SignalingError::kNoSeat,         SignalingError::kNoSuchSession,
    SignalingError::kSessionState,   SignalingError::kCapacity};
std::string_view signaling_error_name(SignalingError code);  // "parse_error", "no_seat", ...

enum class SessionEnd : std::uint8_t { kClosed, kExpired, kDeviceError, kDeviceGone };
inline constexpr std::size_t kSessionEnds = 4;
std::string_view session_end_name(SessionEnd end);  // "closed", "expired", ...

// A TURN server an organization runs itself (a partner's): its sessions are given it before the
// region's, with time-limited credentials from its own shared secret.
struct PartnerTurn {
  std::string organization;  // the organization's id
  std::string secret;
  std::vector<std::string> urls;
};

struct SignalingConfig {
  std::string region = "default";
  std::string turn_secret;             // shared with the region's TURN servers
  std::vector<std::string> stun_urls;  // "stun:HOST:PORT"
  std::vector<std::string> turn_urls;  // "turn:HOST:PORT?transport=udp", "turns:HOST:443?..."
  std::vector<PartnerTurn> partner_turn;
  std::chrono::seconds expiry = kSessionExpiryDefault;
  RunEpoch epoch{};  // the UTC instant of Time 0: TURN credentials expire in Unix seconds
};

struct SignalingCounters {
  std::uint64_t sessions_opened = 0;
  std::array<std::uint64_t, kSessionEnds> sessions_ended{};     // by SessionEnd
  std::array<std::uint64_t, kSignalingErrors.size()> errors{};  // by kSignalingErrors' order
  std::uint64_t messages_relayed = 0;
  std::uint64_t candidates_relayed = 0;
  std::uint64_t errors_total() const;
  std::uint64_t error_count(SignalingError code) const;
};

// What one message makes the service send: the answer to its sender (empty for a notification
// that needs none) and what goes on to the other side of the session.
struct SignalingOutput {
  std::string reply;
  std::string session;                   // the session the message was about, when known
  std::string serial;                    // and its device
  std::optional<std::string> to_device;  // for the session's device
  std::optional<std::string> to_viewer;  // for the session's viewer
};

struct LiveSession {
  std::string id;
  std::string organization;
  std::string viewer;  // the user who connected
  std::string serial;
  core::Time opened_at{};
  core::Time expires_at{};
  std::optional<std::string> viewer_invite_id;  // the pending invite's id, as JSON text
  bool answered = false;
  std::array<std::uint32_t, 2> candidates{};  // trickled, by side (viewer 0, device 1)
  std::array<bool, 2> candidates_ended{};
};

// A session that ended, with what each side is told.
struct EndedSession {
  LiveSession session;
  SessionEnd cause = SessionEnd::kClosed;
  std::string to_viewer;  // an "error" notification naming the cause
  std::string to_device;
};

class Signaling {
 public:
  Signaling(SignalingConfig config, DeviceRegistry& registry, Tenancy& tenancy, AuditLog& audit);

  // A message from viewer `actor` acting in `organization`.
  SignalingOutput from_viewer(core::Time now, std::string_view actor, std::string_view organization,
                              std::string_view text);
  // A message from device `serial` over its websocket.
  SignalingOutput from_device(core::Time now, std::string_view serial, std::string_view text);
  // Ends every session whose expiry is at or before `now`.
  std::vector<EndedSession> expire(core::Time now);
  // Ends every session of a device that went away.
  std::vector<EndedSession> device_gone(core::Time now, std::string_view serial);
  std::optional<core::Time> next_expiry() const;

  const LiveSession* session(std::string_view id) const;
  std::size_t sessions_open() const { return sessions_.size(); }
  const SignalingCounters& counters() const { return counters_; }
  const SignalingConfig& config() const { return config_; }

 private:
  struct Call;  // a parsed JSON-RPC message (signaling.cpp)

  SignalingOutput connect(core::Time now, const Call& call, std::string_view actor,
                          std::string_view organization);
  SignalingOutput invite(const Call& call, LiveSession& session);
  SignalingOutput trickle(const Call& call, LiveSession& session, int side);
  SignalingOutput extend(core::Time now, const Call& call, LiveSession& session);
  SignalingOutput answer(core::Time now, const Call& call, std::string_view serial);
  SignalingOutput fail(const Call* call, SignalingError code, std::string message);
  EndedSession end(core::Time now, std::string_view id, SessionEnd cause);
  nlohmann::ordered_json ice_servers_of(core::Time now, const LiveSession& session) const;

  SignalingConfig config_;
  DeviceRegistry& registry_;
  Tenancy& tenancy_;
  AuditLog& audit_;
  std::map<std::string, LiveSession, std::less<>> sessions_;
  std::multimap<std::string, std::string, std::less<>> by_device_;  // serial -> session ids
  std::multimap<core::Time, std::string> expiries_;  // may hold stale entries; checked on use
  std::uint64_t next_session_ = 1;
  SignalingCounters counters_;
};

}  // namespace ccsim::platform

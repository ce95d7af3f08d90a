// Time-limited TURN credentials, the shared-secret scheme WebRTC services use with TURN servers
// (coturn's `use-auth-secret`, the "TURN REST API" of draft-uberti-behave-turn-rest): the
// signaling service and the TURN server share a secret; a session's ICE servers list carries the
// username "EXPIRY:NAME" (EXPIRY in seconds since the Unix epoch) and the password
// base64(HMAC-SHA1(secret, username)). The TURN server recomputes the password from the username
// and refuses it once EXPIRY has passed. Nothing is stored per credential.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccsim::platform {

// How long a session's TURN credentials hold by default, and at most.
inline constexpr std::chrono::seconds kTurnCredentialLifetimeDefault = std::chrono::hours(24);
inline constexpr std::chrono::seconds kTurnCredentialLifetimeMax = std::chrono::days(7);
// A name (after the colon) of at most this many bytes, without ':'.
inline constexpr std::size_t kTurnCredentialNameBytesMax = 128;

struct TurnCredential {
  std::string username;  // "EXPIRY:NAME"
  std::string password;  // base64 of the HMAC-SHA1 of the username under the shared secret
  std::uint64_t expires_at_s = 0;
};

// The credential of `name` for `lifetime` from `now_s` (seconds since the Unix epoch, the
// platform's clock). `name` must be 1..kTurnCredentialNameBytesMax bytes without ':'; `lifetime`
// in (0, kTurnCredentialLifetimeMax].
TurnCredential issue_turn_credential(std::string_view secret, std::string_view name,
                                     std::uint64_t now_s, std::chrono::seconds lifetime);

// The password the TURN server expects for `username`.
std::string turn_password(std::string_view secret, std::string_view username);

// Whether the TURN server accepts (`username`, `password`) at `now_s`: the password matches and
// the username's expiry has not passed. Nullopt for a username not of the form "EXPIRY:NAME".
std::optional<bool> turn_credential_valid(std::string_view secret, std::string_view username,
                                          std::string_view password, std::uint64_t now_s);

}  // namespace ccsim::platform

// Time-limited TURN credentials against an independent HMAC: the passwords below were computed
// with Python's hmac and base64 modules, not with this code.
#include "platform/turn_credentials.h"

#include <gtest/gtest.h>

#include <string>

namespace ccsim::platform {
namespace {

constexpr std::uint64_t kNewYear2026 = 1767225600;  // 2026-01-01T00:00:00Z

TEST(TurnCredentials, TheUsernameCarriesTheExpiryAndThePasswordItsHmac) {
  const TurnCredential c = issue_turn_credential("north-secret", "viewer-7", kNewYear2026 - 86400,
                                                 std::chrono::hours(24));
  EXPECT_EQ(c.username, "1767225600:viewer-7");
  EXPECT_EQ(c.password, "9r0a6rrkjMiUkclbman662thhYE=");
  EXPECT_EQ(c.expires_at_s, kNewYear2026);
}

TEST(TurnCredentials, PasswordsMatchAnIndependentHmacSha1) {
  EXPECT_EQ(turn_password("", "1:a"), "kFK7z8ZlzXK80GS+3mm1BBi8WFQ=");
  // A secret longer than SHA-1's 64-byte block is hashed first (RFC 2104).
  EXPECT_EQ(turn_password(std::string(80, 'k'), "1767312000:CAM-0001"),
            "1E0BxdluP/9HlPt6WRoRR9NqA+Y=");
}

TEST(TurnCredentials, TheServerAcceptsUntilTheExpiryAndRefusesAnyChange) {
  const std::string secret = "north-secret";
  const TurnCredential c =
      issue_turn_credential(secret, "viewer-7", kNewYear2026 - 60, std::chrono::seconds(60));
  EXPECT_EQ(turn_credential_valid(secret, c.username, c.password, kNewYear2026 - 1), true);
  EXPECT_EQ(turn_credential_valid(secret, c.username, c.password, kNewYear2026), true);
  EXPECT_EQ(turn_credential_valid(secret, c.username, c.password, kNewYear2026 + 1), false);
  // Another expiry in the username (a user stretching their credential) changes the password.
  EXPECT_EQ(turn_credential_valid(secret, "1999999999:viewer-7", c.password, kNewYear2026), false);
  EXPECT_EQ(turn_credential_valid("south-secret", c.username, c.password, kNewYear2026), false);
  EXPECT_EQ(turn_credential_valid(secret, c.username, c.password.substr(1), kNewYear2026), false);
  EXPECT_EQ(turn_credential_valid(secret, "viewer-7", c.password, kNewYear2026), std::nullopt);
  EXPECT_EQ(turn_credential_valid(secret, "soon:viewer-7", c.password, kNewYear2026), std::nullopt);
}

}  // namespace
}  // namespace ccsim::platform

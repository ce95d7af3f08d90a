// Owner authentication keys: the format, the salted hash and its check, and the per-serial
// claim lockout with its bounded memory.
#include "platform/owner_key.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random_stream.h"

namespace ccsim::platform {
namespace {

using core::Time;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kOak = "ABCD-EF12-3456-7890";
constexpr std::string_view kWrongOak = "ZZZZ-0000-1111-2222";
constexpr std::string_view kSerial = "ACCC8E000001";
constexpr std::uint64_t kSeed = 7;

OwnerKeyHash hash_with_seed(std::string_view oak, std::uint64_t seed) {
  core::RandomStream random(seed, core::kPlatformStream);
  return hash_owner_key(oak, random);
}

// Shared across tests: PBKDF2 is deliberately slow, so hash each key once.
const OwnerKeyHash& stored_hash() {
  static const OwnerKeyHash hash = hash_with_seed(kOak, kSeed);
  return hash;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(OwnerKeyHash, NeverContainsTheKey) {
  const OwnerKeyHash& hash = stored_hash();
  EXPECT_EQ(hash.salt.size(), kOwnerKeySaltBytes);
  EXPECT_EQ(hash.digest.size(), kOwnerKeyDigestBytes);
  EXPECT_EQ(hash.iterations, kOwnerKeyIterations);
  for (const std::string& field : {hash.salt, hash.digest, hash.salt + hash.digest}) {
    EXPECT_FALSE(contains(field, kOak));
    EXPECT_FALSE(contains(field, kOak.substr(0, 4)));  // not even one group
  }
}

TEST(OwnerKeyHash, SameSeedSameHashOtherSeedOtherSalt) {
  const OwnerKeyHash again = hash_with_seed(kOak, kSeed);
  EXPECT_EQ(again.salt, stored_hash().salt);
  EXPECT_EQ(again.digest, stored_hash().digest);

  const OwnerKeyHash other = hash_with_seed(kOak, kSeed + 1);
  EXPECT_NE(other.salt, stored_hash().salt);
  EXPECT_NE(other.digest, stored_hash().digest);  // same key, other salt: unrelated digests
  EXPECT_TRUE(owner_key_matches(kOak, other));
}

TEST(OwnerKeyHash, SuccessiveHashesFromOneStreamGetFreshSalts) {
  core::RandomStream random(kSeed, core::kPlatformStream);
  const OwnerKeyHash first = hash_owner_key(kOak, random);
  const OwnerKeyHash second = hash_owner_key(kOak, random);
  EXPECT_NE(first.salt, second.salt);
}

TEST(OwnerKeyMatches, RightKeyMatchesWrongKeysDoNot) {
  EXPECT_TRUE(owner_key_matches(kOak, stored_hash()));
  EXPECT_FALSE(owner_key_matches(kWrongOak, stored_hash()));
  EXPECT_FALSE(owner_key_matches("ABCD-EF12-3456-7891", stored_hash()));  // last char differs
  EXPECT_FALSE(owner_key_matches("BBCD-EF12-3456-7890", stored_hash()));  // first char differs
  EXPECT_FALSE(owner_key_matches("", stored_hash()));
  EXPECT_FALSE(owner_key_matches(std::string(kOwnerKeyInputBytesMax + 1, 'A'), stored_hash()));
}

TEST(OwnerKeyMatches, TamperedHashDoesNotMatch) {
  OwnerKeyHash salt_changed = stored_hash();
  salt_changed.salt[0] = static_cast<char>(salt_changed.salt[0] ^ 1);
  EXPECT_FALSE(owner_key_matches(kOak, salt_changed));
  OwnerKeyHash digest_changed = stored_hash();
  digest_changed.digest.back() = static_cast<char>(digest_changed.digest.back() ^ 1);
  EXPECT_FALSE(owner_key_matches(kOak, digest_changed));
  OwnerKeyHash rounds_changed = stored_hash();
  rounds_changed.iterations += 1;
  EXPECT_FALSE(owner_key_matches(kOak, rounds_changed));
}

TEST(OwnerKeyValidate, AcceptsTheFactoryFormat) {
  EXPECT_TRUE(validate_owner_key(kOak).ok());
  EXPECT_TRUE(validate_owner_key("0000-0000-0000-0000").ok());
  EXPECT_TRUE(validate_owner_key("ZZZZ-ZZZZ-ZZZZ-ZZZZ").ok());
}

TEST(OwnerKeyValidate, GeneratedKeysHaveTheFormatAndFollowTheSeed) {
  core::RandomStream random(kSeed, core::kPlatformStream);
  core::RandomStream same(kSeed, core::kPlatformStream);
  core::RandomStream other(kSeed + 1, core::kPlatformStream);
  const std::string oak = generate_owner_key(random);
  EXPECT_TRUE(validate_owner_key(oak).ok()) << oak;
  EXPECT_EQ(oak, generate_owner_key(same));
  EXPECT_NE(oak, generate_owner_key(other));
  EXPECT_NE(oak, generate_owner_key(random));
}

struct MalformedCase {
  std::string oak;
  std::string problem;  // a part of the message that names what is wrong
};

TEST(OwnerKeyValidate, RejectsEachMalformedShapeNamingTheProblem) {
  const std::vector<MalformedCase> cases = {
      {"", "is empty"},
      {std::string(kOwnerKeyInputBytesMax + 1, 'A'), "65 bytes, more than the 64 accepted"},
      {"ABCD-EF12-3456", "is 14 characters; it must be 19"},        // a group missing
      {"ABCD-EF12-3456-78901", "is 20 characters; it must be 19"},  // a group too long
      {"ABCDEF12-3456-7890X", "needs '-' at character 5"},          // separator missing
      {"ABCD_EF12-3456-7890", "needs '-' at character 5"},          // wrong separator
      {"ABC-DEF12-3456-7890", "has '-' at character 4"},            // a group too short
      {"ABCD-EF12-3456-789a", "lower-case letter at character 19"},
      {"ABCD-EF 2-3456-7890", "other than A-Z or 0-9 at character 8"},
      {"ABCD-EF12-34\xC3\xA9-7890", "other than A-Z or 0-9 at character 13"},  // UTF-8 é
  };
  for (const MalformedCase& c : cases) {
    const Result<Done> result = validate_owner_key(c.oak);
    ASSERT_FALSE(result.ok()) << c.oak;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << c.oak;
    EXPECT_TRUE(contains(result.error().message, c.problem))
        << c.oak << " -> " << result.error().message;
    EXPECT_TRUE(contains(result.error().message, "owner authentication key"));
    if (!c.oak.empty()) {
      EXPECT_FALSE(contains(result.error().message, c.oak)) << result.error().message;
    }
  }
}

// Drives one ClaimGuard through a timeline of claims.
class OwnerKeyClaimTest : public ::testing::Test {
 protected:
  Result<Done> claim(Time at, std::string_view oak, std::string_view serial = kSerial) {
    return guard_.check_claim(at, serial, oak, stored_hash());
  }
  void wrong_times(Time at, std::uint32_t count, std::string_view serial = kSerial) {
    for (std::uint32_t i = 0; i < count; ++i) {
      const Result<Done> result = claim(at, kWrongOak, serial);
      ASSERT_FALSE(result.ok());
      ASSERT_EQ(result.error().code, ErrorCode::kPermissionDenied) << result.error().message;
    }
  }

  ClaimGuard guard_;
};

TEST_F(OwnerKeyClaimTest, WrongKeyIsDeniedNamingTheSerial) {
  const Result<Done> result = claim(Time{0}, kWrongOak);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(result.error().message, "wrong owner authentication key for ACCC8E000001");
  EXPECT_TRUE(claim(Time{0}, kOak).ok());
}

TEST_F(OwnerKeyClaimTest, MalformedKeyIsInvalidAndNotCounted) {
  for (int i = 0; i < 10; ++i) {
    const Result<Done> result = claim(Time{0}, "abcd-ef12-3456-7890");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(guard_.serials_tracked(), 0U);
  EXPECT_TRUE(claim(Time{0}, kOak).ok());
}

TEST_F(OwnerKeyClaimTest, FourWrongThenRightIsOkAndResetsTheCount) {
  wrong_times(Time{0}, 4);
  EXPECT_TRUE(claim(seconds(1), kOak).ok());
  EXPECT_EQ(guard_.serials_tracked(), 0U);
  wrong_times(seconds(2), 4);  // four more: still not locked, the count started again
  EXPECT_FALSE(guard_.locked_until(seconds(2), kSerial));
  EXPECT_TRUE(claim(seconds(3), kOak).ok());
}

TEST_F(OwnerKeyClaimTest, FiveWrongLockEvenTheRightKeyUntilTheLockoutEnds) {
  const Time start = minutes(10);
  wrong_times(start, 4);
  const Result<Done> fifth = claim(start, kWrongOak);
  ASSERT_FALSE(fifth.ok());
  EXPECT_EQ(fifth.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(fifth.error().message, "locked until t=2400s")) << fifth.error().message;

  const Time lock_end = start + minutes(30);
  EXPECT_EQ(guard_.locked_until(start, kSerial), lock_end);
  const Result<Done> refused = claim(lock_end - seconds(1), kOak);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kLocked);
  EXPECT_EQ(refused.error().message, "claiming ACCC8E000001 is locked until t=2400s");

  EXPECT_FALSE(guard_.locked_until(lock_end, kSerial));
  EXPECT_TRUE(claim(lock_end, kOak).ok());  // expired by time alone
  EXPECT_EQ(guard_.serials_tracked(), 0U);
}

TEST_F(OwnerKeyClaimTest, AfterALockExpiresWrongKeysCountFromZero) {
  wrong_times(Time{0}, 5);
  const Time lock_end = minutes(30);
  wrong_times(lock_end, 4);
  EXPECT_FALSE(guard_.locked_until(lock_end, kSerial));
  wrong_times(lock_end, 1);
  EXPECT_EQ(guard_.locked_until(lock_end, kSerial), lock_end + minutes(30));
}

TEST_F(OwnerKeyClaimTest, LockTimeInTheMessageKeepsMicroseconds) {
  wrong_times(Time{1'500'250}, 5);
  const Result<Done> refused = claim(Time{1'500'250}, kOak);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "until t=1801.500250s")) << refused.error().message;
}

TEST_F(OwnerKeyClaimTest, WrongAttemptsOlderThanTheWindowDoNotCount) {
  wrong_times(Time{0}, 2);
  wrong_times(minutes(10), 2);
  // At 15 min the first two have left the window: two more make four, not six.
  wrong_times(minutes(15), 2);
  EXPECT_FALSE(guard_.locked_until(minutes(15), kSerial));
  // The fifth within 15 minutes of the ones at 10 min locks.
  wrong_times(minutes(15), 1);
  EXPECT_EQ(guard_.locked_until(minutes(15), kSerial), minutes(45));
}

TEST_F(OwnerKeyClaimTest, WrongAttemptsAreForgottenWhenTheWindowPasses) {
  wrong_times(Time{0}, 4);
  EXPECT_EQ(guard_.serials_tracked(), 1U);
  wrong_times(minutes(15), 4);  // the first four no longer count
  EXPECT_FALSE(guard_.locked_until(minutes(15), kSerial));
  EXPECT_TRUE(claim(minutes(16), kOak).ok());
}

TEST_F(OwnerKeyClaimTest, SerialsAreLockedIndependently) {
  constexpr std::string_view kOther = "ACCC8E000002";
  wrong_times(Time{0}, 5);
  EXPECT_TRUE(guard_.locked_until(Time{0}, kSerial));
  EXPECT_FALSE(guard_.locked_until(Time{0}, kOther));
  EXPECT_TRUE(claim(seconds(1), kOak, kOther).ok());
  wrong_times(seconds(1), 4, kOther);
  EXPECT_FALSE(guard_.locked_until(seconds(1), kOther));
  EXPECT_EQ(claim(seconds(1), kOak).error().code, ErrorCode::kLocked);
}

TEST(OwnerKeyClaimPolicy, CustomLimitsApply) {
  ClaimGuard guard({.wrong_attempts_max = 2,
                    .window = minutes(1),
                    .lockout = minutes(5),
                    .serials_tracked_max = 10});
  EXPECT_FALSE(guard.check_claim(Time{0}, kSerial, kWrongOak, stored_hash()).ok());
  const Result<Done> second = guard.check_claim(Time{0}, kSerial, kWrongOak, stored_hash());
  EXPECT_TRUE(contains(second.error().message, "locked until t=300s")) << second.error().message;
  EXPECT_EQ(guard.check_claim(minutes(4), kSerial, kOak, stored_hash()).error().code,
            ErrorCode::kLocked);
  EXPECT_TRUE(guard.check_claim(minutes(5), kSerial, kOak, stored_hash()).ok());
}

class OwnerKeyClaimLimitTest : public ::testing::Test {
 protected:
  static constexpr std::string_view kA = "SERIAL-A";
  static constexpr std::string_view kB = "SERIAL-B";
  static constexpr std::string_view kC = "SERIAL-C";

  Result<Done> claim(Time at, std::string_view serial, std::string_view oak) {
    return guard_.check_claim(at, serial, oak, stored_hash());
  }

  ClaimGuard guard_{{.serials_tracked_max = 2}};
};

TEST_F(OwnerKeyClaimLimitTest, AtTheLimitTheOldestExpiredSerialIsForgotten) {
  EXPECT_FALSE(claim(Time{0}, kA, kWrongOak).ok());
  EXPECT_FALSE(claim(minutes(1), kB, kWrongOak).ok());
  ASSERT_EQ(guard_.serials_tracked(), 2U);
  // At 15.5 min A's attempt has expired and B's has not: C takes A's place.
  const Time now = minutes(15) + seconds(30);
  const Result<Done> c = claim(now, kC, kWrongOak);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(guard_.serials_tracked(), 2U);
  // B's attempt is still remembered: four more lock it.
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(claim(now, kB, kWrongOak).ok());
  EXPECT_EQ(guard_.locked_until(now, kB), now + minutes(30));
}

TEST_F(OwnerKeyClaimLimitTest, FullOfLiveSerialsRefusesNewSerialsBeforeCheckingTheKey) {
  EXPECT_FALSE(claim(Time{0}, kA, kWrongOak).ok());
  EXPECT_FALSE(claim(Time{0}, kB, kWrongOak).ok());
  for (std::string_view oak : {kWrongOak, kOak}) {  // fail closed: not even the right key
    const Result<Done> c = claim(minutes(1), kC, oak);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ErrorCode::kResourceExhausted);
    EXPECT_TRUE(contains(c.error().message, "claiming SERIAL-C refused: 2 serials"))
        << c.error().message;
  }
  EXPECT_EQ(guard_.serials_tracked(), 2U);
  // Remembered serials are still served, and a right key frees room.
  EXPECT_TRUE(claim(minutes(1), kA, kOak).ok());
  EXPECT_EQ(guard_.serials_tracked(), 1U);
  EXPECT_TRUE(claim(minutes(1), kC, kOak).ok());
  EXPECT_EQ(guard_.serials_tracked(), 1U);  // a right key needs no memory
}

TEST_F(OwnerKeyClaimLimitTest, LockedSerialsAreKeptUntilTheirLockEnds) {
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(claim(Time{0}, kA, kWrongOak).ok());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(claim(Time{0}, kB, kWrongOak).ok());
  // Past the window but inside the lockout: nothing may be forgotten.
  EXPECT_EQ(claim(minutes(20), kC, kWrongOak).error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(claim(minutes(20), kA, kOak).error().code, ErrorCode::kLocked);
  // At the end of the lockout both are forgettable; C is remembered in the place of one.
  EXPECT_EQ(claim(minutes(30), kC, kWrongOak).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(guard_.serials_tracked(), 2U);
  EXPECT_TRUE(claim(minutes(30), kB, kOak).ok());
}

}  // namespace
}  // namespace ccsim::platform

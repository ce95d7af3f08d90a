// Owner authentication keys (OAKs): the secret printed on a device's box that proves, together
// with its serial, that whoever claims the device for an organization holds it. This unit has
// the primitives onboarding builds on: the OAK's format, its salted hash, the check of a claimed
// key against that hash, and a per-serial lockout of repeated wrong keys.
//
// Threats addressed:
// - A stolen registry does not reveal OAKs: only a random salt and a PBKDF2-HMAC-SHA256 digest
//   are stored, never the key, so neither a lookup table nor one digest serves two devices.
// - No timing oracle: a well-formed key is always hashed in full and the digests compared in
//   constant time (CRYPTO_memcmp), so the time taken says nothing about how much of it matched.
// - Guessing is rate-limited per serial: after `wrong_attempts_max` wrong keys within `window`,
//   claiming that serial is refused for `lockout`, even with the right key, so a guess costs the
//   attacker time however fast they can send requests.
//
// Sans-IO: salts come from an injected core::RandomStream and time from each call, so a seed
// reproduces every hash and every lockout.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "platform/service_result.h"

namespace ccsim::platform {

// A factory OAK: 4 groups of 4 upper-case letters or digits separated by '-', e.g.
// "ABCD-EF12-3456-7890": 16 symbols of 36, about 82 bits when drawn uniformly.
inline constexpr std::size_t kOwnerKeyGroups = 4;
inline constexpr std::size_t kOwnerKeyGroupChars = 4;
inline constexpr std::size_t kOwnerKeyChars =
    kOwnerKeyGroups * kOwnerKeyGroupChars + (kOwnerKeyGroups - 1);
// Input longer than this is refused as oversized before anything else looks at it.
inline constexpr std::size_t kOwnerKeyInputBytesMax = 64;

inline constexpr std::size_t kOwnerKeySaltBytes = 16;
inline constexpr std::size_t kOwnerKeyDigestBytes = 32;  // SHA-256
// PBKDF2 rounds for new hashes. Low on purpose: an OAK is a random 82-bit secret, not a
// password, so guessing it from a stolen hash is out of reach without stretching, and the salt
// keeps equal keys apart; the rounds are defence in depth. The simulator hashes and checks the
// OAKs of fleets of 100,000 devices, and at 10,000 rounds that cost 4 ms a device here (7
// minutes a fleet); at 100 it costs 40 µs. A deployment hashing passwords would use OWASP's
// figure for PBKDF2-HMAC-SHA256 (600,000). The count is stored with each hash, so changing it
// later leaves existing hashes verifiable.
inline constexpr std::uint32_t kOwnerKeyIterations = 100;
// Most rounds a stored hash may ask for, so a corrupt record cannot stall a check for minutes.
inline constexpr std::uint32_t kOwnerKeyIterationsMax = 10'000'000;

// What the registry keeps of an OAK: never the key itself. `salt` and `digest` are raw bytes.
struct OwnerKeyHash {
  std::string salt;
  std::string digest;
  std::uint32_t iterations = 0;
};

// Ok when `oak` has the factory format; otherwise kInvalidArgument with a message that names
// what is wrong (never quoting the key, since messages reach logs).
Result<Done> validate_owner_key(std::string_view oak);

// A new factory OAK drawn from `random`. (SplitMix64 is not a cryptographic generator: fine for
// simulated devices; a real factory draws from one.)
std::string generate_owner_key(core::RandomStream& random);

// Salts and hashes a well-formed OAK (asserted) with kOwnerKeyIterations rounds, drawing the
// salt from `random`.
OwnerKeyHash hash_owner_key(std::string_view oak, core::RandomStream& random);

// True when `oak` is the key `stored` was made from. Constant time in the key's content; input
// over kOwnerKeyInputBytesMax is false without being hashed.
bool owner_key_matches(std::string_view oak, const OwnerKeyHash& stored);

// How ClaimGuard rate-limits wrong keys.
struct ClaimLockoutPolicy {
  std::uint32_t wrong_attempts_max = 5;  // wrong keys within `window` that lock a serial
  core::Duration window = std::chrono::minutes(15);
  core::Duration lockout = std::chrono::minutes(30);
  // Serials with wrong attempts or a lock remembered at once; about 250 bytes each.
  std::size_t serials_tracked_max = 100'000;
};

// Per-serial lockout of claims with wrong OAKs. Only serials with a recent wrong key or a lock
// in force are remembered; a right key forgets the serial's wrong attempts, and locks and
// wrong attempts expire by time alone, judged at each call's `now`.
//
// At `serials_tracked_max`, remembering a new serial first forgets the serial whose memory
// expired longest ago. If no remembered serial has expired, claims of serials not remembered are
// refused with kResourceExhausted before their key is checked, until one expires: this fails
// closed, so an attacker who fills the table gets no unmetered guesses, at the price of blocking
// first claims elsewhere for at most `window` or `lockout` after their last wrong key. Serials
// already remembered are checked as usual.
class ClaimGuard {
 public:
  static constexpr std::uint32_t kWrongAttemptsMaxCeiling = 1'000;
  static constexpr std::size_t kSerialsTrackedMaxCeiling = 10'000'000;
  static constexpr core::Duration kPeriodMax = std::chrono::hours(24 * 366);
  static constexpr std::size_t kSerialBytesMax = 64;

  explicit ClaimGuard(ClaimLockoutPolicy policy = {});

  // Checks a claim of `serial` with `oak` against the serial's `stored` hash at `now`, which
  // never goes back between calls. kLocked while the serial is locked; kInvalidArgument for a
  // malformed key (not counted: it cannot match a factory OAK); kPermissionDenied for a wrong
  // key (counted); kResourceExhausted as described above.
  Result<Done> check_claim(core::Time now, std::string_view serial, std::string_view oak,
                           const OwnerKeyHash& stored);

  // When claiming `serial` stops being refused, if it is locked at `now`.
  std::optional<core::Time> locked_until(core::Time now, std::string_view serial) const;

  std::size_t serials_tracked() const { return entries_.size(); }
  const ClaimLockoutPolicy& policy() const { return policy_; }

 private:
  struct Entry {
    std::vector<core::Time> wrong_at;  // ascending, all within `window` of the last call
    std::optional<core::Time> locked_until;
  };
  using Entries = std::map<std::string, Entry, std::less<>>;
  // (when an entry stops mattering, its serial); keys point into entries_, whose nodes are
  // stable, and ties order by serial so that eviction never depends on addresses.
  using ExpiryKey = std::pair<core::Time, const std::string*>;
  struct ExpiryOrder {
    bool operator()(const ExpiryKey& a, const ExpiryKey& b) const {
      if (a.first != b.first) return a.first < b.first;
      return *a.second < *b.second;
    }
  };

  core::Time expires_at(const Entry& entry) const;
  Entries::iterator refresh(core::Time now, Entries::iterator it);
  void forget(Entries::iterator it);
  bool forget_oldest_expired(core::Time now);
  std::optional<core::Time> record_wrong_attempt(core::Time now, std::string_view serial);

  ClaimLockoutPolicy policy_;
  Entries entries_;
  std::set<ExpiryKey, ExpiryOrder> expiry_;
  core::Time latest_now_{};
};

}  // namespace ccsim::platform

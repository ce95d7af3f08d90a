#include "platform/owner_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <string>

#include "core/time_text.h"

namespace ccsim::platform {
namespace {

constexpr std::string_view kOwnerKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr char kOwnerKeySeparator = '-';
constexpr std::string_view kOwnerKeyShape =
    "4 groups of 4 upper-case letters or digits separated by '-' (XXXX-XXXX-XXXX-XXXX)";

bool is_separator_position(std::size_t index) {
  return (index + 1) % (kOwnerKeyGroupChars + 1) == 0;
}

bool is_key_symbol(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

ServiceError malformed(std::string detail) {
  return error(ErrorCode::kInvalidArgument, "owner authentication key " + std::move(detail));
}

using core::time_text;

std::string pbkdf2_digest(std::string_view oak, std::string_view salt, std::uint32_t iterations) {
  assert(oak.size() <= kOwnerKeyInputBytesMax);
  assert(salt.size() == kOwnerKeySaltBytes);
  assert(iterations > 0 && iterations <= kOwnerKeyIterationsMax);
  std::string digest(kOwnerKeyDigestBytes, '\0');
  const int done = PKCS5_PBKDF2_HMAC(
      oak.data(), static_cast<int>(oak.size()), reinterpret_cast<const unsigned char*>(salt.data()),
      static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
      static_cast<int>(digest.size()), reinterpret_cast<unsigned char*>(digest.data()));
  assert(done == 1);  // fails only on allocation failure or bad arguments
  (void)done;
  return digest;
}

}  // namespace

Result<Done> validate_owner_key(std::string_view oak) {
  if (oak.empty()) return malformed("is empty");
  if (oak.size() > kOwnerKeyInputBytesMax) {
    return malformed("is " + std::to_string(oak.size()) + " bytes, more than the " +
                     std::to_string(kOwnerKeyInputBytesMax) + " accepted");
  }
  if (oak.size() != kOwnerKeyChars) {
    return malformed("is " + std::to_string(oak.size()) + " characters; it must be " +
                     std::to_string(kOwnerKeyChars) + ": " + std::string(kOwnerKeyShape));
  }
  for (std::size_t i = 0; i < oak.size(); ++i) {
    const char c = oak[i];
    const std::string where = "character " + std::to_string(i + 1);
    if (is_separator_position(i)) {
      if (c != kOwnerKeySeparator) return malformed("needs '-' at " + where + " between groups");
    } else if (c == kOwnerKeySeparator) {
      return malformed("has '-' at " + where + "; each group has 4 letters or digits");
    } else if (c >= 'a' && c <= 'z') {
      return malformed("has a lower-case letter at " + where + "; OAKs are upper case");
    } else if (!is_key_symbol(c)) {
      return malformed("has a character other than A-Z or 0-9 at " + where);
    }
  }
  return Done{};
}

std::string generate_owner_key(core::RandomStream& random) {
  std::string oak;
  oak.reserve(kOwnerKeyChars);
  for (std::size_t i = 0; i < kOwnerKeyChars; ++i) {
    oak += is_separator_position(i)
               ? kOwnerKeySeparator
               : kOwnerKeyAlphabet[random.next_below(kOwnerKeyAlphabet.size())];
  }
  assert(validate_owner_key(oak).ok());
  return oak;
}

OwnerKeyHash hash_owner_key(std::string_view oak, core::RandomStream& random) {
  assert(validate_owner_key(oak).ok());
  constexpr std::size_t kBitsPerByte = 8;
  std::string salt;
  salt.reserve(kOwnerKeySaltBytes);
  while (salt.size() < kOwnerKeySaltBytes) {
    const std::uint64_t draw = random.next_u64();
    for (std::size_t b = 0; b < sizeof(draw) && salt.size() < kOwnerKeySaltBytes; ++b) {
      salt += static_cast<char>((draw >> (b * kBitsPerByte)) & 0xffU);  // little-endian
    }
  }
  OwnerKeyHash hash{salt, pbkdf2_digest(oak, salt, kOwnerKeyIterations), kOwnerKeyIterations};
  assert(hash.digest.size() == kOwnerKeyDigestBytes);
  return hash;
}

bool owner_key_matches(std::string_view oak, const OwnerKeyHash& stored) {
  assert(stored.digest.size() == kOwnerKeyDigestBytes);
  if (oak.size() > kOwnerKeyInputBytesMax) return false;
  const std::string digest = pbkdf2_digest(oak, stored.salt, stored.iterations);
  return CRYPTO_memcmp(digest.data(), stored.digest.data(), kOwnerKeyDigestBytes) == 0;
}

ClaimGuard::ClaimGuard(ClaimLockoutPolicy policy) : policy_(policy) {
  assert(policy_.wrong_attempts_max >= 1);
  assert(policy_.wrong_attempts_max <= kWrongAttemptsMaxCeiling);
  assert(policy_.window > core::Duration::zero() && policy_.window <= kPeriodMax);
  assert(policy_.lockout > core::Duration::zero() && policy_.lockout <= kPeriodMax);
  assert(policy_.serials_tracked_max >= 1);
  assert(policy_.serials_tracked_max <= kSerialsTrackedMaxCeiling);
}

Result<Done> ClaimGuard::check_claim(core::Time now, std::string_view serial, std::string_view oak,
                                     const OwnerKeyHash& stored) {
  assert(!serial.empty() && serial.size() <= kSerialBytesMax);
  assert(now >= latest_now_);
  latest_now_ = now;

  auto it = entries_.find(serial);
  if (it != entries_.end()) it = refresh(now, it);
  const bool tracked = it != entries_.end();
  if (tracked && it->second.locked_until) {
    return error(ErrorCode::kLocked, "claiming " + std::string(serial) + " is locked until " +
                                         time_text(*it->second.locked_until));
  }
  if (!tracked && entries_.size() >= policy_.serials_tracked_max && !forget_oldest_expired(now)) {
    return error(ErrorCode::kResourceExhausted,
                 "claiming " + std::string(serial) +
                     " refused: " + std::to_string(policy_.serials_tracked_max) +
                     " serials already have recent wrong owner authentication keys; retry later");
  }
  if (auto valid = validate_owner_key(oak); !valid.ok()) return valid;

  if (owner_key_matches(oak, stored)) {
    if (tracked) forget(it);
    return Done{};
  }
  std::string message = "wrong owner authentication key for " + std::string(serial);
  if (const auto locked = record_wrong_attempt(now, serial)) {
    message += "; claiming it is locked until " + time_text(*locked);
  }
  assert(entries_.size() <= policy_.serials_tracked_max);
  assert(entries_.size() == expiry_.size());
  return error(ErrorCode::kPermissionDenied, std::move(message));
}

std::optional<core::Time> ClaimGuard::locked_until(core::Time now, std::string_view serial) const {
  const auto it = entries_.find(serial);
  if (it == entries_.end() || !it->second.locked_until) return std::nullopt;
  if (now >= *it->second.locked_until) return std::nullopt;
  return it->second.locked_until;
}

core::Time ClaimGuard::expires_at(const Entry& entry) const {
  if (entry.locked_until) return *entry.locked_until;
  assert(!entry.wrong_at.empty());
  return entry.wrong_at.back() + policy_.window;
}

// Drops what `now` has made irrelevant; forgets the entry, returning end(), if nothing is left.
ClaimGuard::Entries::iterator ClaimGuard::refresh(core::Time now, Entries::iterator it) {
  if (now >= expires_at(it->second)) {
    forget(it);
    return entries_.end();
  }
  // Still relevant, so the latest wrong attempt (or the lock) stays and the expiry is unchanged.
  auto& wrong_at = it->second.wrong_at;
  const auto first_recent = std::find_if(wrong_at.begin(), wrong_at.end(),
                                         [&](core::Time at) { return now - at < policy_.window; });
  wrong_at.erase(wrong_at.begin(), first_recent);
  return it;
}

void ClaimGuard::forget(Entries::iterator it) {
  const std::size_t erased = expiry_.erase({expires_at(it->second), &it->first});
  assert(erased == 1);
  (void)erased;
  entries_.erase(it);
}

bool ClaimGuard::forget_oldest_expired(core::Time now) {
  if (expiry_.empty() || expiry_.begin()->first > now) return false;
  const auto it = entries_.find(*expiry_.begin()->second);
  assert(it != entries_.end());
  forget(it);
  return true;
}

// Counts a wrong key for `serial` (room for it is ensured); returns the lock's end if it locks.
std::optional<core::Time> ClaimGuard::record_wrong_attempt(core::Time now,
                                                           std::string_view serial) {
  auto [it, inserted] = entries_.try_emplace(std::string(serial));
  Entry& entry = it->second;
  assert(!entry.locked_until);
  if (!inserted) expiry_.erase({expires_at(entry), &it->first});
  entry.wrong_at.push_back(now);
  if (entry.wrong_at.size() >= policy_.wrong_attempts_max) {
    entry.wrong_at.clear();
    entry.locked_until = now + policy_.lockout;
  }
  expiry_.insert({expires_at(entry), &it->first});
  return entry.locked_until;
}

}  // namespace ccsim::platform

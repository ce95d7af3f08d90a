// The identity store: the only place the platform keeps personal data (a person's e-mail address
// and display name), keyed by an opaque UserId. Every other service (tenancy, audit log,
// devices) refers to people by UserId alone, so erasing a person here is enough to forget who
// they were: their UserId lives on in organizations' records and audit trails, but nothing maps
// it back to a person any more.
//
// E-mail addresses compare case-insensitively (ASCII), as every large provider treats them; the
// address is kept as given. Quoted local parts and address literals are not accepted.
//
// Also here: the numbered identifiers the platform hands out ("user-000001", "org-000001"...),
// drawn from counters so a run is reproducible, and the e-mail digest by which other services
// recognise an address without holding it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "platform/service_result.h"

namespace ccsim::platform {

// An opaque user identifier, "user-NNNNNN".
using UserId = std::string;

inline constexpr std::size_t kEmailBytesMax = 254;  // RFC 5321 path limit less the brackets
inline constexpr std::size_t kEmailLocalPartBytesMax = 64;
inline constexpr std::size_t kEmailDomainLabelBytesMax = 63;
inline constexpr std::size_t kDisplayNameBytesMax = 128;

// Numbered identifiers: a prefix, '-', and exactly kNumberedIdDigits decimal digits, serials
// from 1 to kNumberedIdSerialMax. Past that, whatever hands them out refuses to make more.
inline constexpr std::size_t kNumberedIdDigits = 6;
inline constexpr std::uint32_t kNumberedIdSerialMax = 999'999;
// Longest prefix a numbered identifier may have; bounds what a malformed id echoes back.
inline constexpr std::size_t kNumberedIdPrefixBytesMax = 16;
inline constexpr std::string_view kUserIdPrefix = "user";

// Users registered at once; bounded by the identifier space.
inline constexpr std::size_t kIdentityUsersMax = kNumberedIdSerialMax;

// "prefix-000042" for serial 42 (1..kNumberedIdSerialMax).
std::string numbered_id(std::string_view prefix, std::uint32_t serial);

// kInvalidArgument naming `field` unless `value` is "prefix-" and kNumberedIdDigits digits.
std::optional<ServiceError> check_numbered_id(std::string_view field, std::string_view prefix,
                                              std::string_view value);

// kInvalidArgument naming `field` unless `email` is an address of the accepted shape
// (local@domain, dot-atom local part of 1..64 bytes, two or more DNS labels, <= 254 bytes).
// The message never quotes the address: it is personal data, and messages reach logs.
std::optional<ServiceError> check_email(std::string_view field, std::string_view email);

// Hex SHA-256 of the lower-cased address: lets a service (an invitation) recognise an address
// later without storing it. Only for well-formed addresses (asserted).
std::string email_digest(std::string_view email);

struct PersonalData {
  std::string email;
  std::string display_name;
};

struct IdentityStoreLimits {
  std::size_t users_max = kIdentityUsersMax;  // 1..kIdentityUsersMax
};

class IdentityStore {
 public:
  explicit IdentityStore(IdentityStoreLimits limits = {});

  // A new user with this address and name. kAlreadyExists when the address (in any case) is
  // registered; kInvalidArgument for a malformed address or a display name that is empty, over
  // kDisplayNameBytesMax or holds control characters; kResourceExhausted past users_max or when
  // identifiers run out (erased users' identifiers are never reused).
  Result<UserId> register_user(std::string_view email, std::string_view display_name);

  // The user registered with this address (in any case); kNotFound when there is none.
  Result<UserId> find_by_email(std::string_view email) const;

  // kNotFound for an unknown or erased user.
  Result<PersonalData> personal_data_of(std::string_view user) const;

  // Forgets the user's personal data for good; the address may be registered again, under a
  // new UserId. kNotFound for an unknown or already erased user.
  Result<Done> erase_user(std::string_view user);

  // True when `user` is registered and not erased.
  bool contains(std::string_view user) const;
  std::size_t size() const { return users_.size(); }

 private:
  IdentityStoreLimits limits_;
  std::map<UserId, PersonalData, std::less<>> users_;
  std::map<std::string, UserId, std::less<>> user_by_email_;  // key: lower-cased address
  std::uint32_t last_serial_ = 0;
};

}  // namespace ccsim::platform

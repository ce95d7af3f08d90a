#include "platform/identity_store.h"

#include "core/digest.h"

#include <algorithm>
#include <cassert>

namespace ccsim::platform {

namespace {

using core::sha256_hex;
// RFC 5322 atext: what an unquoted local part may hold besides letters, digits and dots.
constexpr std::string_view kEmailLocalSymbols = "!#$%&'*+/=?^_`{|}~-";

bool ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), ascii_lower);
  return lowered;
}

ServiceError invalid(std::string_view field, std::string_view what) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": " + std::string(what));
}

bool local_part_character(char c) {
  return ascii_letter(c) || ascii_digit(c) || c == '.' ||
         kEmailLocalSymbols.find(c) != std::string_view::npos;
}

std::optional<ServiceError> check_local_part(std::string_view field, std::string_view local) {
  if (local.empty() || local.size() > kEmailLocalPartBytesMax) {
    return invalid(field, "the part before '@' must be 1.." +
                              std::to_string(kEmailLocalPartBytesMax) + " bytes");
  }
  if (!std::all_of(local.begin(), local.end(), local_part_character)) {
    return invalid(field, "the part before '@' holds a character an address may not hold");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return invalid(field, "the part before '@' has a misplaced '.'");
  }
  return std::nullopt;
}

bool domain_label_valid(std::string_view label) {
  if (label.empty() || label.size() > kEmailDomainLabelBytesMax) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return ascii_letter(c) || ascii_digit(c) || c == '-'; });
}

std::optional<ServiceError> check_domain(std::string_view field, std::string_view domain) {
  std::size_t labels = 0;
  std::string_view rest = domain;
  std::string_view last_label;
  while (true) {
    const std::size_t dot = rest.find('.');
    last_label = rest.substr(0, dot);
    if (!domain_label_valid(last_label)) {
      return invalid(field, "the domain must be dot-separated labels of 1.." +
                                std::to_string(kEmailDomainLabelBytesMax) +
                                " letters, digits or inner '-'");
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  // A top-level domain is never all digits; this also refuses bare IPv4 addresses.
  if (labels < 2 || std::all_of(last_label.begin(), last_label.end(), ascii_digit)) {
    return invalid(field, "the domain needs a name and a top-level domain");
  }
  return std::nullopt;
}

std::optional<ServiceError> check_display_name(std::string_view name) {
  if (name.empty() || name.size() > kDisplayNameBytesMax) {
    return error(ErrorCode::kInvalidArgument, "display_name: must be 1.." +
                                                  std::to_string(kDisplayNameBytesMax) +
                                                  " bytes, got " + std::to_string(name.size()));
  }
  const bool control = std::any_of(name.begin(), name.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
  if (control) return invalid("display_name", "holds a control character");
  return std::nullopt;
}

}  // namespace

std::string numbered_id(std::string_view prefix, std::uint32_t serial) {
  assert(!prefix.empty() && prefix.size() <= kNumberedIdPrefixBytesMax);
  assert(serial >= 1 && serial <= kNumberedIdSerialMax);
  const std::string digits = std::to_string(serial);
  assert(digits.size() <= kNumberedIdDigits);
  std::string id(prefix);
  id.append("-").append(kNumberedIdDigits - digits.size(), '0').append(digits);
  return id;
}

std::optional<ServiceError> check_numbered_id(std::string_view field, std::string_view prefix,
                                              std::string_view value) {
  assert(!prefix.empty() && prefix.size() <= kNumberedIdPrefixBytesMax);
  const std::size_t expected_bytes = prefix.size() + 1 + kNumberedIdDigits;
  const std::string expected_shape =
      std::string(prefix) + "-" + std::string(kNumberedIdDigits, 'N');
  if (value.size() != expected_bytes) {
    return error(ErrorCode::kInvalidArgument,
                 std::string(field) + ": must be " + std::to_string(expected_bytes) + " bytes (" +
                     expected_shape + "), got " + std::to_string(value.size()));
  }
  const std::string_view digits = value.substr(prefix.size() + 1);
  if (!value.starts_with(prefix) || value[prefix.size()] != '-' ||
      !std::all_of(digits.begin(), digits.end(), ascii_digit)) {
    // Same length as a valid id, so quoting it cannot flood a log.
    return error(ErrorCode::kInvalidArgument, std::string(field) + ": '" + std::string(value) +
                                                  "' is not of the form " + expected_shape);
  }
  return std::nullopt;
}

std::optional<ServiceError> check_email(std::string_view field, std::string_view email) {
  if (email.empty() || email.size() > kEmailBytesMax) {
    return error(ErrorCode::kInvalidArgument, std::string(field) + ": must be 1.." +
                                                  std::to_string(kEmailBytesMax) + " bytes, got " +
                                                  std::to_string(email.size()));
  }
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return invalid(field, "an address holds exactly one '@'");
  }
  if (auto e = check_local_part(field, email.substr(0, at))) return e;
  return check_domain(field, email.substr(at + 1));
}

std::string email_digest(std::string_view email) {
  assert(!check_email("email", email));
  return sha256_hex(lower_case(email));
}

IdentityStore::IdentityStore(IdentityStoreLimits limits) : limits_(limits) {
  assert(limits_.users_max >= 1 && limits_.users_max <= kIdentityUsersMax);
}

Result<UserId> IdentityStore::register_user(std::string_view email, std::string_view display_name) {
  if (auto e = check_email("email", email)) return *e;
  if (auto e = check_display_name(display_name)) return *e;
  std::string key = lower_case(email);
  if (user_by_email_.contains(key)) {
    return error(ErrorCode::kAlreadyExists, "email: already registered to a user");
  }
  if (users_.size() >= limits_.users_max) {
    return error(ErrorCode::kResourceExhausted,
                 "identity store holds " + std::to_string(limits_.users_max) + " users, the most");
  }
  if (last_serial_ >= kNumberedIdSerialMax) {
    return error(ErrorCode::kResourceExhausted, "user identifiers exhausted");
  }
  UserId user = numbered_id(kUserIdPrefix, ++last_serial_);
  users_.emplace(user, PersonalData{std::string(email), std::string(display_name)});
  user_by_email_.emplace(std::move(key), user);
  assert(users_.size() == user_by_email_.size());
  return user;
}

Result<UserId> IdentityStore::find_by_email(std::string_view email) const {
  if (auto e = check_email("email", email)) return *e;
  const auto found = user_by_email_.find(lower_case(email));
  if (found == user_by_email_.end()) {
    return error(ErrorCode::kNotFound, "email: no user registered with this address");
  }
  return found->second;
}

Result<PersonalData> IdentityStore::personal_data_of(std::string_view user) const {
  if (auto e = check_numbered_id("user", kUserIdPrefix, user)) return *e;
  const auto found = users_.find(user);
  if (found == users_.end()) {
    return error(ErrorCode::kNotFound, "user: " + std::string(user) + " not found");
  }
  return found->second;
}

Result<Done> IdentityStore::erase_user(std::string_view user) {
  if (auto e = check_numbered_id("user", kUserIdPrefix, user)) return *e;
  const auto found = users_.find(user);
  if (found == users_.end()) {
    return error(ErrorCode::kNotFound, "user: " + std::string(user) + " not found");
  }
  const std::size_t erased = user_by_email_.erase(lower_case(found->second.email));
  assert(erased == 1);
  (void)erased;
  users_.erase(found);
  assert(users_.size() == user_by_email_.size());
  return Done{};
}

bool IdentityStore::contains(std::string_view user) const {
  return users_.find(user) != users_.end();
}

}  // namespace ccsim::platform

#include "platform/turn_credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cassert>
#include <charconv>
#include <vector>

namespace ccsim::platform {

std::string turn_password(std::string_view secret, std::string_view username) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const unsigned char* made = HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
                                   reinterpret_cast<const unsigned char*>(username.data()),
                                   username.size(), digest, &length);
  assert(made != nullptr && length == 20);
  (void)made;
  std::vector<unsigned char> text(4 * ((length + 2) / 3) + 1);
  const int written = EVP_EncodeBlock(text.data(), digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(written));
}

TurnCredential issue_turn_credential(std::string_view secret, std::string_view name,
                                     std::uint64_t now_s, std::chrono::seconds lifetime) {
  assert(!name.empty() && name.size() <= kTurnCredentialNameBytesMax);
  assert(name.find(':') == std::string_view::npos);
  assert(lifetime.count() > 0 && lifetime <= kTurnCredentialLifetimeMax);
  TurnCredential credential;
  credential.expires_at_s = now_s + static_cast<std::uint64_t>(lifetime.count());
  credential.username = std::to_string(credential.expires_at_s) + ":" + std::string(name);
  credential.password = turn_password(secret, credential.username);
  return credential;
}

std::optional<bool> turn_credential_valid(std::string_view secret, std::string_view username,
                                          std::string_view password, std::uint64_t now_s) {
  const std::size_t colon = username.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::uint64_t expiry = 0;
  const char* first = username.data();
  const auto [end, error] = std::from_chars(first, first + colon, expiry);
  if (error != std::errc{} || end != first + colon) return std::nullopt;
  // Compare every byte whatever the first difference, so the time taken says nothing.
  const std::string expected = turn_password(secret, username);
  unsigned char differs = expected.size() == password.size() ? 0 : 1;
  for (std::size_t i = 0; i < std::min(expected.size(), password.size()); ++i) {
    differs |= static_cast<unsigned char>(expected[i] ^ password[i]);
  }
  return differs == 0 && now_s <= expiry;
}

}  // namespace ccsim::platform

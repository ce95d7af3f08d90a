#include "core/digest.h"

#include <openssl/evp.h>

#include <cassert>

namespace ccsim::core {

std::string sha256(std::string_view data) {
  std::string digest(kSha256Bytes, '\0');
  unsigned int size = 0;
  const int done =
      EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
                 EVP_sha256(), nullptr);
  assert(done == 1 && size == kSha256Bytes);
  (void)done;
  return digest;
}

std::string hex(std::string_view bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string text;
  text.reserve(2 * bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    text += kDigits[byte >> 4U];
    text += kDigits[byte & 0xfU];
  }
  return text;
}

std::string sha256_hex(std::string_view data) {
  return hex(sha256(data));
}

}  // namespace ccsim::core

#include "core/trace.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ccsim::core {

Trace::Trace() : digest_(EVP_MD_CTX_new()) {
  if (digest_ == nullptr || EVP_DigestInit_ex(digest_, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("trace: OpenSSL could not start a SHA-256 digest");
  }
}

Trace::~Trace() {
  EVP_MD_CTX_free(digest_);
}

void Trace::put(const void* data, std::size_t size) {
  assert(size <= kBufferBytes);
  if (used_ + size > kBufferBytes) flush();
  std::memcpy(buffer_.data() + used_, data, size);
  used_ += size;
}

void Trace::flush() {
  if (used_ == 0) return;
  EVP_DigestUpdate(digest_, buffer_.data(), used_);
  used_ = 0;
}

void Trace::record(Time at, TraceEvent event, std::uint64_t node, std::uint64_t a,
                   std::uint64_t b) {
  assert(!finished_);
  struct Record {
    std::int64_t at_us;
    std::uint64_t node, a, b;
    std::uint8_t event;
  };
  // Packed by hand so padding bytes (which are indeterminate) never reach the hash.
  unsigned char bytes[8 * 4 + 1];
  const Record r{at.count(), node, a, b, static_cast<std::uint8_t>(event)};
  std::memcpy(bytes, &r.at_us, 8);
  std::memcpy(bytes + 8, &r.node, 8);
  std::memcpy(bytes + 16, &r.a, 8);
  std::memcpy(bytes + 24, &r.b, 8);
  bytes[32] = r.event;
  put(bytes, sizeof bytes);
  ++events_;
}

void Trace::record_text(Time at, TraceEvent event, std::string_view text) {
  constexpr std::size_t kTextBytesMax = 1024;
  record(at, event, 0, text.size());
  put(text.data(), std::min(text.size(), kTextBytesMax));
}

std::string Trace::finish() {
  assert(!finished_);
  flush();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(digest_, md, &length);
  finished_ = true;
  std::string hex;
  hex.reserve(2 * length);
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", md[i]);
    hex += pair;
  }
  return hex;
}

}  // namespace ccsim::core

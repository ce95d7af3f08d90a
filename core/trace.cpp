#include "core/trace.h"

#include "core/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cassert>
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

namespace {
// Little-endian whatever the host, so a seed's trace hash is the same on every machine.
void put_le64(unsigned char* to, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) to[i] = static_cast<unsigned char>(value >> (8 * i));
}
}  // namespace

void Trace::record(Time at, TraceEvent event, std::uint64_t node, std::uint64_t a,
                   std::uint64_t b) {
  assert(!finished_);
  unsigned char bytes[8 * 4 + 1];
  put_le64(bytes, static_cast<std::uint64_t>(at.count()));
  put_le64(bytes + 8, node);
  put_le64(bytes + 16, a);
  put_le64(bytes + 24, b);
  bytes[32] = static_cast<unsigned char>(event);
  put(bytes, sizeof bytes);
  ++events_;
}

void Trace::record_frame(Time at, TraceEvent event, std::uint64_t node, std::uint64_t a,
                         std::string_view frame) {
  record(at, event, node, a, frame.size());
  put_all(frame);
}

void Trace::record_text(Time at, TraceEvent event, std::string_view text) {
  record(at, event, 0, text.size());
  put_all(text);
}

void Trace::put_all(std::string_view text) {
  while (!text.empty()) {  // in pieces, since put() takes at most a buffer's worth
    const std::size_t piece = std::min(text.size(), kBufferBytes);
    put(text.data(), piece);
    text.remove_prefix(piece);
  }
}

std::string Trace::finish() {
  assert(!finished_);
  flush();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(digest_, md, &length);
  finished_ = true;
  return hex(std::string_view(reinterpret_cast<const char*>(md), length));
}

}  // namespace ccsim::core

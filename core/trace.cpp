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

constexpr std::size_t kVarintBytesMax = 10;  // a 64-bit value in 7-bit groups

// LEB128: seven bits a byte, least significant first, the top bit set on every byte but the
// last. The same bytes on every machine, and small values (most of a trace's) in one or two.
unsigned char* put_varint(unsigned char* to, std::uint64_t value) {
  while (value >= 0x80) {
    *to++ = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  *to++ = static_cast<unsigned char>(value);
  return to;
}

}  // namespace

// The event first, then its four values: each record delimits itself, so no two different logs
// give the same bytes.
void Trace::record(Time at, TraceEvent event, std::uint64_t node, std::uint64_t a,
                   std::uint64_t b) {
  assert(!finished_);
  unsigned char bytes[1 + 4 * kVarintBytesMax];
  unsigned char* end = bytes;
  *end++ = static_cast<unsigned char>(event);
  end = put_varint(end, static_cast<std::uint64_t>(at.count()));
  end = put_varint(end, node);
  end = put_varint(end, a);
  end = put_varint(end, b);
  put(bytes, static_cast<std::size_t>(end - bytes));
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

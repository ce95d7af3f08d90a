// SHA-256 and hex, the two digests the platform keeps (audit chains, code and e-mail digests,
// the trace). One place so every unit hashes the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ccsim::core {

inline constexpr std::size_t kSha256Bytes = 32;

// The 32 raw bytes of SHA-256(data).
std::string sha256(std::string_view data);
// Lower-case hex of `bytes`, two digits a byte.
std::string hex(std::string_view bytes);
// hex(sha256(data)): 64 characters.
std::string sha256_hex(std::string_view data);

}  // namespace ccsim::core

// What every ccsim command shares on its command line: the exit codes, the error bad input throws
// (its message names the option, the value and what was expected), and how a whole number is read
// from an argument.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace ccsim::tools {

constexpr int kExitPassed = 0;
constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInternalError = 3;  // a bug in ccsim, not in its input
// --swarm: only liveness checks failed (the fleet did not converge after the faults healed);
// every safety check held.
constexpr int kExitLiveness = 4;

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `text` as a whole number in [0, UINT64_MAX]: digits only (no sign, no space, no suffix);
// nullopt otherwise.
inline std::optional<std::uint64_t> read_whole_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  try {
    return std::stoull(text);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

}  // namespace ccsim::tools

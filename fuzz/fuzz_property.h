// What the fuzz targets share: a property that must hold for every input.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ccsim::fuzz {

// Aborts with `what` unless `condition`: libFuzzer then saves the input that broke it. `target`
// names the fuzzer in the message.
inline void require(bool condition, const char* target, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "%s: property broken: %s\n", target, what);
  std::abort();
}

}  // namespace ccsim::fuzz

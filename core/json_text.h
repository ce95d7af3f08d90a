// Looking at JSON text before parsing it: how deeply its objects and arrays nest, counted
// lexically, so that a hostile request is refused before a parser builds it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace ccsim::core {

// The deepest nesting of objects and arrays in `text`; stops counting past `stop_after`.
inline std::size_t json_nesting_depth(std::string_view text, std::size_t stop_after) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_after) break;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace ccsim::core

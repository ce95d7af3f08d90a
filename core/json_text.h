// JSON text from outside: how deeply its objects and arrays nest, counted lexically so that a
// hostile request is refused before a parser builds it; and a parse that refuses a key repeated
// within one object (parsers disagree on which value wins, so a repeated key could mean one
// thing to a proxy and another here).
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

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

struct StrictJson {
  nlohmann::json value;
  std::string error;                        // why the text is not JSON; empty when it parsed
  std::optional<std::string> repeated_key;  // the first key repeated within one object
};

// Parses `text`; never throws.
inline StrictJson parse_json_strict(std::string_view text) {
  using Json = nlohmann::json;
  StrictJson result;
  std::vector<std::set<std::string, std::less<>>> open_objects;
  const Json::parser_callback_t callback = [&](int /*depth*/, Json::parse_event_t event,
                                               Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      assert(!open_objects.empty());
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key) {
      assert(!open_objects.empty() && parsed.is_string());
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && !result.repeated_key) {
        result.repeated_key = key;
      }
    }
    return true;
  };
  try {
    result.value = Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::parse_error& e) {
    result.error = "not JSON (syntax error at byte " + std::to_string(e.byte) + ")";
  } catch (const Json::out_of_range&) {
    result.error = "not JSON (a number overflows)";
  } catch (const Json::exception&) {
    result.error = "not JSON";
  }
  return result;
}

}  // namespace ccsim::core

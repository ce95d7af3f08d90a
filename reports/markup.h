// Text for the reports' XML and HTML, and numbers and durations as people read them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ccsim::reports {

// Escapes &<>"' and drops characters illegal in XML 1.0; bytes that are not UTF-8 become U+FFFD.
// In an attribute, tab and line breaks are written as references so parsers keep them.
std::string escape(std::string_view text, bool attribute = false);
// ` name="value"`, the value escaped.
std::string attribute(std::string_view name, std::string_view value);
// printf's `pattern` with one double.
std::string format(const char* pattern, double value);
std::string with_thousands(std::uint64_t value);
// Numbers for people: "1,234,567", "22,803.6", "42.125", "1e-05".
std::string format_metric(double value);
// Human durations: "0.42 s", "12.30 s", "5m 07s", "3h 05m", "8d 0h".
std::string format_duration(double seconds);

}  // namespace ccsim::reports

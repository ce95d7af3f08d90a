#include "reports/markup.h"

#include <cmath>
#include <cstdio>

namespace ccsim::reports {
namespace {

struct CodePoint {
  char32_t value = 0;
  std::size_t bytes = 0;  // 0: not a valid UTF-8 sequence
};

CodePoint decode_utf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1Fu;
    minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0Fu;
    minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07u;
    minimum = 0x10000;
  }
  if (length == 0 || at + length > text.size()) return {};
  for (std::size_t index = at + 1; index < at + length; ++index) {
    if ((byte(index) & 0xC0u) != 0x80u) return {};
    value = (value << 6) | (byte(index) & 0x3Fu);
  }
  const bool surrogate = value >= 0xD800 && value <= 0xDFFF;
  if (value < minimum || value > 0x10FFFF || surrogate) return {};
  return {value, length};
}

// The characters XML 1.0 allows (https://www.w3.org/TR/xml/#charsets); HTML is given the same.
bool is_markup_legal(char32_t value) {
  return value == 0x9 || value == 0xA || value == 0xD || (value >= 0x20 && value <= 0xD7FF) ||
         (value >= 0xE000 && value <= 0xFFFD) || (value >= 0x10000 && value <= 0x10FFFF);
}

}  // namespace

std::string escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t at = 0; at < text.size();) {
    const CodePoint code_point = decode_utf8(text, at);
    if (code_point.bytes == 0) {
      out += "\xEF\xBF\xBD";
      at += 1;
      continue;
    }
    const std::string_view raw = text.substr(at, code_point.bytes);
    at += code_point.bytes;
    if (!is_markup_legal(code_point.value)) continue;
    switch (code_point.value) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out += raw;
    }
  }
  return out;
}

std::string attribute(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + escape(value, true) + "\"";
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string with_thousands(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t at = 0; at < digits.size(); ++at) {
    if (at > 0 && (digits.size() - at) % 3 == 0) out += ',';
    out += digits[at];
  }
  return out;
}

std::string format_metric(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const double magnitude = std::fabs(value);
  if (magnitude < 1000 || magnitude >= 1e15) return format("%.6g", value);
  const std::string fixed = format("%.2f", magnitude);
  const std::size_t dot = fixed.find('.');
  std::string fraction = fixed.substr(dot + 1);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string text = with_thousands(std::stoull(fixed.substr(0, dot)));
  if (!fraction.empty()) text += "." + fraction;
  return value < 0 ? "-" + text : text;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 60) return format("%.2f s", seconds);
  const auto total = static_cast<std::uint64_t>(std::llround(seconds));
  const std::uint64_t days = total / 86400, hours = total / 3600 % 24;
  const std::uint64_t minutes = total / 60 % 60, rest = total % 60;
  char buffer[64];
  if (days > 0) {
    std::snprintf(buffer, sizeof buffer, "%llud %lluh", static_cast<unsigned long long>(days),
                  static_cast<unsigned long long>(hours));
  } else if (hours > 0) {
    std::snprintf(buffer, sizeof buffer, "%lluh %02llum", static_cast<unsigned long long>(hours),
                  static_cast<unsigned long long>(minutes));
  } else {
    std::snprintf(buffer, sizeof buffer, "%llum %02llus", static_cast<unsigned long long>(minutes),
                  static_cast<unsigned long long>(rest));
  }
  return buffer;
}

}  // namespace ccsim::reports

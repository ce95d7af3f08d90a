#include "core/os_version.h"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace ccsim::core {
namespace {

std::optional<std::uint32_t> version_part(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > kOsVersionPartMax) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string OsVersion::text() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<OsVersion> parse_os_version(std::string_view text) {
  if (text.size() > kOsVersionCharsMax) return std::nullopt;
  const std::size_t first = text.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = text.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto major = version_part(text.substr(0, first));
  const auto minor = version_part(text.substr(first + 1, second - first - 1));
  const auto patch = version_part(text.substr(second + 1));  // a third '.' fails here
  if (!major || !minor || !patch) return std::nullopt;
  return OsVersion{*major, *minor, *patch};
}

std::string_view track_of(const OsVersion& version, std::span<const LtsTrack> table) {
  for (const LtsTrack& track : table) {
    if (track.major == version.major && track.minor == version.minor) return track.name;
  }
  return kActiveTrack;
}

bool is_known_track(std::string_view name, std::span<const LtsTrack> table) {
  return name == kActiveTrack ||
         std::any_of(table.begin(), table.end(), [&](const LtsTrack& t) { return t.name == name; });
}

}  // namespace ccsim::core

// OS versions ("11.11.120") and the release tracks they belong to. Shared by the devices, which
// run a version, and the platform, which publishes releases and decides which one a device should
// run; neither library depends on the other, so the rules live here.
//
// Tracks follow the public habit the white paper leaves out (ARCHITECTURE.md): the active track
// ships every 2-3 months and only its latest version is supported; an LTS track starts every two
// years, lives about five, and is the major.minor line named in kLtsTracks. Every version outside
// that table is on the active track (kActiveTrack); whether it is still supported is the release
// catalog's business, not this unit's.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ccsim::core {

// "11.11.120": three decimal parts, no sign, no leading zero, each at most kOsVersionPartMax.
inline constexpr std::uint32_t kOsVersionPartMax = 99'999;
inline constexpr std::size_t kOsVersionCharsMax = 17;  // "99999.99999.99999"

struct OsVersion {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::uint32_t patch = 0;

  std::string text() const;  // "11.11.120"
  friend auto operator<=>(const OsVersion&, const OsVersion&) = default;
};

// Nullopt for anything but the exact form above.
std::optional<OsVersion> parse_os_version(std::string_view text);

inline constexpr std::string_view kActiveTrack = "active";

// One LTS track: the major.minor line it follows, its name, and the years it is supported.
struct LtsTrack {
  std::uint32_t major;
  std::uint32_t minor;
  std::string_view name;
  std::uint32_t first_year;
  std::uint32_t last_year;  // about five years after the first
};

// The LTS lines the platform knows, oldest first. A new LTS adds a row here; nothing else
// changes. Source: ARCHITECTURE.md, "Where the white paper is silent".
inline constexpr std::array<LtsTrack, 2> kLtsTracks = {{
    {10, 12, "lts-2022", 2022, 2027},
    {11, 11, "lts-2024", 2024, 2029},
}};

// The track `version` belongs to: the LTS whose major.minor it has in `table`, else kActiveTrack.
std::string_view track_of(const OsVersion& version, std::span<const LtsTrack> table = kLtsTracks);
// Whether `name` is kActiveTrack or a track of `table`.
bool is_known_track(std::string_view name, std::span<const LtsTrack> table = kLtsTracks);

}  // namespace ccsim::core

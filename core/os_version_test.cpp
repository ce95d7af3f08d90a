// OS versions and tracks: the exact text form and its bounds, numeric order, and the LTS table
// as data.
#include "core/os_version.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

namespace ccsim::core {
namespace {

OsVersion v(std::uint32_t major, std::uint32_t minor, std::uint32_t patch) {
  return OsVersion{major, minor, patch};
}

TEST(OsVersion, ParsesThreeParts) {
  EXPECT_EQ(parse_os_version("11.11.120"), v(11, 11, 120));
  EXPECT_EQ(parse_os_version("0.0.0"), v(0, 0, 0));
  EXPECT_EQ(parse_os_version("99999.99999.99999"), v(99999, 99999, 99999));
  EXPECT_EQ(v(11, 11, 120).text(), "11.11.120");
  for (const char* bad : {"", "11", "11.11", "11.11.", ".11.1", "11..1", "11.11.1.1", "11.11.x",
                          "+1.2.3", "-1.2.3", "1.2.3 ", " 1.2.3", "01.2.3", "1.02.3", "1.2.03",
                          "100000.1.1", "1.2.99999999999", "11 11 0", "1.2.3\n"}) {
    EXPECT_FALSE(parse_os_version(bad)) << "'" << bad << "'";
  }
}

TEST(OsVersion, OrdersByParts) {
  EXPECT_LT(v(10, 12, 300), v(11, 11, 0));
  EXPECT_LT(v(11, 11, 9), v(11, 11, 10));  // numerically, not as text
  EXPECT_LT(v(11, 9, 0), v(11, 11, 0));
  EXPECT_EQ(v(12, 1, 0), v(12, 1, 0));
}

TEST(Tracks, MapsLtsLinesAndEverythingElseToActive) {
  EXPECT_EQ(track_of(v(10, 12, 0)), "lts-2022");
  EXPECT_EQ(track_of(v(10, 12, 512)), "lts-2022");
  EXPECT_EQ(track_of(v(11, 11, 120)), "lts-2024");
  EXPECT_EQ(track_of(v(12, 0, 0)), kActiveTrack);
  EXPECT_EQ(track_of(v(12, 3, 7)), "active");
  EXPECT_EQ(track_of(v(11, 12, 0)), "active");  // same major, not the LTS minor
  EXPECT_EQ(track_of(v(10, 11, 0)), "active");
  EXPECT_TRUE(is_known_track("lts-2024"));
  EXPECT_TRUE(is_known_track("active"));
  EXPECT_FALSE(is_known_track("lts-2023"));
  // The table is data: a new LTS is one more row.
  const std::array<LtsTrack, 1> next = {{{12, 11, "lts-2026", 2026, 2031}}};
  EXPECT_EQ(track_of(v(12, 11, 4), next), "lts-2026");
  EXPECT_EQ(track_of(v(11, 11, 4), next), "active");
  EXPECT_TRUE(is_known_track("lts-2026", next));
  for (const LtsTrack& track : kLtsTracks) {
    EXPECT_EQ(track.last_year - track.first_year, 5u) << track.name;
    EXPECT_EQ(track.name, "lts-" + std::to_string(track.first_year));
  }
}

}  // namespace
}  // namespace ccsim::core

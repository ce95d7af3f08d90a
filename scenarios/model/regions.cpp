#include "scenarios/model/regions.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <numeric>

namespace ccsim::scenarios {
namespace {

using std::chrono::milliseconds;

struct RoundTrip {
  std::string_view a, b;
  int ms;
};

// Approximate public round trips between the large clouds' regions in those places (eu-west:
// Ireland, eu-central: Frankfurt, us-east: Virginia, us-west: Oregon, ap-south: Mumbai,
// ap-southeast: Singapore, ap-northeast: Tokyo, sa-east: Sao Paulo), rounded to 5 ms.
constexpr std::array<RoundTrip, 28> kRoundTrips = {{
    {"eu-west", "eu-central", 25},       {"eu-west", "us-east", 70},
    {"eu-west", "us-west", 130},         {"eu-west", "ap-south", 120},
    {"eu-west", "ap-southeast", 175},    {"eu-west", "ap-northeast", 210},
    {"eu-west", "sa-east", 180},         {"eu-central", "us-east", 90},
    {"eu-central", "us-west", 145},      {"eu-central", "ap-south", 110},
    {"eu-central", "ap-southeast", 160}, {"eu-central", "ap-northeast", 225},
    {"eu-central", "sa-east", 200},      {"us-east", "us-west", 65},
    {"us-east", "ap-south", 190},        {"us-east", "ap-southeast", 215},
    {"us-east", "ap-northeast", 150},    {"us-east", "sa-east", 115},
    {"us-west", "ap-south", 220},        {"us-west", "ap-southeast", 170},
    {"us-west", "ap-northeast", 105},    {"us-west", "sa-east", 175},
    {"ap-south", "ap-southeast", 60},    {"ap-south", "ap-northeast", 125},
    {"ap-south", "sa-east", 300},        {"ap-southeast", "ap-northeast", 70},
    {"ap-southeast", "sa-east", 325},    {"ap-northeast", "sa-east", 255},
}};

}  // namespace

std::optional<Duration> public_region_latency(std::string_view a, std::string_view b) {
  for (const RoundTrip& trip : kRoundTrips) {
    if ((trip.a == a && trip.b == b) || (trip.a == b && trip.b == a)) {
      return std::chrono::duration_cast<Duration>(milliseconds(trip.ms)) / 2;
    }
  }
  return std::nullopt;
}

RegionLatencies::RegionLatencies(const std::vector<Region>& regions)
    : count_(regions.size()), latencies_(regions.size() * regions.size()) {
  assert(regions.size() <= kRegionsPerScenarioMax);
  for (std::size_t a = 0; a < count_; ++a) {
    for (std::size_t b = 0; b < count_; ++b) {
      if (a == b) continue;
      latencies_[a * count_ + b] =
          public_region_latency(regions[a].name, regions[b].name).value_or(kRegionLatencyUnknown);
    }
  }
}

void RegionLatencies::set(std::size_t a, std::size_t b, Duration latency) {
  assert(a < count_ && b < count_ && a != b);
  latencies_[a * count_ + b] = latency;
  latencies_[b * count_ + a] = latency;
}

std::vector<std::uint32_t> RegionLatencies::endpoint_order(std::uint32_t home) const {
  std::vector<std::uint32_t> order(count_);
  std::iota(order.begin(), order.end(), 0U);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    if (x == home || y == home) return x == home && y != home;
    return between(home, x) < between(home, y);
  });
  return order;
}

}  // namespace ccsim::scenarios

// The platform's regional device endpoints as the platform node sees them. Each region's endpoint
// admits hellos through a token bucket (rate, burst): past it, a hello is answered "busy, retry
// after" with the wait until the next token, so a region taking over another's devices spreads
// their reconnect storm instead of meeting it at once. Connections per second are counted per
// region, and their peak kept. A device connected away from its own region (it failed over) is
// sent home once that region is up again, a few each second, through the home region's return
// bucket: the way back is a second storm, and is spread too.
//
// One region (no `regions:` in the scenario) admits everything and sends nobody anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "platform/token_bucket.h"

namespace ccsim::platform {

using core::Duration;
using core::Time;

inline constexpr std::size_t kRegionsMax = 16;

struct RegionPolicy {
  std::string name;
  double admission_per_second = 1'000;
  double admission_burst = 2'000;
  double return_per_second = 50;
};

struct RegionMetrics {
  std::uint64_t hellos_admitted = 0;
  std::uint64_t hellos_deferred = 0;  // answered "busy, retry after"
  std::uint64_t connects_peak_per_second = 0;
  std::uint64_t redirects_sent = 0;  // devices sent home from here
  std::uint64_t outages = 0;
};

class RegionalEndpoints {
 public:
  RegionalEndpoints() = default;
  explicit RegionalEndpoints(std::vector<RegionPolicy> regions);

  // Several regions: only then are hellos rationed and devices sent home.
  bool several() const { return regions_.size() > 1; }
  std::size_t count() const { return regions_.size(); }
  const std::string& name(std::uint32_t region) const { return regions_[region].policy.name; }
  std::optional<std::uint32_t> index(std::string_view name) const;
  const RegionMetrics& metrics(std::uint32_t region) const { return regions_[region].metrics; }

  // A hello on an endpoint of `region`: admitted (nullopt), or how long to wait.
  std::optional<Duration> admit(Time now, std::uint32_t region);
  // A hello on `region` was accepted: one more connection this second.
  void connected(Time now, std::uint32_t region);

  bool up(std::uint32_t region) const { return regions_[region].up; }
  void set_up(std::uint32_t region, bool up);

  // Device record `record` is now connected away from its own region, or no longer.
  void set_away(std::uint32_t record, bool away);
  bool anyone_away() const { return !away_.empty(); }
  // The records to send home now: in record order, those whose home is up, each taking a token
  // of its home's return bucket; `home_of` gives a record's home region.
  template <typename HomeOf>
  std::vector<std::uint32_t> returning(Time now, HomeOf home_of) {
    std::vector<std::uint32_t> leaving;
    for (std::uint32_t record : away_) {
      const std::uint32_t home = home_of(record);
      Region& region = regions_[home];
      if (!region.up || !region.returns.take(now)) continue;
      ++region.metrics.redirects_sent;
      leaving.push_back(record);
    }
    for (std::uint32_t record : leaving) away_.erase(record);
    return leaving;
  }

 private:
  struct Region {
    RegionPolicy policy;
    TokenBucket admission;
    TokenBucket returns;
    bool up = true;
    std::int64_t second = -1;  // the second `in_second` counts
    std::uint64_t in_second = 0;
    RegionMetrics metrics;
  };
  std::vector<Region> regions_;
  std::set<std::uint32_t> away_;  // device records connected away from home
};

}  // namespace ccsim::platform

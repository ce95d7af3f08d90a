// The platform's regional device endpoints as the platform node sees them. Each region's endpoint
// admits hellos through a token bucket (rate, burst): past it, a hello is answered "busy, retry
// after" with the wait until the next token, so a region taking over another's devices spreads
// their reconnect storm instead of meeting it at once. Connections per second are counted per
// region, and their peak kept. A device connected away from its own region (it failed over) is
// sent home once that region is up again, a few each second, through the home region's return
// bucket: the way back is a second storm, and is spread too.
//
// A region drained for an upgrade sends the devices connected through it to the next region of
// their own list that is up, a few each second (its return rate), so none of them ever finds its
// connection dead: no downtime seen by devices.
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
  // Devices a second sent home to this region once it is back, and sent away from it while it
  // drains for an upgrade.
  double return_per_second = 50;
  // The regions a device of this region tries, its own first (empty: the others in index order).
  std::vector<std::uint32_t> endpoint_order;
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
  // Region `region` drains for an upgrade: it is down for new devices, and those on it leave.
  void drain(std::uint32_t region);
  // Where a device of `home` now on `region` goes: home if home is up and not `region`, else the
  // first region of home's list that is up and not `region`; nullopt when none is.
  std::optional<std::uint32_t> destination(std::uint32_t home, std::uint32_t region) const;

  // Device record `record`, of region `home`, is now connected away from it, or no longer.
  void set_away(std::uint32_t record, std::uint32_t home, bool away);
  // A device to move now and the region it goes to.
  struct Move {
    std::uint32_t record;
    std::uint32_t to;
  };
  // The devices to move now: region by region, those away from it go home once it is up, in
  // record order, as many as its return bucket has tokens; and those on a draining region leave
  // it for their destination, as many as its bucket has. `where(record)` gives a record's
  // {home, region}. Only regions with someone to move are looked at, so a look costs what it
  // moves, not the fleet.
  template <typename Where>
  std::vector<Move> moving(Time now, Where where) {
    std::vector<Move> moves;
    for (std::uint32_t r = 0; r < regions_.size(); ++r) {
      Region& region = regions_[r];
      std::set<std::uint32_t>& away = away_by_home_[r];
      while (region.up && !away.empty() && region.returns.take(now)) {
        ++region.metrics.redirects_sent;
        moves.push_back({*away.begin(), r});
        away.erase(away.begin());
      }
      std::set<std::uint32_t>& leaving = draining_by_region_[r];
      while (!leaving.empty() && region.returns.take(now)) {
        const std::uint32_t record = *leaving.begin();
        leaving.erase(leaving.begin());
        const std::optional<std::uint32_t> to = destination(where(record).first, r);
        if (!to) continue;  // nowhere up to go: it stays where it is
        ++region.metrics.redirects_sent;
        moves.push_back({record, *to});
      }
    }
    return moves;
  }
  // Device record `record` is connected through region `region`, which drains, or no longer.
  void set_draining(std::uint32_t record, std::uint32_t region, bool draining);
  // Whether a look would move anyone: someone away from a region that is up, or on one draining.
  bool anyone_to_move() const;

 private:
  struct Region {
    RegionPolicy policy;
    TokenBucket admission;
    TokenBucket returns;
    bool up = true;
    bool draining = false;
    std::int64_t second = -1;  // the second `in_second` counts
    std::uint64_t in_second = 0;
    RegionMetrics metrics;
  };
  std::vector<Region> regions_;
  std::vector<std::set<std::uint32_t>> away_by_home_;        // records away from that region
  std::vector<std::set<std::uint32_t>> draining_by_region_;  // records on that draining region
};

}  // namespace ccsim::platform

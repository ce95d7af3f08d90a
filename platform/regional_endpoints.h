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

  // Device record `record` is now connected away from its own region, or no longer.
  void set_away(std::uint32_t record, bool away);
  // A device to move now and the region it goes to.
  struct Move {
    std::uint32_t record;
    std::uint32_t to;
  };
  // The devices to move now, in record order: those away whose home is up go home, each taking a
  // token of its home's return bucket; those on a draining region go to their destination, each
  // taking a token of the draining region's. `where(record)` gives a record's {home, region}.
  template <typename Where>
  std::vector<Move> moving(Time now, Where where) {
    std::vector<Move> moves;
    for (std::uint32_t record : away_) {
      const auto [home, region] = where(record);
      Region& h = regions_[home];
      if (!h.up || home == region || !h.returns.take(now)) continue;
      ++h.metrics.redirects_sent;
      moves.push_back({record, home});
    }
    for (std::uint32_t record : draining_) {
      const auto [home, region] = where(record);
      const std::optional<std::uint32_t> to = destination(home, region);
      if (!to || !regions_[region].returns.take(now)) continue;
      ++regions_[region].metrics.redirects_sent;
      moves.push_back({record, *to});
    }
    for (const Move& move : moves) {
      away_.erase(move.record);
      draining_.erase(move.record);
    }
    return moves;
  }
  // Device record `record` is connected through a region that drains, or no longer.
  void set_draining(std::uint32_t record, bool draining);
  bool anyone_to_move() const { return !away_.empty() || !draining_.empty(); }

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
  std::set<std::uint32_t> away_;      // device records connected away from home
  std::set<std::uint32_t> draining_;  // device records on a region that drains
};

}  // namespace ccsim::platform

// What each site's live streams send up its uplink, and what the uplink could carry: bitrates
// now, and bits since the run began, integrated as they change (a stream steps, a throttle
// begins). The driver counts the control messages; the streams are the engine's bookkeeping
// (scenarios/live_media.cpp), so it meters them here.
#pragma once

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/node.h"

namespace ccsim::scenarios {

class UplinkMeter {
 public:
  // Each site's uplink bandwidth at time zero.
  explicit UplinkMeter(const std::vector<double>& capacity_bps) {
    for (const double bps : capacity_bps) sites_.push_back({{}, {bps, 0, {}}, {}});
  }

  // The streams of `site` send `delta_bps` more (or less, when negative) from `at` on. `at` may lie
  // ahead (a stream set up now starts once its connectivity checks are done) and changes may come
  // out of time order: each counts from its own time.
  void change(std::uint32_t site, core::Time at, double delta_bps) {
    std::vector<Due>& due = sites_[site].due;
    assert(due.size() < kDueMax && "a site's streams changed too often between two samples");
    due.push_back({at, delta_bps});
  }

  // `site`'s uplink carries `bps` from `now` on (in time order).
  void set_capacity(std::uint32_t site, core::Time now, double bps) {
    Flow& capacity = sites_[site].capacity;
    capacity.move_to(now);
    capacity.bps = bps;
  }

  // The bits `site`'s streams sent from time zero to `now`, and those its uplink could carry.
  // Asking settles the changes due by `now`: ask only once nothing dated earlier can come (the
  // platform's observe phase).
  double bits(std::uint32_t site, core::Time now) const {
    fold_due(site, now);
    return sites_[site].sent.bits_at(now);
  }
  double capacity_bits(std::uint32_t site, core::Time now) const {
    return sites_[site].capacity.bits_at(now);
  }
  std::size_t sites() const { return sites_.size(); }

 private:
  // Bitrates are added and taken away in doubles: below this, what is left is rounding.
  static constexpr double kRoundingBps = 1e-3;
  // Changes to one site's streams between two samples, at most.
  static constexpr std::size_t kDueMax = 4'000'000;
  static double seconds(core::Duration d) { return std::chrono::duration<double>(d).count(); }

  struct Flow {
    double bps = 0;
    double bits = 0;  // up to `since`
    core::Time since{};

    void move_to(core::Time now) {
      assert(now >= since && "a meter moves forward in time");
      bits += bps * seconds(now - since);
      since = now;
    }
    double bits_at(core::Time now) const {
      assert(now >= since);
      return bits + bps * seconds(now - since);
    }
  };
  struct Due {
    core::Time at;
    double delta_bps;
  };
  struct Site {
    Flow sent;
    Flow capacity;
    std::vector<Due> due;  // changes not yet folded into `sent`
  };

  // Folds the changes due by `now` into the flow, in time order.
  void fold_due(std::uint32_t site, core::Time now) const {
    Site& s = sites_[site];
    std::stable_sort(s.due.begin(), s.due.end(),
                     [](const Due& a, const Due& b) { return a.at < b.at; });
    std::size_t folded = 0;
    for (; folded < s.due.size() && s.due[folded].at <= now; ++folded) {
      s.sent.move_to(s.due[folded].at);
      s.sent.bps += s.due[folded].delta_bps;
      assert(s.sent.bps > -kRoundingBps && "a site sends less than nothing");
      if (s.sent.bps < kRoundingBps) s.sent.bps = 0;  // every stream gone: no rounding left over
    }
    s.due.erase(s.due.begin(), s.due.begin() + static_cast<std::ptrdiff_t>(folded));
  }

  mutable std::vector<Site> sites_;  // folding what is due is not a change anyone sees
};

}  // namespace ccsim::scenarios

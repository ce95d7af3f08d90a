// What each site's live streams send up its uplink, and what the uplink could carry: bitrates
// now, and bits since the run began, integrated as they change (a stream steps, a throttle
// begins). The driver counts the control messages; the streams are the engine's bookkeeping
// (scenarios/live_media.cpp), so it meters them here.
#pragma once

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
    for (const double bps : capacity_bps) sites_.push_back({{}, {bps, 0, {}}});
  }

  // The streams of `site` send `delta_bps` more (or less, when negative) from `now` on.
  void change(std::uint32_t site, core::Time now, double delta_bps) {
    Flow& stream = sites_[site].sent;
    stream.move_to(now);
    stream.bps += delta_bps;
    assert(stream.bps > -kRoundingBps && "a site sends less than nothing");
    if (stream.bps < kRoundingBps) stream.bps = 0;  // every stream gone: no rounding left over
  }

  // `site`'s uplink carries `bps` from `now` on.
  void set_capacity(std::uint32_t site, core::Time now, double bps) {
    Flow& capacity = sites_[site].capacity;
    capacity.move_to(now);
    capacity.bps = bps;
  }

  // The bits `site`'s streams sent from time zero to `now`, and those its uplink could carry.
  double bits(std::uint32_t site, core::Time now) const { return sites_[site].sent.bits_at(now); }
  double capacity_bits(std::uint32_t site, core::Time now) const {
    return sites_[site].capacity.bits_at(now);
  }
  double bps(std::uint32_t site) const { return sites_[site].sent.bps; }
  std::size_t sites() const { return sites_.size(); }

 private:
  // Bitrates are added and taken away in doubles: below this, what is left is rounding.
  static constexpr double kRoundingBps = 1e-3;
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
  struct Site {
    Flow sent;
    Flow capacity;
  };
  std::vector<Site> sites_;
};

}  // namespace ccsim::scenarios

// What the drivers' links do not do by themselves: message loss on a site's uplink, losses that
// come in bursts, and sites cut off by a partition, one way or both. Both drivers ask it, before
// a frame is handed to the network, whether the frame gets through, and before a connection
// opens, whether the site can reach the cloud.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random_stream.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

enum class Verdict : std::uint8_t { kDeliver, kLost, kPartitioned };

// Most partitions, one way, one site may be under at once (faults overlapping in the timeline).
inline constexpr std::uint32_t kPartitionsPerSiteMax = kTimelineEntriesMax;

class NetworkConditions {
 public:
  NetworkConditions(const Scenario& scenario, std::uint64_t seed);

  // Whether a message between site `site` and region `region`'s device endpoint, that way, gets
  // through. Draws from the loss stream only on uplinks that have loss or a burst, so a lossless
  // scenario's draws never depend on traffic.
  Verdict judge(std::uint32_t site, bool upstream, std::uint32_t region = 0);
  // Whether a connection can open: both ways must be open.
  bool reachable(std::uint32_t site) const { return up_[site] == 0 && down_[site] == 0; }
  bool reachable(std::uint32_t site, std::uint32_t region) const {
    return reachable(site) && region_reachable(region);
  }
  // A region's device endpoint is out (an outage): nothing reaches it and nothing comes from it
  // until as many backs as outs.
  void region_out(std::uint32_t region);
  void region_back(std::uint32_t region);
  bool region_reachable(std::uint32_t region) const {
    return region >= regions_out_.size() || regions_out_[region] == 0;
  }
  bool blocked(std::uint32_t site, bool upstream) const {
    return (upstream ? up_ : down_)[site] > 0;
  }

  // Partitions nest: a site cut off by two overlapping faults is reachable after both heal.
  void partition(std::uint32_t site, Direction direction);
  void heal(std::uint32_t site, Direction direction);
  // A loss burst channel on the uplink until it ends; the latest one begun holds while bursts
  // overlap, and the uplink's own loss comes back when the last ends.
  void begin_burst(std::uint32_t site, const LossBurst& burst);
  void end_burst(std::uint32_t site);

 private:
  struct Burst {
    LossBurst model;
    std::uint32_t in_force = 0;
    bool bad = false;  // the channel's state
  };

  std::vector<double> loss_fraction_;       // per site
  std::vector<std::uint32_t> up_;           // per site: upstream partitions in force
  std::vector<std::uint32_t> down_;         // per site: downstream partitions in force
  std::vector<Burst> bursts_;               // per site
  std::vector<std::uint32_t> regions_out_;  // per region: outages in force
  core::RandomStream loss_random_;
};

}  // namespace ccsim::scenarios

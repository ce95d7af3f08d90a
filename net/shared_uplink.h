// A site's uplink as the real driver shares it among bulk transfers (firmware images). Loopback
// has no link to share, so the driver keeps each transfer's bytes still to go and gives every
// transfer going one way an equal share of the site's bandwidth that way, which is what SimGrid's
// flow model gives flows whose bottleneck is one full-duplex link; a transfer is done when its
// bytes are through, one path latency later. A cut site's transfers stand still until it heals.
// So a rollout's downloads take as long on real sockets as in simulation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/node.h"
#include "net/driver_timers.h"

namespace ccsim::net {

// Transfers one site may have under way at once: one per task engine worker of each device.
inline constexpr std::size_t kSharedUplinkTransfersMax = 1'000'000;

class SharedUplink {
 public:
  using Done = std::function<void(core::Time now)>;

  // `timers` must outlive this; `bandwidth_bps` each way, `latency` the path's one way.
  SharedUplink(DriverTimers& timers, double bandwidth_bps, core::Duration latency);
  SharedUplink(const SharedUplink&) = delete;
  SharedUplink& operator=(const SharedUplink&) = delete;

  // Starts carrying `bytes` (> 0) one way; `done` is called when the last is through.
  void start(core::Time now, std::uint64_t bytes, bool upstream, Done done);
  // A cut stops every transfer where it is; the heal lets them go on.
  void suspend(core::Time now, bool suspended);
  std::size_t transfers() const { return flows_.size(); }

 private:
  struct Flow {
    double bytes_left;
    bool upstream;
    Done done;
  };
  void advance(core::Time now);
  void arm(core::Time now);
  void on_due(core::Time now, std::uint64_t generation);
  std::size_t flows_way(bool upstream) const;

  DriverTimers& timers_;
  double bytes_per_second_;
  core::Duration latency_;
  std::vector<Flow> flows_;  // in the order they began
  core::Time advanced_to_{};
  bool suspended_ = false;
  std::uint64_t generation_ = 0;  // of the timer armed last; an older one is stale
  // Shared with every timer set: one may fire after this is gone, and must not touch it.
  std::shared_ptr<SharedUplink*> self_;
};

}  // namespace ccsim::net

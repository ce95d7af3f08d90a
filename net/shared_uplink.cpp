#include "net/shared_uplink.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace ccsim::net {
namespace {

// Where a transfer's end comes among timers at one time: with the nodes' own.
constexpr std::uint8_t kTransferOrder = 0;
// Bytes left that count as none: a microsecond's rounding.
constexpr double kBytesSlack = 1e-3;

double seconds(core::Duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

}  // namespace

SharedUplink::SharedUplink(DriverTimers& timers, double bandwidth_bps, core::Duration latency)
    : timers_(timers),
      bytes_per_second_(bandwidth_bps / 8.0),
      latency_(latency),
      self_(std::make_shared<SharedUplink*>(this)) {
  assert(bandwidth_bps > 0);
}

std::size_t SharedUplink::flows_way(bool upstream) const {
  return static_cast<std::size_t>(std::count_if(
      flows_.begin(), flows_.end(), [upstream](const Flow& f) { return f.upstream == upstream; }));
}

// Moves every transfer on by what its share carried since the last time.
void SharedUplink::advance(core::Time now) {
  assert(now >= advanced_to_);
  const double elapsed = seconds(now - advanced_to_);
  advanced_to_ = now;
  if (suspended_ || elapsed <= 0) return;
  const double up = static_cast<double>(flows_way(true));
  const double down = static_cast<double>(flows_way(false));
  for (Flow& flow : flows_) {
    flow.bytes_left -= elapsed * bytes_per_second_ / (flow.upstream ? up : down);
  }
}

// One timer at the earliest end; a later change arms another and makes this one stale.
void SharedUplink::arm(core::Time now) {
  ++generation_;
  if (flows_.empty() || suspended_) return;
  double soonest = INFINITY;
  for (const Flow& flow : flows_) {
    const double share = bytes_per_second_ / static_cast<double>(flows_way(flow.upstream));
    soonest = std::min(soonest, std::max(0.0, flow.bytes_left) / share);
  }
  const core::Time at = now + core::Duration(static_cast<std::int64_t>(std::ceil(soonest * 1e6)));
  timers_.schedule(at, kTransferOrder,
                   [self = std::weak_ptr<SharedUplink*>(self_), g = generation_](core::Time t) {
                     if (auto alive = self.lock()) (*alive)->on_due(t, g);
                   });
}

void SharedUplink::start(core::Time now, std::uint64_t bytes, bool upstream, Done done) {
  assert(bytes > 0);
  assert(flows_.size() < kSharedUplinkTransfersMax && "a site's transfers have no bound");
  advance(now);
  flows_.push_back({static_cast<double>(bytes), upstream, std::move(done)});
  arm(now);
}

void SharedUplink::suspend(core::Time now, bool suspended) {
  advance(now);
  suspended_ = suspended;
  arm(now);
}

// The transfers whose bytes are through are done one latency later, in the order they began.
void SharedUplink::on_due(core::Time now, std::uint64_t generation) {
  if (generation != generation_) return;
  advance(now);
  std::vector<Done> finished;
  for (auto it = flows_.begin(); it != flows_.end();) {
    if (it->bytes_left > kBytesSlack) {
      ++it;
      continue;
    }
    finished.push_back(std::move(it->done));
    it = flows_.erase(it);
  }
  arm(now);
  for (Done& done : finished) {
    timers_.schedule(now + latency_, kTransferOrder, std::move(done));
  }
}

}  // namespace ccsim::net

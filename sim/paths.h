// The way between each site and each region's device endpoint as the timeline has changed it,
// and what it costs a small message to cross it. A path is the site's uplink then the region's
// backbone, both full duplex, with the inter-region latency on top when the region is not the
// site's own (its traffic crosses to the other region first): its latency is theirs added up
// (and a latency spike's on top), and a message's serialisation is its bytes over the share of the
// narrowest link it gets beside the bulk flows crossing that link the same way now (firmware
// images down; later recordings and relayed media), as SimGrid's flow model shares a link
// between flows. Without regions there is one: the cloud's.
//
// The simulated driver's fast lane delivers small messages at the times computed here instead of
// handing each to SimGrid; `network: {small_messages: exact}` hands them to SimGrid instead, and
// a test holds the two to a stated tolerance. Pure arithmetic: no SimGrid here.
#pragma once

#include <cstdint>
#include <vector>

#include "core/node.h"
#include "scenarios/model/scenario.h"

namespace ccsim::sim {

using core::Duration;
using core::Time;

// SimGrid's TCP window bound (its `network/TCP-gamma` default, 4 MiB): one flow moves at most a
// window per round trip, which the fast lane applies as the flow model does.
inline constexpr double kTcpWindowBytes = 4'194'304.0;

class Paths {
 public:
  explicit Paths(const scenarios::Scenario& scenario);

  // One way between site `site` and region `region`'s endpoint, either way: the latencies.
  Duration latency(std::uint32_t site, std::uint32_t region = 0) const;
  // How long `bytes` take one way: the latency, then the bytes at the share of the narrowest
  // link a new flow would get now. Jitter is the caller's (jitter()).
  Duration one_way(std::uint32_t site, std::uint64_t bytes, bool upstream,
                   std::uint32_t region = 0) const;
  // How long a connection from `site` takes to open: its handshakes' round trips at the latency
  // of the moment (their segments are small: latency, not bandwidth, is their cost).
  Duration opening_time(std::uint32_t site, std::uint32_t region = 0) const;
  // What a path to a region other than the site's own adds: the inter-region latency.
  Duration crossing(std::uint32_t site, std::uint32_t region) const;
  // The site's own region (where its bulk flows go).
  std::uint32_t home_region(std::uint32_t site) const { return home_region_[site]; }

  // The uplink's bandwidth now, in bits per second: its own, or the narrowest throttle's.
  double uplink_bps(std::uint32_t site) const;
  Duration uplink_latency(std::uint32_t site) const;  // with spikes
  // The most extra delay a message may meet while jitter faults hold (their largest).
  Duration jitter(std::uint32_t site) const;

  void add_spike(std::uint32_t site, Duration extra);
  void remove_spike(std::uint32_t site, Duration extra);
  void add_throttle(std::uint32_t site, double bps);
  void remove_throttle(std::uint32_t site, double bps);
  void add_jitter(std::uint32_t site, Duration jitter);
  void remove_jitter(std::uint32_t site, Duration jitter);
  // Bulk flows crossing the site's uplink and its region's backbone, one way. A cut site's flows
  // are suspended: they hold no share while it lasts.
  void add_flow(std::uint32_t site, bool upstream);
  void remove_flow(std::uint32_t site, bool upstream);
  void suspend_flows(std::uint32_t site, bool suspended);

 private:
  struct Uplink {
    Duration latency{};
    double bandwidth_bps = 0;
    Duration extra_latency{};
    std::vector<double> throttles;  // bits per second, in the order they began
    std::vector<Duration> jitters;  // in the order they began
    std::uint32_t flows[2]{};       // by way: [0] down, [1] up
    bool suspended = false;
  };

  struct Backbone {
    Duration latency{};
    double bps = 0;
    std::uint64_t flows[2]{};  // flows not suspended, by way
  };
  void count_on_backbone(std::uint32_t site, std::int64_t sign);

  std::vector<Uplink> uplinks_;             // by site
  std::vector<std::uint32_t> home_region_;  // by site
  std::vector<Backbone> backbones_;         // by region
  scenarios::RegionLatencies between_;
};

}  // namespace ccsim::sim

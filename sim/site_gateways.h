// The NATs and firewalls before the sites that have them, and where each device's connection
// leaves its NAT. A device's websocket is one TCP connection out to the device endpoint: opening
// it makes a mapping, each segment it sends refreshes the mapping, and each segment the platform
// sends back must find the mapping alive. A mapping that expired under an idle connection is gone
// with the NAT's state of the connection: the platform's segments are refused, and so is the
// device's next one, which opens nothing (only a SYN makes a mapping), so the connection is reset
// and the device reconnects. RFC 5382 leaves open what a NAT does with a segment of a connection
// it has forgotten; dropping it is what a connection-tracking NAT does.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "scenarios/model/fleet_layout.h"
#include "scenarios/model/scenario.h"
#include "sim/nat.h"

namespace ccsim::sim {

// Addresses behind and before the sites' NATs: each site's devices are 10.0.0.2 upwards on its
// own network, each site's NAT has one public address from 198.18.0.0/15 (RFC 2544's benchmarking
// range, room for every site), and the platform's device endpoint is 203.0.113.10:443.
inline constexpr std::uint32_t kDeviceAddressFirst = 0x0A000002;
inline constexpr std::uint32_t kSiteAddressFirst = 0xC6120001;
inline constexpr Endpoint kDeviceEndpoint{0xCB00710A, scenarios::kDeviceEndpointPort};
// Devices take source ports for their connections from the dynamic range (RFC 6335), in turn.
inline constexpr std::uint16_t kSourcePortFirst = 49152;
inline constexpr std::uint16_t kSourcePorts = 16384;
static_assert(scenarios::kSitesPerScenarioMax < (1U << 17) - 2, "a /15 holds every site");
static_assert(scenarios::kDevicesPerScenarioMax < (1U << 24) - 2,
              "a /8 holds every site's devices");

// What a segment met at its site's NAT.
enum class Crossing : std::uint8_t { kPass, kRefused, kReset };
// What a connection met on its way out.
enum class Opening : std::uint8_t { kOpen, kBlockedByFirewall, kNoNatPort };

class SiteGateways {
 public:
  SiteGateways(const scenarios::Scenario& scenario, const scenarios::FleetLayout& layout);

  // The NAT before site `site`, or null.
  Nat* nat(std::uint32_t site) { return nats_.empty() || !nats_[site] ? nullptr : &*nats_[site]; }
  // Whether a connection of `agent` may leave through its site's firewall (to the device
  // endpoint's TCP port), and opens through its NAT (a mapping made for it).
  Opening open(core::Time now, std::uint32_t agent);
  // A segment of `agent`'s connection through its site's NAT, `nat`.
  Crossing cross(core::Time now, std::uint32_t agent, Nat& nat, bool upstream);

 private:
  Endpoint internal(std::uint32_t agent) const;

  const scenarios::Scenario& scenario_;
  const scenarios::FleetLayout& layout_;
  std::vector<std::optional<Nat>> nats_;  // by site; empty when no site has one
  std::vector<Endpoint> external_;        // by agent: its connection's endpoint outside the NAT
  std::vector<std::uint16_t> opened_;     // by agent: connections opened, for the next port
};

}  // namespace ccsim::sim

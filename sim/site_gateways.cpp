#include "sim/site_gateways.h"

namespace ccsim::sim {

SiteGateways::SiteGateways(const scenarios::Scenario& scenario,
                           const scenarios::FleetLayout& layout)
    : scenario_(scenario), layout_(layout) {
  for (std::uint32_t i = 0; i < scenario.sites.size(); ++i) {
    if (!scenario.sites[i].nat) continue;
    nats_.resize(scenario.sites.size());
    nats_[i].emplace(*scenario.sites[i].nat, kSiteAddressFirst + i);
  }
  if (nats_.empty()) return;  // no NAT anywhere: nothing to keep per agent
  external_.resize(layout.agent_count());
  opened_.resize(layout.agent_count());
}

Endpoint SiteGateways::internal(std::uint32_t agent) const {
  const std::uint32_t site = layout_.site_of_agent(agent);
  const auto port = static_cast<std::uint16_t>(kSourcePortFirst + opened_[agent] % kSourcePorts);
  return {kDeviceAddressFirst + (agent - layout_.first_agent_of_site[site]), port};
}

Opening SiteGateways::open(core::Time now, std::uint32_t agent) {
  const std::uint32_t site = layout_.site_of_agent(agent);
  const scenarios::Site& spec = scenario_.sites[site];
  if (spec.firewall &&
      !spec.firewall->allows_outbound(Transport::kTcp, scenarios::kDeviceEndpointPort)) {
    return Opening::kBlockedByFirewall;
  }
  Nat* site_nat = nat(site);
  if (site_nat == nullptr) return Opening::kOpen;
  ++opened_[agent];
  const std::optional<Endpoint> out =
      site_nat->outbound(now, Transport::kTcp, internal(agent), kDeviceEndpoint);
  if (!out) return Opening::kNoNatPort;
  external_[agent] = *out;
  return Opening::kOpen;
}

Crossing SiteGateways::cross(core::Time now, std::uint32_t agent, Nat& nat, bool upstream) {
  if (!upstream) {
    return nat.inbound(now, Transport::kTcp, kDeviceEndpoint, external_[agent])
               ? Crossing::kPass
               : Crossing::kRefused;
  }
  return nat.refresh(now, Transport::kTcp, internal(agent), kDeviceEndpoint) ? Crossing::kPass
                                                                             : Crossing::kReset;
}

}  // namespace ccsim::sim

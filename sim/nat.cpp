#include "sim/nat.h"

#include <algorithm>
#include <cassert>

namespace ccsim::sim {
std::string endpoint_text(Endpoint endpoint) {
  const std::uint32_t a = endpoint.address;
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
         std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff) + ":" +
         std::to_string(endpoint.port);
}

Nat::Nat(NatConfig config, std::uint32_t external_address)
    : config_(config), external_address_(external_address) {
  assert(nat_config_problem(config_).empty());
}

// What of a destination a mapping depends on: nothing, its address, or its address and port.
Endpoint Nat::destination_key(Endpoint to) const {
  switch (config_.mapping) {
    case NatBehaviour::kEndpointIndependent:
      return {};
    case NatBehaviour::kAddressDependent:
      return {to.address, 0};
    case NatBehaviour::kAddressAndPortDependent:
      break;
  }
  return to;
}

bool Nat::alive(const Mapping& mapping, Transport transport, core::Time now) const {
  const core::Duration timeout =
      transport == Transport::kUdp ? config_.udp_timeout : config_.tcp_timeout;
  return now < mapping.last_outbound + timeout;
}

bool Nat::admits(const Mapping& mapping, Endpoint from) const {
  switch (config_.filtering) {
    case NatBehaviour::kEndpointIndependent:
      return true;
    case NatBehaviour::kAddressDependent:
      return std::any_of(mapping.peers.begin(), mapping.peers.end(),
                         [&](Endpoint peer) { return peer.address == from.address; });
    case NatBehaviour::kAddressAndPortDependent:
      break;
  }
  return std::find(mapping.peers.begin(), mapping.peers.end(), from) != mapping.peers.end();
}

// The internal port when free and preserved, else the next free port in order. A port whose
// mapping has died is free again.
std::optional<std::uint16_t> Nat::free_port(Transport transport, std::uint16_t wanted,
                                            core::Time now) {
  const auto taken = [&](std::uint16_t port) {
    const auto found = by_port_.find({transport, port});
    return found != by_port_.end() && alive(mappings_.at(found->second), transport, now);
  };
  if (config_.port_preservation && wanted >= kNatPortFirst && !taken(wanted)) return wanted;
  for (std::size_t tried = 0; tried < kNatMappingsMax; ++tried) {
    const std::uint16_t port = next_port_;
    next_port_ = port == kNatPortLast ? kNatPortFirst : static_cast<std::uint16_t>(port + 1);
    if (!taken(port)) return port;
  }
  return std::nullopt;
}

std::optional<Endpoint> Nat::outbound(core::Time now, Transport transport, Endpoint from,
                                      Endpoint to) {
  const MappingKey key{transport, from, destination_key(to)};
  auto found = mappings_.find(key);
  if (found == mappings_.end() || !alive(found->second, transport, now)) {
    const std::optional<std::uint16_t> port = free_port(transport, from.port, now);
    if (!port) return std::nullopt;
    if (found != mappings_.end()) by_port_.erase({transport, found->second.external_port});
    const auto stale = by_port_.find({transport, *port});
    if (stale != by_port_.end()) {  // a dead mapping held the port: it goes
      mappings_.erase(stale->second);
      by_port_.erase(stale);
    }
    found = mappings_.insert_or_assign(key, Mapping{*port, now, {}}).first;
    by_port_[{transport, *port}] = key;
  }
  send_through(found->second, now, to);
  return Endpoint{external_address_, found->second.external_port};
}

// What a packet out does to the mapping it leaves through: refreshes it and remembers `to`.
void Nat::send_through(Mapping& mapping, core::Time now, Endpoint to) {
  mapping.last_outbound = now;
  if (std::find(mapping.peers.begin(), mapping.peers.end(), to) == mapping.peers.end()) {
    if (mapping.peers.size() == kNatPeersPerMappingMax) mapping.peers.erase(mapping.peers.begin());
    mapping.peers.push_back(to);
  }
}

std::optional<Endpoint> Nat::inbound(core::Time now, Transport transport, Endpoint from,
                                     Endpoint to) const {
  if (to.address != external_address_) return std::nullopt;
  const auto found = by_port_.find({transport, to.port});
  if (found == by_port_.end()) return std::nullopt;
  const Mapping& mapping = mappings_.at(found->second);
  if (!alive(mapping, transport, now) || !admits(mapping, from)) return std::nullopt;
  return std::get<1>(found->second);
}

bool Nat::refresh(core::Time now, Transport transport, Endpoint from, Endpoint to) {
  const auto found = mappings_.find(MappingKey{transport, from, destination_key(to)});
  if (found == mappings_.end() || !alive(found->second, transport, now)) return false;
  send_through(found->second, now, to);
  return true;
}

std::optional<Nat::Hairpin> Nat::hairpin(core::Time now, Transport transport, Endpoint from,
                                         Endpoint to) {
  if (!config_.hairpinning || to.address != external_address_) return std::nullopt;
  const std::optional<Endpoint> source = outbound(now, transport, from, to);
  if (!source) return std::nullopt;
  const std::optional<Endpoint> destination = inbound(now, transport, *source, to);
  if (!destination) return std::nullopt;
  return Hairpin{*source, *destination};
}

std::size_t Nat::live_mappings(core::Time now) const {
  return static_cast<std::size_t>(std::count_if(
      mappings_.begin(), mappings_.end(),
      [&](const auto& entry) { return alive(entry.second, std::get<0>(entry.first), now); }));
}

void Nat::expire(core::Time now) {
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    if (alive(it->second, std::get<0>(it->first), now)) {
      ++it;
      continue;
    }
    by_port_.erase({std::get<0>(it->first), it->second.external_port});
    it = mappings_.erase(it);
  }
}

}  // namespace ccsim::sim

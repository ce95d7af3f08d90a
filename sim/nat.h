// A site's NAT, as RFC 4787 describes NATs for UDP (and RFC 5382 for TCP): the state every packet
// between the site's devices and the outside goes through, so that what a STUN binding, an ICE
// check or a TURN allocation sees is what a real NAT of that behaviour would let through.
//
// - Mapping (RFC 4787 section 4.1): an internal endpoint X:x sending to an external one Y:y gets an
//   external endpoint X1':x1'. Endpoint-independent: the same X1':x1' for every Y:y.
//   Address-dependent: the same for every port of one Y. Address-and-port-dependent: one per Y:y.
//   With port preservation, x1' is x when no other mapping holds it.
// - Filtering (section 5): a packet from Y:y to X1':x1' reaches X:x only if a live mapping holds
//   X1':x1' and: endpoint-independent, always; address-dependent, X:x has sent to Y (any port)
//   through it; address-and-port-dependent, X:x has sent to Y:y through it.
// - Timeouts (section 4.3): a UDP mapping lives `udp_timeout` after the last packet X:x sent
//   through it (REQ-5: at least 2 minutes, 5 recommended); packets from outside do not refresh it
//   (inbound refresh is a MAY this NAT does not take). A TCP mapping lives `tcp_timeout` (RFC
//   5382 REQ-5: at least 2 h 4 min for an established connection).
// - Hairpinning (section 6): a packet from X:x to one of the NAT's own external endpoints is
//   delivered inside, as if it came from X:x's own external endpoint (REQ-9), when the NAT
//   hairpins and that endpoint's filtering admits it.
// A sans-IO state machine: time comes with each call; nothing is random, so the same packets get
// the same ports.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/node.h"
#include "scenarios/model/site_network.h"

namespace ccsim::sim {

struct Endpoint {
  std::uint32_t address = 0;  // IPv4, host byte order
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};
std::string endpoint_text(Endpoint endpoint);  // "192.0.2.1:5000"

using scenarios::NatBehaviour;
using scenarios::NatConfig;
using scenarios::Transport;

// The external ports a NAT hands out: the dynamic range up from 1024.
inline constexpr std::uint16_t kNatPortFirst = 1024;
inline constexpr std::uint16_t kNatPortLast = 65535;
inline constexpr std::size_t kNatMappingsMax = kNatPortLast - kNatPortFirst + 1;  // per transport
// Remote endpoints one mapping remembers for filtering; past it the oldest is forgotten.
inline constexpr std::size_t kNatPeersPerMappingMax = 64;

class Nat {
 public:
  // `config` must be one nat_config_problem() finds nothing wrong with.
  Nat(NatConfig config, std::uint32_t external_address);

  // A packet from internal `from` to external `to`: the external endpoint it leaves from (its
  // mapping created or refreshed), or nullopt when every port is taken.
  std::optional<Endpoint> outbound(core::Time now, Transport transport, Endpoint from, Endpoint to);
  // A packet from external `from` to the NAT's external endpoint `to`: the internal endpoint it
  // is delivered to, or nullopt when no live mapping holds `to` or filtering refuses `from`.
  std::optional<Endpoint> inbound(core::Time now, Transport transport, Endpoint from,
                                  Endpoint to) const;

  // As outbound() for a packet that may not open a mapping (a TCP segment of a connection the NAT
  // should know): false, and nothing made, when no live mapping holds `from` towards `to`.
  bool refresh(core::Time now, Transport transport, Endpoint from, Endpoint to);

  // A packet from internal `from` to one of the NAT's own external endpoints `to`.
  struct Hairpin {
    Endpoint source_seen;           // `from`'s own external endpoint, as the receiver sees it
    Endpoint internal_destination;  // where it is delivered
  };
  std::optional<Hairpin> hairpin(core::Time now, Transport transport, Endpoint from, Endpoint to);

  // Mappings alive at `now`, of both transports.
  std::size_t live_mappings(core::Time now) const;
  // Forgets mappings dead at `now`, so their ports can be handed out again.
  void expire(core::Time now);
  const NatConfig& config() const { return config_; }
  std::uint32_t external_address() const { return external_address_; }

 private:
  struct Mapping {
    std::uint16_t external_port = 0;
    core::Time last_outbound{};
    std::vector<Endpoint> peers;  // remote endpoints sent to through it, oldest first
  };
  // (transport, internal endpoint, the part of the destination the mapping depends on).
  using MappingKey = std::tuple<Transport, Endpoint, Endpoint>;

  Endpoint destination_key(Endpoint to) const;
  bool alive(const Mapping& mapping, Transport transport, core::Time now) const;
  bool admits(const Mapping& mapping, Endpoint from) const;
  void send_through(Mapping& mapping, core::Time now, Endpoint to);
  std::optional<std::uint16_t> free_port(Transport transport, std::uint16_t wanted, core::Time now);

  NatConfig config_;
  std::uint32_t external_address_;
  std::map<MappingKey, Mapping> mappings_;
  // External port -> its mapping, per transport.
  std::map<std::pair<Transport, std::uint16_t>, MappingKey> by_port_;
  std::uint16_t next_port_ = kNatPortFirst;
};

}  // namespace ccsim::sim

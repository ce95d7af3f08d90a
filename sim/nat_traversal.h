// ICE connectivity checks (RFC 8445) between a camera's site and a viewer's, played through the
// sites' simulated NATs (sim/nat.h), to find what a live session between them ends with:
// peer-to-peer, relayed over UDP, or relayed over TCP/TLS (when a side's UDP is blocked).
//
// Each side gathers its server-reflexive candidate with a binding to the platform's STUN server,
// then both sides check every remote candidate they know, round after round: a check is answered
// from the base that received it to the request's source; a request from an unknown source makes
// a peer-reflexive candidate, checked from the next round (the triggered check); a check succeeds
// only when its answer comes back from the very endpoint the request went to (section 7.2.5.2.1).
// Host candidates of two sites cannot reach each other and are not checked. Relayed candidates
// always connect (the TURN server is reachable over UDP, or TCP/TLS on 443), so they decide only
// when no direct pair does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/node.h"
#include "scenarios/model/site_network.h"

namespace ccsim::sim {

// One side's network: behind a NAT or not, and whether UDP leaves it at all.
struct IceSide {
  std::optional<scenarios::NatConfig> nat;
  bool udp_blocked = false;
};

enum class IceOutcome : std::uint8_t { kPeerToPeer, kRelayedUdp, kRelayedTcp };
std::string_view ice_outcome_name(IceOutcome outcome);  // "peer-to-peer", "relayed-udp", ...

// Rounds of checks before the sides give up on a direct pair: enough for a peer-reflexive
// candidate learnt in one round to be checked, and answered, in the next.
inline constexpr int kIceCheckRounds = 4;

struct IceTraversal {
  IceOutcome outcome = IceOutcome::kRelayedUdp;
  int checks_sent = 0;
  int peer_reflexive_learnt = 0;  // candidates learnt from requests, both sides
};

// Whether a side's keepalives every `interval` hold its NAT mapping, which lives `timeout` after
// the last packet sent through it (RFC 4787 section 4.3; sim::Nat::alive): each must go out
// before the mapping lapses.
inline bool keepalives_hold(core::Duration interval, core::Duration timeout) {
  return interval < timeout;
}

// What ICE between `camera` and `viewer` ends with. Deterministic: no time or randomness but the
// NATs' own port choices.
IceTraversal traverse(const IceSide& camera, const IceSide& viewer);

}  // namespace ccsim::sim

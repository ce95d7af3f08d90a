#include "sim/nat_traversal.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <vector>

#include "sim/nat.h"

namespace ccsim::sim {

std::string_view ice_outcome_name(IceOutcome outcome) {
  switch (outcome) {
    case IceOutcome::kPeerToPeer:
      return "peer-to-peer";
    case IceOutcome::kRelayedUdp:
      return "relayed-udp";
    case IceOutcome::kRelayedTcp:
      return "relayed-tcp";
  }
  return "unknown";
}

namespace {

constexpr Endpoint kStunServer{0xC0000201, 3478};  // 192.0.2.1, the platform's STUN server

// One side: its base (host) endpoint, its NAT if any, and the remote candidates it knows.
struct Agent {
  Agent(const IceSide& side, std::uint32_t private_address, std::uint32_t public_address)
      : base{side.nat ? private_address : public_address, 5000} {
    if (side.nat) nat.emplace(*side.nat, public_address);
  }
  // The source the outside sees for a packet from the base to `to`.
  Endpoint send(core::Time now, Endpoint to) {
    if (!nat) return base;
    const std::optional<Endpoint> out = nat->outbound(now, Transport::kUdp, base, to);
    assert(out && "two agents never run out of ports");
    return *out;
  }
  // Whether a packet from `from` to the external endpoint `to` reaches the base.
  bool receives(core::Time now, Endpoint from, Endpoint to) const {
    if (!nat) return to == base;
    return nat->inbound(now, Transport::kUdp, from, to).has_value();
  }

  Endpoint base;
  std::optional<Nat> nat;
  std::vector<Endpoint> remote;  // candidates to check, in the order learnt
};

// One check from `x` to `to`, answered by `y` if it gets in. True when it succeeds.
bool check(core::Time now, Agent& x, Agent& y, Endpoint to, IceTraversal& t) {
  ++t.checks_sent;
  const Endpoint source = x.send(now, to);
  if (!y.receives(now, source, to)) return false;
  if (std::find(y.remote.begin(), y.remote.end(), source) == y.remote.end()) {
    y.remote.push_back(source);  // peer-reflexive: checked from the next round
    ++t.peer_reflexive_learnt;
  }
  const Endpoint answer_source = y.send(now, source);
  return x.receives(now, answer_source, source) && answer_source == to;
}

}  // namespace

IceTraversal traverse(const IceSide& camera, const IceSide& viewer) {
  IceTraversal t;
  if (camera.udp_blocked || viewer.udp_blocked) {
    t.outcome = IceOutcome::kRelayedTcp;  // no binding, no check: only TURN over TCP/TLS on 443
    return t;
  }
  Agent a(camera, 0x0A000002, 0xCB007105);  // 10.0.0.2 behind 203.0.113.5
  Agent b(viewer, 0x0A010002, 0xC6336402);  // 10.1.0.2 behind 198.51.100.2
  core::Time now{};
  // Gathering: each learns its server-reflexive candidate and signals it to the other.
  b.remote.push_back(a.send(now, kStunServer));
  a.remote.push_back(b.send(now, kStunServer));
  for (int round = 0; round < kIceCheckRounds; ++round) {
    now += std::chrono::milliseconds(50);
    for (const auto& [x, y] : std::array{std::pair{&a, &b}, std::pair{&b, &a}}) {
      const std::vector<Endpoint> targets = x->remote;  // a check may learn more
      for (const Endpoint& to : targets) {
        if (check(now, *x, *y, to, t)) {
          t.outcome = IceOutcome::kPeerToPeer;
          return t;
        }
      }
    }
  }
  t.outcome = IceOutcome::kRelayedUdp;
  return t;
}

}  // namespace ccsim::sim

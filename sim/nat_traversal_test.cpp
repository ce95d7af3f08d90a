// ICE through the simulated NATs: pairs of site networks whose outcome is worked out by hand from
// RFC 4787's behaviours and RFC 8445's checks, each case's reasoning beside it. X0 is a side's
// mapping towards the STUN server (its server-reflexive candidate), X1 its mapping towards the
// other side.
#include "sim/nat_traversal.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/nat.h"

namespace ccsim::sim {
namespace {

using scenarios::NatBehaviour;
constexpr NatBehaviour kEndpoint = NatBehaviour::kEndpointIndependent;
constexpr NatBehaviour kAddress = NatBehaviour::kAddressDependent;
constexpr NatBehaviour kAddressPort = NatBehaviour::kAddressAndPortDependent;

IceSide open() {
  return {};
}
IceSide nat(NatBehaviour mapping, NatBehaviour filtering) {
  scenarios::NatConfig config;
  config.mapping = mapping;
  config.filtering = filtering;
  return {config, false};
}
IceSide udp_blocked() {
  return {std::nullopt, true};
}

IceOutcome outcome(const IceSide& a, const IceSide& b) {
  return traverse(a, b).outcome;
}

TEST(NatTraversal, OpenNetworksAndTwoEndpointIndependentMappingsConnectDirectly) {
  EXPECT_EQ(outcome(open(), open()), IceOutcome::kPeerToPeer);
  // Both map every destination to X0: each side's check to the other's X0 leaves from its own
  // X0, which the other's X0 has sent to, so even APDF lets it in; answers come from X0.
  EXPECT_EQ(outcome(nat(kEndpoint, kAddressPort), nat(kEndpoint, kAddressPort)),
            IceOutcome::kPeerToPeer);
}

TEST(NatTraversal, TwoPerDestinationMappingsNeedARelay) {
  // Every new destination gets a new mapping: an answer never comes from where its request went.
  EXPECT_EQ(outcome(nat(kAddressPort, kAddressPort), nat(kAddressPort, kAddressPort)),
            IceOutcome::kRelayedUdp);
  EXPECT_EQ(outcome(nat(kAddressPort, kEndpoint), nat(kAddressPort, kEndpoint)),
            IceOutcome::kRelayedUdp);
}

TEST(NatTraversal, APerDestinationMappingMeetsAnEndpointIndependentOneAsItsFilteringAllows) {
  // The viewer's check to the camera's X0 leaves from X1, a port the camera never sent to: APDF
  // drops it; the camera's checks reach the viewer's X0, whose answer leaves from another port.
  EXPECT_EQ(outcome(nat(kEndpoint, kAddressPort), nat(kAddressPort, kEndpoint)),
            IceOutcome::kRelayedUdp);
  // ADF admits X1: the camera's X0 has sent to the viewer's address; the answer leaves from X0.
  EXPECT_EQ(outcome(nat(kEndpoint, kAddress), nat(kAddressPort, kAddressPort)),
            IceOutcome::kPeerToPeer);
}

TEST(NatTraversal, TwoAddressDependentMappingsMeetThroughAPeerReflexiveCandidate) {
  // The viewer's check to the camera's X0 comes from the viewer's Y1; the camera filters
  // endpoint-independently, takes it, and learns Y1. Its answer leaves from its X1 (its mapping
  // for the viewer's address), not X0: that check fails. Next round the camera checks Y1 from X1:
  // Y1 has sent to the camera's address, so ADF lets it in, and the viewer answers from Y1, its
  // mapping for the camera's address: the pair (X1, Y1) connects.
  const IceTraversal t = traverse(nat(kAddress, kEndpoint), nat(kAddress, kAddress));
  EXPECT_EQ(t.outcome, IceOutcome::kPeerToPeer);
  EXPECT_GE(t.peer_reflexive_learnt, 1);
  // With ADF on both sides nobody lets the first check in, so nobody learns anything.
  EXPECT_EQ(outcome(nat(kAddress, kAddress), nat(kAddress, kAddress)), IceOutcome::kRelayedUdp);
  // With APDF at the viewer, Y1 has sent to the camera's X0, not X1: the camera's check from X1
  // is dropped.
  EXPECT_EQ(outcome(nat(kAddress, kEndpoint), nat(kAddress, kAddressPort)),
            IceOutcome::kRelayedUdp);
}

TEST(NatTraversal, BlockedUdpLeavesOnlyTurnOverTcp) {
  EXPECT_EQ(outcome(udp_blocked(), open()), IceOutcome::kRelayedTcp);
  EXPECT_EQ(outcome(nat(kEndpoint, kEndpoint), udp_blocked()), IceOutcome::kRelayedTcp);
  EXPECT_EQ(traverse(udp_blocked(), open()).checks_sent, 0);
}

// docs/NAT_TRAVERSAL.md's table, typed from the hand derivation there: rows the camera's network,
// columns the viewer's, in the order open, EIM-EIF, EIM-ADF, EIM-APDF, ADM-EIF, ADM-ADF,
// ADM-APDF, APDM-EIF, APDM-ADF, APDM-APDF, UDP blocked. P peer-to-peer, U relayed over UDP,
// T relayed over TCP/TLS.
constexpr const char* kMatrix[] = {
    "PPPPPPPPPPT",  // open
    "PPPPPPPPPPT",  // EIM-EIF
    "PPPPPPPPPPT",  // EIM-ADF
    "PPPPUUUUUUT",  // EIM-APDF
    "PPPUPPUPPUT",  // ADM-EIF
    "PPPUPUUPUUT",  // ADM-ADF
    "PPPUUUUUUUT",  // ADM-APDF
    "PPPUPPUUUUT",  // APDM-EIF
    "PPPUPUUUUUT",  // APDM-ADF
    "PPPUUUUUUUT",  // APDM-APDF
    "TTTTTTTTTTT",  // UDP blocked
};

std::vector<IceSide> every_network() {
  std::vector<IceSide> sides{open()};
  for (NatBehaviour mapping : {kEndpoint, kAddress, kAddressPort}) {
    for (NatBehaviour filtering : {kEndpoint, kAddress, kAddressPort}) {
      sides.push_back(nat(mapping, filtering));
    }
  }
  sides.push_back(udp_blocked());
  return sides;
}

char letter(IceOutcome outcome) {
  switch (outcome) {
    case IceOutcome::kPeerToPeer:
      return 'P';
    case IceOutcome::kRelayedUdp:
      return 'U';
    case IceOutcome::kRelayedTcp:
      return 'T';
  }
  return '?';
}

TEST(NatTraversal, Every121PairGivesTheOutcomeWorkedOutByHand) {
  const std::vector<IceSide> sides = every_network();
  ASSERT_EQ(sides.size(), 11u);
  for (std::size_t a = 0; a < sides.size(); ++a) {
    std::string row;
    for (const IceSide& b : sides) row += letter(outcome(sides[a], b));
    EXPECT_EQ(row, kMatrix[a]) << "camera network " << a;
  }
}

TEST(NatTraversal, TheOutcomeDoesNotDependOnWhichSideIsTheCamera) {
  const IceSide sides[] = {open(),
                           nat(kEndpoint, kAddressPort),
                           nat(kAddress, kEndpoint),
                           nat(kAddress, kAddress),
                           nat(kAddressPort, kEndpoint),
                           udp_blocked()};
  for (const IceSide& a : sides) {
    for (const IceSide& b : sides) EXPECT_EQ(outcome(a, b), outcome(b, a));
  }
}

}  // namespace
}  // namespace ccsim::sim

namespace ccsim::sim {
namespace {

// Whether a mapping, refreshed by an outbound keepalive every `interval` for ten minutes, still
// lets the peer's media in at every moment: the NAT's own state machine decides, packet by packet.
bool nat_keeps_mapping(std::chrono::seconds interval, std::chrono::seconds timeout) {
  scenarios::NatConfig config;
  config.udp_timeout = timeout;
  Nat nat(config, 0xC6336401);  // 198.51.100.1
  const Endpoint viewer{0xC0A80114, 54000};
  const Endpoint peer{0xCB00710A, 3478};
  core::Time now{};
  const std::optional<Endpoint> external =
      nat.outbound(now, scenarios::Transport::kUdp, viewer, peer);
  EXPECT_TRUE(external.has_value());
  const core::Time end = now + std::chrono::minutes(10);
  core::Time next_keepalive = now + interval;
  for (; now < end; now += std::chrono::seconds(1)) {  // the peer's media, a packet a second
    if (!nat.inbound(now, scenarios::Transport::kUdp, peer, *external)) return false;
    if (now == next_keepalive) {  // after the media of the same second: it must not save it
      (void)nat.outbound(now, scenarios::Transport::kUdp, viewer, peer);
      next_keepalive += interval;
    }
  }
  return true;
}

TEST(NatTraversal, KeepalivesHoldAMappingExactlyWhenTheNatSaysTheyDo) {
  using std::chrono::seconds;
  for (const auto& [interval, timeout] :
       std::vector<std::pair<seconds, seconds>>{{seconds(5), seconds(120)},
                                                {seconds(119), seconds(120)},
                                                {seconds(120), seconds(120)},
                                                {seconds(180), seconds(120)},
                                                {seconds(299), seconds(300)},
                                                {seconds(301), seconds(300)}}) {
    EXPECT_EQ(keepalives_hold(interval, timeout), nat_keeps_mapping(interval, timeout))
        << interval.count() << " s keepalives, " << timeout.count() << " s timeout";
  }
  // And by hand: the mapping must be refreshed before it lapses.
  EXPECT_TRUE(keepalives_hold(seconds(119), seconds(120)));
  EXPECT_FALSE(keepalives_hold(seconds(120), seconds(120)));
}

}  // namespace
}  // namespace ccsim::sim

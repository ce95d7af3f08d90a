// The NAT against RFC 4787's definitions, case by case: mapping (4.1), filtering (5), the mapping
// timeout and its refresh (4.3, REQ-5, REQ-6), port preservation (4.2.1), hairpinning (6, REQ-9).
// Each expectation is written from the RFC's words, not from the code.
#include "sim/nat.h"

#include <gtest/gtest.h>

namespace ccsim::sim {
namespace {

using namespace std::chrono_literals;
using core::Time;
using scenarios::kUdpMappingTimeoutDefault;
using scenarios::nat_behaviour_name;
using scenarios::nat_config_problem;
using scenarios::parse_nat_behaviour;

constexpr std::uint32_t kExternal = 0xC6336401;  // 198.51.100.1, the NAT's public address
constexpr Endpoint kCamera{0x0A000002, 5000};    // 10.0.0.2:5000, inside
constexpr Endpoint kOtherCamera{0x0A000003, 5000};
constexpr Endpoint kStun{0xCB007101, 3478};  // 203.0.113.1:3478, outside
constexpr Endpoint kStunOtherPort{0xCB007101, 3479};
constexpr Endpoint kOtherHost{0xCB007102, 3478};  // 203.0.113.2, another address

Nat nat_with(NatBehaviour mapping, NatBehaviour filtering) {
  NatConfig config;
  config.mapping = mapping;
  config.filtering = filtering;
  return Nat(config, kExternal);
}

// 4.1: "Endpoint-Independent Mapping: the NAT reuses the port mapping for subsequent packets sent
// from the same internal IP address and port (X:x) to any external IP address and port."
TEST(NatMapping, EndpointIndependentReusesOneMappingForEveryDestination) {
  Nat nat = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  const auto first = nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  ASSERT_TRUE(first);
  EXPECT_EQ(nat.outbound(Time(1), Transport::kUdp, kCamera, kStunOtherPort), first);
  EXPECT_EQ(nat.outbound(Time(2), Transport::kUdp, kCamera, kOtherHost), first);
  EXPECT_EQ(first->address, kExternal);
}

// "Address-Dependent Mapping: the NAT reuses the port mapping for subsequent packets sent from
// the same internal IP address and port (X:x) to the same external IP address, regardless of the
// external port."
TEST(NatMapping, AddressDependentReusesTheMappingOnlyForOneDestinationAddress) {
  Nat nat = nat_with(NatBehaviour::kAddressDependent, NatBehaviour::kEndpointIndependent);
  const auto first = nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  EXPECT_EQ(nat.outbound(Time(1), Transport::kUdp, kCamera, kStunOtherPort), first);
  EXPECT_NE(nat.outbound(Time(2), Transport::kUdp, kCamera, kOtherHost), first);
}

// "Address and Port-Dependent Mapping: the NAT reuses the port mapping for subsequent packets
// sent from the same internal IP address and port (X:x) to the same external IP address and port
// while the mapping is still active."
TEST(NatMapping, AddressAndPortDependentMapsEachDestinationEndpointApart) {
  Nat nat = nat_with(NatBehaviour::kAddressAndPortDependent, NatBehaviour::kEndpointIndependent);
  const auto first = nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  EXPECT_EQ(nat.outbound(Time(1), Transport::kUdp, kCamera, kStun), first);
  EXPECT_NE(nat.outbound(Time(2), Transport::kUdp, kCamera, kStunOtherPort), first);
  EXPECT_NE(nat.outbound(Time(3), Transport::kUdp, kCamera, kOtherHost), first);
}

struct FilteringCase {
  NatBehaviour filtering;
  bool from_contacted, from_other_port, from_other_address;
};

// 5: "Endpoint-Independent Filtering: the NAT filters out only packets not destined to the
// internal address and port X:x, regardless of the external IP address and port source (Z:z)."
// "Address-Dependent Filtering: ... packets not destined to X:x and packets destined for X:x
// from Y:y if X:x has not sent packets to Y:any." "Address and Port-Dependent Filtering: ...
// packets destined for X:x from Y:y if X:x has not sent packets to Y:y."
class NatFiltering : public ::testing::TestWithParam<FilteringCase> {};

INSTANTIATE_TEST_SUITE_P(
    Rfc4787, NatFiltering,
    ::testing::Values(FilteringCase{NatBehaviour::kEndpointIndependent, true, true, true},
                      FilteringCase{NatBehaviour::kAddressDependent, true, true, false},
                      FilteringCase{NatBehaviour::kAddressAndPortDependent, true, false, false}));

TEST_P(NatFiltering, AdmitsWhatTheRfcSaysAndNothingElse) {
  const FilteringCase c = GetParam();
  Nat nat = nat_with(NatBehaviour::kEndpointIndependent, c.filtering);
  const Endpoint external = *nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  EXPECT_EQ(nat.inbound(Time(1), Transport::kUdp, kStun, external).has_value(), c.from_contacted);
  EXPECT_EQ(nat.inbound(Time(1), Transport::kUdp, kStunOtherPort, external).has_value(),
            c.from_other_port);
  EXPECT_EQ(nat.inbound(Time(1), Transport::kUdp, kOtherHost, external).has_value(),
            c.from_other_address);
  if (c.from_contacted) {
    EXPECT_EQ(nat.inbound(Time(1), Transport::kUdp, kStun, external), kCamera);
  }
}

TEST(NatFiltering, NothingReachesAPortNoMappingHolds) {
  Nat nat = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  EXPECT_FALSE(nat.inbound(Time(0), Transport::kUdp, kStun, Endpoint{kExternal, 5000}));
  const Endpoint external = *nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  EXPECT_FALSE(nat.inbound(Time(1), Transport::kTcp, kStun, external)) << "UDP maps UDP only";
  EXPECT_FALSE(
      nat.inbound(Time(1), Transport::kUdp, kStun, Endpoint{kExternal + 1, external.port}));
}

// 4.3, REQ-5: the mapping lives at least 2 minutes, 5 recommended, after the last outbound packet;
// REQ-6: outbound packets refresh it. Inbound packets do not (a MAY this NAT declines).
TEST(NatTimeout, AMappingLivesItsTimeoutAfterTheLastOutboundPacketOnly) {
  Nat nat = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  const Endpoint external = *nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  const Time before_timeout = Time(0) + kUdpMappingTimeoutDefault - 1us;
  EXPECT_TRUE(nat.inbound(before_timeout, Transport::kUdp, kStun, external));
  EXPECT_FALSE(nat.inbound(Time(0) + kUdpMappingTimeoutDefault, Transport::kUdp, kStun, external));
  // A keepalive every 4 minutes holds it open for an hour; inbound traffic alone would not.
  Nat kept = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  const Endpoint held = *kept.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  for (Time t = 4min; t < 60min; t += 4min) {
    EXPECT_TRUE(kept.inbound(t, Transport::kUdp, kStun, held)) << t.count();
    EXPECT_EQ(kept.outbound(t, Transport::kUdp, kCamera, kStun), held);
  }
  Nat inbound_only =
      nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  const Endpoint lone = *inbound_only.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  for (Time t = 1min; t < 5min; t += 1min) inbound_only.inbound(t, Transport::kUdp, kStun, lone);
  EXPECT_FALSE(inbound_only.inbound(5min, Transport::kUdp, kStun, lone));
}

// refresh() is outbound() for a packet that may not open a mapping: it refreshes a live one
// (of the same destination key) and makes none.
TEST(NatTimeout, RefreshKeepsALiveMappingAndMakesNone) {
  Nat nat = nat_with(NatBehaviour::kAddressDependent, NatBehaviour::kAddressDependent);
  EXPECT_FALSE(nat.refresh(Time(0), Transport::kTcp, kCamera, kStun));
  EXPECT_EQ(nat.live_mappings(Time(0)), 0U);
  nat.outbound(Time(0), Transport::kTcp, kCamera, kStun);
  EXPECT_TRUE(nat.refresh(Time(1), Transport::kTcp, kCamera, kStunOtherPort));  // same address
  EXPECT_FALSE(nat.refresh(Time(1), Transport::kTcp, kCamera, kOtherHost));
  EXPECT_FALSE(nat.refresh(Time(1), Transport::kUdp, kCamera, kStun));
  const Time timeout = Time(1) + scenarios::kTcpMappingTimeoutMin;  // from the refresh at 1 us
  EXPECT_TRUE(nat.refresh(timeout - 1us, Transport::kTcp, kCamera, kStun));
  EXPECT_FALSE(nat.refresh(timeout - 1us + scenarios::kTcpMappingTimeoutMin, Transport::kTcp,
                           kCamera, kStun));  // dead: nothing refreshed it since
}

TEST(NatTimeout, ATimeoutUnderTheRfcMinimumIsNotAllowed) {
  NatConfig config;
  config.udp_timeout = 119s;
  EXPECT_NE(nat_config_problem(config).find("REQ-5"), std::string::npos);
  config.udp_timeout = 2min;
  EXPECT_EQ(nat_config_problem(config), "");
  config.tcp_timeout = 2h;
  EXPECT_NE(nat_config_problem(config).find("RFC 5382"), std::string::npos);
}

// 4.2.1: with port preservation the NAT keeps x as x1' when it can; a second internal host with
// the same port gets another one.
TEST(NatPorts, PortPreservationKeepsTheInternalPortWhileItIsFree) {
  Nat nat = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  EXPECT_EQ(nat.outbound(Time(0), Transport::kUdp, kCamera, kStun)->port, 5000);
  const std::uint16_t other = nat.outbound(Time(0), Transport::kUdp, kOtherCamera, kStun)->port;
  EXPECT_NE(other, 5000);
  EXPECT_GE(other, kNatPortFirst);
  // Once the first mapping has died, its port is free for another host.
  nat.expire(Time(0) + kUdpMappingTimeoutDefault);
  EXPECT_EQ(nat.live_mappings(Time(0) + kUdpMappingTimeoutDefault), 0U);
  const Endpoint late{0x0A000004, 5000};
  EXPECT_EQ(nat.outbound(Time(0) + kUdpMappingTimeoutDefault, Transport::kUdp, late, kStun)->port,
            5000);
}

TEST(NatPorts, WithoutPreservationPortsAreHandedOutInOrder) {
  NatConfig config;
  config.port_preservation = false;
  Nat nat(config, kExternal);
  EXPECT_EQ(nat.outbound(Time(0), Transport::kUdp, kCamera, kStun)->port, kNatPortFirst);
  EXPECT_EQ(nat.outbound(Time(0), Transport::kUdp, kOtherCamera, kStun)->port, kNatPortFirst + 1);
}

// 6, REQ-9: a packet from X:x to the NAT's own external endpoint of Y (inside too) is delivered to
// Y, seen as coming from X's external endpoint, and subject to Y's mapping's filtering.
TEST(NatHairpinning, AHairpinnedPacketArrivesFromTheSendersExternalEndpoint) {
  Nat nat = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kEndpointIndependent);
  const Endpoint camera_outside = *nat.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  const Endpoint other_outside = *nat.outbound(Time(0), Transport::kUdp, kOtherCamera, kStun);
  const auto hairpin = nat.hairpin(Time(1), Transport::kUdp, kOtherCamera, camera_outside);
  ASSERT_TRUE(hairpin);
  EXPECT_EQ(hairpin->internal_destination, kCamera);
  EXPECT_EQ(hairpin->source_seen, other_outside);
}

TEST(NatHairpinning, NoHairpinWhenTheNatDoesNotOrFilteringRefuses) {
  NatConfig config;
  config.hairpinning = false;
  Nat off(config, kExternal);
  const Endpoint camera_outside = *off.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  EXPECT_FALSE(off.hairpin(Time(1), Transport::kUdp, kOtherCamera, camera_outside));
  // Address-dependent filtering: the camera never sent to the NAT's own address, so a hairpinned
  // packet from there is filtered like any stranger's.
  Nat strict = nat_with(NatBehaviour::kEndpointIndependent, NatBehaviour::kAddressDependent);
  const Endpoint strict_outside = *strict.outbound(Time(0), Transport::kUdp, kCamera, kStun);
  EXPECT_FALSE(strict.hairpin(Time(1), Transport::kUdp, kOtherCamera, strict_outside));
}

TEST(NatBehaviourNames, AreRfc4787sWords) {
  EXPECT_EQ(nat_behaviour_name(NatBehaviour::kAddressAndPortDependent),
            "address-and-port-dependent");
  EXPECT_EQ(parse_nat_behaviour("endpoint-independent"), NatBehaviour::kEndpointIndependent);
  EXPECT_FALSE(parse_nat_behaviour("full-cone"));
  EXPECT_EQ(endpoint_text(kStun), "203.0.113.1:3478");
}

}  // namespace
}  // namespace ccsim::sim

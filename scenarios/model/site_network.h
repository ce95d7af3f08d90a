// What stands between a site's devices and the Internet, as a scenario gives it: a NAT after RFC
// 4787 (for UDP) and RFC 5382 (for TCP), and a firewall. The words and limits are declared here
// once; the NAT's state machine that packets go through is sim/nat.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"

namespace ccsim::scenarios {

enum class Transport : std::uint8_t { kUdp, kTcp };
std::string_view transport_name(Transport transport);  // "udp", "tcp"

// How a NAT maps, and how it filters: RFC 4787's three behaviours for each (sections 4.1, 5).
enum class NatBehaviour : std::uint8_t {
  kEndpointIndependent,
  kAddressDependent,
  kAddressAndPortDependent,
};
inline constexpr std::size_t kNatBehaviourCount = 3;
// RFC 4787's words for them, in the enum's order: "endpoint-independent", ...
std::span<const std::string_view> nat_behaviour_words();
std::string_view nat_behaviour_name(NatBehaviour behaviour);
std::optional<NatBehaviour> parse_nat_behaviour(std::string_view name);

inline constexpr core::Duration kUdpMappingTimeoutMin = std::chrono::minutes(2);  // REQ-5
inline constexpr core::Duration kUdpMappingTimeoutDefault = std::chrono::minutes(5);
inline constexpr core::Duration kUdpMappingTimeoutMax = std::chrono::hours(24);
inline constexpr core::Duration kTcpMappingTimeoutMin =
    std::chrono::hours(2) + std::chrono::minutes(4);  // RFC 5382 REQ-5
inline constexpr core::Duration kTcpMappingTimeoutMax = std::chrono::hours(24 * 7);

struct NatConfig {
  NatBehaviour mapping = NatBehaviour::kEndpointIndependent;
  NatBehaviour filtering = NatBehaviour::kAddressDependent;
  core::Duration udp_timeout = kUdpMappingTimeoutDefault;
  core::Duration tcp_timeout = kTcpMappingTimeoutMin;
  bool hairpinning = true;
  bool port_preservation = true;
};

// Why a config is not one the RFCs allow; empty when it is.
std::string nat_config_problem(const NatConfig& config);

// The port the platform's device endpoint listens on: the secure websocket every device opens.
inline constexpr std::uint16_t kDeviceEndpointPort = 443;
inline constexpr std::size_t kFirewallRulesMax = 64;

// One `outbound:` entry: "tcp/443"; port 0 is any port ("udp/*").
struct PortRule {
  Transport transport = Transport::kTcp;
  std::uint16_t port = 0;
};
std::string port_rule_text(PortRule rule);
// "tcp/443", "udp/*"; nullopt for anything else.
std::optional<PortRule> parse_port_rule(std::string_view text);

// A site's firewall: UDP blocked both ways, or outbound connections only to the listed ports (no
// list: any). Inbound connections are never allowed: devices reach the cloud only by connections
// they open.
struct Firewall {
  bool udp_blocked = false;
  std::optional<std::vector<PortRule>> outbound;

  bool allows_outbound(Transport transport, std::uint16_t port) const;
};

}  // namespace ccsim::scenarios

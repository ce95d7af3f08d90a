#include "scenarios/model/site_network.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace ccsim::scenarios {
namespace {

constexpr std::array<std::string_view, kNatBehaviourCount> kBehaviourNames = {
    "endpoint-independent", "address-dependent", "address-and-port-dependent"};

}  // namespace

std::string_view transport_name(Transport transport) {
  return transport == Transport::kUdp ? "udp" : "tcp";
}

std::span<const std::string_view> nat_behaviour_words() {
  return kBehaviourNames;
}

std::string_view nat_behaviour_name(NatBehaviour behaviour) {
  return kBehaviourNames[static_cast<std::size_t>(behaviour)];
}

std::optional<NatBehaviour> parse_nat_behaviour(std::string_view name) {
  for (std::size_t i = 0; i < kBehaviourNames.size(); ++i) {
    if (kBehaviourNames[i] == name) return static_cast<NatBehaviour>(i);
  }
  return std::nullopt;
}

std::string nat_config_problem(const NatConfig& config) {
  if (config.udp_timeout < kUdpMappingTimeoutMin) {
    return "a UDP mapping timeout under 2 minutes, which RFC 4787 REQ-5 forbids";
  }
  if (config.udp_timeout > kUdpMappingTimeoutMax) return "a UDP mapping timeout over 24 hours";
  if (config.tcp_timeout < kTcpMappingTimeoutMin) {
    return "a TCP mapping timeout under 2 hours 4 minutes, which RFC 5382 REQ-5 forbids";
  }
  if (config.tcp_timeout > kTcpMappingTimeoutMax) return "a TCP mapping timeout over 7 days";
  return {};
}

std::string port_rule_text(PortRule rule) {
  return std::string(transport_name(rule.transport)) + "/" +
         (rule.port == 0 ? std::string("*") : std::to_string(rule.port));
}

std::optional<PortRule> parse_port_rule(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view transport = text.substr(0, slash);
  const std::string_view port = text.substr(slash + 1);
  PortRule rule;
  if (transport == "udp") {
    rule.transport = Transport::kUdp;
  } else if (transport != "tcp") {
    return std::nullopt;
  }
  if (port == "*") return rule;
  if (port.empty() || port.front() == '0') return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value > 65535) {
    return std::nullopt;
  }
  rule.port = static_cast<std::uint16_t>(value);
  return rule;
}

bool Firewall::allows_outbound(Transport transport, std::uint16_t port) const {
  if (transport == Transport::kUdp && udp_blocked) return false;
  if (!outbound) return true;
  return std::any_of(outbound->begin(), outbound->end(), [&](PortRule rule) {
    return rule.transport == transport && (rule.port == 0 || rule.port == port);
  });
}

}  // namespace ccsim::scenarios

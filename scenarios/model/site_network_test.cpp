// Firewall rules and their words, against a table written by hand.
#include "scenarios/model/site_network.h"

#include <gtest/gtest.h>

namespace ccsim::scenarios {
namespace {

TEST(PortRule, ParsesTheWordsTheReadmeGives) {
  EXPECT_EQ(parse_port_rule("tcp/443")->port, 443);
  EXPECT_EQ(parse_port_rule("tcp/443")->transport, Transport::kTcp);
  EXPECT_EQ(parse_port_rule("udp/*")->port, 0);
  EXPECT_EQ(parse_port_rule("udp/*")->transport, Transport::kUdp);
  EXPECT_EQ(parse_port_rule("udp/65535")->port, 65535);
  for (const char* bad : {"tcp", "tcp/", "tcp/0", "tcp/0443", "tcp/65536", "tcp/-1", "tcp/44x",
                          "TCP/443", "icmp/1", "/443", "tcp/ 443"}) {
    EXPECT_FALSE(parse_port_rule(bad)) << bad;
  }
  EXPECT_EQ(port_rule_text(*parse_port_rule("udp/*")), "udp/*");
  EXPECT_EQ(port_rule_text(*parse_port_rule("tcp/8883")), "tcp/8883");
}

TEST(Firewall, AllowsWhatItsRulesSay) {
  struct Row {
    Firewall firewall;
    Transport transport;
    std::uint16_t port;
    bool allowed;
  };
  const std::vector<PortRule> web_only = {{Transport::kTcp, 443}};
  const std::vector<PortRule> any_udp = {{Transport::kUdp, 0}};
  const Row rows[] = {
      {{}, Transport::kUdp, 3478, true},  // no firewall rules: everything leaves
      {{}, Transport::kTcp, 8883, true},
      {{true, std::nullopt}, Transport::kUdp, 3478, false},  // UDP blocked
      {{true, std::nullopt}, Transport::kTcp, 443, true},
      {{false, web_only}, Transport::kTcp, 443, true},  // only tcp/443
      {{false, web_only}, Transport::kTcp, 80, false},
      {{false, web_only}, Transport::kUdp, 443, false},
      {{false, any_udp}, Transport::kUdp, 9, true},
      {{true, any_udp}, Transport::kUdp, 9, false},                     // blocked wins over a rule
      {{false, std::vector<PortRule>{}}, Transport::kTcp, 443, false},  // an empty list: none
  };
  for (const Row& row : rows) {
    EXPECT_EQ(row.firewall.allows_outbound(row.transport, row.port), row.allowed)
        << transport_name(row.transport) << "/" << row.port;
  }
}

}  // namespace
}  // namespace ccsim::scenarios

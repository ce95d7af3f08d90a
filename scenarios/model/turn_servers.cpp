#include "scenarios/model/turn_servers.h"

#include <algorithm>

namespace ccsim::scenarios {

std::vector<std::string> platform_regions(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const Region& region : scenario.regions) names.push_back(region.name);
  if (names.empty()) names.push_back(scenario.cloud.region);
  return names;
}

TurnServer default_turn_server(std::string_view region) {
  TurnServer server;
  server.name = "turn-" + std::string(region);
  server.region = std::string(region);
  return server;
}

std::vector<TurnServer> turn_servers_with_defaults(const Scenario& scenario) {
  std::vector<TurnServer> servers = scenario.turn_servers;
  for (const std::string& region : platform_regions(scenario)) {
    const bool has_one = std::any_of(servers.begin(), servers.end(), [&](const TurnServer& s) {
      return s.organization.empty() && s.region == region;
    });
    if (!has_one) servers.push_back(default_turn_server(region));
  }
  return servers;
}

std::string turn_host(const TurnServer& server) {
  return server.host.empty() ? "turn." + server.name + ".ccsim.test" : server.host;
}

}  // namespace ccsim::scenarios

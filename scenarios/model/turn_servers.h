// Which TURN servers a scenario's live sessions relay through: the file's `turn_servers:`, and for
// each platform region the file gives none, the platform's default one there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

// The platform's regions by name, in the order sessions index them: the scenario's `regions:`,
// or the cloud's one region without them.
std::vector<std::string> platform_regions(const Scenario& scenario);

// The server a region has when the file gives it none: `turn-REGION`.
TurnServer default_turn_server(std::string_view region);

// The scenario's servers in file order, then a default one for each platform region that has none.
std::vector<TurnServer> turn_servers_with_defaults(const Scenario& scenario);

// Where clients reach `server`: its `host`, or turn.NAME.ccsim.test.
std::string turn_host(const TurnServer& server);

}  // namespace ccsim::scenarios

// The `turn_servers:` section of a scenario file: the TURN servers live sessions relay through,
// each the platform's in one of its regions or a partner's for one organization; then the
// default one of each region the file gives none.
#include <set>
#include <string>

#include "scenarios/file_sections.h"
#include "scenarios/model/turn_servers.h"

namespace ccsim::scenarios::file {
namespace {

constexpr std::array<std::string_view, 4> kTurnServerKeys = {"name", "region", "organization",
                                                             "host"};

TurnServer read_turn_server(const Reader& reader, const Field& item, const Scenario& scenario,
                            const Names& names) {
  const MapView map = open_map(reader, item, kTurnServerKeys);
  TurnServer server;
  server.line = reader.line_of(item);
  server.name = read_identifier(reader, map.require("name", kIdentifierExpected));
  const std::optional<Field> region = map.find("region");
  const std::optional<Field> organization = map.find("organization");
  if (region.has_value() == organization.has_value()) {
    reader.fail(region ? *organization : item,
                "a TURN server is the platform's in one region or a partner's for one "
                "organization; expected exactly one of region and organization");
  }
  if (region) {
    server.region = read_reference(reader, *region, platform_regions(scenario),
                                   "a platform region (one under regions:, or the cloud's)");
  } else {
    server.organization =
        read_reference(reader, *organization, names.organizations, "an organization");
  }
  map.with("host", [&](const Field& host) { server.host = read_identifier(reader, host); });
  return server;
}

}  // namespace

void read_turn_servers(const Reader& reader, const Field& field, const Names& names,
                       Scenario& scenario) {
  std::set<std::string> taken;
  for (const Field& item : open_list(reader, field, kTurnServersPerScenarioMax, "turn_servers")) {
    reader.recover([&] {
      TurnServer server = read_turn_server(reader, item, scenario, names);
      if (!taken.insert(server.name).second) {
        reader.fail(open_map_field(item, "name"),
                    quote(server.name) + " names two TURN servers; expected unique names");
      }
      scenario.turn_servers.push_back(std::move(server));
    });
  }
}

}  // namespace ccsim::scenarios::file

// The `regions:` section of a scenario file: the platform's regions, each with its own device
// endpoint, and the latencies between them; and the rule that every site and organization is in
// one of them when they are declared.
#include <cassert>
#include <map>
#include <string>

#include "scenarios/file_sections.h"

namespace ccsim::scenarios::file {
namespace {

using namespace std::chrono_literals;

// `admission: {rate: 1000, burst: 2000}`: hellos a second and how many at once.
void read_admission(const Reader& reader, const Field& field, Region& region) {
  const MapView map = open_map(reader, field, {"rate", "burst"});
  map.with("rate", [&](const Field& rate) {
    region.admission_per_second = read_number(reader, rate);
    if (region.admission_per_second <= 0 || region.admission_per_second > kAdmissionPerSecondMax) {
      reader.fail(rate, "got " + quote(rate.node.Scalar()) +
                            "; expected hellos per second above 0 and at most 1000000");
    }
  });
  map.with("burst", [&](const Field& burst) {
    region.admission_burst =
        static_cast<std::uint32_t>(read_whole_number(reader, burst, 1, kDevicesPerScenarioMax));
  });
}

Region read_region(const Reader& reader, const Field& field) {
  const MapView map = open_map(
      reader, field, {"name", "latency", "bandwidth", "admission", "return_rate", "latency_to"});
  Region region;
  region.line = reader.line_of(field);
  region.name = read_identifier(reader, map.require("name", kIdentifierExpected));
  map.with("latency", [&](const Field& latency) {
    region.backbone_latency = read_duration(reader, latency, Duration::zero(), kRegionLatencyMax);
  });
  map.with("bandwidth", [&](const Field& bandwidth) {
    region.backbone_bps = read_bandwidth_bps(reader, bandwidth);
  });
  map.with("admission", [&](const Field& admission) { read_admission(reader, admission, region); });
  map.with("return_rate", [&](const Field& rate) {
    region.return_per_second = read_number(reader, rate);
    if (region.return_per_second <= 0 || region.return_per_second > kAdmissionPerSecondMax) {
      reader.fail(rate, "got " + quote(rate.node.Scalar()) +
                            "; expected devices per second above 0 and at most 1000000");
    }
  });
  return region;
}

// `latency_to: {us-east: 40ms}` of each region read (`items`, in scenario.regions' order), once
// every region's name is known.
void read_latencies_to(const Reader& reader, const std::vector<Field>& items, Scenario& scenario) {
  assert(items.size() == scenario.regions.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const YAML::Node node = items[i].node["latency_to"];
    if (!node.IsDefined()) continue;
    const Field field{node, child_path(items[i].path, "latency_to")};
    reader.recover([&] {
      if (!node.IsMap()) reader.fail(field, "not a map; expected {REGION: LATENCY, ...}");
      for (const auto& entry : node) {
        const std::string other = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
        const Field value{entry.second, child_path(field.path, other)};
        reader.recover([&] {
          const std::optional<std::uint32_t> j = scenario.region_index(other);
          if (!j || *j == i) {
            reader.fail(value, quote(other) +
                                   " is not another region; expected one of the "
                                   "scenario's other regions");
          }
          scenario.region_latencies.set(
              i, *j, read_duration(reader, value, Duration::zero(), kRegionLatencyMax));
        });
      }
    });
  }
}

}  // namespace

void read_regions(const Reader& reader, const Field& field, Scenario& scenario) {
  const std::vector<Field> items = open_list(reader, field, kRegionsPerScenarioMax, "regions");
  std::map<std::string, std::string> taken;
  std::vector<Field> read;  // the items of the regions read, in their order
  for (const Field& item : items) {
    reader.recover([&] {
      Region region = read_region(reader, item);
      const auto [it, added] = taken.emplace(region.name, item.path);
      if (!added) {
        reader.fail(open_map_field(item, "name"), quote(region.name) + " is already taken by " +
                                                      it->second +
                                                      "; expected a unique region name");
      }
      scenario.regions.push_back(std::move(region));
      read.push_back(item);
    });
  }
  scenario.region_latencies = RegionLatencies(scenario.regions);
  read_latencies_to(reader, read, scenario);
}

void check_region(const Reader& reader, const Field& field, const std::string& region,
                  const std::vector<Region>& regions, std::string_view whose) {
  if (regions.empty()) return;
  std::vector<std::string> names;
  for (const Region& declared : regions) {
    if (declared.name == region) return;
    names.push_back(declared.name);
  }
  reader.report(field, quote(region) + (whose.empty() ? "" : " (" + std::string(whose) + ")") +
                           " is not one of the scenario's regions; expected one of " +
                           join(names, kNamesListedMax));
}

}  // namespace ccsim::scenarios::file

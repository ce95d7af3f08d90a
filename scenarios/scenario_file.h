// Scenario files: YAML in, a validated Scenario out, with every default filled in. Anything
// wrong in a file or a `--set` override is a ScenarioError naming the file, the 1-based line,
// the dotted key path (e.g. `sites.2.uplink.latency`) and what was expected; the command line
// turns it into exit code 2. The schema is documented in scenarios/README.md.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenarios/model/scenario.h"
#include "scenarios/scenario_error.h"

namespace ccsim::scenarios {

// One `--set key=value`: a dotted key path (numeric segments index lists) and a YAML value.
using Override = std::pair<std::string, std::string>;  // {"fleet.cameras", "500"}

// Splits "key=value" at the first '=' and checks the key path's shape. Throws ScenarioError
// (file "--set").
Override parse_override(std::string_view key_equals_value);

// Reads and validates the file at `path`, applying `overrides` in order before validation.
// A missing or unreadable file is a ScenarioError naming it.
Scenario load_scenario(const std::string& path, const std::vector<Override>& overrides);

// As load_scenario, from text; `file_label` names the text in errors and in Scenario::file.
Scenario parse_scenario(std::string_view yaml_text, const std::string& file_label,
                        const std::vector<Override>& overrides);

// "90s", "15m", "2h", "1d", "250ms", "10us", "1h30m", "1.5s": number-and-unit groups, largest
// unit first, no spaces, whole microseconds. Throws std::invalid_argument.
Duration parse_duration(std::string_view text);

// "50Mbps", "10Gbps", "100kbps", "1.5Mbps" in bits per second; "B" for bytes ("40MBps" is
// 320e6 bits/s). Throws std::invalid_argument.
double parse_bandwidth_bps(std::string_view text);

// "0.1%" -> 0.001, or a plain number "0.001"; the result lies in [0, 1]. Throws
// std::invalid_argument.
double parse_fraction(std::string_view text);

}  // namespace ccsim::scenarios

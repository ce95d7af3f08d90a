// Bad input in a scenario file or a `--set` override: every problem found, in file order, each
// naming the file, the 1-based line, the dotted key path (e.g. `sites.2.uplink.latency`) and what
// was expected, as a compiler lists its errors. The command line prints them and exits with 2.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ccsim::scenarios {

// Most problems one error reports; a file with more gets the first ones and a last line that says
// how many more there were.
inline constexpr std::size_t kScenarioProblemsMax = 50;

struct ScenarioProblem {
  std::string file;      // the scenario file's label, or "--set" for an override
  int line = 0;          // 1-based; 0 when there is no line (an override, an unreadable file)
  std::string key;       // dotted key path, e.g. "sites.2.uplink.latency"; may be empty
  std::string expected;  // what was wrong and what was expected
  std::string setting;   // the override "key=value" the bad value came from; empty for a file

  // "FILE:LINE: KEY: EXPECTED", e.g. "x.yaml:7: fleet.camras: unknown key; expected one of
  // cameras, sites, model, os, region, uplink"; for an override "--set fleet.camras=5:
  // fleet.camras: ...".
  std::string message() const;
};

// what() holds every problem's message, one per line. The fields name the first problem, which is
// the whole error when there is only one.
struct ScenarioError : std::runtime_error {
  ScenarioError(std::string file_in, int line_in, std::string key_in, std::string expected_in,
                std::string setting_in = {});
  // `problems` holds at least one; past kScenarioProblemsMax, `more` says how many were left out.
  explicit ScenarioError(std::vector<ScenarioProblem> problems, std::size_t more = 0);

  std::string file;
  int line = 0;
  std::string key;
  std::string expected;
  std::string setting;
  std::vector<ScenarioProblem> problems;  // every problem reported, the first one included
  std::size_t more = 0;                   // problems found past kScenarioProblemsMax
};

// The error as JSON and back, for runs that happen in a child process.
nlohmann::ordered_json scenario_error_to_json(const ScenarioError& error);
ScenarioError scenario_error_from_json(const nlohmann::json& json);

}  // namespace ccsim::scenarios

// The scenario engine: runs a scenario with one seed on the simulated driver, then judges its
// checks. Checks that look at a moment ("connected at 50m") become probes that observe the
// platform at that simulated time; the others are judged at the end from the platform's
// knowledge and the run's metrics.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/run_result.h"
#include "scenarios/scenario.h"

namespace ccsim::scenarios {

struct RunSettings {
  std::uint64_t seed = 1;
  std::vector<std::pair<std::string, std::string>> overrides;  // as given with --set
  bool progress = false;                                       // progress lines on stderr
};

// Runs `scenario` (loaded from settings' file with settings' overrides) in this process.
// SimGrid allows this once per process; see run_in_child_process for more.
RunResult run_scenario(const Scenario& scenario, const RunSettings& settings);

// Loads the scenario at `path` and runs it in a forked child process, so that one process may
// run many scenarios. Bad input arrives as ScenarioError with the child's fields; a child that
// dies arrives as std::runtime_error.
RunResult run_in_child_process(const std::string& path, const RunSettings& settings);

// The command line that reproduces a run: "ccsim run FILE --seed N [--set k=v]...", each
// argument quoted for a POSIX shell where it needs to be.
std::string reproduce_command(const std::string& file, const RunSettings& settings);

}  // namespace ccsim::scenarios

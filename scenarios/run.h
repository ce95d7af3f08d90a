// The scenario engine's front: runs a scenario with one seed on a driver of the caller's choice,
// then judges its checks. The same deployment, timeline and judge serve both drivers, so a
// scenario means the same thing on SimGrid and on real sockets; only time and the network differ.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenarios/model/run_result.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

enum class DriverKind : std::uint8_t {
  kSimulated,  // SimGrid: simulated links, simulated time
  kReal,       // TLS websockets on 127.0.0.1 between the platform and every agent
};
// How the real driver keeps time.
enum class ClockKind : std::uint8_t {
  kPaused,  // jumps to the next timer whenever no socket has work (scenarios of days in seconds)
  kReal,    // the wall clock, for runs against outside peers
};
std::string_view driver_kind_name(DriverKind kind);  // "sim", "real"
std::string_view clock_kind_name(ClockKind kind);    // "paused", "real"

struct RunSettings {
  std::uint64_t seed = 1;
  std::vector<std::pair<std::string, std::string>> overrides;  // as given with --set
  bool progress = false;                                       // progress lines on stderr
  DriverKind driver = DriverKind::kSimulated;
  ClockKind clock = ClockKind::kPaused;  // the real driver's
  bool swarm = false;  // draw faults from the seed within the scenario's `swarm:` budget
};

// Runs `scenario` (loaded from settings' file with settings' overrides) in this process.
// SimGrid allows this once per process; see run_in_child_process for more.
RunResult run_scenario(const Scenario& scenario, const RunSettings& settings);

// As run_scenario, with what the platform knows at the end as text (Deployment::describe), for
// tests that hold both drivers to the same outcome.
struct RunAndKnowledge {
  RunResult result;
  std::string knowledge;
};
RunAndKnowledge run_scenario_with_knowledge(const Scenario& scenario, const RunSettings& settings);

// Loads the scenario at `path` and runs it in a forked child process, so that one process may
// run many scenarios. Bad input arrives as ScenarioError with the child's fields; a child that
// dies arrives as std::runtime_error.
RunResult run_in_child_process(const std::string& path, const RunSettings& settings);

// The command line that reproduces a run: "ccsim run FILE --seed N [--set k=v]... [--driver
// real]", each argument quoted for a POSIX shell where it needs to be.
std::string reproduce_command(const std::string& file, const RunSettings& settings);

}  // namespace ccsim::scenarios

// What one run of one scenario with one seed produced: the verdict of each check, the metrics
// and the trace digest. Written as result.json, junit.xml and report.html (reports/), returned
// to Python as ccsim.RunResult.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/model/capacity_inputs.h"

namespace ccsim::scenarios {

// A service level objective's bounds on its metric, and what the run measured.
struct Objective {
  std::string metric;
  double at_least = -std::numeric_limits<double>::infinity();
  double at_most = std::numeric_limits<double>::infinity();
  double measured = 0;
};

struct CheckResult {
  std::string id;
  bool passed = false;
  std::string detail;     // what was measured against what was expected
  bool liveness = false;  // a swarm run's convergence check, not one of the scenario's
  std::optional<Objective> objective = std::nullopt;  // a service level objective's (`slo:`)
};

// One input of the run as a capacity report lists it: what it is, its value, where it came from
// (a scenario key, a default, the white paper, or the run's own measurement).
struct Assumption {
  std::string input;
  std::string value;
  std::string source;
};

// The run sampled every `sample_interval` (scenarios/sampler.h): one row per sample, the first
// column the simulated time in seconds. Written beside result.json as timeseries.csv, not into it.
struct TimeSeries {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
};

struct RunResult {
  std::string scenario;  // the scenario's name
  std::string file;      // the scenario file
  std::uint64_t seed = 0;
  bool passed = false;  // every check passed
  std::vector<CheckResult> checks;
  // Named metrics, in a fixed order (the order they are reported in).
  std::vector<std::pair<std::string, double>> metrics;
  std::string trace_hash;  // hex SHA-256 of the ordered event log
  double sim_time_s = 0;
  double wall_time_s = 0;
  std::uint64_t events = 0;    // trace events
  std::uint64_t devices = 0;   // devices simulated
  std::string reproduce;       // the command line that reproduces this run
  std::string driver = "sim";  // sim, or real (TLS websockets on loopback)
  // What made the run: ccsim's version and commit, and the tz database's version that update
  // windows were read with. A trace hash reproduces only with both the same.
  std::string build;
  std::string tz_database;
  std::vector<Assumption> assumptions;
  CapacityInputs capacity;  // the scenario's `capacity:`
  TimeSeries series;        // not in result.json
};

}  // namespace ccsim::scenarios

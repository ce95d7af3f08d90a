// The files a run leaves behind: result.json (one run, read back by `ccsim report` and the suite
// runner), junit.xml (for CI) and report.html (for people). Writers replace the file whole (write
// then rename) and throw std::runtime_error naming the path they could not write; the JSON reader
// names the file and the key that was wrong.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/run_result.h"

namespace ccsim::reports {

using scenarios::CheckResult;
using scenarios::RunResult;

// Keys in a fixed order: scenario, file, seed, passed, checks ({id, passed, detail}), metrics (an
// object in the vector's order), trace_hash, sim_time_s, wall_time_s, events, devices, reproduce.
// A non-finite number is written as null. Throws std::invalid_argument on a repeated metric name.
nlohmann::ordered_json result_to_json(const RunResult& result);

// The strict inverse of result_to_json: every key must be present with its type (null reads back
// as NaN where a number is expected); other keys are ignored. Throws std::runtime_error such as
// "runs/x/result.json: key 'seed': expected an unsigned integer". The ordered_json overload keeps
// the metrics in the document's order; the json overload gets them sorted by name.
RunResult result_from_json(const nlohmann::ordered_json& json, const std::string& origin);
RunResult result_from_json(const nlohmann::json& json, const std::string& origin);

// Writes dir/result.json: pretty, 2-space indent, trailing newline. The directory must exist.
void write_result_json(const std::filesystem::path& dir, const RunResult& result);

// Reads a file written by write_result_json, keeping the metrics' order.
RunResult read_result_json(const std::filesystem::path& file);

// JUnit XML: one <testsuite> per run named "scenario[seed=N]", one <testcase> per check. A run
// marked failed without a failing check gets a failing testcase named "run" so CI sees it.
void write_junit_xml(const std::filesystem::path& file, const std::vector<RunResult>& runs,
                     const std::string& suite_name);

// One self-contained HTML page (inline CSS, no scripts, no external resources): a summary, a table
// of the runs (failed first, then by scenario and seed) and a section per run.
void write_report_html(const std::filesystem::path& file, const std::vector<RunResult>& runs,
                       const std::string& title);

}  // namespace ccsim::reports

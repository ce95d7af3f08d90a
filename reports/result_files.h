// The files a run leaves behind: result.json (one run, read back by `ccsim report` and the suite
// runner), timeseries.csv (for data tools), junit.xml (for CI) and report.html (for people).
// Writers replace the file whole (write then rename) and throw std::runtime_error naming the path
// they could not write; the JSON reader names the file and the key that was wrong.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/capacity_report.h"
#include "scenarios/model/run_result.h"
#include "scenarios/model/run_result_json.h"

namespace ccsim::reports {

using scenarios::CheckResult;
using scenarios::RunResult;

// result.json's content (scenarios/model/run_result_json.h).
using scenarios::result_from_json;
using scenarios::result_to_json;

// Writes dir/result.json: pretty, 2-space indent, trailing newline. The directory must exist.
void write_result_json(const std::filesystem::path& dir, const RunResult& result);

// Reads a file written by write_result_json, keeping the metrics' order.
RunResult read_result_json(const std::filesystem::path& file);

// timeseries.csv: the run's time series (scenarios/sampler.h), a header of column names then one
// row per sample, whole numbers as integers and the others in their shortest form that reads back
// exactly (RFC 4180, no quoting needed: names are identifiers).
void write_timeseries_csv(const std::filesystem::path& file, const scenarios::TimeSeries& series);

// JUnit XML: one <testsuite> per run named "scenario[seed=N]", one <testcase> per check. A run
// marked failed without a failing check gets a failing testcase named "run" so CI sees it.
void write_junit_xml(const std::filesystem::path& file, const std::vector<RunResult>& runs,
                     const std::string& suite_name);

// Reads a file written by write_timeseries_csv; names the file and line of what it cannot read.
scenarios::TimeSeries read_timeseries_csv(const std::filesystem::path& file);

// One self-contained HTML page (inline CSS and SVG, no scripts, no external resources): the
// verdict, with `charts` the capacity sections (reports/capacity_report.h) drawing into it, a
// table of the runs (failed first, then by scenario and seed) and a section per run. Returns what
// went wrong drawing the charts, which the page says too.
std::vector<std::string> write_report_html(const std::filesystem::path& file,
                                           const std::vector<RunResult>& runs,
                                           const std::string& title,
                                           const ChartPlace* charts = nullptr);

}  // namespace ccsim::reports

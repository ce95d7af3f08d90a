#include "reports/result_files.h"

#include "reports/markup.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

namespace ccsim::reports {
namespace {

namespace fs = std::filesystem;

// A result.json is a few kilobytes; anything this large is not one of ours.
constexpr std::uintmax_t kResultJsonBytesMax = 64u << 20;
// kSamplesPerRunMax rows of a few dozen columns.
constexpr std::uintmax_t kTimeSeriesCsvBytesMax = 512u << 20;
// Characters of the trace hash shown in the run table (the full hash is in the title attribute).
constexpr std::size_t kTraceHashCharsShort = 12;
// Metrics beyond this many are shown in two column pairs, so the table stays short.
constexpr std::size_t kMetricsOneColumnMax = 8;

// ---------------------------------------------------------------------------------------------
// Files

// Writes to a sibling temporary and renames it over `file`, so a reader (a suite's report, a CI
// job) never sees half a file.
void write_file(const fs::path& file, const std::string& content) {
  fs::path temporary = file;
  temporary += ".tmp";
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  }
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  std::error_code ignored;
  if (!out) {
    const int error = errno;
    fs::remove(temporary, ignored);
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(error));
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) {
    fs::remove(temporary, ignored);
    throw std::runtime_error("cannot write " + file.string() + ": " + error.message());
  }
}

std::string read_file(const fs::path& file, std::uintmax_t bytes_max) {
  std::error_code error;
  const std::uintmax_t size = fs::file_size(file, error);
  if (error) throw std::runtime_error("cannot read " + file.string() + ": " + error.message());
  if (size > bytes_max) {
    throw std::runtime_error("cannot read " + file.string() + ": larger than " +
                             std::to_string(bytes_max) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
  std::string content(size, '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    throw std::runtime_error("cannot read " + file.string() + ": short read");
  }
  return content;
}

// Seconds for JUnit's time attributes; CI tools cannot read NaN.
std::string junit_seconds(double seconds) {
  return format("%.3f", std::isfinite(seconds) ? seconds : 0.0);
}

std::size_t failed_checks(const RunResult& run) {
  return static_cast<std::size_t>(
      std::count_if(run.checks.begin(), run.checks.end(),
                    [](const CheckResult& check) { return !check.passed; }));
}

// ---------------------------------------------------------------------------------------------
// junit.xml

std::string suite_name_of(const RunResult& run) {
  return run.scenario + "[seed=" + std::to_string(run.seed) + "]";
}

// The checks as JUnit sees them: a run failed without a failing check (it stopped early, say)
// gets one failing case of its own so it cannot look green.
std::vector<CheckResult> junit_cases(const RunResult& run) {
  std::vector<CheckResult> cases = run.checks;
  if (!run.passed && failed_checks(run) == 0) {
    cases.push_back({"run", false, "the run failed without a failing check"});
  }
  return cases;
}

void append_junit_case(std::string& out, const RunResult& run, const CheckResult& check) {
  out += "    <testcase" + attribute("classname", "ccsim." + run.scenario) +
         attribute("name", check.id) + " time=\"0\"";
  if (check.passed) {
    out += "/>\n";
    return;
  }
  out += ">\n      <failure" + attribute("message", check.detail) + " type=\"check\">";
  out += escape(check.detail);
  if (!run.reproduce.empty()) out += "\nreproduce: " + escape(run.reproduce);
  out += "</failure>\n    </testcase>\n";
}

void append_junit_suite(std::string& out, const RunResult& run) {
  const std::vector<CheckResult> cases = junit_cases(run);
  const auto failures = std::count_if(cases.begin(), cases.end(),
                                      [](const CheckResult& check) { return !check.passed; });
  out += "  <testsuite" + attribute("name", suite_name_of(run)) +
         attribute("tests", std::to_string(cases.size())) +
         attribute("failures", std::to_string(failures)) + " errors=\"0\" skipped=\"0\"" +
         attribute("time", junit_seconds(run.wall_time_s)) + ">\n";
  out += "    <properties>\n";
  const std::pair<std::string, std::string> properties[] = {
      {"seed", std::to_string(run.seed)},
      {"trace_hash", run.trace_hash},
      {"file", run.file},
      {"sim_time_s", format("%.17g", run.sim_time_s)},
      {"events", std::to_string(run.events)},
      {"devices", std::to_string(run.devices)},
  };
  for (const auto& [name, value] : properties) {
    out += "      <property" + attribute("name", name) + attribute("value", value) + "/>\n";
  }
  out += "    </properties>\n";
  for (const CheckResult& check : cases) append_junit_case(out, run, check);
  out += "    <system-out>";
  for (const auto& [name, value] : run.metrics) {
    out += escape(name) + " = " + format("%.15g", value) + "\n";  // for tools: no commas
  }
  if (!run.reproduce.empty()) out += "reproduce: " + escape(run.reproduce) + "\n";
  out += "</system-out>\n  </testsuite>\n";
}

// ---------------------------------------------------------------------------------------------
// report.html

constexpr std::string_view kStyle = R"css(
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --pass-line: #4ac26b; --fail: #cf222e;
        --fail-bg: #ffebe9; --fail-line: #ff8182; --line: #d0d7de; --muted: #59636e;
        --text: #1f2328; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: var(--text); font: 15px/1.5 system-ui,
       -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 32px 56px; }
h1 { font-size: 26px; margin: 0 0 14px; }
h2 { font-size: 19px; margin: 0 0 4px; display: flex; align-items: center; gap: 10px; }
h3 { font-size: 13px; margin: 18px 0 6px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .05em; }
a { color: inherit; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
            monospace; font-size: 13px; }
.summary { padding: 12px 16px; border: 1px solid; border-radius: 6px; font-size: 16px;
           margin-bottom: 24px; }
.summary.pass { background: var(--pass-bg); border-color: var(--pass-line); }
.summary.fail { background: var(--fail-bg); border-color: var(--fail-line); }
.summary b { font-weight: 650; }
.summary .sep { color: var(--muted); margin: 0 8px; }
.summary .badge { margin-right: 6px; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; font-size: 12px; font-weight: 600; color: var(--muted);
     text-transform: uppercase; letter-spacing: .04em; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fail > td { background: #fff5f5; }
.badge { display: inline-block; min-width: 46px; padding: 1px 8px; border-radius: 12px;
         font-size: 12px; font-weight: 700; letter-spacing: .04em; text-align: center; }
.badge.pass { background: var(--pass-bg); color: var(--pass); border: 1px solid var(--pass-line); }
.badge.fail { background: var(--fail); color: #fff; border: 1px solid var(--fail); }
section.run { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--pass);
              border-radius: 6px; padding: 16px 20px 18px; margin-top: 22px; }
section.run.fail { border-left-color: var(--fail); }
section.run table { border-radius: 0; }
.seed { color: var(--muted); font-weight: 400; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
.meta span { white-space: nowrap; }
.meta span + span::before { content: "\00b7"; margin: 0 8px 0 4px; }
.meta.trace { overflow-wrap: anywhere; }
.detail { white-space: pre-wrap; overflow-wrap: anywhere; }
.none { color: var(--muted); font-style: italic; }
table.metrics { width: auto; min-width: 420px; }
table.metrics td.num { padding-right: 28px; }
table.metrics td { padding-top: 4px; padding-bottom: 4px; }
table.metrics td:nth-child(3), table.metrics th:nth-child(3) { border-left: 1px solid var(--line); }
pre { background: #1f2328; color: #f0f3f6; padding: 12px 14px; border-radius: 6px; margin: 0;
      white-space: pre-wrap; overflow-wrap: anywhere; }
)css";

std::string badge(bool passed) {
  return passed ? "<span class=\"badge pass\">PASS</span>"
                : "<span class=\"badge fail\">FAIL</span>";
}

const char* verdict_class(bool passed) {
  return passed ? "pass" : "fail";
}

// Failed runs first, then by scenario and seed; stable, so equal runs keep their given order.
std::vector<const RunResult*> report_order(const std::vector<RunResult>& runs) {
  std::vector<const RunResult*> order;
  for (const RunResult& run : runs) order.push_back(&run);
  std::stable_sort(order.begin(), order.end(), [](const RunResult* a, const RunResult* b) {
    return std::tie(a->passed, a->scenario, a->seed) < std::tie(b->passed, b->scenario, b->seed);
  });
  return order;
}

void append_html_summary(std::string& out, const std::vector<RunResult>& runs) {
  std::size_t passed = 0, checks = 0, checks_failed = 0;
  std::uint64_t devices = 0;
  double wall_time_s = 0;
  for (const RunResult& run : runs) {
    passed += run.passed ? 1 : 0;
    checks += run.checks.size();
    checks_failed += failed_checks(run);
    devices += run.devices;
    if (std::isfinite(run.wall_time_s)) wall_time_s += run.wall_time_s;
  }
  const std::size_t failed = runs.size() - passed;
  const std::string separator = "<span class=\"sep\">&#183;</span>";
  out += "<div class=\"summary " + std::string(verdict_class(failed == 0)) + "\">";
  out += badge(failed == 0) + " ";
  out += "<b>" + with_thousands(runs.size()) + "</b> runs" + separator;
  out += "<b>" + with_thousands(passed) + "</b> passed" + separator;
  out += "<b>" + with_thousands(failed) + "</b> failed" + separator;
  out += "<b>" + with_thousands(checks) + "</b> checks (" + with_thousands(checks_failed) +
         " failed)" + separator;
  out += "<b>" + with_thousands(devices) + "</b> devices" + separator;
  out += "wall time <b>" + format_duration(wall_time_s) + "</b></div>\n";
}

std::string anchor_of(std::size_t index) {
  return "run-" + std::to_string(index + 1);
}

void append_html_run_table(std::string& out, const std::vector<const RunResult*>& order) {
  out +=
      "<table class=\"runs\">\n<thead><tr><th>Verdict</th><th>Scenario</th>"
      "<th class=\"num\">Seed</th><th class=\"num\">Checks</th><th class=\"num\">Devices</th>"
      "<th class=\"num\">Sim time</th><th class=\"num\">Wall time</th><th>Trace hash</th>"
      "</tr></thead>\n<tbody>\n";
  for (std::size_t index = 0; index < order.size(); ++index) {
    const RunResult& run = *order[index];
    const std::size_t checks_passed = run.checks.size() - failed_checks(run);
    out += "<tr class=\"" + std::string(verdict_class(run.passed)) + "\"><td>" + badge(run.passed) +
           "</td>";
    out += "<td><a href=\"#" + anchor_of(index) + "\">" + escape(run.scenario) + "</a></td>";
    out += "<td class=\"num\">" + std::to_string(run.seed) + "</td>";
    out += "<td class=\"num\">" + with_thousands(checks_passed) + " / " +
           with_thousands(run.checks.size()) + "</td>";
    out += "<td class=\"num\">" + with_thousands(run.devices) + "</td>";
    out += "<td class=\"num\">" + format_duration(run.sim_time_s) + "</td>";
    out += "<td class=\"num\">" + format_duration(run.wall_time_s) + "</td>";
    out += "<td><code" + attribute("title", run.trace_hash) + ">" +
           escape(run.trace_hash.substr(0, kTraceHashCharsShort)) + "</code></td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

void append_html_checks(std::string& out, const RunResult& run) {
  out += "<h3>Checks</h3>\n";
  if (run.checks.empty()) {
    out += "<p class=\"none\">No checks.</p>\n";
    return;
  }
  out +=
      "<table class=\"checks\">\n<thead><tr><th>Check</th><th>Verdict</th><th>Detail</th>"
      "</tr></thead>\n<tbody>\n";
  for (const CheckResult& check : run.checks) {
    out += "<tr class=\"" + std::string(verdict_class(check.passed)) + "\"><td><code>" +
           escape(check.id) + "</code></td><td>" + badge(check.passed) +
           "</td><td class=\"detail\">" + escape(check.detail) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

// Long lists go in two column pairs, read down the first pair and then the second.
void append_html_metrics(std::string& out, const RunResult& run) {
  out += "<h3>Metrics</h3>\n";
  if (run.metrics.empty()) {
    out += "<p class=\"none\">No metrics.</p>\n";
    return;
  }
  const std::size_t count = run.metrics.size();
  const std::size_t pairs = count > kMetricsOneColumnMax ? 2 : 1;
  const std::size_t rows = (count + pairs - 1) / pairs;
  out += "<table class=\"metrics\">\n<thead><tr>";
  for (std::size_t pair = 0; pair < pairs; ++pair) {
    out += "<th>Metric</th><th class=\"num\">Value</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t row = 0; row < rows; ++row) {
    out += "<tr>";
    for (std::size_t index = row; index < count; index += rows) {
      const auto& [name, value] = run.metrics[index];
      out += "<td><code>" + escape(name) + "</code></td><td class=\"num\">" +
             escape(format_metric(value)) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

void append_html_run(std::string& out, const RunResult& run, std::size_t index) {
  out += "<section class=\"run " + std::string(verdict_class(run.passed)) + "\"" +
         attribute("id", anchor_of(index)) + ">\n";
  out += "<h2>" + badge(run.passed) + "<span>" + escape(run.scenario) +
         "</span><span class=\"seed\">seed " + std::to_string(run.seed) + "</span></h2>\n";
  // Spaces between the items let the line wrap between them, never inside one.
  out += "<p class=\"meta\">";
  if (!run.file.empty()) out += "<span><code>" + escape(run.file) + "</code></span> ";
  out += "<span>" + with_thousands(run.devices) + " devices</span> ";
  out += "<span>" + with_thousands(run.events) + " events</span> ";
  out += "<span>sim time " + format_duration(run.sim_time_s) + "</span> ";
  out += "<span>wall time " + format_duration(run.wall_time_s) + "</span></p>\n";
  out += "<p class=\"meta trace\">trace <code>" + escape(run.trace_hash) + "</code></p>\n";
  append_html_checks(out, run);
  append_html_metrics(out, run);
  if (!run.passed) {
    out += "<h3>Reproduce</h3>\n<pre>" +
           (run.reproduce.empty() ? std::string("(no command recorded)") : escape(run.reproduce)) +
           "</pre>\n";
  }
  out += "</section>\n";
}

}  // namespace

void write_result_json(const std::filesystem::path& dir, const RunResult& result) {
  // Bytes that are not UTF-8 (a detail quoting a raw frame, say) become U+FFFD, not an exception.
  const std::string text =
      result_to_json(result).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  write_file(dir / "result.json", text + "\n");
}

void write_timeseries_csv(const std::filesystem::path& file, const scenarios::TimeSeries& series) {
  std::string text;
  for (std::size_t i = 0; i < series.columns.size(); ++i) {
    text += (i == 0 ? "" : ",") + series.columns[i];
  }
  text += "\n";
  for (const std::vector<double>& row : series.rows) {
    assert(row.size() == series.columns.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::array<char, 32> number{};
      const double value = row[i];
      const bool whole =
          std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15;
      const auto written = whole
                               ? std::to_chars(number.data(), number.data() + number.size(),
                                               static_cast<std::int64_t>(value))
                               : std::to_chars(number.data(), number.data() + number.size(), value);
      if (i > 0) text += ',';
      text.append(number.data(), written.ptr);
    }
    text += "\n";
  }
  write_file(file, text);
}

scenarios::TimeSeries read_timeseries_csv(const std::filesystem::path& file) {
  std::istringstream in(read_file(file, kTimeSeriesCsvBytesMax));
  scenarios::TimeSeries series;
  std::string line;
  std::getline(in, line);
  std::istringstream header(line);
  for (std::string column; std::getline(header, column, ',');) series.columns.push_back(column);
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    std::vector<double> row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) {
      double value = 0;
      const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
      if (error != std::errc() || end != cell.data() + cell.size()) {
        throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": '" + cell +
                                 "' is not a number");
      }
      row.push_back(value);
    }
    if (row.size() != series.columns.size()) {
      throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": " +
                               std::to_string(row.size()) + " values; expected " +
                               std::to_string(series.columns.size()) + ", one per column");
    }
    series.rows.push_back(std::move(row));
  }
  return series;
}

RunResult read_result_json(const std::filesystem::path& file) {
  const std::string text = read_file(file, kResultJsonBytesMax);
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::ordered_json::parse_error& error) {
    throw std::runtime_error(file.string() + ": not valid JSON: " + error.what());
  }
  return result_from_json(json, file.string());
}

void write_junit_xml(const std::filesystem::path& file, const std::vector<RunResult>& runs,
                     const std::string& suite_name) {
  std::size_t tests = 0, failures = 0;
  double time_s = 0;
  for (const RunResult& run : runs) {
    const std::vector<CheckResult> cases = junit_cases(run);
    tests += cases.size();
    failures += static_cast<std::size_t>(std::count_if(
        cases.begin(), cases.end(), [](const CheckResult& check) { return !check.passed; }));
    if (std::isfinite(run.wall_time_s)) time_s += run.wall_time_s;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites" + attribute("name", suite_name) + attribute("tests", std::to_string(tests)) +
         attribute("failures", std::to_string(failures)) + " errors=\"0\" skipped=\"0\"" +
         attribute("time", junit_seconds(time_s)) + ">\n";
  for (const RunResult& run : runs) append_junit_suite(out, run);
  out += "</testsuites>\n";
  write_file(file, out);
}

std::vector<std::string> write_report_html(const std::filesystem::path& file,
                                           const std::vector<RunResult>& runs,
                                           const std::string& title, const ChartPlace* charts) {
  std::vector<std::string> warnings;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + escape(title) + "</title>\n<style>" + std::string(kStyle) + kCapacityStyle +
         "</style>\n";
  out += "</head>\n<body>\n<main>\n<h1>" + escape(title) + "</h1>\n";
  append_html_summary(out, runs);
  if (charts != nullptr) out += capacity_sections(runs, *charts, warnings);
  const std::vector<const RunResult*> order = report_order(runs);
  if (order.empty()) out += "<p class=\"none\">No runs.</p>\n";
  if (!order.empty()) append_html_run_table(out, order);
  for (std::size_t index = 0; index < order.size(); ++index) {
    append_html_run(out, *order[index], index);
  }
  out += "</main>\n</body>\n</html>\n";
  write_file(file, out);
  return warnings;
}

}  // namespace ccsim::reports

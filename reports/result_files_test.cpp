#include "reports/result_files.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <limits>

namespace ccsim::reports {
namespace {

namespace fs = std::filesystem;

RunResult sample_run(const std::string& scenario, std::uint64_t seed, bool passed) {
  RunResult run;
  run.scenario = scenario;
  run.file = "scenarios/onboarding/" + scenario + ".yaml";
  run.seed = seed;
  run.passed = passed;
  run.checks = {{"onboarded", true, "200 of 200 devices onboarded within 10m (expected all)"},
                {"window", passed,
                 passed ? "no update outside the window"
                        : "camera-17 started 11.11.120 at Sat 01:12, before 02:00"}};
  run.metrics = {{"devices", 200}, {"messages_sent", 1234567}, {"peak_connected", 199.5}};
  run.trace_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  run.sim_time_s = 691200.25;
  run.wall_time_s = 3.5;
  run.events = 987654;
  run.devices = 200;
  run.reproduce =
      "ccsim run scenarios/onboarding/" + scenario + ".yaml --seed " + std::to_string(seed);
  return run;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// Python's own XML parser, as a second opinion that the file is well-formed.
bool xml_is_well_formed(const fs::path& file) {
  const std::string command =
      "/usr/bin/python3 -c \"import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])\" '" +
      file.string() + "'";
  return std::system(command.c_str()) == 0;
}

// The message of the runtime_error that `action` throws, or "" when it throws none.
template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

void expect_same(const RunResult& actual, const RunResult& expected) {
  EXPECT_EQ(actual.scenario, expected.scenario);
  EXPECT_EQ(actual.file, expected.file);
  EXPECT_EQ(actual.seed, expected.seed);
  EXPECT_EQ(actual.passed, expected.passed);
  ASSERT_EQ(actual.checks.size(), expected.checks.size());
  for (std::size_t index = 0; index < expected.checks.size(); ++index) {
    EXPECT_EQ(actual.checks[index].id, expected.checks[index].id);
    EXPECT_EQ(actual.checks[index].passed, expected.checks[index].passed);
    EXPECT_EQ(actual.checks[index].detail, expected.checks[index].detail);
    const auto& a = actual.checks[index].objective;
    const auto& e = expected.checks[index].objective;
    ASSERT_EQ(a.has_value(), e.has_value());
    if (e) {
      EXPECT_EQ(a->metric, e->metric);
      EXPECT_EQ(a->at_least, e->at_least);
      EXPECT_EQ(a->at_most, e->at_most);
      EXPECT_EQ(a->measured, e->measured);
    }
  }
  ASSERT_EQ(actual.assumptions.size(), expected.assumptions.size());
  for (std::size_t index = 0; index < expected.assumptions.size(); ++index) {
    EXPECT_EQ(actual.assumptions[index].input, expected.assumptions[index].input);
    EXPECT_EQ(actual.assumptions[index].value, expected.assumptions[index].value);
    EXPECT_EQ(actual.assumptions[index].source, expected.assumptions[index].source);
  }
  EXPECT_EQ(actual.capacity.headroom, expected.capacity.headroom);
  EXPECT_EQ(actual.capacity.node.turn_relay_bps, expected.capacity.node.turn_relay_bps);
  EXPECT_EQ(actual.capacity.node.task_manager_tasks_per_s,
            expected.capacity.node.task_manager_tasks_per_s);
  EXPECT_EQ(actual.capacity.prices.currency, expected.capacity.prices.currency);
  EXPECT_EQ(actual.capacity.prices.relay_egress_per_gb,
            expected.capacity.prices.relay_egress_per_gb);
  EXPECT_EQ(actual.metrics, expected.metrics);
  EXPECT_EQ(actual.trace_hash, expected.trace_hash);
  EXPECT_EQ(actual.sim_time_s, expected.sim_time_s);
  EXPECT_EQ(actual.wall_time_s, expected.wall_time_s);
  EXPECT_EQ(actual.events, expected.events);
  EXPECT_EQ(actual.devices, expected.devices);
  EXPECT_EQ(actual.reproduce, expected.reproduce);
}

class ResultFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("ccsim_reports_test_" + std::to_string(::getpid()) + "_" + test->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

// ---------------------------------------------------------------------------------------------
// result.json

TEST_F(ResultFilesTest, JsonRoundTripKeepsEveryField) {
  RunResult run = sample_run("one-click", 3, false);
  // Metrics out of alphabetical order: the file must keep the vector's order.
  run.metrics = {{"peak_connected", 199.5}, {"bytes_sent", 1e12}, {"devices", 200}};
  run.checks[0].detail = "unicode \xC3\xA5\xC3\xA4\xC3\xB6, quotes \" and \\ backslash\nnewline";
  // An objective with one bound (the other, infinite, is written as null and read back so).
  run.checks[0].objective = scenarios::Objective{
      "relay_bandwidth_peak_bps", -std::numeric_limits<double>::infinity(), 5e9, 4e9};
  run.assumptions = {{"devices", "10000", "the scenario's sites"},
                     {"headroom kept at the peak", "20 %", "scenario key capacity.headroom"}};
  run.capacity.headroom = 0.2;
  run.capacity.node.turn_relay_bps = 2.5e9;
  run.capacity.node.task_manager_tasks_per_s = 123;
  run.capacity.prices.currency = "SEK";
  run.capacity.prices.relay_egress_per_gb = 0.5;
  write_result_json(dir_, run);
  expect_same(read_result_json(dir_ / "result.json"), run);
}

TEST_F(ResultFilesTest, JsonRoundTripOfEmptyAndExtremeValues) {
  RunResult run;
  run.seed = UINT64_MAX;
  run.events = UINT64_MAX;
  run.sim_time_s = 1e-300;
  write_result_json(dir_, run);
  expect_same(read_result_json(dir_ / "result.json"), run);
}

TEST_F(ResultFilesTest, NonFiniteNumbersAreWrittenAsNullAndReadAsNaN) {
  RunResult run = sample_run("one-click", 1, true);
  run.metrics = {{"latency_ms_p99", std::nan("")}, {"ratio", INFINITY}};
  run.wall_time_s = std::nan("");
  write_result_json(dir_, run);
  const std::string text = read_text(dir_ / "result.json");
  EXPECT_NE(text.find("\"latency_ms_p99\": null"), std::string::npos) << text;
  const RunResult read = read_result_json(dir_ / "result.json");
  ASSERT_EQ(read.metrics.size(), 2u);
  EXPECT_TRUE(std::isnan(read.metrics[0].second));
  EXPECT_TRUE(std::isnan(read.metrics[1].second));
  EXPECT_TRUE(std::isnan(read.wall_time_s));
}

TEST_F(ResultFilesTest, JsonKeysInContractOrder) {
  const nlohmann::ordered_json json = result_to_json(sample_run("one-click", 3, true));
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  const std::vector<std::string> expected = {
      "scenario",   "file",       "seed",        "passed",      "checks",  "metrics",
      "trace_hash", "sim_time_s", "wall_time_s", "events",      "devices", "reproduce",
      "driver",     "build",      "tz_database", "assumptions", "capacity"};
  EXPECT_EQ(keys, expected);
  std::vector<std::string> check_keys;
  for (const auto& item : json["checks"][0].items()) check_keys.push_back(item.key());
  EXPECT_EQ(check_keys, (std::vector<std::string>{"id", "passed", "detail"}));
  std::vector<std::string> metric_names;
  for (const auto& item : json["metrics"].items()) metric_names.push_back(item.key());
  EXPECT_EQ(metric_names, (std::vector<std::string>{"devices", "messages_sent", "peak_connected"}));
}

TEST_F(ResultFilesTest, JsonFileIsPrettyWithTrailingNewline) {
  write_result_json(dir_, sample_run("one-click", 3, true));
  const std::string text = read_text(dir_ / "result.json");
  EXPECT_EQ(text.rfind("{\n  \"scenario\": \"one-click\",\n  \"file\": ", 0), 0u) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_LT(text.find("\"scenario\""), text.find("\"devices\": 200,\n  \"reproduce\""));
  EXPECT_FALSE(fs::exists(dir_ / "result.json.tmp"));
}

// Written by hand: a header, then each row's numbers in their shortest exact form.
TEST_F(ResultFilesTest, TimeSeriesCsvHasAHeaderAndOneLinePerSample) {
  scenarios::TimeSeries series;
  series.columns = {"time_s", "devices_connected", "connects_per_s"};
  series.rows = {{0, 0, 0}, {300, 20, 20.0 / 300}, {3600, 1e6, 0.5}};
  write_timeseries_csv(dir_ / "timeseries.csv", series);
  EXPECT_EQ(read_text(dir_ / "timeseries.csv"),
            "time_s,devices_connected,connects_per_s\n"
            "0,0,0\n"
            "300,20,0.06666666666666667\n"
            "3600,1000000,0.5\n");
  EXPECT_FALSE(fs::exists(dir_ / "timeseries.csv.tmp"));
}

TEST_F(ResultFilesTest, PlainJsonBuiltInCppIsAccepted) {
  const RunResult run = sample_run("one-click", 3, true);
  // Built from C++ ints, so the integers are signed; the json overload sorts the metrics.
  nlohmann::json json = nlohmann::json::parse(result_to_json(run).dump());
  json["seed"] = 3;
  json["devices"] = 200;
  const RunResult read = result_from_json(json, "memory");
  EXPECT_EQ(read.seed, 3u);
  EXPECT_EQ(read.devices, 200u);
  EXPECT_EQ(read.metrics.size(), run.metrics.size());
}

TEST_F(ResultFilesTest, RepeatedMetricNameIsAProgrammerError) {
  RunResult run = sample_run("one-click", 3, true);
  run.metrics.emplace_back("devices", 1);
  EXPECT_THROW(result_to_json(run), std::invalid_argument);
}

TEST_F(ResultFilesTest, StrictReaderNamesOriginAndKey) {
  const std::string origin = "runs/x/result.json";
  const nlohmann::ordered_json good = result_to_json(sample_run("one-click", 3, false));
  const auto error_with = [&](const auto& change) {
    nlohmann::ordered_json json = good;
    change(json);
    return error_of([&] { result_from_json(json, origin); });
  };
  EXPECT_EQ(error_with([](auto& json) { json.erase("seed"); }),
            "runs/x/result.json: key 'seed': missing");
  EXPECT_EQ(error_with([](auto& json) { json["seed"] = "3"; }),
            "runs/x/result.json: key 'seed': expected an unsigned integer, found \"3\"");
  EXPECT_EQ(error_with([](auto& json) { json["seed"] = -3; }),
            "runs/x/result.json: key 'seed': expected an unsigned integer, found -3");
  EXPECT_EQ(error_with([](auto& json) { json["seed"] = 3.5; }),
            "runs/x/result.json: key 'seed': expected an unsigned integer, found 3.5");
  EXPECT_EQ(error_with([](auto& json) { json["passed"] = 1; }),
            "runs/x/result.json: key 'passed': expected true or false, found 1");
  EXPECT_EQ(error_with([](auto& json) { json["checks"] = nlohmann::ordered_json::object(); }),
            "runs/x/result.json: key 'checks': expected an array, found an object");
  EXPECT_EQ(error_with([](auto& json) { json["checks"][1].erase("detail"); }),
            "runs/x/result.json: key 'checks[1].detail': missing");
  EXPECT_EQ(error_with([](auto& json) { json["checks"][1]["id"] = nullptr; }),
            "runs/x/result.json: key 'checks[1].id': expected a string, found null");
  EXPECT_EQ(error_with([](auto& json) { json["checks"][0] = 7; }),
            "runs/x/result.json: key 'checks[0]': expected an object, found 7");
  EXPECT_EQ(error_with([](auto& json) { json["metrics"]["devices"] = "many"; }),
            "runs/x/result.json: key 'metrics.devices': expected a number, found \"many\"");
  EXPECT_EQ(error_with([](auto& json) { json["sim_time_s"] = true; }),
            "runs/x/result.json: key 'sim_time_s': expected a number, found true");
  EXPECT_EQ(error_with([](auto& json) { json.erase("reproduce"); }),
            "runs/x/result.json: key 'reproduce': missing");
  EXPECT_EQ(error_of([&] { result_from_json(nlohmann::ordered_json::array(), origin); }),
            "runs/x/result.json: expected a JSON object, found an array");
}

TEST_F(ResultFilesTest, StrictReaderIgnoresUnknownKeys) {
  nlohmann::ordered_json json = result_to_json(sample_run("one-click", 3, false));
  json["added_later"] = {1, 2};
  EXPECT_EQ(result_from_json(json, "memory").seed, 3u);
}

TEST_F(ResultFilesTest, MalformedFileIsNamed) {
  const fs::path file = dir_ / "result.json";
  write_text(file, "{\"scenario\": \"one-click\",\n  \"seed\": }\n");
  const std::string error = error_of([&] { read_result_json(file); });
  EXPECT_EQ(error.rfind(file.string() + ": not valid JSON:", 0), 0u) << error;
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
}

TEST_F(ResultFilesTest, EmptyFileIsNamed) {
  const fs::path file = dir_ / "result.json";
  write_text(file, "");
  const std::string error = error_of([&] { read_result_json(file); });
  EXPECT_EQ(error.rfind(file.string() + ": not valid JSON:", 0), 0u) << error;
}

TEST_F(ResultFilesTest, MissingFileIsNamed) {
  const fs::path file = dir_ / "nowhere" / "result.json";
  const std::string error = error_of([&] { read_result_json(file); });
  EXPECT_EQ(error.rfind("cannot read " + file.string() + ": ", 0), 0u) << error;
}

TEST_F(ResultFilesTest, DirectoryInsteadOfFileIsNamed) {
  const std::string error = error_of([&] { read_result_json(dir_); });
  EXPECT_NE(error.find(dir_.string()), std::string::npos) << error;
}

TEST_F(ResultFilesTest, KeyErrorsFromAFileNameTheFile) {
  const fs::path file = dir_ / "result.json";
  write_text(file, "{\"scenario\": \"one-click\"}\n");
  EXPECT_EQ(error_of([&] { read_result_json(file); }), file.string() + ": key 'file': missing");
}

TEST_F(ResultFilesTest, WriteFailuresNameThePath) {
  const fs::path missing = dir_ / "missing";
  const std::vector<RunResult> runs = {sample_run("one-click", 3, true)};
  EXPECT_EQ(error_of([&] { write_result_json(missing, runs[0]); }),
            "cannot write " + (missing / "result.json").string() + ": No such file or directory");
  EXPECT_EQ(error_of([&] { write_junit_xml(missing / "junit.xml", runs, "suite"); }),
            "cannot write " + (missing / "junit.xml").string() + ": No such file or directory");
  EXPECT_EQ(error_of([&] { write_report_html(missing / "report.html", runs, "t"); }),
            "cannot write " + (missing / "report.html").string() + ": No such file or directory");
  // A file where a directory should be.
  write_text(dir_ / "plain", "");
  EXPECT_EQ(error_of([&] { write_result_json(dir_ / "plain", runs[0]); }),
            "cannot write " + (dir_ / "plain" / "result.json").string() + ": Not a directory");
  // A directory where the file should go: the rename fails and the temporary is cleaned up.
  fs::create_directories(dir_ / "junit.xml" / "inside");
  const std::string error = error_of([&] { write_junit_xml(dir_ / "junit.xml", runs, "suite"); });
  EXPECT_EQ(error.rfind("cannot write " + (dir_ / "junit.xml").string() + ": ", 0), 0u) << error;
  EXPECT_FALSE(fs::exists(dir_ / "junit.xml.tmp"));
}

// An existing directory nobody may create a file in, root included (CI runs as root, which
// writes through permission bits, so a read-only mode proves nothing there): procfs holds only
// the kernel's own files. The reason is the kernel's to word; the path must be named.
TEST_F(ResultFilesTest, UnwritableDirectoryIsNamed) {
  const fs::path proc = "/proc";
  ASSERT_TRUE(fs::is_directory(proc)) << "this test needs Linux's /proc";
  const std::vector<RunResult> runs = {sample_run("a", 1, true)};
  const auto expect_named = [](const std::string& error, const fs::path& file) {
    const std::string prefix = "cannot write " + file.string() + ": ";
    EXPECT_EQ(error.rfind(prefix, 0), 0u) << error;
    EXPECT_GT(error.size(), prefix.size()) << "no reason given: " << error;
    EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
  };
  expect_named(error_of([&] { write_result_json(proc, runs[0]); }), proc / "result.json");
  expect_named(error_of([&] { write_junit_xml(proc / "junit.xml", runs, "suite"); }),
               proc / "junit.xml");
  expect_named(error_of([&] { write_report_html(proc / "report.html", runs, "t"); }),
               proc / "report.html");
}

// ---------------------------------------------------------------------------------------------
// junit.xml

TEST_F(ResultFilesTest, JunitCountsTestsAndFailures) {
  RunResult both_failed = sample_run("update-window", 9, false);
  both_failed.checks[0].passed = false;
  const std::vector<RunResult> runs = {sample_run("one-click", 1, true),
                                       sample_run("one-click", 2, false), both_failed};
  const fs::path file = dir_ / "junit.xml";
  write_junit_xml(file, runs, "nightly");
  const std::string xml = read_text(file);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
  EXPECT_NE(xml.find("<testsuites name=\"nightly\" tests=\"6\" failures=\"3\" errors=\"0\" "
                     "skipped=\"0\" time=\"10.500\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(
      xml.find("<testsuite name=\"one-click[seed=1]\" tests=\"2\" failures=\"0\" errors=\"0\" "
               "skipped=\"0\" time=\"3.500\">"),
      std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"one-click[seed=2]\" tests=\"2\" failures=\"1\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"update-window[seed=9]\" tests=\"2\" failures=\"2\""),
            std::string::npos);
  EXPECT_EQ(count_of(xml, "<testsuite "), 3u);
  EXPECT_EQ(count_of(xml, "<testcase "), 6u);
  EXPECT_EQ(count_of(xml, "<failure "), 3u);
  EXPECT_NE(xml.find("<testcase classname=\"ccsim.one-click\" name=\"window\" time=\"0\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<property name=\"seed\" value=\"9\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"trace_hash\" value=\"" + runs[0].trace_hash + "\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("reproduce: ccsim run scenarios/onboarding/one-click.yaml --seed 2</failure>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("timestamp"), std::string::npos);
  EXPECT_TRUE(xml_is_well_formed(file));
}

TEST_F(ResultFilesTest, JunitGivesAFailedRunWithoutFailingCheckAFailingCase) {
  RunResult run = sample_run("one-click", 4, true);
  run.passed = false;
  const fs::path file = dir_ / "junit.xml";
  write_junit_xml(file, {run}, "suite");
  const std::string xml = read_text(file);
  EXPECT_NE(xml.find("tests=\"3\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"run\""), std::string::npos);
  EXPECT_TRUE(xml_is_well_formed(file));
}

TEST_F(ResultFilesTest, JunitEscapesMarkupInDetails) {
  RunResult run = sample_run("a&b <scenario>", 5, false);
  run.checks[1].detail = "expected <= 3 && got \"7\" from 'x' > y";
  run.checks[1].id = "id<&>\"'";
  run.reproduce = "ccsim run 'a&b.yaml' --set x=\"<y>\"";
  const fs::path file = dir_ / "junit.xml";
  write_junit_xml(file, {run}, "suite \"<&>\"");
  const std::string xml = read_text(file);
  EXPECT_NE(xml.find("message=\"expected &lt;= 3 &amp;&amp; got &quot;7&quot; from &#39;x&#39; "
                     "&gt; y\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"id&lt;&amp;&gt;&quot;&#39;\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("classname=\"ccsim.a&amp;b &lt;scenario&gt;\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<="), std::string::npos);
  EXPECT_EQ(xml.find("<scenario"), std::string::npos);
  EXPECT_TRUE(xml_is_well_formed(file));
}

TEST_F(ResultFilesTest, JunitStripsCharactersIllegalInXml) {
  RunResult run = sample_run("one-click", 6, false);
  run.checks[1].detail = std::string("bell\x07 nul") + '\0' + "esc\x1b ok\tend\xFF\xFE " +
                         "\xEF\xBF\xBE" + "\xED\xA0\x80" + " \xC3\xA5";
  run.checks[1].id = "multi\nline";
  const fs::path file = dir_ / "junit.xml";
  write_junit_xml(file, {run}, "suite");
  const std::string xml = read_text(file);
  for (const char control : {'\x07', '\0', '\x1b'}) {
    EXPECT_EQ(xml.find(control), std::string::npos) << static_cast<int>(control);
  }
  EXPECT_EQ(xml.find("\xEF\xBF\xBE"), std::string::npos);  // U+FFFE is not a character
  EXPECT_NE(xml.find("message=\"bell nulesc ok&#9;end"), std::string::npos) << xml;
  EXPECT_NE(xml.find("\xC3\xA5"), std::string::npos);  // legal UTF-8 kept
  EXPECT_NE(xml.find("name=\"multi&#10;line\""), std::string::npos);
  EXPECT_TRUE(xml_is_well_formed(file));
}

TEST_F(ResultFilesTest, JunitOfNoRunsIsAnEmptySuite) {
  const fs::path file = dir_ / "junit.xml";
  write_junit_xml(file, {}, "empty");
  EXPECT_NE(read_text(file).find("tests=\"0\" failures=\"0\""), std::string::npos);
  EXPECT_TRUE(xml_is_well_formed(file));
}

// ---------------------------------------------------------------------------------------------
// report.html

TEST_F(ResultFilesTest, HtmlListsEveryScenarioAndCheck) {
  RunResult extra = sample_run("update-window", 2, true);
  extra.checks.push_back({"upgraded", true, "99.6% on 11.11.120 by 8d"});
  const std::vector<RunResult> runs = {sample_run("one-click", 1, true), extra};
  const fs::path file = dir_ / "report.html";
  write_report_html(file, runs, "Nightly");
  const std::string html = read_text(file);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* text :
       {"one-click", "update-window", "onboarded", "window", "upgraded", "messages_sent",
        "1,234,567", "<title>Nightly</title>", "2 / 2", "3 / 3", "9f86d081884c"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
  // Self-contained: nothing fetched, nothing run.
  for (const char* text : {"<script", "<link", "src=", "http:", "https:"}) {
    EXPECT_EQ(html.find(text), std::string::npos) << text;
  }
  EXPECT_EQ(html.find("<pre>"), std::string::npos);  // reproduce only for failures
}

TEST_F(ResultFilesTest, HtmlEscapesDetails) {
  RunResult run = sample_run("one-click", 1, false);
  run.checks[1].detail = "<script>alert('x & y')</script>";
  run.reproduce = "ccsim run \"<b>\"";
  const fs::path file = dir_ / "report.html";
  write_report_html(file, {run}, "Title <i>&");
  const std::string html = read_text(file);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x &amp; y&#39;)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("<pre>ccsim run &quot;&lt;b&gt;&quot;</pre>"), std::string::npos);
  EXPECT_NE(html.find("<h1>Title &lt;i&gt;&amp;</h1>"), std::string::npos);
}

TEST_F(ResultFilesTest, HtmlListsFailedRunsFirstThenByScenarioAndSeed) {
  const std::vector<RunResult> runs = {sample_run("alpha", 2, true), sample_run("zulu", 7, false),
                                       sample_run("alpha", 1, true), sample_run("beta", 3, false)};
  const fs::path file = dir_ / "report.html";
  write_report_html(file, runs, "Suite");
  const std::string html = read_text(file);
  const std::size_t table = html.find("<table class=\"runs\">");
  ASSERT_NE(table, std::string::npos);
  const auto row_of = [&](const std::string& scenario, std::uint64_t seed) {
    return html.find(">" + scenario + "</a></td><td class=\"num\">" + std::to_string(seed) + "<",
                     table);
  };
  EXPECT_LT(row_of("beta", 3), row_of("zulu", 7));
  EXPECT_LT(row_of("zulu", 7), row_of("alpha", 1));
  EXPECT_LT(row_of("alpha", 1), row_of("alpha", 2));
  EXPECT_NE(row_of("alpha", 2), std::string::npos);
  // The sections follow the table's order.
  EXPECT_LT(html.find("id=\"run-1\""), html.find("id=\"run-2\""));
  EXPECT_LT(html.find("<span>beta</span>"), html.find("<span>zulu</span>"));
  EXPECT_LT(html.find("<span>zulu</span>"), html.find("<span>alpha</span>"));
  EXPECT_NE(html.find("2</b> failed"), std::string::npos);
}

TEST_F(ResultFilesTest, HtmlOfNoRuns) {
  const fs::path file = dir_ / "report.html";
  write_report_html(file, {}, "Empty");
  const std::string html = read_text(file);
  EXPECT_NE(html.find("No runs."), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace ccsim::reports

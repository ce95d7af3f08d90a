// The ccsim command line: run one scenario, run a suite of them across seeds, merge results
// into one report, or serve the platform's TURN relay (tools/turn_server_command.h). Exit codes:
// 0 every check passed, 1 a check failed, 2 bad input, 3 internal error, 4 a swarm run whose
// liveness checks alone failed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/result_files.h"
#include "scenarios/run.h"
#include "scenarios/scenario_file.h"
#include "tools/command_line.h"
#include "tools/serve_command.h"
#include "tools/turn_server_command.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using ccsim::scenarios::RunResult;

namespace {

using ccsim::tools::BadInput;
using ccsim::tools::kExitBadInput;
using ccsim::tools::kExitFailed;
using ccsim::tools::kExitInternalError;
using ccsim::tools::kExitLiveness;
using ccsim::tools::kExitPassed;

// 0 every check passed; 1 one of the scenario's own checks failed; 4 only liveness checks did.
int exit_code_of(const RunResult& result) {
  if (result.passed) return kExitPassed;
  const bool safety = std::any_of(result.checks.begin(), result.checks.end(),
                                  [](const auto& c) { return !c.passed && !c.liveness; });
  return safety ? kExitFailed : kExitLiveness;
}
// A suite runs at most this many runs (scenarios x seeds), and this many at once.
constexpr std::size_t kSuiteRunsMax = 100'000;
constexpr unsigned kJobsMax = 256;

const char* const kUsage =
    "usage: ccsim COMMAND [options]\n"
    "\n"
    "Simulates a hybrid-cloud camera platform and its fleet, and checks scenarios against it.\n"
    "\n"
    "commands:\n"
    "  run FILE.yaml    run one scenario with one seed\n"
    "  suite DIR        run every scenario in DIR across seeds\n"
    "  report DIR...    merge run results into one HTML report\n"
    "  turn-server      run the platform's TURN relay on real sockets\n"
    "  serve            run the platform's REST API on HTTPS\n"
    "\n"
    "Run `ccsim COMMAND --help` for a command's options.\n"
    "Exit codes: 0 every check passed, 1 a check failed, 2 bad input, 3 internal error, 4 "
    "(--swarm)\n"
    "only liveness checks failed.\n";

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &tm);
  return text;
}

// A new directory under runs/ named after `stem`, made unique with a counter if needed.
fs::path fresh_output_dir(const std::string& stem) {
  const fs::path base = fs::path("runs") / (stem + "-" + utc_stamp());
  fs::path dir = base;
  for (int n = 2; fs::exists(dir); ++n) dir = base.string() + "-" + std::to_string(n);
  return dir;
}

void make_dir(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error)
    throw BadInput("--out " + dir.string() + ": cannot create directory: " + error.message());
}

std::uint64_t parse_seed(const std::string& text, const std::string& option) {
  const std::optional<std::uint64_t> value = ccsim::tools::read_whole_number(text);
  if (!value) throw BadInput(option + " " + text + ": expected a non-negative integer seed");
  return *value;
}

// Parses a command's arguments: `options` as listed in its help, plus positional arguments
// stored under `positional_name` (`positional_max` of them, -1 for any number).
po::variables_map parse_arguments(const std::vector<std::string>& args,
                                  const po::options_description& options,
                                  const char* positional_name, int positional_max) {
  po::options_description hidden;
  if (positional_max == 1) {
    hidden.add_options()(positional_name, po::value<std::string>());
  } else {
    hidden.add_options()(positional_name, po::value<std::vector<std::string>>());
  }
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add(positional_name, positional_max);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  po::notify(vm);
  return vm;
}

ccsim::scenarios::DriverKind parse_driver(const std::string& text) {
  if (text == "sim") return ccsim::scenarios::DriverKind::kSimulated;
  if (text == "real") return ccsim::scenarios::DriverKind::kReal;
  throw BadInput("--driver " + text + ": expected sim or real");
}

ccsim::scenarios::ClockKind parse_clock(const std::string& text) {
  if (text == "paused") return ccsim::scenarios::ClockKind::kPaused;
  if (text == "real") return ccsim::scenarios::ClockKind::kReal;
  throw BadInput("--clock " + text + ": expected paused or real");
}

void print_checks(const RunResult& r) {
  for (const auto& check : r.checks) {
    std::cout << (check.passed ? "  PASS " : "  FAIL ") << (check.liveness ? "(liveness) " : "")
              << check.id << ": " << check.detail << "\n";
  }
}

// ---- run ----------------------------------------------------------------------------------

// A swarm run draws its faults from the scenario's swarm: section: refused without one.
void require_swarm_section(const std::string& file, const ccsim::scenarios::Scenario& scenario) {
  if (scenario.swarm) return;
  throw BadInput(file +
                 ": --swarm: the scenario has no swarm: section; expected one saying which "
                 "faults may happen (see scenarios/README.md)");
}

const char* const kRunUsage =
    "usage: ccsim run FILE.yaml [--seed N] [--out DIR] [--set key=value]... [--driver sim|real] "
    "[--clock paused|real] [--swarm] [--no-charts] [--quiet]\n"
    "\n"
    "Runs one scenario with one seed, judges its checks, and writes result.json, timeseries.csv\n"
    "(a row each sample_interval), junit.xml and report.html into the output directory;\n"
    "report.html is the capacity report (objectives, capacity plan, charts, assumptions), its\n"
    "charts drawn by matplotlib on $CCSIM_PYTHON (default /usr/bin/python3), each chart's CSV\n"
    "under charts/. The\n"
    "simulated driver (the default) runs the fleet on SimGrid; the real driver runs the same\n"
    "platform and devices over TLS websockets on 127.0.0.1, with a clock that jumps to the next\n"
    "timer whenever no socket has work (or, with --clock real, the wall clock). With --swarm,\n"
    "faults are drawn from the seed within the scenario's swarm: budget, and the fleet must\n"
    "converge once they heal (liveness checks, marked so in result.json).\n"
    "\n"
    "Exit codes: 0 every check passed; 1 a check of the scenario failed (a safety violation);\n"
    "2 bad input; 3 an internal error; 4 (--swarm) only liveness checks failed.\n";

po::options_description run_options() {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "seed", po::value<std::string>()->default_value("1"),
      "the run's seed: the same seed reproduces the run bit for bit")(
      "out", po::value<std::string>(), "output directory (default: a new folder under runs/)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a scenario key before validation, e.g. --set fleet.cameras=500 (repeatable)")(
      "driver", po::value<std::string>()->default_value("sim"),
      "sim: SimGrid, simulated links and time; real: TLS websockets on 127.0.0.1 (at most 2,000 "
      "agents)")("clock", po::value<std::string>()->default_value("paused"),
                 "the real driver's clock: paused (jumps to the next timer when no socket has "
                 "work) or real (the wall clock)")(
      "swarm",
      "draw faults from the seed within the scenario's swarm: budget, then require the "
      "fleet to converge")("no-charts",
                           "report.html with its tables only: no chart drawn, no Python run")(
      "quiet", "no progress lines on stderr");
  return options;
}

// Writes report.html, saying on stderr what kept its charts from being drawn.
void write_report(const fs::path& file, const std::vector<RunResult>& runs,
                  const std::string& title, const ccsim::reports::ChartPlace& charts) {
  for (const std::string& warning : ccsim::reports::write_report_html(file, runs, title, &charts)) {
    std::cerr << "ccsim: warning: " << warning << "\n";
  }
}

// A run's files in `out`: result.json, timeseries.csv, junit.xml and report.html.
void write_run_files(const fs::path& out, const RunResult& result, const std::string& name,
                     bool draw_charts) {
  try {
    ccsim::reports::write_result_json(out, result);
    ccsim::reports::write_timeseries_csv(out / "timeseries.csv", result.series);
    ccsim::reports::write_junit_xml(out / "junit.xml", {result}, name);
    write_report(out / "report.html", {result}, name, {out / "charts", "charts", draw_charts});
  } catch (const std::exception& e) {
    throw BadInput("--out " + out.string() + ": " + e.what());
  }
}

void print_run(const RunResult& result, const std::string& name, const fs::path& out) {
  std::cout << (result.passed ? "PASSED " : "FAILED ") << name << " seed " << result.seed << " ("
            << result.devices << " devices, " << result.events << " events, " << result.wall_time_s
            << " s)\n";
  print_checks(result);
  std::cout << "trace " << result.trace_hash << "\n";
  if (!result.passed) {
    std::cout << "seed " << result.seed << " failed; reproduce with:\n  " << result.reproduce
              << "\n";
  }
  std::cout << "report: " << (out / "report.html").string() << "\n";
}

int command_run(const std::vector<std::string>& args) {
  const po::options_description options = run_options();
  const po::variables_map vm = parse_arguments(args, options, "file", 1);
  if (vm.count("help")) {
    std::cout << kRunUsage << "\n" << options;
    return kExitPassed;
  }
  if (!vm.count("file"))
    throw BadInput("run: missing scenario FILE.yaml\n" + std::string(kRunUsage));

  const std::string file = vm["file"].as<std::string>();
  ccsim::scenarios::RunSettings settings;
  settings.seed = parse_seed(vm["seed"].as<std::string>(), "--seed");
  settings.progress = !vm.count("quiet");
  settings.driver = parse_driver(vm["driver"].as<std::string>());
  settings.clock = parse_clock(vm["clock"].as<std::string>());
  settings.swarm = vm.count("swarm") > 0;
  if (vm.count("set")) {
    for (const std::string& text : vm["set"].as<std::vector<std::string>>()) {
      settings.overrides.push_back(ccsim::scenarios::parse_override(text));
    }
  }
  const ccsim::scenarios::Scenario scenario =
      ccsim::scenarios::load_scenario(file, settings.overrides);
  if (settings.swarm) require_swarm_section(file, scenario);
  const fs::path out =
      vm.count("out") ? fs::path(vm["out"].as<std::string>())
                      : fresh_output_dir(scenario.name + "-seed" + std::to_string(settings.seed));
  make_dir(out);
  std::cerr << "ccsim: seed " << settings.seed << ", scenario " << scenario.name << " ("
            << scenario.device_count() << " devices, " << scenario.sites.size() << " sites)\n";

  const RunResult result = ccsim::scenarios::run_scenario(scenario, settings);
  write_run_files(out, result, scenario.name, !vm.count("no-charts"));
  print_run(result, scenario.name, out);
  return exit_code_of(result);
}

// ---- suite --------------------------------------------------------------------------------

const char* const kSuiteUsage =
    "usage: ccsim suite DIR [--seeds A-B] [--out DIR] [--jobs N] [--driver sim|real]\n"
    "                  [--set key=value]... [--swarm]\n"
    "\n"
    "Runs every *.yaml scenario in DIR (not its subfolders) with every seed from A to B, each\n"
    "run in its own process, and writes each run's results under OUT/SCENARIO/seed-N plus a\n"
    "suite-wide junit.xml and report.html in OUT. Every file is validated, with the --set\n"
    "overrides, before any run; each run takes the same overrides. Runs draw no charts (a suite\n"
    "is for verdicts): `ccsim report OUT/SCENARIO/seed-N --out FILE.html` draws a run's capacity\n"
    "report, or a scenario's across its seeds with OUT/SCENARIO.\n";

struct SeedRange {
  std::uint64_t first, last;
};

SeedRange parse_seed_range(const std::string& text) {
  const std::size_t dash = text.find('-');
  SeedRange range{};
  if (dash == std::string::npos) {
    range.first = range.last = parse_seed(text, "--seeds");
  } else {
    range.first = parse_seed(text.substr(0, dash), "--seeds");
    range.last = parse_seed(text.substr(dash + 1), "--seeds");
  }
  if (range.last < range.first) {
    throw BadInput("--seeds " + text + ": expected A-B with A <= B, e.g. 1-20");
  }
  return range;
}

struct PlannedRun {
  std::string file;
  std::string stem;
  std::uint64_t seed;
  fs::path out;
  std::string driver;             // sim or real
  std::vector<std::string> sets;  // key=value, as given to the suite
  bool swarm = false;
};

// Starts `ccsim run` for one planned run in a child process with its output in a log file.
pid_t start_run(const PlannedRun& run) {
  make_dir(run.out);
  const std::string log = (run.out / "log.txt").string();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  std::FILE* sink = std::fopen(log.c_str(), "w");
  if (sink != nullptr) {
    ::dup2(::fileno(sink), STDOUT_FILENO);
    ::dup2(::fileno(sink), STDERR_FILENO);
  }
  const std::string seed = std::to_string(run.seed);
  const std::string out = run.out.string();
  std::vector<const char*> argv = {
      "ccsim",     "run",      run.file.c_str(),   "--seed",  seed.c_str(), "--out",
      out.c_str(), "--driver", run.driver.c_str(), "--quiet", "--no-charts"};
  for (const std::string& set : run.sets) {
    argv.push_back("--set");
    argv.push_back(set.c_str());
  }
  if (run.swarm) argv.push_back("--swarm");
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", const_cast<char* const*>(argv.data()));
  std::perror("ccsim: cannot start a run");
  ::_exit(127);
}

// A result for a run whose process did not write one (it crashed, or was killed).
RunResult crashed_result(const PlannedRun& run, int status) {
  RunResult r;
  r.scenario = run.stem;
  r.file = run.file;
  r.seed = run.seed;
  std::string how = WIFSIGNALED(status) ? "died with signal " + std::to_string(WTERMSIG(status))
                                        : "exited with code " + std::to_string(WEXITSTATUS(status));
  r.checks.push_back(
      {"run", false, "the run's process " + how + "; see " + (run.out / "log.txt").string()});
  ccsim::scenarios::RunSettings settings;
  settings.seed = run.seed;
  settings.driver = parse_driver(run.driver);
  for (const std::string& set : run.sets) {
    settings.overrides.push_back(ccsim::scenarios::parse_override(set));
  }
  settings.swarm = run.swarm;
  r.reproduce = ccsim::scenarios::reproduce_command(run.file, settings);
  return r;
}

// The scenario files of a suite, sorted; each is loaded once, so bad input stops the suite before
// any run.
std::vector<fs::path> suite_files(const fs::path& dir, const std::vector<std::string>& sets,
                                  bool swarm) {
  if (!fs::is_directory(dir)) throw BadInput(dir.string() + ": not a directory of scenarios");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw BadInput(dir.string() + ": no *.yaml scenario files");
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const std::string& set : sets) overrides.push_back(ccsim::scenarios::parse_override(set));
  for (const fs::path& file : files) {
    const ccsim::scenarios::Scenario scenario =
        ccsim::scenarios::load_scenario(file.string(), overrides);
    if (swarm) require_swarm_section(file.string(), scenario);
  }
  return files;
}

// Every file with every seed, each run's output under OUT/SCENARIO/seed-N.
std::vector<PlannedRun> plan_suite(const std::vector<fs::path>& files, const SeedRange& seeds,
                                   const std::string& seeds_text, const fs::path& out,
                                   const std::string& driver, const std::vector<std::string>& sets,
                                   bool swarm) {
  // last - first + 1 wraps to 0 for 0-18446744073709551615, so compare the span instead.
  const std::uint64_t seed_span = seeds.last - seeds.first;
  if (seed_span >= kSuiteRunsMax / files.size()) {
    throw BadInput("--seeds " + seeds_text + ": " + std::to_string(files.size()) + " scenarios x " +
                   std::to_string(seed_span) + " + 1 seeds is more than " +
                   std::to_string(kSuiteRunsMax) + " runs");
  }
  std::vector<PlannedRun> plan;
  for (const fs::path& file : files) {
    // Counted, not `seed <= last`: that never ends when last is the largest uint64.
    for (std::uint64_t i = 0; i <= seed_span; ++i) {
      const std::uint64_t seed = seeds.first + i;
      const std::string stem = file.stem().string();
      plan.push_back({file.string(), stem, seed, out / stem / ("seed-" + std::to_string(seed)),
                      driver, sets, swarm});
    }
  }
  return plan;
}

// The result a finished run left, or one that says how its process died.
RunResult collect(const PlannedRun& run, int status) {
  const bool wrote = WIFEXITED(status) &&
                     (WEXITSTATUS(status) <= kExitFailed || WEXITSTATUS(status) == kExitLiveness);
  try {
    return wrote ? ccsim::reports::read_result_json(run.out / "result.json")
                 : crashed_result(run, status);
  } catch (const std::exception& e) {
    RunResult result = crashed_result(run, status);
    result.checks.back().detail += std::string("; ") + e.what();
    return result;
  }
}

// Runs the plan, `jobs` processes at once, with a line on stderr as each run ends.
std::vector<RunResult> run_plan(const std::vector<PlannedRun>& plan, unsigned jobs) {
  std::vector<RunResult> results(plan.size());
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0, finished = 0;
  while (finished < plan.size()) {
    while (next < plan.size() && running.size() < jobs) {
      running.emplace(start_run(plan[next]), next);
      ++next;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) continue;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const PlannedRun& run = plan[it->second];
    RunResult& result = results[it->second];
    running.erase(it);
    ++finished;
    result = collect(run, status);
    std::cerr << "[" << finished << "/" << plan.size() << "] " << run.stem << " seed " << run.seed
              << ": " << (result.passed ? "PASS" : "FAIL") << " (" << result.checks.size()
              << " checks, " << result.wall_time_s << " s)\n";
  }
  return results;
}

int report_suite(const fs::path& dir, const fs::path& out, const std::vector<RunResult>& results,
                 double wall_s) {
  try {
    ccsim::reports::write_junit_xml(out / "junit.xml", results, "suite " + dir.string());
    ccsim::reports::write_report_html(out / "report.html", results, "ccsim suite " + dir.string());
  } catch (const std::exception& e) {
    throw BadInput("--out " + out.string() + ": " + e.what());
  }
  const auto failed = static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const RunResult& r) { return !r.passed; }));
  std::cout << (failed == 0 ? "PASSED" : "FAILED") << " suite " << dir.string() << ": "
            << results.size() - failed << " of " << results.size() << " runs passed in " << wall_s
            << " s\n";
  for (const RunResult& r : results) {
    if (r.passed) continue;
    std::cout << "FAILED " << r.scenario << " seed " << r.seed << "; reproduce with:\n  "
              << r.reproduce << "\n";
    print_checks(r);
  }
  std::cout << "report: " << (out / "report.html").string() << "\n";
  // A safety violation anywhere outranks liveness failures.
  int code = kExitPassed;
  for (const RunResult& r : results) {
    const int run = exit_code_of(r);
    if (run == kExitFailed || (run == kExitLiveness && code == kExitPassed)) code = run;
  }
  return code;
}

int command_suite(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "seeds", po::value<std::string>()->default_value("1-1"), "seeds to run, A-B inclusive")(
      "out", po::value<std::string>(), "output directory (default: a new folder under runs/)")(
      "jobs", po::value<unsigned>()->default_value(2), "runs at once (each is a process)")(
      "driver", po::value<std::string>()->default_value("sim"),
      "the driver of every run: sim or real (see ccsim run --help)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a key of every scenario, e.g. --set network.small_messages=exact (repeatable)")(
      "swarm",
      "every run a swarm run (see ccsim run --help); every scenario needs a swarm: "
      "section");
  const po::variables_map vm = parse_arguments(args, options, "dir", 1);
  if (vm.count("help")) {
    std::cout << kSuiteUsage << "\n" << options;
    return kExitPassed;
  }
  if (!vm.count("dir")) throw BadInput("suite: missing DIR\n" + std::string(kSuiteUsage));
  const fs::path dir = vm["dir"].as<std::string>();
  const SeedRange seeds = parse_seed_range(vm["seeds"].as<std::string>());
  const unsigned jobs = vm["jobs"].as<unsigned>();
  if (jobs == 0 || jobs > kJobsMax) {
    throw BadInput("--jobs " + std::to_string(jobs) + ": expected 1 to " +
                   std::to_string(kJobsMax));
  }
  const std::string driver = vm["driver"].as<std::string>();
  (void)parse_driver(driver);  // refused here, not in every run
  const std::vector<std::string> sets =
      vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const bool swarm = vm.count("swarm") > 0;
  const std::vector<fs::path> files = suite_files(dir, sets, swarm);
  const fs::path out = vm.count("out") ? fs::path(vm["out"].as<std::string>())
                                       : fresh_output_dir("suite-" + dir.filename().string());
  const std::vector<PlannedRun> plan =
      plan_suite(files, seeds, vm["seeds"].as<std::string>(), out, driver, sets, swarm);
  make_dir(out);
  std::cerr << "ccsim: suite " << dir.string() << ": " << files.size() << " scenarios x "
            << plan.size() / files.size() << " seeds = " << plan.size() << " runs, " << jobs
            << " at once\n";
  const auto wall_start = std::chrono::steady_clock::now();
  const std::vector<RunResult> results = run_plan(plan, jobs);
  return report_suite(
      dir, out, results,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
}

// ---- report -------------------------------------------------------------------------------

const char* const kReportUsage =
    "usage: ccsim report RESULT_DIR... --out FILE.html\n"
    "\n"
    "Merges run results into one HTML capacity report. Each argument is a run's output directory\n"
    "(with its result.json and timeseries.csv), a result.json itself, or a suite's output\n"
    "directory (searched for result.json files). Runs of one scenario that differ in an input\n"
    "(--set fleet.cameras=..., say) get what-if curves with their knees. Each chart's CSV goes\n"
    "into FILE-charts/ beside the report; charts are drawn by matplotlib on $CCSIM_PYTHON\n"
    "(default /usr/bin/python3).\n";

// A run's result.json, with the time series beside it when there is one.
RunResult read_run(const fs::path& result_json) {
  RunResult run = ccsim::reports::read_result_json(result_json);
  const fs::path series = result_json.parent_path() / "timeseries.csv";
  if (fs::is_regular_file(series)) run.series = ccsim::reports::read_timeseries_csv(series);
  return run;
}

void collect_results(const fs::path& path, std::vector<RunResult>& results) {
  if (fs::is_regular_file(path)) {
    results.push_back(read_run(path));
  } else if (fs::is_regular_file(path / "result.json")) {
    results.push_back(read_run(path / "result.json"));
  } else if (fs::is_directory(path)) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (entry.is_regular_file() && entry.path().filename() == "result.json") {
        found.push_back(entry.path());
      }
    }
    if (found.empty()) throw BadInput(path.string() + ": no result.json in or under it");
    std::sort(found.begin(), found.end());
    for (const fs::path& file : found) results.push_back(read_run(file));
  } else {
    throw BadInput(path.string() + ": no such file or directory");
  }
}

int command_report(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")("out", po::value<std::string>(),
                                                    "the HTML file to write (required)");
  const po::variables_map vm = parse_arguments(args, options, "inputs", -1);
  if (vm.count("help")) {
    std::cout << kReportUsage << "\n" << options;
    return kExitPassed;
  }
  if (!vm.count("inputs"))
    throw BadInput("report: missing RESULT_DIR\n" + std::string(kReportUsage));
  if (!vm.count("out")) throw BadInput("report: missing --out FILE.html");
  std::vector<RunResult> results;
  try {
    for (const std::string& input : vm["inputs"].as<std::vector<std::string>>()) {
      collect_results(input, results);
    }
  } catch (const BadInput&) {
    throw;
  } catch (const std::exception& e) {
    throw BadInput(e.what());
  }
  const fs::path out = vm["out"].as<std::string>();
  try {
    const std::string charts_dir = out.stem().string() + "-charts";
    write_report(out, results, "ccsim report", {out.parent_path() / charts_dir, charts_dir, true});
  } catch (const std::exception& e) {
    throw BadInput("--out " + out.string() + ": " + e.what());
  }
  const auto failed =
      std::count_if(results.begin(), results.end(), [](const RunResult& r) { return !r.passed; });
  std::cout << results.size() << " runs, " << failed << " failed\nreport: " << out.string() << "\n";
  return failed == 0 ? kExitPassed : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return kExitPassed;
    }
    if (command == "--version") {
      std::cout << "ccsim 0.1.0\n";
      return kExitPassed;
    }
    if (command == "run") return command_run(args);
    if (command == "suite") return command_suite(args);
    if (command == "report") return command_report(args);
    if (command == "turn-server") return ccsim::tools::command_turn_server(args);
    if (command == "serve") return ccsim::tools::command_serve(args);
    std::cerr << "ccsim: unknown command '" << command
              << "'; expected run, suite, report, turn-server or serve\n"
              << kUsage;
    return kExitBadInput;
  } catch (const ccsim::scenarios::ScenarioError& e) {
    // One line a problem, as a compiler lists a file's errors, then how many there were.
    for (const ccsim::scenarios::ScenarioProblem& problem : e.problems) {
      std::cerr << "ccsim: error: " << problem.message() << "\n";
    }
    const std::size_t total = e.problems.size() + e.more;
    if (e.more > 0) std::cerr << "ccsim: " << e.more << " more problems not listed\n";
    if (total > 1) std::cerr << "ccsim: " << total << " problems; nothing was run\n";
    return kExitBadInput;
  } catch (const po::error& e) {
    std::cerr << "ccsim " << command << ": " << e.what() << " (see ccsim " << command
              << " --help)\n";
    return kExitBadInput;
  } catch (const BadInput& e) {
    std::cerr << "ccsim: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "ccsim: internal error: " << e.what() << "\n";
    return kExitInternalError;
  }
}

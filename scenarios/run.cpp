#include "scenarios/assumptions.h"
#include "scenarios/run.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "net/real_driver.h"
#include "platform/update_window.h"
#include "scenarios/build_info.h"
#include "scenarios/deployment.h"
#include "scenarios/judge.h"
#include "scenarios/model/child_process.h"
#include "scenarios/model/metrics.h"
#include "scenarios/model/run_result_json.h"
#include "scenarios/model/vocabulary.h"
#include "scenarios/sampler.h"
#include "scenarios/scenario_file.h"
#include "scenarios/swarm.h"
#include "scenarios/timeline.h"
#include "sim/simulated_driver.h"

namespace ccsim::scenarios {
namespace {

std::unique_ptr<Driver> make_driver(const RunSettings& settings, const Fleet& fleet) {
  if (settings.driver == DriverKind::kSimulated) {
    return std::make_unique<sim::SimulatedDriver>(fleet,
                                                  sim::SimulatedDriverOptions{settings.progress});
  }
  net::RealDriverOptions options;
  options.clock =
      settings.clock == ClockKind::kPaused ? net::ClockMode::kPaused : net::ClockMode::kReal;
  options.progress = settings.progress;
  return std::make_unique<net::RealDriver>(fleet, options);
}

// One argument as a POSIX shell reads it back: bare when it is plainly safe, else single-quoted.
std::string shell_quote(const std::string& argument) {
  const bool plain = !argument.empty() && argument.find_first_not_of(
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_./=:,+@%-") == std::string::npos;
  if (plain) return argument;
  std::string quoted = "'";
  for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string_view driver_kind_name(DriverKind kind) {
  return kind == DriverKind::kSimulated ? "sim" : "real";
}

std::string_view clock_kind_name(ClockKind kind) {
  return kind == ClockKind::kPaused ? "paused" : "real";
}

std::string reproduce_command(const std::string& file, const RunSettings& settings) {
  std::string command =
      "ccsim run " + shell_quote(file) + " --seed " + std::to_string(settings.seed);
  for (const auto& [key, value] : settings.overrides) {
    command += " --set " + shell_quote(key + "=" + value);
  }
  if (settings.swarm) command += " --swarm";
  if (settings.driver != DriverKind::kSimulated) {
    command += " --driver " + std::string(driver_kind_name(settings.driver));
    if (settings.clock != ClockKind::kPaused) {
      command += " --clock " + std::string(clock_kind_name(settings.clock));
    }
  }
  return command;
}

namespace {

std::string where(const Fault& f) {
  if (f.kind == FaultKind::kTaskManagerRestart) return "the platform";
  if (f.kind == FaultKind::kTurnServerDown) return "TURN server " + f.server;
  if (f.kind == FaultKind::kDeviceCrash || f.kind == FaultKind::kClockSkew) {
    return "the first " + std::to_string(f.devices.count) + " devices of site " + f.devices.site;
  }
  return f.site.empty() ? "region " + f.region : "site " + f.site;
}

// The faults a swarm drew (the timeline's entries from `first` on), one line each on stderr.
void print_swarm(const Scenario& scenario, std::size_t first, const RunSettings& settings) {
  std::fprintf(stderr, "[ccsim swarm] reproduce with: %s\n",
               reproduce_command(scenario.file, settings).c_str());
  const std::size_t drawn = scenario.timeline.size() - first;
  std::fprintf(stderr, "[ccsim swarm] %zu fault%s drawn from the seed:\n", drawn,
               drawn == 1 ? "" : "s");
  for (std::size_t i = first; i < scenario.timeline.size(); ++i) {
    const Fault& f = scenario.timeline[i];
    std::fprintf(stderr, "[ccsim swarm]   at %.0fs for %.0fs: %s at %s\n",
                 std::chrono::duration<double>(f.at).count(),
                 std::chrono::duration<double>(f.length).count(),
                 std::string(fault_spec(f.kind).word).c_str(), where(f).c_str());
  }
}

// One run; with `describe`, what the platform knows at the end too (costly at scale: a sorted copy
// of every device's record, so only tests ask for it).
RunAndKnowledge run(const Scenario& file_scenario, const RunSettings& settings, bool describe) {
  const auto wall_start = std::chrono::steady_clock::now();
  // A swarm run's faults depend on what the driver can make: a throwaway look at a driver of
  // the same kind is too costly, so ask the kind (the simulated driver makes every kind).
  const Scenario scenario = settings.swarm
                                ? with_swarm(file_scenario, settings.seed,
                                             [&](FaultKind kind) {
                                               return settings.driver == DriverKind::kSimulated ||
                                                      net::real_driver_makes(kind);
                                             })
                                : file_scenario;
  if (settings.swarm && settings.progress)
    print_swarm(scenario, file_scenario.timeline.size(), settings);
  Deployment deployment(scenario, settings.seed);
  const std::unique_ptr<Driver> driver = make_driver(settings, deployment.fleet());
  const Timeline timeline(deployment, *driver);
  Judge judge(deployment, *driver);
  Sampler sampler(deployment, *driver);
  driver->run(scenario.duration);

  RunResult result;
  result.scenario = scenario.name;
  result.file = scenario.file;
  result.seed = settings.seed;
  result.metrics = metric_values(deployment.measure(driver->network()));
  result.checks = judge.verdicts(result.metrics);
  result.passed = std::all_of(result.checks.begin(), result.checks.end(),
                              [](const CheckResult& c) { return c.passed; });
  result.events = deployment.trace.events();
  result.trace_hash = deployment.finish_trace(scenario.duration);
  result.sim_time_s = std::chrono::duration<double>(scenario.duration).count();
  result.devices = deployment.layout.device_count();
  result.reproduce = reproduce_command(scenario.file, settings);
  result.driver = std::string(driver_kind_name(settings.driver));
  result.build = std::string(kBuildDescription);
  result.tz_database = platform::tz_database_version();
  result.series = sampler.finish(core::Time{} + scenario.duration);
  result.assumptions = assumptions_of(scenario, result.metrics, result.devices);
  result.capacity = scenario.capacity;
  result.wall_time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return {std::move(result), describe ? deployment.describe() : std::string()};
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunSettings& settings) {
  return run(scenario, settings, false).result;
}

RunAndKnowledge run_scenario_with_knowledge(const Scenario& scenario, const RunSettings& settings) {
  return run(scenario, settings, true);
}

RunResult run_in_child_process(const std::string& path, const RunSettings& settings) {
  const std::string answer = run_in_child([&]() -> std::string {
    nlohmann::ordered_json reply;
    try {
      const RunResult run = run_scenario(load_scenario(path, settings.overrides), settings);
      reply["result"] = result_to_json(run);
      reply["series"] = {{"columns", run.series.columns}, {"rows", run.series.rows}};
    } catch (const ScenarioError& e) {
      reply["scenario_error"] = scenario_error_to_json(e);
    } catch (const std::exception& e) {
      reply["error"] = e.what();
    }
    return reply.dump();
  });
  const nlohmann::json reply = nlohmann::json::parse(answer);
  if (reply.contains("scenario_error")) throw scenario_error_from_json(reply["scenario_error"]);
  if (reply.contains("error")) throw std::runtime_error(reply["error"].get<std::string>());
  RunResult result = result_from_json(reply["result"], path);
  result.series.columns = reply["series"]["columns"].get<std::vector<std::string>>();
  result.series.rows = reply["series"]["rows"].get<std::vector<std::vector<double>>>();
  return result;
}

}  // namespace ccsim::scenarios

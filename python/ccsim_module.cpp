// The compiled half of the Python package `ccsim` (`ccsim._ccsim`; python/ccsim/ is the rest):
// scripts drive runs; runs never call back into Python. Each run
// happens in a child process (SimGrid allows one simulation per process), so a script may run
// as many as it likes. C++ errors arrive as Python exceptions with the same message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>

#include "scenarios/run.h"
#include "scenarios/scenario_file.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace ccsim::python {
namespace {

// A Python value as the text a `--set key=value` would carry.
std::string override_text(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::str>(value) || py::isinstance<py::int_>(value) ||
      py::isinstance<py::float_>(value)) {
    return py::str(value).cast<std::string>();
  }
  throw py::type_error("overrides values must be str, int, float or bool, not " +
                       py::str(value.get_type().attr("__name__")).cast<std::string>());
}

scenarios::DriverKind driver_named(const std::string& driver) {
  if (driver == "sim") return scenarios::DriverKind::kSimulated;
  if (driver == "real") return scenarios::DriverKind::kReal;
  throw py::value_error("driver must be 'sim' or 'real', not '" + driver + "'");
}

scenarios::ClockKind clock_named(const std::string& clock) {
  if (clock == "paused") return scenarios::ClockKind::kPaused;
  if (clock == "real") return scenarios::ClockKind::kReal;
  throw py::value_error("clock must be 'paused' or 'real', not '" + clock + "'");
}

std::vector<scenarios::Override> overrides_of(const py::dict& overrides) {
  std::vector<scenarios::Override> parsed;
  for (const auto& [key, value] : overrides) {
    if (!py::isinstance<py::str>(key)) throw py::type_error("overrides keys must be str");
    parsed.push_back(
        scenarios::parse_override(key.cast<std::string>() + "=" + override_text(value)));
  }
  return parsed;
}

scenarios::RunSettings settings_of(std::uint64_t seed, const py::dict& overrides,
                                   const std::string& driver, const std::string& clock) {
  scenarios::RunSettings settings;
  settings.seed = seed;
  settings.driver = driver_named(driver);
  settings.clock = clock_named(clock);
  settings.overrides = overrides_of(overrides);
  return settings;
}

scenarios::RunResult run(const std::string& path, std::uint64_t seed, const py::dict& overrides,
                         const std::string& driver, const std::string& clock) {
  const scenarios::RunSettings settings = settings_of(seed, overrides, driver, clock);
  py::gil_scoped_release release;
  return scenarios::run_in_child_process(path, settings);
}

// Loads the file with the overrides as a run would, raising what a run would; what it holds.
py::dict check(const std::string& path, const py::dict& overrides) {
  const scenarios::Scenario scenario = scenarios::load_scenario(path, overrides_of(overrides));
  return py::dict("name"_a = scenario.name, "devices"_a = scenario.device_count(),
                  "duration_s"_a = std::chrono::duration<double>(scenario.duration).count());
}

py::dict series_dict(const scenarios::RunResult& r) {
  py::dict series;
  for (std::size_t column = 0; column < r.series.columns.size(); ++column) {
    py::list values;
    for (const std::vector<double>& row : r.series.rows) values.append(row[column]);
    series[py::str(r.series.columns[column])] = values;
  }
  return series;
}

py::dict metrics_dict(const scenarios::RunResult& r) {
  py::dict metrics;
  for (const auto& [name, value] : r.metrics) {
    const bool integral = std::floor(value) == value && std::fabs(value) < 9.0e15;
    metrics[py::str(name)] = integral ? py::object(py::int_(static_cast<long long>(value)))
                                      : py::object(py::float_(value));
  }
  return metrics;
}

void init_results(py::module_& m) {
  py::class_<scenarios::CheckResult>(m, "CheckResult", "The verdict of one check of a run.")
      .def_readonly("id", &scenarios::CheckResult::id, "the check's id in the scenario file")
      .def_readonly("passed", &scenarios::CheckResult::passed)
      .def_readonly("detail", &scenarios::CheckResult::detail,
                    "what was measured against what was expected")
      .def("__repr__", [](const scenarios::CheckResult& c) {
        return "<CheckResult " + c.id + (c.passed ? " passed" : " FAILED") + ": " + c.detail + ">";
      });
  py::class_<scenarios::RunResult>(m, "RunResult", "What one run of a scenario produced.")
      .def_readonly("scenario", &scenarios::RunResult::scenario)
      .def_readonly("file", &scenarios::RunResult::file)
      .def_readonly("seed", &scenarios::RunResult::seed)
      .def_readonly("passed", &scenarios::RunResult::passed, "every check passed")
      .def_readonly("checks", &scenarios::RunResult::checks)
      .def_property_readonly("metrics", &metrics_dict, "metrics by name, in report order")
      .def_readonly("trace_hash", &scenarios::RunResult::trace_hash,
                    "SHA-256 of the run's ordered event log")
      .def_readonly("sim_time_s", &scenarios::RunResult::sim_time_s)
      .def_readonly("wall_time_s", &scenarios::RunResult::wall_time_s)
      .def_readonly("events", &scenarios::RunResult::events)
      .def_readonly("devices", &scenarios::RunResult::devices)
      .def_readonly("reproduce", &scenarios::RunResult::reproduce,
                    "the ccsim command line that reproduces this run")
      .def_readonly("driver", &scenarios::RunResult::driver, "sim or real")
      .def_readonly("build", &scenarios::RunResult::build, "ccsim's version and commit")
      .def_property_readonly(
          "series", &series_dict,
          "the run's time series (a row each sample_interval) as {column: [values]}, the first "
          "column time_s: pandas.DataFrame(result.series) makes a frame of it")
      .def_readonly("tz_database", &scenarios::RunResult::tz_database,
                    "the tz database's version update windows were read with")
      .def("__repr__", [](const scenarios::RunResult& r) {
        return "<RunResult " + r.scenario + " seed " + std::to_string(r.seed) +
               (r.passed ? " passed" : " FAILED") + ">";
      });
}

void init_run(py::module_& m) {
  py::register_exception<scenarios::ScenarioError>(m, "ScenarioError", PyExc_ValueError);
  m.def("run", &run, "path"_a, "seed"_a = 1, "overrides"_a = py::dict(), "driver"_a = "sim",
        "clock"_a = "paused",
        "Runs the scenario file at `path` with `seed`, after applying `overrides` (a dict of\n"
        "dotted keys to values, as `ccsim run --set key=value`), on `driver`: 'sim' (SimGrid)\n"
        "or 'real' (TLS websockets on 127.0.0.1, with the `clock` 'paused' or 'real').\n"
        "Returns a RunResult.\n"
        "Raises ccsim.ScenarioError (a ValueError) on bad input, with the message naming the\n"
        "file, line and key.");
  m.def("check", &check, "path"_a, "overrides"_a = py::dict(),
        "Loads the scenario file at `path` with `overrides` as run() would, without running it.\n"
        "Returns {'name', 'devices', 'duration_s'}; raises ccsim.ScenarioError as run() does.");
  m.def(
      "reproduce_command",
      [](const std::string& path, std::uint64_t seed, const py::dict& overrides,
         const std::string& driver) {
        return scenarios::reproduce_command(path, settings_of(seed, overrides, driver, "paused"));
      },
      "path"_a, "seed"_a = 1, "overrides"_a = py::dict(), "driver"_a = "sim",
      "The `ccsim run` command line that reproduces a run of these arguments.");
}

}  // namespace

void init_turn(py::module_& m);  // turn_bindings.cpp

}  // namespace ccsim::python

PYBIND11_MODULE(_ccsim, m) {
  m.doc() = "ccsim: simulate a hybrid-cloud camera platform and its fleet, and check scenarios.";
  ccsim::python::init_results(m);
  ccsim::python::init_run(m);
  ccsim::python::init_turn(m);
}

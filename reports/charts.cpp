#include "reports/charts.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "reports/result_files.h"

extern char** environ;

namespace ccsim::reports {
namespace {

namespace fs = std::filesystem;

// A drawn chart is some tens of kilobytes; a file much larger than this is not one of ours.
constexpr std::streamsize kSvgBytesMax = 8 << 20;
constexpr std::size_t kChartsPerReportMax = 200;  // the renderer's own limit

nlohmann::json marks_json(const std::vector<ChartMark>& marks, bool knees) {
  nlohmann::json out = nlohmann::json::array();
  for (const ChartMark& mark : marks) {
    nlohmann::json item = {{"y", mark.y}, {"label", mark.label}};
    if (knees) item["x"] = mark.x;
    out.push_back(std::move(item));
  }
  return out;
}

nlohmann::json spec_of(const Chart& chart, const fs::path& dir) {
  nlohmann::json y = nlohmann::json::array();
  for (const auto& [column, label] : chart.y) y.push_back({{"column", column}, {"label", label}});
  nlohmann::json spec = {{"id", chart.id},
                         {"svg", (dir / (chart.id + ".svg")).string()},
                         {"csv", (dir / (chart.id + ".csv")).string()},
                         {"title", chart.title},
                         {"x", chart.x},
                         {"x_label", chart.x_label},
                         {"x_divisor", chart.x_divisor},
                         {"y", std::move(y)},
                         {"y_label", chart.y_label},
                         {"y_divisor", chart.y_divisor},
                         {"kind", chart.step ? "step" : "line"},
                         {"knees", marks_json(chart.knees, true)},
                         {"thresholds", marks_json(chart.thresholds, false)}};
  if (!chart.group.empty()) spec["group"] = chart.group;
  return spec;
}

std::string read_text(const fs::path& file, std::streamsize bytes_max) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot read");
  std::string text(static_cast<std::size_t>(bytes_max) + 1, '\0');
  in.read(text.data(), bytes_max + 1);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (static_cast<std::streamsize>(text.size()) > bytes_max) {
    throw std::runtime_error(file.string() + ": larger than a chart can be");
  }
  return text;
}

// Runs the renderer on `spec`, its stderr into `log`; returns its exit status.
int run_renderer(const fs::path& spec, const fs::path& log) {
  const std::string python = chart_python();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> arguments = {python, "-c", kChartsScript, spec.string()};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  const int spawned = posix_spawn(&child, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw std::runtime_error("cannot start " + python + " to draw the charts: " +
                             std::strerror(spawned) + " (tools/setup installs python3-matplotlib)");
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR)
      throw std::runtime_error("lost the chart renderer: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string chart_python() {
  const char* chosen = std::getenv("CCSIM_PYTHON");
  return chosen != nullptr && *chosen != '\0' ? chosen : "/usr/bin/python3";
}

std::vector<std::string> draw_charts(const std::vector<Chart>& charts, const fs::path& dir) {
  if (charts.empty()) return {};
  if (charts.size() > kChartsPerReportMax) {
    throw std::runtime_error(std::to_string(charts.size()) + " charts; a report draws at most " +
                             std::to_string(kChartsPerReportMax));
  }
  fs::create_directories(dir);
  nlohmann::json spec = {{"charts", nlohmann::json::array()}};
  for (const Chart& chart : charts) {
    write_timeseries_csv(dir / (chart.id + ".csv"), chart.data);
    spec["charts"].push_back(spec_of(chart, dir));
  }
  const fs::path spec_file = dir / "charts.json";
  {
    std::ofstream out(spec_file);
    out << spec.dump(2) << "\n";
    if (!out) throw std::runtime_error(spec_file.string() + ": cannot write");
  }
  const fs::path log = dir / "charts.log";
  const int status = run_renderer(spec_file, log);
  if (status != 0) {
    std::string message = read_text(log, 64 << 10);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("the charts were not drawn (" + chart_python() + " exited " +
                             std::to_string(status) + "): " + message);
  }
  fs::remove(log);
  std::vector<std::string> svgs;
  for (const Chart& chart : charts) {
    std::string svg = read_text(dir / (chart.id + ".svg"), kSvgBytesMax);
    const std::size_t start = svg.find("<svg");
    if (start == std::string::npos) throw std::runtime_error(chart.id + ".svg: no <svg> in it");
    svgs.push_back(svg.substr(start));
  }
  return svgs;
}

}  // namespace ccsim::reports

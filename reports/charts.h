// The report's charts: each written as a CSV (kept beside the report, the chart's data for a
// spreadsheet) and drawn as SVG by matplotlib, through the renderer ccsim carries
// (reports/charts.py, run by Debian's /usr/bin/python3), for the page to inline.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/model/run_result.h"

namespace ccsim::reports {

struct ChartMark {
  double x = 0;  // knees only
  double y = 0;
  std::string label;
};

struct Chart {
  std::string id;  // [a-z0-9-]+, unique in a report: the CSV's and SVG's file name
  std::string title;
  std::string x;  // the column plotted across
  std::string x_label;
  double x_divisor = 1;
  std::vector<std::pair<std::string, std::string>> y;  // column, label: a line each
  std::string y_label;
  double y_divisor = 1;
  bool step = false;
  std::string group{};  // a column: a line per distinct value of it; empty: none
  std::vector<ChartMark> knees{};
  std::vector<ChartMark> thresholds{};
  scenarios::TimeSeries data{};  // x, the y columns and the group's
};

// The interpreter the renderer runs on: $CCSIM_PYTHON, else /usr/bin/python3 (Debian's, which sees
// Debian's matplotlib).
std::string chart_python();

// Writes each chart's CSV (`dir`/ID.csv) and draws its SVG (`dir`/ID.svg); returns the SVGs'
// markup in order, ready to inline. Throws std::runtime_error with the renderer's own message
// when it cannot draw (matplotlib missing, a chart it refuses).
std::vector<std::string> draw_charts(const std::vector<Chart>& charts,
                                     const std::filesystem::path& dir);

// The renderer's source, as the build embedded it.
extern const char* const kChartsScript;

}  // namespace ccsim::reports

// The capacity planning part of report.html, for each scenario among the runs: the service level
// objectives' verdicts, the capacity plan (demand, capacity a node, nodes, utilisation, the first
// limit to bind, cost), the time series' charts, what-if curves across the runs with their knees,
// and the assumptions with their sources. Tables carry every number, so the page reads without
// its charts; each chart's CSV lies beside the report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/model/run_result.h"

namespace ccsim::reports {

// Where a report's charts go: their CSVs and SVGs in `dir`, linked from the page as `href`/ID.csv.
struct ChartPlace {
  std::filesystem::path dir;
  std::string href;
  bool draw = true;  // false: tables only, no renderer run (ccsim run --no-charts)
};

// The sections' HTML; a problem drawing the charts (no matplotlib, say) is added to `warnings`
// and said on the page, the tables and CSVs written all the same.
std::string capacity_sections(const std::vector<scenarios::RunResult>& runs,
                              const ChartPlace& place, std::vector<std::string>& warnings);

// The style the sections need, added to the page's own.
extern const char* const kCapacityStyle;

}  // namespace ccsim::reports

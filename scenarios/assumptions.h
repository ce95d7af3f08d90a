// The inputs a capacity report lists with a run (RunResult::assumptions): each with its value and
// where it came from: a scenario key, a default (and what the default rests on), or the run's own
// measurement. What ccsim does not model yet is listed too, so nobody reads its absence as zero.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "scenarios/model/run_result.h"
#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

std::vector<Assumption> assumptions_of(const Scenario& scenario,
                                       const std::vector<std::pair<std::string, double>>& metrics,
                                       std::uint64_t devices);

}  // namespace ccsim::scenarios

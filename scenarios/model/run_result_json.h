// result.json's content: a RunResult as JSON and back. reports/ writes and reads the files;
// the engine carries results out of the child process a run happens in the same way.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "scenarios/model/run_result.h"

namespace ccsim::scenarios {

// Keys in a fixed order: scenario, file, seed, passed, checks ({id, passed, detail}), metrics (an
// object in the vector's order), trace_hash, sim_time_s, wall_time_s, events, devices, reproduce,
// build, tz_database. A non-finite number is written as null. Throws std::invalid_argument on a
// repeated metric name.
nlohmann::ordered_json result_to_json(const RunResult& result);

// The strict inverse of result_to_json: every key must be present with its type (null reads back
// as NaN where a number is expected); other keys are ignored. Throws std::runtime_error such as
// "runs/x/result.json: key 'seed': expected an unsigned integer". The ordered_json overload keeps
// the metrics in the document's order; the json overload gets them sorted by name.
RunResult result_from_json(const nlohmann::ordered_json& json, const std::string& origin);
RunResult result_from_json(const nlohmann::json& json, const std::string& origin);

}  // namespace ccsim::scenarios

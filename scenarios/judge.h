// The judge: each check of a scenario, measured against what it expects. A check about a moment
// ("connected at 50m", "on 11.12.0 by 3d") looks at the platform at that simulated time, through
// a driver callback that observes after everything due at that moment has acted; the others, and
// those whose moment is the end, are judged once the run is over, from the platform's knowledge
// and the run's metrics. Each verdict says what was measured against what was expected, and a
// failing one names a few of the devices that broke it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/deployment.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/run_result.h"

namespace ccsim::scenarios {

class Judge {
 public:
  // Sets the callbacks of the checks that look at a moment before the end. `deployment` and
  // `driver` must outlive the judge.
  Judge(Deployment& deployment, Driver& driver);
  Judge(const Judge&) = delete;
  Judge& operator=(const Judge&) = delete;

  // Every check's verdict in file order, once the run is over.
  std::vector<CheckResult> verdicts(const std::vector<std::pair<std::string, double>>& metrics);

 private:
  CheckResult judge(const Check& check,
                    const std::vector<std::pair<std::string, double>>& metrics) const;

  Deployment& deployment_;                            // its trace records each look
  std::vector<std::optional<CheckResult>> observed_;  // by check: judged at its moment
};

}  // namespace ccsim::scenarios

// Swarm runs, after FoundationDB's swarm testing and TigerBeetle's VOPR: with --swarm, which
// faults happen, when, where and for how long is drawn from the run's seed, within the budget the
// scenario's `swarm:` section states. The scenario's own checks are its safety properties; the
// swarm adds liveness checks: once the last fault has healed, the fleet must converge within
// `converge_within` (every device connected; with organizations, no task left running). A run
// fails its safety (exit 1) when one of the scenario's checks fails, its liveness (exit 3) when
// only those added do. The same seed draws the same faults, so `ccsim run FILE --seed N --swarm`
// reproduces a swarm run bit for bit.
#pragma once

#include <cstdint>
#include <functional>

#include "scenarios/model/scenario.h"

namespace ccsim::scenarios {

// `scenario` with its swarm drawn: faults appended to its timeline and liveness checks to its
// checks. Kinds `makes` refuses (the driver cannot make them) are not drawn; a scenario without
// `swarm:` comes back as it is.
Scenario with_swarm(const Scenario& scenario, std::uint64_t seed,
                    const std::function<bool(FaultKind)>& makes);

}  // namespace ccsim::scenarios

#include "scenarios/swarm.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <vector>

#include "core/random_stream.h"

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

Duration uniform(core::RandomStream& random, Duration low, Duration high) {
  assert(high >= low);
  return low + Duration(static_cast<std::int64_t>(
                   random.next_below(static_cast<std::uint64_t>((high - low).count()) + 1)));
}

double uniform(core::RandomStream& random, double low, double high) {
  return low + (high - low) * random.next_unit();
}

// What one drawn fault of `kind` hits and how hard, over ranges a real network shows.
void draw_target(core::RandomStream& random, const Scenario& s, Fault& fault) {
  if (hits_region(fault.kind)) {
    fault.region = s.regions.empty() ? s.sites.front().region
                                     : s.regions[random.next_below(s.regions.size())].name;
    return;
  }
  if (fault.kind == FaultKind::kTaskManagerRestart) return;  // the platform's one
  if (fault.kind == FaultKind::kTurnServerDown) {
    fault.server = s.turn_servers[random.next_below(s.turn_servers.size())].name;
    return;
  }
  fault.site = s.sites[random.next_below(s.sites.size())].name;
  switch (fault.kind) {
    case FaultKind::kPartition:
      fault.direction = static_cast<Direction>(random.next_below(3));
      break;
    case FaultKind::kLossBurst:
      fault.burst = LossBurst{uniform(random, 0.2, 1.0), std::floor(uniform(random, 1, 50)),
                              std::floor(uniform(random, 10, 500))};
      break;
    case FaultKind::kLatencySpike:
      fault.latency = uniform(random, Duration(50ms), Duration(2s));
      break;
    case FaultKind::kThrottle:
      fault.bandwidth_bps = uniform(random, 100e3, 10e6);
      break;
    case FaultKind::kJitter:
      fault.jitter = uniform(random, Duration(10ms), Duration(500ms));
      break;
    case FaultKind::kPowerLoss:
      fault.stagger = uniform(random, Duration(0s), Duration(5min));
      break;
    case FaultKind::kClockSkew:
      fault.ahead = uniform(random, Duration(1s), Duration(24h));
      [[fallthrough]];
    case FaultKind::kDeviceCrash:  // the site's first 1 to 5 devices
      fault.devices.site = fault.site;
      fault.devices.count = 1 + random.next_below(5);
      fault.site.clear();
      break;
    default:
      break;
  }
}

Check liveness_check(std::string id, CheckKind kind) {
  Check check;
  check.id = std::move(id);
  check.kind = kind;
  check.liveness = true;
  return check;
}

}  // namespace

Scenario with_swarm(const Scenario& scenario, std::uint64_t seed,
                    const std::function<bool(FaultKind)>& makes) {
  if (!scenario.swarm) return scenario;
  Scenario s = scenario;
  const SwarmSpec& spec = *s.swarm;
  std::vector<FaultKind> kinds;
  for (FaultKind kind : spec.faults) {
    if (makes(kind)) kinds.push_back(kind);
  }
  core::RandomStream random(seed, core::kSwarmStream);
  const Duration within = spec.within > Duration::zero() ? spec.within : s.duration / 2;
  Duration healed{};
  const std::uint64_t count = kinds.empty() ? 0 : 1 + random.next_below(spec.count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Fault fault;
    fault.kind = kinds[random.next_below(kinds.size())];
    fault.at = uniform(random, spec.after, within - 1us);
    fault.length = uniform(random, Duration(1min), spec.for_max);
    fault.line = spec.line;
    draw_target(random, s, fault);
    healed = std::max(healed, fault.at + fault.length +
                                  (fault.kind == FaultKind::kPowerLoss ? fault.stagger : 0s));
    s.timeline.push_back(std::move(fault));
  }
  // In time order, as a timeline is read (the draws above fix the faults; sorting moves none).
  std::stable_sort(s.timeline.end() - static_cast<std::ptrdiff_t>(count), s.timeline.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  // Liveness: converged by then, whatever happened before.
  Check connected = liveness_check("swarm-liveness-connected", CheckKind::kConnectedFraction);
  connected.at = std::min(healed + spec.converge_within, s.duration - 1us);
  connected.at_least = 1.0;
  s.checks.push_back(std::move(connected));
  for (const Action& action : s.actions) {  // every rollout finished or aborted
    if (action.kind != ActionKind::kRollout) continue;
    Check settled =
        liveness_check("swarm-liveness-rollout-" + action.name, CheckKind::kRolloutState);
    settled.rollout = action.name;
    settled.state = "settled";
    s.checks.push_back(std::move(settled));
  }
  if (!s.organizations.empty()) {
    // Work in flight at the end: delivered and never acknowledged, or started and never done.
    for (const char* status : {"dispatched", "running"}) {
      Check settled =
          liveness_check(std::string("swarm-liveness-tasks-not-") + status, CheckKind::kTasks);
      settled.status = status;
      settled.at_most = 0;
      s.checks.push_back(std::move(settled));
    }
  }
  return s;
}

}  // namespace ccsim::scenarios

// Swarm runs: the loader's swarm: section and its errors, and the faults with_swarm draws, held
// against the budget by hand and against themselves across seeds.
#include "scenarios/swarm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "scenarios/scenario_file.h"

namespace ccsim::scenarios {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSwarmFile = R"(name: swarm-test
duration: 4h
regions:
  - {name: eu-west}
  - {name: us-east}
profiles:
  connected-lts: {mode: connected, track: lts-2024}
organizations:
  - name: acme
    default_profile: connected-lts
    sites:
      - {name: a, devices: [{count: 3}]}
      - {name: b, devices: [{count: 3}]}
swarm:
  faults: [partition, region_outage, jitter, power_loss, device_crash, task_manager_restart]
  count: 6
  after: 10m
  within: 1h
  for_max: 20m
  converge_within: 30m
checks:
  - {id: trail, expect: audit_trails_intact}
)";

Scenario loaded(const std::string& text = kSwarmFile) {
  return parse_scenario(text, "swarm.yaml", {});
}

bool every_kind(FaultKind) {
  return true;
}

// The problem line of loading `text`, which must fail.
std::string load_error(const std::string& text) {
  try {
    loaded(text);
  } catch (const ScenarioError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a ScenarioError";
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(SwarmFile, ReadsTheBudget) {
  const Scenario s = loaded();
  ASSERT_TRUE(s.swarm);
  EXPECT_EQ(s.swarm->faults,
            (std::vector<FaultKind>{FaultKind::kPartition, FaultKind::kRegionOutage,
                                    FaultKind::kJitter, FaultKind::kPowerLoss,
                                    FaultKind::kDeviceCrash, FaultKind::kTaskManagerRestart}));
  EXPECT_EQ(s.swarm->count, 6u);
  EXPECT_EQ(s.swarm->after, 10min);
  EXPECT_EQ(s.swarm->within, 1h);
  EXPECT_EQ(s.swarm->for_max, 20min);
  EXPECT_EQ(s.swarm->converge_within, 30min);
  EXPECT_EQ(s.swarm->line, 14);
}

TEST(SwarmFile, RefusesAnUnknownKindABackwardsWindowAndABudgetThatOverrunsTheRun) {
  EXPECT_NE(load_error(replaced(kSwarmFile, "jitter", "earthquake")).find("swarm.yaml:15"),
            std::string::npos);
  EXPECT_NE(load_error(replaced(kSwarmFile, "after: 10m", "after: 2h"))
                .find("swarm.yaml:17: swarm.after: 2h is not before within, 1h"),
            std::string::npos);
  // 3h30m + 20m + 5m + 30m of possible convergence does not fit in 4h.
  EXPECT_NE(load_error(replaced(kSwarmFile, "within: 1h", "within: 3h30m"))
                .find("swarm.yaml:20: swarm.converge_within: 4h25m from the start"),
            std::string::npos);
  EXPECT_NE(load_error(replaced(kSwarmFile, "count: 6", "count: 0")).find("swarm.count"),
            std::string::npos);
}

TEST(Swarm, AScenarioWithoutASwarmSectionComesBackAsItIs) {
  Scenario s = loaded();
  s.swarm.reset();
  const Scenario drawn = with_swarm(s, 7, every_kind);
  EXPECT_EQ(drawn.timeline.size(), s.timeline.size());
  EXPECT_EQ(drawn.checks.size(), s.checks.size());
}

TEST(Swarm, DrawsWithinTheBudgetAndAddsLivenessChecksAfterTheLastHeal) {
  const Scenario s = loaded();
  std::set<std::size_t> counts;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const Scenario drawn = with_swarm(s, seed, every_kind);
    const std::size_t count = drawn.timeline.size();
    ASSERT_GE(count, 1u);
    ASSERT_LE(count, 6u);
    counts.insert(count);
    Duration healed{};
    for (const Fault& f : drawn.timeline) {
      EXPECT_GE(f.at, 10min);
      EXPECT_LT(f.at, 1h);
      EXPECT_GE(f.length, 1min);
      EXPECT_LE(f.length, 20min);
      EXPECT_NE(std::find(s.swarm->faults.begin(), s.swarm->faults.end(), f.kind),
                s.swarm->faults.end());
      if (f.kind == FaultKind::kRegionOutage) {
        EXPECT_TRUE(f.region == "eu-west" || f.region == "us-east") << f.region;
      } else if (f.kind == FaultKind::kDeviceCrash || f.kind == FaultKind::kClockSkew) {
        EXPECT_TRUE(f.devices.site == "a" || f.devices.site == "b") << f.devices.site;
        EXPECT_GE(f.devices.count, 1u);
        EXPECT_LE(f.devices.count, 5u);
      } else if (f.kind == FaultKind::kTaskManagerRestart) {
        EXPECT_TRUE(f.site.empty() && f.region.empty());
      } else {
        EXPECT_TRUE(f.site == "a" || f.site == "b") << f.site;
      }
      const Duration boots = f.kind == FaultKind::kPowerLoss ? f.stagger : 0s;
      healed = std::max(healed, f.at + f.length + boots);
    }
    EXPECT_TRUE(std::is_sorted(drawn.timeline.begin(), drawn.timeline.end(),
                               [](const Fault& a, const Fault& b) { return a.at < b.at; }));
    // The file's check, then liveness: every device connected 30 minutes after the last heal,
    // and no task left dispatched or running.
    ASSERT_EQ(drawn.checks.size(), 4u);
    EXPECT_FALSE(drawn.checks[0].liveness);
    EXPECT_EQ(drawn.checks[1].kind, CheckKind::kConnectedFraction);
    EXPECT_EQ(drawn.checks[1].at, healed + 30min);
    EXPECT_EQ(drawn.checks[1].at_least, 1.0);
    EXPECT_EQ(drawn.checks[2].status, "dispatched");
    EXPECT_EQ(drawn.checks[3].status, "running");
    for (std::size_t i = 1; i < 4; ++i) EXPECT_TRUE(drawn.checks[i].liveness);
  }
  EXPECT_EQ(counts.size(), 6u) << "every count from 1 to 6 is drawn over 200 seeds";
}

TEST(Swarm, EveryRolloutMustSettle) {
  Scenario s = loaded();
  Action rollout;
  rollout.kind = ActionKind::kRollout;
  rollout.name = "staged";
  s.actions.push_back(rollout);
  const Scenario drawn = with_swarm(s, 1, every_kind);
  const auto found = std::find_if(drawn.checks.begin(), drawn.checks.end(), [](const Check& c) {
    return c.id == "swarm-liveness-rollout-staged";
  });
  ASSERT_NE(found, drawn.checks.end());
  EXPECT_TRUE(found->liveness);
  EXPECT_EQ(found->kind, CheckKind::kRolloutState);
  EXPECT_EQ(found->rollout, "staged");
  EXPECT_EQ(found->state, "settled");
}

TEST(Swarm, OneSeedDrawsTheSameFaultsAndAnotherSeedOthers) {
  const Scenario s = loaded();
  const auto faults_of = [&](std::uint64_t seed) {
    std::string text;
    for (const Fault& f : with_swarm(s, seed, every_kind).timeline) {
      text += std::to_string(static_cast<int>(f.kind)) + "@" + std::to_string(f.at.count()) + "+" +
              std::to_string(f.length.count()) + f.site + f.region + ";";
    }
    return text;
  };
  EXPECT_EQ(faults_of(42), faults_of(42));
  EXPECT_NE(faults_of(42), faults_of(43));
}

TEST(Swarm, KindsTheDriverCannotMakeAreNeverDrawn) {
  const Scenario s = loaded();
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const Scenario drawn =
        with_swarm(s, seed, [](FaultKind kind) { return kind == FaultKind::kPartition; });
    for (const Fault& f : drawn.timeline) EXPECT_EQ(f.kind, FaultKind::kPartition);
  }
  const Scenario none = with_swarm(s, 1, [](FaultKind) { return false; });
  EXPECT_TRUE(none.timeline.empty());
  EXPECT_EQ(none.checks.size(), 4u);  // liveness is still asked for
}

}  // namespace
}  // namespace ccsim::scenarios

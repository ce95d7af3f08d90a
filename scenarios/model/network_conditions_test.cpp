// The network conditions both drivers apply: one-way partitions that nest, and the Gilbert-Elliott
// loss burst, whose long-run loss share and mean burst length are checked against the chain's
// stationary distribution worked out by hand (not against the code's own arithmetic).
#include "scenarios/model/network_conditions.h"

#include <gtest/gtest.h>

namespace ccsim::scenarios {
namespace {

Scenario one_site(double loss) {
  Scenario scenario;
  Site site;
  site.name = "north";
  site.uplink.loss_fraction = loss;
  scenario.sites.push_back(site);
  return scenario;
}

constexpr bool kUp = true;
constexpr bool kDown = false;

TEST(NetworkConditions, AOneWayPartitionBlocksOnlyItsWayButNoConnectionOpens) {
  NetworkConditions network(one_site(0.0), 1);
  network.partition(0, Direction::kUp);
  EXPECT_EQ(network.judge(0, kUp), Verdict::kPartitioned);
  EXPECT_EQ(network.judge(0, kDown), Verdict::kDeliver);
  EXPECT_FALSE(network.reachable(0));
  network.heal(0, Direction::kUp);
  EXPECT_TRUE(network.reachable(0));

  network.partition(0, Direction::kDown);
  EXPECT_EQ(network.judge(0, kUp), Verdict::kDeliver);
  EXPECT_EQ(network.judge(0, kDown), Verdict::kPartitioned);
  network.heal(0, Direction::kDown);
  EXPECT_EQ(network.judge(0, kDown), Verdict::kDeliver);
}

TEST(NetworkConditions, PartitionsNestEachWay) {
  NetworkConditions network(one_site(0.0), 1);
  network.partition(0, Direction::kBoth);
  network.partition(0, Direction::kUp);
  network.heal(0, Direction::kBoth);
  // The one-way cut still holds upstream; downstream is open again.
  EXPECT_TRUE(network.blocked(0, kUp));
  EXPECT_FALSE(network.blocked(0, kDown));
  network.heal(0, Direction::kUp);
  EXPECT_TRUE(network.reachable(0));
}

struct Losses {
  double share = 0;     // of messages lost
  double mean_run = 0;  // consecutive losses
};

Losses measure(NetworkConditions& network, int messages) {
  int lost = 0, runs = 0;
  bool in_run = false;
  for (int i = 0; i < messages; ++i) {
    const bool loss = network.judge(0, i % 2 == 0) == Verdict::kLost;
    lost += loss;
    runs += loss && !in_run;
    in_run = loss;
  }
  return {static_cast<double>(lost) / messages, runs == 0 ? 0.0 : static_cast<double>(lost) / runs};
}

// With loss 1 in the bad state and none in the good, a run of losses is a stay in the bad state.
// The chain leaves the good state with p = 1/gap and the bad with q = 1/burst, so it is bad a
// share p / (p + q) = burst / (burst + gap) of the time (here 4 / 40 = 10%), and a stay in the bad
// state is geometric with mean 1/q = 4 messages.
TEST(NetworkConditions, ALossBurstLosesItsStationaryShareInRunsOfItsMeanLength) {
  NetworkConditions network(one_site(0.0), 7);
  network.begin_burst(0, LossBurst{1.0, 4, 36});
  const Losses losses = measure(network, 400'000);
  EXPECT_NEAR(losses.share, 0.10, 0.005);
  EXPECT_NEAR(losses.mean_run, 4.0, 0.1);
}

// Half lost in the bad state: the share halves, 0.5 * 5 / (5 + 95) = 2.5%, on top of nothing in
// the good state since the uplink has no loss of its own.
TEST(NetworkConditions, TheBadStatesLossAppliesOnlyInIt) {
  NetworkConditions network(one_site(0.0), 11);
  network.begin_burst(0, LossBurst{0.5, 5, 95});
  EXPECT_NEAR(measure(network, 400'000).share, 0.025, 0.002);
}

// In the good state the uplink's own loss holds: 2% for 90% of the time and all of it for 10%:
// 0.9 * 0.02 + 0.1 * 1 = 11.8%. When the burst ends, the uplink's 2% alone.
TEST(NetworkConditions, TheUplinksOwnLossHoldsInTheGoodStateAndAfterTheBurst) {
  NetworkConditions network(one_site(0.02), 5);
  network.begin_burst(0, LossBurst{1.0, 4, 36});
  EXPECT_NEAR(measure(network, 400'000).share, 0.118, 0.006);
  network.end_burst(0);
  EXPECT_NEAR(measure(network, 400'000).share, 0.02, 0.002);
}

TEST(NetworkConditions, OverlappingBurstsEndWhenTheLastDoes) {
  NetworkConditions network(one_site(0.0), 3);
  network.begin_burst(0, LossBurst{1.0, 4, 36});
  network.begin_burst(0, LossBurst{1.0, 4, 36});
  network.end_burst(0);
  EXPECT_GT(measure(network, 10'000).share, 0.05);
  network.end_burst(0);
  EXPECT_EQ(measure(network, 10'000).share, 0.0);
}

TEST(NetworkConditions, OneSeedGivesOneSequence) {
  NetworkConditions a(one_site(0.01), 9), b(one_site(0.01), 9);
  a.begin_burst(0, LossBurst{0.8, 3, 20});
  b.begin_burst(0, LossBurst{0.8, 3, 20});
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(a.judge(0, true), b.judge(0, true)) << i;
}

}  // namespace
}  // namespace ccsim::scenarios

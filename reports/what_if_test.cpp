#include "reports/what_if.h"

#include <gtest/gtest.h>

namespace ccsim::reports {
namespace {

// Worked by hand: y scaled is 0, 1/19, 2/19, 9/19, 1 against the chord's 0, 1/4, 1/2, 3/4, 1;
// the gaps 0.197, 0.395, 0.276: the knee is the third point (x = 3).
TEST(Knee, IsThePointFarthestFromTheChord) {
  EXPECT_EQ(knee_of({1, 2, 3, 4, 5}, {1, 2, 3, 10, 20}), 2u);
  // A saturating curve bends the other way: scaled 0, 0.8, 0.9, 0.95, 1 against 0, 0.25, ...:
  // gaps 0.55, 0.4, 0.2: the second point.
  EXPECT_EQ(knee_of({0, 1, 2, 3, 4}, {0, 80, 90, 95, 100}), 1u);
}

TEST(Knee, AStraightOrShortCurveHasNone) {
  EXPECT_FALSE(knee_of({1, 2, 3, 4}, {2, 4, 6, 8}).has_value());
  EXPECT_FALSE(knee_of({1, 2}, {1, 5}).has_value());
  EXPECT_FALSE(knee_of({1, 2, 3}, {1, 1, 1}).has_value());
  // 0.05 off the chord at most: under kKneeDistanceMin.
  EXPECT_FALSE(knee_of({0, 1, 2}, {0, 0.55, 1}).has_value());
}

TEST(NumericValue, ReadsTheAssumptionsFormats) {
  EXPECT_EQ(numeric_value("1000"), 1000);
  EXPECT_EQ(numeric_value("30 %"), 30);
  EXPECT_EQ(numeric_value("2 Mbps"), 2e6);
  EXPECT_EQ(numeric_value("1h30m"), 5400);
  EXPECT_EQ(numeric_value("250ms"), 0.25);
  EXPECT_FALSE(numeric_value("eu-west, us-east").has_value());
  EXPECT_FALSE(numeric_value("3s, 30s").has_value());
}

scenarios::RunResult run_with(double cameras, double peak) {
  scenarios::RunResult run;
  run.assumptions = {{"devices", std::to_string(static_cast<int>(cameras)), "sites"},
                     {"duration", "1h", "key"}};
  run.metrics = {{"peak_connected", cameras}, {"reconnect_peak_per_second", peak}};
  return run;
}

// Two seeds at each of three fleet sizes: the mean of each pair; the unchanged duration and the
// outcomes that stay flat give no curve.
TEST(WhatIf, AveragesTheRunsAtEachValueOfWhatVaries) {
  const std::vector<scenarios::RunResult> runs = {run_with(1000, 10),  run_with(1000, 14),
                                                  run_with(2000, 30),  run_with(2000, 30),
                                                  run_with(4000, 300), run_with(4000, 310)};
  std::vector<const scenarios::RunResult*> pointers;
  for (const auto& run : runs) pointers.push_back(&run);
  const std::vector<Curve> curves = what_if(pointers);
  ASSERT_EQ(curves.size(), 2u);  // devices against peak_connected and reconnect_peak_per_second
  EXPECT_EQ(curves[1].input, "devices");
  EXPECT_EQ(curves[1].output, "reconnect_peak_per_second");
  EXPECT_EQ(curves[1].x, (std::vector<double>{1000, 2000, 4000}));
  EXPECT_EQ(curves[1].y, (std::vector<double>{12, 30, 305}));
  // Scaled: x 0, 1/3, 1; y 0, 18/293 = 0.061; chord at 1/3: 0.333: knee at 2,000 cameras.
  EXPECT_EQ(curves[1].knee, 1u);
}

}  // namespace
}  // namespace ccsim::reports

// Rollout safety: staged groups that open on a success threshold, a rate limit on starts, and
// the abort rule; every policy error names its field.
#include "platform/rollout.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/result_expectations.h"

namespace ccsim::platform {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

std::vector<std::string> cameras(std::size_t n) {
  std::vector<std::string> serials;
  for (std::size_t i = 0; i < n; ++i) serials.push_back("CAM-" + std::to_string(1000 + i));
  return serials;
}

// A rollout the test expects to be accepted (Rollout has no empty state for must() to return).
Rollout create(std::vector<std::string> devices, RolloutPolicy policy) {
  auto created = Rollout::create(std::move(devices), std::move(policy));
  if (!created.ok()) ADD_FAILURE() << created.error().message;
  return std::move(created).value();
}

void finish_all(Rollout& rollout, core::Time now, const std::vector<std::string>& devices,
                bool succeeded) {
  for (const std::string& device : devices)
    ASSERT_TRUE(rollout.finish(now, device, succeeded).ok());
}

TEST(Rollout, StagedGroupsOpenOnlyAfterTheirSuccessThreshold) {
  RolloutPolicy policy;
  policy.groups = {{2, 1.0}, {3, 0.5}, {0, 1.0}};  // the last takes the 5 left
  Rollout rollout = create(cameras(10), policy);
  const core::Time t0(0);
  const auto first = rollout.take_starts(t0);
  EXPECT_EQ(first, (std::vector<std::string>{"CAM-1000", "CAM-1001"}));
  EXPECT_TRUE(rollout.take_starts(t0).empty());  // the canary group must succeed first
  ASSERT_TRUE(rollout.finish(t0, "CAM-1000", true).ok());
  EXPECT_TRUE(rollout.take_starts(t0).empty());  // 1 of 2: below 100%
  ASSERT_TRUE(rollout.finish(t0, "CAM-1001", true).ok());
  const auto second = rollout.take_starts(t0);
  EXPECT_EQ(second.size(), 3u);
  EXPECT_EQ(rollout.open_groups(), 2u);
  ASSERT_TRUE(rollout.finish(t0, second[0], true).ok());
  EXPECT_TRUE(rollout.take_starts(t0).empty());  // 1 of 3 succeeded: below 50%
  ASSERT_TRUE(rollout.finish(t0, second[1], true).ok());
  const auto third = rollout.take_starts(t0);  // 2 of 3 >= 50%: the rest may start
  EXPECT_EQ(third.size(), 5u);
  EXPECT_EQ(rollout.progress()[2].devices, 5u);
  ASSERT_TRUE(rollout.finish(t0, second[2], true).ok());
  finish_all(rollout, t0, third, true);
  EXPECT_EQ(rollout.state(), RolloutState::kFinished);
  EXPECT_EQ(rollout.succeeded(), 10u);
}

TEST(Rollout, TheRateLimitSpreadsStartsOverMinutes) {
  RolloutPolicy policy;
  policy.groups = {{0, 1.0}};
  policy.starts_per_minute = 4;
  Rollout rollout = create(cameras(10), policy);
  EXPECT_EQ(rollout.take_starts(seconds(0)).size(), 4u);
  EXPECT_EQ(rollout.take_starts(seconds(59)).size(), 0u);  // still the same minute
  EXPECT_EQ(rollout.take_starts(seconds(60)).size(), 4u);
  EXPECT_EQ(rollout.take_starts(seconds(61)).size(), 0u);
  EXPECT_EQ(rollout.take_starts(seconds(120)).size(), 2u);  // what was left
  EXPECT_EQ(rollout.progress()[0].started, 10u);
}

TEST(Rollout, AbortsWhenFailuresExceedTheShareAfterTheMinimum) {
  RolloutPolicy policy;
  policy.groups = {{0, 0.0}};
  policy.abort_failure_share = 0.2;
  policy.abort_after_min = 5;
  Rollout rollout = create(cameras(20), policy);
  const auto started = rollout.take_starts(seconds(0));
  ASSERT_EQ(started.size(), 20u);
  // Three failures in the first three: over 20%, but fewer than 5 finished, so it runs on.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rollout.finish(seconds(1), started[i], false).ok());
  EXPECT_EQ(rollout.state(), RolloutState::kRunning);
  ASSERT_TRUE(rollout.finish(seconds(2), started[3], true).ok());
  ASSERT_TRUE(rollout.finish(seconds(2), started[4], true).ok());  // 3 of 5 failed: 60%
  EXPECT_EQ(rollout.state(), RolloutState::kAborted);
  EXPECT_NE(rollout.abort_reason().find("3 of 5 finished devices failed"), std::string::npos)
      << rollout.abort_reason();
  // Devices already running still report, and nothing new starts.
  EXPECT_TRUE(rollout.finish(seconds(3), started[5], true).ok());
  EXPECT_TRUE(rollout.take_starts(seconds(4)).empty());
  EXPECT_EQ(rollout.state(), RolloutState::kAborted);
}

TEST(Rollout, AGroupEndingBelowItsThresholdStopsTheRollout) {
  RolloutPolicy policy;
  policy.groups = {{4, 0.75}, {0, 1.0}};
  Rollout rollout = create(cameras(8), policy);
  const auto canary = rollout.take_starts(seconds(0));
  ASSERT_EQ(canary.size(), 4u);
  ASSERT_TRUE(rollout.finish(seconds(1), canary[0], true).ok());
  ASSERT_TRUE(rollout.finish(seconds(1), canary[1], false).ok());
  ASSERT_TRUE(rollout.finish(seconds(1), canary[2], true).ok());
  EXPECT_EQ(rollout.state(), RolloutState::kRunning);
  ASSERT_TRUE(rollout.finish(seconds(1), canary[3], false).ok());  // 2 of 4 < 75%
  EXPECT_EQ(rollout.state(), RolloutState::kAborted);
  EXPECT_NE(rollout.abort_reason().find("group 0 ended with 2 of 4"), std::string::npos);
  EXPECT_TRUE(rollout.take_starts(seconds(2)).empty());
  EXPECT_EQ(rollout.status("CAM-1004"), DeviceRolloutStatus::kPending);
}

TEST(Rollout, ResultsAreTakenOnceAndOnlyForStartedDevices) {
  RolloutPolicy policy;
  policy.groups = {{1, 1.0}, {0, 1.0}};
  Rollout rollout = create(cameras(3), policy);
  expect_error(rollout.finish(seconds(0), "CAM-1001", true), ErrorCode::kFailedPrecondition,
               "not started");
  expect_error(rollout.finish(seconds(0), "CAM-9999", true), ErrorCode::kNotFound, "device");
  ASSERT_EQ(rollout.take_starts(seconds(0)).size(), 1u);
  ASSERT_TRUE(rollout.finish(seconds(1), "CAM-1000", true).ok());
  expect_error(rollout.finish(seconds(1), "CAM-1000", false), ErrorCode::kFailedPrecondition,
               "already finished");
  EXPECT_EQ(rollout.status("CAM-1000"), DeviceRolloutStatus::kSucceeded);
  EXPECT_EQ(rollout.failed(), 0u);
}

TEST(Rollout, BadPoliciesAreRefusedNamingTheField) {
  const auto refused = [](std::vector<std::string> devices, RolloutPolicy policy,
                          std::string_view field) {
    SCOPED_TRACE(std::string(field));
    expect_error(Rollout::create(std::move(devices), std::move(policy)),
                 ErrorCode::kInvalidArgument, field);
  };
  RolloutPolicy one_group;
  one_group.groups = {{0, 1.0}};
  refused({}, one_group, "devices: none");
  refused({"A", "A"}, one_group, "devices: a device is listed twice");
  refused(cameras(3), RolloutPolicy{}, "groups: 1..100");
  RolloutPolicy policy = one_group;
  policy.groups = {{0, 1.0}, {2, 1.0}};
  refused(cameras(3), policy, "groups[0].devices: 0 is only for the last group");
  policy.groups = {{2, 1.0}, {2, 1.0}};
  refused(cameras(3), policy, "groups: 4 devices in groups for 3 targets");
  policy.groups = {{3, 1.0}, {0, 1.0}};
  refused(cameras(3), policy, "the last has none left");
  policy.groups = {{0, 1.5}};
  refused(cameras(3), policy, "groups[0].success_threshold");
  policy = one_group;
  policy.abort_failure_share = -0.1;
  refused(cameras(3), policy, "abort_failure_share");
  policy = one_group;
  policy.abort_after_min = 0;
  refused(cameras(3), policy, "abort_after_min");
  policy = one_group;
  policy.starts_per_minute = kRolloutStartsPerMinuteMax + 1;
  refused(cameras(3), policy, "starts_per_minute");
}

}  // namespace
}  // namespace ccsim::platform

// A software rollout's safety rules, as the mature fleet-update systems apply them (hawkBit's
// staged groups with success and error thresholds; AWS IoT Jobs' rollout rate and abort
// criteria). A rollout takes its target devices in a fixed order, split into staged groups: a
// group's devices may start only once every earlier group has reached its success threshold;
// starts are rate-limited (at most `starts_per_minute` in any minute window); and the rollout
// aborts, starting nothing more, once at least `abort_after_min` devices have finished and the
// failure share among finished devices exceeds `abort_failure_share`, or once a group has ended
// short of its success threshold (the next could never start). It is finished when every device
// has finished without an abort.
//
// It only decides who may start when: whether a device may install now (its update window), and
// the upgrade itself, belong to others. A sans-IO service: time comes in with each call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "platform/service_result.h"

namespace ccsim::platform {

inline constexpr std::size_t kRolloutDevicesMax = 1'000'000;
inline constexpr std::size_t kRolloutGroupsMax = 100;
inline constexpr std::uint32_t kRolloutStartsPerMinuteMax = 100'000;

// The last group may be given as 0 devices: it takes every device not in an earlier group.
struct RolloutGroup {
  std::size_t devices = 0;
  double success_threshold = 1.0;  // share of the group succeeded before the next may start
};

struct RolloutPolicy {
  std::vector<RolloutGroup> groups;     // at least one; kRolloutGroupsMax at most
  std::uint32_t starts_per_minute = 0;  // 0: no limit
  double abort_failure_share = 1.0;     // in [0, 1]; 1 never aborts
  std::size_t abort_after_min = 1;      // finished devices before the abort rule applies
};

enum class RolloutState : std::uint8_t { kRunning, kFinished, kAborted };
enum class DeviceRolloutStatus : std::uint8_t { kPending, kStarted, kSucceeded, kFailed };

std::string_view rollout_state_name(RolloutState state);

struct RolloutGroupProgress {
  std::size_t devices = 0;
  std::size_t started = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
};

class Rollout {
 public:
  // Checks the policy against `devices` (serials, in rollout order, no repeats): typed errors
  // naming the field for an empty target, too many devices or groups, groups that do not add
  // up, a threshold or share outside [0, 1], a rate over the limit.
  static Result<Rollout> create(std::vector<std::string> devices, RolloutPolicy policy);

  // The devices that may start now, in rollout order, as many as the rate limit and the stage
  // gates allow; each is marked started. Nothing once aborted or done.
  std::vector<std::string> take_starts(core::Time now);

  // A started device finished. kNotFound for a device not in the rollout; kFailedPrecondition
  // for one not started or already finished (a result is taken once).
  Result<Done> finish(core::Time now, std::string_view device, bool succeeded);

  RolloutState state() const { return state_; }
  const RolloutPolicy& policy() const { return policy_; }
  const std::vector<RolloutGroupProgress>& progress() const { return progress_; }
  DeviceRolloutStatus status(std::string_view device) const;
  // How many groups, from the first, are open: their devices may start.
  std::size_t open_groups() const { return open_groups_; }
  std::size_t finished() const { return succeeded_ + failed_; }
  std::size_t failed() const { return failed_; }
  std::size_t succeeded() const { return succeeded_; }
  // Why the rollout aborted; empty unless aborted.
  const std::string& abort_reason() const { return abort_reason_; }

 private:
  Rollout(std::vector<std::string> devices, RolloutPolicy policy);
  std::size_t index_of(std::string_view device) const;  // devices_.size() when absent
  void update_gates();

  std::vector<std::string> devices_;
  std::vector<std::size_t> order_;  // device indices sorted by serial, for lookups
  std::vector<std::size_t> group_of_;
  std::vector<DeviceRolloutStatus> statuses_;
  RolloutPolicy policy_;
  std::vector<RolloutGroupProgress> progress_;
  std::size_t open_groups_ = 1;           // groups whose devices may start
  std::size_t next_ = 0;                  // the next device in rollout order to start
  std::deque<core::Time> recent_starts_;  // within the last minute, for the rate limit
  std::size_t succeeded_ = 0;
  std::size_t failed_ = 0;
  RolloutState state_ = RolloutState::kRunning;
  std::string abort_reason_;
};

}  // namespace ccsim::platform

#include "platform/rollout.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <numeric>
#include <utility>

namespace ccsim::platform {
namespace {

constexpr core::Duration kRateWindow = std::chrono::minutes(1);

bool is_share(double value) {
  return value >= 0.0 && value <= 1.0;
}

}  // namespace

std::string_view rollout_state_name(RolloutState state) {
  switch (state) {
    case RolloutState::kRunning:
      return "running";
    case RolloutState::kFinished:
      return "finished";
    case RolloutState::kAborted:
      return "aborted";
  }
  return "unknown";
}

Result<Rollout> Rollout::create(std::vector<std::string> devices, RolloutPolicy policy) {
  if (devices.empty()) return error(ErrorCode::kInvalidArgument, "devices: none to roll out to");
  if (devices.size() > kRolloutDevicesMax) {
    return error(ErrorCode::kResourceExhausted, "devices: " + std::to_string(devices.size()) +
                                                    ", at most " +
                                                    std::to_string(kRolloutDevicesMax));
  }
  std::vector<std::string> sorted = devices;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return error(ErrorCode::kInvalidArgument, "devices: a device is listed twice");
  }
  if (policy.groups.empty() || policy.groups.size() > kRolloutGroupsMax) {
    return error(ErrorCode::kInvalidArgument,
                 "groups: 1.." + std::to_string(kRolloutGroupsMax) + " staged groups");
  }
  std::size_t listed = 0;
  for (std::size_t g = 0; g < policy.groups.size(); ++g) {
    const RolloutGroup& group = policy.groups[g];
    const std::string where = "groups[" + std::to_string(g) + "].";
    const bool last = g + 1 == policy.groups.size();
    if (group.devices == 0 && !last) {
      return error(ErrorCode::kInvalidArgument,
                   where + "devices: 0 is only for the last group (every device left)");
    }
    if (!is_share(group.success_threshold)) {
      return error(ErrorCode::kInvalidArgument, where + "success_threshold: expected 0..1");
    }
    listed += group.devices;
  }
  if (policy.groups.back().devices == 0) {
    if (listed >= devices.size()) {
      return error(ErrorCode::kInvalidArgument,
                   "groups: the earlier groups take every device; the last has none left");
    }
    policy.groups.back().devices = devices.size() - listed;
  } else if (listed != devices.size()) {
    return error(ErrorCode::kInvalidArgument,
                 "groups: " + std::to_string(listed) + " devices in groups for " +
                     std::to_string(devices.size()) + " targets; expected them to add up");
  }
  if (policy.starts_per_minute > kRolloutStartsPerMinuteMax) {
    return error(ErrorCode::kInvalidArgument,
                 "starts_per_minute: at most " + std::to_string(kRolloutStartsPerMinuteMax));
  }
  if (!is_share(policy.abort_failure_share)) {
    return error(ErrorCode::kInvalidArgument, "abort_failure_share: expected 0..1");
  }
  if (policy.abort_after_min == 0) {
    return error(ErrorCode::kInvalidArgument, "abort_after_min: at least 1");
  }
  return Rollout(std::move(devices), std::move(policy));
}

Rollout::Rollout(std::vector<std::string> devices, RolloutPolicy policy)
    : devices_(std::move(devices)),
      statuses_(devices_.size(), DeviceRolloutStatus::kPending),
      policy_(std::move(policy)),
      progress_(policy_.groups.size()) {
  order_.resize(devices_.size());
  std::iota(order_.begin(), order_.end(), 0);
  std::sort(order_.begin(), order_.end(),
            [&](std::size_t a, std::size_t b) { return devices_[a] < devices_[b]; });
  group_of_.reserve(devices_.size());
  for (std::size_t g = 0; g < policy_.groups.size(); ++g) {
    progress_[g].devices = policy_.groups[g].devices;
    group_of_.insert(group_of_.end(), policy_.groups[g].devices, g);
  }
  assert(group_of_.size() == devices_.size());
}

std::size_t Rollout::index_of(std::string_view device) const {
  const auto it =
      std::lower_bound(order_.begin(), order_.end(), device,
                       [&](std::size_t i, std::string_view d) { return devices_[i] < d; });
  return it != order_.end() && devices_[*it] == device ? *it : devices_.size();
}

DeviceRolloutStatus Rollout::status(std::string_view device) const {
  const std::size_t i = index_of(device);
  return i == devices_.size() ? DeviceRolloutStatus::kPending : statuses_[i];
}

std::vector<std::string> Rollout::take_starts(core::Time now) {
  std::vector<std::string> starts;
  if (state_ != RolloutState::kRunning) return starts;
  while (!recent_starts_.empty() && now - recent_starts_.front() >= kRateWindow) {
    recent_starts_.pop_front();
  }
  while (next_ < devices_.size() && group_of_[next_] < open_groups_) {
    if (policy_.starts_per_minute != 0 && recent_starts_.size() >= policy_.starts_per_minute) {
      break;
    }
    statuses_[next_] = DeviceRolloutStatus::kStarted;
    ++progress_[group_of_[next_]].started;
    recent_starts_.push_back(now);
    starts.push_back(devices_[next_]);
    ++next_;
  }
  return starts;
}

Result<Done> Rollout::finish(core::Time, std::string_view device, bool succeeded) {
  const std::size_t i = index_of(device);
  if (i == devices_.size()) return error(ErrorCode::kNotFound, "device: not in this rollout");
  if (statuses_[i] != DeviceRolloutStatus::kStarted) {
    return error(ErrorCode::kFailedPrecondition, statuses_[i] == DeviceRolloutStatus::kPending
                                                     ? "device: not started"
                                                     : "device: already finished");
  }
  statuses_[i] = succeeded ? DeviceRolloutStatus::kSucceeded : DeviceRolloutStatus::kFailed;
  RolloutGroupProgress& group = progress_[group_of_[i]];
  ++(succeeded ? group.succeeded : group.failed);
  ++(succeeded ? succeeded_ : failed_);
  if (state_ != RolloutState::kRunning) return Done{};  // late results of an aborted rollout
  const std::size_t done = finished();
  if (done >= policy_.abort_after_min &&
      static_cast<double>(failed_) > policy_.abort_failure_share * static_cast<double>(done)) {
    state_ = RolloutState::kAborted;
    abort_reason_ = std::to_string(failed_) + " of " + std::to_string(done) +
                    " finished devices failed, over the abort share of " +
                    std::to_string(policy_.abort_failure_share);
    return Done{};
  }
  update_gates();
  if (done == devices_.size()) {
    state_ = RolloutState::kFinished;
    return Done{};
  }
  // The newest open group is over but short of its threshold: the next can never open.
  const std::size_t last = open_groups_ - 1;
  const RolloutGroupProgress& group_now = progress_[last];
  if (open_groups_ < progress_.size() &&
      group_now.succeeded + group_now.failed == group_now.devices) {
    state_ = RolloutState::kAborted;
    abort_reason_ = "group " + std::to_string(last) + " ended with " +
                    std::to_string(group_now.succeeded) + " of " +
                    std::to_string(group_now.devices) + " succeeded, below its success threshold";
  }
  return Done{};
}

// A group opens the next once its succeeded share reaches its threshold.
void Rollout::update_gates() {
  while (open_groups_ < progress_.size()) {
    const RolloutGroupProgress& last_open = progress_[open_groups_ - 1];
    const double needed =
        policy_.groups[open_groups_ - 1].success_threshold * static_cast<double>(last_open.devices);
    if (static_cast<double>(last_open.succeeded) < needed) return;
    ++open_groups_;
  }
}

}  // namespace ccsim::platform

#include "devices/ice_candidates.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace ccsim::devices {

std::string_view candidate_type_name(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return "host";
    case CandidateType::kServerReflexive:
      return "srflx";
    case CandidateType::kPeerReflexive:
      return "prflx";
    case CandidateType::kRelayed:
      return "relay";
  }
  return "unknown";
}

std::uint32_t type_preference(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return 126;
    case CandidateType::kPeerReflexive:
      return 110;
    case CandidateType::kServerReflexive:
      return 100;
    case CandidateType::kRelayed:
      return 0;
  }
  return 0;
}

std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 std::uint16_t component) {
  assert(component >= 1 && component <= 256);
  return (type_preference(type) << 24) + (std::uint32_t{local_preference} << 8) +
         (256u - component);
}

std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled) {
  const std::uint64_t low = std::min(controlling, controlled);
  const std::uint64_t high = std::max(controlling, controlled);
  return (low << 32) + 2 * high + (controlling > controlled ? 1 : 0);
}

void assign_foundations(std::vector<IceCandidate>& candidates) {
  std::map<std::tuple<CandidateType, std::uint32_t, std::uint32_t>, std::string> foundations;
  for (IceCandidate& candidate : candidates) {
    const auto key = std::make_tuple(candidate.type, candidate.base.address, candidate.server);
    auto found = foundations.find(key);
    if (found == foundations.end()) {
      found = foundations.emplace(key, std::to_string(foundations.size() + 1)).first;
    }
    candidate.foundation = found->second;
  }
}

std::string_view pair_state_name(PairState state) {
  switch (state) {
    case PairState::kFrozen:
      return "frozen";
    case PairState::kWaiting:
      return "waiting";
    case PairState::kInProgress:
      return "in-progress";
    case PairState::kSucceeded:
      return "succeeded";
    case PairState::kFailed:
      return "failed";
  }
  return "unknown";
}

namespace {

// 6.1.2.4: a server-reflexive local candidate is replaced by its base, the host candidate it was
// sent from.
std::size_t replaced_by_base(const std::vector<IceCandidate>& local, std::size_t index) {
  if (local[index].type != CandidateType::kServerReflexive) return index;
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (local[i].type == CandidateType::kHost && local[i].address == local[index].base &&
        local[i].component == local[index].component) {
      return i;
    }
  }
  assert(false && "a server-reflexive candidate's base is among the local candidates");
  return index;
}

// 6.1.2.6: per foundation, the pair of the lowest component, then the highest priority, Waits.
void unfreeze_first_of_each_foundation(std::vector<CandidatePair>& pairs,
                                       const std::vector<IceCandidate>& local) {
  std::map<std::string, std::size_t> first;  // foundation -> the pair chosen so far
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto [at, inserted] = first.emplace(pairs[i].foundation, i);
    if (inserted) continue;
    const CandidatePair& chosen = pairs[at->second];
    const std::uint16_t component = local[pairs[i].local].component;
    const std::uint16_t chosen_component = local[chosen.local].component;
    if (component < chosen_component ||
        (component == chosen_component && pairs[i].priority > chosen.priority)) {
      at->second = i;
    }
  }
  for (const auto& [foundation, index] : first) pairs[index].state = PairState::kWaiting;
}

}  // namespace

std::vector<CandidatePair> form_check_list(const std::vector<IceCandidate>& local,
                                           const std::vector<IceCandidate>& remote,
                                           bool controlling, std::size_t max_pairs) {
  std::vector<CandidatePair> pairs;
  for (std::size_t l = 0; l < local.size(); ++l) {
    const std::size_t base = replaced_by_base(local, l);
    for (std::size_t r = 0; r < remote.size(); ++r) {
      if (local[base].component != remote[r].component) continue;
      const std::uint32_t mine = local[base].priority();
      const std::uint32_t theirs = remote[r].priority();
      pairs.push_back({base, r,
                       controlling ? pair_priority(mine, theirs) : pair_priority(theirs, mine),
                       local[base].foundation + ":" + remote[r].foundation, PairState::kFrozen});
    }
  }
  // Highest priority first; equal ones in formation order, so the list is the same every run.
  std::stable_sort(pairs.begin(), pairs.end(), [](const CandidatePair& a, const CandidatePair& b) {
    return a.priority > b.priority;
  });
  std::set<std::pair<std::size_t, std::size_t>> seen;  // (local, remote): the first is the best
  std::erase_if(pairs, [&seen](const CandidatePair& p) {
    return !seen.insert({p.local, p.remote}).second;
  });
  if (pairs.size() > max_pairs) pairs.resize(max_pairs);
  unfreeze_first_of_each_foundation(pairs, local);
  return pairs;
}

}  // namespace ccsim::devices

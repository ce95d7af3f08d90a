// ICE candidates and the check list, as RFC 8445 defines them: what a camera and a viewer
// application each gather (host, server-reflexive, relayed; peer-reflexive ones learnt from
// checks), how each candidate is prioritised (section 5.1.2.1), which share a foundation (5.1.1.3),
// and how the two sides' candidates make the check list: pairs formed (6.1.2.2), prioritised
// (6.1.2.3), server-reflexive locals replaced by their bases and redundant pairs pruned
// (6.1.2.4), the list cut at its limit (6.1.2.5) and the first pair of each foundation set to
// Waiting, the others Frozen (6.1.2.6). Plain functions over values: the checks themselves, their
// pacing and nomination belong to the agent that runs them.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccsim::devices {

enum class CandidateType : std::uint8_t { kHost, kServerReflexive, kPeerReflexive, kRelayed };
std::string_view candidate_type_name(CandidateType type);  // "host", "srflx", "prflx", "relay"

// RFC 8445 5.1.2.2's recommended type preferences: 126, 100, 110, 0.
std::uint32_t type_preference(CandidateType type);

// Section 5.1.2.1: (2^24) type preference + (2^8) local preference + (256 - component).
// A single-homed agent's local preference is 65535; components run from 1 to 256.
inline constexpr std::uint16_t kLocalPreferenceSingleHomed = 65535;
std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 std::uint16_t component);

// Section 6.1.2.3: G the controlling agent's candidate's priority, D the controlled one's:
// 2^32 MIN(G,D) + 2 MAX(G,D) + (G > D ? 1 : 0).
std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled);

struct TransportAddress {
  std::uint32_t address = 0;  // IPv4, host byte order
  std::uint16_t port = 0;
  auto operator<=>(const TransportAddress&) const = default;
};

struct IceCandidate {
  CandidateType type = CandidateType::kHost;
  TransportAddress address;  // where the peer sends
  TransportAddress base;     // the host address it was sent from (its own address for a host one)
  std::uint32_t server = 0;  // the STUN or TURN server it was learnt from; 0: none
  std::uint16_t component = 1;
  std::uint16_t local_preference = kLocalPreferenceSingleHomed;
  std::string foundation;  // set by assign_foundations()
  std::uint32_t priority() const { return candidate_priority(type, local_preference, component); }
};

// Section 5.1.1.3: candidates of one type, one base address, one server (and, here, one
// transport: UDP) share a foundation; others get different ones. Foundations are numbered "1",
// "2"... in the order their first candidate comes.
void assign_foundations(std::vector<IceCandidate>& candidates);

enum class PairState : std::uint8_t { kFrozen, kWaiting, kInProgress, kSucceeded, kFailed };
std::string_view pair_state_name(PairState state);

struct CandidatePair {
  std::size_t local = 0;   // index into the local candidates: a host or relayed one after 6.1.2.4
  std::size_t remote = 0;  // index into the remote candidates
  std::uint64_t priority = 0;
  std::string foundation;  // the local candidate's and the remote one's, joined by ':'
  PairState state = PairState::kFrozen;
};

// Section 6.1.2.5's limit on a check list.
inline constexpr std::size_t kCheckListMaxDefault = 100;

// The check list of one data stream: every local and remote candidate of the same component
// paired, server-reflexive locals replaced by their base's candidate (which must be among
// `local`), redundant pairs (same local base and remote candidate) pruned keeping the higher
// priority, sorted by priority (highest first), cut at `max_pairs`, and, per foundation, the pair
// of the lowest component and highest priority Waiting, the others Frozen.
std::vector<CandidatePair> form_check_list(const std::vector<IceCandidate>& local,
                                           const std::vector<IceCandidate>& remote,
                                           bool controlling,
                                           std::size_t max_pairs = kCheckListMaxDefault);

}  // namespace ccsim::devices

// RFC 8445's candidate and pair priorities, foundations and check-list formation, against values
// worked out by hand from the RFC's formulas (and the host, srflx and relay priorities browsers
// show for a single-homed agent: 2130706431, 1694498815, 16777215).
#include "devices/ice_candidates.h"

#include <gtest/gtest.h>

#include <vector>

namespace ccsim::devices {
namespace {

constexpr std::uint32_t kCameraLan = 0xC0A80164;     // 192.168.1.100
constexpr std::uint32_t kCameraPublic = 0xCB007105;  // 203.0.113.5
constexpr std::uint32_t kViewerLan = 0x0A000002;     // 10.0.0.2
constexpr std::uint32_t kViewerPublic = 0xC6336402;  // 198.51.100.2
constexpr std::uint32_t kStun = 0xC0000201;          // 192.0.2.1
constexpr std::uint32_t kTurn = 0xC0000202;          // 192.0.2.2

IceCandidate candidate(CandidateType type, TransportAddress address, TransportAddress base,
                       std::uint32_t server = 0) {
  IceCandidate c;
  c.type = type;
  c.address = address;
  c.base = base;
  c.server = server;
  return c;
}

TEST(IceCandidates, PrioritiesFollowSection5121) {
  EXPECT_EQ(candidate_priority(CandidateType::kHost, 65535, 1), 2130706431u);
  EXPECT_EQ(candidate_priority(CandidateType::kServerReflexive, 65535, 1), 1694498815u);
  EXPECT_EQ(candidate_priority(CandidateType::kPeerReflexive, 65535, 1), 1862270975u);
  EXPECT_EQ(candidate_priority(CandidateType::kRelayed, 65535, 1), 16777215u);
  // RTCP's component 2 is one lower; a second interface's lower local preference 256 lower.
  EXPECT_EQ(candidate_priority(CandidateType::kHost, 65535, 2), 2130706430u);
  EXPECT_EQ(candidate_priority(CandidateType::kHost, 65534, 1), 2130706175u);
}

TEST(IceCandidates, PairPriorityFollowsSection6123) {
  // 2^32 * 1694498815 + 2 * 2130706431 + 1, worked out by hand.
  EXPECT_EQ(pair_priority(2130706431u, 1694498815u), 7277816997797167103u);
  // The same two from the other side: the controlled agent's candidate is the higher one.
  EXPECT_EQ(pair_priority(1694498815u, 2130706431u), 7277816997797167102u);
  EXPECT_EQ(pair_priority(2130706431u, 2130706431u), 9151314442783293438u);
}

TEST(IceCandidates, FoundationsAreSharedByTypeBaseAndServer) {
  std::vector<IceCandidate> candidates{
      candidate(CandidateType::kHost, {kCameraLan, 5000}, {kCameraLan, 5000}),
      candidate(CandidateType::kHost, {kCameraLan, 5002}, {kCameraLan, 5002}),
      candidate(CandidateType::kServerReflexive, {kCameraPublic, 6000}, {kCameraLan, 5000}, kStun),
      candidate(CandidateType::kServerReflexive, {kCameraPublic, 6001}, {kCameraLan, 5002}, kStun),
      candidate(CandidateType::kRelayed, {kTurn, 7000}, {kCameraLan, 5000}, kTurn),
  };
  assign_foundations(candidates);
  EXPECT_EQ(candidates[0].foundation, "1");
  EXPECT_EQ(candidates[1].foundation, "1") << "same type and base address; another port";
  EXPECT_EQ(candidates[2].foundation, "2");
  EXPECT_EQ(candidates[3].foundation, "2");
  EXPECT_EQ(candidates[4].foundation, "3");
}

// A camera (host, srflx, relay) against a viewer (host, srflx). The camera's srflx pairs become
// its host's and are pruned as redundant, leaving 2 x 2 pairs.
TEST(IceCandidates, TheCheckListPairsPrunesSortsAndUnfreezesOnePairPerFoundation) {
  std::vector<IceCandidate> camera{
      candidate(CandidateType::kHost, {kCameraLan, 5000}, {kCameraLan, 5000}),
      candidate(CandidateType::kServerReflexive, {kCameraPublic, 6000}, {kCameraLan, 5000}, kStun),
      candidate(CandidateType::kRelayed, {kTurn, 7000}, {kCameraLan, 5000}, kTurn),
  };
  std::vector<IceCandidate> viewer{
      candidate(CandidateType::kHost, {kViewerLan, 4000}, {kViewerLan, 4000}),
      candidate(CandidateType::kServerReflexive, {kViewerPublic, 4100}, {kViewerLan, 4000}, kStun),
  };
  assign_foundations(camera);
  assign_foundations(viewer);
  const std::vector<CandidatePair> list = form_check_list(camera, viewer, /*controlling=*/true);
  ASSERT_EQ(list.size(), 4u);
  // host-host, host-srflx, relay-host, relay-srflx, by the section 6.1.2.3 formula by hand:
  // 2^32 * 2130706431 + 2 * 2130706431 + 0, 2^32 * 1694498815 + 2 * 2130706431 + 1,
  // 2^32 * 16777215 + 2 * 2130706431 + 0, 2^32 * 16777215 + 2 * 1694498815 + 0.
  EXPECT_EQ(list[0].priority, 9151314442783293438u);
  EXPECT_EQ(list[1].priority, 7277816997797167103u);
  EXPECT_EQ(list[2].priority, 72057594004373502u);
  EXPECT_EQ(list[3].priority, 72057593131958270u);
  EXPECT_EQ(list[0].local, 0u);
  EXPECT_EQ(list[0].remote, 0u);
  EXPECT_EQ(list[1].local, 0u) << "the srflx local became its base";
  EXPECT_EQ(list[1].remote, 1u);
  EXPECT_EQ(list[2].local, 2u);
  EXPECT_EQ(list[3].local, 2u);
  // Four foundations (1:1, 1:2, 3:1, 3:2), each with one pair: all Waiting.
  for (const CandidatePair& pair : list) EXPECT_EQ(pair.state, PairState::kWaiting);

  // From the viewer's side (controlled): its srflx pairs become its host's, 1 x 3 left; the
  // host-host pair has the same priority on both sides.
  const std::vector<CandidatePair> theirs = form_check_list(viewer, camera, false);
  ASSERT_EQ(theirs.size(), 3u);
  EXPECT_EQ(theirs[0].priority, list[0].priority);
  // Its host against the camera's srflx: G the camera's 1694498815, D its own 2130706431.
  EXPECT_EQ(theirs[1].priority, 7277816997797167102u);
}

TEST(IceCandidates, OnePairPerFoundationWaitsTheHigherOneAndTheListIsCut) {
  std::vector<IceCandidate> camera{
      candidate(CandidateType::kHost, {kCameraLan, 5000}, {kCameraLan, 5000}),
      candidate(CandidateType::kHost, {kCameraLan, 5002}, {kCameraLan, 5002}),
  };
  camera[1].local_preference = 65534;
  std::vector<IceCandidate> viewer{
      candidate(CandidateType::kHost, {kViewerLan, 4000}, {kViewerLan, 4000}),
  };
  assign_foundations(camera);
  assign_foundations(viewer);
  const std::vector<CandidatePair> list = form_check_list(camera, viewer, true);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].foundation, "1:1");
  EXPECT_EQ(list[1].foundation, "1:1");
  EXPECT_EQ(list[0].local, 0u);
  EXPECT_EQ(list[0].state, PairState::kWaiting);
  EXPECT_EQ(list[1].state, PairState::kFrozen);
  const std::vector<CandidatePair> cut = form_check_list(camera, viewer, true, 1);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].local, 0u) << "the lowest priority pairs go";
}

}  // namespace
}  // namespace ccsim::devices

#include "devices/webrtc_peer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ccsim::devices {
namespace {

using Json = nlohmann::json;

constexpr std::uint32_t ip(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

WebRtcPeer camera() {
  return WebRtcPeer(
      {{ip(10, 0, 0, 5), 50000}, {ip(203, 0, 113, 7), 61000}, {ip(198, 51, 100, 1), 49152}});
}

const std::string kConnect =
    R"({"jsonrpc":"2.0","method":"connect","params":{"session":"ses-000001","iceServers":[]}})";
const std::string kInvite =
    R"({"jsonrpc":"2.0","id":"ses-000001","method":"invite","params":{"session":"ses-000001",)"
    R"("offer":"v=0\r\n"}})";

TEST(WebRtcPeer, AnswersTheInviteThenTricklesItsCandidatesAndTheEnd) {
  WebRtcPeer peer = camera();
  EXPECT_TRUE(peer.on_signaling(kConnect).empty());
  const std::vector<std::string> sent = peer.on_signaling(kInvite);
  ASSERT_EQ(sent.size(), 5u);
  const Json answer = Json::parse(sent[0]);
  EXPECT_EQ(answer["id"], "ses-000001");
  EXPECT_TRUE(answer["result"]["answer"].get<std::string>().starts_with("v=0\r\n"));
  // RFC 8445 5.1.2.1 with the recommended type preferences (126, 100, 0), local preference
  // 65535, component 1: 2130706431, 1694498815 and 16777215, as RFC 8445's own examples give.
  const char* expected[] = {
      "candidate:1 1 udp 2130706431 10.0.0.5 50000 typ host",
      "candidate:2 1 udp 1694498815 203.0.113.7 61000 typ srflx raddr 10.0.0.5 rport 50000",
      "candidate:3 1 udp 16777215 198.51.100.1 49152 typ relay raddr 203.0.113.7 rport 61000",
  };
  for (int i = 0; i < 3; ++i) {
    const Json trickle = Json::parse(sent[static_cast<std::size_t>(i) + 1]);
    EXPECT_EQ(trickle["method"], "trickle");
    EXPECT_FALSE(trickle.contains("id"));
    EXPECT_EQ(trickle["params"]["session"], "ses-000001");
    EXPECT_EQ(trickle["params"]["candidate"]["candidate"], expected[i]);
  }
  EXPECT_TRUE(Json::parse(sent[4])["params"]["candidate"].is_null());
  EXPECT_EQ(peer.metrics().invites_answered, 1u);
  // A second invite for the same session is refused as the request's error.
  const Json again = Json::parse(peer.on_signaling(kInvite).at(0));
  EXPECT_EQ(again["error"]["code"], -32005);
}

TEST(WebRtcPeer, RefusesAnInviteWithoutASessionAndPastItsLimit) {
  WebRtcPeer peer = camera();
  EXPECT_EQ(Json::parse(peer.on_signaling(kInvite).at(0))["error"]["code"], -32005);
  for (std::size_t i = 0; i < kLiveSessionsPerDeviceMax + 1; ++i) {
    (void)peer.on_signaling(R"({"jsonrpc":"2.0","method":"connect","params":{"session":"s)" +
                            std::to_string(i) + R"("}})");
  }
  EXPECT_EQ(peer.sessions_open(), kLiveSessionsPerDeviceMax);
  EXPECT_EQ(peer.metrics().invites_refused, 2u);
  (void)peer.on_signaling(
      R"({"jsonrpc":"2.0","method":"error","params":{"code":-32004,"session":"s0"}})");
  EXPECT_EQ(peer.sessions_open(), kLiveSessionsPerDeviceMax - 1);
  for (const char* junk : {"{", "[]", R"({"jsonrpc":"2.0","method":"connect","params":{}})",
                           R"({"jsonrpc":"2.0","method":"dance","params":{"session":"s1"}})"}) {
    EXPECT_TRUE(peer.on_signaling(junk).empty()) << junk;
  }
  EXPECT_EQ(peer.metrics().messages_malformed, 4u);
}

}  // namespace
}  // namespace ccsim::devices

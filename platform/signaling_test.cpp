#include "platform/signaling.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "platform/audit_topics.h"
#include "platform/identity_store.h"

namespace ccsim::platform {
namespace {

using Json = nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;

constexpr std::string_view kOffer = "v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n";
constexpr std::string_view kHost = "candidate:1 1 udp 2130706431 10.0.0.5 50000 typ host";

// Acme with two managed cameras that may stream (CAM-1 in group "north", CAM-2 outside it), one
// connected-mode camera (CAM-3), two video-streaming seats; Alice owns it, Vera views "north".
class SignalingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = must(identities_.register_user("alice@acme.example", "Alice"));
    acme_ = must(tenancy_.create_organization(at(0), alice_, "Acme", "eu-west"));
    registry_.connect_to(tenancy_);
    ASSERT_TRUE(tenancy_.set_license(at(0), alice_, acme_, "device-management", 10).ok());
    ASSERT_TRUE(tenancy_.set_license(at(0), alice_, acme_, "video-streaming", 2).ok());
    const DeviceProfile managed{"managed", DeviceMode::kManaged, "lts-2024", {}, {"webrtc"}};
    const DeviceProfile connected{"connected", DeviceMode::kConnected, "active", {}, {"webrtc"}};
    ASSERT_TRUE(registry_.define_profile(at(0), alice_, acme_, managed).ok());
    ASSERT_TRUE(registry_.define_profile(at(0), alice_, acme_, connected).ok());
    ASSERT_TRUE(registry_.set_latest_lts_track(at(0), "lts-2024").ok());
    const ResourceGroupId north = must(tenancy_.create_resource_group(at(0), alice_, acme_, "n"));
    vera_ = must(identities_.register_user("vera@acme.example", "Vera"));
    const InvitationId invited =
        must(tenancy_.invite(at(0), alice_, acme_, "vera@acme.example", Role::kViewer, north));
    ASSERT_TRUE(tenancy_.accept_invitation(at(0), vera_, invited).ok());
    core::RandomStream keys{3, 99};
    for (const auto& [serial, profile, group] :
         {std::tuple{"CAM-1", "managed", north}, std::tuple{"CAM-2", "managed", std::string()},
          std::tuple{"CAM-3", "connected", std::string()}}) {
      const std::string oak = generate_owner_key(keys);
      ASSERT_TRUE(registry_
                      .register_devices(at(0), {FactoryRecord{serial, "m", DeviceKind::kCamera,
                                                              DeviceTier::kTier1, oak, hours(9000),
                                                              hours(9000), "11.11.0"}})
                      .ok());
      const std::optional<std::string_view> scope =
          group.empty() ? std::nullopt : std::optional<std::string_view>(group);
      ASSERT_TRUE(registry_.claim(at(0), alice_, acme_, serial, oak, profile, scope).ok());
      ASSERT_TRUE(
          registry_
              .complete_onboarding(at(0), serial, "11.11.0",
                                   profile == std::string("managed") ? "lts-2024" : "active")
              .ok());
      ASSERT_TRUE(registry_.report_connection(at(0), serial, ConnectionStatus::kConnected).ok());
    }
  }

  static core::Time at(int s) { return core::Time{} + seconds(s); }

  SignalingConfig config() const {
    SignalingConfig c;
    c.region = "eu-west";
    c.turn_secret = "s3cret";
    c.stun_urls = {"stun:stun.eu-west.example:3478"};
    c.turn_urls = {"turn:turn.eu-west.example:3478?transport=udp",
                   "turns:turn.eu-west.example:443?transport=tcp"};
    c.epoch = RunEpoch{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}};
    return c;
  }

  SignalingOutput connect(int now, const UserId& who, std::string_view serial, int id = 1) {
    return signaling_.from_viewer(at(now), who, acme_,
                                  R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                                      R"(,"method":"connect","params":{"peer":")" +
                                      std::string(serial) + R"("}})");
  }

  std::uint32_t seats_used() const {
    for (const License& license : must(tenancy_.licenses(acme_))) {
      if (license.service == "video-streaming") return license.used;
    }
    return 0;
  }

  std::vector<AuditEntry> audit(std::string_view topic) const {
    AuditQuery query;
    query.organization = acme_;
    query.topic = std::string(topic);
    query.limit = kAuditPageEntriesMax;
    return must(audit_log_.search(query)).entries;
  }

  AuditLog audit_log_;
  IdentityStore identities_;
  Tenancy tenancy_{audit_log_, identities_};
  core::RandomStream random_{7, core::kPlatformStream};
  DeviceRegistry registry_{audit_log_, tenancy_, random_};
  Signaling signaling_{config(), registry_, tenancy_, audit_log_};
  UserId alice_, vera_;
  OrganizationId acme_;
};

// The error code of a JSON-RPC error response, or 0.
int error_code(const std::string& text) {
  const Json reply = Json::parse(text);
  return reply.contains("error") ? reply["error"]["code"].get<int>() : 0;
}

TEST_F(SignalingTest, ConnectTakesASeatAndHandsOutTimeLimitedTurnCredentials) {
  const SignalingOutput out = connect(10, alice_, "CAM-1");
  const Json reply = Json::parse(out.reply);
  ASSERT_TRUE(reply.contains("result")) << out.reply;
  EXPECT_EQ(reply["jsonrpc"], "2.0");
  EXPECT_EQ(reply["id"], 1);
  EXPECT_EQ(reply["result"]["session"], "ses-000001");
  EXPECT_EQ(reply["result"]["expiryTimeSeconds"], 300);
  const Json& servers = reply["result"]["iceServers"];
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0]["urls"][0], "stun:stun.eu-west.example:3478");
  EXPECT_FALSE(servers[0].contains("username"));
  // 2026-01-05T00:00:10Z is 1767571210; the credential holds a day (the session's longest life).
  // Password by Python: base64(hmac.new(b"s3cret", username, sha1).digest()).
  EXPECT_EQ(servers[1]["username"], "1767657610:ses-000001");
  EXPECT_EQ(servers[1]["credential"], "zvtz8qHX245/UQ2mOGy2RPZgP2s=");
  EXPECT_EQ(servers[1]["urls"].size(), 2u);
  // The device is told, without an id (it need not answer), with the same servers.
  ASSERT_TRUE(out.to_device.has_value());
  const Json told = Json::parse(*out.to_device);
  EXPECT_EQ(told["method"], "connect");
  EXPECT_FALSE(told.contains("id"));
  EXPECT_EQ(told["params"]["iceServers"], servers);
  EXPECT_EQ(seats_used(), 1u);
  const auto opened = audit(kTopicLiveSessionOpened);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].actor, alice_);
  EXPECT_EQ(opened[0].device, "CAM-1");
}

// A partner's TURN server comes before the region's for its organization's sessions only, with a
// credential from the partner's secret.
TEST_F(SignalingTest, AnOrganizationsOwnTurnServerIsListedFirstWithItsOwnCredential) {
  SignalingConfig with_partner = config();
  with_partner.partner_turn = {
      {acme_, "partner-secret", {"turn:relay.partner.example:3478?transport=udp"}},
      {"org-somebody-else", "other", {"turn:relay.other.example:3478"}}};
  Signaling signaling(with_partner, registry_, tenancy_, audit_log_);
  const Json reply = Json::parse(
      signaling
          .from_viewer(at(10), alice_, acme_,
                       R"({"jsonrpc":"2.0","id":1,"method":"connect","params":{"peer":"CAM-1"}})")
          .reply);
  const Json& servers = reply["result"]["iceServers"];
  ASSERT_EQ(servers.size(), 3u) << reply.dump();
  EXPECT_EQ(servers[1]["urls"][0], "turn:relay.partner.example:3478?transport=udp");
  EXPECT_EQ(servers[1]["username"], "1767657610:ses-000001");
  // By Python: base64(hmac.new(b"partner-secret", b"1767657610:ses-000001", sha1).digest()).
  EXPECT_EQ(servers[1]["credential"], "D+Kig4MxHwMgnaQq+CBfrLuozMY=");
  EXPECT_EQ(servers[2]["urls"][0], "turn:turn.eu-west.example:3478?transport=udp");
  EXPECT_EQ(servers[2]["credential"], "zvtz8qHX245/UQ2mOGy2RPZgP2s=");
}

TEST_F(SignalingTest, RelaysOfferAnswerAndTrickledCandidatesBothWays) {
  ASSERT_TRUE(Json::parse(connect(10, alice_, "CAM-1").reply).contains("result"));
  const std::string invite = R"({"jsonrpc":"2.0","id":"inv-7","method":"invite","params":)"
                             R"({"session":"ses-000001","offer":")" +
                             std::string(kOffer) + R"("}})";
  SignalingOutput out = signaling_.from_viewer(at(11), alice_, acme_, invite);
  EXPECT_TRUE(out.reply.empty()) << "answered when the device answers";
  ASSERT_TRUE(out.to_device.has_value());
  const Json relayed = Json::parse(*out.to_device);
  EXPECT_EQ(relayed["method"], "invite");
  EXPECT_EQ(relayed["id"], "ses-000001");
  // The device answers; the viewer gets it as the result of its own request id.
  out = signaling_.from_device(
      at(12), "CAM-1", R"({"jsonrpc":"2.0","id":"ses-000001","result":{"answer":"v=0\r\n"}})");
  ASSERT_TRUE(out.to_viewer.has_value());
  const Json answered = Json::parse(*out.to_viewer);
  EXPECT_EQ(answered["id"], "inv-7");
  EXPECT_EQ(answered["result"]["answer"], "v=0\r\n");
  // Candidates each way, then the final empty one; none after it.
  const std::string device_candidate =
      R"({"jsonrpc":"2.0","method":"trickle","params":{"session":"ses-000001","candidate":)"
      R"({"candidate":")" +
      std::string(kHost) + R"(","sdpMid":"0","sdpMLineIndex":0}}})";
  out = signaling_.from_device(at(12), "CAM-1", device_candidate);
  ASSERT_TRUE(out.to_viewer.has_value()) << out.reply;
  EXPECT_EQ(Json::parse(*out.to_viewer)["params"]["candidate"]["candidate"], kHost);
  EXPECT_TRUE(out.reply.empty()) << "a notification is not answered";
  const std::string end_of_candidates =
      R"({"jsonrpc":"2.0","method":"trickle","params":{"session":"ses-000001","candidate":)"
      R"({"candidate":"","sdpMid":"0","sdpMLineIndex":0}}})";
  out = signaling_.from_device(at(12), "CAM-1", end_of_candidates);
  ASSERT_TRUE(out.to_viewer.has_value());
  EXPECT_TRUE(Json::parse(*out.to_viewer)["params"]["candidate"].is_null());
  out = signaling_.from_device(at(13), "CAM-1", device_candidate);
  EXPECT_FALSE(out.to_viewer.has_value());
  EXPECT_EQ(signaling_.counters().error_count(SignalingError::kSessionState), 1u);
  out = signaling_.from_viewer(
      at(13), alice_, acme_,
      R"({"jsonrpc":"2.0","id":3,"method":"trickle","params":{"session":"ses-000001",)"
      R"("candidate":null}})");
  EXPECT_EQ(Json::parse(out.reply)["result"], Json::object());
  EXPECT_TRUE(Json::parse(*out.to_device)["params"]["candidate"].is_null());
  const LiveSession* session = signaling_.session("ses-000001");
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(session->answered);
  EXPECT_EQ(session->candidates[1], 1u);
  EXPECT_TRUE(session->candidates_ended[0] && session->candidates_ended[1]);
  EXPECT_EQ(signaling_.counters().candidates_relayed, 1u);
}

TEST_F(SignalingTest, RefusesConnectedModeOutsideTheGroupPastTheSeatsAndAbsentDevices) {
  // Connected mode: white paper 5.1 gives WebRTC to managed devices only.
  SignalingOutput out = connect(10, alice_, "CAM-3");
  EXPECT_EQ(error_code(out.reply), -32002);
  EXPECT_NE(out.reply.find("connected mode"), std::string::npos) << out.reply;
  // Vera views group "north" only; CAM-2 is outside it.
  out = connect(10, vera_, "CAM-2");
  EXPECT_EQ(error_code(out.reply), -32001) << out.reply;
  EXPECT_EQ(error_code(connect(10, vera_, "CAM-1").reply), 0);
  EXPECT_EQ(error_code(connect(10, alice_, "CAM-2").reply), 0);
  // Two seats, both held: the third viewer waits for one.
  out = connect(11, alice_, "CAM-1");
  EXPECT_EQ(error_code(out.reply), -32003);
  EXPECT_NE(out.reply.find("all 2 seats in use"), std::string::npos) << out.reply;
  EXPECT_EQ(seats_used(), 2u);
  ASSERT_TRUE(registry_.report_connection(at(12), "CAM-2", ConnectionStatus::kDisconnected).ok());
  EXPECT_EQ(signaling_.device_gone(at(12), "CAM-2").size(), 1u);
  EXPECT_EQ(error_code(connect(13, alice_, "CAM-2").reply), -32002);
  EXPECT_EQ(seats_used(), 1u);
  EXPECT_EQ(signaling_.counters().sessions_opened, 2u);
  EXPECT_EQ(signaling_.counters().errors_total(), 4u);
  EXPECT_TRUE(signaling_.counters().error_count(SignalingError::kNoSeat) == 1u);
}

struct BadMessage {
  const char* text;
  int code;
  const char* says;
};

TEST_F(SignalingTest, AnswersMalformedMessagesWithTheJsonRpcErrorAndCountsThem) {
  ASSERT_TRUE(Json::parse(connect(10, alice_, "CAM-1").reply).contains("result"));
  const std::string deep = std::string(9, '[') + std::string(9, ']');
  const std::string big = R"({"jsonrpc":"2.0","id":1,"method":"invite","params":{"offer":")" +
                          std::string(kSignalingMessageBytesMax, 'v') + "\"}}";
  const BadMessage table[] = {
      {"{not json", -32700, "message:"},
      {R"({"jsonrpc":"1.0","id":1,"method":"connect","params":{}})", -32600, "jsonrpc"},
      {R"({"jsonrpc":"2.0","id":1,"method":"connect"})", -32600, "params"},
      {R"({"jsonrpc":"2.0","id":1,"id":2,"method":"connect","params":{}})", -32600, "repeated"},
      {R"({"jsonrpc":"2.0","id":1,"method":"dance","params":{}})", -32601, "method"},
      {R"({"jsonrpc":"2.0","id":1,"method":"connect","params":{"peer":7}})", -32602, "peer"},
      {R"({"jsonrpc":"2.0","id":1,"method":"invite","params":{"session":"ses-000001"}})", -32602,
       "offer"},
      {R"({"jsonrpc":"2.0","id":1,"method":"trickle","params":{"session":"ses-000001",)"
       R"("candidate":{"candidate":"candidate:1 1 udp 1 10.0.0.1 99999 typ host"}}})",
       -32602, "RFC 8839"},
      {R"({"jsonrpc":"2.0","id":1,"method":"trickle","params":{"session":"ses-000002",)"
       R"("candidate":null}})",
       -32004, "no such session"},
      {deep.c_str(), -32600, "nested"},
      {big.c_str(), -32600, "bytes"},
  };
  std::uint64_t errors = 0;
  for (const BadMessage& bad : table) {
    const SignalingOutput out = signaling_.from_viewer(at(11), alice_, acme_, bad.text);
    EXPECT_EQ(error_code(out.reply), bad.code) << bad.text;
    EXPECT_NE(out.reply.find(bad.says), std::string::npos) << out.reply;
    EXPECT_FALSE(out.to_device.has_value()) << bad.text;
    EXPECT_EQ(signaling_.counters().errors_total(), ++errors);
  }
  // Vera may not touch Alice's session, nor a device another device's.
  const std::string close = R"({"jsonrpc":"2.0","id":1,"method":"close","params":)"
                            R"({"session":"ses-000001"}})";
  EXPECT_EQ(error_code(signaling_.from_viewer(at(12), vera_, acme_, close).reply), -32004);
  const std::string candidate =
      R"({"jsonrpc":"2.0","method":"trickle","params":{"session":"ses-000001","candidate":null}})";
  EXPECT_FALSE(signaling_.from_device(at(12), "CAM-2", candidate).to_viewer.has_value());
  EXPECT_EQ(signaling_.counters().error_count(SignalingError::kNoSuchSession), 3u);
  EXPECT_NE(signaling_.session("ses-000001"), nullptr);
  // A notification that fails is not answered (JSON-RPC 2.0 section 4.1) but counted.
  EXPECT_TRUE(
      signaling_
          .from_viewer(at(12), alice_, acme_, R"({"jsonrpc":"2.0","method":"dance","params":{}})")
          .reply.empty());
  EXPECT_EQ(signaling_.counters().error_count(SignalingError::kMethodNotFound), 2u);
}

TEST_F(SignalingTest, SessionsExpireUnlessExtendedAndGiveTheirSeatBack) {
  ASSERT_TRUE(Json::parse(connect(10, alice_, "CAM-1").reply).contains("result"));
  EXPECT_EQ(signaling_.next_expiry(), at(310));
  const SignalingOutput extended = signaling_.from_viewer(
      at(200), alice_, acme_,
      R"({"jsonrpc":"2.0","id":5,"method":"extend","params":{"session":"ses-000001",)"
      R"("expiryTimeSeconds":600}})");
  EXPECT_EQ(Json::parse(extended.reply)["result"]["expiryTimeSeconds"], 600);
  EXPECT_TRUE(signaling_.expire(at(310)).empty()) << "the old expiry no longer holds";
  EXPECT_TRUE(signaling_.expire(at(799)).empty());
  const std::vector<EndedSession> ended = signaling_.expire(at(800));
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].cause, SessionEnd::kExpired);
  EXPECT_NE(ended[0].to_viewer.find("session ended: expired"), std::string::npos);
  EXPECT_EQ(signaling_.sessions_open(), 0u);
  EXPECT_EQ(seats_used(), 0u);
  const auto audited = audit(kTopicLiveSessionEnded);
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].detail, "session=ses-000001 cause=expired lasted_s=790");
  EXPECT_EQ(signaling_.counters().sessions_ended[static_cast<int>(SessionEnd::kExpired)], 1u);
}

TEST_F(SignalingTest, ASessionLivesADayAtMostHoweverOftenExtended) {
  ASSERT_TRUE(Json::parse(connect(0, alice_, "CAM-1").reply).contains("result"));
  const std::string extend = R"({"jsonrpc":"2.0","id":5,"method":"extend","params":)"
                             R"({"session":"ses-000001","expiryTimeSeconds":3600}})";
  SignalingOutput out;
  for (int t = 0; t < 86400; t += 3000) out = signaling_.from_viewer(at(t), alice_, acme_, extend);
  // The last extend, at 84,000 s, is granted up to 86,400 s only.
  EXPECT_EQ(Json::parse(out.reply)["result"]["expiryTimeSeconds"], 2400);
  EXPECT_EQ(signaling_.expire(at(86400)).size(), 1u);
  EXPECT_EQ(error_code(signaling_
                           .from_viewer(at(10), alice_, acme_,
                                        R"({"jsonrpc":"2.0","id":5,"method":"extend","params":)"
                                        R"({"session":"ses-000001","expiryTimeSeconds":3601}})")
                           .reply),
            -32004);
}

TEST_F(SignalingTest, ADeviceThatRefusesTheInviteEndsTheSession) {
  ASSERT_TRUE(Json::parse(connect(10, alice_, "CAM-1").reply).contains("result"));
  (void)signaling_.from_viewer(at(11), alice_, acme_,
                               R"({"jsonrpc":"2.0","id":9,"method":"invite","params":)"
                               R"({"session":"ses-000001","offer":"v=0"}})");
  const SignalingOutput out = signaling_.from_device(
      at(12), "CAM-1",
      R"({"jsonrpc":"2.0","id":"ses-000001","error":{"code":-1,"message":"no stream"}})");
  ASSERT_TRUE(out.to_viewer.has_value());
  const Json told = Json::parse(*out.to_viewer);
  EXPECT_EQ(told["id"], 9);
  EXPECT_EQ(told["error"]["message"], "no stream");
  EXPECT_EQ(signaling_.sessions_open(), 0u);
  EXPECT_EQ(seats_used(), 0u);
  EXPECT_EQ(signaling_.counters().sessions_ended[static_cast<int>(SessionEnd::kDeviceError)], 1u);
  // Closing by the viewer: the same cleanup, cause "closed".
  ASSERT_TRUE(Json::parse(connect(20, alice_, "CAM-1").reply).contains("result"));
  const SignalingOutput closed =
      signaling_.from_viewer(at(21), alice_, acme_,
                             R"({"jsonrpc":"2.0","id":1,"method":"close","params":)"
                             R"({"session":"ses-000002"}})");
  EXPECT_EQ(Json::parse(closed.reply)["result"], Json::object());
  ASSERT_TRUE(closed.to_device.has_value());
  EXPECT_NE(closed.to_device->find("session ended: closed"), std::string::npos);
  EXPECT_EQ(seats_used(), 0u);
}

}  // namespace
}  // namespace ccsim::platform

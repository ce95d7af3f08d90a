// The control plane set up through its commands, for the tests of the command path and of the
// REST API over it (test-only): Alice owns Acme (10 device-management seats, a managed default
// profile, three factory-registered cameras CAM-1..3 with their owner keys), Bob and Mallory are
// registered; AppFixture adds a partner application and access tokens issued to it with PKCE.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/random_stream.h"
#include "platform/command.h"
#include "platform/owner_key.h"

namespace ccsim::platform {

using Json = nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;

// A request with these parts; no actor when `actor` is empty.
inline std::string request(std::string_view command, std::string_view actor, Json params) {
  Json out = {{"command", std::string(command)}, {"params", std::move(params)}};
  if (!actor.empty()) out["actor"] = std::string(actor);
  return out.dump();
}

class CommandFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = ok(request("register_user", "",
                        {{"email", "alice@acme.example"}, {"display_name", "Alice"}}))["user"]
                 .get<std::string>();
    bob_ = ok(request("register_user", "",
                      {{"email", "bob@acme.example"}, {"display_name", "Bob"}}))["user"]
               .get<std::string>();
    mallory_ = ok(request("register_user", "",
                          {{"email", "mallory@evil.example"}, {"display_name", "Mallory"}}))["user"]
                   .get<std::string>();
    acme_ = ok(request("create_organization", alice_,
                       {{"name", "Acme"}, {"region", "eu-west"}}))["organization"]
                .get<std::string>();
    ok(request("set_license", alice_,
               {{"organization", acme_}, {"service", "device-management"}, {"seats", 10}}));
    ok(request("define_profile", alice_,
               {{"organization", acme_},
                {"profile",
                 {{"name", "managed-lts"},
                  {"mode", "managed"},
                  {"os_track", "lts-2024"},
                  {"allowed_apps", {"motion-guard"}},
                  {"capabilities", {"webrtc"}}}}}));
    ok(request("set_default_profile", alice_,
               {{"organization", acme_}, {"profile", "managed-lts"}}));
    // Factory registration is not a user command: straight to the registry.
    std::vector<FactoryRecord> records;
    for (const std::string serial : {"CAM-1", "CAM-2", "CAM-3"}) {
      oaks_[serial] = generate_owner_key(key_random_);
      records.push_back(FactoryRecord{serial, "model-" + serial, DeviceKind::kCamera,
                                      DeviceTier::kTier1, oaks_[serial], hours(24 * 365),
                                      hours(24 * 365 * 5), "11.11.0"});
    }
    ASSERT_TRUE(plane_.registry.register_devices(tick(), records).ok());
  }

  core::Time tick() { return now_ += seconds(1); }

  // The parsed reply, checked to be well formed.
  Json call(const std::string& request_json) {
    const Json reply = Json::parse(execute_command(plane_, tick(), request_json));
    EXPECT_TRUE(reply.is_object() && reply.contains("ok") && reply["ok"].is_boolean()) << reply;
    return reply;
  }

  // The result of a request expected to succeed.
  Json ok(const std::string& request_json) {
    const Json reply = call(request_json);
    EXPECT_EQ(reply["ok"], true) << request_json << " -> " << reply;
    return reply.value("result", Json::object());
  }

  // Passes when the request fails with `code` and a message holding `text`.
  void expect_error(const std::string& request_json, ErrorCode code, std::string_view text) {
    const Json reply = call(request_json);
    ASSERT_EQ(reply["ok"], false) << request_json << " -> " << reply;
    EXPECT_EQ(reply["error"]["code"].get<std::string>(), error_code_name(code)) << reply;
    const auto message = reply["error"]["message"].get<std::string>();
    EXPECT_NE(message.find(text), std::string::npos)
        << "message '" << message << "' lacks '" << text << "'";
  }

  std::string claim(const std::string& actor, const std::string& serial) {
    return request("claim_device", actor,
                   {{"organization", acme_}, {"serial", serial}, {"oak", oaks_.at(serial)}});
  }

  core::Time now_{};
  ControlPlane plane_{7};
  core::RandomStream key_random_{7, core::kFactoryStream};
  std::map<std::string, std::string> oaks_;
  std::string alice_, bob_, mallory_, acme_;
};

class AppFixture : public CommandFixture {
 protected:
  static constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  static constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  static constexpr std::string_view kRedirect = "https://partner.example.com/callback";

  void SetUp() override {
    CommandFixture::SetUp();
    client_ = ok(request("register_application", std::string(kAuditPlatformActor),
                         {{"name", "Partner VMS"}, {"redirect_uris", {kRedirect}}}))["client_id"]
                  .get<std::string>();
  }

  std::string authorize(const std::string& actor, const std::string& organization,
                        bool consent = false, const Json& scopes = Json::array({"video:live"})) {
    return request("authorize_application", actor,
                   {{"client_id", client_},
                    {"redirect_uri", kRedirect},
                    {"organization", organization},
                    {"scopes", scopes},
                    {"code_challenge", kChallenge},
                    {"code_challenge_method", "S256"},
                    {"consent", consent}});
  }

  // The access token `actor` gives the application in `organization`, all through commands.
  std::string token_for(const std::string& actor, const std::string& organization,
                        const Json& scopes = Json::array({"video:live"})) {
    const std::string code =
        ok(authorize(actor, organization, false, scopes))["code"].get<std::string>();
    const Json token = ok(request("exchange_authorization_code", "",
                                  {{"client_id", client_},
                                   {"redirect_uri", kRedirect},
                                   {"code", code},
                                   {"code_verifier", kVerifier}}));
    EXPECT_EQ(token["claims"]["user"], actor);
    EXPECT_EQ(token["claims"]["organization"], organization);
    EXPECT_EQ(token["claims"]["scopes"], scopes);
    return token["access_token"].get<std::string>();
  }

  std::string client_;  // the partner application's
};

}  // namespace ccsim::platform

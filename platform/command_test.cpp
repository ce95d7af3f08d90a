#include "platform/command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "platform/owner_key.h"

namespace ccsim::platform {
namespace {

using Json = nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;

// A request with these parts; no actor when `actor` is empty.
std::string request(std::string_view command, std::string_view actor, Json params) {
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

using CommandTest = CommandFixture;

TEST_F(CommandTest, RunsTheMainCommandsThroughTheirServices) {
  EXPECT_EQ(alice_, "user-000001");
  EXPECT_EQ(acme_, "org-000001");
  const auto licenses = plane_.tenancy.licenses(acme_);
  ASSERT_TRUE(licenses.ok());
  ASSERT_EQ(licenses.value().size(), 1u);
  EXPECT_EQ(licenses.value()[0].seats, 10u);

  const Json claimed = ok(claim(alice_, "CAM-1"))["device"];
  EXPECT_EQ(claimed["serial"], "CAM-1");
  EXPECT_EQ(claimed["status"], "onboarding");
  EXPECT_EQ(claimed["organization"], acme_);
  EXPECT_EQ(claimed["profile"], "managed-lts");

  const Json device = ok(request("get_device", alice_, {{"serial", "CAM-1"}}))["device"];
  EXPECT_EQ(device["status"], "onboarding");
  EXPECT_EQ(device["model"], "model-CAM-1");
  EXPECT_EQ(device["kind"], "camera");
  EXPECT_EQ(device["tier"], 1);
  EXPECT_EQ(device["mode"], "standalone");
  EXPECT_EQ(device["connection"], "disconnected");
  EXPECT_EQ(device["failure_reason"], "");

  // Not onboarded yet, so no capability; once the device finishes onboarding, WebRTC is there.
  expect_error(request("request_capability", alice_,
                       {{"organization", acme_}, {"serial", "CAM-1"}, {"capability", "webrtc"}}),
               ErrorCode::kFailedPrecondition, "not onboarded");
  ASSERT_TRUE(plane_.registry.complete_onboarding(tick(), "CAM-1", "11.11.0", "lts-2024").ok());
  ok(request("request_capability", alice_,
             {{"organization", acme_}, {"serial", "CAM-1"}, {"capability", "webrtc"}}));
  EXPECT_EQ(ok(request("get_device", alice_, {{"serial", "CAM-1"}}))["device"]["mode"], "managed");

  // Bob joins as an operator, sees the fleet, and may not read the audit log.
  const std::string invitation = ok(request(
      "invite", alice_,
      {{"organization", acme_}, {"email", "bob@acme.example"}, {"role", "operator"}}))["invitation"]
                                     .get<std::string>();
  EXPECT_EQ(invitation, "inv-000001");
  ok(request("accept_invitation", bob_, {{"invitation", invitation}}));
  const Json listed = ok(request("list_devices", bob_, {{"organization", acme_}}));
  ASSERT_EQ(listed["devices"].size(), 1u);
  EXPECT_EQ(listed["devices"][0]["serial"], "CAM-1");
  EXPECT_EQ(listed["next_after"], "");
  expect_error(request("search_audit", bob_, {{"organization", acme_}}),
               ErrorCode::kPermissionDenied, "read_audit_log");

  // Promoted, he may; the trail holds the claim.
  ok(request("assign_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "administrator"}}));
  const Json page =
      ok(request("search_audit", bob_,
                 {{"organization", acme_}, {"topic", "device.onboarding"}, {"limit", 10}}));
  ASSERT_EQ(page["entries"].size(), 1u);
  EXPECT_EQ(page["entries"][0]["device"], "CAM-1");
  EXPECT_EQ(page["entries"][0]["actor"], alice_);
  EXPECT_EQ(page["entries"][0]["organization"], acme_);
  EXPECT_EQ(page["entries"][0]["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(page["next_cursor"], "");

  const Json group =
      ok(request("create_resource_group", bob_, {{"organization", acme_}, {"name", "north-site"}}));
  EXPECT_EQ(group["resource_group"], "rg-000001");
  ok(request(
      "assign_role", alice_,
      {{"organization", acme_}, {"member", bob_}, {"role", "viewer"}, {"scope", "rg-000001"}}));
  ok(request("revoke_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "administrator"}}));
  // Only a group-scoped grant left: no organization-wide listing.
  expect_error(request("list_devices", bob_, {{"organization", acme_}}),
               ErrorCode::kPermissionDenied, "covers the whole organization");

  const Json deleted = ok(request("delete_organization", alice_, {{"organization", acme_}}));
  EXPECT_EQ(deleted["released_devices"], Json::array({"CAM-1"}));
  EXPECT_EQ(ok(request("get_device", mallory_, {{"serial", "CAM-1"}}))["device"]["status"],
            "registered");
}

TEST_F(CommandTest, ServiceErrorsKeepTheirCodes) {
  expect_error(request("get_device", "user-000099", {{"serial", "CAM-1"}}),
               ErrorCode::kUnauthenticated, "actor");
  expect_error(request("claim_device", alice_,
                       {{"organization", acme_}, {"serial", "CAM-1"}, {"oak", oaks_["CAM-2"]}}),
               ErrorCode::kPermissionDenied, "wrong owner authentication key");
  expect_error(claim(mallory_, "CAM-2"), ErrorCode::kPermissionDenied, "not a member");
  expect_error(request("list_devices", mallory_, {{"organization", acme_}}),
               ErrorCode::kPermissionDenied, "not a member");
  expect_error(request("create_organization", alice_, {{"name", "Acme"}, {"region", "mars"}}),
               ErrorCode::kInvalidArgument, "region");
  expect_error(request("set_license", alice_,
                       {{"organization", acme_}, {"service", "recording"}, {"seats", 4'000'000}}),
               ErrorCode::kInvalidArgument, "seats");
  expect_error(
      request("register_user", "", {{"email", "alice@acme.example"}, {"display_name", "A"}}),
      ErrorCode::kAlreadyExists, "email: already registered");
  expect_error(request("get_device", alice_, {{"serial", "CAM-9"}}), ErrorCode::kNotFound,
               "serial");
}

TEST_F(CommandTest, OutsidersSeeOnlyUnownedDevices) {
  ok(claim(alice_, "CAM-1"));
  // Mallory learns no more about Acme's device than about a serial that does not exist.
  expect_error(request("get_device", mallory_, {{"serial", "CAM-1"}}), ErrorCode::kNotFound,
               "serial: no such device");
  const Json unowned = ok(request("get_device", mallory_, {{"serial", "CAM-2"}}))["device"];
  EXPECT_EQ(unowned["status"], "registered");
  EXPECT_EQ(unowned["organization"], "");
}

TEST_F(CommandTest, ListsDevicesInPages) {
  for (const std::string serial : {"CAM-3", "CAM-1", "CAM-2"}) ok(claim(alice_, serial));
  const Json first = ok(request("list_devices", alice_, {{"organization", acme_}, {"limit", 2}}));
  ASSERT_EQ(first["devices"].size(), 2u);
  EXPECT_EQ(first["devices"][0]["serial"], "CAM-1");
  EXPECT_EQ(first["devices"][1]["serial"], "CAM-2");
  EXPECT_EQ(first["next_after"], "CAM-2");
  const Json second = ok(
      request("list_devices", alice_, {{"organization", acme_}, {"limit", 2}, {"after", "CAM-2"}}));
  ASSERT_EQ(second["devices"].size(), 1u);
  EXPECT_EQ(second["devices"][0]["serial"], "CAM-3");
  EXPECT_EQ(second["next_after"], "");
  expect_error(request("list_devices", alice_, {{"organization", acme_}, {"limit", 0}}),
               ErrorCode::kInvalidArgument, "limit: must be 1..500");
}

TEST_F(CommandTest, GroupsDevicesIntoResourceGroups) {
  const std::string north =
      ok(request("create_resource_group", alice_,
                 {{"organization", acme_}, {"name", "north"}}))["resource_group"]
          .get<std::string>();
  const Json claimed = ok(request("claim_device", alice_,
                                  {{"organization", acme_},
                                   {"serial", "CAM-1"},
                                   {"oak", oaks_.at("CAM-1")},
                                   {"resource_group", north}}))["device"];
  EXPECT_EQ(claimed["resource_group"], north);
  ok(claim(alice_, "CAM-2"));  // in no group
  const std::string invitation = ok(request("invite", alice_,
                                            {{"organization", acme_},
                                             {"email", "bob@acme.example"},
                                             {"role", "viewer"},
                                             {"scope", north}}))["invitation"]
                                     .get<std::string>();
  ok(request("accept_invitation", bob_, {{"invitation", invitation}}));
  // Bob, a viewer in the group only, sees its device and no other.
  EXPECT_EQ(ok(request("get_device", bob_, {{"serial", "CAM-1"}}))["device"]["resource_group"],
            north);
  expect_error(request("get_device", bob_, {{"serial", "CAM-2"}}), ErrorCode::kNotFound,
               "serial: no such device");
  // Moving devices moves them in and out of his sight.
  const auto assign = [&](const std::string& serial, std::optional<std::string> group) {
    Json params = {{"organization", acme_}, {"serial", serial}};
    if (group) params["resource_group"] = *group;
    return request("assign_resource_group", alice_, std::move(params));
  };
  EXPECT_EQ(ok(assign("CAM-2", north))["device"]["resource_group"], north);
  EXPECT_EQ(ok(assign("CAM-1", std::nullopt))["device"]["resource_group"], "");
  EXPECT_EQ(ok(request("get_device", bob_, {{"serial", "CAM-2"}}))["device"]["serial"], "CAM-2");
  expect_error(request("get_device", bob_, {{"serial", "CAM-1"}}), ErrorCode::kNotFound,
               "serial: no such device");
  const Json listed = ok(request("list_devices", alice_, {{"organization", acme_}}));
  ASSERT_EQ(listed["devices"].size(), 2u);
  EXPECT_EQ(listed["devices"][0]["resource_group"], "");
  EXPECT_EQ(listed["devices"][1]["resource_group"], north);
  expect_error(assign("CAM-1", "rg-000099"), ErrorCode::kNotFound, "resource_group");
  expect_error(
      request("assign_resource_group", bob_, {{"organization", acme_}, {"serial", "CAM-2"}}),
      ErrorCode::kPermissionDenied, "the whole organization");
}

TEST(CommandDecodeTest, DecodesTypedParameters) {
  const Result<Command> decoded = decode_command(R"({
    "command": "define_profile", "actor": "user-000001",
    "params": {"organization": "org-000001",
               "profile": {"name": "p", "mode": "connected", "os_track": "active",
                           "allowed_apps": ["b", "a"]}}})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value().actor, "user-000001");
  EXPECT_EQ(command_name(decoded.value().params), "define_profile");
  const auto& define = std::get<DefineProfile>(decoded.value().params);
  EXPECT_EQ(define.organization, "org-000001");
  EXPECT_EQ(define.profile.name, "p");
  EXPECT_EQ(define.profile.mode, DeviceMode::kConnected);
  EXPECT_EQ(define.profile.allowed_apps, (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(define.profile.capabilities.empty());

  const Result<Command> license = decode_command(
      R"({"command": "set_license", "actor": "user-000001", "params":
          {"organization": "org-000001", "service": "recording", "seats": 4294967295}})");
  ASSERT_TRUE(license.ok()) << license.error().message;
  EXPECT_EQ(std::get<SetLicense>(license.value().params).seats, 4'294'967'295u);

  const Result<Command> search = decode_command(
      R"({"command": "search_audit", "actor": "user-000001",
          "params": {"organization": "org-000001", "actor": "user-000002"}})");
  ASSERT_TRUE(search.ok()) << search.error().message;
  const AuditQuery& query = std::get<SearchAudit>(search.value().params).query;
  EXPECT_EQ(query.actor, "user-000002");
  EXPECT_EQ(query.limit, kAuditPageEntriesDefault);

  const Result<Command> user = decode_command(
      R"({"command": "register_user", "params": {"email": "a@b.example", "display_name": "A"}})");
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(user.value().actor, "");
}

struct BadRequest {
  std::string request;
  std::string text;  // the message must hold it, naming the field
};

std::string get_device_with(std::string_view params) {
  return R"({"command": "get_device", "actor": "user-000001", "params": )" + std::string(params) +
         "}";
}
std::string set_license_seats(std::string_view seats) {
  return R"({"command": "set_license", "actor": "user-000001", "params": {"organization": "o",
             "service": "s", "seats": )" +
         std::string(seats) + "}}";
}
std::string define_profile_with(std::string_view profile) {
  return R"({"command": "define_profile", "actor": "user-000001", "params": {"organization": "o",
             "profile": )" +
         std::string(profile) + "}}";
}

TEST(CommandDecodeTest, RefusesBadRequestsNamingTheField) {
  const std::vector<BadRequest> cases = {
      {"", "request: not JSON"},
      {"{\"command\": ", "request: not JSON (syntax error at byte"},
      {"{} {}", "request: not JSON"},
      {"[\"get_device\"]", "request: expected a JSON object"},
      {"\"\xff\"", "request: not JSON"},
      {get_device_with("{\"serial\": 1e999}"), "request: not JSON"},
      {std::string(kCommandBytesMax + 1, ' '), "request: 65537 bytes, over the limit of 65536"},
      {get_device_with("{\"serial\": [[[[[[[[\"x\"]]]]]]]]}"), "request: nested deeper than 8"},
      {get_device_with("{\"serial\": \"a\", \"serial\": \"b\"}"),
       "request: field 'serial' repeated in one object"},
      {R"({"actor": "user-000001", "params": {}})", "command: missing"},
      {R"({"command": 7})", "command: expected a string"},
      {R"({"command": "reboot_all", "actor": "u", "params": {}})",
       "command: unknown command 'reboot_all' (known: register_user,"},
      {R"({"command": "get\"<x>", "params": {}})", "command: unknown command 'get??x?'"},
      {R"({"command": "get_device", "params": {"serial": "a"}})", "actor: missing"},
      {R"({"command": "get_device", "actor": null, "params": {"serial": "a"}})",
       "actor: expected a string"},
      {R"({"command": "register_user", "actor": "user-000001", "params": {}})",
       "actor: register_user takes no actor"},
      {R"({"command": "get_device", "actor": "user-000001"})", "params: missing"},
      {get_device_with("[]"), "params: expected an object"},
      {R"({"command": "get_device", "actor": "u", "params": {"serial": "a"}, "pri": 1})",
       "pri: unknown field"},
      {get_device_with("{}"), "params.serial: missing"},
      {get_device_with("{\"serial\": 42}"), "params.serial: expected a string"},
      {get_device_with("{\"serial\": \"a\", \"color\": \"red\"}"), "params.color: unknown field"},
      {get_device_with("{\"serial\": \"a\", \"a\\\"b<i>\": 1}"), "params.a?b?i?: unknown field"},
      {get_device_with("{\"serial\": \"a\", \"" + std::string(100, 'k') + "\": 1}"),
       "params." + std::string(kCommandFieldQuoteBytesMax, 'k') + "...: unknown field"},
      {set_license_seats("-1"), "params.seats: out of range 0..4294967295"},
      {set_license_seats("4294967296"), "params.seats: out of range 0..4294967295"},
      {set_license_seats("18446744073709551616"), "params.seats: expected an integer"},
      {set_license_seats("1.5"), "params.seats: expected an integer"},
      {set_license_seats("\"10\""), "params.seats: expected an integer"},
      {set_license_seats("true"), "params.seats: expected an integer"},
      {R"({"command": "invite", "actor": "u", "params": {"organization": "o", "email": "e",
          "role": "emperor"}})",
       "params.role: expected owner, administrator, operator or viewer"},
      {R"({"command": "invite", "actor": "u", "params": {"organization": "o", "email": "e",
          "role": "viewer", "scope": null}})",
       "params.scope: expected a string"},
      {define_profile_with("\"p\""), "params.profile: expected an object"},
      {define_profile_with(R"({"name": "p", "mode": 3, "os_track": "t"})"),
       "params.profile.mode: expected a string"},
      {define_profile_with(R"({"name": "p", "mode": "wild", "os_track": "t"})"),
       "params.profile.mode: expected standalone, connected or managed"},
      {define_profile_with(R"({"name": "p", "mode": "managed"})"),
       "params.profile.os_track: missing"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t",
                               "allowed_apps": "x"})"),
       "params.profile.allowed_apps: expected an array of strings"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t",
                               "allowed_apps": ["x", 1]})"),
       "params.profile.allowed_apps[1]: expected a string"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t",
                               "capabilities": ["webrtc", "webrtc"]})"),
       "params.profile.capabilities[1]: repeated"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t", "colour": 1})"),
       "params.profile.colour: unknown field"},
      {R"({"command": "search_audit", "actor": "u", "params": {"organization": "o",
          "limit": "all"}})",
       "params.limit: expected an integer"},
      {R"({"command": "assign_resource_group", "actor": "u", "params": {"organization": "o",
          "serial": "s", "resource_group": 7}})",
       "params.resource_group: expected a string"},
      {R"({"command": "claim_device", "actor": "u", "params": {"organization": "o",
          "serial": "s", "oak": "k", "resource_group": null}})",
       "params.resource_group: expected a string"},
  };
  ControlPlane plane(1);
  for (const BadRequest& bad : cases) {
    SCOPED_TRACE(bad.request.substr(0, 200));
    const Result<Command> decoded = decode_command(bad.request);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(decoded.error().message.find(bad.text), std::string::npos)
        << "message '" << decoded.error().message << "' lacks '" << bad.text << "'";
    // The same refusal as a reply, and nothing ran.
    const Json reply = Json::parse(execute_command(plane, core::Time(1), bad.request));
    EXPECT_EQ(reply["ok"], false);
    EXPECT_EQ(reply["error"]["code"], "invalid_argument");
    EXPECT_EQ(reply["error"]["message"], decoded.error().message);
  }
  EXPECT_EQ(plane.audit_log.size(), 0u);
  EXPECT_EQ(plane.identity_store.size(), 0u);
}

TEST(CommandDecodeTest, AcceptsNestingUpToTheLimit) {
  // Eight levels in all: the decoder reads it, and only the field's type is wrong.
  const Result<Command> decoded =
      decode_command(get_device_with("{\"serial\": [[[[[[\"x\"]]]]]]}"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "params.serial: expected a string");
}

}  // namespace
}  // namespace ccsim::platform

#include "platform/rest_api.h"

#include <gtest/gtest.h>

#include <set>

#include "platform/command_fixture.h"

namespace ccsim::platform {
namespace {

// The REST API over the fixture's platform: Alice's tokens for Acme, issued to the partner
// application with the scopes each test asks for.
class RestApiTest : public AppFixture {
 protected:
  void SetUp() override {
    AppFixture::SetUp();
    ok(request("onboard_application", alice_, {{"organization", acme_}, {"client_id", client_}}));
  }

  HttpResponse call(std::string_view method, std::string_view target, const std::string& token,
                    std::string_view body = {},
                    std::string_view content_type = "application/json") {
    const std::string authorization = token.empty() ? "" : "Bearer " + token;
    return handle_rest_request(
        plane_, tick(), {method, target, body.empty() ? "" : content_type, authorization, body});
  }

  // The problem body of a response, checked to be RFC 9457's shape with the response's status.
  static Json problem(const HttpResponse& response) {
    EXPECT_EQ(response.content_type, "application/problem+json");
    const Json body = Json::parse(response.body);
    EXPECT_EQ(body["status"], response.status);
    EXPECT_TRUE(body["type"].get<std::string>().starts_with("/problems/")) << body;
    EXPECT_FALSE(body["title"].get<std::string>().empty());
    EXPECT_FALSE(body["detail"].get<std::string>().empty());
    return body;
  }

  static std::string header(const HttpResponse& response, std::string_view name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return {};
  }

  std::string devices_path() const { return "/v1/organizations/" + acme_ + "/devices"; }
};

TEST_F(RestApiTest, AClaimThenTheDeviceThroughItsRoutes) {
  const std::string token =
      token_for(alice_, acme_, Json::array({"devices:onboard", "video:live"}));
  const std::string claim = Json{{"serial", "CAM-1"}, {"oak", oaks_.at("CAM-1")}}.dump();
  const HttpResponse claimed = call("POST", devices_path(), token, claim);
  ASSERT_EQ(claimed.status, 201u) << claimed.body;
  EXPECT_EQ(Json::parse(claimed.body)["device"]["status"], "onboarding");
  const HttpResponse got = call("GET", devices_path() + "/CAM-1", token);
  ASSERT_EQ(got.status, 200u) << got.body;
  EXPECT_EQ(Json::parse(got.body)["device"]["organization"], acme_);
  const HttpResponse listed = call("GET", devices_path() + "?limit=1", token);
  ASSERT_EQ(listed.status, 200u) << listed.body;
  const Json page = Json::parse(listed.body);
  ASSERT_EQ(page["devices"].size(), 1u);
  EXPECT_EQ(page["devices"][0]["serial"], "CAM-1");
  EXPECT_EQ(page["next_after"], "");
  // The same claim again: the command's already_exists, as 409 problem details.
  const HttpResponse again = call("POST", devices_path(), token, claim);
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(problem(again)["type"], "/problems/already_exists");
}

TEST_F(RestApiTest, TokensAreCheckedBeforeAnythingRuns) {
  const HttpResponse none = call("GET", devices_path(), "");
  EXPECT_EQ(none.status, 401u);
  problem(none);
  EXPECT_EQ(header(none, "WWW-Authenticate"), "Bearer realm=\"ccsim\"");
  const std::string token = token_for(alice_, acme_);
  std::string forged = token;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  const HttpResponse bad = call("GET", devices_path(), forged);
  EXPECT_EQ(bad.status, 401u);
  EXPECT_NE(header(bad, "WWW-Authenticate").find("error=\"invalid_token\""), std::string::npos);
  // video:live alone may list, not claim; the claim's body is never looked at.
  const HttpResponse scope = call("POST", devices_path(), token, "{not json");
  EXPECT_EQ(scope.status, 403u);
  EXPECT_EQ(problem(scope)["type"], "/problems/insufficient_scope");
  EXPECT_NE(header(scope, "WWW-Authenticate").find("scope=\"devices:onboard\""), std::string::npos);
  // A token of Acme on another organization's path.
  const HttpResponse other = call("GET", "/v1/organizations/org-000999/devices", token);
  EXPECT_EQ(other.status, 403u);
  EXPECT_EQ(problem(other)["type"], "/problems/other_organization");
}

TEST_F(RestApiTest, BadRequestsGetTheirStatusesAndNoEcho) {
  const std::string token = token_for(alice_, acme_, Json::array({"devices:onboard"}));
  const std::string claims = devices_path();  // POST claims a device
  EXPECT_EQ(call("POST", claims, token, R"({"serial": 3})").status, 400u);
  const HttpResponse malformed = call("POST", claims, token, "{\"serial\": \"<script>");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(malformed.body.find("<script>"), std::string::npos);
  EXPECT_EQ(call("POST", claims, token, "[]").status, 400u);
  EXPECT_EQ(call("POST", claims, token, "serial=CAM-1", "application/x-www-form-urlencoded").status,
            415u);
  EXPECT_EQ(call("POST", claims, token, std::string(kRestBodyBytesMax + 1, ' ')).status, 413u);
  EXPECT_EQ(call("GET", "/v1/nothing", token).status, 404u);
  const HttpResponse method = call("DELETE", claims, token);
  EXPECT_EQ(method.status, 405u);
  EXPECT_EQ(header(method, "Allow"), "GET, POST");
  EXPECT_EQ(call("GET", devices_path() + "?limit=ten", token_for(alice_, acme_)).status, 400u);
  EXPECT_EQ(call("GET", devices_path() + "?colour=red", token_for(alice_, acme_)).status, 400u);
  EXPECT_EQ(call("GET", devices_path() + "?limit=0", token_for(alice_, acme_)).status, 400u);
  EXPECT_EQ(call("GET", "/v1/organizations/%zz/devices", token).status, 400u);
  EXPECT_EQ(call("GET", std::string(kRestTargetBytesMax + 1, '/'), token).status, 414u);
}

// A device of another organization is not found through Acme's path, even for a user who may
// see it there: the path's organization bounds what a call reaches.
TEST_F(RestApiTest, ThingsOfAnotherOrganizationAreNotFound) {
  const std::string other = ok(request("create_organization", alice_,
                                       {{"name", "Other"}, {"region", "eu-west"}}))["organization"]
                                .get<std::string>();
  ok(request("set_license", alice_,
             {{"organization", other}, {"service", "device-management"}, {"seats", 10}}));
  ok(request("define_profile", alice_,
             {{"organization", other},
              {"profile",
               {{"name", "plain"},
                {"mode", "connected"},
                {"os_track", "lts-2024"},
                {"allowed_apps", Json::array()},
                {"capabilities", Json::array()}}}}));
  ok(request("claim_device", alice_,
             {{"organization", other},
              {"serial", "CAM-2"},
              {"oak", oaks_.at("CAM-2")},
              {"profile", "plain"}}));
  const HttpResponse got = call("GET", devices_path() + "/CAM-2", token_for(alice_, acme_));
  EXPECT_EQ(got.status, 404u);
  EXPECT_EQ(problem(got)["type"], "/problems/not_found");
}

TEST_F(RestApiTest, TheAuditLogPagesWithItsCursor) {
  ok(claim(alice_, "CAM-1"));
  ok(claim(alice_, "CAM-2"));
  const std::string token = token_for(alice_, acme_, Json::array({"audit:read"}));
  const std::string path = "/v1/organizations/" + acme_ + "/audit?topic=device.onboarding&limit=1";
  const HttpResponse first = call("GET", path, token);
  ASSERT_EQ(first.status, 200u) << first.body;
  const Json page = Json::parse(first.body);
  ASSERT_EQ(page["entries"].size(), 1u);
  ASSERT_FALSE(page["next_cursor"].get<std::string>().empty());
  const HttpResponse second =
      call("GET", path + "&cursor=" + page["next_cursor"].get<std::string>(), token);
  ASSERT_EQ(second.status, 200u) << second.body;
  const Json next = Json::parse(second.body);
  ASSERT_EQ(next["entries"].size(), 1u);
  EXPECT_NE(next["entries"][0]["device"], page["entries"][0]["device"]);
}

// The routes and the OpenAPI document list the same operations, each with its success status and
// the scope it needs: one read of the document, another of the route table.
TEST_F(RestApiTest, TheOpenApiDocumentListsExactlyTheRoutes) {
  const HttpResponse served = call("GET", "/openapi.json", "");
  ASSERT_EQ(served.status, 200u);
  const Json document = Json::parse(served.body);
  EXPECT_EQ(document["openapi"], "3.1.0");
  std::set<std::string> documented, routed;
  for (const auto& [path, item] : document["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(c));
      documented.insert(upper + " " + path);
      for (const RestRoute& route : rest_routes()) {
        if (route.method != upper || route.path != path) continue;
        EXPECT_TRUE(operation["responses"].contains(std::to_string(route.success_status))) << path;
        EXPECT_EQ(operation["security"][0]["bearer"][0], route.scope) << path;
      }
    }
  }
  for (const RestRoute& route : rest_routes()) {
    routed.insert(std::string(route.method) + " " + std::string(route.path));
  }
  EXPECT_EQ(documented, routed);
}

}  // namespace
}  // namespace ccsim::platform

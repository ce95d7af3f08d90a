// libFuzzer target: arbitrary bytes as REST requests to the platform's API (platform/rest_api.h),
// through routing, the target's decoding, token checks and the body's decoding to the commands.
// The properties are the API's promises: every response has a status the API gives; an error is
// an RFC 9457 problem (application/problem+json, a JSON object whose "status" is the response's,
// with type, title and detail); a success is a JSON object or array; a 401 carries a Bearer
// challenge and a 405 its Allow header; and the audit log stays intact.
//
// An input is: a first line "METHOD TARGET", a second line whose first byte picks the
// Authorization header ('v' a valid token for org-000001 with every scope, 'x' a mangled one,
// anything else none) and whose rest is the Content-Type, then the body. The plane, built afresh
// for each input so a crash reproduces from the input alone, has Alice (user-000001) owning Acme
// (org-000001) with 10 seats and a default managed profile, cameras CAM-1 and CAM-2 registered
// (OAKs AAAA-BBBB-CCCC-0001 and -0002), and the partner application onboarded in Acme.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "platform/command.h"
#include "platform/control_plane.h"
#include "platform/rest_api.h"

namespace {

using namespace std::chrono_literals;
using ccsim::core::Time;
using nlohmann::json;
namespace platform = ccsim::platform;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "rest_fuzzer: property broken: %s\n", what);
  std::abort();
}

// Runs a command that must succeed and returns its result.
json run(platform::ControlPlane& plane, Time& now, std::string_view command, std::string_view actor,
         json params) {
  json request = {{"command", command}, {"params", std::move(params)}};
  if (!actor.empty()) request["actor"] = actor;
  const json reply = json::parse(platform::execute_command(plane, now += 1s, request.dump()));
  if (reply["ok"] != true)
    std::fprintf(stderr, "%s -> %s\n", request.dump().c_str(), reply.dump().c_str());
  require(reply["ok"] == true, "the set-up command succeeds");
  return reply["result"];
}

// The plane of the header comment and a token for Acme with every scope.
std::unique_ptr<platform::ControlPlane> make_plane(Time& now, std::string& token) {
  auto plane = std::make_unique<platform::ControlPlane>(1);
  const std::string alice =
      run(*plane, now, "register_user", "",
          {{"email", "alice@acme.example"}, {"display_name", "Alice"}})["user"];
  const std::string acme = run(*plane, now, "create_organization", alice,
                               {{"name", "Acme"}, {"region", "eu-west"}})["organization"];
  run(*plane, now, "set_license", alice,
      {{"organization", acme}, {"service", "device-management"}, {"seats", 10}});
  run(*plane, now, "define_profile", alice,
      {{"organization", acme},
       {"profile",
        {{"name", "managed-lts"},
         {"mode", "managed"},
         {"os_track", "lts-2024"},
         {"allowed_apps", json::array()},
         {"capabilities", json::array()}}}});
  run(*plane, now, "set_default_profile", alice,
      {{"organization", acme}, {"profile", "managed-lts"}});
  using Kind = platform::DeviceKind;
  using Tier = platform::DeviceTier;
  require(plane->registry
              .register_devices(now += 1s, {{"CAM-1", "bullet", Kind::kCamera, Tier::kTier1,
                                             "AAAA-BBBB-CCCC-0001", 8760h, 43800h, "11.11.0"},
                                            {"CAM-2", "dome", Kind::kCamera, Tier::kTier1,
                                             "AAAA-BBBB-CCCC-0002", 8760h, 43800h, "11.11.0"}})
              .ok(),
          "the factory registers the cameras");
  const std::string redirect = "https://partner.example/callback";
  const std::string client =
      run(*plane, now, "register_application", "platform",
          {{"name", "Partner VMS"}, {"redirect_uris", {redirect}}})["client_id"];
  run(*plane, now, "onboard_application", alice, {{"organization", acme}, {"client_id", client}});
  json scopes = json::array();
  for (const platform::ScopeDefinition& scope : platform::kScopes) scopes.push_back(scope.name);
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string code = run(*plane, now, "authorize_application", alice,
                               {{"client_id", client},
                                {"redirect_uri", redirect},
                                {"organization", acme},
                                {"scopes", scopes},
                                {"code_challenge", platform::pkce_s256_challenge(verifier)},
                                {"code_challenge_method", "S256"}})["code"];
  token = run(*plane, now, "exchange_authorization_code", "",
              {{"client_id", client},
               {"redirect_uri", redirect},
               {"code", code},
               {"code_verifier", verifier}})["access_token"];
  return plane;
}

std::string header(const platform::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

void check(const platform::HttpResponse& response) {
  static const std::set<unsigned> kStatuses = {200, 201, 400, 401, 403, 404,
                                               405, 409, 413, 414, 415, 429};
  require(kStatuses.count(response.status) == 1, "the status is one the API gives");
  const json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (response.status < 400) {
    require(response.content_type == "application/json", "a success is application/json");
    require(body.is_object() || body.is_array(), "a success is a JSON object or array");
    return;
  }
  require(response.content_type == "application/problem+json", "an error is a problem");
  require(body.is_object() && body.size() == 4, "a problem is an object of four members");
  require(body["status"] == response.status, "the problem's status is the response's");
  for (const char* member : {"type", "title", "detail"}) {
    require(body.contains(member) && body[member].is_string(), "a problem has its text members");
  }
  if (response.status == 401)
    require(header(response, "WWW-Authenticate").starts_with("Bearer "), "a 401 challenges");
  if (response.status == 405)
    require(!header(response, "Allow").empty(), "a 405 says what is allowed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t first = input.find('\n');
  if (first == std::string_view::npos) return 0;
  const std::size_t second = input.find('\n', first + 1);
  if (second == std::string_view::npos) return 0;
  const std::string_view line = input.substr(0, first);
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  const std::string_view headers = input.substr(first + 1, second - first - 1);
  Time now{};
  std::string token;
  const std::unique_ptr<platform::ControlPlane> plane = make_plane(now, token);
  std::string authorization;
  if (!headers.empty() && headers.front() == 'v') authorization = "Bearer " + token;
  if (!headers.empty() && headers.front() == 'x') authorization = "Bearer " + token.substr(1);
  const platform::HttpRequest request{line.substr(0, space), line.substr(space + 1),
                                      headers.empty() ? headers : headers.substr(1), authorization,
                                      input.substr(second + 1)};
  check(platform::handle_rest_request(*plane, now += 1s, request));
  require(plane->audit_log.verify().intact, "the audit log stays intact");
  return 0;
}

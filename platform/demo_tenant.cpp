#include "platform/demo_tenant.h"

#include <nlohmann/json.hpp>

#include <cassert>

#include "platform/command.h"

namespace ccsim::platform {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::string_view kRedirect = "https://partner.example/callback";
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// Runs one command; its result, or the refusal as a ServiceError.
Result<Json> run(const CommandRunner& runner, core::Time& now, std::string_view command,
                 std::string_view actor, Json params) {
  Json request = {{"command", command}, {"params", std::move(params)}};
  if (!actor.empty()) request["actor"] = actor;
  const Json reply = Json::parse(runner(now += 1s, request.dump()));
  if (reply["ok"] == true) return Json(reply["result"]);
  const Json& error = reply["error"];
  const std::optional<ErrorCode> code = parse_error_code(error["code"].get<std::string>());
  assert(code && "execute_command answers with codes error_code_name gives");
  return ServiceError{*code, std::string(command) + ": " + error["message"].get<std::string>()};
}

Json every_scope() {
  Json scopes = Json::array();
  for (const ScopeDefinition& scope : kScopes) scopes.push_back(scope.name);
  return scopes;
}

}  // namespace

Result<DemoTenant> make_demo_tenant(ControlPlane& plane, core::Time& now,
                                    const std::string& email) {
  return make_demo_tenant(
      [&plane](core::Time at, std::string_view request) {
        return execute_command(plane, at, request);
      },
      now, email);
}

Result<DemoTenant> make_demo_tenant(const CommandRunner& runner, core::Time& now,
                                    const std::string& email) {
  DemoTenant tenant;
  const auto step = [&](std::string_view command, std::string_view actor, Json params,
                        const char* field, std::string* into) -> std::optional<ServiceError> {
    Result<Json> result = run(runner, now, command, actor, std::move(params));
    if (!result.ok()) return result.error();
    if (into != nullptr) *into = result.value().at(field).get<std::string>();
    return std::nullopt;
  };
  std::string code;
  const std::string scopes_challenge = pkce_s256_challenge(kVerifier);
  std::optional<ServiceError> refused =
      step("register_user", "", {{"email", email}, {"display_name", "Demo"}}, "user", &tenant.user);
  if (!refused)
    refused = step("create_organization", tenant.user, {{"name", "Demo"}, {"region", "eu-west"}},
                   "organization", &tenant.organization);
  if (!refused)
    refused = step("set_license", tenant.user,
                   {{"organization", tenant.organization},
                    {"service", "device-management"},
                    {"seats", kDemoSeats}},
                   "", nullptr);
  if (!refused)
    refused = step("define_profile", tenant.user,
                   {{"organization", tenant.organization},
                    {"profile",
                     {{"name", "managed-lts"},
                      {"mode", "managed"},
                      {"os_track", "lts-2024"},
                      {"allowed_apps", Json::array()},
                      {"capabilities", Json::array({"webrtc"})}}}},
                   "", nullptr);
  if (!refused)
    refused =
        step("set_default_profile", tenant.user,
             {{"organization", tenant.organization}, {"profile", "managed-lts"}}, "", nullptr);
  if (!refused)
    refused = step("register_application", kAuditPlatformActor,
                   {{"name", "Demo client"}, {"redirect_uris", {kRedirect}}}, "client_id",
                   &tenant.client_id);
  if (!refused)
    refused =
        step("onboard_application", tenant.user,
             {{"organization", tenant.organization}, {"client_id", tenant.client_id}}, "", nullptr);
  if (!refused)
    refused = step("authorize_application", tenant.user,
                   {{"client_id", tenant.client_id},
                    {"redirect_uri", kRedirect},
                    {"organization", tenant.organization},
                    {"scopes", every_scope()},
                    {"code_challenge", scopes_challenge},
                    {"code_challenge_method", "S256"}},
                   "code", &code);
  if (!refused)
    refused = step("exchange_authorization_code", "",
                   {{"client_id", tenant.client_id},
                    {"redirect_uri", kRedirect},
                    {"code", code},
                    {"code_verifier", kVerifier}},
                   "access_token", &tenant.access_token);
  if (refused) return *refused;
  return tenant;
}

}  // namespace ccsim::platform

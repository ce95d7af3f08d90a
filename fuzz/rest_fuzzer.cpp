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
// for each input so a crash reproduces from the input alone, holds the demo tenant
// (platform/demo_tenant.h: user-000001 owning org-000001, the token's) and cameras CAM-1 and
// CAM-2 registered (OAKs AAAA-BBBB-CCCC-0001 and -0002).
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
#include <vector>

#include "fuzz/fuzz_property.h"
#include "platform/command.h"
#include "platform/control_plane.h"
#include "platform/demo_tenant.h"
#include "platform/rest_api.h"

namespace {

using namespace std::chrono_literals;
using ccsim::core::Time;
using nlohmann::json;
namespace platform = ccsim::platform;

void require(bool condition, const char* what) {
  ccsim::fuzz::require(condition, "rest_fuzzer", what);
}

// The plane of the header comment and a token for Acme with every scope.
std::unique_ptr<platform::ControlPlane> make_plane(Time& now, std::string& token) {
  auto plane = std::make_unique<platform::ControlPlane>(1);
  platform::Result<platform::DemoTenant> tenant =
      platform::make_demo_tenant(*plane, now, "alice@acme.example");
  if (!tenant.ok()) std::fprintf(stderr, "%s\n", tenant.error().message.c_str());
  require(tenant.ok() && tenant.value().organization == "org-000001", "the demo tenant is set up");
  using Kind = platform::DeviceKind;
  using Tier = platform::DeviceTier;
  const std::vector<platform::FactoryRecord> cameras = {
      {"CAM-1", "bullet", Kind::kCamera, Tier::kTier1, "AAAA-BBBB-CCCC-0001", 8760h, 43800h,
       "11.11.0"},
      {"CAM-2", "dome", Kind::kCamera, Tier::kTier1, "AAAA-BBBB-CCCC-0002", 8760h, 43800h,
       "11.11.0"}};
  require(plane->registry.register_devices(now += 1s, cameras).ok(),
          "the factory registers the cameras");
  token = tenant.value().access_token;
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

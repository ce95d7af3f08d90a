// The platform's REST API over its commands (command.h), sans-IO: a request's method, target,
// headers and body in, the response out; `ccsim serve` carries it over HTTPS (net/). Each route
// names the command it runs, the OAuth scope a caller's access token needs for it, and which
// parameters come from the path, the query and the JSON body.
//
// What it promises:
// - Every call is authenticated by a bearer access token the platform issued (RFC 6750); its user
//   is the command's actor, its organization must be the path's, and its scopes must hold the
//   route's. The command then authorizes the user's role as it always does.
// - Every error is an RFC 9457 problem details body (application/problem+json) with the status
//   the problem calls for: 400 malformed input, 401 no valid token (with WWW-Authenticate), 403
//   not allowed, 404 no such route or thing, 405 a route without that method (with Allow), 409 a
//   conflict with the current state, 413 a body over kRestBodyBytesMax, 415 a body not JSON, 429
//   too many attempts. A body is never echoed back.
// - Lists page with cursors: a page's "next_after" (devices) or "next_cursor" (audit) goes back
//   as the query's `after` or `cursor`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node.h"
#include "platform/command.h"
#include "platform/control_plane.h"

namespace ccsim::platform {

// Bodies larger than this are refused (413) before parsing: a command's own limit.
inline constexpr std::size_t kRestBodyBytesMax = 64 * 1024;
// A request target (path and query) longer than this is refused (414).
inline constexpr std::size_t kRestTargetBytesMax = 4 * 1024;
// Query parameters one request may carry.
inline constexpr std::size_t kRestQueryParametersMax = 16;

struct HttpRequest {
  std::string_view method;         // "GET", "POST", ...
  std::string_view target;         // "/v1/organizations/o-1/devices?limit=10"
  std::string_view content_type;   // the Content-Type header, empty when absent
  std::string_view authorization;  // the Authorization header, empty when absent
  std::string_view body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string body;
};

// The routes, as the OpenAPI document names them: method and path template.
struct RestRoute {
  std::string_view method;
  std::string_view path;  // "/v1/organizations/{organization}/devices"
  std::string_view command;
  std::string_view scope;  // the access token must hold it
  unsigned success_status;
};
const std::vector<RestRoute>& rest_routes();

// Answers one request at `now`, checking its token against `plane` and running its command
// through `run`; never throws (running out of memory terminates).
HttpResponse handle_rest_request(const ControlPlane& plane, const CommandRunner& run,
                                 core::Time now, const HttpRequest& request) noexcept;
// The same, running the command on `plane` itself.
HttpResponse handle_rest_request(ControlPlane& plane, core::Time now,
                                 const HttpRequest& request) noexcept;

// An RFC 9457 problem response: `status`, the type /problems/TYPE, its title, and `detail`. For
// the problems the transport finds before a request reaches handle_rest_request (a body over the
// limit, a malformed request line).
HttpResponse rest_problem(unsigned status, std::string_view type, std::string detail);

// The OpenAPI 3.1 document of these routes (docs/openapi.json, embedded by the build).
extern const char* const kOpenApiDocument;

}  // namespace ccsim::platform

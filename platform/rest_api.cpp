#include "platform/rest_api.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <variant>

#include "platform/command.h"

namespace ccsim::platform {
namespace {

using Json = nlohmann::json;

// Where a command's parameter comes from, besides the body.
enum class Source : std::uint8_t { kPath, kQuery };

struct Parameter {
  std::string_view name;
  Source source;
  bool integer = false;  // a query parameter read as a whole number
};

struct RouteSpec {
  RestRoute route;
  std::vector<Parameter> parameters;  // path parameters first, in the path's order
  bool body = false;                  // a JSON object body, merged into the params
  // For the commands that find a thing by its id alone, the result's object naming the
  // organization it belongs to ("device", "series"), which must be the path's.
  std::string_view owner{};
};

const std::vector<RouteSpec>& route_specs() {
  using enum Source;
  static const std::vector<RouteSpec> kSpecs = {
      {{"GET", "/v1/organizations/{organization}/devices", "list_devices", "video:live", 200},
       {{"organization", kPath}, {"limit", kQuery, true}, {"after", kQuery}}},
      {{"POST", "/v1/organizations/{organization}/devices", "claim_device", "devices:onboard", 201},
       {{"organization", kPath}},
       true},
      {{"GET", "/v1/organizations/{organization}/devices/{serial}", "get_device", "video:live",
        200},
       {{"", kPath}, {"serial", kPath}},
       false,
       "device"},
      {{"GET", "/v1/organizations/{organization}/audit", "search_audit", "audit:read", 200},
       {{"organization", kPath},
        {"topic", kQuery},
        {"device", kQuery},
        {"actor", kQuery},
        {"limit", kQuery, true},
        {"cursor", kQuery}}},
      {{"POST", "/v1/organizations/{organization}/task-series", "create_task_series",
        "devices:operate", 201},
       {{"organization", kPath}},
       true},
      {{"GET", "/v1/organizations/{organization}/task-series/{series}", "get_task_series",
        "video:live", 200},
       {{"", kPath}, {"series", kPath}},
       false,
       "series"},
      {{"POST", "/v1/organizations/{organization}/task-series/{series}/cancel", "cancel_series",
        "devices:operate", 200},
       {{"organization", kPath}, {"series", kPath}}},
      {{"GET", "/v1/organizations/{organization}/rollouts/{name}", "get_rollout", "video:live",
        200},
       {{"organization", kPath}, {"name", kPath}}},
  };
  return kSpecs;
}

// ---- problems (RFC 9457) --------------------------------------------------------------------

struct Problem {
  unsigned status;
  std::string_view type;  // a word: the problem's URI is /problems/WORD
  std::string detail;
};

std::string_view title_of(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    default:
      return "Internal Server Error";
  }
}

HttpResponse problem_response(const Problem& problem) {
  HttpResponse response;
  response.status = problem.status;
  response.content_type = "application/problem+json";
  response.body = Json{{"type", "/problems/" + std::string(problem.type)},
                       {"title", title_of(problem.status)},
                       {"status", problem.status},
                       {"detail", problem.detail}}
                      .dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

// A command's error code as HTTP says it.
unsigned status_of(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, unsigned>, 8> kStatuses = {{
      {"invalid_argument", 400},
      {"not_found", 404},
      {"already_exists", 409},
      {"permission_denied", 403},
      {"unauthenticated", 401},
      {"failed_precondition", 409},
      {"resource_exhausted", 409},
      {"locked", 429},
  }};
  for (const auto& [name, status] : kStatuses) {
    if (name == code) return status;
  }
  return 500;
}

// ---- the target -----------------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding; in a query, '+' is a space as forms write it. Nullopt for a broken
// escape or a decoded control character.
std::optional<std::string> percent_decode(std::string_view text, bool query) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && query) {
      c = ' ';
    }
    if (std::iscntrl(static_cast<unsigned char>(c))) return std::nullopt;
    out += c;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

struct Target {
  std::vector<std::string> segments;                       // decoded, without the leading ""
  std::vector<std::pair<std::string, std::string>> query;  // decoded
};

std::variant<Target, Problem> parse_target(std::string_view target) {
  if (target.size() > kRestTargetBytesMax) {
    return Problem{414, "target_too_long",
                   "the request target is over " + std::to_string(kRestTargetBytesMax) + " bytes"};
  }
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  if (path.empty() || path.front() != '/') {
    return Problem{400, "bad_target", "the request target must be an absolute path"};
  }
  Target parsed;
  for (std::string_view segment : split(path.substr(1), '/')) {
    std::optional<std::string> decoded = percent_decode(segment, false);
    if (!decoded) return Problem{400, "bad_target", "a path segment is not percent-encoded UTF-8"};
    parsed.segments.push_back(std::move(*decoded));
  }
  if (question == std::string_view::npos || question + 1 == target.size()) return parsed;
  for (std::string_view pair : split(target.substr(question + 1), '&')) {
    if (parsed.query.size() == kRestQueryParametersMax) {
      return Problem{400, "bad_query",
                     "more than " + std::to_string(kRestQueryParametersMax) + " query parameters"};
    }
    const std::size_t equals = pair.find('=');
    std::optional<std::string> name = percent_decode(pair.substr(0, equals), true);
    std::optional<std::string> value = percent_decode(
        equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1), true);
    if (!name || !value) return Problem{400, "bad_query", "a query parameter is not well encoded"};
    parsed.query.emplace_back(std::move(*name), std::move(*value));
  }
  return parsed;
}

// What starts a path template's parameter segment ("{serial}").
constexpr std::string_view kParameterOpen = "{";

// The path parameters of `spec` when `segments` match its path, in the path's order.
std::optional<std::vector<std::string>> match(const RouteSpec& spec,
                                              const std::vector<std::string>& segments) {
  const std::vector<std::string_view> pattern = split(spec.route.path.substr(1), '/');
  if (pattern.size() != segments.size()) return std::nullopt;
  std::vector<std::string> values;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].starts_with(kParameterOpen)) {
      if (segments[i].empty()) return std::nullopt;
      values.push_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return values;
}

// ---- authentication --------------------------------------------------------------------------

// The bearer token's claims, or the 401 or 403 to answer.
std::variant<TokenClaims, HttpResponse> authenticate(const ControlPlane& plane, core::Time now,
                                                     std::string_view authorization,
                                                     const RestRoute& route,
                                                     const std::string& organization) {
  const auto unauthorized = [](std::string detail, std::string challenge) {
    HttpResponse response = problem_response({401, "unauthenticated", std::move(detail)});
    response.headers.emplace_back("WWW-Authenticate", std::move(challenge));
    return response;
  };
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return unauthorized("an access token is needed: Authorization: Bearer TOKEN",
                        "Bearer realm=\"ccsim\"");
  }
  Result<TokenClaims> claims = plane.apps.verify_token(now, authorization.substr(kBearer.size()));
  if (!claims.ok()) {
    return unauthorized("the access token is not valid (expired, revoked or not the platform's)",
                        "Bearer realm=\"ccsim\", error=\"invalid_token\"");
  }
  if (claims.value().organization_id != organization) {
    return problem_response({403, "other_organization",
                             "the access token is for another organization than the path's"});
  }
  if (!claims.value().allows(route.scope)) {
    HttpResponse response =
        problem_response({403, "insufficient_scope",
                          "the access token lacks the scope " + std::string(route.scope)});
    response.headers.emplace_back("WWW-Authenticate",
                                  "Bearer realm=\"ccsim\", error=\"insufficient_scope\", scope=\"" +
                                      std::string(route.scope) + "\"");
    return response;
  }
  return std::move(claims).value();
}

// ---- the command ------------------------------------------------------------------------------

// The command's params: the body's fields (for a route with a body), then the path's and the
// query's; a field given twice is refused.
std::variant<Json, Problem> command_params(const RouteSpec& spec, const HttpRequest& request,
                                           const std::vector<std::string>& path_values,
                                           const Target& target) {
  Json params = Json::object();
  if (spec.body) {
    const std::string_view type = request.content_type.substr(0, request.content_type.find(';'));
    if (type != "application/json") {
      return Problem{415, "unsupported_media_type", "the body must be application/json"};
    }
    params = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (params.is_discarded() || !params.is_object()) {
      return Problem{400, "malformed_body", "the body is not a JSON object"};
    }
  } else if (!request.body.empty()) {
    return Problem{400, "unexpected_body", "this route takes no body"};
  }
  for (std::size_t i = 0; i < path_values.size(); ++i) {
    const std::string_view name = spec.parameters[i].name;
    if (name.empty()) continue;  // the organization, checked against the token only
    if (params.contains(name)) {
      return Problem{400, "repeated_parameter", std::string(name) + " comes from the path"};
    }
    params[std::string(name)] = path_values[i];
  }
  for (const auto& entry : target.query) {
    const std::string& name = entry.first;  // a plain name: lambdas may capture it
    const std::string& value = entry.second;
    const auto known = std::find_if(
        spec.parameters.begin(), spec.parameters.end(),
        [&](const Parameter& p) { return p.source == Source::kQuery && p.name == name; });
    if (known == spec.parameters.end()) {
      return Problem{400, "unknown_query_parameter", "the route takes no such query parameter"};
    }
    if (params.contains(name)) return Problem{400, "repeated_parameter", name + " given twice"};
    if (!known->integer) {
      params[name] = value;
      continue;
    }
    const bool digits =
        !value.empty() && value.size() <= 9 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return Problem{400, "bad_query", name + ": expected a whole number"};
    params[name] = std::stoul(value);
  }
  return params;
}

// The command's reply as the route's response; a thing of another organization is not found.
HttpResponse command_response(const RouteSpec& spec, const std::string& organization,
                              const std::string& reply_text) {
  const Json reply = Json::parse(reply_text);
  if (!reply.at("ok").get<bool>()) {
    const Json& error = reply.at("error");
    const std::string code = error.at("code").get<std::string>();
    return problem_response(
        {status_of(code), std::string_view(code), error.at("message").get<std::string>()});
  }
  const Json& result = reply.at("result");
  if (!spec.owner.empty()) {
    const Json& owned = result.at(std::string(spec.owner));
    if (owned.value("organization", std::string()) != organization) {
      return problem_response(
          {404, "not_found", std::string(spec.owner) + ": no such " + std::string(spec.owner)});
    }
  }
  HttpResponse response;
  response.status = spec.route.success_status;
  response.body = result.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

HttpResponse route_not_found(const Target& target) {
  std::vector<std::string_view> allowed;
  for (const RouteSpec& spec : route_specs()) {
    if (match(spec, target.segments)) allowed.push_back(spec.route.method);
  }
  if (allowed.empty()) return problem_response({404, "no_route", "no such route"});
  std::string allow;
  for (std::string_view method : allowed)
    allow += (allow.empty() ? "" : ", ") + std::string(method);
  HttpResponse response = problem_response({405, "method_not_allowed", "the route takes " + allow});
  response.headers.emplace_back("Allow", allow);
  return response;
}

HttpResponse handle(const ControlPlane& plane, const CommandRunner& run, core::Time now,
                    const HttpRequest& request) {
  if (request.body.size() > kRestBodyBytesMax) {
    return problem_response({413, "body_too_large",
                             "the body is over " + std::to_string(kRestBodyBytesMax) + " bytes"});
  }
  std::variant<Target, Problem> parsed = parse_target(request.target);
  if (Problem* problem = std::get_if<Problem>(&parsed)) return problem_response(*problem);
  const Target& target = std::get<Target>(parsed);
  if (request.method == "GET" && target.segments == std::vector<std::string>{"openapi.json"}) {
    return HttpResponse{200, "application/json", {}, kOpenApiDocument};
  }
  for (const RouteSpec& spec : route_specs()) {
    if (spec.route.method != request.method) continue;
    const std::optional<std::vector<std::string>> values = match(spec, target.segments);
    if (!values) continue;
    const std::string& organization = values->front();
    std::variant<TokenClaims, HttpResponse> claims =
        authenticate(plane, now, request.authorization, spec.route, organization);
    if (HttpResponse* refused = std::get_if<HttpResponse>(&claims)) return std::move(*refused);
    std::variant<Json, Problem> params = command_params(spec, request, *values, target);
    if (Problem* problem = std::get_if<Problem>(&params)) return problem_response(*problem);
    const Json command = {{"command", spec.route.command},
                          {"actor", std::get<TokenClaims>(claims).user_id},
                          {"params", std::move(std::get<Json>(params))}};
    const std::string text = command.dump(-1, ' ', false, Json::error_handler_t::replace);
    return command_response(spec, organization, run(now, text));
  }
  return route_not_found(target);
}

}  // namespace

HttpResponse rest_problem(unsigned status, std::string_view type, std::string detail) {
  return problem_response({status, type, std::move(detail)});
}

const std::vector<RestRoute>& rest_routes() {
  static const std::vector<RestRoute> kRoutes = [] {
    std::vector<RestRoute> routes;
    for (const RouteSpec& spec : route_specs()) routes.push_back(spec.route);
    return routes;
  }();
  return kRoutes;
}

HttpResponse handle_rest_request(const ControlPlane& plane, const CommandRunner& run,
                                 core::Time now, const HttpRequest& request) noexcept {
  return handle(plane, run, now, request);
}

HttpResponse handle_rest_request(ControlPlane& plane, core::Time now,
                                 const HttpRequest& request) noexcept {
  const CommandRunner run = [&plane](core::Time at, std::string_view text) {
    return execute_command(plane, at, text);
  };
  return handle(plane, run, now, request);
}

}  // namespace ccsim::platform

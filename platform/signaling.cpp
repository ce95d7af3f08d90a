#include "platform/signaling.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "core/json_text.h"
#include "platform/audit_topics.h"
#include "platform/turn_credentials.h"

namespace ccsim::platform {

namespace {

using Json = nlohmann::json;
using Out = nlohmann::ordered_json;  // jsonrpc first, as people read it

constexpr std::string_view kVideoStreamingService = "video-streaming";
constexpr int kViewerSide = 0;
constexpr int kDeviceSide = 1;

std::string rpc_error(const Json* id, SignalingError code, std::string_view message) {
  Out out;
  out["jsonrpc"] = "2.0";
  out["error"] = {{"code", static_cast<std::int32_t>(code)}, {"message", message}};
  out["id"] = id != nullptr ? *id : Json(nullptr);
  return out.dump();
}

std::string rpc_result(const Json& id, Out result) {
  Out out;
  out["jsonrpc"] = "2.0";
  out["result"] = std::move(result);
  out["id"] = id;
  return out.dump();
}

std::string rpc_notification(std::string_view method, Out params) {
  Out out;
  out["jsonrpc"] = "2.0";
  out["method"] = method;
  out["params"] = std::move(params);
  return out.dump();
}

// A candidate line as RFC 8839 section 5.1 writes it, checked as far as a relay needs:
// "candidate:" foundation, component, transport, priority, address, port, "typ", type.
bool candidate_line_valid(std::string_view line) {
  constexpr std::string_view kPrefix = "candidate:";
  if (line.size() > kCandidateBytesMax || !line.starts_with(kPrefix)) return false;
  char foundation[33], transport[8], address[65], typ[4], type[6];
  unsigned component = 0, port = 0;
  unsigned long priority = 0;
  const std::string text(line);
  const int read =
      std::sscanf(text.c_str(), "candidate:%32s %u %7s %lu %64s %u %3s %5s", foundation, &component,
                  transport, &priority, address, &port, typ, type);
  if (read != 8 || std::string_view(typ) != "typ" || component < 1 || component > 256) return false;
  const std::string_view t(type);
  return port <= 65535 && (t == "host" || t == "srflx" || t == "prflx" || t == "relay");
}

}  // namespace

std::string_view signaling_error_name(SignalingError code) {
  switch (code) {
    case SignalingError::kParse:
      return "parse_error";
    case SignalingError::kInvalidRequest:
      return "invalid_request";
    case SignalingError::kMethodNotFound:
      return "method_not_found";
    case SignalingError::kInvalidParams:
      return "invalid_params";
    case SignalingError::kUnauthorized:
      return "unauthorized";
    case SignalingError::kDeviceUnavailable:
      return "device_unavailable";
    case SignalingError::kNoSeat:
      return "no_seat";
    case SignalingError::kNoSuchSession:
      return "no_such_session";
    case SignalingError::kSessionState:
      return "session_state";
    case SignalingError::kCapacity:
      return "capacity";
  }
  return "unknown";
}

std::string_view session_end_name(SessionEnd end) {
  switch (end) {
    case SessionEnd::kClosed:
      return "closed";
    case SessionEnd::kExpired:
      return "expired";
    case SessionEnd::kDeviceError:
      return "device_error";
    case SessionEnd::kDeviceGone:
      return "device_gone";
  }
  return "unknown";
}

std::uint64_t SignalingCounters::errors_total() const {
  std::uint64_t total = 0;
  for (const std::uint64_t count : errors) total += count;
  return total;
}

std::uint64_t SignalingCounters::error_count(SignalingError code) const {
  const auto at = std::find(kSignalingErrors.begin(), kSignalingErrors.end(), code);
  return errors[static_cast<std::size_t>(at - kSignalingErrors.begin())];
}

// One JSON-RPC 2.0 message, read strictly: a request (method and id), a notification (method,
// no id) or a response (result or error, and id).
struct Signaling::Call {
  Json message;
  const Json* id = nullptr;
  std::string method;
  const Json* params = nullptr;  // an object when a method is present
  const Json* result = nullptr;
  const Json* error = nullptr;

  // Why `text` is not such a message, with the code to answer; nullopt when it is one.
  std::optional<std::pair<SignalingError, std::string>> read(std::string_view text) {
    if (text.size() > kSignalingMessageBytesMax) {
      return {{SignalingError::kInvalidRequest,
               "message: at most " + std::to_string(kSignalingMessageBytesMax) + " bytes"}};
    }
    if (core::json_nesting_depth(text, kSignalingNestingMax) > kSignalingNestingMax) {
      return {{SignalingError::kInvalidRequest,
               "message: nested deeper than " + std::to_string(kSignalingNestingMax)}};
    }
    core::StrictJson parsed = core::parse_json_strict(text);
    if (!parsed.error.empty()) return {{SignalingError::kParse, "message: " + parsed.error}};
    if (parsed.repeated_key) {
      return {{SignalingError::kInvalidRequest, "message: a key repeated in one object"}};
    }
    message = std::move(parsed.value);
    return shape();
  }

  std::optional<std::pair<SignalingError, std::string>> shape() {
    const auto invalid = [](std::string why) {
      return std::optional<std::pair<SignalingError, std::string>>{
          {SignalingError::kInvalidRequest, std::move(why)}};
    };
    if (!message.is_object()) return invalid("message: not a JSON-RPC object");
    const auto version = message.find("jsonrpc");
    if (version == message.end() || *version != "2.0") return invalid("jsonrpc: must be \"2.0\"");
    if (const auto i = message.find("id"); i != message.end()) {
      if (!i->is_string() && !i->is_number_integer() && !i->is_null()) {
        return invalid("id: a string or an integer");
      }
      id = &*i;
    }
    if (const auto m = message.find("method"); m != message.end()) {
      if (!m->is_string()) return invalid("method: a string");
      method = m->get<std::string>();
      const auto p = message.find("params");
      if (p == message.end() || !p->is_object()) return invalid("params: an object");
      params = &*p;
      return std::nullopt;
    }
    if (const auto r = message.find("result"); r != message.end()) result = &*r;
    if (const auto e = message.find("error"); e != message.end()) error = &*e;
    if ((result == nullptr) == (error == nullptr) || id == nullptr) {
      return invalid("message: neither a request, a notification nor a response");
    }
    return std::nullopt;
  }

  // The string parameter `key`, when present and a string no longer than `max`.
  std::optional<std::string> text(std::string_view key, std::size_t max) const {
    if (params == nullptr) return std::nullopt;
    const auto found = params->find(std::string(key));
    if (found == params->end() || !found->is_string()) return std::nullopt;
    std::string value = found->get<std::string>();
    if (value.empty() || value.size() > max) return std::nullopt;
    return value;
  }
};

Signaling::Signaling(SignalingConfig config, DeviceRegistry& registry, Tenancy& tenancy,
                     AuditLog& audit)
    : config_(std::move(config)), registry_(registry), tenancy_(tenancy), audit_(audit) {
  assert(!config_.turn_secret.empty() || config_.turn_urls.empty());
  assert(config_.expiry > std::chrono::seconds::zero() && config_.expiry <= kSessionExpiryMax);
}

SignalingOutput Signaling::fail(const Call* call, SignalingError code, std::string message) {
  const auto at = std::find(kSignalingErrors.begin(), kSignalingErrors.end(), code);
  assert(at != kSignalingErrors.end());
  ++counters_.errors[static_cast<std::size_t>(at - kSignalingErrors.begin())];
  SignalingOutput out;
  // A notification is never answered (JSON-RPC 2.0 section 4.1), unless it could not be read.
  const bool unread = call == nullptr ||
                      (call->method.empty() && call->result == nullptr && call->error == nullptr);
  if (unread || call->id != nullptr) {
    out.reply = rpc_error(call != nullptr ? call->id : nullptr, code, message);
  }
  return out;
}

SignalingOutput Signaling::from_viewer(core::Time now, std::string_view actor,
                                       std::string_view organization, std::string_view text) {
  Call call;
  if (auto bad = call.read(text)) return fail(&call, bad->first, std::move(bad->second));
  if (call.method.empty()) {
    return fail(&call, SignalingError::kInvalidRequest, "message: a viewer sends requests only");
  }
  if (call.method == "connect") return connect(now, call, actor, organization);
  if (call.method != "invite" && call.method != "trickle" && call.method != "extend" &&
      call.method != "close") {
    return fail(&call, SignalingError::kMethodNotFound,
                "method: connect, invite, trickle, extend or close");
  }
  const std::optional<std::string> id = call.text("session", kSessionIdBytesMax);
  if (!id) return fail(&call, SignalingError::kInvalidParams, "session: a session id");
  const auto found = sessions_.find(*id);
  if (found == sessions_.end() || found->second.viewer != actor ||
      found->second.organization != organization) {
    return fail(&call, SignalingError::kNoSuchSession, "session: no such session of yours");
  }
  LiveSession& session = found->second;
  if (call.method == "invite") return invite(call, session);
  if (call.method == "trickle") return trickle(call, session, kViewerSide);
  if (call.method == "extend") return extend(now, call, session);
  EndedSession ended = end(now, *id, SessionEnd::kClosed);
  SignalingOutput out;
  out.session = *id;
  out.serial = ended.session.serial;
  if (call.id != nullptr) out.reply = rpc_result(*call.id, Out::object());
  out.to_device = std::move(ended.to_device);
  return out;
}

SignalingOutput Signaling::connect(core::Time now, const Call& call, std::string_view actor,
                                   std::string_view organization) {
  if (call.id == nullptr)
    return fail(&call, SignalingError::kInvalidRequest, "connect: needs an id");
  const std::optional<std::string> serial = call.text("peer", kSerialBytesMax);
  if (!serial) return fail(&call, SignalingError::kInvalidParams, "peer: the device's serial");
  if (sessions_.size() >= kSignalingSessionsMax) {
    return fail(&call, SignalingError::kCapacity,
                "region " + config_.region + ": " + std::to_string(kSignalingSessionsMax) +
                    " sessions open");
  }
  auto allowed = registry_.request_capability(actor, organization, *serial, kCapabilityWebRtc);
  if (!allowed.ok()) {
    const ServiceError& e = allowed.error();
    const bool role = e.code == ErrorCode::kPermissionDenied || e.code == ErrorCode::kNotFound ||
                      e.code == ErrorCode::kUnauthenticated;
    return fail(&call, role ? SignalingError::kUnauthorized : SignalingError::kDeviceUnavailable,
                e.message);
  }
  const DeviceRecord device = registry_.device(*serial).value();
  if (device.state.connection != ConnectionStatus::kConnected) {
    return fail(&call, SignalingError::kDeviceUnavailable, "peer: the device is not connected");
  }
  if (auto seat = tenancy_.consume_seat(now, organization, kVideoStreamingService); !seat.ok()) {
    return fail(&call, SignalingError::kNoSeat, seat.error().message);
  }
  char id[24];
  std::snprintf(id, sizeof id, "ses-%06llu", static_cast<unsigned long long>(next_session_++));
  LiveSession session;
  session.id = id;
  session.organization = std::string(organization);
  session.viewer = std::string(actor);
  session.serial = *serial;
  session.opened_at = now;
  session.expires_at = now + config_.expiry;
  (void)audit_.append(now,
                      {session.organization, session.viewer, std::string(kTopicLiveSessionOpened),
                       session.serial, "session=" + session.id + " region=" + config_.region});
  expiries_.emplace(session.expires_at, session.id);
  by_device_.emplace(session.serial, session.id);
  const Out ice_servers = ice_servers_of(now, session);
  SignalingOutput out;
  out.session = session.id;
  out.serial = session.serial;
  out.reply = rpc_result(*call.id, Out{{"session", session.id},
                                       {"iceServers", ice_servers},
                                       {"expiryTimeSeconds", config_.expiry.count()}});
  out.to_device =
      rpc_notification("connect", Out{{"session", session.id}, {"iceServers", ice_servers}});
  ++counters_.sessions_opened;
  sessions_.emplace(session.id, std::move(session));
  return out;
}

// STUN first, then the organization's own TURN servers, then the region's, each with a
// credential from its secret that holds the session's longest life.
nlohmann::ordered_json Signaling::ice_servers_of(core::Time now, const LiveSession& session) const {
  Out servers = Out::array();
  if (!config_.stun_urls.empty()) servers.push_back(Out{{"urls", config_.stun_urls}});
  const auto now_s = static_cast<std::uint64_t>(
      (config_.epoch.utc.time_since_epoch() + std::chrono::duration_cast<std::chrono::seconds>(now))
          .count());
  const auto add_turn = [&](const std::string& secret, const std::vector<std::string>& urls) {
    const TurnCredential credential =
        issue_turn_credential(secret, session.id, now_s, kSessionLifetimeMax);
    servers.push_back(Out{
        {"urls", urls}, {"username", credential.username}, {"credential", credential.password}});
  };
  for (const PartnerTurn& partner : config_.partner_turn) {
    if (partner.organization == session.organization) add_turn(partner.secret, partner.urls);
  }
  if (!config_.turn_urls.empty()) add_turn(config_.turn_secret, config_.turn_urls);
  return servers;
}

SignalingOutput Signaling::invite(const Call& call, LiveSession& session) {
  if (call.id == nullptr)
    return fail(&call, SignalingError::kInvalidRequest, "invite: needs an id");
  const std::optional<std::string> offer = call.text("offer", kSdpBytesMax);
  if (!offer || !offer->starts_with("v=0")) {
    return fail(&call, SignalingError::kInvalidParams, "offer: an SDP offer (\"v=0...\")");
  }
  if (session.viewer_invite_id || session.answered) {
    return fail(&call, SignalingError::kSessionState, "invite: the session has one already");
  }
  session.viewer_invite_id = call.id->dump();
  ++counters_.messages_relayed;
  SignalingOutput out;
  out.session = session.id;
  out.serial = session.serial;
  Out request{{"jsonrpc", "2.0"},
              {"method", "invite"},
              {"params", Out{{"session", session.id}, {"offer", *offer}}},
              {"id", session.id}};
  out.to_device = request.dump();
  return out;
}

SignalingOutput Signaling::trickle(const Call& call, LiveSession& session, int side) {
  const auto found = call.params->find("candidate");
  if (found == call.params->end()) {
    return fail(&call, SignalingError::kInvalidParams, "candidate: required (null ends them)");
  }
  const Json* line = nullptr;
  if (found->is_object()) {
    const auto inner = found->find("candidate");
    if (inner != found->end() && inner->is_string()) line = &*inner;
  }
  const bool last =
      found->is_null() || (line != nullptr && line->get_ref<const std::string&>().empty());
  if (!last) {
    if (line == nullptr || !candidate_line_valid(line->get_ref<const std::string&>())) {
      return fail(&call, SignalingError::kInvalidParams,
                  "candidate: {candidate: \"candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY "
                  "ADDRESS PORT typ TYPE\", sdpMid, sdpMLineIndex} (RFC 8839 5.1)");
    }
  }
  if (session.candidates_ended[side]) {
    return fail(&call, SignalingError::kSessionState, "candidate: after the end of candidates");
  }
  if (!last && session.candidates[side] >= kTrickledCandidatesMax) {
    return fail(&call, SignalingError::kSessionState,
                "candidate: at most " + std::to_string(kTrickledCandidatesMax) + " per side");
  }
  if (last) {
    session.candidates_ended[side] = true;
  } else {
    ++session.candidates[side];
    ++counters_.candidates_relayed;
  }
  ++counters_.messages_relayed;
  SignalingOutput out;
  out.session = session.id;
  out.serial = session.serial;
  std::string relayed = rpc_notification(
      "trickle", Out{{"session", session.id}, {"candidate", last ? Json(nullptr) : *found}});
  (side == kViewerSide ? out.to_device : out.to_viewer) = std::move(relayed);
  if (call.id != nullptr) out.reply = rpc_result(*call.id, Out::object());
  return out;
}

SignalingOutput Signaling::extend(core::Time now, const Call& call, LiveSession& session) {
  std::chrono::seconds asked = config_.expiry;
  if (const auto found = call.params->find("expiryTimeSeconds"); found != call.params->end()) {
    if (!found->is_number_unsigned() || found->get<std::uint64_t>() == 0 ||
        found->get<std::uint64_t>() > static_cast<std::uint64_t>(kSessionExpiryMax.count())) {
      return fail(&call, SignalingError::kInvalidParams,
                  "expiryTimeSeconds: 1.." + std::to_string(kSessionExpiryMax.count()));
    }
    asked = std::chrono::seconds(found->get<std::int64_t>());
  }
  const core::Time latest = session.opened_at + kSessionLifetimeMax;
  session.expires_at = std::min(now + asked, latest);
  expiries_.emplace(session.expires_at, session.id);
  SignalingOutput out;
  out.session = session.id;
  out.serial = session.serial;
  const auto granted = std::chrono::duration_cast<std::chrono::seconds>(session.expires_at - now);
  if (call.id != nullptr) {
    out.reply = rpc_result(*call.id, Out{{"expiryTimeSeconds", granted.count()}});
  }
  return out;
}

SignalingOutput Signaling::from_device(core::Time now, std::string_view serial,
                                       std::string_view text) {
  Call call;
  if (auto bad = call.read(text)) return fail(&call, bad->first, std::move(bad->second));
  if (call.method.empty()) return answer(now, call, serial);
  if (call.method != "trickle") {
    return fail(&call, SignalingError::kMethodNotFound, "method: a device sends trickle only");
  }
  const std::optional<std::string> id = call.text("session", kSessionIdBytesMax);
  if (!id) return fail(&call, SignalingError::kInvalidParams, "session: a session id");
  const auto found = sessions_.find(*id);
  if (found == sessions_.end() || found->second.serial != serial) {
    return fail(&call, SignalingError::kNoSuchSession, "session: no such session of yours");
  }
  return trickle(call, found->second, kDeviceSide);
}

// The device's response to a relayed invite: its id is the session's.
SignalingOutput Signaling::answer(core::Time now, const Call& call, std::string_view serial) {
  const auto found =
      call.id->is_string() ? sessions_.find(call.id->get<std::string>()) : sessions_.end();
  if (found == sessions_.end() || found->second.serial != serial) {
    return fail(&call, SignalingError::kNoSuchSession, "id: no invite of yours pending");
  }
  LiveSession& session = found->second;
  if (!session.viewer_invite_id) {
    return fail(&call, SignalingError::kSessionState, "id: no invite of yours pending");
  }
  const Json viewer_id = Json::parse(*session.viewer_invite_id);
  SignalingOutput out;
  out.session = session.id;
  out.serial = session.serial;
  if (call.error != nullptr) {
    const std::string message = call.error->is_object() && call.error->contains("message") &&
                                        (*call.error)["message"].is_string()
                                    ? (*call.error)["message"].get<std::string>()
                                    : "the device refused the invite";
    out.to_viewer = rpc_error(&viewer_id, SignalingError::kDeviceUnavailable, message);
    (void)end(now, session.id, SessionEnd::kDeviceError);
    return out;
  }
  const auto sdp = call.result->is_object() ? call.result->find("answer") : call.result->end();
  if (sdp == call.result->end() || !sdp->is_string() ||
      sdp->get<std::string>().size() > kSdpBytesMax ||
      !sdp->get<std::string>().starts_with("v=0")) {
    return fail(&call, SignalingError::kInvalidParams, "result: {answer: \"v=0...\"}");
  }
  session.viewer_invite_id.reset();
  session.answered = true;
  ++counters_.messages_relayed;
  out.to_viewer = rpc_result(viewer_id, Out{{"answer", *sdp}});
  return out;
}

EndedSession Signaling::end(core::Time now, std::string_view id, SessionEnd cause) {
  const auto found = sessions_.find(id);
  assert(found != sessions_.end());
  EndedSession ended{std::move(found->second), cause, {}, {}};
  sessions_.erase(found);
  const auto [first, last] = by_device_.equal_range(ended.session.serial);
  for (auto it = first; it != last; ++it) {
    if (it->second == ended.session.id) {
      by_device_.erase(it);
      break;
    }
  }
  ++counters_.sessions_ended[static_cast<std::size_t>(cause)];
  const LiveSession& s = ended.session;
  const auto lasted = std::chrono::duration_cast<std::chrono::seconds>(now - s.opened_at);
  (void)tenancy_.release_seat(now, s.organization, kVideoStreamingService);
  (void)audit_.append(now, {s.organization, std::string(kAuditPlatformActor),
                            std::string(kTopicLiveSessionEnded), s.serial,
                            "session=" + s.id + " cause=" + std::string(session_end_name(cause)) +
                                " lasted_s=" + std::to_string(lasted.count())});
  const Out notice{{"code", static_cast<std::int32_t>(SignalingError::kNoSuchSession)},
                   {"message", "session ended: " + std::string(session_end_name(cause))},
                   {"session", s.id}};
  ended.to_viewer = rpc_notification("error", notice);
  ended.to_device = ended.to_viewer;
  return ended;
}

std::vector<EndedSession> Signaling::expire(core::Time now) {
  std::vector<EndedSession> ended;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const auto [at, id] = *expiries_.begin();
    expiries_.erase(expiries_.begin());
    const auto found = sessions_.find(id);
    if (found == sessions_.end() || found->second.expires_at != at) continue;  // stale entry
    ended.push_back(end(now, id, SessionEnd::kExpired));
  }
  return ended;
}

std::vector<EndedSession> Signaling::device_gone(core::Time now, std::string_view serial) {
  std::vector<std::string> ids;
  const auto [first, last] = by_device_.equal_range(serial);
  for (auto it = first; it != last; ++it) ids.push_back(it->second);
  std::vector<EndedSession> ended;
  for (const std::string& id : ids) ended.push_back(end(now, id, SessionEnd::kDeviceGone));
  return ended;
}

std::optional<core::Time> Signaling::next_expiry() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

const LiveSession* Signaling::session(std::string_view id) const {
  const auto found = sessions_.find(id);
  return found == sessions_.end() ? nullptr : &found->second;
}

}  // namespace ccsim::platform

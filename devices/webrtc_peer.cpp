#include "devices/webrtc_peer.h"

#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace ccsim::devices {

namespace {

using Json = nlohmann::json;

std::string dotted(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

// The answer a camera gives: one H.264 video stream it sends, and a data channel (PTZ).
constexpr std::string_view kAnswerSdp =
    "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\na=rtpmap:96 H264/90000\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:1\r\n";

std::string trickle(std::string_view session, const Json& candidate) {
  return Json{{"jsonrpc", "2.0"},
              {"method", "trickle"},
              {"params", {{"session", session}, {"candidate", candidate}}}}
      .dump();
}

}  // namespace

std::string candidate_line(const IceCandidate& candidate) {
  std::string line =
      "candidate:" + candidate.foundation + " " + std::to_string(candidate.component) + " udp " +
      std::to_string(candidate.priority()) + " " + dotted(candidate.address.address) + " " +
      std::to_string(candidate.address.port) + " typ " +
      std::string(candidate_type_name(candidate.type));
  if (candidate.type != CandidateType::kHost) {
    line += " raddr " + dotted(candidate.base.address) + " rport " +
            std::to_string(candidate.base.port);
  }
  return line;
}

std::vector<std::string> WebRtcPeer::candidate_lines() const {
  std::vector<IceCandidate> candidates(3);
  candidates[0].type = CandidateType::kHost;
  candidates[0].address = candidates[0].base = addresses_.host;
  candidates[1].type = CandidateType::kServerReflexive;
  candidates[1].address = addresses_.reflexive;
  candidates[1].base = addresses_.host;
  candidates[1].server = 1;
  candidates[2].type = CandidateType::kRelayed;
  candidates[2].address = addresses_.relayed;
  candidates[2].base = addresses_.reflexive;
  candidates[2].server = 2;
  assign_foundations(candidates);
  std::vector<std::string> lines;
  for (const IceCandidate& candidate : candidates) lines.push_back(candidate_line(candidate));
  return lines;
}

std::vector<std::string> WebRtcPeer::answer(const std::string& session,
                                            const std::string& id_text) {
  const Json id = Json::parse(id_text);
  const auto found = sessions_.find(session);
  if (found == sessions_.end() || found->second.answered) {
    ++metrics_.invites_refused;
    return {Json{{"jsonrpc", "2.0"},
                 {"id", id},
                 {"error", {{"code", -32005}, {"message", "no session awaiting an invite"}}}}
                .dump()};
  }
  found->second.answered = true;
  ++metrics_.invites_answered;
  std::vector<std::string> out;
  out.push_back(Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"answer", kAnswerSdp}}}}.dump());
  for (const std::string& line : candidate_lines()) {
    out.push_back(trickle(session, {{"candidate", line}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}}));
  }
  out.push_back(trickle(session, nullptr));
  return out;
}

std::vector<std::string> WebRtcPeer::on_signaling(std::string_view text) {
  const core::StrictJson parsed = text.size() <= kWebRtcPeerMessageBytesMax
                                      ? core::parse_json_strict(text)
                                      : core::StrictJson{{}, "too large", std::nullopt};
  const Json& message = parsed.value;
  if (!parsed.error.empty() || !message.is_object() || !message.contains("method") ||
      !message["method"].is_string() || !message.contains("params") ||
      !message["params"].is_object() || !message["params"].contains("session") ||
      !message["params"]["session"].is_string()) {
    ++metrics_.messages_malformed;
    return {};
  }
  const std::string method = message["method"].get<std::string>();
  const std::string session = message["params"]["session"].get<std::string>();
  if (method == "connect") {
    if (sessions_.size() >= kLiveSessionsPerDeviceMax) {
      ++metrics_.invites_refused;  // its invite finds no session and is refused
      return {};
    }
    sessions_.emplace(session, Session{});
    return {};
  }
  if (method == "invite" && message.contains("id")) return answer(session, message["id"].dump());
  if (method == "trickle") {
    const auto found = sessions_.find(session);
    if (found == sessions_.end()) return {};
    if (message["params"].contains("candidate") && message["params"]["candidate"].is_null()) {
      found->second.viewer_candidates_ended = true;
    } else {
      ++metrics_.candidates_received;
    }
    return {};
  }
  if (method == "error") {
    metrics_.sessions_ended += sessions_.erase(session);
    return {};
  }
  ++metrics_.messages_malformed;
  return {};
}

}  // namespace ccsim::devices

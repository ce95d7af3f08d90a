// The device's side of a live session (white paper 5.1): what a camera (or the recorder carrying
// a Tier-2 camera) answers to the platform's signaling, in platform/signaling.h's JSON-RPC shapes.
// Told of a session by "connect", it answers the relayed "invite" with an SDP answer as the
// request's result, then trickles its candidates (host, server-reflexive, relayed: RFC 8445
// priorities and foundations from ice_candidates.h, lines as RFC 8839 writes them) and the final
// empty one. An "error" from the platform ends the session. Sans-IO: texts in, texts out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "devices/ice_candidates.h"

namespace ccsim::devices {

// Sessions one device streams at once (its encoder's viewers); past it, an invite is refused.
inline constexpr std::size_t kLiveSessionsPerDeviceMax = 8;
inline constexpr std::size_t kWebRtcPeerMessageBytesMax = 48 * 1024;

// Where the device's candidates are: its LAN address, what its site's NAT maps it to, and its
// TURN allocation.
struct WebRtcAddresses {
  TransportAddress host;
  TransportAddress reflexive;
  TransportAddress relayed;
};

struct WebRtcPeerMetrics {
  std::uint64_t invites_answered = 0;
  std::uint64_t invites_refused = 0;      // past kLiveSessionsPerDeviceMax, or unknown session
  std::uint64_t candidates_received = 0;  // from viewers
  std::uint64_t sessions_ended = 0;
  std::uint64_t messages_malformed = 0;
};

class WebRtcPeer {
 public:
  explicit WebRtcPeer(WebRtcAddresses addresses) : addresses_(addresses) {}

  // What the device sends back for one signaling message: JSON-RPC texts, in order.
  std::vector<std::string> on_signaling(std::string_view text);

  std::size_t sessions_open() const { return sessions_.size(); }
  const WebRtcPeerMetrics& metrics() const { return metrics_; }
  // The candidates it trickles, as RFC 8839 lines.
  std::vector<std::string> candidate_lines() const;

 private:
  struct Session {
    bool answered = false;
    bool viewer_candidates_ended = false;
  };
  std::vector<std::string> answer(const std::string& session, const std::string& id_text);

  WebRtcAddresses addresses_;
  std::map<std::string, Session, std::less<>> sessions_;
  WebRtcPeerMetrics metrics_;
};

// RFC 8839 section 5.1's candidate-attribute value: "candidate:FOUNDATION COMPONENT udp PRIORITY
// ADDRESS PORT typ TYPE", with "raddr ADDRESS rport PORT" (its base) after a non-host type.
std::string candidate_line(const IceCandidate& candidate);

}  // namespace ccsim::devices

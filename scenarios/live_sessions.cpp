#include "scenarios/live_sessions.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>

#include "scenarios/model/fleet_layout.h"
#include "sim/nat_traversal.h"

namespace ccsim::scenarios {

namespace {

using Json = nlohmann::json;
using core::Duration;
using core::Time;

// What a viewer application offers: H.264 video received, a data channel for PTZ.
constexpr std::string_view kViewerOffer =
    "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=recvonly\r\na=rtpmap:96 H264/90000\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:1\r\n";
constexpr std::string_view kViewerCandidate =
    "candidate:1 1 udp 2130706431 192.168.1.20 54000 typ host";

// UDP and TCP on 3478, TLS on 443.
std::vector<std::string> turn_urls(const TurnServer& server) {
  const std::string host = turn_host(server);
  return {"turn:" + host + ":3478?transport=udp", "turn:" + host + ":3478?transport=tcp",
          "turns:" + host + ":443?transport=tcp"};
}

std::vector<platform::SignalingConfig> signaling_configs(
    const Scenario& scenario, const std::vector<TurnServer>& servers,
    const std::vector<std::string>& organization_ids, std::uint64_t seed) {
  std::vector<platform::SignalingConfig> configs;
  for (const std::string& region : platform_regions(scenario)) {
    platform::SignalingConfig config;
    config.region = region;
    config.turn_secret = "turn-secret-" + std::to_string(seed);
    config.stun_urls = {"stun:stun." + region + ".ccsim.test:3478"};
    for (const TurnServer& server : servers) {
      if (!server.organization.empty()) {
        const int organization = organization_index(scenario, server.organization);
        assert(organization >= 0 && "the loader checks the name");
        config.partner_turn.push_back(platform::PartnerTurn{
            organization_ids[static_cast<std::size_t>(organization)],
            "partner-secret-" + server.name + "-" + std::to_string(seed), turn_urls(server)});
      } else if (server.region == region) {
        for (std::string& url : turn_urls(server)) config.turn_urls.push_back(std::move(url));
      }
    }
    config.epoch = scenario.epoch;
    configs.push_back(std::move(config));
  }
  return configs;
}

sim::IceSide ice_side(const std::optional<NatConfig>& nat, const std::optional<Firewall>& wall) {
  return sim::IceSide{nat, wall.has_value() && wall->udp_blocked};
}

std::string request_text(std::string_view method, Json params, int id) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}
      .dump();
}

}  // namespace

LiveSessions::LiveSessions(Deployment& deployment, Driver& driver)
    : deployment_(deployment),
      driver_(driver),
      regions_(platform_regions(deployment.scenario)),
      servers_(turn_servers_with_defaults(deployment.scenario)),
      server_up_(servers_.size(), true),
      relay_bps_(servers_.size(), 0.0),
      at_site_(deployment.scenario.sites.size()) {
  if (!deployment_.control_plane) return;
  deployment_.platform.set_signaling(
      signaling_configs(deployment_.scenario, servers_, deployment_.tenants.organization_ids,
                        deployment_.seed),
      [this](Time now, const std::string& session, std::string text) {
        on_viewer_message(now, session, std::move(text));
      });
}

const Viewer& LiveSessions::viewer_of(const Session& session) const {
  static const Viewer kPublicViewer{};
  return session.viewer < 0
             ? kPublicViewer
             : deployment_.scenario.viewers[static_cast<std::size_t>(session.viewer)];
}

Duration LiveSessions::latency(const Session& session) const {
  return viewer_of(session).latency;
}

void LiveSessions::request(Time now, std::uint32_t device, int viewer, const Action& action,
                           const std::string& actor, int organization) {
  if (!deployment_.control_plane || sessions_.size() >= kLiveSessionsPerRunMax) {
    ++deployment_.actions.live_video_refused;
    return;
  }
  const auto index = static_cast<std::uint32_t>(sessions_.size());
  Session session;
  session.device = device;
  session.site = deployment_.layout.site_of_device[device];
  session.viewer = viewer;
  session.length = action.session_length;
  session.top_bps = action.bitrate_bps;
  session.ptz_commands = action.ptz_commands;
  session.requested = now;
  session.actor = actor;
  session.organization = organization;
  session.organization_id =
      deployment_.tenants.organization_ids[static_cast<std::size_t>(organization)];
  sessions_.push_back(std::move(session));
  driver_.at_platform(now + latency(sessions_.back()),
                      [this, index](Time at) { connect(at, index); });
  driver_.at_platform(now + kSessionSetupTimeout, [this, index](Time at) { give_up(at, index); });
}

std::string LiveSessions::send(Time now, const Session& session, const std::string& text) {
  platform::SignalingOutput output = deployment_.platform.viewer_signaling(
      now, session.region, session.actor, session.organization_id, text, out_);
  driver_.dispatch_platform(now, out_);
  return std::move(output.reply);
}

void LiveSessions::send_close(Time now, const Session& session) {
  (void)send(now, session, request_text("close", {{"session", session.id}}, 3));
}

// The viewer's connect reaches the device's region; its answer comes back a latency later, and
// the viewer's invite and candidates reach the platform a latency after that.
void LiveSessions::connect(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  const std::string serial = device_serial(session.device);
  if (const platform::DeviceConnection* record = deployment_.platform.find(serial)) {
    session.region = record->region;
  }
  const Json reply =
      Json::parse(send(now, session, request_text("connect", {{"peer", serial}}, 1)));
  if (!reply.contains("result")) {
    session.settled = true;
    ++deployment_.actions.live_video_refused;
    return;
  }
  ++deployment_.actions.live_video_granted;
  session.id = reply["result"]["session"].get<std::string>();
  by_id_.emplace(session.id, index);
  driver_.at_platform(now + 2 * latency(session), [this, index](Time at) { invite(at, index); });
}

void LiveSessions::invite(Time now, std::uint32_t index) {
  const Session& session = sessions_[index];
  if (!by_id_.contains(session.id)) return;  // given up, or ended by the platform
  (void)send(now, session,
             request_text("invite", {{"session", session.id}, {"offer", kViewerOffer}}, 2));
  const Json candidate = {{"candidate", kViewerCandidate}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}};
  for (const Json& c : {candidate, Json(nullptr)}) {
    (void)send(now, session,
               Json{{"jsonrpc", "2.0"},
                    {"method", "trickle"},
                    {"params", {{"session", session.id}, {"candidate", c}}}}
                   .dump());
  }
}

// From inside the platform node: the text reaches the viewer a latency later.
void LiveSessions::on_viewer_message(Time now, const std::string& session, std::string text) {
  const auto found = by_id_.find(session);
  if (found == by_id_.end()) return;
  const std::uint32_t index = found->second;
  driver_.at_platform(now + latency(sessions_[index]),
                      [this, index, text = std::move(text)](Time at) { deliver(at, index, text); });
}

void LiveSessions::deliver(Time now, std::uint32_t index, const std::string& text) {
  Session& session = sessions_[index];
  const Json message = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) return;
  if (message.contains("result") && message["result"].contains("answer")) {
    session.answered = true;
  } else if (message.value("method", "") == "trickle" && message.contains("params") &&
             message["params"].contains("candidate") && message["params"]["candidate"].is_null()) {
    session.device_candidates_ended = true;
  } else if (message.value("method", "") == "error" || message.contains("error")) {
    by_id_.erase(session.id);
    if (!session.settled) {
      give_up(now, index);
    } else if (session.running) {
      ++deployment_.live.ended_early;
      stop(now, index);
    }
    return;
  }
  if (session.answered && session.device_candidates_ended && !session.settled) {
    set_up(now, index);
  }
}

void LiveSessions::set_up(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  session.settled = true;
  const Site& site = deployment_.scenario.sites[session.site];
  const Viewer& viewer = viewer_of(session);
  const sim::IceTraversal ice =
      sim::traverse(ice_side(site.nat, site.firewall), ice_side(viewer.nat, viewer.firewall));
  const Duration between = 2 * (viewer.latency + site.uplink.latency);  // a round trip
  Duration checks = between * (ice.peer_reflexive_learnt > 0 ? 2 : 1);
  if (ice.outcome != sim::IceOutcome::kPeerToPeer) {
    session.relay = relay_for(session);
    if (session.relay < 0) {  // every relay it could use is down
      by_id_.erase(session.id);
      ++deployment_.live.failed;
      send_close(now, session);
      return;
    }
    session.tcp = ice.outcome == sim::IceOutcome::kRelayedTcp;
    checks = relay_setup(session);
  }
  LiveSessionCounters& live = deployment_.live;
  ++(session.relay < 0 ? live.peer_to_peer : session.tcp ? live.relayed_tcp : live.relayed_udp);
  live.setup_us.add(static_cast<std::uint64_t>((now - session.requested + checks).count()));
  session.closes_at = now + checks + session.length;
  driver_.at_platform(session.closes_at, [this, index](Time at) { close(at, index); });
  start_media(now + checks, index);
  keep_alive(now, index);
}

// The viewer extends its session a while before each expiry, as long as it still watches.
void LiveSessions::keep_alive(Time now, std::uint32_t index) {
  const Session& session = sessions_[index];
  const Time next = now + platform::kSessionExpiryDefault - kExtendAhead;
  if (!by_id_.contains(session.id) || next >= session.closes_at) return;
  driver_.at_platform(next, [this, index](Time at) {
    const Session& s = sessions_[index];
    if (!by_id_.contains(s.id)) return;
    (void)send(at, s, request_text("extend", {{"session", s.id}}, 4));
    keep_alive(at, index);
  });
}

// No answer in time (or the platform ended the session first): the viewer stops waiting and
// closes what it opened, so its seat comes back.
void LiveSessions::give_up(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  if (session.settled) return;
  session.settled = true;
  ++deployment_.live.failed;
  if (!by_id_.contains(session.id)) return;
  by_id_.erase(session.id);
  send_close(now, session);
}

void LiveSessions::close(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  if (!by_id_.contains(session.id)) return;  // the platform ended it first
  by_id_.erase(session.id);
  stop(now, index);
  send_close(now, session);
}

}  // namespace ccsim::scenarios

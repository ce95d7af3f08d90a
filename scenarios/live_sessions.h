// Live video sessions played on a driver (white paper 5.1): a viewer at a client site (a scenario
// viewer, with its own NAT and firewall) asks the platform's signaling service of the device's
// region for a session, sends its offer and candidates, and gets the device's answer and
// candidates back through the platform; the signaling to and from the device crosses the
// simulated network over the device's own websocket, the viewer's side crosses its latency.
// Once the viewer has the answer and the device's last candidate, ICE runs through both sites'
// NATs (sim/nat_traversal.h) and the session is set up peer-to-peer, relayed over UDP, or relayed
// over TCP/TLS; it lasts its length, then the viewer closes it.
//
// Set-up time is the signaling as simulated, then ICE's own round trips as a model of what the
// checks cost (docs/NAT_TRAVERSAL.md): a round of checks is one round trip between the sites,
// a second round when a peer-reflexive candidate had to be learnt; a relay first needs its TURN
// allocation (two round trips to the region: the 401 challenge, then the allocation), and TCP/TLS
// on 443 two more (TCP's handshake and TLS 1.3's).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/node.h"
#include "scenarios/deployment.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/turn_servers.h"

namespace ccsim::scenarios {

// How long a viewer waits for the device's answer and candidates before it gives up (failed).
inline constexpr core::Duration kSessionSetupTimeout = std::chrono::seconds(30);
// How long before its session's expiry a viewer sends extend.
inline constexpr core::Duration kExtendAhead = std::chrono::seconds(60);
// Sessions one run may ask for.
inline constexpr std::size_t kLiveSessionsPerRunMax = 1'000'000;
// RFC 7675 section 5.1: consent expires 30 s after the last answered check; a side then stops
// sending (a camera whose viewer's mapping has gone; a viewer whose relay has gone, which then
// restarts ICE).
inline constexpr core::Duration kConsentTimeout = std::chrono::seconds(30);
// The bitrates a camera's stream steps between: its stream profile's, then half of it, and so on
// (a simulcast or SVC ladder); the last is the floor it keeps however narrow the path.
inline constexpr int kBitrateRungs = 4;
// How often a sender whose path has room again tries the next rung up (a congestion controller's
// probing; it steps down at once when the path narrows).
inline constexpr core::Duration kBitrateProbeInterval = std::chrono::seconds(5);

class LiveSessions {
 public:
  // Gives the platform node a signaling service per region (with a control plane only).
  LiveSessions(Deployment& deployment, Driver& driver);
  LiveSessions(const LiveSessions&) = delete;
  LiveSessions& operator=(const LiveSessions&) = delete;

  // From a platform callback: `actor` of `organization` (an index into the scenario's) asks for
  // live video of `device` from viewer `viewer` (an index into the scenario's viewers; -1: a
  // viewer with a public address).
  void request(core::Time now, std::uint32_t device, int viewer, const Action& action,
               const std::string& actor, int organization);

  // From a platform callback: these sites' uplink bandwidth has changed (a throttle began or
  // ended); the streams from them step down, or start probing up.
  void uplinks_changed(core::Time now, const std::vector<std::uint32_t>& sites);
  // From a platform callback: TURN server `name` goes down, or comes back.
  void set_turn_server_up(core::Time now, const std::string& name, bool up);

 private:
  struct Session {
    std::uint32_t device = 0;
    std::uint32_t site = 0;
    int viewer = -1;
    core::Duration length{};
    double top_bps = 0;  // the stream profile's bitrate
    int rung = 0;        // the stream's rung now: top_bps / 2^rung
    bool probing = false;
    int relay = -1;  // the TURN server carrying it, an index into servers_; -1: peer-to-peer
    bool relay_gone = false;  // its relay went down: no media until ICE restarts elsewhere
    bool tcp = false;
    bool running = false;  // set up, media flowing or about to, not yet ended
    core::Time requested{};
    core::Time media_from{};
    std::string actor;
    int organization = -1;        // the scenario's
    std::string organization_id;  // the platform's
    std::string id;               // once connected
    std::uint32_t region = 0;
    bool answered = false;
    bool device_candidates_ended = false;
    bool settled = false;        // refused, set up or failed
    std::uint32_t restarts = 0;  // ICE restarts onto another relay
    std::uint32_t ptz_commands = 0;
    std::uint32_t ptz_sent = 0;
    core::Time closes_at{};
  };

  // --- live_sessions.cpp: the signaling from request to set-up, and the close
  core::Duration latency(const Session& session) const;
  const Viewer& viewer_of(const Session& session) const;
  void connect(core::Time now, std::uint32_t index);
  void invite(core::Time now, std::uint32_t index);
  void close(core::Time now, std::uint32_t index);
  void keep_alive(core::Time now, std::uint32_t index);
  void on_viewer_message(core::Time now, const std::string& session, std::string text);
  void deliver(core::Time now, std::uint32_t index, const std::string& text);
  void set_up(core::Time now, std::uint32_t index);
  void give_up(core::Time now, std::uint32_t index);
  std::string send(core::Time now, const Session& session, const std::string& text);
  void send_close(core::Time now, const Session& session);

  // --- live_media.cpp: what a set-up session carries, and through which relay
  // The first server of the session's list (its organization's partners', then its region's)
  // that is up, other than `not_this`; -1 when none is.
  int relay_for(const Session& session, int not_this = -1) const;
  const std::string& organization_name(const Session& session) const;
  // Media starts flowing at `at`: the session counts on its site's uplink and its relay.
  void start_media(core::Time at, std::uint32_t index);
  // A set-up session stops carrying media (closed, lost, or ended by the platform).
  void stop(core::Time now, std::uint32_t index);
  // The viewer's NAT mapping lapses when its keepalives are sparser than the mapping's timeout.
  void watch_mapping(std::uint32_t index);
  // The session's media is gone for good: the viewer closes it.
  void lose(core::Time now, std::uint32_t index);
  // The session's relay went down: after consent lapses, ICE restarts on the next one.
  void restart_ice(core::Time now, std::uint32_t index, core::Time lost_at);
  // What ICE costs a relayed session once both sides have their candidates: the allocation's two
  // round trips to the relay (TCP/TLS: two more), then a round of checks between the sites.
  core::Duration relay_setup(const Session& session) const;
  double bitrate_bps(const Session& session) const;
  void carry(const Session& session, double sign);
  void set_rung(core::Time now, std::uint32_t index, int rung);
  int fitting_rung(const Session& session, double share_bps) const;
  void fit(core::Time now, std::uint32_t site);
  void probe(core::Time now, std::uint32_t index);
  // The viewer's next PTZ command, the k-th of n at media start + k * length / (n + 1).
  void schedule_ptz(std::uint32_t index);
  void send_ptz(std::uint32_t index);

  Deployment& deployment_;
  Driver& driver_;
  std::vector<Session> sessions_;
  std::map<std::string, std::uint32_t, std::less<>> by_id_;
  std::vector<std::string> regions_;  // the platform's, by the index sessions keep
  std::vector<TurnServer> servers_;
  std::vector<bool> server_up_;                      // by server
  std::vector<double> relay_bps_;                    // by server: what it carries now
  std::vector<std::vector<std::uint32_t>> at_site_;  // by site: its running sessions
  core::Outbox out_;  // the platform side's, for what these sessions make the platform send
};

}  // namespace ccsim::scenarios

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

namespace ccsim::scenarios {

// How long a viewer waits for the device's answer and candidates before it gives up (failed).
inline constexpr core::Duration kSessionSetupTimeout = std::chrono::seconds(30);
// How long before its session's expiry a viewer sends extend.
inline constexpr core::Duration kExtendAhead = std::chrono::seconds(60);
// Sessions one run may ask for.
inline constexpr std::size_t kLiveSessionsPerRunMax = 1'000'000;

class LiveSessions {
 public:
  // Gives the platform node a signaling service per region (with a control plane only).
  LiveSessions(Deployment& deployment, Driver& driver);
  LiveSessions(const LiveSessions&) = delete;
  LiveSessions& operator=(const LiveSessions&) = delete;

  // From a platform callback: `actor` of `organization` asks for live video of `device` from
  // viewer `viewer` (an index into the scenario's viewers; -1: a viewer with a public address).
  void request(core::Time now, std::uint32_t device, int viewer, const Action& action,
               const std::string& actor, const std::string& organization);

 private:
  struct Session {
    std::uint32_t device = 0;
    int viewer = -1;
    core::Duration length{};
    double bitrate_bps = 0;
    bool relayed = false;
    bool running = false;  // set up, not yet ended
    core::Time requested{};
    std::string actor;
    std::string organization;
    std::string id;  // once connected
    std::uint32_t region = 0;
    bool answered = false;
    bool device_candidates_ended = false;
    bool settled = false;  // refused, set up or failed
    core::Time closes_at{};
  };

  core::Duration latency(const Session& session) const;
  void connect(core::Time now, std::uint32_t index);
  void invite(core::Time now, std::uint32_t index);
  void close(core::Time now, std::uint32_t index);
  void keep_alive(core::Time now, std::uint32_t index);
  void on_viewer_message(core::Time now, const std::string& session, std::string text);
  void deliver(core::Time now, std::uint32_t index, const std::string& text);
  void set_up(core::Time now, std::uint32_t index);
  void give_up(core::Time now, std::uint32_t index);
  // A set-up session stops carrying media (closed, or ended by the platform).
  void stop(std::uint32_t index);
  std::string send(core::Time now, const Session& session, const std::string& text);

  Deployment& deployment_;
  Driver& driver_;
  std::vector<Session> sessions_;
  std::map<std::string, std::uint32_t, std::less<>> by_id_;
  std::vector<double> relay_bps_;  // by region: what its relay carries now
  std::uint64_t running_ = 0;
  core::Outbox out_;  // the platform side's, for what these sessions make the platform send
};

}  // namespace ccsim::scenarios

// What a set-up live session carries (LiveSessions' second half): its stream on the camera
// site's uplink, stepping between the rungs of its bitrate ladder as the uplink's share allows;
// through which TURN server when relayed, and what happens when that one goes down; and whether
// the viewer's keepalives hold its NAT mapping for the session's length.
#include <algorithm>
#include <cassert>

#include "scenarios/live_sessions.h"
#include "sim/nat_traversal.h"

namespace ccsim::scenarios {

using core::Duration;
using core::Time;

const std::string& LiveSessions::organization_name(const Session& session) const {
  return deployment_.scenario.organizations[static_cast<std::size_t>(session.organization)].name;
}

int LiveSessions::relay_for(const Session& session, int not_this) const {
  int platform_server = -1;
  for (int i = 0; i < static_cast<int>(servers_.size()); ++i) {
    if (i == not_this || !server_up_[static_cast<std::size_t>(i)]) continue;
    const TurnServer& server = servers_[static_cast<std::size_t>(i)];
    if (!server.organization.empty()) {
      if (server.organization == organization_name(session)) return i;  // a partner's first
    } else if (platform_server < 0 && server.region == regions_[session.region]) {
      platform_server = i;
    }
  }
  return platform_server;
}

Duration LiveSessions::relay_setup(const Session& session) const {
  const Site& site = deployment_.scenario.sites[session.site];
  const Duration viewer = viewer_of(session).latency;
  const Duration to_relay = 2 * std::max(viewer, site.uplink.latency);
  return (session.tcp ? 4 : 2) * to_relay + 2 * (viewer + site.uplink.latency);
}

double LiveSessions::bitrate_bps(const Session& session) const {
  return session.top_bps / static_cast<double>(1 << session.rung);
}

// The relay carries the stream twice: in from one side, out to the other.
void LiveSessions::carry(const Session& session, double sign) {
  if (session.relay < 0 || session.relay_gone) return;
  const auto relay = static_cast<std::size_t>(session.relay);
  relay_bps_[relay] += sign * 2 * bitrate_bps(session);
  const bool platform_server = servers_[relay].organization.empty();
  if (platform_server) deployment_.live.relay_bps += sign * 2 * bitrate_bps(session);
  double& peak =
      platform_server ? deployment_.live.relay_peak_bps : deployment_.live.partner_relay_peak_bps;
  peak = std::max(peak, relay_bps_[relay]);
}

int LiveSessions::fitting_rung(const Session& session, double share_bps) const {
  for (int rung = 0; rung < kBitrateRungs; ++rung) {
    if (session.top_bps / static_cast<double>(1 << rung) <= share_bps) return rung;
  }
  return kBitrateRungs - 1;
}

// The stream of a running session runs at `rung` from `now` on.
void LiveSessions::set_rung(Time now, std::uint32_t index, int rung) {
  Session& session = sessions_[index];
  carry(session, -1);
  const double before = bitrate_bps(session);
  session.rung = rung;
  deployment_.uplinks.change(session.site, now, bitrate_bps(session) - before);
  carry(session, +1);
  double& lowest = deployment_.live.bitrate_lowest_bps;
  if (lowest == 0 || bitrate_bps(session) < lowest) lowest = bitrate_bps(session);
}

// Every stream from `site` gets an equal share of its uplink: one that no longer fits steps down
// at once to the rung that does; one with room probes up a rung at a time.
void LiveSessions::fit(Time now, std::uint32_t site) {
  const std::vector<std::uint32_t>& running = at_site_[site];
  if (running.empty()) return;
  const double share = driver_.uplink_bps(site) / static_cast<double>(running.size());
  for (const std::uint32_t index : running) {
    Session& session = sessions_[index];
    const int rung = fitting_rung(session, share);
    if (rung > session.rung) {
      deployment_.live.bitrate_step_downs += static_cast<std::uint64_t>(rung - session.rung);
      set_rung(now, index, rung);
    } else if (rung < session.rung && !session.probing) {
      session.probing = true;
      driver_.at_platform(now + kBitrateProbeInterval,
                          [this, index](Time at) { probe(at, index); });
    }
  }
}

void LiveSessions::probe(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  session.probing = false;
  if (!session.running) return;
  const double share =
      driver_.uplink_bps(session.site) / static_cast<double>(at_site_[session.site].size());
  if (fitting_rung(session, share) >= session.rung) return;
  ++deployment_.live.bitrate_step_ups;
  set_rung(now, index, session.rung - 1);
  if (fitting_rung(session, share) < session.rung) {
    session.probing = true;
    driver_.at_platform(now + kBitrateProbeInterval, [this, index](Time at) { probe(at, index); });
  }
}

void LiveSessions::uplinks_changed(Time now, const std::vector<std::uint32_t>& sites) {
  for (const std::uint32_t site : sites) fit(now, site);
}

void LiveSessions::start_media(Time at, std::uint32_t index) {
  Session& session = sessions_[index];
  assert(!session.running);
  session.running = true;
  session.media_from = at;
  LiveSessionCounters& live = deployment_.live;
  live.concurrent_peak = std::max(live.concurrent_peak, ++live.running);
  std::vector<std::uint32_t>& running = at_site_[session.site];
  running.push_back(index);
  const int rung =
      fitting_rung(session, driver_.uplink_bps(session.site) / static_cast<double>(running.size()));
  session.rung = 0;  // nothing carried yet: set_rung moves from here
  deployment_.uplinks.change(session.site, at, bitrate_bps(session));
  carry(session, +1);
  set_rung(at, index, rung);
  fit(at, session.site);
  watch_mapping(index);
  schedule_ptz(index);
}

void LiveSessions::schedule_ptz(std::uint32_t index) {
  const Session& session = sessions_[index];
  if (session.ptz_sent >= session.ptz_commands) return;
  const Duration length = session.closes_at - session.media_from;
  const Time at = session.media_from + length * (session.ptz_sent + 1) / (session.ptz_commands + 1);
  driver_.at_platform(at, [this, index](Time) { send_ptz(index); });
}

// A command and its answer cross the viewer's way and the camera site's uplink each way, directly
// or through the relay in the region (whose latencies are the same two); a relay that is down
// answers nothing.
void LiveSessions::send_ptz(std::uint32_t index) {
  Session& session = sessions_[index];
  if (!session.running) return;
  ++session.ptz_sent;
  if (session.relay_gone) {
    ++deployment_.live.ptz_unanswered;
  } else {
    const Duration round_trip = 2 * (latency(session) + driver_.uplink_latency(session.site));
    deployment_.live.ptz_round_trip_us.add(static_cast<std::uint64_t>(round_trip.count()));
  }
  schedule_ptz(index);
}

void LiveSessions::stop(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  if (!session.running) return;
  session.running = false;
  assert(deployment_.live.running > 0);
  --deployment_.live.running;
  carry(session, -1);
  deployment_.uplinks.change(session.site, now, -bitrate_bps(session));
  std::vector<std::uint32_t>& running = at_site_[session.site];
  running.erase(std::find(running.begin(), running.end(), index));
  if (now > session.media_from) {
    deployment_.live.keepalives +=
        static_cast<std::uint64_t>((now - session.media_from) / viewer_of(session).keepalive);
  }
  fit(now, session.site);
}

// The viewer only receives: its keepalives are all that refresh its NAT mapping (towards the
// camera, or towards the relay). When they are sparser than the mapping's timeout it lapses, and
// the camera's media goes to a port that is no longer there until the next keepalive makes a new
// mapping. A NAT that preserves ports gives the new one the same port, so the media comes back
// after a gap; one that does not gives another, which the camera does not know. The camera's
// consent checks go unanswered meanwhile, and 30 s on it stops (RFC 7675): the session is lost.
void LiveSessions::watch_mapping(std::uint32_t index) {
  const Session& session = sessions_[index];
  const Viewer& viewer = viewer_of(session);
  if (!viewer.nat) return;
  const Duration timeout = session.tcp ? viewer.nat->tcp_timeout : viewer.nat->udp_timeout;
  if (sim::keepalives_hold(viewer.keepalive, timeout)) return;
  const Duration gap = viewer.keepalive - timeout;
  const Duration length = session.closes_at - session.media_from;
  if (viewer.nat->port_preservation && gap < kConsentTimeout) {
    // Lapses at timeout, timeout + keepalive, ... before the session closes.
    if (length > timeout) {
      deployment_.live.media_gaps +=
          static_cast<std::uint64_t>((length - timeout - Duration(1)) / viewer.keepalive + 1);
    }
    return;
  }
  if (timeout + kConsentTimeout >= length) return;
  driver_.at_platform(session.media_from + timeout + kConsentTimeout,
                      [this, index](Time at) { lose(at, index); });
}

void LiveSessions::lose(Time now, std::uint32_t index) {
  Session& session = sessions_[index];
  if (!session.running || !by_id_.contains(session.id)) return;
  by_id_.erase(session.id);
  ++deployment_.live.lost;
  stop(now, index);
  send_close(now, session);
}

void LiveSessions::set_turn_server_up(Time now, const std::string& name, bool up) {
  const auto found = std::find_if(servers_.begin(), servers_.end(),
                                  [&](const TurnServer& server) { return server.name == name; });
  assert(found != servers_.end() && "the loader checks the name");
  const auto server = static_cast<int>(found - servers_.begin());
  server_up_[static_cast<std::size_t>(server)] = up;
  if (up) return;
  for (std::uint32_t index = 0; index < sessions_.size(); ++index) {
    Session& session = sessions_[index];
    if (!session.running || session.relay != server || session.relay_gone) continue;
    carry(session, -1);
    session.relay_gone = true;
    driver_.at_platform(now + kConsentTimeout,
                        [this, index, now](Time at) { restart_ice(at, index, now); });
  }
}

// The viewer restarts ICE (a new offer through signaling, new candidates): the next relay of
// its list that is up carries the session once its allocation and checks are done.
void LiveSessions::restart_ice(Time now, std::uint32_t index, Time lost_at) {
  Session& session = sessions_[index];
  if (!session.running || !session.relay_gone) return;
  const int next = relay_for(session, session.relay);
  if (next < 0) return lose(now, index);
  const Duration signaling =
      2 * (latency(session) + deployment_.scenario.sites[session.site].uplink.latency);
  session.relay = next;
  session.relay_gone = false;
  carry(session, +1);
  ++session.restarts;
  ++deployment_.live.relay_restarts;
  deployment_.live.interruption_us.add(
      static_cast<std::uint64_t>((now + signaling + relay_setup(session) - lost_at).count()));
}

}  // namespace ccsim::scenarios

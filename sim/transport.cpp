// The segments of devices' connections, as TCP carries them (scenarios/model/tcp_transport.h):
// each transmission crosses the site's NAT and meets the uplink's loss and partitions; a lost
// one is sent again after the connection's retransmission timeout, doubling, and the segments
// sent after it wait behind it; one lost too often resets the connection at its sender's end,
// whose RST tells the other end unless it is lost too. What gets through is carried by one of
// two lanes: the fast lane puts its arrival in the driver's queue at the time Paths gives it, the
// exact lane hands it to SimGrid.
#include <algorithm>
#include <cassert>

#include "sim/world.h"

namespace ccsim::sim {
namespace {

using core::Time;
using scenarios::Verdict;

// A drop's cause in the trace: Verdict's values, then these.
constexpr std::uint64_t kDroppedByNat = 3;
constexpr std::uint64_t kDroppedClosed = 4;
static_assert(static_cast<std::uint64_t>(Verdict::kPartitioned) < kDroppedByNat);

std::uint8_t bit(End end) {
  return static_cast<std::uint8_t>(1U << end);
}

}  // namespace

std::uint32_t SegmentTable::take() {
  std::uint32_t slot = 0;
  if (free_.empty()) {
    assert(slots_.size() < kSegmentsMax && "segments in flight have no bound");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  Segment& segment = slots_[slot];
  assert(!segment.in_use);
  segment.in_use = true;
  segment.retransmissions = 0;
  segment.arrived = false;
  return slot;
}

void SegmentTable::free(std::uint32_t slot) {
  Segment& segment = slots_[slot];
  assert(segment.in_use && "a segment freed twice");
  segment.in_use = false;
  ++segment.generation;
  segment.frame.clear();  // keeps its buffer for the next frame
  free_.push_back(slot);
}

void SimulatedDriver::World::send(std::uint32_t agent, std::string& frame, bool upstream,
                                  SegmentKind kind) {
  if (kind == SegmentKind::kFrame) {
    ++counters.messages_sent;
    counters.bytes_sent += frame.size();
    if (upstream) upstream_bytes[site_of(agent)] += frame.size();
  }
  const std::uint32_t slot = segments.take();
  Segment& segment = segments[slot];
  segment.frame.swap(frame);
  segment.agent = agent;
  segment.upstream = upstream;
  segment.kind = kind;
  Connection& connection = connections[agent];
  segment.receiver_socket = connection.socket[receiver_of(upstream)];
  const End sender = sender_of(upstream);
  if ((connection.stalled & bit(sender)) != 0) {
    stalls[way_key(agent, sender)].push_back(slot);  // behind the lost one
    return;
  }
  switch (transmit(slot)) {
    case Transmission::kCarried:
      break;
    case Transmission::kLost:
      connection.stalled |= bit(sender);
      stalls[way_key(agent, sender)].push_back(slot);
      retry(slot);
      break;
    case Transmission::kReset:
      segments.free(slot);
      reset(agent, kAgentEnd);
      break;
  }
}

// The agent closed its end: its close follows what it sent before (in order, and sent again if
// lost, as a FIN is), and nothing more reaches its socket.
void SimulatedDriver::World::close_agent_end(std::uint32_t agent) {
  std::string none;
  send(agent, none, true, SegmentKind::kClose);
  Connection& connection = connections[agent];
  ++connection.socket[kAgentEnd];
  connection.open = false;
  const auto waiting = stalls.find(way_key(agent, kPlatformEnd));
  if (waiting == stalls.end()) return;
  for (std::uint32_t slot : waiting->second) segments.free(slot);
  stalls.erase(waiting);
  connection.stalled &= static_cast<std::uint8_t>(~bit(kPlatformEnd));
}

// One transmission of a segment: through its site's NAT, then the uplink's partitions and loss.
// A NAT that forgot the connection resets it when the device sends on it (only a SYN makes a
// mapping); when the platform sends, it drops the segment as the link would.
Transmission SimulatedDriver::World::transmit(std::uint32_t slot) {
  Segment& segment = segments[slot];
  const std::uint32_t site = site_of(segment.agent);
  std::uint64_t cause = 0;
  if (Nat* nat = gateways.nat(site); nat != nullptr) {
    const Crossing crossing = gateways.cross(now, segment.agent, *nat, segment.upstream);
    if (crossing != Crossing::kPass) {
      ++counters.messages_dropped_nat;
      fleet.trace.record(now, core::TraceEvent::kDrop, segment.agent, kDroppedByNat,
                         segment.upstream);
      if (crossing == Crossing::kReset) {
        ++counters.connections_reset_nat;
        return Transmission::kReset;
      }
      return Transmission::kLost;
    }
  }
  const Verdict verdict = network.judge(site, segment.upstream, connections[segment.agent].region);
  if (verdict == Verdict::kDeliver) {
    carry(slot);
    return Transmission::kCarried;
  }
  ++(verdict == Verdict::kLost ? counters.messages_dropped_loss
                               : counters.messages_dropped_partition);
  cause = static_cast<std::uint64_t>(verdict);
  fleet.trace.record(now, core::TraceEvent::kDrop, segment.agent, cause, segment.upstream);
  return Transmission::kLost;
}

// A transmission got through: the fast lane schedules its arrival, in order after the one before
// it; the exact lane hands it to SimGrid (after its jitter, when a jitter fault holds).
void SimulatedDriver::World::carry(std::uint32_t slot) {
  Segment& segment = segments[slot];
  const std::uint32_t site = site_of(segment.agent);
  const std::uint64_t bytes = segment.frame.size() + scenarios::kWireOverheadBytes;
  Connection& connection = connections[segment.agent];
  const End sender = sender_of(segment.upstream);
  segment.carried_at = now;
  const Duration jitter = paths.jitter(site);
  const Duration extra = jitter > Duration::zero()
                             ? Duration(static_cast<std::int64_t>(jitter_random.next_below(
                                   static_cast<std::uint64_t>(jitter.count()))))
                             : Duration::zero();
  const std::uint32_t region = connection.region;
  if (!exact) {
    const Duration way = paths.one_way(site, bytes, segment.upstream, region) + extra;
    // Karn's algorithm: only a segment sent once measures the round trip (its ACK comes back at
    // the path's latency).
    if (segment.retransmissions == 0) connection.rto.sample(way + paths.latency(site, region));
    Time& last = connection.arrival[sender];
    last = std::max(last, now + way);
    queue.push(last, EventKind::kArrival, slot, segment.generation);
    return;
  }
  exact_order[way_key(segment.agent, sender)].push_back(slot);
  // SimGrid's route is the uplink and the region's backbone; the way across to another region
  // and the jitter are waited out before it starts.
  const Duration before = extra + paths.crossing(site, region);
  if (before > Duration::zero()) {
    queue.push(now + before, EventKind::kExactSend, slot, segment.generation);
  } else {
    start_exact(slot);
  }
}

// A segment was lost: it is sent again after the backed-off RTO; after the last retransmission
// allowed, its sender waits once more, then gives up.
void SimulatedDriver::World::retry(std::uint32_t slot) {
  Segment& segment = segments[slot];
  const std::uint32_t retransmission = ++segment.retransmissions;
  queue.push(now + connections[segment.agent].rto.backoff(retransmission), EventKind::kRetransmit,
             slot, segment.generation);
}

void SimulatedDriver::World::on_retransmit(std::uint32_t slot, std::uint32_t generation) {
  if (!segments.holds(slot, generation)) return;  // its connection was reset meanwhile
  const std::uint32_t agent = segments[slot].agent;
  const End sender = sender_of(segments[slot].upstream);
  if (segments[slot].retransmissions > scenarios::kRetransmissionsMax) {
    ++counters.connections_reset_retransmissions;
    reset(agent, sender);
    return;
  }
  ++counters.retransmissions;
  switch (transmit(slot)) {
    case Transmission::kCarried:
      release_followers(agent, sender);
      break;
    case Transmission::kLost:
      retry(slot);
      break;
    case Transmission::kReset:
      reset(agent, kAgentEnd);
      break;
  }
}

// The lost segment at the head of a way got through: those behind it go now, in order, until one
// of them is lost in turn and holds the rest.
void SimulatedDriver::World::release_followers(std::uint32_t agent, End sender) {
  const auto found = stalls.find(way_key(agent, sender));
  assert(found != stalls.end() && !found->second.empty());
  std::deque<std::uint32_t>& waiting = found->second;
  waiting.pop_front();  // the one that got through
  while (!waiting.empty()) {
    const std::uint32_t next = waiting.front();
    const Transmission transmission = transmit(next);
    if (transmission == Transmission::kLost) {
      retry(next);
      return;
    }
    waiting.pop_front();
    if (transmission == Transmission::kReset) {
      segments.free(next);
      reset(agent, kAgentEnd);
      return;
    }
  }
  stalls.erase(found);
  connections[agent].stalled &= static_cast<std::uint8_t>(~bit(sender));
}

void SimulatedDriver::World::on_arrival(std::uint32_t slot, std::uint32_t generation) {
  assert(segments.holds(slot, generation) && "a segment in flight is freed only at its arrival");
  (void)generation;
  Segment& segment = segments[slot];
  const std::uint32_t agent = segment.agent;
  const bool upstream = segment.upstream;
  const Connection& connection = connections[agent];
  if (segment.receiver_socket != connection.socket[receiver_of(upstream)]) {
    if (segment.kind == SegmentKind::kFrame) {
      ++counters.messages_dropped_closed;
      fleet.trace.record(now, core::TraceEvent::kDrop, agent, kDroppedClosed, upstream);
    }
    segments.free(slot);
    return;
  }
  if (segment.kind == SegmentKind::kClose) {
    segments.free(slot);
    platform_end_closed(agent, connection.socket[kPlatformEnd]);
    return;
  }
  ++counters.messages_delivered;
  ++events_handled;
  fleet.trace.record_frame(now, core::TraceEvent::kDeliver, agent, upstream, segment.frame);
  if (upstream) {
    fleet.platform.on_frame(now, agent, segment.frame, out);
    segments.free(slot);
    dispatch_platform(out);
  } else {
    fleet.agents[agent].on_frame(now, segment.frame, out);
    segments.free(slot);
    dispatch_agent(agent, out);
  }
}

// SimGrid delivered an exact-lane segment: it arrives now, once every segment sent before it on
// its way has.
void SimulatedDriver::World::on_exact_arrival(std::uint32_t slot) {
  Segment& segment = segments[slot];
  segment.arrived = true;
  if (segment.retransmissions == 0) {
    connections[segment.agent].rto.sample(
        now - segment.carried_at +
        paths.latency(site_of(segment.agent), connections[segment.agent].region));
  }
  const auto found = exact_order.find(way_key(segment.agent, sender_of(segment.upstream)));
  assert(found != exact_order.end());
  std::deque<std::uint32_t>& in_order = found->second;
  while (!in_order.empty() && segments[in_order.front()].arrived) {
    const std::uint32_t next = in_order.front();
    queue.push(now, EventKind::kArrival, next, segments[next].generation);
    in_order.pop_front();
  }
  if (in_order.empty()) exact_order.erase(found);
}

// End `gone` of `agent`'s connection gives up on it: that end closes now, and its RST, one segment
// never sent again, closes the other end one way later unless it is lost. A NAT does not stop an
// RST here: the platform must learn that a device it can no longer reach has gone.
void SimulatedDriver::World::reset(std::uint32_t agent, End gone) {
  clear_stalls(agent);
  const Connection& connection = connections[agent];
  const std::uint32_t site = site_of(agent);
  const bool upstream = gone == kAgentEnd;
  if (upstream) {
    queue.push(now, EventKind::kConnectionLost, agent, connection.socket[kAgentEnd]);
  } else {
    queue.push(now, EventKind::kPlatformEndClosed, agent, connection.socket[kPlatformEnd]);
  }
  if (network.judge(site, upstream, connection.region) != Verdict::kDeliver) return;
  const Time at =
      now + paths.one_way(site, scenarios::kWireOverheadBytes, upstream, connection.region);
  if (upstream) {
    queue.push(at, EventKind::kPlatformEndClosed, agent, connection.socket[kPlatformEnd]);
  } else {
    queue.push(at, EventKind::kConnectionLost, agent, connection.socket[kAgentEnd]);
  }
}

void SimulatedDriver::World::clear_stalls(std::uint32_t agent) {
  Connection& connection = connections[agent];
  if (connection.stalled == 0) return;
  for (End sender : {kAgentEnd, kPlatformEnd}) {
    const auto found = stalls.find(way_key(agent, sender));
    if (found == stalls.end()) continue;
    for (std::uint32_t slot : found->second) segments.free(slot);
    stalls.erase(found);
  }
  connection.stalled = 0;
}

// The agent's end closed (a reset, or a connection that could not open): the agent hears of it,
// unless that end has been closed or opened again since.
void SimulatedDriver::World::agent_end_closed(std::uint32_t agent, std::uint16_t socket) {
  Connection& connection = connections[agent];
  if (socket != connection.socket[kAgentEnd]) return;
  ++connection.socket[kAgentEnd];
  connection.open = false;
  fleet.agents[agent].on_disconnected(now, out);
  dispatch_agent(agent, out);
}

void SimulatedDriver::World::platform_end_closed(std::uint32_t agent, std::uint16_t socket) {
  Connection& connection = connections[agent];
  if (socket != connection.socket[kPlatformEnd]) return;
  ++connection.socket[kPlatformEnd];
  fleet.platform.on_connection_closed(now, agent);
}

}  // namespace ccsim::sim

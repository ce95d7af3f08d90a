// Inside the simulated driver (sim/ only): what it keeps for one run and the pieces it is made
// of. simulated_driver.cpp holds the run loop, the nodes' side and the SimGrid side (hosts,
// links, bulk flows); transport.cpp holds what happens to each segment of a device's connection.
#pragma once

#include <simgrid/s4u.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "scenarios/model/driver.h"
#include "scenarios/model/network_conditions.h"
#include "scenarios/model/progress_line.h"
#include "scenarios/model/tcp_transport.h"
#include "sim/event_queue.h"
#include "sim/paths.h"
#include "sim/simulated_driver.h"
#include "sim/site_gateways.h"

namespace ccsim::sim {

namespace sg4 = simgrid::s4u;

// How long a device waits for a connection that cannot open (its site is cut off).
inline constexpr Duration kConnectTimeout = std::chrono::seconds(10);
// Segments in flight or waiting for a retransmission at once, across the fleet.
inline constexpr std::size_t kSegmentsMax = std::size_t{1} << 26;
// Engine callbacks pending at once (an onboarding spread over a fleet keeps one; a timeline keeps
// one per entry).
inline constexpr std::size_t kCallbacksPendingMax = 1'000'000;
// Bulk flows and exact-lane messages SimGrid carries at once.
inline constexpr std::size_t kCommunicationsMax = 1'000'000;

// The two ends of a device's connection. A segment's sender end is the agent's going up, the
// platform's going down; the end that receives it is the other.
enum End : std::uint8_t { kAgentEnd = 0, kPlatformEnd = 1 };
inline End sender_of(bool upstream) {
  return upstream ? kAgentEnd : kPlatformEnd;
}
inline End receiver_of(bool upstream) {
  return upstream ? kPlatformEnd : kAgentEnd;
}

enum class SegmentKind : std::uint8_t {
  kFrame,  // a frame for the node at the other end
  kClose,  // the agent closed its end: the platform's end closes when this arrives (TCP's FIN)
};

// One segment of a device's connection, from its first transmission to its arrival.
struct Segment {
  std::string frame;        // empty for a close
  core::Time carried_at{};  // its transmission that got through (an RTT sample's start)
  std::uint32_t agent = 0;
  std::uint32_t generation = 0;       // bumped each time its slot is freed
  std::uint16_t receiver_socket = 0;  // the receiving end's socket it was sent to
  SegmentKind kind = SegmentKind::kFrame;
  bool upstream = false;
  std::uint8_t retransmissions = 0;
  bool arrived = false;  // exact lane: SimGrid delivered it; it waits for those sent before
  bool in_use = false;
};

// Segments by slot, the slots of those that arrived reused with their frames' buffers, so a
// simulated message costs no allocation of its own.
class SegmentTable {
 public:
  std::uint32_t take();
  void free(std::uint32_t slot);
  Segment& operator[](std::uint32_t slot) { return slots_[slot]; }
  // Whether `slot` still holds the segment it held at `generation`.
  bool holds(std::uint32_t slot, std::uint32_t generation) const {
    return slot < slots_.size() && slots_[slot].in_use && slots_[slot].generation == generation;
  }

 private:
  std::vector<Segment> slots_;
  std::vector<std::uint32_t> free_;
};

// A device's connection as both ends see it: RFC 6298's estimator, when the last segment each
// way arrives (TCP delivers in order, so none arrives before it), which ends' sockets are
// current (a segment for a socket that has gone is dropped at its arrival), and which ways have
// a segment waiting for its retransmission, holding those behind it.
struct Connection {
  scenarios::RetransmissionTimer rto;
  core::Time arrival[2]{};    // by sender end
  std::uint16_t socket[2]{};  // by end; bumped when that end closes or a new one opens
  std::uint8_t stalled = 0;   // bit (1 << sender end)
  std::uint8_t region = 0;    // whose device endpoint it goes to
  bool open = false;          // opened, and the agent's end has not closed since
};

// The engine's callbacks, in slots reused once fired.
class Callbacks {
 public:
  std::uint32_t add(scenarios::Driver::Callback callback);
  void fire(std::uint32_t slot, core::Time now);

 private:
  std::vector<scenarios::Driver::Callback> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t pending_ = 0;
};

// What SimGrid carries for the driver: a bulk transfer of an agent's, or an exact-lane segment.
struct Communication {
  enum class Kind : std::uint8_t { kTransfer, kSegment } kind;
  bool upstream;
  std::uint32_t agent;
  std::uint64_t id;          // the transfer's id, or the segment's slot
  std::uint32_t generation;  // the segment's
};

// What the outcome of one transmission of a segment was.
enum class Transmission : std::uint8_t { kCarried, kLost, kReset };

struct SimulatedDriver::World {
  World(const scenarios::Fleet& f, SimulatedDriverOptions o);
  ~World();

  // --- simulated_driver.cpp: the run, the nodes and SimGrid
  void run_loop();
  void handle(const Event& event);
  void dispatch_agent(std::uint32_t agent, core::Outbox& out);
  void dispatch_platform(core::Outbox& out);
  void connect(std::uint32_t agent, std::uint32_t region);
  void on_open(std::uint32_t agent, std::uint16_t socket);
  void start_transfer(std::uint32_t agent, const core::Outbox::Transfer& transfer);
  void suspend_transfers(std::uint32_t site, bool suspended);
  void start_exact(std::uint32_t slot);
  void on_communication_done(std::size_t index);
  void apply_uplink(std::uint32_t site);
  // A region's device endpoint crashed: every connection through it is reset, both ends told.
  void reset_region(std::uint32_t region);
  void sync_simgrid();
  std::uint32_t site_of(std::uint32_t agent) const { return fleet.layout.site_of_agent(agent); }

  // --- transport.cpp: the segments of devices' connections
  void send(std::uint32_t agent, std::string& frame, bool upstream, SegmentKind kind);
  void close_agent_end(std::uint32_t agent);
  Transmission transmit(std::uint32_t slot);
  void carry(std::uint32_t slot);
  void retry(std::uint32_t slot);
  void on_retransmit(std::uint32_t slot, std::uint32_t generation);
  void release_followers(std::uint32_t agent, End sender);
  void on_arrival(std::uint32_t slot, std::uint32_t generation);
  void on_exact_arrival(std::uint32_t slot);
  void reset(std::uint32_t agent, End gone);
  void clear_stalls(std::uint32_t agent);
  void agent_end_closed(std::uint32_t agent, std::uint16_t socket);
  void platform_end_closed(std::uint32_t agent, std::uint16_t socket);

  scenarios::Fleet fleet;
  SimulatedDriverOptions options;
  std::unique_ptr<sg4::Engine> engine;
  scenarios::NetworkConditions network;
  Paths paths;
  SiteGateways gateways;
  scenarios::NetworkCounters counters;
  std::vector<std::uint64_t> upstream_bytes;  // by site: the messages' payload bytes
  bool exact = false;  // small messages as SimGrid communications

  EventQueue queue;
  Callbacks callbacks;
  SegmentTable segments;
  std::vector<Connection> connections;  // by agent
  // Segments waiting behind a lost one, by agent * 2 + sender end; the lost one first.
  std::map<std::uint64_t, std::deque<std::uint32_t>> stalls;
  // Exact lane: segments SimGrid carries, by agent * 2 + sender end, in the order sent.
  std::map<std::uint64_t, std::deque<std::uint32_t>> exact_order;
  core::RandomStream jitter_random;

  sg4::Host* cloud_host = nullptr;       // the first region's, where the run's actor lives
  std::vector<sg4::Host*> region_hosts;  // by region (one without regions)
  std::vector<std::uint32_t> refusing;   // by region: endpoint restarts in force
  std::vector<sg4::Host*> site_hosts;
  std::vector<sg4::SplitDuplexLink*> uplink_links;
  std::vector<sg4::CommPtr> comms;            // what SimGrid carries, awaited together
  std::vector<Communication> communications;  // in comms' order

  core::Time now{};
  core::Time end = core::Time::max();
  core::Outbox out;  // the handlers' one outbox: one event at a time
  std::uint64_t events_handled = 0;
  scenarios::ProgressLine progress{"ccsim"};
  bool ran = false;
};

inline std::uint64_t way_key(std::uint32_t agent, End sender) {
  return std::uint64_t{agent} * 2 + sender;
}

}  // namespace ccsim::sim

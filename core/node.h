// The sans-IO contract shared by every node (platform node, device agent). A node is a state
// machine: a driver feeds it the current time and one input (a frame, a timer expiry, a
// connection change) and it answers by writing into an Outbox: frames to send and timers to set.
// A node never reads a clock, sleeps, opens a socket or draws unseeded randomness; everything it
// needs arrives through these calls and its constructor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ccsim::core {

// Time since the start of a run. Both drivers count from zero; the core never sees wall time.
using Duration = std::chrono::microseconds;
using Time = std::chrono::microseconds;

// A connection as the driver numbers it: a websocket session (real driver) or a device's
// link to the cloud (simulated driver). Opaque to nodes; they only echo it back.
using ConnectionId = std::uint64_t;

// What a node asks of its driver after handling one input.
struct Outbox {
  struct Send {
    ConnectionId connection;
    std::string frame;  // one serialized wire::Envelope
  };
  struct Close {
    ConnectionId connection;
  };
  // A bulk transfer beside the node's connection (a firmware image from the vendor's content
  // delivery network, later a recording upload): the driver carries `bytes` over the node's
  // links, sharing them with every other transfer, and tells the node when the last byte is in
  // (DeviceAgent::on_transfer_done). `id` is the node's own, unique among its transfers.
  struct Transfer {
    std::uint64_t id = 0;
    std::uint64_t bytes = 0;
    bool upstream = false;  // from the node towards the cloud
  };

  std::vector<Send> sends;
  // Wake the node at this time. Timers are never cancelled: a node keeps its own deadline and
  // ignores a wake-up that no longer matches it, so drivers stay simple and cheap.
  std::vector<Time> wakeups;
  std::vector<Close> closes;
  std::vector<Transfer> transfers;
  // Device agents only: ask the driver to (re)open the connection to the platform, at the device
  // endpoint of region `connect_region` (an index into the scenario's regions; 0 with one).
  bool connect = false;
  std::uint32_t connect_region = 0;

  void clear() {
    sends.clear();
    wakeups.clear();
    closes.clear();
    transfers.clear();
    connect = false;
    connect_region = 0;
  }
  bool empty() const {
    return sends.empty() && wakeups.empty() && closes.empty() && transfers.empty() && !connect;
  }
};

}  // namespace ccsim::core

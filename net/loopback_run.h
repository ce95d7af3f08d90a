// A whole fleet on real sockets in one process: the platform server and one device client per
// device, all on one io_context driven by the calling thread, over TLS websockets on 127.0.0.1
// with a throwaway CA. The real driver's counterpart of a simulated run, for the behaviour tests
// both drivers must pass.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "devices/device_agent.h"
#include "net/platform_server.h"
#include "platform/platform_node.h"

namespace ccsim::net {

// Most devices one loopback run drives; each costs two sockets in this one process.
inline constexpr std::size_t kLoopbackDevicesMax = 10'000;
// Longest a run waits for its sessions to close after the fleet is done or time is up.
inline constexpr std::chrono::milliseconds kShutdownTimeMax{2000};

struct LoopbackConfig {
  platform::HeartbeatPolicy policy;
  devices::DeviceAgentConfig agent;  // heartbeat_limit > 0, so that agents finish
  std::vector<devices::DeviceIdentity> devices;
  // Device i draws from core::RandomStream(seed, core::kDeviceStreamBase + i).
  std::uint64_t seed = 1;
  // With a control plane the platform checks hellos against its registry, and `claims` are
  // made through the server once every agent is online; the run then also waits for every
  // claimed device's onboarding to end. Must outlive the run.
  platform::ControlPlane* control_plane = nullptr;
  std::vector<platform::ClaimRequest> claims;
  std::chrono::milliseconds wall_time_max{10000};
};

struct LoopbackResult {
  std::vector<platform::DeviceConnection> devices;  // the platform's records, in hello order
  platform::PlatformMetrics metrics;
  PlatformServerMetrics server;
  // Every agent ended (done or refused) and the platform saw each done agent's goodbye, before
  // wall_time_max.
  bool all_agents_done = false;
  std::vector<devices::AgentState> agent_states;                 // in config.devices order
  std::vector<platform::Result<platform::DeviceRecord>> claims;  // in config.claims order
};

// Runs the fleet until all_agents_done or wall_time_max, then shuts down cleanly. Throws
// std::invalid_argument for a config that could never finish (heartbeat_limit 0, too many
// devices) and std::runtime_error if the sockets or TLS cannot be set up.
LoopbackResult run_on_loopback(const LoopbackConfig& config);

// Runs `io` on the calling thread until `done()` holds (checked after every handler), the
// wall time passes, or `io` runs out of work. Returns done(). For tests that drive their own
// servers, clients and raw peers.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds wall_time_max);

// Runs `io` until its work is finished (closes, teardowns) or `wall_time_max` passes.
void drain(boost::asio::io_context& io, std::chrono::milliseconds wall_time_max);

}  // namespace ccsim::net

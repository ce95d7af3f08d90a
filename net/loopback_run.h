// A whole fleet on real sockets in one process, without a scenario: the platform server and one
// device client per device, on one driver loop with the paused clock, over TLS websockets on
// 127.0.0.1 with a throwaway CA. For the real driver's own tests of hellos, heartbeats, goodbyes
// and claims; scenarios run on the real driver through RealDriver.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

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
  // The driver's (paused) time the fleet has to finish in.
  core::Duration time_max = std::chrono::hours(1);
};

struct LoopbackResult {
  std::vector<platform::DeviceConnection> devices;  // the platform's records, in hello order
  platform::PlatformMetrics metrics;
  PlatformServerMetrics server;
  // Every agent ended (done or refused) and the platform saw each done agent's goodbye, before
  // time_max.
  bool all_agents_done = false;
  std::vector<devices::AgentState> agent_states;                 // in config.devices order
  std::vector<platform::Result<platform::DeviceRecord>> claims;  // in config.claims order
};

// Runs the fleet until all_agents_done or time_max, then shuts down cleanly. Throws
// std::invalid_argument for a config that could never finish (heartbeat_limit 0, too many
// devices) and std::runtime_error if the sockets or TLS cannot be set up.
LoopbackResult run_on_loopback(const LoopbackConfig& config);

}  // namespace ccsim::net

#include "net/loopback_run.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/random_stream.h"
#include "net/device_client.h"
#include "net/throwaway_ca.h"
#include "net/websocket_session.h"

namespace ccsim::net {
namespace {

bool agent_finished(devices::AgentState state) {
  return state == devices::AgentState::kDone || state == devices::AgentState::kRefused;
}

// Done when every agent has ended, the platform has recorded each done agent's goodbye, and the
// connections those agents closed are gone from the server, so both sides hold their final state
// and the server's counts do not depend on how soon the run stopped. A refused agent keeps its
// connection open (it stays quiet), so its session may remain.
bool fleet_finished(const std::vector<devices::DeviceAgent>& agents,
                    const platform::PlatformNode& node, const PlatformServer& server) {
  std::size_t refused = 0;
  for (const devices::DeviceAgent& agent : agents) {
    if (!agent_finished(agent.state())) return false;
    if (agent.state() == devices::AgentState::kRefused) {
      ++refused;
      continue;
    }
    const platform::DeviceConnection* record = node.find(agent.identity().serial);
    if (record == nullptr || record->status != platform::ConnectionStatus::kDisconnected ||
        record->last_disconnect != platform::DisconnectReason::kGoodbye) {
      return false;
    }
  }
  return server.session_count() <= refused;
}

void check_config(const LoopbackConfig& config) {
  if (config.agent.heartbeat_limit == 0) {
    throw std::invalid_argument("loopback run: agent.heartbeat_limit must be > 0 to finish");
  }
  if (!config.claims.empty() && config.control_plane == nullptr) {
    throw std::invalid_argument("loopback run: claims need a control plane");
  }
  if (config.devices.size() > kLoopbackDevicesMax) {
    throw std::invalid_argument("loopback run: " + std::to_string(config.devices.size()) +
                                " devices, at most " + std::to_string(kLoopbackDevicesMax));
  }
}

}  // namespace

LoopbackResult run_on_loopback(const LoopbackConfig& config) {
  check_config(config);
  const Credentials credentials = make_throwaway_credentials();
  // Declared in the order of need, so they are destroyed clients first, the loop last.
  DriverLoop loop(ClockMode::kPaused);
  std::size_t fleet_size = 0;  // the devices the platform will know: agents and those they carry
  for (const devices::DeviceIdentity& device : config.devices) {
    fleet_size += 1 + device.hosted.size();
  }
  platform::PlatformNode node(config.policy, std::max<std::size_t>(1, fleet_size), nullptr,
                              config.control_plane);
  PlatformServer server(loop, credentials, node);
  server.start();
  core::Outbox start;
  node.start(loop.clock().now(), start);
  server.carry_out(start);
  boost::asio::ssl::context client_tls = make_client_tls(credentials.ca_cert_pem);

  std::vector<devices::DeviceAgent> agents;
  agents.reserve(config.devices.size());  // clients hold references into it
  for (std::size_t i = 0; i < config.devices.size(); ++i) {
    agents.emplace_back(config.devices[i], config.agent,
                        core::RandomStream(config.seed, core::kDeviceStreamBase + i));
  }
  std::vector<std::unique_ptr<DeviceClient>> clients;
  clients.reserve(agents.size());
  for (devices::DeviceAgent& agent : agents) {
    clients.push_back(std::make_unique<DeviceClient>(loop, client_tls, server.port(), agent));
    clients.back()->start();
  }

  LoopbackResult result;
  bool claimed = config.claims.empty();
  const auto all_online = [&] {
    return std::all_of(agents.begin(), agents.end(), [](const devices::DeviceAgent& agent) {
      return agent.state() == devices::AgentState::kOnline;
    });
  };
  result.all_agents_done = loop.run_until(
      [&] {
        if (!claimed && all_online()) {
          for (const platform::ClaimRequest& claim : config.claims) {
            result.claims.push_back(server.claim(claim));
          }
          claimed = true;
        }
        return claimed && node.onboardings_pending() == 0 && fleet_finished(agents, node, server);
      },
      config.time_max);
  loop.timers().cancel_all();
  for (auto& client : clients) client->stop();
  server.stop();
  loop.drain();

  result.devices = node.devices();
  result.metrics = node.metrics();
  result.server = server.metrics();
  for (const devices::DeviceAgent& agent : agents) result.agent_states.push_back(agent.state());
  return result;
}

}  // namespace ccsim::net

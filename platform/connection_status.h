// Whether the platform holds a live connection to a device (directly, or through the recorder
// or edge host that carries it). Shared by the platform node, which tracks it, and the device
// registry, which keeps it among a device's deep facts.
#pragma once

#include <cstdint>
#include <string_view>

namespace ccsim::platform {

enum class ConnectionStatus : std::uint8_t { kDisconnected, kConnected };

inline std::string_view connection_status_name(ConnectionStatus status) {
  return status == ConnectionStatus::kConnected ? "connected" : "disconnected";
}

}  // namespace ccsim::platform

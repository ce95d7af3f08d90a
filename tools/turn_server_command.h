// `ccsim turn-server`: the platform's TURN relay (net/turn_server_socket.h) on a real address,
// for partners and viewers to test against, and for coturn's own clients to test it. It checks
// every option before binding anything and names the option it refuses; it runs until SIGTERM or
// SIGINT and then prints its counters.
#pragma once

#include <string>
#include <vector>

namespace ccsim::tools {

// The command's arguments after `turn-server`. Returns the exit code: 0 after a clean shutdown,
// 2 for bad input (an option's value, or a listen address that cannot be bound), 3 for an
// internal error.
int command_turn_server(const std::vector<std::string>& args);

}  // namespace ccsim::tools

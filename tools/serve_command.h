// `ccsim serve`: the platform on real sockets for people and programs outside the simulator: its
// REST API on HTTPS (TLS 1.3) over the same sans-IO control plane the scenarios run, with a data
// folder and a throwaway CA made at start. It checks every option before binding anything and
// names the one it refuses; it prints the URLs it listens on, runs until SIGTERM or SIGINT, and
// then stops cleanly.
#pragma once

#include <string>
#include <vector>

namespace ccsim::tools {

// The command's arguments after `serve`. Returns the exit code: 0 after a clean shutdown, 2 for
// bad input (an option's value, a data folder that cannot be made, an address that cannot be
// bound), 3 for an internal error.
int command_serve(const std::vector<std::string>& args);

}  // namespace ccsim::tools

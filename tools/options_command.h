// What the server commands (serve, turn-server) share on their command line: options only, no
// positional argument; --help prints the usage and every option; a bad option or value is exit 2
// with a message naming it, anything unexpected exit 3, each said as "ccsim NAME: ...".
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ccsim::tools {

int run_options_command(
    const std::string& name, const std::vector<std::string>& args,
    const boost::program_options::options_description& options, const char* usage,
    const std::function<int(const boost::program_options::variables_map&)>& run);

}  // namespace ccsim::tools

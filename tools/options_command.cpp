#include "tools/options_command.h"

#include <iostream>

#include "tools/command_line.h"

namespace ccsim::tools {

namespace po = boost::program_options;

int run_options_command(const std::string& name, const std::vector<std::string>& args,
                        const po::options_description& options, const char* usage,
                        const std::function<int(const po::variables_map&)>& run) {
  try {
    po::options_description hidden;
    hidden.add_options()("unexpected", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add("unexpected", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("unexpected")) {
      throw BadInput("unexpected argument '" +
                     vm["unexpected"].as<std::vector<std::string>>().front() + "': " + name +
                     " takes options only");
    }
    if (vm.count("help")) {
      std::cout << usage << "\n" << options;
      return kExitPassed;
    }
    return run(vm);
  } catch (const po::error& e) {
    std::cerr << "ccsim " << name << ": " << e.what() << " (see ccsim " << name << " --help)\n";
    return kExitBadInput;
  } catch (const BadInput& e) {
    std::cerr << "ccsim " << name << ": error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "ccsim " << name << ": internal error: " << e.what() << "\n";
    return kExitInternalError;
  }
}

}  // namespace ccsim::tools

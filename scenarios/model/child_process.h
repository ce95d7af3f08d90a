// SimGrid allows one engine per process, so anything that runs more than one simulation (a
// suite, a test comparing seeds, the Python module) runs each in a forked child. This runs a
// function in a child process and brings back the text it returns.
#pragma once

#include <functional>
#include <string>

namespace ccsim::scenarios {

// Runs `work` in a forked child and returns its result. The child's stdout and stderr are the
// parent's. Throws std::runtime_error if the child dies (signal, abort) before answering;
// `work` should catch its own exceptions and encode them in the text it returns.
std::string run_in_child(const std::function<std::string()>& work);

}  // namespace ccsim::scenarios

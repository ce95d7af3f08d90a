#include "net/coturn_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ccsim::net {
namespace {

// How often the start and stop waits look again.
constexpr std::chrono::milliseconds kCoturnPollInterval{50};

// A socket closed on every path out of a function.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// A port the kernel gives a TCP socket on loopback and takes back at once: free a moment ago,
// as the Python tests pick theirs (another program may take it first; then turnserver fails to
// listen, and the start says so).
std::uint16_t free_loopback_port() {
  const Descriptor s{::socket(AF_INET, SOCK_STREAM, 0)};
  sockaddr_in address = loopback(0);
  socklen_t size = sizeof(address);
  if (s.fd < 0 || ::bind(s.fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error(std::string("no free loopback port: ") + std::strerror(errno));
  }
  return ntohs(address.sin_port);
}

bool accepts_tcp(std::uint16_t port) {
  const Descriptor s{::socket(AF_INET, SOCK_STREAM, 0)};
  sockaddr_in address = loopback(port);
  return s.fd >= 0 && ::connect(s.fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

}  // namespace

std::optional<std::string> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "/usr/bin:/bin");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const std::string candidate = (folder.empty() ? "." : folder) + "/" + program;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

CoturnProcess::CoturnProcess(const std::string& turnserver_path, const CoturnOptions& options) {
  if (options.log_file.empty()) throw std::invalid_argument("CoturnOptions::log_file is required");
  port_ = free_loopback_port();
  spawn(arguments(turnserver_path, options));
  try {
    wait_until_listening(options.log_file);
  } catch (...) {
    stop();
    throw;
  }
}

CoturnProcess::~CoturnProcess() {
  stop();
}

std::vector<std::string> CoturnProcess::arguments(const std::string& path,
                                                  const CoturnOptions& options) const {
  std::vector<std::string> argv = {path,
                                   "-n",
                                   "--listening-ip=127.0.0.1",
                                   "--listening-port=" + std::to_string(port_),
                                   "--realm=" + options.realm,
                                   "--no-tls",
                                   "--no-dtls",
                                   "--no-cli",
                                   "--allow-loopback-peers",
                                   "--simple-log",
                                   "--log-file=" + options.log_file,
                                   "--min-port=" + std::to_string(options.relay_port_min),
                                   "--max-port=" + std::to_string(options.relay_port_max)};
  if (options.shared_secret.empty()) {
    argv.push_back("--lt-cred-mech");
    argv.push_back("--user=" + options.user + ":" + options.password);
  } else {
    argv.push_back("--use-auth-secret");
    argv.push_back("--static-auth-secret=" + options.shared_secret);
  }
  return argv;
}

// turnserver's stdout and stderr go to /dev/null: it logs to its log file.
void CoturnProcess::spawn(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const int failed =
      ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(failed));
  }
}

// Reaps the child when it has exited.
bool CoturnProcess::exited() {
  if (pid_ < 0) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

void CoturnProcess::wait_until_listening(const std::string& log_file) {
  const auto deadline = std::chrono::steady_clock::now() + kCoturnStartTimeout;
  while (!accepts_tcp(port_)) {
    if (exited()) {
      throw std::runtime_error("turnserver exited before listening on port " +
                               std::to_string(port_) + "; see " + log_file);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("turnserver did not listen on port " + std::to_string(port_) +
                               " within " + std::to_string(kCoturnStartTimeout.count()) +
                               " s; see " + log_file);
    }
    std::this_thread::sleep_for(kCoturnPollInterval);
  }
}

void CoturnProcess::stop() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kCoturnStopTimeout;
  while (!exited()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);  // SIGKILL cannot be caught: this returns at once
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(kCoturnPollInterval);
  }
}

}  // namespace ccsim::net

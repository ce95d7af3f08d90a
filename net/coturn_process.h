// coturn's `turnserver` as a child process on a free loopback port, for tests that check our
// TURN client against the TURN server partners actually run. It starts the server with the
// flags the Python tests use (no config file, no TLS, DTLS or CLI, loopback peers allowed, a
// log file of its own), waits a bounded time until its TCP listener takes a connection, and
// stops it (SIGTERM, then SIGKILL after a bounded wait) when destroyed. Nothing here waits
// without a limit: a test that uses it cannot hang on coturn.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ccsim::net {

// How long turnserver may take to listen, and to exit once asked.
inline constexpr std::chrono::seconds kCoturnStartTimeout{10};
inline constexpr std::chrono::seconds kCoturnStopTimeout{5};

// The full path of `program` found on PATH; nullopt when it is not installed.
std::optional<std::string> find_on_path(const std::string& program);

struct CoturnOptions {
  std::string realm = "ccsim.test";
  // Long-term credentials (--lt-cred-mech --user=NAME:PASSWORD), or, when `shared_secret` is
  // not empty, the time-limited scheme (--use-auth-secret --static-auth-secret).
  std::string user;
  std::string password;
  std::string shared_secret;
  std::uint16_t relay_port_min = 60000;
  std::uint16_t relay_port_max = 60999;
  std::string log_file;  // where turnserver logs; required
};

class CoturnProcess {
 public:
  // Starts `turnserver_path` on 127.0.0.1 at a free port. Throws std::runtime_error, naming the
  // log file, when it exits or does not listen within kCoturnStartTimeout.
  CoturnProcess(const std::string& turnserver_path, const CoturnOptions& options);
  ~CoturnProcess();
  CoturnProcess(const CoturnProcess&) = delete;
  CoturnProcess& operator=(const CoturnProcess&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  std::vector<std::string> arguments(const std::string& path, const CoturnOptions& options) const;
  void spawn(const std::vector<std::string>& argv);
  bool exited();
  void wait_until_listening(const std::string& log_file);
  void stop();

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace ccsim::net

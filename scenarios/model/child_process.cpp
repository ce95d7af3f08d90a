#include "scenarios/model/child_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ccsim::scenarios {
namespace {

// A child's answer is a run result; anything bigger is a bug, not a result.
constexpr std::size_t kAnswerBytesMax = 256 * 1024 * 1024;

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent went away; nothing useful left to do
    done += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kAnswerBytesMax) throw std::runtime_error("child process answer too large");
  }
  return text;
}

}  // namespace

std::string run_in_child(const std::function<std::string()>& work) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw std::runtime_error(std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    int status = 0;
    try {
      write_all(pipe_fds[1], work());
    } catch (...) {
      status = 3;  // `work` broke its promise to catch; the parent reports it
    }
    ::close(pipe_fds[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(status);  // skip the parent's atexit handlers and static destructors
  }
  ::close(pipe_fds[1]);
  std::string answer;
  try {
    answer = read_all(pipe_fds[0]);
  } catch (...) {
    ::close(pipe_fds[0]);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    throw std::runtime_error("simulation process died with signal " +
                             std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
                             ")");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("simulation process failed with exit code " +
                             std::to_string(WEXITSTATUS(status)));
  }
  return answer;
}

}  // namespace ccsim::scenarios

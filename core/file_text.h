// Reading a text file that a user names (a scenario, a model catalog), at most a limit's worth:
// past the limit the text is cut one buffer beyond it, so the caller reports the size without
// reading a huge file whole.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <string>

namespace ccsim::core {

struct FileText {
  std::string text;
  std::string error;  // "cannot be read (...)"; empty when read
};

inline FileText read_file_text(const std::string& path, std::size_t bytes_max) {
  FileText file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    file.error = std::string("cannot be read (") + std::strerror(errno) + ")";
    return file;
  }
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    file.text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (file.text.size() > bytes_max) break;
  }
  if (in.bad()) file.error = "cannot be read";
  return file;
}

}  // namespace ccsim::core

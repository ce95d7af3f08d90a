#include "tools/listen_address.h"

#include "tools/command_line.h"

namespace ccsim::tools {

namespace asio = boost::asio;

std::uint16_t parse_port(const std::string& text, const std::string& option, bool zero_allowed) {
  const std::optional<std::uint64_t> value = read_whole_number(text);
  const std::uint64_t lowest = zero_allowed ? 0 : 1;
  if (!value || *value < lowest || *value > 65535) {
    throw BadInput(option + " " + text + ": expected a port number, " + std::to_string(lowest) +
                   "-65535");
  }
  return static_cast<std::uint16_t>(*value);
}

ListenAddress parse_listen(const std::string& text, const std::string& option,
                           const std::string& example) {
  const std::string expected = option + " " + text + ": expected IP:PORT, e.g. " + example;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw BadInput(expected);
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') throw BadInput(expected);
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code error;
  ListenAddress listen;
  listen.ip = asio::ip::make_address(host, error);
  if (error) throw BadInput(option + " " + text + ": '" + host + "' is not an IP address");
  listen.port = parse_port(text.substr(colon + 1), option + " " + text + ": port", true);
  return listen;
}

}  // namespace ccsim::tools

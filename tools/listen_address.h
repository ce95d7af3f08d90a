// The addresses ccsim's servers listen on, as their options give them: "IP:PORT" or
// "[IPv6]:PORT"; a bad one is BadInput naming the option, the text and an example.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>

namespace ccsim::tools {

struct ListenAddress {
  boost::asio::ip::address ip;
  std::uint16_t port = 0;
};

// `text` as a port for `option` (its message's start), 1-65535, or 0 too when `zero_allowed`.
std::uint16_t parse_port(const std::string& text, const std::string& option, bool zero_allowed);

// `text` as `option`'s IP:PORT (port 0: one the system picks); `example` shows a good one.
ListenAddress parse_listen(const std::string& text, const std::string& option,
                           const std::string& example);

}  // namespace ccsim::tools

#include "tools/turn_server_command.h"

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>

#include "net/turn_server_socket.h"
#include "platform/stun_message.h"
#include "platform/turn_server.h"
#include "tools/command_line.h"
#include "tools/listen_address.h"
#include "tools/options_command.h"

namespace ccsim::tools {

namespace {

namespace asio = boost::asio;
namespace po = boost::program_options;

const char* const kTurnServerUsage =
    "usage: ccsim turn-server --realm REALM (--user NAME:PASSWORD... | --auth-secret SECRET)\n"
    "                         [--listen IP:PORT] [--relay-ip IP] [--min-port N] [--max-port N]\n"
    "                         [--allocations-per-user N] [--allocations-max N]\n"
    "                         [--channel-range rfc8656|rfc5766]\n"
    "\n"
    "Runs the platform's TURN relay (RFC 8656) on UDP and TCP at the listen address, the same\n"
    "server core the simulator runs. Clients authenticate with long-term credentials (--user)\n"
    "or with time-limited ones made from a shared secret (--auth-secret, as coturn's\n"
    "use-auth-secret: username EXPIRY:NAME, password base64(HMAC-SHA1(SECRET, username))).\n"
    "Relayed addresses are UDP ports on --relay-ip. It says where it listens on stderr, runs\n"
    "until SIGTERM or SIGINT, then prints its counters on stderr.\n"
    "\n"
    "Exit codes: 0 after a clean shutdown; 2 bad input (the message names the option), or a\n"
    "listen address that cannot be bound; 3 an internal error.\n";

po::options_description turn_server_options() {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "listen", po::value<std::string>()->default_value("127.0.0.1:3478"),
      "IP:PORT (IPv6 as [IP]:PORT) for both UDP and TCP; port 0 picks a free one, the same for "
      "both")("realm", po::value<std::string>(), "the authentication realm (required)")(
      "user", po::value<std::vector<std::string>>()->composing(),
      "a long-term credential NAME:PASSWORD (repeatable; the password may hold ':')")(
      "auth-secret", po::value<std::string>(),
      "the shared secret of time-limited credentials, instead of --user")(
      "relay-ip", po::value<std::string>(),
      "the IPv4 address relayed ports are bound on and given to clients (default: the listen "
      "IP; required when that is not an IPv4 unicast address)")(
      "min-port", po::value<std::string>()->default_value("49152"),
      "the lowest relayed port, 1-65535")("max-port",
                                          po::value<std::string>()->default_value("65535"),
                                          "the highest relayed port, at least --min-port")(
      "allocations-per-user",
      po::value<std::string>()->default_value(
          std::to_string(platform::kTurnAllocationsPerUserDefault)),
      "allocations one username may hold at once; past it, 486 (coturn's user-quota)")(
      "allocations-max",
      po::value<std::string>()->default_value(std::to_string(platform::kTurnAllocationsMax)),
      "allocations held at once in all, at most the default; past it, 508 (coturn's "
      "total-quota)")(
      "channel-range", po::value<std::string>()->default_value("rfc8656"),
      "the channel numbers ChannelBind and ChannelData take: rfc8656 (0x4000-0x4FFF, RFC 8656 "
      "section 12) or rfc5766 (0x4000-0x7FFF, the range RFC 5766 allowed and clients written "
      "to it, coturn's turnutils_uclient among them, still draw from)");
  return options;
}

std::size_t parse_count(const std::string& text, const std::string& option) {
  const std::optional<std::uint64_t> value = read_whole_number(text);
  if (!value || *value < 1 || *value > platform::kTurnAllocationsMax) {
    throw BadInput(option + " " + text + ": expected a count, 1-" +
                   std::to_string(platform::kTurnAllocationsMax));
  }
  return static_cast<std::size_t>(*value);
}

platform::ChannelNumbers parse_channel_range(const std::string& text) {
  if (text == "rfc8656") return platform::ChannelNumbers::kRfc8656;
  if (text == "rfc5766") return platform::ChannelNumbers::kRfc5766;
  throw BadInput("--channel-range " + text + ": expected rfc8656 or rfc5766");
}

void add_user(const std::string& text, platform::TurnServerConfig& config) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw BadInput("--user " + text + ": expected NAME:PASSWORD, both not empty");
  }
  const std::string name = text.substr(0, colon);
  if (name.size() > platform::kStunUsernameBytesMax) {
    throw BadInput("--user: the name is over " + std::to_string(platform::kStunUsernameBytesMax) +
                   " bytes");
  }
  if (!config.users.emplace(name, text.substr(colon + 1)).second) {
    throw BadInput("--user " + name + ": given twice");
  }
}

platform::TransportAddress relay_address(const po::variables_map& vm, const ListenAddress& listen) {
  if (!vm.count("relay-ip")) {
    if (!listen.ip.is_v4() || listen.ip.is_unspecified() || listen.ip.is_multicast()) {
      throw BadInput("--relay-ip: required when --listen is not an IPv4 unicast address");
    }
    return net::transport_address_of(listen.ip, 0);
  }
  const std::string text = vm["relay-ip"].as<std::string>();
  boost::system::error_code error;
  const asio::ip::address_v4 ip = asio::ip::make_address_v4(text, error);
  if (error || ip.is_unspecified() || ip.is_multicast()) {
    throw BadInput("--relay-ip " + text + ": expected an IPv4 unicast address");
  }
  return net::transport_address_of(ip, 0);
}

void set_credentials(const po::variables_map& vm, platform::TurnServerConfig& config) {
  if (!vm.count("realm")) throw BadInput("--realm: required");
  config.realm = vm["realm"].as<std::string>();
  if (config.realm.empty() || config.realm.size() > platform::kStunTextBytesMax) {
    throw BadInput("--realm: expected 1-" + std::to_string(platform::kStunTextBytesMax) + " bytes");
  }
  const bool users = vm.count("user") > 0;
  const bool secret = vm.count("auth-secret") > 0;
  if (users == secret) throw BadInput("--user or --auth-secret: expected exactly one of them");
  if (secret) {
    config.shared_secret = vm["auth-secret"].as<std::string>();
    if (config.shared_secret.empty()) throw BadInput("--auth-secret: expected a non-empty secret");
    return;
  }
  for (const std::string& text : vm["user"].as<std::vector<std::string>>()) add_user(text, config);
}

platform::TurnServerConfig config_of(const po::variables_map& vm, const ListenAddress& listen) {
  platform::TurnServerConfig config;
  set_credentials(vm, config);
  config.relay_ipv4 = relay_address(vm, listen);
  config.relay_port_min = parse_port(vm["min-port"].as<std::string>(), "--min-port", false);
  config.relay_port_max = parse_port(vm["max-port"].as<std::string>(), "--max-port", false);
  if (config.relay_port_min > config.relay_port_max) {
    throw BadInput("--min-port " + std::to_string(config.relay_port_min) + ": above --max-port " +
                   std::to_string(config.relay_port_max));
  }
  config.allocations_per_user_max =
      parse_count(vm["allocations-per-user"].as<std::string>(), "--allocations-per-user");
  config.allocations_max =
      parse_count(vm["allocations-max"].as<std::string>(), "--allocations-max");
  config.channel_numbers = parse_channel_range(vm["channel-range"].as<std::string>());
  return config;
}

void print_counters(const net::TurnServerSocket& server) {
  const platform::TurnCounters& c = server.core_counters();
  const net::TurnSocketCounters& s = server.counters();
  const std::pair<const char*, std::uint64_t> lines[] = {
      {"allocations_created", c.allocations_created},
      {"allocations_expired", c.allocations_expired},
      {"allocations_deleted", c.allocations_deleted},
      {"relayed_to_peers", c.relayed_to_peers},
      {"relayed_to_clients", c.relayed_to_clients},
      {"error_responses", c.error_responses},
      {"not_stun_dropped", c.not_stun_dropped},
      {"malformed_dropped", c.malformed_dropped},
      {"malformed_answered", c.malformed_answered},
      {"responses_dropped", c.responses_dropped},
      {"indications_dropped", c.indications_dropped},
      {"channel_data_dropped", c.channel_data_dropped},
      {"peer_no_allocation_dropped", c.peer_no_allocation_dropped},
      {"peer_no_permission_dropped", c.peer_no_permission_dropped},
      {"peer_too_big_dropped", c.peer_too_big_dropped},
      {"udp_datagrams_received", s.udp_datagrams_received},
      {"udp_datagrams_sent", s.udp_datagrams_sent},
      {"tcp_connections_accepted", s.tcp_connections_accepted},
      {"tcp_connections_refused", s.tcp_connections_refused},
      {"tcp_connections_closed", s.tcp_connections_closed},
      {"tcp_framing_errors", s.tcp_framing_errors},
      {"tcp_write_queue_full", s.tcp_write_queue_full},
      {"tcp_messages_received", s.tcp_messages_received},
      {"tcp_messages_sent", s.tcp_messages_sent},
      {"accept_errors", s.accept_errors},
      {"peer_datagrams_received", s.peer_datagrams_received},
      {"peer_datagrams_sent", s.peer_datagrams_sent},
      {"sends_dropped", s.sends_dropped},
      {"relays_opened", s.relays_opened},
      {"relays_closed", s.relays_closed},
      {"relay_bind_failures", s.relay_bind_failures},
  };
  std::cerr << "ccsim turn-server: stopped; " << server.allocation_count()
            << " allocations were live. counters:\n";
  for (const auto& [name, value] : lines) std::cerr << "  " << name << "=" << value << "\n";
}

// Serves until SIGTERM or SIGINT.
int serve(const ListenAddress& listen, platform::TurnServerConfig config) {
  config.unix_time_at_zero_s =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  // The nonce key and relay ports must not be guessable from outside: a real seed.
  std::random_device entropy;
  const std::uint64_t seed = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  const std::string users = config.shared_secret.empty()
                                ? std::to_string(config.users.size()) + " users"
                                : std::string("time-limited credentials");
  const std::string relays = platform::transport_address_text(config.relay_ipv4);
  const std::string ports =
      std::to_string(config.relay_port_min) + "-" + std::to_string(config.relay_port_max);
  const std::string realm = config.realm;
  const std::string channels = config.channel_numbers == platform::ChannelNumbers::kRfc5766
                                   ? "0x4000-0x7FFF (RFC 5766)"
                                   : "0x4000-0x4FFF";

  asio::io_context io;
  net::TurnServerSocket server(io, std::move(config), seed, listen.ip, listen.port);
  try {
    server.start();
  } catch (const boost::system::system_error& e) {
    throw BadInput("--listen: cannot bind " + listen.ip.to_string() + ":" +
                   std::to_string(listen.port) + ": " + e.code().message());
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server](const boost::system::error_code& error, int) {
    if (!error) server.stop();
  });
  const platform::TransportAddress where = net::transport_address_of(listen.ip, server.port());
  std::cerr << "ccsim turn-server: listening on " << platform::transport_address_text(where)
            << " (UDP and TCP), realm " << realm << ", " << users << ", relayed addresses on "
            << relays.substr(0, relays.rfind(':')) << " ports " << ports << ", channels "
            << channels << std::endl;
  io.run();
  print_counters(server);
  return kExitPassed;
}

}  // namespace

int command_turn_server(const std::vector<std::string>& args) {
  return run_options_command("turn-server", args, turn_server_options(), kTurnServerUsage,
                             [](const po::variables_map& vm) {
                               const ListenAddress listen = parse_listen(
                                   vm["listen"].as<std::string>(), "--listen", "127.0.0.1:3478");
                               return serve(listen, config_of(vm, listen));
                             });
}

}  // namespace ccsim::tools

#include "tools/serve_command.h"

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "core/random_stream.h"
#include "global_store/journaled_plane.h"
#include "net/rest_server.h"
#include "net/throwaway_ca.h"
#include "platform/control_plane.h"
#include "platform/demo_tenant.h"
#include "platform/owner_key.h"
#include "platform/rest_api.h"
#include "tools/command_line.h"
#include "tools/listen_address.h"
#include "tools/options_command.h"

namespace ccsim::tools {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace po = boost::program_options;

const char* const kServeUsage =
    "usage: ccsim serve [--data DIR] [--listen IP:PORT] [--seed N] [--demo EMAIL]\n"
    "                   [--demo-devices N]\n"
    "\n"
    "Runs the platform's REST API on HTTPS (TLS 1.3 only) over the same control plane the\n"
    "scenarios run: device inventory and claims, the audit log, task series and rollouts, as\n"
    "docs/openapi.json describes them (served at /openapi.json). Every call needs an access\n"
    "token the platform issued. At start it makes the data folder and a throwaway CA there\n"
    "(ca.pem, for clients to trust; server.pem and server.key), prints the URL it listens on,\n"
    "and runs until SIGTERM or SIGINT. The platform's system data lives in DIR/platform.db\n"
    "(SQLite): every change is on disk before its answer is sent, and a restart on the same\n"
    "folder replays it, so nothing a caller was told succeeded is lost, even by SIGKILL. --demo\n"
    "sets up a tenant to try the API with (in a new data folder) and prints an access token.\n";

po::options_description serve_options() {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "data", po::value<std::string>()->default_value("ccsim-data"),
      "the data folder, made when missing; the throwaway CA is written there at every start")(
      "listen", po::value<std::string>()->default_value("127.0.0.1:8443"),
      "the REST API's address, IP:PORT (port 0: one the system picks)")(
      "seed", po::value<std::string>()->default_value("1"),
      "the seed of the platform's ids, codes and signing key")(
      "demo", po::value<std::string>(),
      "in a new data folder: set up a demo tenant owned by this e-mail address and print an "
      "access token for it, with every scope, valid for an hour")(
      "demo-devices", po::value<std::string>(),
      "with --demo: the factory registers this many cameras (CAM-000001, ...), their owner keys "
      "written to DIR/demo-devices.csv for claims");
  return options;
}

void write_file(const fs::path& file, const std::string& text, fs::perms permissions) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw BadInput("--data: cannot write " + file.string());
  fs::permissions(file, permissions);
}

// The data folder with a fresh throwaway CA in it.
net::Credentials prepare_data(const fs::path& data) {
  std::error_code error;
  fs::create_directories(data, error);
  if (error) throw BadInput("--data " + data.string() + ": cannot make it: " + error.message());
  net::Credentials credentials = net::make_throwaway_credentials();
  write_file(data / "ca.pem", credentials.ca_cert_pem,
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                 fs::perms::others_read);
  write_file(data / "server.pem", credentials.server_cert_pem,
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                 fs::perms::others_read);
  write_file(data / "server.key", credentials.server_key_pem,
             fs::perms::owner_read | fs::perms::owner_write);
  return credentials;
}

// Cameras --demo-devices registers at most.
constexpr std::uint64_t kDemoDevicesMax = 100'000;

// Platform time: microseconds since the run epoch, from the wall clock (the driver's to read).
core::Time platform_now() {
  const auto since = std::chrono::system_clock::now() - platform::kDefaultRunEpoch.utc;
  return std::chrono::duration_cast<core::Time>(since);
}

// `count` cameras from the demo factory, their owner keys drawn from the seed's factory stream.
void register_demo_devices(global_store::JournaledPlane& store, core::Time& now, std::uint64_t seed,
                           std::uint64_t count, const fs::path& csv) {
  core::RandomStream keys(seed, core::kFactoryStream);
  std::vector<platform::FactoryRecord> records;
  std::string text = "serial,oak\n";
  for (std::uint64_t i = 1; i <= count; ++i) {
    char serial[16];
    std::snprintf(serial, sizeof serial, "CAM-%06llu", static_cast<unsigned long long>(i));
    records.push_back({serial, "tier1-bullet", platform::DeviceKind::kCamera,
                       platform::DeviceTier::kTier1, platform::generate_owner_key(keys),
                       now + std::chrono::hours(24 * 365), now + std::chrono::hours(24 * 365 * 5),
                       "11.11.0"});
    text += records.back().serial + "," + records.back().oak + "\n";
  }
  const std::string answer = store.register_devices(now += std::chrono::seconds(1), records);
  if (answer != "ok")
    throw BadInput("--demo-devices: the factory's registration was refused: " + answer);
  write_file(csv, text, fs::perms::owner_read | fs::perms::owner_write);
}

// The demo tenant and, with --demo-devices, its cameras, written to the journal like any change.
std::optional<platform::DemoTenant> set_up_demo(const po::variables_map& vm,
                                                global_store::JournaledPlane& store,
                                                std::uint64_t seed, const fs::path& data) {
  if (!vm.count("demo")) {
    if (vm.count("demo-devices")) throw BadInput("--demo-devices: only with --demo");
    return std::nullopt;
  }
  if (store.replayed() > 0) {
    throw BadInput("--demo: " + (data / "platform.db").string() +
                   " already holds a history; a demo tenant goes into a new data folder");
  }
  std::uint64_t devices = 0;
  if (vm.count("demo-devices")) {
    const std::optional<std::uint64_t> count =
        read_whole_number(vm["demo-devices"].as<std::string>());
    if (!count || *count > kDemoDevicesMax) {
      throw BadInput("--demo-devices " + vm["demo-devices"].as<std::string>() + ": expected 0-" +
                     std::to_string(kDemoDevicesMax));
    }
    devices = *count;
  }
  core::Time now = store.time_from(platform_now());
  const platform::CommandRunner run = [&store](core::Time at, std::string_view request) {
    return store.execute(at, request);
  };
  platform::Result<platform::DemoTenant> made =
      platform::make_demo_tenant(run, now, vm["demo"].as<std::string>());
  if (!made.ok()) throw BadInput("--demo: " + made.error().message);
  if (devices > 0) register_demo_devices(store, now, seed, devices, data / "demo-devices.csv");
  return made.value();
}

int serve(const po::variables_map& vm) {
  const ListenAddress listen =
      parse_listen(vm["listen"].as<std::string>(), "--listen", "127.0.0.1:8443");
  const std::optional<std::uint64_t> seed = read_whole_number(vm["seed"].as<std::string>());
  if (!seed) throw BadInput("--seed " + vm["seed"].as<std::string>() + ": expected a whole number");
  const fs::path data = vm["data"].as<std::string>();
  const net::Credentials credentials = prepare_data(data);
  global_store::JournaledPlane store(data / "platform.db", *seed);
  const std::optional<platform::DemoTenant> demo = set_up_demo(vm, store, *seed, data);
  asio::io_context io;
  const platform::CommandRunner run = [&store](core::Time at, std::string_view request) {
    return store.execute(at, request);
  };
  net::RestServer server(io, credentials, [&store, &run](const platform::HttpRequest& request) {
    return platform::handle_rest_request(store.plane(), run, store.time_from(platform_now()),
                                         request);
  });
  std::uint16_t port = 0;
  try {
    port = server.listen({listen.ip, listen.port});
  } catch (const boost::system::system_error& e) {
    throw BadInput("--listen: cannot bind " + vm["listen"].as<std::string>() + ": " +
                   e.code().message());
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&server](const boost::system::error_code& error, int) {
    if (!error) server.stop();
  });
  const std::string host =
      listen.ip.is_v6() ? "[" + listen.ip.to_string() + "]" : listen.ip.to_string();
  std::cout << "ccsim serve: REST API https://" << host << ":" << port
            << "/ (OpenAPI at /openapi.json)\n"
            << "ccsim serve: trust " << fs::absolute(data / "ca.pem").string() << "\n"
            << "ccsim serve: system data in " << fs::absolute(data / "platform.db").string() << " ("
            << store.replayed() << " entries replayed)\n";
  if (demo) {
    std::cout << "ccsim serve: demo organization " << demo->organization << ", user " << demo->user
              << ", access token:\n"
              << demo->access_token << "\n";
  }
  std::cout << std::flush;
  io.run();
  const net::RestServerMetrics& m = server.metrics();
  std::cerr << "ccsim serve: stopped after " << m.requests << " requests (" << m.requests_refused
            << " refused before routing, " << m.tls_handshakes_failed << " failed TLS handshakes, "
            << m.timeouts << " timeouts)\n";
  return kExitPassed;
}

}  // namespace

int command_serve(const std::vector<std::string>& args) {
  return run_options_command("serve", args, serve_options(), kServeUsage,
                             [](const po::variables_map& vm) {
                               try {
                                 return serve(vm);
                               } catch (const global_store::StoreError& e) {
                                 throw BadInput(std::string("--data: ") + e.what());
                               }
                             });
}

}  // namespace ccsim::tools

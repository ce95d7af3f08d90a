// ccsim's TURN client on a real UDP socket (net/turn_client_socket.h) through real TURN servers:
// coturn's turnserver, started here on loopback with long-term credentials and with the
// time-limited shared-secret scheme, and our own TurnServerSocket in-process. Two clients each
// allocate; A binds a channel to B's relayed address and sends; B, holding a permission for A's
// relayed address, gets the bytes as a Data indication and answers with a Send indication, which
// A gets as ChannelData on its channel. The relayed addresses must be the server's (its IP, a
// port in the range it was started with). Every wait is bounded by kExchangeTimeout; the coturn
// cases skip only when turnserver is not installed.
#include "net/turn_client_socket.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "net/coturn_process.h"
#include "net/turn_server_socket.h"
#include "platform/turn_credentials.h"

namespace ccsim::net {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using Kind = platform::TurnClientEvent::Kind;
using platform::TransportAddress;

constexpr std::chrono::seconds kExchangeTimeout{5};
constexpr std::chrono::milliseconds kRunSlice{10};
constexpr std::string_view kUser = "alice";
constexpr std::string_view kPassword = "correct-horse";
constexpr std::string_view kSecret = "north-secret";

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

struct ServerUnderTest {
  udp::endpoint endpoint;
  std::string username;
  std::string password;
  std::uint16_t relay_port_min = 0;
  std::uint16_t relay_port_max = 0;
};

TurnClientSocketConfig config_for(const ServerUnderTest& server) {
  TurnClientSocketConfig config;
  config.server = server.endpoint;
  config.local_ip = kLoopback;
  config.username = server.username;
  config.password = server.password;
  return config;
}

// One client and what it reported, in order.
struct Client {
  Client(asio::io_context& io, const ServerUnderTest& server, std::uint64_t seed)
      : socket(io, config_for(server), seed,
               [this](const platform::TurnClientEvent& event) { events.push_back(event); }) {
    socket.start();
  }
  const platform::TurnClientEvent* find(Kind kind) const {
    for (const platform::TurnClientEvent& event : events) {
      if (event.kind == kind) return &event;
    }
    return nullptr;
  }
  TurnClientSocket socket;
  std::vector<platform::TurnClientEvent> events;
};

// Runs the io_context until `done` or kExchangeTimeout; false on the timeout.
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kExchangeTimeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(kRunSlice);
  }
  return true;
}

void expect_relay_of(const TransportAddress& relayed, const ServerUnderTest& server) {
  EXPECT_TRUE(relayed.same_ip(transport_address_of(kLoopback, 0)))
      << platform::transport_address_text(relayed);
  EXPECT_GE(relayed.port, server.relay_port_min);
  EXPECT_LE(relayed.port, server.relay_port_max);
}

platform::StunBytes bytes_of(std::string_view text) {
  return platform::StunBytes(text.begin(), text.end());
}

// The exchange the header describes, then both allocations released.
void relay_both_ways(asio::io_context& io, const ServerUnderTest& server) {
  Client a(io, server, 1);
  Client b(io, server, 2);
  a.socket.allocate();
  b.socket.allocate();
  ASSERT_TRUE(run_until(io, [&] { return a.find(Kind::kAllocated) && b.find(Kind::kAllocated); }))
      << "allocations: A " << a.events.size() << " events, B " << b.events.size() << " events";
  const TransportAddress a_relayed = a.socket.core().relayed_address().value();
  const TransportAddress b_relayed = b.socket.core().relayed_address().value();
  expect_relay_of(a_relayed, server);
  expect_relay_of(b_relayed, server);
  EXPECT_EQ(a.socket.core().mapped_address(), a.socket.local_address());

  b.socket.create_permission(a_relayed);
  const std::uint16_t channel = a.socket.bind_channel(b_relayed);
  ASSERT_TRUE(run_until(
      io, [&] { return a.find(Kind::kChannelBound) && b.find(Kind::kPermissionCreated); }));
  EXPECT_EQ(a.find(Kind::kChannelBound)->channel, channel);

  a.socket.send(b_relayed, bytes_of("from A over a channel"));
  ASSERT_TRUE(run_until(io, [&] { return b.find(Kind::kData) != nullptr; }));
  EXPECT_EQ(b.find(Kind::kData)->data, bytes_of("from A over a channel"));
  EXPECT_EQ(b.find(Kind::kData)->peer, a_relayed);
  EXPECT_EQ(b.find(Kind::kData)->channel, 0) << "B bound no channel: a Data indication";

  b.socket.send(a_relayed, bytes_of("from B in a Send indication"));
  ASSERT_TRUE(run_until(io, [&] { return a.find(Kind::kData) != nullptr; }));
  EXPECT_EQ(a.find(Kind::kData)->data, bytes_of("from B in a Send indication"));
  EXPECT_EQ(a.find(Kind::kData)->peer, b_relayed);
  EXPECT_EQ(a.find(Kind::kData)->channel, channel) << "A bound a channel: ChannelData";

  a.socket.release();
  b.socket.release();
  ASSERT_TRUE(run_until(io, [&] { return a.find(Kind::kReleased) && b.find(Kind::kReleased); }));
  for (const Client* client : {&a, &b}) {
    EXPECT_EQ(client->find(Kind::kRequestFailed), nullptr);
    EXPECT_EQ(client->socket.counters().strangers_dropped, 0U);
  }
}

// coturn's relay ports for these tests, apart from those the Python tests and bench use.
constexpr std::uint16_t kCoturnRelayPortMin = 60000;
constexpr std::uint16_t kCoturnRelayPortMax = 60999;

class TurnClientThroughCoturn : public ::testing::Test {
 protected:
  void SetUp() override {
    turnserver_ = find_on_path("turnserver");
    if (!turnserver_) GTEST_SKIP() << "coturn's turnserver is not installed (tools/setup)";
  }
  // A passing test's coturn log is of no further use; a failing one's is kept and named.
  void TearDown() override {
    if (log_file_.empty()) return;
    if (HasFailure()) {
      std::cerr << "coturn's log: " << log_file_ << "\n";
    } else {
      std::remove(log_file_.c_str());
    }
  }
  // turnserver with `options`; its log under the test's own name.
  std::unique_ptr<CoturnProcess> start(CoturnOptions options) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    log_file_ =
        ::testing::TempDir() + "coturn-" + test->name() + "-" + std::to_string(::getpid()) + ".log";
    options.log_file = log_file_;
    options.relay_port_min = kCoturnRelayPortMin;
    options.relay_port_max = kCoturnRelayPortMax;
    return std::make_unique<CoturnProcess>(*turnserver_, options);
  }
  ServerUnderTest server_at(const CoturnProcess& coturn, std::string username,
                            std::string password) const {
    return {udp::endpoint(kLoopback, coturn.port()), std::move(username), std::move(password),
            kCoturnRelayPortMin, kCoturnRelayPortMax};
  }

  std::optional<std::string> turnserver_;
  std::string log_file_;
  asio::io_context io_;
};

TEST_F(TurnClientThroughCoturn, LongTermCredentialsAllocateBindAndRelayBothWays) {
  CoturnOptions options;
  options.user = kUser;
  options.password = kPassword;
  const auto coturn = start(options);
  relay_both_ways(io_, server_at(*coturn, std::string(kUser), std::string(kPassword)));
}

TEST_F(TurnClientThroughCoturn, TimeLimitedCredentialsAllocateBindAndRelayBothWays) {
  CoturnOptions options;
  options.shared_secret = kSecret;
  const auto coturn = start(options);
  const auto unix_now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const platform::TurnCredential credential =
      platform::issue_turn_credential(kSecret, "viewer-7", unix_now, std::chrono::hours(1));
  relay_both_ways(io_, server_at(*coturn, credential.username, credential.password));
}

TEST_F(TurnClientThroughCoturn, AWrongPasswordIsRefusedWith401) {
  CoturnOptions options;
  options.user = kUser;
  options.password = kPassword;
  const auto coturn = start(options);
  Client client(io_, server_at(*coturn, std::string(kUser), "wrong"), 3);
  client.socket.allocate();
  ASSERT_TRUE(run_until(io_, [&] { return client.find(Kind::kAllocateFailed) != nullptr; }));
  EXPECT_EQ(client.find(Kind::kAllocateFailed)->error_code, 401);
  EXPECT_EQ(client.socket.core().state(), platform::TurnClientState::kFailed);
}

// The same client against our own relay driver, in-process on the same io_context.
TEST(TurnClientThroughCcsim, LongTermCredentialsAllocateBindAndRelayBothWays) {
  platform::TurnServerConfig config;
  config.realm = "ccsim.test";
  config.users = {{std::string(kUser), std::string(kPassword)}};
  config.relay_ipv4 = transport_address_of(kLoopback, 0);
  config.relay_port_min = 61000;
  config.relay_port_max = 61999;
  asio::io_context io;
  TurnServerSocket server(io, config, 11, kLoopback, 0);
  server.start();
  relay_both_ways(io, {udp::endpoint(kLoopback, server.port()), std::string(kUser),
                       std::string(kPassword), config.relay_port_min, config.relay_port_max});
  EXPECT_EQ(server.counters().relays_opened, 2U);
  EXPECT_EQ(server.core_counters().relayed_to_peers, 2U);
  EXPECT_EQ(server.core_counters().relayed_to_clients, 2U);
  EXPECT_EQ(server.core_counters().allocations_deleted, 2U);
}

}  // namespace
}  // namespace ccsim::net

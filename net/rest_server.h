// The platform's REST API on HTTPS (TLS 1.3 only): a Boost.Beast server that reads each request
// whole, hands it to a handler (platform/rest_api.h's, in `ccsim serve`) on the io_context's one
// thread, and writes the answer, keeping the connection for the next request while the client
// asks so. What the transport itself refuses gets the API's problem details too: a body over
// platform::kRestBodyBytesMax (413), headers over kRestHeaderBytesMax or a request Beast cannot
// parse (400). A client that sends nothing whole within kRestRequestTimeMax is dropped, so a slow
// client holds its own connection only, never the others'.
#pragma once

#include <utility>  // before Asio: asio#944 with g++ 12 in C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "net/throwaway_ca.h"
#include "platform/rest_api.h"

namespace ccsim::net {

// Connections one server holds at once; one past it is closed at once.
inline constexpr std::size_t kRestConnectionsMax = 10'000;
// A request line and headers larger than this are refused.
inline constexpr std::uint32_t kRestHeaderBytesMax = 16 * 1024;
// Longest a connection may take to finish its TLS handshake, send a whole request, or take an
// answer; and longest it may sit idle between two requests.
inline constexpr std::chrono::seconds kRestRequestTimeMax{30};
// After refusing a request it could not read whole (413, 400), what the server still reads and
// drops, at most, before it closes, so that the client gets to read the refusal.
inline constexpr std::size_t kRestLingerBytesMax = 1024 * 1024;
inline constexpr std::chrono::seconds kRestLingerTimeMax{2};

struct RestServerMetrics {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over kRestConnectionsMax
  std::uint64_t tls_handshakes_failed = 0;
  std::uint64_t requests = 0;          // answered by the handler
  std::uint64_t requests_refused = 0;  // answered by the transport (413, 400)
  std::uint64_t timeouts = 0;          // connections dropped for kRestRequestTimeMax
};

class RestServer {
 public:
  using Handler = std::function<platform::HttpResponse(const platform::HttpRequest&)>;

  // `io` outlives the server.
  RestServer(boost::asio::io_context& io, const Credentials& credentials, Handler handler);
  ~RestServer();
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

  // Listens on `endpoint` (port 0: one the system picks) and returns the port.
  std::uint16_t listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Stops accepting and closes every connection.
  void stop();

  const RestServerMetrics& metrics() const;

  struct State;  // shared with the connections, which may outlive a stop() by a handler or two

 private:
  void accept();

  std::shared_ptr<State> state_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// A server context that speaks TLS 1.3 only, with the credentials' certificate.
boost::asio::ssl::context make_tls13_server_context(const Credentials& credentials);

}  // namespace ccsim::net

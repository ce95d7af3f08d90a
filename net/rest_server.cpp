#include "net/rest_server.h"

#include <openssl/ssl.h>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

namespace ccsim::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class RestConnection;

struct RestServer::State {
  State(asio::io_context& io_in, asio::ssl::context tls_in, Handler handler_in)
      : io(io_in), tls(std::move(tls_in)), handler(std::move(handler_in)) {}
  asio::io_context& io;
  asio::ssl::context tls;
  Handler handler;
  RestServerMetrics metrics;
  std::set<std::shared_ptr<RestConnection>> connections;
  bool stopped = false;
};

// One client's connection: the TLS handshake, then requests and answers in turn.
class RestConnection : public std::enable_shared_from_this<RestConnection> {
 public:
  RestConnection(tcp::socket socket, std::shared_ptr<RestServer::State> state)
      : state_(std::move(state)), stream_(std::move(socket), state_->tls) {}

  void start() {
    beast::get_lowest_layer(stream_).expires_after(kRestRequestTimeMax);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code error) {
                              if (error) return self->fail(error, true);
                              self->read();
                            });
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(kRestHeaderBytesMax);
    parser_->body_limit(platform::kRestBodyBytesMax);
    beast::get_lowest_layer(stream_).expires_after(kRestRequestTimeMax);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

  void on_read(beast::error_code error) {
    if (error == http::error::end_of_stream || error == http::error::partial_message) {
      return finish();  // the client closed, between requests or in one
    }
    if (error == http::error::body_limit) {
      ++state_->metrics.requests_refused;
      return answer(
          platform::rest_problem(
              413, "body_too_large",
              "the body is over " + std::to_string(platform::kRestBodyBytesMax) + " bytes"),
          false, true);
    }
    if (error.category() == http::make_error_code(http::error::bad_target).category()) {
      ++state_->metrics.requests_refused;
      return answer(platform::rest_problem(400, "bad_request",
                                           "the request is not HTTP/1.1 Beast can read, or its "
                                           "headers are over " +
                                               std::to_string(kRestHeaderBytesMax) + " bytes"),
                    false, true);
    }
    if (error) return fail(error, false);
    const http::request<http::string_body>& request = parser_->get();
    const std::string method(request.method_string());
    const std::string content_type(request[http::field::content_type]);
    const std::string authorization(request[http::field::authorization]);
    const std::string target(request.target());
    const platform::HttpRequest handed{method, target, content_type, authorization, request.body()};
    const platform::HttpResponse response = state_->handler(handed);
    ++state_->metrics.requests;
    answer(response, request.keep_alive());
  }

  // Writes `response`; then reads the next request (`keep_alive`), or drains what the client is
  // still sending (`linger`: a refused request's rest) before closing, or closes.
  void answer(const platform::HttpResponse& response, bool keep_alive, bool linger = false) {
    response_ = {};
    response_.result(response.status);
    response_.version(11);
    response_.set(http::field::server, "ccsim");
    response_.set(http::field::content_type, response.content_type);
    response_.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) response_.set(name, value);
    response_.body() = response.body;
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kRestRequestTimeMax);
    http::async_write(
        stream_, response_,
        [self = shared_from_this(), keep_alive, linger](beast::error_code error, std::size_t) {
          if (error) return self->fail(error, false);
          if (keep_alive && !self->state_->stopped) return self->read();
          if (linger) return self->drain(0);
          self->finish();
        });
  }

  // Closing a socket with bytes unread resets it, and the client may lose the answer it has not
  // read yet; so read and drop what still comes, up to kRestLingerBytesMax or for
  // kRestLingerTimeMax, as servers do for a refused upload.
  void drain(std::size_t drained) {
    if (drained == 0) beast::get_lowest_layer(stream_).expires_after(kRestLingerTimeMax);
    stream_.async_read_some(
        asio::buffer(scratch_),
        [self = shared_from_this(), drained](beast::error_code error, std::size_t bytes) {
          if (error || drained + bytes > kRestLingerBytesMax) {
            return self->finish();
          }
          self->drain(drained + bytes);
        });
  }

  void fail(beast::error_code error, bool handshake) {
    if (handshake) ++state_->metrics.tls_handshakes_failed;
    if (error == beast::error::timeout) ++state_->metrics.timeouts;
    finish();
  }

  void finish() {
    close();
    state_->connections.erase(shared_from_this());
  }

  std::shared_ptr<RestServer::State> state_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::array<char, 16 * 1024> scratch_{};  // what drain() drops
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

asio::ssl::context make_tls13_server_context(const Credentials& credentials) {
  asio::ssl::context tls(asio::ssl::context::tls_server);
  if (SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION) != 1) {
    throw std::runtime_error("OpenSSL cannot hold this server to TLS 1.3");
  }
  tls.use_certificate_chain(asio::buffer(credentials.server_cert_pem));
  tls.use_private_key(asio::buffer(credentials.server_key_pem), asio::ssl::context::pem);
  return tls;
}

RestServer::RestServer(asio::io_context& io, const Credentials& credentials, Handler handler)
    : state_(
          std::make_shared<State>(io, make_tls13_server_context(credentials), std::move(handler))),
      acceptor_(io) {}

RestServer::~RestServer() {
  stop();
}

const RestServerMetrics& RestServer::metrics() const {
  return state_->metrics;
}

std::uint16_t RestServer::listen(const tcp::endpoint& endpoint) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
  return acceptor_.local_endpoint().port();
}

void RestServer::accept() {
  acceptor_.async_accept([this, state = state_](beast::error_code error, tcp::socket socket) {
    if (state->stopped) return;
    if (!error) {
      ++state->metrics.connections_accepted;
      if (state->connections.size() >= kRestConnectionsMax) {
        ++state->metrics.connections_refused;
      } else {
        auto connection = std::make_shared<RestConnection>(std::move(socket), state);
        state->connections.insert(connection);
        connection->start();
      }
    }
    accept();
  });
}

void RestServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (const std::shared_ptr<RestConnection>& connection : state_->connections) connection->close();
}

}  // namespace ccsim::net

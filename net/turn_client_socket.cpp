#include "net/turn_client_socket.h"

#include <boost/asio/buffer.hpp>
#include <cassert>

#include "net/turn_server_socket.h"

namespace ccsim::net {

namespace asio = boost::asio;
using asio::ip::udp;

TurnClientSocket::TurnClientSocket(asio::io_context& io, TurnClientSocketConfig config,
                                   std::uint64_t seed, EventHandler on_event)
    : config_(std::move(config)),
      seed_(seed),
      on_event_(std::move(on_event)),
      socket_(io),
      timer_(io),
      buffer_(platform::kStunMessageBytesMax) {}

TurnClientSocket::~TurnClientSocket() {
  stop();
}

void TurnClientSocket::start() {
  assert(!socket_.is_open() && !core_);
  const udp::endpoint local(config_.local_ip, 0);
  socket_.open(local.protocol());
  socket_.bind(local);
  socket_.non_blocking(true);
  const udp::endpoint bound = socket_.local_endpoint();
  local_ = transport_address_of(bound.address(), bound.port());
  platform::TurnClientConfig core_config;
  core_config.five_tuple = {local_,
                            transport_address_of(config_.server.address(), config_.server.port()),
                            platform::TurnTransport::kUdp};
  core_config.username = config_.username;
  core_config.password = config_.password;
  core_config.lifetime_s = config_.lifetime_s;
  core_.emplace(std::move(core_config), core::RandomStream(seed_, 0));
  receive();
}

void TurnClientSocket::stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

void TurnClientSocket::allocate() {
  core_.value().allocate(now());
  carry_out();
}

void TurnClientSocket::create_permission(const platform::TransportAddress& peer) {
  core_.value().create_permission(now(), peer);
  carry_out();
}

std::uint16_t TurnClientSocket::bind_channel(const platform::TransportAddress& peer) {
  const std::uint16_t channel = core_.value().bind_channel(now(), peer);
  carry_out();
  return channel;
}

void TurnClientSocket::send(const platform::TransportAddress& peer,
                            std::span<const std::uint8_t> data) {
  core_.value().send(now(), peer, data);
  carry_out();
}

void TurnClientSocket::release() {
  core_.value().release(now());
  carry_out();
}

void TurnClientSocket::receive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), sender_,
      [this](const boost::system::error_code& error, std::size_t count) {
        // Checked before touching anything else: closing the socket in the destructor aborts it.
        if (error == asio::error::operation_aborted || stopping_) return;
        if (error) ++counters_.receive_errors;  // an ICMP report: the socket itself is fine
        for (int n = 0; !error && n < kTurnClientDatagramsPerWakeupMax; ++n) {
          if (n > 0) {
            boost::system::error_code again;
            count = socket_.receive_from(asio::buffer(buffer_), sender_, 0, again);
            if (again) break;
          }
          on_datagram(count);
          if (stopping_) return;  // the handler may stop the driver
        }
        receive();
      });
}

void TurnClientSocket::on_datagram(std::size_t count) {
  if (sender_ != config_.server) {
    ++counters_.strangers_dropped;
    return;
  }
  ++counters_.datagrams_received;
  core_->on_packet(now(), std::span<const std::uint8_t>(buffer_.data(), count));
  carry_out();
}

// Sends first, then events: a handler that calls back in (send() on kChannelBound, say) finds
// the core's earlier datagrams already gone.
void TurnClientSocket::carry_out() {
  if (stopping_) return;
  for (const platform::StunBytes& datagram : core_->take_outgoing()) {
    boost::system::error_code error;
    socket_.send_to(asio::buffer(datagram), config_.server, 0, error);
    ++(error ? counters_.sends_dropped : counters_.datagrams_sent);
  }
  arm_timer();
  for (const platform::TurnClientEvent& event : core_->take_events()) {
    if (stopping_) return;
    if (on_event_) on_event_(event);
  }
}

// One wait pending at a time, for the core's next wake-up. A wait that fired as a later one was
// set only calls on_timer() early, which the core takes as a no-op.
void TurnClientSocket::arm_timer() {
  const std::optional<core::Time> next = core_->next_wakeup();
  if (next == timer_armed_for_) return;
  timer_armed_for_ = next;
  if (!next) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(clock_.wall_time_at(*next));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == asio::error::operation_aborted || stopping_) return;  // before touching more
    timer_armed_for_.reset();
    core_->on_timer(now());
    carry_out();
  });
}

}  // namespace ccsim::net

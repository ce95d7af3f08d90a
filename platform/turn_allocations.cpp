// TurnServer's allocations: Allocate, Refresh, CreatePermission, ChannelBind, and the data
// clients send through them (Send indications, ChannelData). turn_server.cpp holds the rest:
// packets in, authentication, nonces, expiry and the peers' side.
#include <algorithm>
#include <cassert>

#include "platform/turn_server.h"

namespace ccsim::platform {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

constexpr std::size_t kReservationTokenBytes = 8;
constexpr int kTokenDrawsMax = 16;  // 2^64 tokens: one clash is already astronomically rare

StunMessage success(const StunMessage& request) {
  StunMessage reply;
  reply.method = request.method;
  reply.message_class = StunClass::kSuccessResponse;
  reply.transaction_id = request.transaction_id;
  return reply;
}

TransportAddress ip_key(TransportAddress address) {
  address.port = 0;
  return address;
}

std::uint32_t seconds_between(core::Time from, core::Time to) {
  return static_cast<std::uint32_t>(duration_cast<seconds>(to - from).count());
}

}  // namespace

TurnServer::Reply TurnServer::on_allocate(core::Time now, const FiveTuple& five_tuple,
                                          const StunMessage& request, const Caller& caller,
                                          TurnOutput& out) {
  if (const auto existing = allocations_.find(five_tuple); existing != allocations_.end()) {
    // A retransmission of the Allocate that made it (the answer was lost) gets that answer.
    if (existing->second.allocate_transaction == request.transaction_id) {
      return Reply{existing->second.allocate_response, existing->second.key};
    }
    return error_reply(request, 437, "Allocation Mismatch", caller.key);
  }
  if (std::optional<Reply> problem = allocate_problem(request, caller)) {
    return *problem;
  }
  std::optional<StunBytes> token;
  std::optional<TransportAddress> relay;
  if (const StunAttribute* held = request.find(StunAttributeType::kReservationToken)) {
    const auto reservation = reservations_.find(held->value);
    if (reservation == reservations_.end() || reservation->second.expires_at <= now) {
      return error_reply(request, 508, "Insufficient Capacity: no such reservation", caller.key);
    }
    relay = reservation->second.relay;  // stays in ports_in_use_, now for the allocation
    reservations_.erase(reservation);
  } else {
    const AddressFamily family = request.address_family(StunAttributeType::kRequestedAddressFamily)
                                     .value_or(AddressFamily::kIpv4);
    relay = pick_relay(now, family, request.has(StunAttributeType::kEvenPort),
                       request.even_port_reserve().value_or(false), token, out);
    // Nothing was allocated and no quota used: the client hears of no relayed address.
    if (!relay) return error_reply(request, 508, "Insufficient Capacity", caller.key);
  }
  return create_allocation(now, five_tuple, request, caller, *relay, token, out);
}

// RFC 8656 section 7.2, steps 3 to 10 (step 4, DONT-FRAGMENT, is on_request's 420).
std::optional<TurnServer::Reply> TurnServer::allocate_problem(const StunMessage& request,
                                                              const Caller& caller) const {
  const auto refuse = [&](int code, std::string_view reason) {
    return std::optional<Reply>(error_reply(request, code, reason, caller.key));
  };
  const std::optional<std::uint8_t> transport = request.requested_transport();
  if (!transport) return refuse(400, "Bad Request: no REQUESTED-TRANSPORT");
  if (*transport != kTransportProtocolUdp) return refuse(442, "Unsupported Transport Protocol");
  const bool token = request.has(StunAttributeType::kReservationToken);
  const auto family = request.address_family(StunAttributeType::kRequestedAddressFamily);
  const auto additional = request.address_family(StunAttributeType::kAdditionalAddressFamily);
  const bool reserve = request.even_port_reserve().value_or(false);
  if (token && (request.has(StunAttributeType::kEvenPort) || family || additional)) {
    return refuse(400, "Bad Request: RESERVATION-TOKEN with EVEN-PORT or an address family");
  }
  if (family && additional) {
    return refuse(400, "Bad Request: REQUESTED-ADDRESS-FAMILY with ADDITIONAL-ADDRESS-FAMILY");
  }
  if (additional && (reserve || *additional == AddressFamily::kIpv4)) {
    return refuse(400, "Bad Request: ADDITIONAL-ADDRESS-FAMILY with this request");
  }
  if (family == AddressFamily::kIpv6 && !config_.relay_ipv6) {
    return refuse(440, "Address Family not Supported");
  }
  const auto used = allocations_of_user_.find(caller.username);
  if (used != allocations_of_user_.end() && used->second >= config_.allocations_per_user_max) {
    return refuse(486, "Allocation Quota Reached");
  }
  if (allocations_.size() >= config_.allocations_max) {
    return refuse(508, "Insufficient Capacity");
  }
  return std::nullopt;
}

// RFC 8656 section 7.2 asks for a relayed address before the answer: "the server checks if it
// can satisfy the request (i.e., can allocate a relayed transport address as described below).
// If the server cannot satisfy the request, then the server rejects the request with a 508
// (Insufficient Capacity) error"; section 7.4 reads 508 as "The server has no more relayed
// transport addresses available or has none with the requested properties". A port free in the
// core's books may still be held by another socket on the host, so the driver takes each one
// (binds it) before the client is told; a refused port is left for another, up to
// kTurnRelayPortAttemptsMax. With `reserve_next`, port N even and N + 1 are taken together and
// N + 1 is held under a new token; N alone is given back when N + 1 cannot be had.
std::optional<TransportAddress> TurnServer::pick_relay(core::Time now, AddressFamily family,
                                                       bool even, bool reserve_next,
                                                       std::optional<StunBytes>& token,
                                                       TurnOutput& out) {
  TransportAddress relay =
      family == AddressFamily::kIpv4 ? config_.relay_ipv4 : config_.relay_ipv6.value();
  std::set<std::uint16_t> tried;
  for (int attempt = 0; attempt < kTurnRelayPortAttemptsMax; ++attempt) {
    const std::optional<std::uint16_t> port =
        free_port(relay, even || reserve_next, reserve_next, tried);
    if (!port) return std::nullopt;  // every port (pair) is in use or was refused
    tried.insert(*port);
    relay.port = *port;
    if (!take_relay_(relay)) continue;
    if (!reserve_next) return relay;
    TransportAddress next = relay;
    next.port = static_cast<std::uint16_t>(*port + 1);
    if (!take_relay_(next)) {
      out.relays_closed.push_back(relay);
      continue;
    }
    token = reserve(now, next);
    return relay;
  }
  return std::nullopt;
}

// A port of the range that no allocation or reservation holds and this Allocate has not tried,
// from a random point of the range on; with `pair`, an even N whose N + 1 is free too.
std::optional<std::uint16_t> TurnServer::free_port(TransportAddress relay, bool even, bool pair,
                                                   const std::set<std::uint16_t>& tried) {
  const std::uint32_t first = config_.relay_port_min;
  const std::uint32_t span = config_.relay_port_max - first + 1;
  const std::uint64_t start = random_.next_below(span);
  for (std::uint32_t i = 0; i < span; ++i) {
    const auto port = static_cast<std::uint16_t>(first + (start + i) % span);
    if ((even || pair) && port % 2 != 0) continue;
    if (tried.contains(port)) continue;
    relay.port = port;
    if (ports_in_use_.contains(relay)) continue;
    if (!pair) return port;
    if (port == config_.relay_port_max) continue;
    relay.port = static_cast<std::uint16_t>(port + 1);
    if (ports_in_use_.contains(relay)) continue;
    return port;
  }
  return std::nullopt;
}

// Holds `relay` (already taken from the driver) for kTurnReservationLifetime under a new token.
StunBytes TurnServer::reserve(core::Time now, const TransportAddress& relay) {
  assert(!ports_in_use_.contains(relay));
  StunBytes drawn;
  for (int draw = 0; draw < kTokenDrawsMax && (drawn.empty() || reservations_.contains(drawn));
       ++draw) {
    const std::string bytes = core::random_bytes(random_, kReservationTokenBytes);
    drawn.assign(bytes.begin(), bytes.end());
  }
  assert(!reservations_.contains(drawn));
  reservations_[drawn] = Reservation{relay, now + kTurnReservationLifetime};
  ports_in_use_.insert(relay);
  return drawn;
}

TurnServer::Reply TurnServer::create_allocation(core::Time now, const FiveTuple& five_tuple,
                                                const StunMessage& request, const Caller& caller,
                                                const TransportAddress& relay,
                                                std::optional<StunBytes> token, TurnOutput& out) {
  Allocation allocation;
  allocation.five_tuple = five_tuple;
  allocation.username = caller.username;
  allocation.key = caller.key;
  allocation.relay = relay;
  allocation.expires_at = lifetime_end(now, request);
  allocation.allocate_transaction = request.transaction_id;
  Reply reply{success(request), caller.key};
  reply.message.add_address(StunAttributeType::kXorRelayedAddress, relay);
  reply.message.add_u32(StunAttributeType::kLifetime, seconds_between(now, allocation.expires_at));
  if (token) reply.message.add(StunAttributeType::kReservationToken, *token);
  reply.message.add_address(StunAttributeType::kXorMappedAddress, five_tuple.client);
  allocation.allocate_response = reply.message;
  ports_in_use_.insert(relay);
  by_relay_[relay] = five_tuple;
  deadlines_.insert({allocation.expires_at, five_tuple});
  ++allocations_of_user_[caller.username];
  allocations_.emplace(five_tuple, std::move(allocation));
  ++counters_.allocations_created;
  out.relays_opened.push_back(relay);
  return reply;
}

TurnServer::Reply TurnServer::on_refresh(core::Time now, Allocation& allocation,
                                         const StunMessage& request, const Caller& caller,
                                         TurnOutput& out) {
  const auto family = request.address_family(StunAttributeType::kRequestedAddressFamily);
  if (family && *family != allocation.relay.family) {
    return error_reply(request, 443, "Peer Address Family Mismatch", caller.key);
  }
  Reply reply{success(request), caller.key};
  if (request.u32(StunAttributeType::kLifetime) == 0U) {
    reply.message.add_u32(StunAttributeType::kLifetime, 0);
    ++counters_.allocations_deleted;
    remove_allocation(allocation.five_tuple, out);
    return reply;
  }
  deadlines_.erase({allocation.expires_at, allocation.five_tuple});
  allocation.expires_at = lifetime_end(now, request);
  deadlines_.insert({allocation.expires_at, allocation.five_tuple});
  reply.message.add_u32(StunAttributeType::kLifetime, seconds_between(now, allocation.expires_at));
  return reply;
}

TurnServer::Reply TurnServer::on_create_permission(core::Time now, Allocation& allocation,
                                                   const StunMessage& request,
                                                   const Caller& caller) {
  const std::vector<TransportAddress> peers = request.addresses(StunAttributeType::kXorPeerAddress);
  if (peers.empty())
    return error_reply(request, 400, "Bad Request: no XOR-PEER-ADDRESS", caller.key);
  std::set<TransportAddress> fresh;
  for (const TransportAddress& peer : peers) {
    if (peer.family != allocation.relay.family) {
      return error_reply(request, 443, "Peer Address Family Mismatch", caller.key);
    }
    if (!permitted(now, allocation, peer)) fresh.insert(ip_key(peer));
  }
  std::erase_if(allocation.permissions, [now](const auto& entry) { return entry.second <= now; });
  if (allocation.permissions.size() + fresh.size() > kTurnPermissionsPerAllocationMax) {
    return error_reply(request, 508, "Insufficient Capacity: too many permissions", caller.key);
  }
  for (const TransportAddress& peer : peers) {
    allocation.permissions[ip_key(peer)] = now + kTurnPermissionLifetime;
  }
  return Reply{success(request), caller.key};
}

// RFC 8656 section 12.2. Bindings past their expiry are gone first, so their channel and peer
// are free again.
TurnServer::Reply TurnServer::on_channel_bind(core::Time now, Allocation& allocation,
                                              const StunMessage& request, const Caller& caller) {
  const std::optional<std::uint16_t> channel = request.channel_number();
  const std::optional<TransportAddress> peer = request.address(StunAttributeType::kXorPeerAddress);
  if (!channel || !peer) {
    return error_reply(request, 400, "Bad Request: CHANNEL-NUMBER and XOR-PEER-ADDRESS needed",
                       caller.key);
  }
  if (*channel < kChannelNumberMin || *channel > channel_number_max(config_.channel_numbers)) {
    return error_reply(request, 400,
                       config_.channel_numbers == ChannelNumbers::kRfc5766
                           ? "Bad Request: channel outside 0x4000..0x7FFF"
                           : "Bad Request: channel outside 0x4000..0x4FFF",
                       caller.key);
  }
  if (peer->family != allocation.relay.family) {
    return error_reply(request, 443, "Peer Address Family Mismatch", caller.key);
  }
  std::erase_if(allocation.channels, [&](const auto& entry) {
    if (entry.second.expires_at > now) return false;
    allocation.channel_of_peer.erase(entry.second.peer);
    return true;
  });
  const auto bound = allocation.channels.find(*channel);
  if (bound != allocation.channels.end() && bound->second.peer != *peer) {
    return error_reply(request, 400, "Bad Request: channel bound to another peer", caller.key);
  }
  const auto of_peer = allocation.channel_of_peer.find(*peer);
  if (of_peer != allocation.channel_of_peer.end() && of_peer->second != *channel) {
    return error_reply(request, 400, "Bad Request: peer bound to another channel", caller.key);
  }
  std::erase_if(allocation.permissions, [now](const auto& entry) { return entry.second <= now; });
  if (!permitted(now, allocation, *peer) &&
      allocation.permissions.size() >= kTurnPermissionsPerAllocationMax) {
    return error_reply(request, 508, "Insufficient Capacity: too many permissions", caller.key);
  }
  allocation.channels[*channel] = Channel{*peer, now + kTurnChannelLifetime};
  allocation.channel_of_peer[*peer] = *channel;
  allocation.permissions[ip_key(*peer)] = now + kTurnPermissionLifetime;
  return Reply{success(request), caller.key};
}

// RFC 8656 section 11.2. Dropped: no allocation on this 5-tuple, no XOR-PEER-ADDRESS or DATA,
// DONT-FRAGMENT or another unknown comprehension-required attribute, no live permission.
void TurnServer::on_send_indication(core::Time now, const FiveTuple& five_tuple,
                                    const StunMessage& message, TurnOutput& out) {
  const auto it = allocations_.find(five_tuple);
  const std::optional<TransportAddress> peer = message.address(StunAttributeType::kXorPeerAddress);
  const auto data = message.data();
  if (it == allocations_.end() || !peer || !data || message.has(StunAttributeType::kDontFragment) ||
      !unknown_comprehension_required(message).empty() || !permitted(now, it->second, *peer)) {
    ++counters_.indications_dropped;
    return;
  }
  out.to_peers.push_back(
      TurnToPeer{it->second.relay, *peer, StunBytes(data->begin(), data->end())});
  ++counters_.relayed_to_peers;
}

// RFC 8656 section 12.6: dropped when malformed, on a 5-tuple without an allocation, or on a
// channel not bound; it refreshes nothing.
void TurnServer::on_channel_data(core::Time now, const FiveTuple& five_tuple,
                                 std::span<const std::uint8_t> bytes, TurnOutput& out) {
  Result<ChannelData> channel_data = parse_channel_data(bytes, config_.channel_numbers);
  const auto it = allocations_.find(five_tuple);
  if (!channel_data.ok() || it == allocations_.end()) {
    ++counters_.channel_data_dropped;
    return;
  }
  const auto channel = it->second.channels.find(channel_data.value().channel);
  if (channel == it->second.channels.end() || channel->second.expires_at <= now) {
    ++counters_.channel_data_dropped;
    return;
  }
  out.to_peers.push_back(
      TurnToPeer{it->second.relay, channel->second.peer, std::move(channel_data).value().data});
  ++counters_.relayed_to_peers;
}

}  // namespace ccsim::platform

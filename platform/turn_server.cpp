#include "platform/turn_server.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdio>

#include "platform/turn_credentials.h"

namespace ccsim::platform {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

// RFC 8489 section 9.2: "obMatJos2" and the base64 of the 24 security-feature bits, all zero.
constexpr std::string_view kNonceCookie = "obMatJos2AAAA";
constexpr std::size_t kNonceKeyBytes = 16;
constexpr std::size_t kNonceHexDigits = 16;  // each of the issue time and the MAC

StunBytes random_stun_bytes(core::RandomStream& random, std::size_t count) {
  const std::string drawn = core::random_bytes(random, count);
  return StunBytes(drawn.begin(), drawn.end());
}

StunMessage response(const StunMessage& request, StunClass message_class) {
  StunMessage reply;
  reply.method = request.method;
  reply.message_class = message_class;
  reply.transaction_id = request.transaction_id;
  return reply;
}

// Permissions are by IP alone (RFC 8656 section 9): the port is zeroed in their key.
TransportAddress ip_key(TransportAddress address) {
  address.port = 0;
  return address;
}

std::string hex64(std::uint64_t value) {
  char text[kNonceHexDigits + 1];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

TurnServer::TurnServer(TurnServerConfig config, core::RandomStream random,
                       RelayAddressTaker take_relay)
    : config_(std::move(config)),
      random_(random),
      take_relay_(std::move(take_relay)),
      nonce_key_(random_stun_bytes(random_, kNonceKeyBytes)) {
  if (!take_relay_) take_relay_ = [](const TransportAddress&) { return true; };
  assert(config_.relay_port_min <= config_.relay_port_max);
  assert(config_.allocations_max <= kTurnAllocationsMax);
  assert(config_.relay_ipv4.family == AddressFamily::kIpv4);
  assert(!config_.relay_ipv6 || config_.relay_ipv6->family == AddressFamily::kIpv6);
  assert(config_.allocation_lifetime_default <= config_.allocation_lifetime_max);
}

TurnOutput TurnServer::on_client_packet(core::Time now, const FiveTuple& five_tuple,
                                        std::span<const std::uint8_t> bytes) {
  TurnOutput out;
  expire(now, out);
  switch (classify_turn_packet(bytes, config_.channel_numbers)) {
    case TurnPacketKind::kStun:
      on_stun(now, five_tuple, bytes, out);
      break;
    case TurnPacketKind::kChannelData:
      on_channel_data(now, five_tuple, bytes, out);
      break;
    case TurnPacketKind::kOther:
      ++counters_.not_stun_dropped;
      break;
  }
  return out;
}

TurnOutput TurnServer::on_peer_packet(core::Time now, const TransportAddress& relay,
                                      const TransportAddress& peer,
                                      std::span<const std::uint8_t> bytes) {
  TurnOutput out;
  expire(now, out);
  const auto owner = by_relay_.find(relay);
  if (owner == by_relay_.end()) {
    ++counters_.peer_no_allocation_dropped;
    return out;
  }
  const Allocation& allocation = allocations_.at(owner->second);
  if (!permitted(now, allocation, peer)) {
    ++counters_.peer_no_permission_dropped;
    return out;
  }
  if (bytes.size() > kTurnDataBytesMax) {
    ++counters_.peer_too_big_dropped;
    return out;
  }
  // RFC 8656 section 11.3: a bound channel takes ChannelData (padded on streams, section 12.5),
  // any other permitted peer a Data indication.
  const auto channel = allocation.channel_of_peer.find(peer);
  StunBytes message;
  if (channel != allocation.channel_of_peer.end() &&
      allocation.channels.at(channel->second).expires_at > now) {
    message = encode_channel_data(channel->second, bytes,
                                  allocation.five_tuple.transport == TurnTransport::kTcp);
  } else {
    StunMessage indication;
    indication.method = StunMethod::kData;
    indication.message_class = StunClass::kIndication;
    const StunBytes id = random_stun_bytes(random_, kStunTransactionIdBytes);
    std::copy(id.begin(), id.end(), indication.transaction_id.begin());
    indication.add_address(StunAttributeType::kXorPeerAddress, peer);
    indication.add(StunAttributeType::kData, bytes);
    StunEncodeOptions options;
    options.fingerprint = true;
    message = encode_stun(indication, options);
  }
  out.to_clients.push_back(TurnToClient{allocation.five_tuple, std::move(message)});
  ++counters_.relayed_to_clients;
  return out;
}

TurnOutput TurnServer::on_timer(core::Time now) {
  TurnOutput out;
  expire(now, out);
  return out;
}

TurnOutput TurnServer::on_connection_closed(core::Time now, const FiveTuple& five_tuple) {
  TurnOutput out;
  expire(now, out);
  if (allocations_.contains(five_tuple)) {
    ++counters_.allocations_deleted;
    remove_allocation(five_tuple, out);
  }
  return out;
}

std::optional<core::Time> TurnServer::next_expiry() const {
  std::optional<core::Time> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  for (const auto& [token, reservation] : reservations_) {
    if (!next || reservation.expires_at < *next) next = reservation.expires_at;
  }
  return next;
}

void TurnServer::expire(core::Time now, TurnOutput& out) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const FiveTuple five_tuple = deadlines_.begin()->second;
    ++counters_.allocations_expired;
    remove_allocation(five_tuple, out);
  }
  // Reservations are few (one per Allocate with EVEN-PORT's R bit), so a scan is cheap. The
  // driver took the reserved port with its pair's first: it is given back.
  for (auto it = reservations_.begin(); it != reservations_.end();) {
    if (it->second.expires_at <= now) {
      ports_in_use_.erase(it->second.relay);
      out.relays_closed.push_back(it->second.relay);
      it = reservations_.erase(it);
    } else {
      ++it;
    }
  }
}

void TurnServer::remove_allocation(const FiveTuple& five_tuple, TurnOutput& out) {
  const auto it = allocations_.find(five_tuple);
  assert(it != allocations_.end());
  const Allocation& allocation = it->second;
  deadlines_.erase({allocation.expires_at, five_tuple});
  by_relay_.erase(allocation.relay);
  ports_in_use_.erase(allocation.relay);
  const auto user = allocations_of_user_.find(allocation.username);
  assert(user != allocations_of_user_.end() && user->second > 0);
  if (--user->second == 0) allocations_of_user_.erase(user);
  out.relays_closed.push_back(allocation.relay);
  allocations_.erase(it);
}

void TurnServer::on_stun(core::Time now, const FiveTuple& five_tuple,
                         std::span<const std::uint8_t> bytes, TurnOutput& out) {
  Result<StunMessage> parsed = parse_stun(bytes);
  if (!parsed.ok()) {
    const std::optional<StunMessage> header = parse_stun_header(bytes);
    if (!header || header->message_class != StunClass::kRequest) {
      ++counters_.malformed_dropped;
      return;
    }
    ++counters_.malformed_answered;
    ++counters_.error_responses;
    std::string reason = "Bad Request: " + parsed.error().message;
    reason.resize(std::min(reason.size(), kStunTextBytesMax));
    out.to_clients.push_back(
        TurnToClient{five_tuple, encode_reply(error_reply(*header, 400, reason, {}))});
    return;
  }
  const StunMessage& message = parsed.value();
  if (message.message_class == StunClass::kRequest) {
    const Reply reply = on_request(now, five_tuple, message, bytes, out);
    if (reply.message.message_class == StunClass::kErrorResponse) ++counters_.error_responses;
    out.to_clients.push_back(TurnToClient{five_tuple, encode_reply(reply)});
  } else if (message.message_class == StunClass::kIndication &&
             message.method == StunMethod::kSend) {
    on_send_indication(now, five_tuple, message, out);
  } else {
    ++counters_.responses_dropped;
  }
}

TurnServer::Reply TurnServer::on_request(core::Time now, const FiveTuple& five_tuple,
                                         const StunMessage& request,
                                         std::span<const std::uint8_t> bytes, TurnOutput& out) {
  std::vector<StunAttributeType> unknown = unknown_comprehension_required(request);
  if (request.method == StunMethod::kBinding) {
    if (!unknown.empty()) {
      Reply reply = error_reply(request, 420, "Unknown Attribute", {});
      reply.message.add_unknown_attributes(unknown);
      return reply;
    }
    Reply reply{response(request, StunClass::kSuccessResponse), {}};
    reply.message.add_address(StunAttributeType::kXorMappedAddress, five_tuple.client);
    return reply;
  }
  const bool turn_method =
      request.method == StunMethod::kAllocate || request.method == StunMethod::kRefresh ||
      request.method == StunMethod::kCreatePermission || request.method == StunMethod::kChannelBind;
  if (!turn_method) return error_reply(request, 400, "Bad Request: unknown method", {});
  Caller caller;
  if (std::optional<Reply> refused = authenticate(now, five_tuple, request, bytes, caller)) {
    return *refused;
  }
  // RFC 8489 section 7.3: unknown attributes are looked at once authentication has passed.
  // RFC 8656 section 7.2 step 4: a relay that cannot set DF treats DONT-FRAGMENT as unknown.
  if (request.method == StunMethod::kAllocate && request.has(StunAttributeType::kDontFragment)) {
    unknown.push_back(StunAttributeType::kDontFragment);
  }
  if (!unknown.empty()) {
    Reply reply = error_reply(request, 420, "Unknown Attribute", caller.key);
    reply.message.add_unknown_attributes(unknown);
    return reply;
  }
  if (request.method == StunMethod::kAllocate) {
    return on_allocate(now, five_tuple, request, caller, out);
  }
  return on_allocation_request(now, five_tuple, request, caller, out);
}

// Refresh, CreatePermission and ChannelBind: RFC 8656 section 5 asks for an allocation on this
// 5-tuple (437) made by the same user (441).
TurnServer::Reply TurnServer::on_allocation_request(core::Time now, const FiveTuple& five_tuple,
                                                    const StunMessage& request,
                                                    const Caller& caller, TurnOutput& out) {
  const auto it = allocations_.find(five_tuple);
  if (it == allocations_.end()) {
    return error_reply(request, 437, "Allocation Mismatch", caller.key);
  }
  Allocation& allocation = it->second;
  if (allocation.username != caller.username) {
    return error_reply(request, 441, "Wrong Credentials", caller.key);
  }
  switch (request.method) {
    case StunMethod::kRefresh:
      return on_refresh(now, allocation, request, caller, out);
    case StunMethod::kCreatePermission:
      return on_create_permission(now, allocation, request, caller);
    case StunMethod::kChannelBind:
      return on_channel_bind(now, allocation, request, caller);
    default:
      assert(false && "on_request passes only TURN methods");
      return error_reply(request, 400, "Bad Request: unknown method", caller.key);
  }
}

std::optional<TurnServer::Reply> TurnServer::authenticate(core::Time now,
                                                          const FiveTuple& five_tuple,
                                                          const StunMessage& request,
                                                          std::span<const std::uint8_t> bytes,
                                                          Caller& caller) {
  if (!request.has(StunAttributeType::kMessageIntegrity) &&
      !request.has(StunAttributeType::kMessageIntegritySha256)) {
    return challenge(now, five_tuple, request, 401);
  }
  const std::optional<std::string> username = request.text(StunAttributeType::kUsername);
  const std::optional<std::string> nonce = request.text(StunAttributeType::kNonce);
  if (!username || !nonce || !request.has(StunAttributeType::kRealm)) {
    return error_reply(request, 400,
                       "Bad Request: USERNAME, REALM and NONCE must come with "
                       "MESSAGE-INTEGRITY",
                       {});
  }
  const std::optional<std::string> password = password_of(now, *username);
  if (!password) return challenge(now, five_tuple, request, 401);
  // The key takes this server's realm: a request made for another realm fails its HMAC.
  StunBytes key = stun_long_term_key(*username, config_.realm, *password);
  if (check_stun_integrity(bytes, key) != StunIntegrity::kValid) {
    return challenge(now, five_tuple, request, 401);
  }
  if (!nonce_fresh(now, five_tuple.client, *nonce)) return challenge(now, five_tuple, request, 438);
  caller = Caller{*username, std::move(key)};
  return std::nullopt;
}

std::optional<std::string> TurnServer::password_of(core::Time now,
                                                   const std::string& username) const {
  if (!config_.shared_secret.empty()) {
    const std::uint64_t unix_now = config_.unix_time_at_zero_s +
                                   static_cast<std::uint64_t>(duration_cast<seconds>(now).count());
    std::string password = turn_password(config_.shared_secret, username);
    const std::optional<bool> valid =
        turn_credential_valid(config_.shared_secret, username, password, unix_now);
    if (!valid || !*valid) return std::nullopt;
    return password;
  }
  const auto user = config_.users.find(username);
  if (user == config_.users.end()) return std::nullopt;
  return user->second;
}

// The nonce: the cookie, the issue time (microseconds, hex) and 8 bytes of an HMAC over both and
// the client's address, so it proves its age and its holder without being stored.
std::string TurnServer::nonce_for(core::Time now, const TransportAddress& client) const {
  const std::string issued = hex64(static_cast<std::uint64_t>(now.count()));
  const std::string input = issued + "|" + transport_address_text(client);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), nonce_key_.data(), static_cast<int>(nonce_key_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  std::uint64_t head = 0;
  for (std::size_t i = 0; i < 8; ++i) head = (head << 8) | mac[i];
  return std::string(kNonceCookie) + issued + hex64(head);
}

bool TurnServer::nonce_fresh(core::Time now, const TransportAddress& client,
                             std::string_view nonce) const {
  if (nonce.size() != kNonceCookie.size() + 2 * kNonceHexDigits) return false;
  const std::string_view issued_hex = nonce.substr(kNonceCookie.size(), kNonceHexDigits);
  std::uint64_t issued = 0;
  const auto [end, problem] =
      std::from_chars(issued_hex.data(), issued_hex.data() + issued_hex.size(), issued, 16);
  if (problem != std::errc{} || end != issued_hex.data() + issued_hex.size()) return false;
  const core::Time issued_at{static_cast<std::int64_t>(issued)};
  if (issued_at > now || now - issued_at >= config_.nonce_lifetime) return false;
  return nonce_for(issued_at, client) == nonce;
}

core::Time TurnServer::lifetime_end(core::Time now, const StunMessage& request) const {
  // RFC 8656 section 7.2: min(asked, maximum), but never below the default.
  seconds lifetime = config_.allocation_lifetime_default;
  if (const std::optional<std::uint32_t> asked = request.u32(StunAttributeType::kLifetime)) {
    const seconds computed = std::min(seconds(*asked), config_.allocation_lifetime_max);
    if (computed > lifetime) lifetime = computed;
  }
  return now + lifetime;
}

bool TurnServer::permitted(core::Time now, const Allocation& allocation,
                           const TransportAddress& peer) const {
  const auto permission = allocation.permissions.find(ip_key(peer));
  return permission != allocation.permissions.end() && permission->second > now;
}

TurnServer::Reply TurnServer::error_reply(const StunMessage& request, int code,
                                          std::string_view reason, const StunBytes& key) {
  Reply reply{response(request, StunClass::kErrorResponse), key};
  reply.message.add_error_code(code, reason);
  return reply;
}

// RFC 8489 section 9.2.4: 401 and 438 carry REALM and a fresh NONCE, and no integrity.
TurnServer::Reply TurnServer::challenge(core::Time now, const FiveTuple& five_tuple,
                                        const StunMessage& request, int code) {
  Reply reply = error_reply(request, code, code == 438 ? "Stale Nonce" : "Unauthenticated", {});
  reply.message.add_text(StunAttributeType::kRealm, config_.realm);
  reply.message.add_text(StunAttributeType::kNonce, nonce_for(now, five_tuple.client));
  return reply;
}

StunBytes TurnServer::encode_reply(const Reply& reply) const {
  StunMessage message = reply.message;
  message.add_text(StunAttributeType::kSoftware, kTurnSoftware);
  StunEncodeOptions options;
  if (!reply.key.empty()) options.integrity_key = reply.key;
  options.fingerprint = true;
  return encode_stun(message, options);
}

}  // namespace ccsim::platform

#include "platform/turn_client.h"

#include <algorithm>
#include <cassert>

namespace ccsim::platform {
namespace {

using std::chrono::seconds;

TransportAddress ip_key(TransportAddress address) {
  address.port = 0;
  return address;
}

// The (first) peer a CreatePermission or ChannelBind was about, for its events.
TransportAddress peer_of(const StunMessage& request) {
  return request.address(StunAttributeType::kXorPeerAddress).value_or(TransportAddress{});
}

}  // namespace

TurnClient::TurnClient(TurnClientConfig config, core::RandomStream random)
    : config_(std::move(config)), random_(random) {}

StunMessage TurnClient::new_request(StunMethod method) {
  StunMessage request;
  request.method = method;
  request.message_class = StunClass::kRequest;
  const std::string id = core::random_bytes(random_, kStunTransactionIdBytes);
  std::copy(id.begin(), id.end(), request.transaction_id.begin());
  return request;
}

void TurnClient::allocate(core::Time now) {
  assert(state_ == TurnClientState::kIdle);
  state_ = TurnClientState::kAllocating;
  StunMessage request = new_request(StunMethod::kAllocate);
  request.add_requested_transport(kTransportProtocolUdp);
  request.add_u32(StunAttributeType::kLifetime, config_.lifetime_s);
  start(now, std::move(request));
}

void TurnClient::create_permission(core::Time now, const TransportAddress& peer) {
  assert(state_ == TurnClientState::kAllocated);
  permitted_peers_.insert(ip_key(peer));
  StunMessage request = new_request(StunMethod::kCreatePermission);
  request.add_address(StunAttributeType::kXorPeerAddress, peer);
  start(now, std::move(request));
}

std::uint16_t TurnClient::bind_channel(core::Time now, const TransportAddress& peer) {
  assert(state_ == TurnClientState::kAllocated);
  auto [it, added] = channel_of_peer_.try_emplace(peer, next_channel_);
  if (added) {
    assert(next_channel_ <= kChannelNumberMax);
    peer_of_channel_[next_channel_] = peer;
    ++next_channel_;
  }
  permitted_peers_.insert(ip_key(peer));
  StunMessage request = new_request(StunMethod::kChannelBind);
  request.add_channel_number(it->second).add_address(StunAttributeType::kXorPeerAddress, peer);
  start(now, std::move(request));
  return it->second;
}

void TurnClient::send(core::Time now, const TransportAddress& peer,
                      std::span<const std::uint8_t> data) {
  (void)now;
  assert(state_ == TurnClientState::kAllocated && data.size() <= kTurnDataBytesMax);
  const auto channel = channel_of_peer_.find(peer);
  if (channel != channel_of_peer_.end() && confirmed_channels_.contains(channel->second)) {
    outgoing_.push_back(encode_channel_data(channel->second, data,
                                            config_.five_tuple.transport == TurnTransport::kTcp));
    return;
  }
  StunMessage indication = new_request(StunMethod::kSend);
  indication.message_class = StunClass::kIndication;
  indication.add_address(StunAttributeType::kXorPeerAddress, peer);
  indication.add(StunAttributeType::kData, data);
  StunEncodeOptions options;
  options.fingerprint = true;
  outgoing_.push_back(encode_stun(indication, options));
}

void TurnClient::release(core::Time now) {
  if (state_ != TurnClientState::kAllocated) return;
  StunMessage request = new_request(StunMethod::kRefresh);
  request.add_u32(StunAttributeType::kLifetime, 0);
  refresh_at_.reset();
  keep_alive_at_.reset();
  start(now, std::move(request));
}

// Sends `request`, signed once a challenge has brought a realm and a nonce, and schedules its
// retransmissions (UDP) or its timeout (TCP).
void TurnClient::start(core::Time now, StunMessage request, int stale_retries) {
  assert(transactions_.size() < kTurnClientTransactionsMax);
  Transaction transaction;
  transaction.request = request;
  StunEncodeOptions options;
  options.fingerprint = true;
  if (!nonce_.empty()) {
    request.add_text(StunAttributeType::kUsername, config_.username);
    request.add_text(StunAttributeType::kRealm, realm_);
    request.add_text(StunAttributeType::kNonce, nonce_);
    options.integrity_key = key_;
    transaction.signed_request = true;
  }
  transaction.bytes = encode_stun(request, options);
  transaction.sends = 1;
  transaction.stale_retries = stale_retries;
  if (config_.five_tuple.transport == TurnTransport::kUdp) {
    transaction.rto = kStunRtoInitial;
    transaction.next_send = now + kStunRtoInitial;
    // Sends at 0, RTO, 3 RTO, 7 RTO... (2^(Rc-1) - 1) RTO, then Rm RTOs of waiting.
    transaction.deadline =
        now + kStunRtoInitial * ((1 << (kStunRequestsMax - 1)) - 1 + kStunFinalWaitRtos);
  } else {
    transaction.next_send = core::Time::max();
    transaction.deadline = now + kStunReliableTimeout;
  }
  outgoing_.push_back(transaction.bytes);
  transactions_[request.transaction_id] = std::move(transaction);
}

void TurnClient::on_timer(core::Time now) {
  std::vector<StunMessage> timed_out;
  for (auto& [id, transaction] : transactions_) {
    if (now >= transaction.deadline) {
      timed_out.push_back(transaction.request);
    } else if (now >= transaction.next_send && transaction.sends < kStunRequestsMax) {
      outgoing_.push_back(transaction.bytes);
      ++transaction.sends;
      transaction.rto *= 2;
      transaction.next_send =
          transaction.sends < kStunRequestsMax ? now + transaction.rto : core::Time::max();
    }
  }
  for (const StunMessage& request : timed_out) {
    transactions_.erase(request.transaction_id);
    on_failure(request, 408, "Request Timed Out");
  }
  if (state_ != TurnClientState::kAllocated) return;
  if (refresh_at_ && now >= *refresh_at_) {
    refresh_at_.reset();  // set again by the answer
    StunMessage request = new_request(StunMethod::kRefresh);
    request.add_u32(StunAttributeType::kLifetime, config_.lifetime_s);
    start(now, std::move(request));
  }
  if (keep_alive_at_ && now >= *keep_alive_at_) keep_alive(now);
}

// Permissions and channels outlive the user's one request only if renewed: every peer asked for
// gets its permission again (one CreatePermission for those without a channel, bounded by the
// server's per-allocation limit), every channel its binding (which renews its permission too).
void TurnClient::keep_alive(core::Time now) {
  keep_alive_at_ = now + kTurnPermissionRefreshInterval;
  StunMessage permissions = new_request(StunMethod::kCreatePermission);
  std::set<TransportAddress> bound_ips;
  for (const auto& [peer, channel] : channel_of_peer_) bound_ips.insert(ip_key(peer));
  for (const TransportAddress& ip : permitted_peers_) {
    if (!bound_ips.contains(ip)) permissions.add_address(StunAttributeType::kXorPeerAddress, ip);
  }
  if (!permissions.attributes.empty()) start(now, std::move(permissions));
  for (const auto& [peer, channel] : channel_of_peer_) {
    StunMessage bind = new_request(StunMethod::kChannelBind);
    bind.add_channel_number(channel).add_address(StunAttributeType::kXorPeerAddress, peer);
    start(now, std::move(bind));
  }
}

std::optional<core::Time> TurnClient::next_wakeup() const {
  std::optional<core::Time> next;
  const auto consider = [&next](std::optional<core::Time> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [id, transaction] : transactions_) {
    consider(std::min(transaction.next_send, transaction.deadline));
  }
  if (state_ == TurnClientState::kAllocated) {
    consider(refresh_at_);
    consider(keep_alive_at_);
  }
  return next;
}

std::vector<StunBytes> TurnClient::take_outgoing() {
  return std::exchange(outgoing_, {});
}
std::vector<TurnClientEvent> TurnClient::take_events() {
  return std::exchange(events_, {});
}

void TurnClient::on_packet(core::Time now, std::span<const std::uint8_t> bytes) {
  if (classify_turn_packet(bytes) == TurnPacketKind::kChannelData) {
    on_indication_or_data(bytes);
    return;
  }
  Result<StunMessage> message = parse_stun(bytes);
  if (!message.ok()) return;
  const StunClass message_class = message.value().message_class;
  if (message_class == StunClass::kSuccessResponse || message_class == StunClass::kErrorResponse) {
    on_response(now, message.value(), bytes);
  } else if (message_class == StunClass::kIndication) {
    on_indication_or_data(bytes);
  }
}

void TurnClient::on_response(core::Time now, const StunMessage& response,
                             std::span<const std::uint8_t> bytes) {
  const auto it = transactions_.find(response.transaction_id);
  if (it == transactions_.end()) return;  // late, duplicated or not ours
  const int code = response.error_code() ? response.error_code()->code : 0;
  const bool challenge = code == 401 || code == 438;
  // RFC 8489 section 9.2.5: a response to a signed request must prove it knows the key, or it
  // is discarded (and retransmissions go on); challenges come unsigned.
  if (it->second.signed_request && !challenge &&
      check_stun_integrity(bytes, key_) != StunIntegrity::kValid) {
    return;
  }
  const Transaction transaction = std::move(it->second);
  transactions_.erase(it);
  if (challenge && retry_challenge(now, transaction, response)) return;
  on_answer(now, transaction.request, response);
}

// 401 to an unsigned request: sign with the realm and nonce given and try again; 438: the same
// with the new nonce, a few times in a row at most. False: the challenge is the answer.
bool TurnClient::retry_challenge(core::Time now, const Transaction& transaction,
                                 const StunMessage& response) {
  const int code = response.error_code()->code;
  const std::optional<std::string> realm = response.text(StunAttributeType::kRealm);
  const std::optional<std::string> nonce = response.text(StunAttributeType::kNonce);
  if (!nonce || (!realm && realm_.empty())) return false;
  if (code == 401 && transaction.signed_request) return false;  // the credentials are refused
  if (code == 438 && transaction.stale_retries >= kTurnStaleNonceRetriesMax) return false;
  if (realm) realm_ = *realm;
  nonce_ = *nonce;
  key_ = stun_long_term_key(config_.username, realm_, config_.password);
  StunMessage retry = transaction.request;
  const std::string id = core::random_bytes(random_, kStunTransactionIdBytes);
  std::copy(id.begin(), id.end(), retry.transaction_id.begin());
  // IPv6 addresses are XORed with the transaction id: encode the peers again for the new one.
  const auto peers = transaction.request.addresses(StunAttributeType::kXorPeerAddress);
  std::erase_if(retry.attributes, [](const StunAttribute& attribute) {
    return attribute.type == StunAttributeType::kXorPeerAddress;
  });
  for (const TransportAddress& peer : peers) {
    retry.add_address(StunAttributeType::kXorPeerAddress, peer);
  }
  start(now, std::move(retry), code == 438 ? transaction.stale_retries + 1 : 0);
  return true;
}

void TurnClient::on_answer(core::Time now, const StunMessage& request,
                           const StunMessage& response) {
  const bool ok = response.message_class == StunClass::kSuccessResponse;
  switch (request.method) {
    case StunMethod::kAllocate:
      on_allocate_answer(now, response);
      return;
    case StunMethod::kRefresh:
      on_refresh_answer(now, request, response);
      return;
    default:
      break;
  }
  const TransportAddress peer = peer_of(request);
  if (!ok) {
    on_failure(request, response.error_code() ? response.error_code()->code : 0,
               response.error_code() ? response.error_code()->reason : "");
    return;
  }
  if (request.method == StunMethod::kChannelBind) {
    const std::uint16_t channel = request.channel_number().value();
    confirmed_channels_.insert(channel);
    emit({TurnClientEvent::Kind::kChannelBound, 0, "", peer, channel, {}});
  } else if (request.method == StunMethod::kCreatePermission) {
    emit({TurnClientEvent::Kind::kPermissionCreated, 0, "", peer, 0, {}});
  }
}

void TurnClient::on_allocate_answer(core::Time now, const StunMessage& response) {
  const auto relayed = response.address(StunAttributeType::kXorRelayedAddress);
  const auto lifetime = response.u32(StunAttributeType::kLifetime);
  if (response.message_class != StunClass::kSuccessResponse || !relayed || !lifetime) {
    const auto error = response.error_code();
    state_ = TurnClientState::kFailed;
    emit({TurnClientEvent::Kind::kAllocateFailed,
          error ? error->code : 0,
          error ? error->reason : "success without XOR-RELAYED-ADDRESS or LIFETIME",
          {},
          0,
          {}});
    return;
  }
  state_ = TurnClientState::kAllocated;
  relayed_ = relayed;
  mapped_ = response.address(StunAttributeType::kXorMappedAddress);
  const seconds life(*lifetime);
  refresh_at_ = now + (life > 2 * kTurnRefreshMargin ? life - kTurnRefreshMargin : life / 2);
  keep_alive_at_ = now + kTurnPermissionRefreshInterval;
  emit({TurnClientEvent::Kind::kAllocated, 0, "", *relayed, 0, {}});
}

void TurnClient::on_refresh_answer(core::Time now, const StunMessage& request,
                                   const StunMessage& response) {
  const bool deleting = request.u32(StunAttributeType::kLifetime) == 0U;
  const int code = response.error_code() ? response.error_code()->code : 0;
  // RFC 8656 section 8.3: a 437 to a deletion means it is already gone.
  if (deleting && (response.message_class == StunClass::kSuccessResponse || code == 437)) {
    state_ = TurnClientState::kReleased;
    emit({TurnClientEvent::Kind::kReleased, 0, "", {}, 0, {}});
    return;
  }
  const auto lifetime = response.u32(StunAttributeType::kLifetime);
  if (response.message_class != StunClass::kSuccessResponse || !lifetime) {
    state_ = TurnClientState::kFailed;
    emit({TurnClientEvent::Kind::kAllocationLost,
          code,
          response.error_code() ? response.error_code()->reason : "",
          {},
          0,
          {}});
    return;
  }
  const seconds life(*lifetime);
  refresh_at_ = now + (life > 2 * kTurnRefreshMargin ? life - kTurnRefreshMargin : life / 2);
}

void TurnClient::on_failure(const StunMessage& request, int code, std::string reason) {
  if (request.method == StunMethod::kAllocate) {
    state_ = TurnClientState::kFailed;
    emit({TurnClientEvent::Kind::kAllocateFailed, code, std::move(reason), {}, 0, {}});
    return;
  }
  if (request.method == StunMethod::kRefresh) {
    state_ = TurnClientState::kFailed;
    emit({TurnClientEvent::Kind::kAllocationLost, code, std::move(reason), {}, 0, {}});
    return;
  }
  const TransportAddress peer = peer_of(request);
  if (request.method == StunMethod::kChannelBind) {
    // RFC 8656 section 12.3 suggests starting afresh; here the peer falls back to Send.
    const std::uint16_t channel = request.channel_number().value_or(0);
    confirmed_channels_.erase(channel);
  }
  emit({TurnClientEvent::Kind::kRequestFailed, code, std::move(reason), peer, 0, {}});
}

void TurnClient::on_indication_or_data(std::span<const std::uint8_t> bytes) {
  if (classify_turn_packet(bytes) == TurnPacketKind::kChannelData) {
    Result<ChannelData> channel_data = parse_channel_data(bytes);
    if (!channel_data.ok()) return;
    const auto peer = peer_of_channel_.find(channel_data.value().channel);
    if (peer == peer_of_channel_.end()) return;
    emit({TurnClientEvent::Kind::kData, 0, "", peer->second, channel_data.value().channel,
          std::move(channel_data).value().data});
    return;
  }
  Result<StunMessage> message = parse_stun(bytes);
  if (!message.ok() || message.value().method != StunMethod::kData) return;
  const auto peer = message.value().address(StunAttributeType::kXorPeerAddress);
  const auto data = message.value().data();
  if (!peer || !data) return;
  emit({TurnClientEvent::Kind::kData, 0, "", *peer, 0, StunBytes(data->begin(), data->end())});
}

}  // namespace ccsim::platform

// A TURN client (RFC 8656) as a sans-IO state machine: what a simulated camera or app uses to
// get a relayed address, and what a conformance run can point at a partner's TURN server. It
// speaks over one 5-tuple; the driver carries its bytes (take_outgoing()) to the server and
// hands back what the server sends (on_packet(), one datagram or one stream frame), with the
// time, and wakes it at next_wakeup().
//
// What it does for its user:
//  - allocate(): an Allocate without credentials, then, on the 401 challenge, again with
//    USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (RFC 8489 section 9.2.5); a 438 is retried
//    with the new nonce (at most kTurnStaleNonceRetriesMax times in a row), by every request.
//  - keeps the allocation: Refresh kTurnRefreshMargin before it expires; re-creates the
//    permissions and re-binds the channels it was asked for every
//    kTurnPermissionRefreshInterval, well inside their 300 s and 600 s.
//  - create_permission(), bind_channel() (numbers from 0x4000 up, one per peer), send() (as
//    ChannelData once the channel is confirmed, else a Send indication), release() (Refresh 0).
//  - reports what happened as events: allocated, failures with their error code (408 for a
//    transaction that timed out), data from peers (Data indications and ChannelData on channels
//    it bound), released.
//  - retransmits requests over UDP as RFC 8489 section 6.2.1 says: RTO kStunRtoInitial doubling
//    each time, kStunRequestsMax sends (Rc), failure kStunFinalWaitRtos (Rm) initial RTOs after
//    the last; over TCP it sends once and gives up after kStunReliableTimeout (Ti). A response
//    to a signed request must carry a valid MESSAGE-INTEGRITY; others are discarded.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "platform/stun_message.h"
#include "platform/turn_server.h"

namespace ccsim::platform {

// RFC 8489 section 6.2.1 and 6.2.2.
inline constexpr core::Duration kStunRtoInitial = std::chrono::milliseconds(500);
inline constexpr int kStunRequestsMax = 7;                                                // Rc
inline constexpr int kStunFinalWaitRtos = 16;                                             // Rm
inline constexpr core::Duration kStunReliableTimeout = std::chrono::milliseconds(39500);  // Ti
// RFC 8656 section 8 suggests refreshing about a minute before expiry.
inline constexpr std::chrono::seconds kTurnRefreshMargin{60};
inline constexpr std::chrono::seconds kTurnPermissionRefreshInterval{240};
inline constexpr int kTurnStaleNonceRetriesMax = 3;
inline constexpr std::size_t kTurnClientTransactionsMax = 64;  // requests in flight at once

struct TurnClientConfig {
  FiveTuple five_tuple;  // the client's address as it sends, the server's, the transport
  std::string username;
  std::string password;
  std::uint32_t lifetime_s = 600;  // asked for in Allocate and Refresh
};

enum class TurnClientState : std::uint8_t { kIdle, kAllocating, kAllocated, kFailed, kReleased };

struct TurnClientEvent {
  enum class Kind : std::uint8_t {
    kAllocated,          // relayed address known
    kAllocateFailed,     // error_code, reason
    kAllocationLost,     // a Refresh failed: the allocation is gone
    kPermissionCreated,  // peer
    kChannelBound,       // peer, channel
    kRequestFailed,      // a CreatePermission or ChannelBind failed: peer, error_code
    kData,               // peer, data
    kReleased,
  };
  Kind kind = Kind::kAllocated;
  int error_code = 0;
  std::string reason;
  TransportAddress peer;
  std::uint16_t channel = 0;
  StunBytes data;
};

class TurnClient {
 public:
  TurnClient(TurnClientConfig config, core::RandomStream random);

  void allocate(core::Time now);
  void create_permission(core::Time now, const TransportAddress& peer);
  // The channel the peer gets (the same one if it has one already).
  std::uint16_t bind_channel(core::Time now, const TransportAddress& peer);
  // `data` at most kTurnDataBytesMax. Needs an allocation and a permission for the peer.
  void send(core::Time now, const TransportAddress& peer, std::span<const std::uint8_t> data);
  void release(core::Time now);

  void on_packet(core::Time now, std::span<const std::uint8_t> bytes);
  void on_timer(core::Time now);
  std::optional<core::Time> next_wakeup() const;

  std::vector<StunBytes> take_outgoing();
  std::vector<TurnClientEvent> take_events();

  TurnClientState state() const { return state_; }
  std::optional<TransportAddress> relayed_address() const { return relayed_; }
  std::optional<TransportAddress> mapped_address() const { return mapped_; }

 private:
  struct Transaction {
    StunMessage request;  // without the credential attributes, added at each (re)send
    StunBytes bytes;      // as sent
    bool signed_request = false;
    int sends = 0;
    core::Time next_send{};
    core::Duration rto{};
    core::Time deadline{};
    int stale_retries = 0;
  };

  void start(core::Time now, StunMessage request, int stale_retries = 0);
  void on_response(core::Time now, const StunMessage& response,
                   std::span<const std::uint8_t> bytes);
  bool retry_challenge(core::Time now, const Transaction& transaction, const StunMessage& response);
  void on_answer(core::Time now, const StunMessage& request, const StunMessage& response);
  void on_allocate_answer(core::Time now, const StunMessage& response);
  void on_refresh_answer(core::Time now, const StunMessage& request, const StunMessage& response);
  void on_failure(const StunMessage& request, int code, std::string reason);
  void on_indication_or_data(std::span<const std::uint8_t> bytes);
  void keep_alive(core::Time now);
  void emit(TurnClientEvent event) { events_.push_back(std::move(event)); }
  StunMessage new_request(StunMethod method);

  TurnClientConfig config_;
  core::RandomStream random_;
  TurnClientState state_ = TurnClientState::kIdle;
  std::string realm_;
  std::string nonce_;
  StunBytes key_;
  std::optional<TransportAddress> relayed_;
  std::optional<TransportAddress> mapped_;
  std::optional<core::Time> refresh_at_;
  std::optional<core::Time> keep_alive_at_;
  std::map<StunTransactionId, Transaction> transactions_;
  std::set<TransportAddress> permitted_peers_;  // by IP (port 0), as asked
  std::map<TransportAddress, std::uint16_t> channel_of_peer_;
  std::map<std::uint16_t, TransportAddress> peer_of_channel_;
  std::set<std::uint16_t> confirmed_channels_;
  std::uint16_t next_channel_ = kChannelNumberMin;
  std::vector<StunBytes> outgoing_;
  std::vector<TurnClientEvent> events_;
};

}  // namespace ccsim::platform

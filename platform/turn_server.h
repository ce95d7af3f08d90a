// The platform's TURN relay (RFC 8656) as a sans-IO state machine: what the simulator drives
// and what `ccsim turn-server` wraps with real sockets. Clients behind NATs that meet no other
// way get a relayed address here, and media crosses this relay instead of the platform.
//
// The driver hands in, with the current time:
//  - each datagram (UDP) or whole stream frame (TCP, cut with stream_frame_bytes()) a client
//    sent, with the 5-tuple it came on: on_client_packet();
//  - each UDP datagram that arrived at a relayed address from a peer: on_peer_packet();
//  - a wake-up at next_expiry(): on_timer(); and a closed TCP connection: on_connection_closed().
// Each call returns a TurnOutput: messages for clients (on a 5-tuple), datagrams for peers (from
// a relayed address), and relayed addresses now serving an allocation and ones given back. The
// core never opens sockets, reads clocks or draws unseeded randomness: relay ports and nonce
// keys come from the RandomStream it is given, and before it names a relayed address to a
// client it asks the driver to take it (RelayAddressTaker: bind a UDP socket there), so a port
// another socket on the host holds is never handed out.
//
// What it promises, per RFC 8656 and RFC 8489:
//  - Binding requests are answered with XOR-MAPPED-ADDRESS, without authentication.
//  - Every other request needs long-term credentials: a user table (NAME -> PASSWORD) or the
//    time-limited shared-secret scheme of turn_credentials.h (the password is turn_password()
//    of the username, the key MD5(username:realm:password), as coturn's use-auth-secret). The
//    checks run in RFC 8489 section 9.2.4's order: 401 with REALM and NONCE when there is no
//    MESSAGE-INTEGRITY, 400 when USERNAME, REALM or NONCE is missing, 401 for an unknown user,
//    an expired time-limited credential or a wrong HMAC, 438 with a fresh NONCE when the nonce
//    is older than nonce_lifetime or not one of ours. Nonces carry their issue time and an HMAC
//    under a key drawn at construction, bound to the client's address: nothing is stored.
//  - Authenticated responses carry MESSAGE-INTEGRITY under the request's key; every response
//    carries SOFTWARE "ccsim", and every STUN message to a client (responses, Data indications)
//    FINGERPRINT. ChannelData is padded to 4 bytes over TCP only.
//  - Allocate: 437 for a 5-tuple that has one (a retransmitted Allocate gets its first answer
//    again), 400 without REQUESTED-TRANSPORT, 442 for one other than UDP, 420 for DONT-FRAGMENT
//    (this relay cannot set the DF bit), 400 for the attribute combinations section 7.2 forbids,
//    440 for a family with no relay address, 486 past allocations_per_user_max, 508 past
//    allocations_max, with no free port (or reservation) left, or when the driver could take
//    none of the kTurnRelayPortAttemptsMax free ports tried: then nothing is allocated and no
//    quota used. EVEN-PORT and its R bit (reserving port+1 for kTurnReservationLifetime under a
//    RESERVATION-TOKEN, taken from the driver with port N) are honoured.
//  - Refresh sets the lifetime (max(default, min(asked, max)); 0 deletes), CreatePermission
//    installs permissions by peer IP for 300 s, ChannelBind binds 0x4000..0x4FFF for 10 minutes
//    (400 on any conflict with a live binding, or for a number outside the range) and refreshes
//    the peer's permission. With channel_numbers kRfc5766 the range is RFC 5766's 0x4000..0x7FFF,
//    for ChannelBind and ChannelData alike, so clients written to RFC 5766 can use channels. Any
//    request on a 5-tuple without an allocation gets 437; with another username than the
//    allocation's, 441.
//  - Send indications and ChannelData go to the peer when the allocation has a permission (Send)
//    or the channel is bound (ChannelData; RFC 8656 section 12.6 asks for no permission check).
//    A peer's datagram reaches the client only through a live permission for its IP, as
//    ChannelData when a channel is bound to its address, else as a Data indication.
//  - Everything dropped is counted in TurnCounters, by reason; nothing malformed is answered
//    except a request whose header could be read (400 with the parser's message as reason).
//  - Lifetimes hold to the microsecond: a permission or channel is gone at its expiry instant,
//    an allocation at the first call at or after its expiry.
//
// Not done: dual allocations (ADDITIONAL-ADDRESS-FAMILY is checked for the 400 rules, then
// ignored), TCP relaying (RFC 6062), ICMP relaying, 300 Try Alternate, PASSWORD-ALGORITHMS and
// USERHASH (nonces start with RFC 8489's cookie "obMatJos2AAAA": no security features).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "platform/stun_message.h"

namespace ccsim::platform {

// RFC 8656 section 2 and 7.2: allocations last 10 minutes unless asked otherwise, at most the
// server's maximum (3600 s recommended); permissions 300 s (a MUST); channels 10 minutes;
// a reserved port at least 30 s.
inline constexpr std::chrono::seconds kTurnAllocationLifetimeDefault{600};
inline constexpr std::chrono::seconds kTurnAllocationLifetimeMax{3600};
inline constexpr std::chrono::seconds kTurnPermissionLifetime{300};
inline constexpr std::chrono::seconds kTurnChannelLifetime{600};
inline constexpr std::chrono::seconds kTurnReservationLifetime{30};
// How long a nonce holds; coturn's default, the same as an allocation's default lifetime.
inline constexpr std::chrono::seconds kTurnNonceLifetimeDefault{600};
// Bounds on memory: permissions per allocation (peers a client talks to), allocations per user
// and in all, unless configured lower.
inline constexpr std::size_t kTurnPermissionsPerAllocationMax = 256;
inline constexpr std::size_t kTurnAllocationsPerUserDefault = 16;
inline constexpr std::size_t kTurnAllocationsMax = 100000;
inline constexpr std::string_view kTurnSoftware = "ccsim";
// Relayed addresses (port pairs, for EVEN-PORT's R bit) one Allocate asks the driver to take
// before it is answered 508: each ask is a bind on a real host, and a host where 16 ports drawn
// at random are all held by other sockets has no capacity to speak of.
inline constexpr int kTurnRelayPortAttemptsMax = 16;

enum class TurnTransport : std::uint8_t { kUdp, kTcp };

// The client's and the server's transport addresses and the transport: an allocation's key.
struct FiveTuple {
  TransportAddress client;
  TransportAddress server;
  TurnTransport transport = TurnTransport::kUdp;
  auto operator<=>(const FiveTuple&) const = default;
};

// Where the driver's sockets plug in: asked to take `relay` (bind a UDP socket on it and keep
// it) before the core names it to a client; false when it cannot be had (another socket on the
// host holds it), and the core tries another port. The core gives back what it took through
// TurnOutput::relays_closed. Called only from inside the core's calls. Empty: every address can
// be had (a driver without real sockets: the core's tests, the fuzzer).
using RelayAddressTaker = std::function<bool(const TransportAddress& relay)>;

struct TurnServerConfig {
  std::string realm = "ccsim";
  std::map<std::string, std::string> users;  // long-term credentials: NAME -> PASSWORD
  // When not empty, usernames are "EXPIRY:NAME" and passwords turn_password(secret, username);
  // `users` is then not consulted.
  std::string shared_secret;
  // The Unix time (seconds) that time zero of the core's clock stands for: time-limited
  // credentials carry Unix expiries.
  std::uint64_t unix_time_at_zero_s = 0;
  TransportAddress relay_ipv4;                 // its port is ignored
  std::optional<TransportAddress> relay_ipv6;  // none: IPv6 allocations get 440
  std::uint16_t relay_port_min = 49152;        // RFC 8656 section 7.2: the dynamic range
  std::uint16_t relay_port_max = 65535;
  std::chrono::seconds allocation_lifetime_default = kTurnAllocationLifetimeDefault;
  std::chrono::seconds allocation_lifetime_max = kTurnAllocationLifetimeMax;
  std::chrono::seconds nonce_lifetime = kTurnNonceLifetimeDefault;
  std::size_t allocations_per_user_max = kTurnAllocationsPerUserDefault;
  std::size_t allocations_max = kTurnAllocationsMax;  // at most kTurnAllocationsMax
  // The channel numbers ChannelBind and ChannelData take; RFC 8656's unless told otherwise.
  ChannelNumbers channel_numbers = ChannelNumbers::kRfc8656;
};

struct TurnToClient {
  FiveTuple five_tuple;
  StunBytes bytes;
};

struct TurnToPeer {
  TransportAddress relay;  // send from this relayed address
  TransportAddress peer;
  StunBytes bytes;
};

struct TurnOutput {
  std::vector<TurnToClient> to_clients;
  std::vector<TurnToPeer> to_peers;
  // Taken through the RelayAddressTaker (in this call, or earlier for a reserved port), now
  // serving a new allocation.
  std::vector<TransportAddress> relays_opened;
  // Given back: an allocation's or an expired reservation's, or one taken for an Allocate that
  // then could not use it (port N of a pair whose N + 1 was refused). Close their sockets.
  std::vector<TransportAddress> relays_closed;
};

// What was dropped or refused, by reason. Counts only grow.
struct TurnCounters {
  std::uint64_t not_stun_dropped = 0;            // neither STUN nor ChannelData
  std::uint64_t malformed_dropped = 0;           // unparseable, and no request header to answer
  std::uint64_t malformed_answered = 0;          // unparseable request answered with 400
  std::uint64_t responses_dropped = 0;           // responses and unknown indications from clients
  std::uint64_t error_responses = 0;             // error responses sent, all codes
  std::uint64_t indications_dropped = 0;         // Send indications refused (see turn_server.cpp)
  std::uint64_t channel_data_dropped = 0;        // ChannelData malformed, unbound or unallocated
  std::uint64_t peer_no_allocation_dropped = 0;  // datagrams to a relayed address not in use
  std::uint64_t peer_no_permission_dropped = 0;  // datagrams from a peer without a permission
  std::uint64_t peer_too_big_dropped = 0;        // datagrams over kTurnDataBytesMax
  std::uint64_t allocations_created = 0;
  std::uint64_t allocations_expired = 0;
  std::uint64_t allocations_deleted = 0;  // by Refresh with lifetime 0 or a closed connection
  std::uint64_t relayed_to_peers = 0;
  std::uint64_t relayed_to_clients = 0;
};

class TurnServer {
 public:
  // `config.relay_port_min` <= `relay_port_max`, allocations_max <= kTurnAllocationsMax.
  TurnServer(TurnServerConfig config, core::RandomStream random, RelayAddressTaker take_relay = {});

  TurnOutput on_client_packet(core::Time now, const FiveTuple& five_tuple,
                              std::span<const std::uint8_t> bytes);
  TurnOutput on_peer_packet(core::Time now, const TransportAddress& relay,
                            const TransportAddress& peer, std::span<const std::uint8_t> bytes);
  TurnOutput on_timer(core::Time now);
  // A TCP connection from a client closed: its allocation goes with it.
  TurnOutput on_connection_closed(core::Time now, const FiveTuple& five_tuple);
  // When on_timer() next has something to do: the earliest allocation or reservation expiry.
  std::optional<core::Time> next_expiry() const;

  const TurnCounters& counters() const { return counters_; }
  std::size_t allocation_count() const { return allocations_.size(); }
  // What a driver cutting a stream into frames (stream_frame_bytes) must take as ChannelData.
  ChannelNumbers channel_numbers() const { return config_.channel_numbers; }

 private:
  struct Channel {
    TransportAddress peer;
    core::Time expires_at{};
  };
  struct Allocation {
    FiveTuple five_tuple;
    std::string username;
    StunBytes key;
    TransportAddress relay;
    core::Time expires_at{};
    StunTransactionId allocate_transaction{};
    StunMessage allocate_response;  // answered again to a retransmitted Allocate
    std::map<TransportAddress, core::Time> permissions;  // by IP: port always 0
    std::map<std::uint16_t, Channel> channels;
    std::map<TransportAddress, std::uint16_t> channel_of_peer;
  };
  struct Reservation {
    TransportAddress relay;
    core::Time expires_at{};
  };
  // An authenticated request: who, and the key its response is signed with.
  struct Caller {
    std::string username;
    StunBytes key;
  };
  // A request's answer in the making; `key` empty: unsigned.
  struct Reply {
    StunMessage message;
    StunBytes key;
  };

  void expire(core::Time now, TurnOutput& out);
  void on_stun(core::Time now, const FiveTuple& five_tuple, std::span<const std::uint8_t> bytes,
               TurnOutput& out);
  void on_channel_data(core::Time now, const FiveTuple& five_tuple,
                       std::span<const std::uint8_t> bytes, TurnOutput& out);
  void on_send_indication(core::Time now, const FiveTuple& five_tuple, const StunMessage& message,
                          TurnOutput& out);
  Reply on_request(core::Time now, const FiveTuple& five_tuple, const StunMessage& request,
                   std::span<const std::uint8_t> bytes, TurnOutput& out);
  Reply on_allocation_request(core::Time now, const FiveTuple& five_tuple,
                              const StunMessage& request, const Caller& caller, TurnOutput& out);
  std::optional<Reply> authenticate(core::Time now, const FiveTuple& five_tuple,
                                    const StunMessage& request, std::span<const std::uint8_t> bytes,
                                    Caller& caller);
  std::optional<std::string> password_of(core::Time now, const std::string& username) const;
  Reply on_allocate(core::Time now, const FiveTuple& five_tuple, const StunMessage& request,
                    const Caller& caller, TurnOutput& out);
  std::optional<Reply> allocate_problem(const StunMessage& request, const Caller& caller) const;
  Reply create_allocation(core::Time now, const FiveTuple& five_tuple, const StunMessage& request,
                          const Caller& caller, const TransportAddress& relay,
                          std::optional<StunBytes> token, TurnOutput& out);
  Reply on_refresh(core::Time now, Allocation& allocation, const StunMessage& request,
                   const Caller& caller, TurnOutput& out);
  Reply on_create_permission(core::Time now, Allocation& allocation, const StunMessage& request,
                             const Caller& caller);
  Reply on_channel_bind(core::Time now, Allocation& allocation, const StunMessage& request,
                        const Caller& caller);
  std::optional<TransportAddress> pick_relay(core::Time now, AddressFamily family, bool even,
                                             bool reserve_next, std::optional<StunBytes>& token,
                                             TurnOutput& out);
  std::optional<std::uint16_t> free_port(TransportAddress relay, bool even, bool pair,
                                         const std::set<std::uint16_t>& tried);
  StunBytes reserve(core::Time now, const TransportAddress& relay);
  bool permitted(core::Time now, const Allocation& allocation, const TransportAddress& peer) const;
  void remove_allocation(const FiveTuple& five_tuple, TurnOutput& out);
  std::string nonce_for(core::Time now, const TransportAddress& client) const;
  bool nonce_fresh(core::Time now, const TransportAddress& client, std::string_view nonce) const;
  core::Time lifetime_end(core::Time now, const StunMessage& request) const;
  static Reply error_reply(const StunMessage& request, int code, std::string_view reason,
                           const StunBytes& key);
  Reply challenge(core::Time now, const FiveTuple& five_tuple, const StunMessage& request,
                  int code);
  StunBytes encode_reply(const Reply& reply) const;

  TurnServerConfig config_;
  core::RandomStream random_;
  RelayAddressTaker take_relay_;
  StunBytes nonce_key_;
  std::map<FiveTuple, Allocation> allocations_;
  std::map<TransportAddress, FiveTuple> by_relay_;
  std::set<std::pair<core::Time, FiveTuple>> deadlines_;
  std::map<std::string, std::size_t> allocations_of_user_;
  std::map<StunBytes, Reservation> reservations_;  // by RESERVATION-TOKEN
  std::set<TransportAddress> ports_in_use_;        // relayed addresses allocated or reserved
  TurnCounters counters_;
};

}  // namespace ccsim::platform

// STUN messages (RFC 8489) with TURN's attributes (RFC 8656), and TURN's ChannelData framing:
// the codec the TURN server and client cores (turn_server.h, turn_client.h), the fuzz target
// and, later, the real-socket `ccsim turn-server` share. Bytes in, a StunMessage or an error
// string out; a StunMessage in, bytes out. No sockets, no clock, no state.
//
// What parsing checks, so the cores never have to: the header (first two bits zero, the magic
// cookie, a length that is a multiple of 4 and matches the bytes), every attribute inside the
// message with its padding, the shape of every attribute this codec knows (an address of a
// known family and the right length, a LIFETIME of 4 bytes, text under its RFC length...),
// FINGERPRINT last and correct, and RFC 8489's rule that attributes after MESSAGE-INTEGRITY are
// ignored (all but MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, which parsing keeps). Each failure
// is a ServiceError of kind kInvalidArgument whose message says which rule, with the numbers.
//
// What parsing leaves to the caller: MESSAGE-INTEGRITY needs a key only the caller knows
// (check_stun_integrity); whether an unknown comprehension-required attribute matters depends
// on the class (a request gets 420, anything else is dropped: unknown_comprehension_required);
// duplicate attributes are kept, and readers return the first (RFC 8489 section 14).
// Text attributes are taken as bytes: UTF-8 validity and OpaqueString (RFC 8265) are not
// checked or applied; a caller with non-ASCII passwords prepares them first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/service_result.h"

namespace ccsim::platform {

inline constexpr std::uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr std::size_t kStunHeaderBytes = 20;
inline constexpr std::size_t kStunTransactionIdBytes = 12;
// The largest STUN or ChannelData message accepted or produced, header included. The length
// field allows 20 + 65532; 64 KiB minus one fits one 16-bit-sized buffer and is about the
// largest UDP payload (65,507 bytes over IPv4), and relayed datagrams are bounded to fit
// (kTurnDataBytesMax). Path MTU is the sender's business (RFC 8489 section 6.1), not the
// parser's: media over TURN is ~1200 bytes.
inline constexpr std::size_t kStunMessageBytesMax = 65535;
// Application data one Data indication or ChannelData message carries at most, so that even a
// Data indication with an IPv6 XOR-PEER-ADDRESS and a FINGERPRINT stays within
// kStunMessageBytesMax (20 + 24 + 4 + 65472 + 8 = 65528).
inline constexpr std::size_t kTurnDataBytesMax = kStunMessageBytesMax - 64;
// RFC 8489 sections 14.3, 14.8, 14.9, 14.10, 14.14: USERNAME fewer than 513 bytes (RFC 5389's
// bound, the looser of the two RFCs, for interoperation); REALM, NONCE, SOFTWARE and the
// reason phrase at most 763 bytes when decoding.
inline constexpr std::size_t kStunUsernameBytesMax = 512;
inline constexpr std::size_t kStunTextBytesMax = 763;
inline constexpr std::size_t kChannelDataHeaderBytes = 4;
// RFC 8656 section 12: channel numbers 0x4000 through 0x4FFF; 0x5000 and up are reserved.
inline constexpr std::uint16_t kChannelNumberMin = 0x4000;
inline constexpr std::uint16_t kChannelNumberMax = 0x4FFF;
// RFC 5766 section 11, which RFC 8656 replaced, allowed 0x4000 through 0x7FFF.
inline constexpr std::uint16_t kChannelNumberMaxRfc5766 = 0x7FFF;
// RFC 8656 section 14.7: REQUESTED-TRANSPORT's protocol number for UDP, the only one here.
inline constexpr std::uint8_t kTransportProtocolUdp = 17;

// Which channel numbers a TURN endpoint takes: RFC 8656's (the default, and all a client of
// this codec binds), or RFC 5766's wider range, which clients written to it still draw from
// (coturn's turnutils_uclient does): a server that must serve them says so in its config.
enum class ChannelNumbers : std::uint8_t { kRfc8656, kRfc5766 };
// kChannelNumberMax or kChannelNumberMaxRfc5766.
std::uint16_t channel_number_max(ChannelNumbers numbers);

using StunBytes = std::vector<std::uint8_t>;
using StunTransactionId = std::array<std::uint8_t, kStunTransactionIdBytes>;

enum class StunClass : std::uint8_t {
  kRequest = 0,
  kIndication = 1,
  kSuccessResponse = 2,
  kErrorResponse = 3,
};

// Methods are 12 bits; values not listed (an unknown method) are representable and parse.
enum class StunMethod : std::uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
};

// Attribute types below 0x8000 are comprehension-required, the rest comprehension-optional.
enum class StunAttributeType : std::uint16_t {
  kMappedAddress = 0x0001,
  kUsername = 0x0006,
  kMessageIntegrity = 0x0008,
  kErrorCode = 0x0009,
  kUnknownAttributes = 0x000A,
  kChannelNumber = 0x000C,
  kLifetime = 0x000D,
  kXorPeerAddress = 0x0012,
  kData = 0x0013,
  kRealm = 0x0014,
  kNonce = 0x0015,
  kXorRelayedAddress = 0x0016,
  kRequestedAddressFamily = 0x0017,
  kEvenPort = 0x0018,
  kRequestedTransport = 0x0019,
  kDontFragment = 0x001A,
  kMessageIntegritySha256 = 0x001C,
  kXorMappedAddress = 0x0020,
  kReservationToken = 0x0022,
  kPriority = 0x0024,      // ICE (RFC 8445), known so ICE's checks are not refused with 420
  kUseCandidate = 0x0025,  // ICE
  kAdditionalAddressFamily = 0x8000,
  kSoftware = 0x8022,
  kAlternateServer = 0x8023,
  kFingerprint = 0x8028,
  kIceControlled = 0x8029,   // ICE
  kIceControlling = 0x802A,  // ICE
};

// "XOR-MAPPED-ADDRESS", ...; "0x1234" for a type this codec does not know.
std::string stun_attribute_name(StunAttributeType type);
bool stun_comprehension_required(StunAttributeType type);

enum class AddressFamily : std::uint8_t { kIpv4 = 0x01, kIpv6 = 0x02 };

// An IP address and port. IPv4 addresses sit in the first 4 bytes of `ip`, the rest zero.
struct TransportAddress {
  AddressFamily family = AddressFamily::kIpv4;
  std::array<std::uint8_t, 16> ip{};  // network byte order
  std::uint16_t port = 0;

  // From an IPv4 address in host byte order, as sim/ and devices/ keep them.
  static TransportAddress ipv4(std::uint32_t address, std::uint16_t port);
  static TransportAddress ipv6(const std::array<std::uint8_t, 16>& address, std::uint16_t port);
  bool same_ip(const TransportAddress& other) const {
    return family == other.family && ip == other.ip;
  }
  auto operator<=>(const TransportAddress&) const = default;
};
// "192.0.2.1:32853"; IPv6 as "[2001:db8:1234:5678:11:2233:4455:6677]:32853", every group
// written out (no "::" compression).
std::string transport_address_text(const TransportAddress& address);

struct StunAttribute {
  StunAttributeType type{};
  StunBytes value;  // without padding
};

struct StunErrorCode {
  int code = 0;  // 300..699
  std::string reason;
};

// One STUN message. Attributes keep their wire order. Typed readers return the first attribute
// of a type, or nullopt when it is absent or (in a message built by hand) malformed.
struct StunMessage {
  StunMethod method = StunMethod::kBinding;
  StunClass message_class = StunClass::kRequest;
  StunTransactionId transaction_id{};
  std::vector<StunAttribute> attributes;

  const StunAttribute* find(StunAttributeType type) const;
  bool has(StunAttributeType type) const { return find(type) != nullptr; }
  // USERNAME, REALM, NONCE, SOFTWARE.
  std::optional<std::string> text(StunAttributeType type) const;
  // MAPPED-ADDRESS and ALTERNATE-SERVER as they are; XOR-* types un-XORed with the cookie and
  // this message's transaction id (RFC 8489 section 14.2).
  std::optional<TransportAddress> address(StunAttributeType type) const;
  // Every address of one type, in order (CreatePermission carries several XOR-PEER-ADDRESS).
  std::vector<TransportAddress> addresses(StunAttributeType type) const;
  // LIFETIME (seconds), PRIORITY, FINGERPRINT.
  std::optional<std::uint32_t> u32(StunAttributeType type) const;
  std::optional<StunErrorCode> error_code() const;
  std::vector<StunAttributeType> unknown_attributes() const;
  std::optional<std::uint16_t> channel_number() const;
  std::optional<std::uint8_t> requested_transport() const;  // the protocol number
  // REQUESTED-ADDRESS-FAMILY (or ADDITIONAL-ADDRESS-FAMILY with that type).
  std::optional<AddressFamily> address_family(StunAttributeType type) const;
  std::optional<bool> even_port_reserve() const;  // EVEN-PORT's R bit
  std::optional<std::span<const std::uint8_t>> data() const;

  StunMessage& add(StunAttributeType type, std::span<const std::uint8_t> value);
  StunMessage& add_text(StunAttributeType type, std::string_view text);
  StunMessage& add_address(StunAttributeType type, const TransportAddress& address);
  StunMessage& add_u32(StunAttributeType type, std::uint32_t value);
  StunMessage& add_error_code(int code, std::string_view reason);
  StunMessage& add_unknown_attributes(const std::vector<StunAttributeType>& types);
  StunMessage& add_channel_number(std::uint16_t channel);
  StunMessage& add_requested_transport(std::uint8_t protocol);
  StunMessage& add_address_family(StunAttributeType type, AddressFamily family);
  StunMessage& add_even_port(bool reserve);
  StunMessage& add_flag(StunAttributeType type);  // an empty value: DONT-FRAGMENT, USE-CANDIDATE
};

// The key for MESSAGE-INTEGRITY under long-term credentials: MD5(username ":" realm ":"
// password), 16 bytes (RFC 8489 section 9.2.2; the password already prepared, see above).
StunBytes stun_long_term_key(std::string_view username, std::string_view realm,
                             std::string_view password);
// Under short-term credentials the key is the password itself (section 9.1.1).
StunBytes stun_short_term_key(std::string_view password);

struct StunEncodeOptions {
  std::optional<StunBytes> integrity_key;  // adds MESSAGE-INTEGRITY (HMAC-SHA1) under this key
  bool integrity_sha256 = false;           // ...or MESSAGE-INTEGRITY-SHA256 (32 bytes) instead
  bool fingerprint = false;                // adds FINGERPRINT, last
};

// The message as bytes: header, attributes padded with zeros to 4 bytes, then the integrity
// attribute and FINGERPRINT as asked. MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
// FINGERPRINT among `message.attributes` (a parsed message re-encoded) are skipped: they are
// computed, never copied. The result must fit kStunMessageBytesMax (asserted).
StunBytes encode_stun(const StunMessage& message, const StunEncodeOptions& options = {});

// A whole STUN message, checked as the header comment says.
Result<StunMessage> parse_stun(std::span<const std::uint8_t> bytes);

// The header alone (method, class, transaction id; no attributes) when the first 20 bytes look
// like STUN (first two bits zero, the magic cookie), however broken the rest: what a server
// needs to answer a malformed request with 400.
std::optional<StunMessage> parse_stun_header(std::span<const std::uint8_t> bytes);

// Comprehension-required attribute types in `message` that this codec does not know.
std::vector<StunAttributeType> unknown_comprehension_required(const StunMessage& message);

enum class StunIntegrity : std::uint8_t { kAbsent, kValid, kInvalid };
// MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY, checked under `key` over
// `bytes`, which parse_stun accepted (RFC 8489 sections 14.5 and 14.6).
StunIntegrity check_stun_integrity(std::span<const std::uint8_t> bytes,
                                   std::span<const std::uint8_t> key);

// What a packet on a TURN server's port is, by its first byte (RFC 7983, RFC 8656 section 12):
// 0..3 STUN, 64..79 ChannelData (64..127 under RFC 5766's numbers), anything else (or nothing)
// neither.
enum class TurnPacketKind : std::uint8_t { kStun, kChannelData, kOther };
TurnPacketKind classify_turn_packet(std::span<const std::uint8_t> bytes,
                                    ChannelNumbers numbers = ChannelNumbers::kRfc8656);

struct ChannelData {
  std::uint16_t channel = 0;
  StunBytes data;
};
// One ChannelData message from a datagram or a stream frame: channel in 0x4000..0x4FFF (or
// ..0x7FFF under RFC 5766's numbers), the length within the bytes (trailing bytes are padding
// and ignored, RFC 8656 section 12.5).
Result<ChannelData> parse_channel_data(std::span<const std::uint8_t> bytes,
                                       ChannelNumbers numbers = ChannelNumbers::kRfc8656);
// `pad`: round up to 4 bytes with zeros, as TCP and TLS need (over UDP it is optional).
// `channel` in 0x4000..0x7FFF, one the caller bound under its own numbers, and `data` at most
// kTurnDataBytesMax (both asserted).
StunBytes encode_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data, bool pad);

// On a stream (TCP, TLS), where messages follow each other: how many bytes at the front of
// `buffered` make the first whole message (a STUN message, or a ChannelData message with its
// padding), 0 while more bytes are needed, or an error when the front is neither or claims more
// than kStunMessageBytesMax: the stream cannot be resynchronised and should be closed.
// `numbers` as for classify_turn_packet().
Result<std::size_t> stream_frame_bytes(std::span<const std::uint8_t> buffered,
                                       ChannelNumbers numbers = ChannelNumbers::kRfc8656);

}  // namespace ccsim::platform

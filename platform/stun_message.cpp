#include "platform/stun_message.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace ccsim::platform {
namespace {

// RFC 8489 section 14.7: FINGERPRINT is the CRC-32 (ISO 3309, zlib's) XORed with this.
constexpr std::uint32_t kFingerprintXor = 0x5354554E;
constexpr std::size_t kAttributeHeaderBytes = 4;
constexpr std::size_t kIntegritySha1Bytes = 20;
constexpr std::size_t kIntegritySha256BytesMin = 16;
constexpr std::size_t kIntegritySha256BytesMax = 32;
constexpr std::size_t kReservationTokenBytes = 8;
constexpr std::uint16_t kMethodMax = 0x0FFF;

std::size_t padded(std::size_t bytes) {
  return (bytes + 3) & ~std::size_t{3};
}

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
         (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
}

void put_u16(StunBytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void put_u32(StunBytes& out, std::uint32_t value) {
  put_u16(out, static_cast<std::uint16_t>(value >> 16));
  put_u16(out, static_cast<std::uint16_t>(value & 0xffff));
}

void set_u16(StunBytes& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<std::uint8_t>(value >> 8);
  out[at + 1] = static_cast<std::uint8_t>(value & 0xff);
}

std::string hex16(std::uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof(text), "0x%04X", value);
  return text;
}

std::string hex32(std::uint32_t value) {
  char text[12];
  std::snprintf(text, sizeof(text), "0x%08X", value);
  return text;
}

// RFC 8489 section 5: the class bits C1 C0 sit at bits 8 and 4, the method's 12 bits around them.
std::uint16_t message_type(StunMethod method, StunClass message_class) {
  const auto m = static_cast<std::uint16_t>(method);
  const auto c = static_cast<std::uint16_t>(message_class);
  return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                    ((c & 1) << 4) | ((c & 2) << 7));
}

StunMethod type_method(std::uint16_t type) {
  return static_cast<StunMethod>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
}

StunClass type_class(std::uint16_t type) {
  return static_cast<StunClass>(((type >> 4) & 1) | ((type >> 7) & 2));
}

bool is_xor_address(StunAttributeType type) {
  return type == StunAttributeType::kXorMappedAddress ||
         type == StunAttributeType::kXorPeerAddress ||
         type == StunAttributeType::kXorRelayedAddress;
}

bool is_address(StunAttributeType type) {
  return is_xor_address(type) || type == StunAttributeType::kMappedAddress ||
         type == StunAttributeType::kAlternateServer;
}

// The 16 bytes an address is XORed with: the cookie, then the transaction id (section 14.2).
std::array<std::uint8_t, 16> xor_pad(const StunTransactionId& transaction_id) {
  std::array<std::uint8_t, 16> pad{0x21, 0x12, 0xA4, 0x42};
  std::copy(transaction_id.begin(), transaction_id.end(), pad.begin() + 4);
  return pad;
}

Result<TransportAddress> decode_address(StunAttributeType type, std::span<const std::uint8_t> v,
                                        const StunTransactionId& transaction_id) {
  const std::string name = stun_attribute_name(type);
  if (v.size() < 4) return error(ErrorCode::kInvalidArgument, name + ": value shorter than 4");
  TransportAddress address;
  std::size_t ip_bytes = 0;
  if (v[1] == static_cast<std::uint8_t>(AddressFamily::kIpv4)) {
    address.family = AddressFamily::kIpv4;
    ip_bytes = 4;
  } else if (v[1] == static_cast<std::uint8_t>(AddressFamily::kIpv6)) {
    address.family = AddressFamily::kIpv6;
    ip_bytes = 16;
  } else {
    return error(ErrorCode::kInvalidArgument,
                 name + ": unknown address family " + std::to_string(v[1]));
  }
  if (v.size() != 4 + ip_bytes) {
    return error(ErrorCode::kInvalidArgument, name + ": " + std::to_string(v.size()) +
                                                  " bytes; this family takes " +
                                                  std::to_string(4 + ip_bytes));
  }
  const bool xored = is_xor_address(type);
  const std::array<std::uint8_t, 16> pad = xor_pad(transaction_id);
  address.port = read_u16(v, 2);
  if (xored) address.port ^= static_cast<std::uint16_t>(kStunMagicCookie >> 16);
  for (std::size_t i = 0; i < ip_bytes; ++i) {
    address.ip[i] = xored ? static_cast<std::uint8_t>(v[4 + i] ^ pad[i]) : v[4 + i];
  }
  return address;
}

StunBytes encode_address(StunAttributeType type, const TransportAddress& address,
                         const StunTransactionId& transaction_id) {
  const bool xored = is_xor_address(type);
  const std::size_t ip_bytes = address.family == AddressFamily::kIpv4 ? 4 : 16;
  const std::array<std::uint8_t, 16> pad = xor_pad(transaction_id);
  StunBytes value{0, static_cast<std::uint8_t>(address.family)};
  put_u16(value, xored ? static_cast<std::uint16_t>(address.port ^ (kStunMagicCookie >> 16))
                       : address.port);
  for (std::size_t i = 0; i < ip_bytes; ++i) {
    value.push_back(xored ? static_cast<std::uint8_t>(address.ip[i] ^ pad[i]) : address.ip[i]);
  }
  return value;
}

Result<StunErrorCode> decode_error_code(std::span<const std::uint8_t> v) {
  if (v.size() < 4) return error(ErrorCode::kInvalidArgument, "ERROR-CODE: value shorter than 4");
  const int error_class = v[2] & 0x07;
  const int number = v[3];
  if (error_class < 3 || error_class > 6 || number > 99) {
    return error(ErrorCode::kInvalidArgument, "ERROR-CODE: class " + std::to_string(error_class) +
                                                  " number " + std::to_string(number) +
                                                  " is not a code in 300..699");
  }
  if (v.size() - 4 > kStunTextBytesMax) {
    return error(ErrorCode::kInvalidArgument, "ERROR-CODE: reason phrase over 763 bytes");
  }
  return StunErrorCode{error_class * 100 + number, std::string(v.begin() + 4, v.end())};
}

// The value length an attribute of a fixed size must have; nullopt for variable sizes.
std::optional<std::size_t> fixed_size(StunAttributeType type) {
  switch (type) {
    case StunAttributeType::kMessageIntegrity:
      return kIntegritySha1Bytes;
    case StunAttributeType::kFingerprint:
    case StunAttributeType::kChannelNumber:
    case StunAttributeType::kLifetime:
    case StunAttributeType::kRequestedTransport:
    case StunAttributeType::kRequestedAddressFamily:
    case StunAttributeType::kAdditionalAddressFamily:
    case StunAttributeType::kPriority:
      return 4;
    case StunAttributeType::kEvenPort:
      return 1;
    case StunAttributeType::kDontFragment:
    case StunAttributeType::kUseCandidate:
      return 0;
    case StunAttributeType::kReservationToken:
    case StunAttributeType::kIceControlled:
    case StunAttributeType::kIceControlling:
      return kReservationTokenBytes;
    default:
      return std::nullopt;
  }
}

std::optional<std::size_t> text_max(StunAttributeType type) {
  switch (type) {
    case StunAttributeType::kUsername:
      return kStunUsernameBytesMax;
    case StunAttributeType::kRealm:
    case StunAttributeType::kNonce:
    case StunAttributeType::kSoftware:
      return kStunTextBytesMax;
    default:
      return std::nullopt;
  }
}

Result<Done> check_family(StunAttributeType type, std::span<const std::uint8_t> v) {
  if (v[0] != 0x01 && v[0] != 0x02) {
    return error(ErrorCode::kInvalidArgument,
                 stun_attribute_name(type) + ": unknown address family " + std::to_string(v[0]));
  }
  return Done{};
}

// The shape rules of section 14 and RFC 8656 section 18, for the types this codec knows.
Result<Done> check_shape(const StunAttribute& a, const StunTransactionId& transaction_id) {
  const std::span<const std::uint8_t> v = a.value;
  const std::string name = stun_attribute_name(a.type);
  if (const auto size = fixed_size(a.type); size && v.size() != *size) {
    return error(ErrorCode::kInvalidArgument, name + ": " + std::to_string(v.size()) +
                                                  " bytes of value; it takes " +
                                                  std::to_string(*size));
  }
  if (const auto max = text_max(a.type); max && v.size() > *max) {
    return error(ErrorCode::kInvalidArgument, name + ": " + std::to_string(v.size()) +
                                                  " bytes, over its limit of " +
                                                  std::to_string(*max));
  }
  if (is_address(a.type)) {
    auto address = decode_address(a.type, v, transaction_id);
    if (!address.ok()) return address.error();
  }
  switch (a.type) {
    case StunAttributeType::kMessageIntegritySha256:
      if (v.size() < kIntegritySha256BytesMin || v.size() > kIntegritySha256BytesMax ||
          v.size() % 4 != 0) {
        return error(ErrorCode::kInvalidArgument, name + ": " + std::to_string(v.size()) +
                                                      " bytes; it takes 16 to 32, a multiple of 4");
      }
      break;
    case StunAttributeType::kErrorCode: {
      auto code = decode_error_code(v);
      if (!code.ok()) return code.error();
      break;
    }
    case StunAttributeType::kUnknownAttributes:
      if (v.size() % 2 != 0) {
        return error(ErrorCode::kInvalidArgument,
                     name + ": odd length " + std::to_string(v.size()));
      }
      break;
    case StunAttributeType::kRequestedAddressFamily:
    case StunAttributeType::kAdditionalAddressFamily:
      return check_family(a.type, v);
    default:
      break;
  }
  return Done{};
}

const std::uint8_t* bytes_of(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

StunBytes hmac(const EVP_MD* digest, std::span<const std::uint8_t> key,
               std::span<const std::uint8_t> data) {
  StunBytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  const unsigned char* made = HMAC(digest, key.data(), static_cast<int>(key.size()), data.data(),
                                   data.size(), out.data(), &length);
  assert(made != nullptr);
  (void)made;
  out.resize(length);
  return out;
}

std::uint32_t fingerprint_of(std::span<const std::uint8_t> bytes) {
  const uLong crc = crc32(0L, bytes.data(), static_cast<uInt>(bytes.size()));
  return static_cast<std::uint32_t>(crc) ^ kFingerprintXor;
}

void put_attribute(StunBytes& out, StunAttributeType type, std::span<const std::uint8_t> value) {
  put_u16(out, static_cast<std::uint16_t>(type));
  put_u16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  out.resize(padded(out.size()), 0);
}

bool is_computed(StunAttributeType type) {
  return type == StunAttributeType::kMessageIntegrity ||
         type == StunAttributeType::kMessageIntegritySha256 ||
         type == StunAttributeType::kFingerprint;
}

}  // namespace

namespace {

// The name of a type this codec knows; nullptr for any other.
const char* known_name(StunAttributeType type) {
  switch (type) {
    case StunAttributeType::kMappedAddress:
      return "MAPPED-ADDRESS";
    case StunAttributeType::kUsername:
      return "USERNAME";
    case StunAttributeType::kMessageIntegrity:
      return "MESSAGE-INTEGRITY";
    case StunAttributeType::kErrorCode:
      return "ERROR-CODE";
    case StunAttributeType::kUnknownAttributes:
      return "UNKNOWN-ATTRIBUTES";
    case StunAttributeType::kChannelNumber:
      return "CHANNEL-NUMBER";
    case StunAttributeType::kLifetime:
      return "LIFETIME";
    case StunAttributeType::kXorPeerAddress:
      return "XOR-PEER-ADDRESS";
    case StunAttributeType::kData:
      return "DATA";
    case StunAttributeType::kRealm:
      return "REALM";
    case StunAttributeType::kNonce:
      return "NONCE";
    case StunAttributeType::kXorRelayedAddress:
      return "XOR-RELAYED-ADDRESS";
    case StunAttributeType::kRequestedAddressFamily:
      return "REQUESTED-ADDRESS-FAMILY";
    case StunAttributeType::kEvenPort:
      return "EVEN-PORT";
    case StunAttributeType::kRequestedTransport:
      return "REQUESTED-TRANSPORT";
    case StunAttributeType::kDontFragment:
      return "DONT-FRAGMENT";
    case StunAttributeType::kMessageIntegritySha256:
      return "MESSAGE-INTEGRITY-SHA256";
    case StunAttributeType::kXorMappedAddress:
      return "XOR-MAPPED-ADDRESS";
    case StunAttributeType::kReservationToken:
      return "RESERVATION-TOKEN";
    case StunAttributeType::kPriority:
      return "PRIORITY";
    case StunAttributeType::kUseCandidate:
      return "USE-CANDIDATE";
    case StunAttributeType::kAdditionalAddressFamily:
      return "ADDITIONAL-ADDRESS-FAMILY";
    case StunAttributeType::kSoftware:
      return "SOFTWARE";
    case StunAttributeType::kAlternateServer:
      return "ALTERNATE-SERVER";
    case StunAttributeType::kFingerprint:
      return "FINGERPRINT";
    case StunAttributeType::kIceControlled:
      return "ICE-CONTROLLED";
    case StunAttributeType::kIceControlling:
      return "ICE-CONTROLLING";
  }
  return nullptr;
}

}  // namespace

std::string stun_attribute_name(StunAttributeType type) {
  const char* name = known_name(type);
  return name != nullptr ? name : hex16(static_cast<std::uint16_t>(type));
}

bool stun_comprehension_required(StunAttributeType type) {
  return static_cast<std::uint16_t>(type) < 0x8000;
}

TransportAddress TransportAddress::ipv4(std::uint32_t address, std::uint16_t port) {
  TransportAddress result;
  result.family = AddressFamily::kIpv4;
  for (std::size_t i = 0; i < 4; ++i) {
    result.ip[i] = static_cast<std::uint8_t>((address >> (24 - 8 * i)) & 0xff);
  }
  result.port = port;
  return result;
}

TransportAddress TransportAddress::ipv6(const std::array<std::uint8_t, 16>& address,
                                        std::uint16_t port) {
  TransportAddress result;
  result.family = AddressFamily::kIpv6;
  result.ip = address;
  result.port = port;
  return result;
}

std::string transport_address_text(const TransportAddress& address) {
  std::string text;
  if (address.family == AddressFamily::kIpv4) {
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) text += '.';
      text += std::to_string(address.ip[i]);
    }
  } else {
    text = "[";
    for (std::size_t i = 0; i < 16; i += 2) {
      char group[8];
      std::snprintf(group, sizeof(group), i == 0 ? "%x" : ":%x",
                    static_cast<unsigned>((address.ip[i] << 8) | address.ip[i + 1]));
      text += group;
    }
    text += "]";
  }
  return text + ":" + std::to_string(address.port);
}

const StunAttribute* StunMessage::find(StunAttributeType type) const {
  for (const StunAttribute& attribute : attributes) {
    if (attribute.type == type) return &attribute;
  }
  return nullptr;
}

std::optional<std::string> StunMessage::text(StunAttributeType type) const {
  const StunAttribute* a = find(type);
  if (a == nullptr) return std::nullopt;
  return std::string(a->value.begin(), a->value.end());
}

std::optional<TransportAddress> StunMessage::address(StunAttributeType type) const {
  const StunAttribute* a = find(type);
  if (a == nullptr) return std::nullopt;
  auto decoded = decode_address(type, a->value, transaction_id);
  if (!decoded.ok()) return std::nullopt;
  return decoded.value();
}

std::vector<TransportAddress> StunMessage::addresses(StunAttributeType type) const {
  std::vector<TransportAddress> result;
  for (const StunAttribute& a : attributes) {
    if (a.type != type) continue;
    auto decoded = decode_address(type, a.value, transaction_id);
    if (decoded.ok()) result.push_back(decoded.value());
  }
  return result;
}

std::optional<std::uint32_t> StunMessage::u32(StunAttributeType type) const {
  const StunAttribute* a = find(type);
  if (a == nullptr || a->value.size() != 4) return std::nullopt;
  return read_u32(a->value, 0);
}

std::optional<StunErrorCode> StunMessage::error_code() const {
  const StunAttribute* a = find(StunAttributeType::kErrorCode);
  if (a == nullptr) return std::nullopt;
  auto decoded = decode_error_code(a->value);
  if (!decoded.ok()) return std::nullopt;
  return decoded.value();
}

std::vector<StunAttributeType> StunMessage::unknown_attributes() const {
  std::vector<StunAttributeType> types;
  const StunAttribute* a = find(StunAttributeType::kUnknownAttributes);
  if (a == nullptr) return types;
  for (std::size_t i = 0; i + 1 < a->value.size(); i += 2) {
    types.push_back(static_cast<StunAttributeType>(read_u16(a->value, i)));
  }
  return types;
}

std::optional<std::uint16_t> StunMessage::channel_number() const {
  const StunAttribute* a = find(StunAttributeType::kChannelNumber);
  if (a == nullptr || a->value.size() != 4) return std::nullopt;
  return read_u16(a->value, 0);
}

std::optional<std::uint8_t> StunMessage::requested_transport() const {
  const StunAttribute* a = find(StunAttributeType::kRequestedTransport);
  if (a == nullptr || a->value.size() != 4) return std::nullopt;
  return a->value[0];
}

std::optional<AddressFamily> StunMessage::address_family(StunAttributeType type) const {
  const StunAttribute* a = find(type);
  if (a == nullptr || a->value.size() != 4 || (a->value[0] != 1 && a->value[0] != 2)) {
    return std::nullopt;
  }
  return static_cast<AddressFamily>(a->value[0]);
}

std::optional<bool> StunMessage::even_port_reserve() const {
  const StunAttribute* a = find(StunAttributeType::kEvenPort);
  if (a == nullptr || a->value.size() != 1) return std::nullopt;
  return (a->value[0] & 0x80) != 0;
}

std::optional<std::span<const std::uint8_t>> StunMessage::data() const {
  const StunAttribute* a = find(StunAttributeType::kData);
  if (a == nullptr) return std::nullopt;
  return std::span<const std::uint8_t>(a->value);
}

StunMessage& StunMessage::add(StunAttributeType type, std::span<const std::uint8_t> value) {
  attributes.push_back(StunAttribute{type, StunBytes(value.begin(), value.end())});
  return *this;
}

StunMessage& StunMessage::add_text(StunAttributeType type, std::string_view text) {
  return add(type, std::span<const std::uint8_t>(bytes_of(text), text.size()));
}

StunMessage& StunMessage::add_address(StunAttributeType type, const TransportAddress& address) {
  assert(is_address(type));
  return add(type, encode_address(type, address, transaction_id));
}

StunMessage& StunMessage::add_u32(StunAttributeType type, std::uint32_t value) {
  StunBytes bytes;
  put_u32(bytes, value);
  return add(type, bytes);
}

StunMessage& StunMessage::add_error_code(int code, std::string_view reason) {
  assert(code >= 300 && code <= 699 && reason.size() <= kStunTextBytesMax);
  StunBytes bytes{0, 0, static_cast<std::uint8_t>(code / 100),
                  static_cast<std::uint8_t>(code % 100)};
  bytes.insert(bytes.end(), bytes_of(reason), bytes_of(reason) + reason.size());
  return add(StunAttributeType::kErrorCode, bytes);
}

StunMessage& StunMessage::add_unknown_attributes(const std::vector<StunAttributeType>& types) {
  StunBytes bytes;
  for (StunAttributeType type : types) put_u16(bytes, static_cast<std::uint16_t>(type));
  return add(StunAttributeType::kUnknownAttributes, bytes);
}

StunMessage& StunMessage::add_channel_number(std::uint16_t channel) {
  StunBytes bytes;
  put_u16(bytes, channel);
  put_u16(bytes, 0);  // RFFU
  return add(StunAttributeType::kChannelNumber, bytes);
}

StunMessage& StunMessage::add_requested_transport(std::uint8_t protocol) {
  const StunBytes bytes{protocol, 0, 0, 0};
  return add(StunAttributeType::kRequestedTransport, bytes);
}

StunMessage& StunMessage::add_address_family(StunAttributeType type, AddressFamily family) {
  const StunBytes bytes{static_cast<std::uint8_t>(family), 0, 0, 0};
  return add(type, bytes);
}

StunMessage& StunMessage::add_even_port(bool reserve) {
  const StunBytes bytes{static_cast<std::uint8_t>(reserve ? 0x80 : 0)};
  return add(StunAttributeType::kEvenPort, bytes);
}

StunMessage& StunMessage::add_flag(StunAttributeType type) {
  return add(type, {});
}

StunBytes stun_long_term_key(std::string_view username, std::string_view realm,
                             std::string_view password) {
  const std::string joined =
      std::string(username) + ":" + std::string(realm) + ":" + std::string(password);
  StunBytes key(MD5_DIGEST_LENGTH);
  unsigned int length = 0;
  const int made =
      EVP_Digest(joined.data(), joined.size(), key.data(), &length, EVP_md5(), nullptr);
  assert(made == 1 && length == MD5_DIGEST_LENGTH);
  (void)made;
  return key;
}

StunBytes stun_short_term_key(std::string_view password) {
  return StunBytes(bytes_of(password), bytes_of(password) + password.size());
}

StunBytes encode_stun(const StunMessage& message, const StunEncodeOptions& options) {
  assert(static_cast<std::uint16_t>(message.method) <= kMethodMax);
  StunBytes out;
  put_u16(out, message_type(message.method, message.message_class));
  put_u16(out, 0);  // length, set below
  put_u32(out, kStunMagicCookie);
  out.insert(out.end(), message.transaction_id.begin(), message.transaction_id.end());
  for (const StunAttribute& a : message.attributes) {
    if (!is_computed(a.type)) put_attribute(out, a.type, a.value);
  }
  // Sections 14.5 and 14.6: the HMAC covers the message up to the attribute, with the length
  // field already counting the attribute itself.
  if (options.integrity_key) {
    const std::size_t bytes =
        options.integrity_sha256 ? kIntegritySha256BytesMax : kIntegritySha1Bytes;
    set_u16(
        out, 2,
        static_cast<std::uint16_t>(out.size() + kAttributeHeaderBytes + bytes - kStunHeaderBytes));
    const StunBytes mac =
        hmac(options.integrity_sha256 ? EVP_sha256() : EVP_sha1(), *options.integrity_key, out);
    put_attribute(out,
                  options.integrity_sha256 ? StunAttributeType::kMessageIntegritySha256
                                           : StunAttributeType::kMessageIntegrity,
                  mac);
  }
  // Section 14.7: the CRC covers everything before FINGERPRINT, the length counting it.
  if (options.fingerprint) {
    set_u16(out, 2, static_cast<std::uint16_t>(out.size() + 8 - kStunHeaderBytes));
    StunBytes value;
    put_u32(value, fingerprint_of(out));
    put_attribute(out, StunAttributeType::kFingerprint, value);
  }
  assert(out.size() <= kStunMessageBytesMax);
  set_u16(out, 2, static_cast<std::uint16_t>(out.size() - kStunHeaderBytes));
  return out;
}

std::optional<StunMessage> parse_stun_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kStunHeaderBytes || (bytes[0] & 0xC0) != 0 ||
      read_u32(bytes, 4) != kStunMagicCookie) {
    return std::nullopt;
  }
  StunMessage message;
  const std::uint16_t type = read_u16(bytes, 0);
  message.method = type_method(type);
  message.message_class = type_class(type);
  std::copy(bytes.begin() + 8, bytes.begin() + kStunHeaderBytes, message.transaction_id.begin());
  return message;
}

namespace {

Result<Done> check_header(std::span<const std::uint8_t> bytes) {
  const std::string size = std::to_string(bytes.size());
  if (bytes.size() < kStunHeaderBytes) {
    return error(ErrorCode::kInvalidArgument,
                 "STUN message of " + size + " bytes is shorter than the 20-byte header");
  }
  if (bytes.size() > kStunMessageBytesMax) {
    return error(ErrorCode::kInvalidArgument,
                 "STUN message of " + size + " bytes is over the limit of 65535");
  }
  if ((bytes[0] & 0xC0) != 0) {
    return error(ErrorCode::kInvalidArgument, "the first two bits of a STUN message must be zero");
  }
  if (read_u32(bytes, 4) != kStunMagicCookie) {
    return error(ErrorCode::kInvalidArgument,
                 "magic cookie " + hex32(read_u32(bytes, 4)) + " is not 0x2112A442");
  }
  const std::size_t length = read_u16(bytes, 2);
  if (length % 4 != 0) {
    return error(ErrorCode::kInvalidArgument,
                 "message length " + std::to_string(length) + " is not a multiple of 4");
  }
  if (length != bytes.size() - kStunHeaderBytes) {
    return error(ErrorCode::kInvalidArgument, "message length " + std::to_string(length) + " but " +
                                                  std::to_string(bytes.size() - kStunHeaderBytes) +
                                                  " bytes follow the header");
  }
  return Done{};
}

Result<Done> check_fingerprint(std::span<const std::uint8_t> bytes, std::size_t at,
                               const StunAttribute& a) {
  if (at + kAttributeHeaderBytes + 4 != bytes.size()) {
    return error(ErrorCode::kInvalidArgument, "FINGERPRINT is not the last attribute");
  }
  const std::uint32_t expected = fingerprint_of(bytes.first(at));
  if (read_u32(a.value, 0) != expected) {
    return error(ErrorCode::kInvalidArgument, "FINGERPRINT " + hex32(read_u32(a.value, 0)) +
                                                  " does not match the message's " +
                                                  hex32(expected));
  }
  return Done{};
}

}  // namespace

Result<StunMessage> parse_stun(std::span<const std::uint8_t> bytes) {
  if (auto header = check_header(bytes); !header.ok()) return header.error();
  StunMessage message = *parse_stun_header(bytes);
  // Section 14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count;
  // after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT.
  bool after_sha1 = false;
  bool after_sha256 = false;
  std::size_t at = kStunHeaderBytes;
  while (at < bytes.size()) {
    const auto type = static_cast<StunAttributeType>(read_u16(bytes, at));
    const std::size_t length = read_u16(bytes, at + 2);
    const std::size_t room = bytes.size() - at - kAttributeHeaderBytes;
    if (padded(length) > room) {
      return error(ErrorCode::kInvalidArgument,
                   "attribute " + stun_attribute_name(type) + " at offset " + std::to_string(at) +
                       " claims " + std::to_string(length) + " bytes (padded to 4) but " +
                       std::to_string(room) + " remain");
    }
    StunAttribute a{type, StunBytes(bytes.begin() + static_cast<std::ptrdiff_t>(at + 4),
                                    bytes.begin() + static_cast<std::ptrdiff_t>(at + 4 + length))};
    if (auto shape = check_shape(a, message.transaction_id); !shape.ok()) return shape.error();
    if (type == StunAttributeType::kFingerprint) {
      if (auto fingerprint = check_fingerprint(bytes, at, a); !fingerprint.ok()) {
        return fingerprint.error();
      }
    }
    const bool kept = type == StunAttributeType::kFingerprint ||
                      (type == StunAttributeType::kMessageIntegritySha256 && !after_sha256) ||
                      (!after_sha1 && !after_sha256);
    if (kept) message.attributes.push_back(std::move(a));
    after_sha1 = after_sha1 || type == StunAttributeType::kMessageIntegrity;
    after_sha256 = after_sha256 || type == StunAttributeType::kMessageIntegritySha256;
    at += kAttributeHeaderBytes + padded(length);
  }
  return message;
}

std::vector<StunAttributeType> unknown_comprehension_required(const StunMessage& message) {
  std::vector<StunAttributeType> unknown;
  for (const StunAttribute& a : message.attributes) {
    if (stun_comprehension_required(a.type) && known_name(a.type) == nullptr &&
        std::find(unknown.begin(), unknown.end(), a.type) == unknown.end()) {
      unknown.push_back(a.type);
    }
  }
  return unknown;
}

StunIntegrity check_stun_integrity(std::span<const std::uint8_t> bytes,
                                   std::span<const std::uint8_t> key) {
  assert(bytes.size() >= kStunHeaderBytes);
  std::optional<std::size_t> sha1_at;
  std::optional<std::size_t> sha256_at;
  for (std::size_t at = kStunHeaderBytes; at + kAttributeHeaderBytes <= bytes.size();) {
    const auto type = static_cast<StunAttributeType>(read_u16(bytes, at));
    if (type == StunAttributeType::kMessageIntegrity && !sha1_at && !sha256_at) sha1_at = at;
    if (type == StunAttributeType::kMessageIntegritySha256 && !sha256_at) sha256_at = at;
    at += kAttributeHeaderBytes + padded(read_u16(bytes, at + 2));
  }
  const std::optional<std::size_t> at = sha256_at ? sha256_at : sha1_at;
  if (!at) return StunIntegrity::kAbsent;
  const std::size_t length = read_u16(bytes, *at + 2);
  // The HMAC input: the message before the attribute, its length field counting up to the
  // attribute's end (so a FINGERPRINT after it is left out).
  StunBytes input(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(*at));
  set_u16(input, 2,
          static_cast<std::uint16_t>(*at + kAttributeHeaderBytes + length - kStunHeaderBytes));
  const StunBytes mac = hmac(sha256_at ? EVP_sha256() : EVP_sha1(), key, input);
  assert(length <= mac.size());
  const std::span<const std::uint8_t> carried = bytes.subspan(*at + kAttributeHeaderBytes, length);
  unsigned char differs = 0;
  for (std::size_t i = 0; i < length; ++i)
    differs |= static_cast<unsigned char>(mac[i] ^ carried[i]);
  return differs == 0 ? StunIntegrity::kValid : StunIntegrity::kInvalid;
}

std::uint16_t channel_number_max(ChannelNumbers numbers) {
  return numbers == ChannelNumbers::kRfc5766 ? kChannelNumberMaxRfc5766 : kChannelNumberMax;
}

TurnPacketKind classify_turn_packet(std::span<const std::uint8_t> bytes, ChannelNumbers numbers) {
  if (bytes.empty()) return TurnPacketKind::kOther;
  if (bytes[0] <= 3) return TurnPacketKind::kStun;
  const unsigned first_byte_max = channel_number_max(numbers) >> 8;
  if (bytes[0] >= (kChannelNumberMin >> 8) && bytes[0] <= first_byte_max) {
    return TurnPacketKind::kChannelData;
  }
  return TurnPacketKind::kOther;
}

Result<ChannelData> parse_channel_data(std::span<const std::uint8_t> bytes,
                                       ChannelNumbers numbers) {
  if (bytes.size() < kChannelDataHeaderBytes) {
    return error(ErrorCode::kInvalidArgument, "ChannelData of " + std::to_string(bytes.size()) +
                                                  " bytes is shorter than its 4-byte header");
  }
  const std::uint16_t channel = read_u16(bytes, 0);
  const std::uint16_t channel_max = channel_number_max(numbers);
  if (channel < kChannelNumberMin || channel > channel_max) {
    return error(ErrorCode::kInvalidArgument, "channel " + hex16(channel) + " is outside " +
                                                  hex16(kChannelNumberMin) + ".." +
                                                  hex16(channel_max));
  }
  const std::size_t length = read_u16(bytes, 2);
  if (length > kTurnDataBytesMax) {
    return error(ErrorCode::kInvalidArgument, "ChannelData length " + std::to_string(length) +
                                                  " is over the limit of " +
                                                  std::to_string(kTurnDataBytesMax));
  }
  if (length > bytes.size() - kChannelDataHeaderBytes) {
    return error(ErrorCode::kInvalidArgument,
                 "ChannelData length " + std::to_string(length) + " but " +
                     std::to_string(bytes.size() - kChannelDataHeaderBytes) +
                     " bytes follow the header");
  }
  return ChannelData{
      channel,
      StunBytes(bytes.begin() + kChannelDataHeaderBytes,
                bytes.begin() + static_cast<std::ptrdiff_t>(kChannelDataHeaderBytes + length))};
}

StunBytes encode_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data, bool pad) {
  assert(channel >= kChannelNumberMin && channel <= kChannelNumberMaxRfc5766);
  assert(data.size() <= kTurnDataBytesMax);
  StunBytes out;
  put_u16(out, channel);
  put_u16(out, static_cast<std::uint16_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  if (pad) out.resize(padded(out.size()), 0);
  return out;
}

Result<std::size_t> stream_frame_bytes(std::span<const std::uint8_t> buffered,
                                       ChannelNumbers numbers) {
  if (buffered.empty()) return std::size_t{0};
  const TurnPacketKind kind = classify_turn_packet(buffered, numbers);
  if (kind == TurnPacketKind::kOther) {
    return error(ErrorCode::kInvalidArgument, "stream byte 0x" + hex16(buffered[0]).substr(4) +
                                                  " starts neither STUN nor ChannelData");
  }
  if (buffered.size() < kChannelDataHeaderBytes) return std::size_t{0};
  const std::size_t length = read_u16(buffered, 2);
  const std::size_t whole = kind == TurnPacketKind::kStun
                                ? kStunHeaderBytes + length
                                : padded(kChannelDataHeaderBytes + length);
  if (whole > kStunMessageBytesMax) {
    return error(ErrorCode::kInvalidArgument,
                 "stream message of " + std::to_string(whole) + " bytes is over the limit");
  }
  return buffered.size() >= whole ? whole : std::size_t{0};
}

}  // namespace ccsim::platform

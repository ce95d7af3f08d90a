// The STUN codec against independent oracles: RFC 5769's test vectors typed in byte for byte
// from the RFC (their MESSAGE-INTEGRITY and FINGERPRINT were computed by the RFC's authors),
// RFC 8489's MD5 key example, and where this encoder's bytes differ from the RFC's (the RFC
// pads text with spaces, this encoder with zeros, so the HMAC and CRC change) the values were
// computed with Python's hmac, hashlib and zlib modules, not with this code. The malformed
// inputs are built by hand, each breaking one rule.
#include "platform/stun_message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ccsim::platform {
namespace {

StunBytes hex(std::string_view text) {
  StunBytes bytes;
  std::string digits;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c)) != 0) digits += c;
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    bytes.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// RFC 5769 section 2.1: Binding request, short-term credentials.
const StunBytes kSampleRequest = hex(R"(
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf)");

// Section 2.2: success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const StunBytes kSampleIpv4Response = hex(R"(
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96)");

// Section 2.3: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const StunBytes kSampleIpv6Response = hex(R"(
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c)");

// Section 2.4: long-term credentials, no FINGERPRINT, padding with zeros.
const StunBytes kSampleLongTermRequest = hex(R"(
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46
                53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66)");

const StunTransactionId kSampleTransactionId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                                0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
constexpr std::string_view kSamplePassword = "VOkJxbRl1RmTxUk/WvJxBt";
// U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8; "TheMatrIX" after SASLprep.
const std::string kLongTermUsername =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

StunMessage parsed(const StunBytes& bytes) {
  Result<StunMessage> message = parse_stun(bytes);
  EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.error().message);
  return message.ok() ? message.value() : StunMessage{};
}

std::string parse_error(const StunBytes& bytes) {
  Result<StunMessage> message = parse_stun(bytes);
  return message.ok() ? "(parsed)" : message.error().message;
}

TEST(StunMessage, Rfc5769SampleRequestParsesAndVerifiesWithTheShortTermPassword) {
  const StunMessage m = parsed(kSampleRequest);
  EXPECT_EQ(m.method, StunMethod::kBinding);
  EXPECT_EQ(m.message_class, StunClass::kRequest);
  EXPECT_EQ(m.transaction_id, kSampleTransactionId);
  EXPECT_EQ(m.text(StunAttributeType::kSoftware), "STUN test client");
  EXPECT_EQ(m.text(StunAttributeType::kUsername), "evtj:h6vY");
  EXPECT_EQ(m.u32(StunAttributeType::kPriority), 0x6e0001ffU);
  EXPECT_TRUE(m.has(StunAttributeType::kIceControlled));
  EXPECT_EQ(m.u32(StunAttributeType::kFingerprint), 0xe57a3bcfU);
  EXPECT_TRUE(unknown_comprehension_required(m).empty());
  EXPECT_EQ(check_stun_integrity(kSampleRequest, stun_short_term_key(kSamplePassword)),
            StunIntegrity::kValid);
  EXPECT_EQ(check_stun_integrity(kSampleRequest, stun_short_term_key("VOkJxbRl1RmTxUk/WvJxBu")),
            StunIntegrity::kInvalid);
}

TEST(StunMessage, Rfc5769SampleRequestReencodesWithZeroPaddingToPythonsHmacAndCrc) {
  StunBytes expected = kSampleRequest;
  expected[73] = expected[74] = expected[75] = 0;  // USERNAME's padding: spaces in the RFC
  const StunBytes tail =
      hex("00 08 00 14 79 07 c2 d2 ed bf ea 48 0e 4c 76 d8 29 62 d5 c3 74 2a f9 e3"
          "80 28 00 04 e3 52 92 8d");
  std::copy(tail.begin(), tail.end(), expected.end() - static_cast<std::ptrdiff_t>(tail.size()));
  StunEncodeOptions options;
  options.integrity_key = stun_short_term_key(kSamplePassword);
  options.fingerprint = true;
  EXPECT_EQ(encode_stun(parsed(kSampleRequest), options), expected);
}

TEST(StunMessage, Rfc5769Ipv4ResponseGivesTheMappedAddressAndReencodes) {
  const StunMessage m = parsed(kSampleIpv4Response);
  EXPECT_EQ(m.message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(m.text(StunAttributeType::kSoftware), "test vector");
  EXPECT_EQ(m.address(StunAttributeType::kXorMappedAddress),
            TransportAddress::ipv4(0xC0000201, 32853));
  EXPECT_EQ(check_stun_integrity(kSampleIpv4Response, stun_short_term_key(kSamplePassword)),
            StunIntegrity::kValid);

  StunBytes expected = kSampleIpv4Response;
  expected[35] = 0;  // SOFTWARE's padding
  const StunBytes tail =
      hex("00 08 00 14 5d 6b 58 be ad 94 e0 7e ef 0d fc 12 82 a2 bd 08 43 14 10 28"
          "80 28 00 04 25 16 7a 15");
  std::copy(tail.begin(), tail.end(), expected.end() - static_cast<std::ptrdiff_t>(tail.size()));
  StunEncodeOptions options;
  options.integrity_key = stun_short_term_key(kSamplePassword);
  options.fingerprint = true;
  EXPECT_EQ(encode_stun(m, options), expected);
}

TEST(StunMessage, Rfc5769Ipv6ResponseGivesTheMappedAddress) {
  const StunMessage m = parsed(kSampleIpv6Response);
  const TransportAddress expected =
      TransportAddress::ipv6({0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22,
                              0x33, 0x44, 0x55, 0x66, 0x77},
                             32853);
  EXPECT_EQ(m.address(StunAttributeType::kXorMappedAddress), expected);
  EXPECT_EQ(transport_address_text(expected), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  EXPECT_EQ(check_stun_integrity(kSampleIpv6Response, stun_short_term_key(kSamplePassword)),
            StunIntegrity::kValid);
}

TEST(StunMessage, Rfc5769LongTermRequestVerifiesAndReencodesToTheSameBytes) {
  const StunMessage m = parsed(kSampleLongTermRequest);
  EXPECT_EQ(m.text(StunAttributeType::kUsername), kLongTermUsername);
  EXPECT_EQ(m.text(StunAttributeType::kNonce), "f//499k954d6OL34oL9FSTvy64sA");
  EXPECT_EQ(m.text(StunAttributeType::kRealm), "example.org");
  const StunBytes key = stun_long_term_key(kLongTermUsername, "example.org", "TheMatrIX");
  EXPECT_EQ(check_stun_integrity(kSampleLongTermRequest, key), StunIntegrity::kValid);
  EXPECT_EQ(check_stun_integrity(kSampleLongTermRequest,
                                 stun_long_term_key(kLongTermUsername, "example.org", "Matrix")),
            StunIntegrity::kInvalid);
  StunEncodeOptions options;
  options.integrity_key = key;
  EXPECT_EQ(encode_stun(m, options), kSampleLongTermRequest);
}

TEST(StunMessage, LongTermKeyIsRfc8489sMd5Example) {
  // RFC 8489 section 9.2.2: MD5("user:realm:pass").
  EXPECT_EQ(stun_long_term_key("user", "realm", "pass"),
            hex("84 93 fb c5 3b a5 82 fb 4c 04 4c 45 6b dc 40 eb"));
}

TEST(StunMessage, MessageIntegritySha256MatchesPythonsHmac) {
  // A Binding request with MESSAGE-INTEGRITY-SHA256 under the key "key"; the HMAC over the
  // 20-byte header (length 36 = 4 + 32) computed with Python's hmac.new(b"key", ..., sha256).
  StunMessage request;
  request.transaction_id = kSampleTransactionId;
  StunEncodeOptions options;
  options.integrity_key = stun_short_term_key("key");
  options.integrity_sha256 = true;
  const StunBytes bytes = encode_stun(request, options);
  EXPECT_EQ(bytes, hex("00 01 00 24 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                       "00 1c 00 20 b3 c3 1f f1 46 3b be e4 2c e2 72 6f 35 36 03 ab"
                       "01 67 bd a7 d4 ae 46 4f 85 64 56 19 37 14 df 25"));
  EXPECT_EQ(check_stun_integrity(bytes, stun_short_term_key("key")), StunIntegrity::kValid);
  EXPECT_EQ(check_stun_integrity(bytes, stun_short_term_key("kez")), StunIntegrity::kInvalid);
}

TEST(StunMessage, TurnAttributesRoundTrip) {
  StunMessage m;
  m.method = StunMethod::kAllocate;
  m.message_class = StunClass::kRequest;
  m.transaction_id = kSampleTransactionId;
  const TransportAddress peer6 =
      TransportAddress::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 3478);
  const StunBytes token = hex("01 02 03 04 05 06 07 08");
  const StunBytes payload = hex("de ad be ef 01");
  m.add_requested_transport(kTransportProtocolUdp)
      .add_u32(StunAttributeType::kLifetime, 1200)
      .add_address(StunAttributeType::kXorPeerAddress, TransportAddress::ipv4(0x0A000001, 9))
      .add_address(StunAttributeType::kXorPeerAddress, peer6)
      .add_address(StunAttributeType::kXorRelayedAddress, TransportAddress::ipv4(0xCB007105, 50000))
      .add_address(StunAttributeType::kMappedAddress, TransportAddress::ipv4(0xC0000201, 1))
      .add_address(StunAttributeType::kAlternateServer, peer6)
      .add_channel_number(0x4001)
      .add_address_family(StunAttributeType::kRequestedAddressFamily, AddressFamily::kIpv6)
      .add_even_port(true)
      .add_flag(StunAttributeType::kDontFragment)
      .add(StunAttributeType::kReservationToken, token)
      .add(StunAttributeType::kData, payload)
      .add_error_code(486, "Allocation Quota Reached")
      .add_unknown_attributes({StunAttributeType::kDontFragment, StunAttributeType{0x0031}})
      .add_text(StunAttributeType::kSoftware, "ccsim");
  StunEncodeOptions options;
  options.integrity_key = stun_long_term_key("u", "r", "p");
  options.fingerprint = true;
  const StunBytes bytes = encode_stun(m, options);
  const StunMessage back = parsed(bytes);
  EXPECT_EQ(back.method, StunMethod::kAllocate);
  EXPECT_EQ(back.requested_transport(), kTransportProtocolUdp);
  EXPECT_EQ(back.u32(StunAttributeType::kLifetime), 1200U);
  EXPECT_EQ(back.addresses(StunAttributeType::kXorPeerAddress),
            (std::vector<TransportAddress>{TransportAddress::ipv4(0x0A000001, 9), peer6}));
  EXPECT_EQ(back.address(StunAttributeType::kXorRelayedAddress),
            TransportAddress::ipv4(0xCB007105, 50000));
  EXPECT_EQ(back.address(StunAttributeType::kMappedAddress), TransportAddress::ipv4(0xC0000201, 1));
  EXPECT_EQ(back.address(StunAttributeType::kAlternateServer), peer6);
  EXPECT_EQ(back.channel_number(), 0x4001);
  EXPECT_EQ(back.address_family(StunAttributeType::kRequestedAddressFamily), AddressFamily::kIpv6);
  EXPECT_EQ(back.even_port_reserve(), true);
  EXPECT_TRUE(back.has(StunAttributeType::kDontFragment));
  EXPECT_EQ(back.find(StunAttributeType::kReservationToken)->value, token);
  ASSERT_TRUE(back.data().has_value());
  EXPECT_EQ(StunBytes(back.data()->begin(), back.data()->end()), payload);
  EXPECT_EQ(back.error_code()->code, 486);
  EXPECT_EQ(back.error_code()->reason, "Allocation Quota Reached");
  EXPECT_EQ(back.unknown_attributes(),
            (std::vector<StunAttributeType>{StunAttributeType::kDontFragment,
                                            StunAttributeType{0x0031}}));
  EXPECT_EQ(back.text(StunAttributeType::kSoftware), "ccsim");
  EXPECT_EQ(check_stun_integrity(bytes, stun_long_term_key("u", "r", "p")), StunIntegrity::kValid);
  // The XOR-PEER-ADDRESS of 10.0.0.1:9 on the wire: port 9 ^ 0x2112, address ^ 0x2112A442.
  EXPECT_EQ(back.attributes[2].value, hex("00 01 21 1b 2b 12 a4 43"));
}

TEST(StunMessage, MessageTypeInterleavesClassBits) {
  // RFC 8489 section 5: a Binding success response is 0x0101, an error 0x0111; RFC 8656's
  // Allocate request 0x0003, Data indication 0x0017, ChannelBind error response 0x0119.
  const auto type_of = [](StunMethod method, StunClass message_class) {
    StunMessage m;
    m.method = method;
    m.message_class = message_class;
    const StunBytes bytes = encode_stun(m);
    return (bytes[0] << 8) | bytes[1];
  };
  EXPECT_EQ(type_of(StunMethod::kBinding, StunClass::kSuccessResponse), 0x0101);
  EXPECT_EQ(type_of(StunMethod::kBinding, StunClass::kErrorResponse), 0x0111);
  EXPECT_EQ(type_of(StunMethod::kAllocate, StunClass::kRequest), 0x0003);
  EXPECT_EQ(type_of(StunMethod::kData, StunClass::kIndication), 0x0017);
  EXPECT_EQ(type_of(StunMethod::kChannelBind, StunClass::kErrorResponse), 0x0119);
  const StunMessage back =
      parsed(hex("01 19 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"));
  EXPECT_EQ(back.method, StunMethod::kChannelBind);
  EXPECT_EQ(back.message_class, StunClass::kErrorResponse);
}

// A Binding request header with `length`, then `attributes` as given.
StunBytes with_attributes(std::string_view attributes, std::uint16_t length) {
  StunBytes bytes = hex("00 01 00 00 21 12 a4 42 01 02 03 04 05 06 07 08 09 0a 0b 0c");
  bytes[2] = static_cast<std::uint8_t>(length >> 8);
  bytes[3] = static_cast<std::uint8_t>(length & 0xff);
  const StunBytes tail = hex(attributes);
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  return bytes;
}

StunBytes with_attributes(std::string_view attributes) {
  return with_attributes(attributes, static_cast<std::uint16_t>(hex(attributes).size()));
}

TEST(StunMessage, MalformedHeadersAreRefusedWithTheRuleBroken) {
  EXPECT_EQ(parse_error(hex("00 01 00 00 21 12 a4 42 01 02 03 04 05 06 07 08 09 0a 0b")),
            "STUN message of 19 bytes is shorter than the 20-byte header");
  EXPECT_EQ(parse_error(StunBytes(65536, 0)),
            "STUN message of 65536 bytes is over the limit of 65535");
  EXPECT_EQ(parse_error(hex("40 01 00 00 21 12 a4 42 01 02 03 04 05 06 07 08 09 0a 0b 0c")),
            "the first two bits of a STUN message must be zero");
  EXPECT_EQ(parse_error(hex("00 01 00 00 21 12 a4 43 01 02 03 04 05 06 07 08 09 0a 0b 0c")),
            "magic cookie 0x2112A443 is not 0x2112A442");
  EXPECT_EQ(parse_error(with_attributes("80 22 00 01 61 00", 6)),
            "message length 6 is not a multiple of 4");
  EXPECT_EQ(parse_error(with_attributes("80 22 00 01 61 00 00 00", 12)),
            "message length 12 but 8 bytes follow the header");
}

TEST(StunMessage, MalformedAttributesAreRefusedWithTheRuleBroken) {
  EXPECT_EQ(parse_error(with_attributes("80 22 00 05 61 62 63 64")),
            "attribute SOFTWARE at offset 20 claims 5 bytes (padded to 4) but 4 remain");
  EXPECT_EQ(parse_error(with_attributes("00 0d 00 03 00 00 01 00")),
            "LIFETIME: 3 bytes of value; it takes 4");
  EXPECT_EQ(parse_error(with_attributes("00 20 00 08 00 03 21 12 00 00 00 00")),
            "XOR-MAPPED-ADDRESS: unknown address family 3");
  EXPECT_EQ(parse_error(with_attributes("00 12 00 08 00 02 21 12 00 00 00 00")),
            "XOR-PEER-ADDRESS: 8 bytes; this family takes 20");
  EXPECT_EQ(parse_error(with_attributes("00 09 00 04 00 00 07 01")),
            "ERROR-CODE: class 7 number 1 is not a code in 300..699");
  EXPECT_EQ(parse_error(with_attributes("00 0a 00 03 00 06 00 00")),
            "UNKNOWN-ATTRIBUTES: odd length 3");
  EXPECT_EQ(parse_error(with_attributes("00 1c 00 0c 00 00 00 00 00 00 00 00 00 00 00 00")),
            "MESSAGE-INTEGRITY-SHA256: 12 bytes; it takes 16 to 32, a multiple of 4");
  EXPECT_EQ(parse_error(with_attributes("00 17 00 04 03 00 00 00")),
            "REQUESTED-ADDRESS-FAMILY: unknown address family 3");
  const std::string long_name(513 * 2, '6');  // 513 bytes of "f", then 3 of padding
  EXPECT_EQ(parse_error(with_attributes("00 06 02 01 " + long_name + "00 00 00")),
            "USERNAME: 513 bytes, over its limit of 512");
}

TEST(StunMessage, FingerprintMustBeLastAndRight) {
  // A Binding request with FINGERPRINT alone: CRC-32 of the header (length 8) from Python's
  // zlib.crc32, XOR 0x5354554E, is 0x5B20F9CC.
  const StunBytes good = with_attributes("80 28 00 04 5b 20 f9 cc");
  EXPECT_EQ(parsed(good).u32(StunAttributeType::kFingerprint), 0x5B20F9CCU);
  StunMessage request = *parse_stun_header(good);
  StunEncodeOptions options;
  options.fingerprint = true;
  EXPECT_EQ(encode_stun(request, options), good);
  EXPECT_EQ(parse_error(with_attributes("80 28 00 04 5b 20 f9 cd")),
            "FINGERPRINT 0x5B20F9CD does not match the message's 0x5B20F9CC");
  EXPECT_EQ(parse_error(with_attributes("80 28 00 04 5b 20 f9 cc 80 22 00 00")),
            "FINGERPRINT is not the last attribute");
}

TEST(StunMessage, AttributesAfterMessageIntegrityAreIgnored) {
  StunBytes bytes = kSampleLongTermRequest;
  const StunBytes software = hex("80 22 00 04 61 62 63 64");
  bytes.insert(bytes.end(), software.begin(), software.end());
  bytes[3] = static_cast<std::uint8_t>(bytes[3] + software.size());
  const StunMessage m = parsed(bytes);
  EXPECT_FALSE(m.has(StunAttributeType::kSoftware));
  EXPECT_EQ(check_stun_integrity(bytes,
                                 stun_long_term_key(kLongTermUsername, "example.org", "TheMatrIX")),
            StunIntegrity::kValid);
}

TEST(StunMessage, UnknownComprehensionRequiredAttributesAreListedOnce) {
  const StunMessage m =
      parsed(with_attributes("00 31 00 00 80 31 00 00 00 31 00 00 00 7f 00 04 00 00 00 00"));
  EXPECT_EQ(unknown_comprehension_required(m),
            (std::vector<StunAttributeType>{StunAttributeType{0x0031}, StunAttributeType{0x007f}}));
}

TEST(StunMessage, AHeaderIsReadEvenWhenTheRestIsBroken) {
  const StunBytes broken = with_attributes("00 0d 00 03 00 00 01 00");
  const std::optional<StunMessage> header = parse_stun_header(broken);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->method, StunMethod::kBinding);
  EXPECT_EQ(header->transaction_id[11], 0x0c);
  EXPECT_FALSE(parse_stun_header(hex("40 00 00 04 01 02 03 04")).has_value());
}

TEST(StunMessage, PacketsAreToldApartByTheirFirstByte) {
  EXPECT_EQ(classify_turn_packet(kSampleRequest), TurnPacketKind::kStun);
  EXPECT_EQ(classify_turn_packet(hex("40 00 00 00")), TurnPacketKind::kChannelData);
  EXPECT_EQ(classify_turn_packet(hex("4f ff 00 00")), TurnPacketKind::kChannelData);
  EXPECT_EQ(classify_turn_packet(hex("80 60 00 00")), TurnPacketKind::kOther);  // RTP
  EXPECT_EQ(classify_turn_packet(hex("16 fe fd")), TurnPacketKind::kOther);     // DTLS
  EXPECT_EQ(classify_turn_packet({}), TurnPacketKind::kOther);
}

TEST(StunMessage, ChannelDataFramesAndErrors) {
  const StunBytes data = hex("01 02 03 04 05");
  EXPECT_EQ(encode_channel_data(0x4001, data, false), hex("40 01 00 05 01 02 03 04 05"));
  EXPECT_EQ(encode_channel_data(0x4001, data, true), hex("40 01 00 05 01 02 03 04 05 00 00 00"));
  const Result<ChannelData> padded = parse_channel_data(hex("40 01 00 05 01 02 03 04 05 00 00 00"));
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded.value().channel, 0x4001);
  EXPECT_EQ(padded.value().data, data);
  EXPECT_EQ(parse_channel_data(hex("40 01 00")).error().message,
            "ChannelData of 3 bytes is shorter than its 4-byte header");
  EXPECT_EQ(parse_channel_data(hex("50 00 00 00")).error().message,
            "channel 0x5000 is outside 0x4000..0x4FFF");
  EXPECT_EQ(parse_channel_data(hex("40 00 00 05 01 02")).error().message,
            "ChannelData length 5 but 2 bytes follow the header");
  EXPECT_EQ(parse_channel_data(hex("40 00 ff ff")).error().message,
            "ChannelData length 65535 is over the limit of 65471");
}

TEST(StunMessage, Rfc5766ChannelNumbersReachTo0x7FFFOnlyWhenAsked) {
  const StunBytes high = hex("7f ff 00 01 2a 00 00 00");
  EXPECT_EQ(classify_turn_packet(high), TurnPacketKind::kOther);
  EXPECT_EQ(classify_turn_packet(high, ChannelNumbers::kRfc5766), TurnPacketKind::kChannelData);
  EXPECT_EQ(classify_turn_packet(hex("50 00 00 00"), ChannelNumbers::kRfc5766),
            TurnPacketKind::kChannelData);
  EXPECT_EQ(classify_turn_packet(hex("80 00 00 00"), ChannelNumbers::kRfc5766),
            TurnPacketKind::kOther);
  EXPECT_EQ(classify_turn_packet(kSampleRequest, ChannelNumbers::kRfc5766), TurnPacketKind::kStun);
  const Result<ChannelData> parsed = parse_channel_data(high, ChannelNumbers::kRfc5766);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().channel, 0x7FFF);
  EXPECT_EQ(parsed.value().data, hex("2a"));
  EXPECT_EQ(parse_channel_data(high).error().message, "channel 0x7FFF is outside 0x4000..0x4FFF");
  EXPECT_EQ(parse_channel_data(hex("3f ff 00 00"), ChannelNumbers::kRfc5766).error().message,
            "channel 0x3FFF is outside 0x4000..0x7FFF");
  EXPECT_EQ(encode_channel_data(0x7FFF, hex("2a"), true), high);
  EXPECT_EQ(stream_frame_bytes(high, ChannelNumbers::kRfc5766).value(), 8U);
  EXPECT_EQ(stream_frame_bytes(high).error().message,
            "stream byte 0x7F starts neither STUN nor ChannelData");
}

TEST(StunMessage, StreamFramesAreFoundWholeOrWaitedFor) {
  StunBytes stream = kSampleRequest;  // 108 bytes
  const StunBytes channel = hex("40 01 00 05 01 02 03 04 05 00 00 00");
  stream.insert(stream.end(), channel.begin(), channel.end());
  EXPECT_EQ(stream_frame_bytes(stream).value(), 108U);
  EXPECT_EQ(stream_frame_bytes(std::span(stream).first(107)).value(), 0U);
  EXPECT_EQ(stream_frame_bytes(std::span(stream).subspan(108)).value(), 12U);
  EXPECT_EQ(stream_frame_bytes(std::span(stream).subspan(108, 11)).value(), 0U);
  EXPECT_EQ(stream_frame_bytes(std::span(stream).first(2)).value(), 0U);
  EXPECT_EQ(stream_frame_bytes(hex("16 fe fd 00")).error().message,
            "stream byte 0x16 starts neither STUN nor ChannelData");
}

}  // namespace
}  // namespace ccsim::platform

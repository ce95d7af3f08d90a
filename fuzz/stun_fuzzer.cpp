// libFuzzer target: arbitrary bytes as what arrives on a TURN server's port. The properties:
//  - the STUN parser, the ChannelData parser and the stream framer never crash, and say yes or
//    no with a message;
//  - a message the parser accepts encodes again (integrity and fingerprint left out, as the
//    encoder computes them) into bytes the parser accepts with the same header and attributes;
//  - ChannelData the parser accepts encodes again to its own header and data;
//  - a stream frame is never longer than the bytes it was found in;
//  - the TURN server core takes the bytes as a client's packet (on a fresh server, so each input
//    reproduces alone) without crashing, and answers at most once.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "platform/stun_message.h"
#include "platform/turn_server.h"

namespace {

using ccsim::platform::StunAttributeType;

void require(bool condition) {
  if (!condition) std::abort();
}

bool computed(StunAttributeType type) {
  return type == StunAttributeType::kMessageIntegrity ||
         type == StunAttributeType::kMessageIntegritySha256 ||
         type == StunAttributeType::kFingerprint;
}

void check_stun(std::span<const std::uint8_t> bytes) {
  using namespace ccsim::platform;
  Result<StunMessage> parsed = parse_stun(bytes);
  if (!parsed.ok()) {
    require(!parsed.error().message.empty());
    return;
  }
  const StunMessage& message = parsed.value();
  const StunBytes key = stun_short_term_key("fuzz");
  (void)check_stun_integrity(bytes, key);
  (void)unknown_comprehension_required(message);
  const StunBytes again = encode_stun(message);
  Result<StunMessage> reparsed = parse_stun(again);
  require(reparsed.ok());
  require(reparsed.value().method == message.method);
  require(reparsed.value().message_class == message.message_class);
  require(reparsed.value().transaction_id == message.transaction_id);
  std::size_t kept = 0;
  for (const StunAttribute& attribute : message.attributes) {
    if (computed(attribute.type)) continue;
    require(kept < reparsed.value().attributes.size());
    require(reparsed.value().attributes[kept].type == attribute.type);
    require(reparsed.value().attributes[kept].value == attribute.value);
    ++kept;
  }
  require(kept == reparsed.value().attributes.size());
}

void check_channel_data(std::span<const std::uint8_t> bytes) {
  using namespace ccsim::platform;
  Result<ChannelData> parsed = parse_channel_data(bytes);
  if (!parsed.ok()) return;
  const StunBytes again = encode_channel_data(parsed.value().channel, parsed.value().data, false);
  require(again.size() <= bytes.size());
  require(std::equal(again.begin(), again.end(), bytes.begin()));
}

void check_server(std::span<const std::uint8_t> bytes) {
  using namespace ccsim::platform;
  TurnServerConfig config;
  config.users = {{"alice", "wonderland"}};
  config.relay_ipv4 = TransportAddress::ipv4(0xCB007105, 0);
  TurnServer server(config, ccsim::core::RandomStream(1, 1));
  const FiveTuple five_tuple{TransportAddress::ipv4(0xC000020A, 40000),
                             TransportAddress::ipv4(0xC6336401, 3478), TurnTransport::kUdp};
  const TurnOutput out = server.on_client_packet(ccsim::core::Time{0}, five_tuple, bytes);
  require(out.to_clients.size() <= 1);
  require(out.to_peers.empty());  // no allocation, so nothing is relayed
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  check_stun(bytes);
  check_channel_data(bytes);
  const auto frame = ccsim::platform::stream_frame_bytes(bytes);
  if (frame.ok()) require(frame.value() <= size);
  check_server(bytes);
  return 0;
}

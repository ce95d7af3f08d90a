// libFuzzer target: arbitrary bytes as a frame, into the frame codec and into both nodes that
// receive frames. The property is the one the wire format promises: a bad frame is refused and
// counted, never a crash, and a frame that decodes re-encodes to one that decodes the same.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "devices/device_agent.h"
#include "platform/platform_node.h"
#include "proto/frame.h"

namespace {

using namespace std::chrono_literals;

void check_codec(std::string_view frame) {
  ccsim::wire::Envelope envelope;
  if (!std::holds_alternative<std::monostate>(ccsim::wire::decode_frame(frame, envelope))) return;
  ccsim::wire::Envelope again;
  const std::string encoded = ccsim::wire::encode_frame(envelope);
  const bool valid =
      std::holds_alternative<std::monostate>(ccsim::wire::decode_frame(encoded, again));
  assert(valid && again.body_case() == envelope.body_case());
  (void)valid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  check_codec(frame);

  // Nodes live across inputs, as they do in a run, so state built by one input meets the next.
  static ccsim::platform::PlatformNode platform({1min, 3}, 1000, nullptr);
  static ccsim::devices::DeviceAgentConfig config;
  static ccsim::devices::DeviceAgent agent({"B8A44F000001", "tier1-bullet", "11.11.0", 1}, config,
                                           ccsim::core::RandomStream(1, 1));
  static std::int64_t now_us = 0;
  now_us += 1'000'000;
  ccsim::core::Outbox out;
  platform.on_frame(ccsim::core::Time(now_us), size % 7, frame, out);
  out.clear();
  agent.on_frame(ccsim::core::Time(now_us), frame, out);
  return 0;
}

// libFuzzer target: arbitrary text as what viewers and devices send a region's signaling service
// (platform/signaling.h). Each line of the input is one message; its first byte says who sends
// it ('d': camera CAM-1, anything else: viewer Alice of Acme) and the rest is the message. The
// properties:
//  - nothing crashes, whatever the JSON, the nesting or the sizes;
//  - every answer is JSON-RPC 2.0: an object with "jsonrpc": "2.0" and exactly one of "result"
//    and "error", an error with an integer code and a message;
//  - every open session holds exactly one video-streaming seat, and no more seats are used than
//    the organization has.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "platform/audit_log.h"
#include "platform/device_registry.h"
#include "platform/identity_store.h"
#include "platform/owner_key.h"
#include "platform/signaling.h"
#include "platform/tenancy.h"

namespace {

using namespace ccsim::platform;

constexpr std::uint32_t kSeats = 2;

void require(bool condition) {
  if (!condition) std::abort();
}

template <typename T>
T must(Result<T> result) {
  require(result.ok());
  return std::move(result).value();
}

ccsim::core::Time at(int s) {
  return ccsim::core::Time{} + std::chrono::seconds(s);
}

// Acme with one managed camera that may stream and two seats; Alice owns it.
struct Platform {
  AuditLog audit;
  IdentityStore identities;
  Tenancy tenancy{audit, identities};
  ccsim::core::RandomStream random{7, ccsim::core::kPlatformStream};
  DeviceRegistry registry{audit, tenancy, random};
  std::string alice;
  std::string acme;

  Platform() {
    alice = must(identities.register_user("alice@acme.example", "Alice"));
    acme = must(tenancy.create_organization(at(0), alice, "Acme", "eu-west"));
    registry.connect_to(tenancy);
    require(tenancy.set_license(at(0), alice, acme, "device-management", 1).ok());
    require(tenancy.set_license(at(0), alice, acme, "video-streaming", kSeats).ok());
    const DeviceProfile managed{"managed", DeviceMode::kManaged, "lts-2024", {}, {"webrtc"}};
    require(registry.define_profile(at(0), alice, acme, managed).ok());
    require(registry.set_latest_lts_track(at(0), "lts-2024").ok());
    ccsim::core::RandomStream keys{3, 99};
    const std::string oak = generate_owner_key(keys);
    const FactoryRecord record{"CAM-1",
                               "m",
                               DeviceKind::kCamera,
                               DeviceTier::kTier1,
                               oak,
                               std::chrono::hours(9000),
                               std::chrono::hours(9000),
                               "11.11.0"};
    require(registry.register_devices(at(0), {record}).ok());
    require(registry.claim(at(0), alice, acme, "CAM-1", oak, "managed", std::nullopt).ok());
    require(registry.complete_onboarding(at(0), "CAM-1", "11.11.0", "lts-2024").ok());
    require(registry.report_connection(at(0), "CAM-1", ConnectionStatus::kConnected).ok());
  }

  std::uint32_t seats_used() {
    for (const License& license : must(tenancy.licenses(acme))) {
      if (license.service == "video-streaming") return license.used;
    }
    return 0;
  }
};

void check_answer(const std::string& text) {
  if (text.empty()) return;  // a notification needs no answer
  const nlohmann::json answer = nlohmann::json::parse(text, nullptr, false);
  require(!answer.is_discarded() && answer.is_object());
  require(answer.value("jsonrpc", "") == "2.0");
  require(answer.contains("result") != answer.contains("error"));
  if (answer.contains("error")) {
    require(answer["error"]["code"].is_number_integer());
    require(answer["error"]["message"].is_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Platform platform;
  SignalingConfig config;
  config.region = "eu-west";
  config.turn_secret = "fuzz";
  config.turn_urls = {"turn:turn.eu-west.example:3478?transport=udp"};
  Signaling signaling(config, platform.registry, platform.tenancy, platform.audit);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  int second = 1;
  for (std::size_t start = 0; start < input.size(); ++second) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const bool from_device = line[0] == 'd';
    const SignalingOutput out =
        from_device
            ? signaling.from_device(at(second), "CAM-1", line.substr(1))
            : signaling.from_viewer(at(second), platform.alice, platform.acme, line.substr(1));
    check_answer(out.reply);
    (void)signaling.expire(at(second));
    require(platform.seats_used() == signaling.sessions_open());
    require(platform.seats_used() <= kSeats);
  }
  return 0;
}

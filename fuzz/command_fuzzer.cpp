// libFuzzer target: arbitrary bytes as JSON commands, decoded and run against a control plane.
// The property is the one the command form promises: whatever arrives, the reply is a JSON
// object whose "ok" is a bool, with a result object or an error of a known code; a request the
// decoder refuses is refused as invalid_argument with the decoder's message and changes nothing
// (no audit entry); and the audit log stays intact.
//
// An input is up to kCommandsPerInputMax lines, each a request (JSON Lines; empty lines are
// skipped), run in order on a control plane built afresh for the input, so a command can meet
// the state earlier ones made and any crash reproduces from its input alone. (Handing on a plane
// that an input seemed to leave as built is not safe: some state, such as the claim guard's
// clock, changes unaudited.) The plane starts with (seeds in fuzz/corpus/command/ use these
// names):
//   user-000001 alice@acme.example   owner of org-000001 ("Acme", eu-west)
//   user-000002 bob@acme.example     operator in org-000001
//   user-000003 mallory@evil.example in no organization
//   org-000001: 10 device-management seats; profiles "managed-lts" (managed, lts-2024, app
//     motion-guard, capability webrtc, the default) and "connected" (connected, active)
//   devices, all on LAN lan-1: CAM-1 (Tier-1 camera, OAK AAAA-BBBB-CCCC-0001) and CAM-2
//     (Tier-2 camera, AAAA-BBBB-CCCC-0002), both registered; REC-1 (recorder,
//     AAAA-BBBB-CCCC-0003) onboarded in org-000001 on lts-2024.
//   application app-691b4b45cf2abcd6 ("Partner VMS", redirect URI
//     https://partner.example/callback; its id fixed by the plane's seed), onboarded nowhere.
//     Codes and tokens are drawn from the seed too, so seeds can redeem and introspect them.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_property.h"
#include "platform/command.h"
#include "platform/control_plane.h"

namespace {

using namespace std::chrono_literals;
using ccsim::core::Time;
namespace platform = ccsim::platform;

constexpr std::size_t kCommandsPerInputMax = 16;

void require(bool condition, const char* what) {
  ccsim::fuzz::require(condition, "command_fuzzer", what);
}

template <typename T>
T must(platform::Result<T> result, const char* what) {
  if (!result.ok()) std::fprintf(stderr, "%s\n", result.error().message.c_str());
  require(result.ok(), what);
  return std::move(result).value();
}

// The plane of the header comment, built at times up to `now`, which it advances.
std::unique_ptr<platform::ControlPlane> make_plane(Time& now) {
  auto plane = std::make_unique<platform::ControlPlane>(1);
  auto tick = [&now] { return now += 1s; };
  const auto alice =
      must(plane->identity_store.register_user("alice@acme.example", "Alice"), "alice");
  const auto bob = must(plane->identity_store.register_user("bob@acme.example", "Bob"), "bob");
  must(plane->identity_store.register_user("mallory@evil.example", "Mallory"), "mallory");
  const auto acme =
      must(plane->tenancy.create_organization(tick(), alice, "Acme", "eu-west"), "acme");
  const auto invitation = must(
      plane->tenancy.invite(tick(), alice, acme, "bob@acme.example", platform::Role::kOperator),
      "invite");
  must(plane->tenancy.accept_invitation(tick(), bob, invitation), "accept");
  must(plane->tenancy.set_license(tick(), alice, acme, "device-management", 10), "license");
  const platform::DeviceProfile managed{
      "managed-lts", platform::DeviceMode::kManaged, "lts-2024", {"motion-guard"}, {"webrtc"}};
  const platform::DeviceProfile connected{
      "connected", platform::DeviceMode::kConnected, "active", {}, {}};
  must(plane->registry.define_profile(tick(), alice, acme, managed), "managed profile");
  must(plane->registry.define_profile(tick(), alice, acme, connected), "connected profile");
  must(plane->registry.set_default_profile(tick(), alice, acme, "managed-lts"), "default");
  using Kind = platform::DeviceKind;
  using Tier = platform::DeviceTier;
  const std::vector<platform::FactoryRecord> records = {
      {"CAM-1", "bullet", Kind::kCamera, Tier::kTier1, "AAAA-BBBB-CCCC-0001", 8760h, 43800h,
       "11.11.0"},
      {"CAM-2", "dome", Kind::kCamera, Tier::kTier2, "AAAA-BBBB-CCCC-0002", 8760h, 43800h,
       "11.11.0"},
      {"REC-1", "recorder", Kind::kRecorder, Tier::kTier1, "AAAA-BBBB-CCCC-0003", 8760h, 43800h,
       "11.11.0"},
  };
  must(plane->registry.register_devices(tick(), records), "register");
  for (const auto& record : records) {
    must(plane->registry.place_on_lan(tick(), record.serial, "lan-1"), "lan");
  }
  must(plane->registry.claim(tick(), alice, acme, "REC-1", "AAAA-BBBB-CCCC-0003"), "claim");
  must(plane->registry.complete_onboarding(tick(), "REC-1", "11.11.0", "lts-2024"), "onboard");
  const auto application = must(
      plane->apps.register_application(tick(), "Partner VMS", {"https://partner.example/callback"}),
      "application");
  require(application == "app-691b4b45cf2abcd6", "the application id the seeds name");
  return plane;
}

// The reply to `request` keeps the promises in the header comment; `appended` is how many audit
// entries running it added.
void check_reply(std::string_view request, const std::string& reply_text, std::size_t appended) {
  const auto reply = nlohmann::json::parse(reply_text, nullptr, /*allow_exceptions=*/false);
  require(reply.is_object(), "the reply is a JSON object");
  const auto ok = reply.find("ok");
  require(ok != reply.end() && ok->is_boolean(), "the reply's \"ok\" is a bool");
  if (*ok == true) {
    require(reply.size() == 2 && reply.contains("result") && reply["result"].is_object(),
            "a success holds a result object");
    return;
  }
  require(reply.size() == 2 && reply.contains("error") && reply["error"].is_object(),
          "a failure holds an error object");
  const auto& error = reply["error"];
  require(error.size() == 2 && error.contains("code") && error["code"].is_string() &&
              error.contains("message") && error["message"].is_string(),
          "an error has a code and a message");
  const auto code = error["code"].get<std::string>();
  bool known = false;
  for (int index = 0; index <= 255; ++index) {
    const auto name = platform::error_code_name(static_cast<platform::ErrorCode>(index));
    known = known || (code == name && name != "unknown");
  }
  require(known, "the error code is a known one");

  // Only the decoder's refusals and the services' bad input are invalid_argument; decoding again
  // tells them apart.
  if (code != "invalid_argument") return;
  const auto decoded = platform::decode_command(request);
  if (decoded.ok()) return;
  require(error["message"] == decoded.error().message, "a refusal carries the decoder's message");
  require(appended == 0, "a refused request changes nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Time now{};
  const auto plane = make_plane(now);
  std::size_t begin = 0;
  for (std::size_t count = 0; count < kCommandsPerInputMax && begin <= input.size(); ++count) {
    const std::size_t end = std::min(input.find('\n', begin), input.size());
    const std::string_view request = input.substr(begin, end - begin);
    begin = end + 1;
    if (request.empty()) continue;  // as after the last line's '\n'
    now += 1s;
    const std::size_t audit_size = plane->audit_log.size();
    const std::string reply = platform::execute_command(*plane, now, request);
    check_reply(request, reply, plane->audit_log.size() - audit_size);
  }
  require(plane->audit_log.verify().intact, "the audit log stays intact");
  return 0;
}

// The timeline's actions: what each `do:` does and every key it takes.
#include <algorithm>
#include <array>
#include <cassert>

#include "platform/rollout.h"
#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios {
namespace {

using Key = KeySpec<Action>;

constexpr std::array<std::string_view, 4> kRoleWords = {"owner", "administrator", "operator",
                                                        "viewer"};
constexpr std::array<std::string_view, 2> kMethodWords = {"one-click", "local"};
constexpr std::array<std::string_view, 2> kOakWords = {"right", "wrong"};
static_assert(static_cast<int>(ActingRole::kViewer) == 3 &&
              static_cast<int>(ClaimMethod::kLocal) == 1);

const Key kDevices{"devices",
                   KeyType::kSelection,
                   Absent::kDefault,
                   "`all`",
                   "the devices it acts on (see device selections)",
                   0,
                   0,
                   {},
                   &assign_member<&Action::devices, Action>};
const Key kAs{"as",
              KeyType::kWord,
              Absent::kDefault,
              "`owner`",
              "which of the organization's users acts",
              0,
              0,
              kRoleWords,
              &assign_member<&Action::as, Action>};
const Key kScope{
    "scope",
    KeyType::kScope,
    Absent::kDefault,
    "none",
    "a site of an organization: the acting user holds the `as` role only in that "
    "site's resource group (`ROLE.SITE@NAME.example`, invited with that scope), so the "
    "platform allows it only for devices of that site. Not with `as: owner`, which is "
    "always organization-wide.",
    0,
    0,
    {},
    &assign_member<&Action::scope, Action>};
const Key kTaskName{"name",
                    KeyType::kIdentifier,
                    Absent::kDefault,
                    "none",
                    "the task series' name",
                    0,
                    0,
                    {},
                    &assign_member<&Action::name, Action>};

const std::array<Key, 9> kOnboardKeys = {{
    kDevices,
    {"organization",
     KeyType::kOrganization,
     Absent::kDefault,
     "each device's own",
     "the organization that claims every selected device. Without it, devices of sites no "
     "organization owns are left alone.",
     0,
     0,
     {},
     &assign_member<&Action::organization, Action>},
    kAs,
    kScope,
    {"method", KeyType::kWord, Absent::kDefault, "`one-click`",
     "`one-click`: with the device's serial and OAK, as a QR-code scan does. `local`: discovered "
     "through a recorder or edge host on the device's LAN (the one carrying it, else the first of "
     "its site), which must itself be onboarded. A Tier-2 camera can only be onboarded `local`.",
     0, 0, kMethodWords, &assign_member<&Action::method, Action>},
    {"profile",
     KeyType::kProfile,
     Absent::kDefault,
     "the organization's `default_profile`",
     "the device profile the devices are onboarded into",
     0,
     0,
     {},
     &assign_member<&Action::profile, Action>},
    {"oak", KeyType::kWord, Absent::kDefault, "`right`",
     "`wrong`: claim with an owner authentication key that is not the device's (refused; "
     "repeated wrong keys lock the serial)",
     0, 0, kOakWords, &assign_member<&Action::wrong_oak, Action>},
    {"attempts",
     KeyType::kWhole,
     Absent::kDefault,
     "`1`",
     "how many times each claim is made",
     1,
     kClaimAttemptsMax,
     {},
     &assign_member<&Action::attempts, Action>},
    {"over",
     KeyType::kSpread,
     Absent::kDefault,
     "`0s`",
     "the claims are spread evenly over this long from `at`, as a bulk tool paces them; `0s`: "
     "all at once",
     0,
     0,
     {},
     &assign_member<&Action::over, Action>},
}};

const std::array<Key, 2> kInstallAppKeys = {{
    kDevices,
    {"app",
     KeyType::kIdentifier,
     Absent::kRequired,
     "required",
     "an app name such as motion-guard: the app installed at each selected device",
     0,
     0,
     {},
     &assign_member<&Action::app, Action>},
}};

const std::array<Key, 1> kDevicesOnly = {{kDevices}};

const std::array<Key, 3> kInstallOsKeys = {{
    kDevices,
    {"version",
     KeyType::kIdentifier,
     Absent::kRequired,
     "required",
     "an OS version such as 12.2.0, which each selected device now runs",
     0,
     0,
     {},
     &assign_member<&Action::version, Action>},
    {"track",
     KeyType::kIdentifier,
     Absent::kRequired,
     "required",
     "an OS track such as lts-2024, the one that version is on",
     0,
     0,
     {},
     &assign_member<&Action::track, Action>},
}};

const std::array<Key, 1> kLatestLtsKeys = {{
    {"track",
     KeyType::kIdentifier,
     Absent::kRequired,
     "required",
     "an OS track such as lts-2026: the latest LTS track from now on",
     0,
     0,
     {},
     &assign_member<&Action::track, Action>},
}};

const std::array<Key, 7> kLiveVideoKeys = {{
    kDevices,
    kAs,
    kScope,
    {"from",
     KeyType::kViewer,
     Absent::kDefault,
     "a viewer with a public address, 20 ms from the device's region",
     "the viewer that asks: its NAT and firewall decide, with the device site's, how ICE connects "
     "(see `viewers:`)",
     0,
     0,
     {},
     &assign_member<&Action::viewer, Action>},
    {"for",
     KeyType::kLength,
     Absent::kDefault,
     "`1m`",
     "how long each session lasts once set up; the viewer then closes it",
     0,
     0,
     {},
     &assign_member<&Action::session_length, Action>},
    {"bitrate",
     KeyType::kBandwidth,
     Absent::kDefault,
     "`2Mbps`",
     "the stream's bitrate (its stream profile's): what a session carries up the camera site's "
     "uplink, and twice through the TURN server (in and out) when relayed",
     0,
     0,
     {},
     &assign_member<&Action::bitrate_bps, Action>},
    {"ptz",
     KeyType::kWhole,
     Absent::kDefault,
     "`0`",
     "PTZ commands the viewer sends over the session's data channel, evenly spread over it; each "
     "is answered along the media's path, and its round trip measured",
     0,
     kPtzCommandsPerSessionMax,
     {},
     [](Action& a, const KeyValue& v) {
       a.ptz_commands = static_cast<std::uint32_t>(std::get<std::uint64_t>(v));
     }},
}};

const std::array<Key, 1> kDeleteKeys = {{
    {"organization",
     KeyType::kOrganization,
     Absent::kRequired,
     "required",
     "the name of the organization to delete",
     0,
     0,
     {},
     &assign_member<&Action::organization, Action>},
}};

const std::array<Key, 5> kOverlayKeys = {{
    kDevices,
    kAs,
    kScope,
    {"text",
     KeyType::kOverlayText,
     Absent::kRequired,
     "required",
     "the overlay text, at most 128 bytes (the Task Manager's limit; UTF-8 counts bytes), without "
     "control characters (tabs and newlines included); `\"\"` empties the overlay",
     0,
     0,
     {},
     &assign_member<&Action::text, Action>},
    kTaskName,
}};

const Key kReleaseVersion{
    "version",
    KeyType::kRelease,
    Absent::kRequired,
    "required",
    "the OS version to install, such as 11.12.0: a release's `version`, since "
    "the platform deploys only what it published",
    0,
    0,
    {},
    &assign_member<&Action::version, Action>};

const std::array<Key, 5> kDeployKeys = {{kDevices, kAs, kScope, kReleaseVersion, kTaskName}};

const std::array<Key, 8> kRolloutKeys = {{
    kDevices,
    kAs,
    kScope,
    kReleaseVersion,
    {"name",
     KeyType::kIdentifier,
     Absent::kRequired,
     "required",
     "a name for the rollout, unique among rollouts, such as lts-rollout; `rollout_state` checks "
     "name it",
     0,
     0,
     {},
     &assign_member<&Action::name, Action>},
    {"stages",
     KeyType::kRolloutStages,
     Absent::kDefault,
     "one stage of every device",
     "1 to 100 stages in order. `devices` (required): a whole number 0..1,000,000, where only the "
     "last stage may be `0`, every device left; `success_threshold` (fraction, default `100%`): "
     "the share of the stage that must succeed before the next may start.",
     0,
     0,
     {},
     [](Action& a, const KeyValue& v) {
       a.rollout.stages = std::get<std::vector<RolloutStage>>(v);
     }},
    {"starts_per_minute",
     KeyType::kWhole,
     Absent::kDefault,
     "`0`",
     "devices started in any minute; `0`: no limit",
     0,
     platform::kRolloutStartsPerMinuteMax,
     {},
     [](Action& a, const KeyValue& v) {
       a.rollout.starts_per_minute = static_cast<std::uint32_t>(std::get<std::uint64_t>(v));
     }},
    {"abort",
     KeyType::kAbortRule,
     Absent::kDefault,
     "`{failure_share: 100%, after: 1}`",
     "once at least `after` (1..1,000,000) devices have finished, the rollout aborts when the "
     "share of them that failed exceeds `failure_share` (fraction); `100%` never aborts",
     0,
     0,
     {},
     [](Action& a, const KeyValue& v) {
       const AbortRule& rule = std::get<AbortRule>(v);
       a.rollout.abort_failure_share = rule.failure_share;
       a.rollout.abort_after = rule.after;
     }},
}};

const std::array<Key, 4> kDiagnosticsKeys = {{
    kDevices,
    kAs,
    kScope,
    {"granted",
     KeyType::kBool,
     Absent::kDefault,
     "`true`",
     "`false` revokes consent",
     0,
     0,
     {},
     &assign_member<&Action::granted, Action>},
}};

const std::array<ActionSpec, 13> kActions = {{
    {"onboard", ActionKind::kOnboard, ActionSide::kPlatform,
     "a user claims each selected device for an organization; the device is onboarded once it "
     "accepts its provisioning",
     kOnboardKeys},
    {"install_app", ActionKind::kInstallApp, ActionSide::kDevices,
     "the app is installed at each selected device", kInstallAppKeys},
    {"use_local_administrator", ActionKind::kUseLocalAdministrator, ActionSide::kDevices,
     "someone logs in to each selected device as its local administrator", kDevicesOnly},
    {"install_os", ActionKind::kInstallOs, ActionSide::kDevices,
     "each selected device now runs this OS version on this track", kInstallOsKeys},
    {"set_latest_lts", ActionKind::kSetLatestLts, ActionSide::kPlatform,
     "the platform learns that `track` is the latest LTS track; managed devices on neither it nor "
     "the active track fall back to connected, and those connected are told",
     kLatestLtsKeys},
    {"request_live_video", ActionKind::kRequestLiveVideo, ActionSide::kPlatform,
     "a user of each selected device's organization asks for WebRTC live video from it; the "
     "platform grants it only to a role that may view live video, for an onboarded device in "
     "managed mode whose profile has the `webrtc` capability",
     kLiveVideoKeys},
    {"delete_organization", ActionKind::kDeleteOrganization, ActionSide::kPlatform,
     "its owner deletes the organization; its devices are released to standalone", kDeleteKeys},
    {"set_overlay_text", ActionKind::kSetOverlayText, ActionSide::kPlatform,
     "a user creates a task series: one `set_overlay_text` task per selected device, run by the "
     "host that manages it",
     kOverlayKeys},
    {"deploy", ActionKind::kDeploy, ActionSide::kPlatform,
     "a user creates a task series that upgrades (or downgrades) each selected device to "
     "`version`",
     kDeployKeys},
    {"rollout", ActionKind::kRollout, ActionSide::kPlatform,
     "a user starts a staged rollout of `version` to the selected devices, under the safety rules "
     "of `platform/rollout.h`",
     kRolloutKeys},
    {"restart_host", ActionKind::kRestartHost, ActionSide::kDevices,
     "each selected host restarts; its tasks survive in its journal", kDevicesOnly},
    {"add_device_locally", ActionKind::kAddDeviceLocally, ActionSide::kDevices,
     "each selected Tier-2 device is added on its edge host, which creates an `adopt_device` task "
     "itself and reports it",
     kDevicesOnly},
    {"set_diagnostics", ActionKind::kSetDiagnostics, ActionSide::kPlatform,
     "a user grants (or, with `granted: false`, revokes) diagnostics consent for each selected "
     "device",
     kDiagnosticsKeys},
}};
static_assert(kActions.size() == static_cast<std::size_t>(ActionKind::kSetDiagnostics) + 1,
              "one row per action kind");

}  // namespace

std::span<const ActionSpec> action_specs() {
  return kActions;
}

const ActionSpec& action_spec(ActionKind kind) {
  const auto found = std::find_if(kActions.begin(), kActions.end(),
                                  [kind](const ActionSpec& spec) { return spec.kind == kind; });
  assert(found != kActions.end() && "every action kind is declared");
  return *found;
}

}  // namespace ccsim::scenarios

// A scenario as the engine runs it: what a validated scenario file says, with every default
// filled in. Files are parsed and checked by scenario_file.h; this header is only the data.
// Units and qualifiers go last in names (bandwidth_bps, loss_fraction).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/node.h"
#include "devices/reconnect_backoff.h"
#include "platform/software_updates.h"
#include "platform/update_window.h"
#include "scenarios/model/capacity_inputs.h"
#include "scenarios/model/regions.h"
#include "scenarios/model/site_network.h"

namespace ccsim::scenarios {

using core::Duration;

// Limits on what a scenario may ask for; a file past them is refused as bad input.
inline constexpr std::uint64_t kDevicesPerScenarioMax = 1'000'000;
inline constexpr std::size_t kSitesPerScenarioMax = 100'000;
// Viewers' client sites a scenario declares, and the longest one-way latency one may have.
inline constexpr std::size_t kViewersPerScenarioMax = 1'000;
inline constexpr Duration kViewerLatencyMax = std::chrono::seconds(2);
// How long a viewer's ICE agent may stay silent on its pair: RFC 7675's consent checks come every
// 5 s (4-6 s drawn), and RFC 8445 section 11 keeps a silent pair alive every Tr (15 s or more).
inline constexpr Duration kViewerKeepaliveDefault = std::chrono::seconds(5);
inline constexpr Duration kViewerKeepaliveMin = std::chrono::seconds(1);
inline constexpr Duration kViewerKeepaliveMax = std::chrono::hours(1);
inline constexpr std::size_t kTurnServersPerScenarioMax = 64;
// The time series' samples one run may take (`sample_interval`), and the default interval: a
// 24-hour run gives 289 rows.
inline constexpr std::uint64_t kSamplesPerRunMax = 100'000;
inline constexpr Duration kSampleIntervalDefault = std::chrono::minutes(5);
// PTZ commands one live session's viewer sends over its data channel (`ptz:`).
inline constexpr std::uint64_t kPtzCommandsPerSessionMax = 10'000;
inline constexpr std::size_t kTimelineEntriesMax = 10'000;
inline constexpr std::size_t kChecksMax = 1'000;
inline constexpr Duration kScenarioDurationMax = std::chrono::hours(24 * 366);
inline constexpr std::size_t kOrganizationsPerScenarioMax = 1'000;
inline constexpr std::size_t kProfilesPerScenarioMax = 100;
inline constexpr std::uint32_t kClaimAttemptsMax = 100;  // `attempts:` of one onboard action
inline constexpr std::size_t kReleasesPerScenarioMax = 100;
inline constexpr std::uint64_t kReleaseBytesMax = 4'000'000'000;  // as firmware images
inline constexpr std::size_t kRolloutStagesMax = 100;
inline constexpr std::size_t kOverlayTextBytesMax = 128;           // as the Task Manager's limit
inline constexpr std::uint64_t kLossBurstMessagesMax = 1'000'000;  // `burst:` and `gap:`
inline constexpr Duration kLatencySpikeMax = std::chrono::seconds(10);  // `latency:` of a spike
inline constexpr Duration kJitterMax = std::chrono::seconds(10);        // `jitter:` of a jitter
inline constexpr Duration kStaggerMax = std::chrono::hours(1);  // `stagger:` of a power loss
inline constexpr Duration kReleaseCheckIntervalMin = std::chrono::minutes(1);
inline constexpr Duration kReleaseCheckIntervalMax = std::chrono::hours(24 * 7);

// The network between one site and the cloud.
struct Uplink {
  double bandwidth_bps = 50e6;  // bits per second
  Duration latency = std::chrono::milliseconds(20);
  double loss_fraction = 0.0;  // share of messages lost on this uplink, in [0, 1)
};

// `count` identical devices at a site. Tier-2 cameras name, with `via`, the recorder or edge
// host of the same site that carries them; they have no connection of their own.
struct DeviceGroup {
  std::string kind = "camera";  // camera, recorder or edge_host
  std::string name;             // recorders and edge hosts that cameras name with `via`
  std::string model = "tier1-bullet";
  std::uint32_t tier = 1;
  std::string os_version = "11.11.0";
  std::string os_track;  // empty: the device does not say, and takes its profile's
  std::uint32_t count = 1;
  std::string via;  // the name of the host group carrying these devices; empty: none
  // What the devices measure of themselves, sent as telemetry while diagnostics are consented.
  struct Telemetry {
    double load = 0.3;             // CPU load, in [0, 1]
    double sd_card_health = 1.0;   // remaining SD card endurance, in [0, 1]
    double crashes_per_day = 0.0;  // application crashes, in [0, 1000]
  } telemetry;
};

struct Site {
  std::string name;
  std::string region = "eu-west";
  Uplink uplink;
  std::vector<DeviceGroup> devices;
  // Index into Scenario::organizations of the organization the site belongs to; -1: none (its
  // devices are registered but nobody owns them).
  int organization = -1;
  // The site's IANA time zone, in which its devices' update windows are read.
  std::string time_zone = "UTC";
  // Between its devices and the Internet; none: they have public addresses and no filter.
  std::optional<NatConfig> nat;
  std::optional<Firewall> firewall;
  int line = 0;  // of the site in its file (of `fleet:` for its generated sites), for messages
};

// A viewer application's network (NAT traversal): a client site with its own NAT and firewall,
// `latency` one way from the signaling service and TURN servers of its region.
struct Viewer {
  std::string name;
  std::string region;  // empty: the device's own region
  std::optional<NatConfig> nat;
  std::optional<Firewall> firewall;
  Duration latency = std::chrono::milliseconds(20);
  // The viewer receives media and sends nothing but its ICE agent's keepalives (RTCP is not
  // modelled): the longest its NAT mapping goes without an outbound packet.
  Duration keepalive = kViewerKeepaliveDefault;
  int line = 0;
};

// A TURN server that live sessions relay through, in the order the ICE servers list gives them
// (the first up carries a relayed session): the platform's own in a region, or one a partner runs
// for one organization's sessions, listed to its viewers and cameras before the platform's.
struct TurnServer {
  std::string name;
  std::string region;        // the platform's: the region it serves; empty for a partner's
  std::string organization;  // a partner's: the organization whose sessions it relays
  std::string host;          // where clients reach it: turn.NAME.ccsim.test unless given
  int line = 0;
};

// How a managed device keeps its OS: the newest release on its track, or one pinned version.
enum class UpdatePolicy : std::uint8_t { kLatest, kPinned };

// A weekly update window; the zone is the site's.
struct ProfileUpdateWindow {
  platform::WeekdaySet days;
  std::chrono::minutes start{0};
  std::chrono::minutes duration{0};
};

// A device profile every organization of the scenario defines.
struct Profile {
  std::string name;
  bool managed = false;  // else connected
  std::string os_track = "lts-2024";
  std::vector<std::string> allowed_apps;
  std::vector<std::string> capabilities;
  UpdatePolicy update_policy = UpdatePolicy::kLatest;
  std::string pinned_version;  // kPinned: the version the devices keep
  // Managed devices install only inside it (when their organization's offering allows windows);
  // none: they install as soon as a release applies.
  std::optional<ProfileUpdateWindow> update_window;
  // How long an install takes (download, flash, reboot), as the platform plans it: an install is
  // offered only in a window it can finish in.
  Duration install_budget = platform::kInstallBudgetDefault;
};

// An OS release the platform publishes on a track at `published_at`.
struct Release {
  std::string version;  // "11.12.0": three dot-separated numbers
  std::string track;    // "active", "lts-2024", ...
  Duration published_at{};
  std::uint64_t size_bytes = 150'000'000;  // the image devices download
  double failure_share = 0.0;  // share of installs that fail (the device rolls back), in [0, 1]
  bool tampered = false;       // the published image's signature does not verify
  int line = 0;
};

struct License {
  std::string service;  // device-management, video-streaming, recording
  std::uint32_t seats = 0;
};

// An organization: its owner ("owner@NAME.example"), one administrator, operator and viewer
// besides (for actions done `as:` them), its licenses and its sites.
struct Organization {
  std::string name;
  std::string region = "eu-west";
  std::vector<License> licenses;  // device-management defaults to one seat per device
  std::string default_profile;    // empty: none; onboarding must then name one
  // The audit trail keeps at most this many entries, none older than audit_age_max; 0: no
  // retention (the trail stops at the log's per-organization cap).
  std::uint64_t audit_entries_max = 0;
  Duration audit_age_max{};
  // Whether the organization's offering includes update windows; without, managed devices
  // install as soon as a release applies, whatever their profile's window.
  bool update_windows = true;
};

// The cloud end: one platform node on one host.
struct Cloud {
  std::string region = "eu-west";
  double bandwidth_bps = 10e9;
  Duration latency = std::chrono::milliseconds(1);
};

// How the simulated driver carries small messages on established connections.
enum class SmallMessages : std::uint8_t {
  kFast,   // in the driver's own event queue, at the time the network model gives them
  kExact,  // each a SimGrid communication, as bulk flows are: slower, for comparison
};
struct NetworkModel {
  SmallMessages small_messages = SmallMessages::kFast;
};

struct Heartbeat {
  Duration interval = std::chrono::minutes(5);
  std::uint32_t missed_max = 3;  // the platform marks a device disconnected after these
  std::uint64_t limit = 0;       // devices say goodbye after this many acks; 0: never
};

enum class FaultKind : std::uint8_t {
  kPartition,     // the matched sites cannot reach the cloud (one way, or both)
  kLossBurst,     // losses come in bursts, after a Gilbert-Elliott two-state model
  kLatencySpike,  // the uplink's latency grows by `latency`
  kThrottle,      // the uplink's bandwidth falls to `bandwidth`
  kJitter,        // each message meets an extra delay drawn in [0, jitter), in order
  // Platform side, a region's device endpoint (`region`):
  kRegionOutage,     // every service of the region is down: nothing reaches it
  kEndpointRestart,  // the endpoint crashes: its connections reset, it refuses new ones a while
  kPlatformUpgrade,  // the region drains its devices to others, is upgraded, and comes back
  // At the devices of the matched sites:
  kPowerLoss,  // every device is off for `for`, then boots, staggered over `stagger`
  // At the selected devices (`devices`):
  kDeviceCrash,  // each selected device (a camera, an edge host, a recorder) is down for `for`
  kClockSkew,    // each selected device's clock runs `ahead` for `for`
  // At the platform's services:
  kTaskManagerRestart,  // the Task Manager is down for `for`, then rebuilds from the store
  kTurnServerDown,      // one TURN server (`server`) answers nothing for `for`
};
// Whether a fault kind hits a platform region rather than sites.
inline bool hits_region(FaultKind kind) {
  return kind == FaultKind::kRegionOutage || kind == FaultKind::kEndpointRestart ||
         kind == FaultKind::kPlatformUpgrade;
}

// Whether the engine makes a fault of `kind` itself, at the agents or at the platform's services,
// so that any driver carries what follows, rather than asking the driver to change a site's
// network (begin_fault) or a region's endpoint (begin_region_fault).
inline bool made_by_engine(FaultKind kind) {
  return kind == FaultKind::kPowerLoss || kind == FaultKind::kDeviceCrash ||
         kind == FaultKind::kClockSkew || kind == FaultKind::kTaskManagerRestart ||
         kind == FaultKind::kTurnServerDown;
}

// Which way a partition cuts.
enum class Direction : std::uint8_t {
  kBoth,
  kUp,    // from the site to the cloud
  kDown,  // from the cloud to the site
};

// A Gilbert-Elliott channel (Gilbert 1960, Elliott 1963): a good state whose loss is the uplink's
// own, and a bad one that loses `loss`; each message leaves the good state with probability
// 1 / gap and the bad state with probability 1 / burst, so bursts last `burst` messages on
// average, `gap` messages apart.
struct LossBurst {
  double loss = 0.5;  // in the bad state, in (0, 1]
  double burst = 5;   // mean burst length in messages, at least 1
  double gap = 100;   // mean messages between bursts, at least 1
};

// Which devices an action or a check is about: those of one site, or of one organization's
// sites, narrowed by model; `count` takes the first ones (0: all). Empty: every device.
struct DeviceSelection {
  std::string site;
  std::string organization;
  std::string model;
  std::uint64_t count = 0;
};

// One entry of the timeline. A fault matches the site named, or every site of the region
// named, or every site when neither is given.
struct Fault {
  Duration at{};
  Duration length{};  // the file's "for:"
  FaultKind kind = FaultKind::kPartition;
  std::string site;
  std::string region;
  Direction direction = Direction::kBoth;      // kPartition
  LossBurst burst{};                           // kLossBurst
  Duration latency{};                          // kLatencySpike: added to the uplink's
  double bandwidth_bps = 0;                    // kThrottle: the uplink's while it lasts
  Duration jitter{};                           // kJitter: the most extra delay a message meets
  Duration stagger = std::chrono::minutes(2);  // kPowerLoss: the boots spread over this long
  DeviceSelection devices{};                   // kDeviceCrash, kClockSkew: the devices it hits
  Duration ahead{};                            // kClockSkew: how far their clocks run ahead
  std::string server{};                        // kTurnServerDown: the TURN server's name
  int line = 0;                                // of the entry in its file, for messages
};

enum class ActionKind : std::uint8_t {
  kOnboard,                // claim the selected devices (one-click, or local through a host)
  kInstallApp,             // at the devices: an app is installed
  kUseLocalAdministrator,  // at the devices: someone logs in as local administrator
  kInstallOs,              // at the devices: another OS version (and track) is installed
  kSetLatestLts,           // the platform learns of a newer LTS track
  kRequestLiveVideo,       // a user asks for WebRTC live video from each selected device
  kDeleteOrganization,
  kSetOverlayText,    // a task series: set `text` as the overlay of the selected devices
  kDeploy,            // a task series: upgrade (or downgrade) the selected devices to `version`
  kRollout,           // a staged rollout of `version` to the selected devices (`rollout`)
  kRestartHost,       // at the devices: the selected hosts restart; tasks survive in a journal
  kAddDeviceLocally,  // at the devices: each selected Tier-2 device is added on its edge host,
                      // which creates an adopt_device task itself and reports it
  kSetDiagnostics,    // a user grants (or, with `granted: false`, revokes) diagnostics consent
};

// The safety rules of a rollout action (platform/rollout.h).
struct RolloutStage {
  std::uint64_t devices = 0;  // 0 in the last stage: every device left
  double success_threshold = 1.0;
};
struct RolloutSpec {
  std::vector<RolloutStage> stages;     // default: one stage of every device
  std::uint32_t starts_per_minute = 0;  // 0: no limit
  double abort_failure_share = 1.0;
  std::uint64_t abort_after = 1;
};

enum class ClaimMethod : std::uint8_t { kOneClick, kLocal };
enum class ActingRole : std::uint8_t { kOwner, kAdministrator, kOperator, kViewer };

// A timeline entry other than a fault.
struct Action {
  Duration at{};
  ActionKind kind = ActionKind::kOnboard;
  DeviceSelection devices;
  std::string organization;  // onboard: the claiming one (default: each device's own)
  ActingRole as = ActingRole::kOwner;
  // onboard, request_live_video: the acting user's role is scoped to this site's resource group
  // (empty: organization-wide).
  std::string scope;
  ClaimMethod method = ClaimMethod::kOneClick;
  std::string profile;     // onboard: empty for the organization's default
  bool wrong_oak = false;  // onboard: claim with a key that is not the device's
  std::uint32_t attempts = 1;
  // onboard: the claims are spread evenly over this long from `at`, as a bulk tool paces them;
  // zero: all at once.
  Duration over{};
  std::string app;      // install_app
  std::string track;    // install_os, set_latest_lts
  std::string version;  // install_os, deploy, rollout
  std::string text;     // set_overlay_text
  std::string name;     // set_overlay_text, deploy, rollout: the series' or rollout's name
  RolloutSpec rollout;  // rollout
  bool granted = true;  // set_diagnostics
  // request_live_video: which viewer asks (empty: one with a public address) and how long the
  // session lasts once set up.
  std::string viewer;
  Duration session_length = std::chrono::minutes(1);
  double bitrate_bps = 2e6;        // the stream's bitrate (its stream profile's)
  std::uint32_t ptz_commands = 0;  // sent over the session's data channel, spread over it
  int line = 0;
};

enum class CheckKind : std::uint8_t {
  kAllDevicesConnected,   // every device was connected at least once by `within`
  kConnectedFraction,     // at time `at`, the share of (matched) devices connected
  kDisconnectedFraction,  // at time `at`, the share of (matched) devices disconnected
  kMetric,                // at the end, a named metric lies in [at_least, at_most]
  kAllDevicesOnboarded,   // every selected device onboarded, the last by `within`
  kDevicesWithStatus,     // at the end, how many selected devices have onboarding `status`
  kDevicesInMode,         // at the end, how many selected devices are in `mode`
  kAuditEntries,          // at the end, how many entries of `topic` an audit trail holds
  kAuditTrailsIntact,     // at the end, every audit trail verifies
  kDevicesOnVersion,      // at `at` (default: the end), how many selected devices run `version`
  kUpdatesOutsideWindow,  // how many policy updates started outside their device's window
  kRolloutState,          // rollout `rollout` ended in `state`; its finished devices in bounds
  kTasks,                 // how many tasks of the selected devices match action/status/origin
  kTasksExactlyOnce,      // every task ran at most once on its host, and each succeeded one ran
  kInsights,              // how many selected devices have the insight `insight` at the end
  kReconnectRate,         // the most connections a region's endpoint took in one second
};

struct Check {
  std::string id;
  bool liveness = false;  // added by a swarm run: the fleet converges once the faults heal
  CheckKind kind = CheckKind::kAllDevicesConnected;
  Duration at{};      // kConnectedFraction, kDisconnectedFraction
  Duration within{};  // kAllDevicesConnected
  double at_least = -std::numeric_limits<double>::infinity();
  double at_most = std::numeric_limits<double>::infinity();
  std::string site;         // restricts fraction checks to one site; empty: all
  std::string metric;       // kMetric
  DeviceSelection devices;  // onboarding and mode checks
  // kDevicesWithStatus: registered, onboarding, onboarded, failed; kTasks: a task status
  std::string status;
  std::string reason;   // kDevicesWithStatus: a text the failure reason must contain
  std::string mode;     // kDevicesInMode: standalone, connected, managed
  std::string trail;    // kAuditEntries: an organization's name, or "platform"
  std::string topic;    // kAuditEntries
  std::string detail;   // kAuditEntries: a text the entry's detail must contain
  std::string version;  // kDevicesOnVersion
  std::string rollout;  // kRolloutState: the rollout action's name
  std::string state;    // kRolloutState: running, finished or aborted
  std::string action;   // kTasks: a task action (set_overlay_text, ...); empty: any
  std::string origin;   // kTasks: user or host; empty: any
  std::string insight;  // kInsights: overload, sd_card_replace, crash_loop
  std::string region;   // kReconnectRate: a platform region
  bool objective = false;  // a kMetric check the file gave under `slo:`
  int line = 0;            // line of the check in its file, for messages
};

// How devices spread their first connection over start_within.
enum class StartOrder : std::uint8_t {
  kRandom,     // each at a time drawn from the run's seed (the default)
  kStaggered,  // evenly spaced in device order, as a rolling power-on does
};

// A swarm run's budget (`swarm:`; used with --swarm only): which fault kinds may happen, how many
// at most, when they may begin, how long each may last, and how soon after the last heals the
// fleet must have converged.
struct SwarmSpec {
  std::vector<FaultKind> faults;
  std::uint32_t count = 5;
  Duration after{};   // faults begin in [after, within)
  Duration within{};  // zero: half the scenario's duration
  Duration for_max = std::chrono::minutes(10);
  Duration converge_within = std::chrono::minutes(30);
  int line = 0;
};
inline constexpr std::uint32_t kSwarmFaultsMax = 100;

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // path it was loaded from
  Duration duration{};
  Cloud cloud;
  // The platform's regions, each with its own device endpoint; empty: one platform, the
  // cloud's, and sites' regions are labels for faults only.
  std::vector<Region> regions;
  RegionLatencies region_latencies;
  NetworkModel network;
  Heartbeat heartbeat;
  Duration start_within = std::chrono::seconds(60);  // devices connect at a time drawn in it
  StartOrder start_order = StartOrder::kRandom;
  std::vector<Organization> organizations;
  std::vector<Profile> profiles;
  std::vector<Release> releases;
  // The UTC instant at which the run starts (a Monday, by default); update windows are read
  // against it.
  platform::RunEpoch epoch{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5}};
  // Device hosts and edge hosts ask for applicable releases this often, each at a phase drawn
  // from the seed.
  Duration release_check_interval = std::chrono::hours(2);
  // Diagnostics-consented devices send telemetry this often.
  Duration telemetry_interval = std::chrono::hours(1);
  // How devices space their reconnections after losing their connection.
  devices::ReconnectBackoff reconnect;
  // The run's time series takes a row this often, from time zero to the end.
  Duration sample_interval = kSampleIntervalDefault;
  std::string latest_lts_track = "lts-2024";
  // How long a claimed device has to accept its provisioning.
  Duration onboarding_timeout = std::chrono::minutes(10);
  std::vector<Site> sites;
  std::vector<Viewer> viewers;  // client sites viewers ask for live video from
  // Every region's TURN servers (one `turn-REGION` for each region the file gives none) and the
  // partners', in the file's order.
  std::vector<TurnServer> turn_servers;
  std::vector<Fault> timeline;
  std::vector<Action> actions;  // the timeline's other entries, in file order
  std::vector<Check> checks;  // the scenario's checks, then its service level objectives
  CapacityInputs capacity;
  std::optional<SwarmSpec> swarm;

  // The index of region `name` in `regions`; nullopt when it is not one.
  std::optional<std::uint32_t> region_index(std::string_view region) const {
    for (std::uint32_t i = 0; i < regions.size(); ++i) {
      if (regions[i].name == region) return i;
    }
    return std::nullopt;
  }

  std::uint64_t device_count() const {
    std::uint64_t total = 0;
    for (const Site& site : sites) {
      for (const DeviceGroup& group : site.devices) total += group.count;
    }
    return total;
  }
};

}  // namespace ccsim::scenarios

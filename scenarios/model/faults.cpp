// The timeline's fault kinds: what each `do: fault, kind:` does and every key it takes.
#include <array>
#include <cassert>

#include "scenarios/model/vocabulary.h"

namespace ccsim::scenarios {
namespace {

using Key = KeySpec<Fault>;

constexpr std::array<std::string_view, 3> kDirectionWords = {"both", "up", "down"};

// Keys every fault kind takes: how long it lasts and where it hits.
const Key kForKey = {"for",
                     KeyType::kLength,
                     Absent::kRequired,
                     "required",
                     "how long it lasts, such as 20m; above 0, at most `366d`; it may run past the "
                     "end",
                     0,
                     0,
                     {},
                     &assign_member<&Fault::length, Fault>};
const Key kSiteKey = {"site",
                      KeyType::kSite,
                      Absent::kDefault,
                      "none",
                      "the one site it hits",
                      0,
                      0,
                      {},
                      &assign_member<&Fault::site, Fault>};
const Key kRegionKey = {
    "region",
    KeyType::kRegion,
    Absent::kDefault,
    "none",
    "every site of this region; not with `site`. With neither, the fault hits every site.",
    0,
    0,
    {},
    &assign_member<&Fault::region, Fault>};

const std::array<Key, 4> kPartitionKeys = {{
    kForKey,
    kSiteKey,
    kRegionKey,
    {"direction", KeyType::kWord, Absent::kDefault, "`both`",
     "which way it cuts: `up` loses what the site sends, `down` what the cloud sends; either way "
     "no connection opens",
     0, 0, kDirectionWords, &assign_member<&Fault::direction, Fault>},
}};

const std::array<Key, 6> kLossBurstKeys = {{
    kForKey,
    kSiteKey,
    kRegionKey,
    {"loss",
     KeyType::kFraction,
     Absent::kDefault,
     "`50%`",
     "the share of messages lost in the bad state; above 0",
     0,
     0,
     {},
     [](Fault& fault, const KeyValue& value) { fault.burst.loss = std::get<double>(value); }},
    {"burst",
     KeyType::kWhole,
     Absent::kDefault,
     "`5`",
     "mean length of a burst, in messages (the bad state's)",
     1,
     kLossBurstMessagesMax,
     {},
     [](Fault& fault, const KeyValue& value) {
       fault.burst.burst = static_cast<double>(std::get<std::uint64_t>(value));
     }},
    {"gap",
     KeyType::kWhole,
     Absent::kDefault,
     "`100`",
     "mean messages between bursts (the good state's, where the uplink's own loss holds)",
     1,
     kLossBurstMessagesMax,
     {},
     [](Fault& fault, const KeyValue& value) {
       fault.burst.gap = static_cast<double>(std::get<std::uint64_t>(value));
     }},
}};

const std::array<Key, 4> kLatencySpikeKeys = {{
    kForKey,
    kSiteKey,
    kRegionKey,
    {"latency",
     KeyType::kLength,
     Absent::kRequired,
     "required",
     "added to the uplink's one-way latency while it lasts, such as 400ms; at most `10s`",
     0,
     0,
     {},
     &assign_member<&Fault::latency, Fault>},
}};

const std::array<Key, 4> kThrottleKeys = {{
    kForKey,
    kSiteKey,
    kRegionKey,
    {"bandwidth",
     KeyType::kBandwidth,
     Absent::kRequired,
     "required",
     "the uplink's bandwidth while it lasts, such as 2Mbps (the narrowest throttle in force holds)",
     0,
     0,
     {},
     &assign_member<&Fault::bandwidth_bps, Fault>},
}};

const std::array<Key, 4> kJitterKeys = {{
    kForKey,
    kSiteKey,
    kRegionKey,
    {"jitter",
     KeyType::kLength,
     Absent::kRequired,
     "required",
     "the most extra delay a message meets, such as 50ms; above 0, at most `10s`",
     0,
     0,
     {},
     &assign_member<&Fault::jitter, Fault>},
}};

const Key kPlatformRegionKey = {
    "region",
    KeyType::kRegion,
    Absent::kRequired,
    "required",
    "the platform region whose device endpoint it hits (one of `regions:`, or the sites' region "
    "when the scenario has one platform)",
    0,
    0,
    {},
    &assign_member<&Fault::region, Fault>};

const std::array<Key, 2> kRegionOutageKeys = {{kForKey, kPlatformRegionKey}};

const std::array<Key, 4> kPowerLossKeys = {{
    kForKey,
    kSiteKey,
    kRegionKey,
    {"stagger",
     KeyType::kLength,
     Absent::kDefault,
     "`2m`",
     "the devices come back at times drawn uniformly over this long after the power does, as a "
     "site's boots spread; at most `1h`",
     0,
     0,
     {},
     &assign_member<&Fault::stagger, Fault>},
}};

const std::array<Key, 2> kDeviceCrashKeys = {{
    kForKey,
    {"devices",
     KeyType::kSelection,
     Absent::kRequired,
     "required",
     "the devices that go down (see device selections): cameras, edge hosts, recorders. A Tier-2 "
     "camera is no device of its own on the network: it goes down with its host, so the "
     "selection must hold at least one device that is not one",
     0,
     0,
     {},
     &assign_member<&Fault::devices, Fault>},
}};

const std::array<Key, 3> kClockSkewKeys = {{
    kForKey,
    {"devices",
     KeyType::kSelection,
     Absent::kRequired,
     "required",
     "the devices whose clocks run ahead (see device selections); a Tier-2 camera keeps its "
     "host's time",
     0,
     0,
     {},
     &assign_member<&Fault::devices, Fault>},
    {"ahead",
     KeyType::kLength,
     Absent::kRequired,
     "required",
     "how far ahead of true time their clocks run, such as 3h; above 0",
     0,
     0,
     {},
     &assign_member<&Fault::ahead, Fault>},
}};

const std::array<Key, 1> kForOnlyKeys = {{kForKey}};

const std::array<Key, 2> kTurnServerDownKeys = {{
    kForKey,
    {"server",
     KeyType::kTurnServer,
     Absent::kRequired,
     "required",
     "the TURN server that goes down: a name under `turn_servers:`, or `turn-REGION`, a region's "
     "default one",
     0,
     0,
     {},
     &assign_member<&Fault::server, Fault>},
}};

const std::array<FaultSpec, 13> kFaults = {{
    {"partition", FaultKind::kPartition,
     "the matched sites cannot reach the cloud, both ways or one: frames that way are lost and "
     "connections cannot open until it heals",
     kPartitionKeys},
    {"loss_burst", FaultKind::kLossBurst,
     "losses on the matched sites' uplinks come in bursts, after a Gilbert-Elliott two-state "
     "channel: each message moves the channel first (leaving the good state with probability "
     "1/`gap`, the bad one with 1/`burst`), then meets its state's loss",
     kLossBurstKeys},
    {"latency_spike", FaultKind::kLatencySpike,
     "the matched sites' uplinks are slower by `latency`, each way; spikes that overlap add up "
     "(simulated driver only: loopback has no latency to change)",
     kLatencySpikeKeys},
    {"throttle", FaultKind::kThrottle,
     "the matched sites' uplinks carry at most `bandwidth` (simulated driver only)", kThrottleKeys},
    {"jitter", FaultKind::kJitter,
     "each message on the matched sites' uplinks meets an extra delay drawn uniformly in [0, "
     "`jitter`), both ways; TCP still delivers in order, so a message never overtakes the one "
     "before it on its connection; overlapping jitters: the largest holds (simulated driver only)",
     kJitterKeys},
    {"region_outage", FaultKind::kRegionOutage,
     "every service of the region is down: nothing reaches its device endpoint and nothing comes "
     "from it, so its devices' connections die by TCP's rules and they fail over to the next "
     "region in their list; when it ends the region is back and its devices are sent home, a few "
     "each second (simulated driver only)",
     kRegionOutageKeys},
    {"endpoint_restart", FaultKind::kEndpointRestart,
     "the region's device endpoint crashes: every connection through it is reset at once (both "
     "ends hear of it), and it refuses new connections until it is back after `for`; the "
     "platform's state is in its global store and survives (simulated driver only)",
     kRegionOutageKeys},
    {"platform_upgrade", FaultKind::kPlatformUpgrade,
     "the region's platform is upgraded with no downtime seen by devices: it sends the devices "
     "connected through it to the next region of their list, a few each second (its "
     "`return_rate`), refuses new ones while it is away for `for`, and takes its devices back "
     "once it is up again; roll regions one after the other (simulated driver only)",
     kRegionOutageKeys},
    {"power_loss", FaultKind::kPowerLoss,
     "every device of the matched sites loses its power: it stops at once, its connection goes "
     "silent (the platform finds it by its missed heartbeats), and when the power is back each "
     "boots (60 s) at a time drawn over `stagger` and connects again; hosts' task journals "
     "survive, and a host's Tier-2 cameras go down and come back with it",
     kPowerLossKeys},
    {"device_crash", FaultKind::kDeviceCrash,
     "each selected device crashes (or reboots, or loses its own power): it stops at once, saying "
     "nothing, and boots (60 s) `for` later; the platform finds it silent at its sweep. A host's "
     "task journal survives, and its Tier-2 cameras go down and come back with it",
     kDeviceCrashKeys},
    {"clock_skew", FaultKind::kClockSkew,
     "each selected device's clock runs `ahead` of true time until the fault ends: what it "
     "stamps says so. The platform decides windows and timeouts by its own clock and sends "
     "devices durations, never instants, so no window or deadline moves",
     kClockSkewKeys},
    {"task_manager_restart", FaultKind::kTaskManagerRestart,
     "the Task Manager crashes and is down for `for`: new task series and rollouts are refused "
     "(`work_refused`), and what hosts send about tasks meanwhile is lost (`task_updates_lost`; "
     "the hosts are not told it arrived). It comes back with every task and series from the "
     "global store, and sends every task it had sent and not seen finish again; hosts' engines "
     "run a task id once and answer a copy of a finished one with its result",
     kForOnlyKeys},
    {"turn_server_down", FaultKind::kTurnServerDown,
     "the TURN server answers nothing for `for`: sessions it relays lose their media, and each "
     "viewer, once consent has lapsed (30 s, RFC 7675), restarts ICE and relays through the next "
     "server of its list that is up (or loses the session when none is); new sessions relay "
     "through the next one from the start",
     kTurnServerDownKeys},
}};
static_assert(kFaults.size() == static_cast<std::size_t>(FaultKind::kTurnServerDown) + 1,
              "one row per fault kind");

}  // namespace

std::span<const FaultSpec> fault_specs() {
  return kFaults;
}

const FaultSpec& fault_spec(FaultKind kind) {
  for (const FaultSpec& spec : kFaults) {
    if (spec.kind == kind) return spec;
  }
  assert(false && "every fault kind is declared");
  return kFaults[0];
}

}  // namespace ccsim::scenarios

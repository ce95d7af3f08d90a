#include "sim/simulation.h"

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>

#include "core/digest.h"
#include "devices/device_agent.h"
#include "sim/network_conditions.h"
#include "sim/tenants.h"

namespace sg4 = simgrid::s4u;

namespace ccsim::sim {
namespace {

using core::Time;

// Bytes a frame costs on the wire beyond its payload: TCP/IP headers, a TLS record and a
// websocket frame header.
constexpr std::uint64_t kWireOverheadBytes = 80;
// How long a device waits for a connection that cannot open (its site is cut off).
constexpr Time kConnectTimeout = std::chrono::seconds(10);
// Actor stacks: nodes keep their state on the heap, so small stacks suffice (see design notes).
constexpr int kActorStackKiB = 128;
// Above this many actors SimGrid's guard pages cost more than they help.
constexpr std::size_t kGuardPagesActorsMax = 32'000;
// Datagrams kept for reuse at most; more are freed.
constexpr std::size_t kSpareDatagramsMax = 1 << 16;
// Events handled between two looks at the wall clock for the progress line.
constexpr std::uint64_t kProgressCheckEvents = 8192;

// A frame in flight between an agent (a device with its own connection) and the cloud.
struct Datagram {
  std::uint32_t device;  // the agent's number
  std::string frame;
};

void free_datagram(void* data) {
  delete static_cast<Datagram*>(data);
}

Time sim_now() {
  return Time(static_cast<std::int64_t>(std::llround(sg4::Engine::get_clock() * 1e6)));
}

double seconds(Time t) {
  return static_cast<double>(t.count()) / 1e6;
}

// Whether an action happens at the devices (on their site's actor) or through the platform's API
// (on the cloud's).
bool acts_on_devices(scenarios::ActionKind kind) {
  return kind == scenarios::ActionKind::kInstallApp ||
         kind == scenarios::ActionKind::kUseLocalAdministrator ||
         kind == scenarios::ActionKind::kInstallOs || kind == scenarios::ActionKind::kRestartHost ||
         kind == scenarios::ActionKind::kAddDeviceLocally;
}

class Cloud;
class Site;

std::unique_ptr<platform::ControlPlane> make_control_plane(const scenarios::Scenario& scenario,
                                                           std::uint64_t seed) {
  if (scenario.organizations.empty()) return nullptr;
  return std::make_unique<platform::ControlPlane>(seed, platform::ControlPlaneLimits{},
                                                  scenario.epoch);
}

// The vendor's images of every release for every model of the fleet, signed with a key drawn
// from the run's seed; a release marked tampered gets a signature that does not verify.
std::unique_ptr<devices::FirmwareDownloads> publish_images(const scenarios::Scenario& scenario,
                                                           std::uint64_t seed) {
  if (scenario.releases.empty()) return nullptr;
  const devices::FirmwareSigner signer(core::RandomStream(seed, core::kFirmwareSigningStream));
  auto downloads = std::make_unique<devices::FirmwareDownloads>(signer.public_key());
  std::set<std::string> models;
  for (const scenarios::Site& site : scenario.sites) {
    for (const scenarios::DeviceGroup& group : site.devices) models.insert(group.model);
  }
  for (const scenarios::Release& release : scenario.releases) {
    const std::optional<core::OsVersion> version = core::parse_os_version(release.version);
    assert(version && "the loader checks release versions");
    for (const std::string& model : models) {
      devices::FirmwareImage image =
          signer.sign(model, *version, release.size_bytes,
                      core::sha256("image of " + model + " " + release.version));
      if (release.tampered) image.signature[0] = static_cast<char>(image.signature[0] ^ 1);
      downloads->images.emplace(std::pair(model, release.version),
                                devices::PublishedImage{std::move(image), release.failure_share});
    }
  }
  return downloads;
}

// Everything the actors share. Owned by simulate(); actors hold a reference.
struct World {
  const scenarios::Scenario& scenario;
  const SimulationOptions& options;
  FleetLayout layout;
  core::Trace trace;
  NetworkConditions network;
  devices::DeviceAgentConfig agent_config;
  std::unique_ptr<devices::FirmwareDownloads> downloads;  // with releases only
  std::unique_ptr<platform::ControlPlane> control_plane;  // with organizations only
  Tenants tenants;
  std::vector<std::vector<std::uint32_t>> selected;  // by action: the devices it acts on
  ActionCounters actions;
  platform::PlatformNode platform;
  std::vector<devices::DeviceAgent> agents;
  sg4::Mailbox* cloud_mailbox = nullptr;
  std::vector<sg4::Mailbox*> site_mailboxes;
  NetworkCounters counters;
  Time end;
  std::uint64_t events_handled = 0;
  std::vector<std::unique_ptr<Datagram>> spare_datagrams;
  std::unique_ptr<Cloud> cloud;
  std::vector<std::unique_ptr<Site>> sites;

  World(const scenarios::Scenario& s, const SimulationOptions& o)
      : scenario(s),
        options(o),
        layout(s),
        network(s, o.seed),
        downloads(publish_images(s, o.seed)),
        control_plane(make_control_plane(s, o.seed)),
        platform({s.heartbeat.interval, s.heartbeat.missed_max},
                 std::max<std::size_t>(1, layout.device_count()), &trace, control_plane.get(),
                 platform::OnboardingPolicy{s.onboarding_timeout}),
        end(s.duration) {
    agent_config.heartbeat_interval = s.heartbeat.interval;
    agent_config.unacked_heartbeats_max = s.heartbeat.missed_max;
    agent_config.start_spread = s.start_within;
    agent_config.heartbeat_limit = s.heartbeat.limit;
    // Hosts check for releases only when the platform publishes some.
    if (!s.releases.empty()) agent_config.host.release_check_interval = s.release_check_interval;
    agent_config.host.telemetry_interval = s.telemetry_interval;
    agent_config.host.downloads = downloads.get();
  }

  // Tells the cloud that an agent closed its connection (a restart): the platform sees the
  // websocket close one uplink latency later, unless the site is cut off. Not counted as a
  // message: no frame crosses.
  void transmit_close(Time now, std::uint32_t agent) {
    const std::uint32_t site = layout.site_of_agent(agent);
    if (network.partitioned(site, now)) return;
    std::string none;
    cloud_mailbox->put_init(take_datagram(agent, none), kWireOverheadBytes)->detach(free_datagram);
  }

  // Hands a frame to the network between `device`'s site and the cloud, or drops it.
  void transmit(Time now, std::uint32_t device, std::string& frame, bool upstream) {
    const std::uint32_t site = layout.site_of_agent(device);
    ++counters.messages_sent;
    counters.bytes_sent += frame.size();
    const Verdict verdict = network.judge(site, now);
    if (verdict != Verdict::kDeliver) {
      if (verdict == Verdict::kLost) {
        ++counters.messages_dropped_loss;
      } else {
        ++counters.messages_dropped_partition;
      }
      trace.record(now, core::TraceEvent::kDrop, device, static_cast<std::uint64_t>(verdict),
                   upstream);
      return;
    }
    const std::uint64_t size = frame.size() + kWireOverheadBytes;
    sg4::Mailbox* to = upstream ? cloud_mailbox : site_mailboxes[site];
    to->put_init(take_datagram(device, frame), size)->detach(free_datagram);
  }

  // Datagrams are recycled: a simulated message then costs no allocation of its own.
  Datagram* take_datagram(std::uint32_t device, std::string& frame) {
    std::unique_ptr<Datagram> datagram;
    if (spare_datagrams.empty()) {
      datagram = std::make_unique<Datagram>();
    } else {
      datagram = std::move(spare_datagrams.back());
      spare_datagrams.pop_back();
    }
    datagram->device = device;
    datagram->frame.swap(frame);
    return datagram.release();
  }

  void recycle(std::unique_ptr<Datagram> datagram) {
    if (spare_datagrams.size() < kSpareDatagramsMax) spare_datagrams.push_back(std::move(datagram));
  }

  void delivered(Time now, const Datagram& datagram, bool upstream) {
    ++counters.messages_delivered;
    ++events_handled;
    trace.record(now, core::TraceEvent::kDeliver, datagram.device, upstream, datagram.frame.size());
  }
};

// A timer in an actor's queue; ordered by time, then by the tie-breakers, so that equal times
// always run in the same order.
struct Timer {
  std::int64_t at_us;
  std::uint32_t target;  // a device's index within its site, or a probe's index
  std::uint8_t kind;
  bool operator>(const Timer& o) const {
    if (at_us != o.at_us) return at_us > o.at_us;
    if (kind != o.kind) return kind > o.kind;
    return target > o.target;
  }
};
using TimerQueue = std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>>;

// How a group of nodes (the cloud's platform node, or a site's agents) is driven: one actor
// keeps a receive pending on the group's eager mailbox and waits for "a frame or the next
// timer" with Comm::wait_any_for, the shape of the plain-SimGrid yardstick that kept every
// message and cost least per message. Its timeout is a kernel timer, cheaper than a sleep.
class NodeGroup {
 public:
  using OnTimer = std::function<void(Time, const Timer&)>;
  using OnDatagram = std::function<void(Time, const Datagram&)>;

  NodeGroup(World& world, sg4::Host* host, sg4::Mailbox* mailbox)
      : world_(world), host_(host), mailbox_(mailbox), end_(world.end) {}

  // Starts the group's actor. Timers may be added before.
  void start(OnTimer on_timer, OnDatagram on_datagram) {
    on_timer_ = std::move(on_timer);
    on_datagram_ = std::move(on_datagram);
    sg4::Actor::create("group", host_, [this] { run(); });
  }

  // Timers at or after the end of the run never fire.
  void add_timer(Time at, std::uint32_t target, std::uint8_t kind) {
    if (at < end_) timers_.push({at.count(), target, kind});
  }

 private:
  // SimGrid's clock is a double; a timer is due when the clock is within this of it.
  static constexpr Time kClockSlack = Time(1);

  void run() {
    mailbox_->set_receiver(sg4::Actor::self());
    Datagram* received = nullptr;
    std::vector<sg4::CommPtr> pending{mailbox_->get_async<Datagram>(&received)};
    while (true) {
      fire_due_timers();
      if (sim_now() >= end_) break;
      const Time next = timers_.empty() ? end_ : Time(timers_.top().at_us);
      const double timeout = std::max(0.0, seconds(next) - sg4::Engine::get_clock());
      if (sg4::Comm::wait_any_for(pending, timeout) == 0) {
        std::unique_ptr<Datagram> datagram(received);
        pending[0] = mailbox_->get_async<Datagram>(&received);
        on_datagram_(sim_now(), *datagram);
        world_.recycle(std::move(datagram));
      }
    }
    pending[0]->cancel();
    mailbox_->set_receiver(nullptr);
  }

  void fire_due_timers() {
    Time now = sim_now();
    while (!timers_.empty() && Time(timers_.top().at_us) <= now + kClockSlack) {
      const Timer timer = timers_.top();
      timers_.pop();
      now = std::max(now, Time(timer.at_us));
      on_timer_(now, timer);
    }
  }

  World& world_;
  sg4::Host* host_;
  sg4::Mailbox* mailbox_;
  Time end_;
  OnTimer on_timer_;
  OnDatagram on_datagram_;
  TimerQueue timers_;
};

// The cloud: the platform node, its timers and the scenario's probes.
class Cloud {
 public:
  Cloud(World& world, sg4::Host* host) : world_(world), group_(world, host, world.cloud_mailbox) {}

  void start() {
    World& w = world_;
    w.platform.start(Time(0), out_);
    dispatch(Time(0), out_);
    for (std::uint32_t i = 0; i < w.options.probes.size(); ++i) {
      group_.add_timer(w.options.probes[i].at, i, kProbe);
    }
    for (std::uint32_t i = 0; i < w.scenario.actions.size(); ++i) {
      if (!acts_on_devices(w.scenario.actions[i].kind)) {
        group_.add_timer(w.scenario.actions[i].at, i, kAction);
      }
    }
    wall_start_ = std::chrono::steady_clock::now();
    last_progress_ = wall_start_;
    group_.start(
        [this](Time now, const Timer& timer) {
          if (timer.kind == kProbe) {
            run_probe(now, timer.target);
            return;
          }
          if (timer.kind == kAction) {
            run_action(now, timer.target);
            return;
          }
          world_.platform.on_wakeup(now, out_);
          dispatch(now, out_);
        },
        [this](Time now, const Datagram& datagram) {
          World& world = world_;
          if (datagram.frame.empty()) {  // the agent closed its connection
            world.platform.on_connection_closed(now, datagram.device);
            return;
          }
          world.delivered(now, datagram, true);
          world.platform.on_frame(now, datagram.device, datagram.frame, out_);
          dispatch(now, out_);
          if (world.options.progress && world.events_handled % kProgressCheckEvents == 0) {
            progress(now);
          }
        });
  }

  // At the end of the run: probes set for the very end see the final state.
  void finish() {
    World& w = world_;
    for (std::uint32_t i = 0; i < w.options.probes.size(); ++i) {
      if (w.options.probes[i].at >= w.end) run_probe(w.end, i);
    }
    if (w.options.progress) progress(w.end, true);
  }

 private:
  static constexpr std::uint8_t kPlatformWakeup = 0;
  static constexpr std::uint8_t kAction = 1;  // before probes at the same time: they see it
  static constexpr std::uint8_t kProbe = 2;

  // A user's action through the platform's API.
  void run_action(Time now, std::uint32_t index) {
    World& w = world_;
    const scenarios::Action& action = w.scenario.actions[index];
    w.trace.record(now, core::TraceEvent::kAction, index, w.selected[index].size());
    platform::ControlPlane& plane = *w.control_plane;
    switch (action.kind) {
      case scenarios::ActionKind::kOnboard: {
        // Claims spread evenly over `over`: the k-th of n at at + over * k / n. The action's
        // timer comes back for the next claim due.
        const std::vector<std::uint32_t>& devices = w.selected[index];
        if (claims_done_.empty()) claims_done_.assign(w.scenario.actions.size(), 0);
        std::size_t& done = claims_done_[index];
        const auto due = [&](std::size_t k) {
          return action.at + action.over * static_cast<std::int64_t>(k) /
                                 static_cast<std::int64_t>(devices.size());
        };
        while (done < devices.size() && due(done) <= now) onboard(now, action, devices[done++]);
        if (done < devices.size()) group_.add_timer(due(done), index, kAction);
        break;
      }
      case scenarios::ActionKind::kSetLatestLts:
        (void)plane.registry.set_latest_lts_track(now, action.track);
        break;
      case scenarios::ActionKind::kRequestLiveVideo:
        for (std::uint32_t device : w.selected[index]) {
          const int organization = organization_of(device);
          if (organization < 0) continue;
          const auto granted = plane.registry.request_capability(
              acting_user(w.scenario, w.tenants, action, organization),
              w.tenants.organization_ids[organization], device_serial(device),
              platform::kCapabilityWebRtc);
          ++(granted.ok() ? w.actions.live_video_granted : w.actions.live_video_refused);
        }
        break;
      case scenarios::ActionKind::kDeleteOrganization: {
        const int organization = organization_index(w.scenario, action.organization);
        (void)plane.tenancy.delete_organization(now,
                                                user(organization, scenarios::ActingRole::kOwner),
                                                w.tenants.organization_ids[organization]);
        break;
      }
      case scenarios::ActionKind::kSetOverlayText:
      case scenarios::ActionKind::kDeploy:
      case scenarios::ActionKind::kRollout:
        for (const auto& [organization, serials] : devices_by_organization(index)) {
          start_work(now, action, organization, serials);
        }
        break;
      case scenarios::ActionKind::kSetDiagnostics:
        for (std::uint32_t device : w.selected[index]) {
          const int organization = organization_of(device);
          if (organization < 0) continue;
          const auto set = w.platform.set_diagnostics(
              now, acting_user(w.scenario, w.tenants, action, organization),
              w.tenants.organization_ids[organization], device_serial(device), action.granted,
              out_);
          ++(set.ok() ? w.actions.consents_set : w.actions.consents_refused);
          dispatch(now, out_);
        }
        break;
      case scenarios::ActionKind::kInstallApp:
      case scenarios::ActionKind::kUseLocalAdministrator:
      case scenarios::ActionKind::kInstallOs:
      case scenarios::ActionKind::kRestartHost:
      case scenarios::ActionKind::kAddDeviceLocally:
        assert(false && "device actions run on their site's actor");
        break;
    }
  }

  // The selected devices of action `index`, by owning organization, as serials in device order.
  std::map<int, std::vector<std::string>> devices_by_organization(std::uint32_t index) const {
    std::map<int, std::vector<std::string>> grouped;
    for (std::uint32_t device : world_.selected[index]) {
      const int organization = organization_of(device);
      if (organization >= 0) grouped[organization].push_back(device_serial(device));
    }
    return grouped;
  }

  // A task series (overlay, deploy) or a rollout on one organization's selected devices.
  void start_work(Time now, const scenarios::Action& action, int organization,
                  std::vector<std::string> serials) {
    World& w = world_;
    const std::string& actor = acting_user(w.scenario, w.tenants, action, organization);
    const std::string& id = w.tenants.organization_ids[organization];
    bool accepted = false;
    if (action.kind == scenarios::ActionKind::kRollout) {
      platform::RolloutPolicy policy;
      for (const scenarios::RolloutStage& stage : action.rollout.stages) {
        policy.groups.push_back({static_cast<std::size_t>(stage.devices), stage.success_threshold});
      }
      if (policy.groups.empty()) policy.groups.push_back({0, 0.0});  // one group of every device
      policy.starts_per_minute = action.rollout.starts_per_minute;
      policy.abort_failure_share = action.rollout.abort_failure_share;
      policy.abort_after_min = static_cast<std::size_t>(action.rollout.abort_after);
      accepted = w.platform
                     .start_rollout(now, actor, id,
                                    platform::RolloutRequest{action.name, action.version,
                                                             std::move(serials), policy},
                                    out_)
                     .ok();
    } else {
      platform::TaskPayload payload;
      if (action.kind == scenarios::ActionKind::kSetOverlayText) {
        payload = {std::string(platform::kActionSetOverlayText),
                   {{std::string(platform::kParameterText), action.text}}};
      } else {
        payload = {std::string(platform::kActionUpgradeFirmware),
                   {{std::string(platform::kParameterVersion), action.version}}};
      }
      accepted =
          w.platform
              .create_task_series(now, actor, id,
                                  platform::TaskSeriesRequest{action.name, payload,
                                                              std::move(serials), std::nullopt},
                                  out_)
              .ok();
    }
    ++(accepted ? w.actions.work_accepted : w.actions.work_refused);
    dispatch(now, out_);
  }

  void onboard(Time now, const scenarios::Action& action, std::uint32_t device) {
    World& w = world_;
    const std::optional<platform::ClaimRequest> claim =
        claim_request(w.scenario, w.layout, w.tenants, action, device);
    if (!claim) return;  // a device of no organization's site, and none named
    for (std::uint32_t attempt = 0; attempt < action.attempts; ++attempt) {
      ++w.actions.claims_attempted;
      const auto claimed = w.platform.claim(now, *claim, out_);
      if (claimed.ok()) {
        ++w.actions.claims_accepted;
      } else {
        ++w.actions.claims_refused[static_cast<std::size_t>(claimed.error().code)];
      }
      dispatch(now, out_);
    }
  }

  std::vector<std::size_t> claims_done_;  // by action: claims made so far

  int organization_of(std::uint32_t device) const {
    return world_.scenario.sites[world_.layout.site_of_device[device]].organization;
  }

  const std::string& user(int organization, scenarios::ActingRole role) const {
    return acting_user(world_.tenants, organization, role);
  }

  void run_probe(Time now, std::uint32_t index) {
    world_.trace.record(now, core::TraceEvent::kProbe, index, world_.platform.connected_count());
    world_.options.probes[index].observe(
        now, PlatformView{world_.platform, world_.layout, world_.tenants.organization_ids});
  }

  void dispatch(Time now, core::Outbox& out) {
    for (core::Outbox::Send& send : out.sends) {
      assert(send.connection < world_.layout.agent_count());
      world_.transmit(now, static_cast<std::uint32_t>(send.connection), send.frame, false);
    }
    for (Time at : out.wakeups) group_.add_timer(at, 0, kPlatformWakeup);
    // Closes need no action here: simulated connections are implicit.
    out.clear();
  }

  void progress(Time now, bool last = false) {
    const auto wall = std::chrono::steady_clock::now();
    if (!last && wall - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = wall;
    const double elapsed = std::chrono::duration<double>(wall - wall_start_).count();
    std::fprintf(stderr,
                 "[ccsim] sim %.0fs/%.0fs  devices %" PRIu64 "  connected %zu  events %" PRIu64
                 "  %.0f events/s\n",
                 seconds(now), seconds(world_.end), world_.layout.device_count(),
                 world_.platform.connected_count(), world_.trace.events(),
                 elapsed > 0 ? static_cast<double>(world_.trace.events()) / elapsed : 0.0);
  }

  World& world_;
  NodeGroup group_;
  // One outbox serves every call: the group's one actor finishes a call and its dispatch
  // before it handles anything else.
  core::Outbox out_;
  std::chrono::steady_clock::time_point wall_start_, last_progress_;
};

// A site: its device agents behind one uplink.
class Site {
 public:
  Site(World& world, std::uint32_t site, sg4::Host* host)
      : world_(world),
        site_(site),
        first_(world.layout.first_agent_of_site[site]),
        last_(world.layout.first_agent_of_site[site + 1]),
        group_(world, host, world.site_mailboxes[site]) {}

  void start() {
    World& w = world_;
    const auto fleet_size = static_cast<std::int64_t>(w.layout.agent_count());
    for (std::uint32_t i = 0; i < w.scenario.actions.size(); ++i) {
      if (acts_on_devices(w.scenario.actions[i].kind) && touches_site(i)) {
        group_.add_timer(w.scenario.actions[i].at, i, kDeviceAction);
      }
    }
    for (std::uint32_t d = first_; d < last_; ++d) {
      if (w.scenario.start_order == scenarios::StartOrder::kStaggered) {
        w.agents[d].start_at(w.scenario.start_within * d / fleet_size, out_);
      } else {
        w.agents[d].start(Time(0), out_);
      }
      dispatch(Time(0), d, out_);
    }
    group_.start(
        [this](Time now, const Timer& timer) {
          if (timer.kind == kDeviceAction) {
            run_device_action(now, timer.target);
            return;
          }
          const std::uint32_t d = first_ + timer.target;
          if (timer.kind == kConnectFailed) {
            world_.agents[d].on_disconnected(now, out_);
          } else {
            world_.agents[d].on_wakeup(now, out_);
          }
          dispatch(now, d, out_);
        },
        [this](Time now, const Datagram& datagram) {
          assert(datagram.device >= first_ && datagram.device < last_);
          world_.delivered(now, datagram, false);
          world_.agents[datagram.device].on_frame(now, datagram.frame, out_);
          dispatch(now, datagram.device, out_);
        });
  }

 private:
  static constexpr std::uint8_t kAgentWakeup = 0;
  static constexpr std::uint8_t kConnectFailed = 1;
  static constexpr std::uint8_t kDeviceAction = 2;

  bool touches_site(std::uint32_t action) const {
    const FleetLayout& layout = world_.layout;
    return std::any_of(
        world_.selected[action].begin(), world_.selected[action].end(),
        [&](std::uint32_t device) { return layout.site_of_device[device] == site_; });
  }

  // A local action at each selected device of this site, done on the agent that carries it.
  void run_device_action(Time now, std::uint32_t index) {
    World& w = world_;
    const scenarios::Action& action = w.scenario.actions[index];
    w.trace.record(now, core::TraceEvent::kAction, index, site_);
    for (std::uint32_t device : w.selected[index]) {
      if (w.layout.site_of_device[device] != site_) continue;
      const std::uint32_t agent = w.layout.agent_of_device[device];
      devices::DeviceAgent& carrier = w.agents[agent];
      const std::string serial = device_serial(device);
      bool done = false;
      switch (action.kind) {
        case scenarios::ActionKind::kInstallApp:
          done = carrier.install_app(now, serial, action.app, out_);
          break;
        case scenarios::ActionKind::kUseLocalAdministrator:
          done = carrier.use_local_administrator(now, serial, out_);
          break;
        case scenarios::ActionKind::kInstallOs:
          done = carrier.install_os(now, serial, action.version, action.track, out_);
          break;
        case scenarios::ActionKind::kRestartHost:
          // A host restarts once, however many of the devices it carries were selected.
          if (w.layout.hosted(device)) continue;
          carrier.restart(now, out_);
          done = true;
          break;
        case scenarios::ActionKind::kAddDeviceLocally:
          done = w.layout.hosted(device) && carrier.add_device_locally(now, serial, out_);
          if (!done) {
            ++w.actions.device_actions_refused;
            dispatch(now, agent, out_);
            continue;
          }
          break;
        default:
          assert(false && "platform actions run on the cloud's actor");
      }
      assert(done && "the layout puts each device on the agent that carries it");
      (void)done;
      ++w.actions.device_actions;
      dispatch(now, agent, out_);
    }
  }

  void dispatch(Time now, std::uint32_t device, core::Outbox& out) {
    // Opening a connection is immediate unless the site is cut off; the hello that follows
    // then crosses the network like any frame.
    while (true) {
      for (core::Outbox::Send& send : out.sends) {
        world_.transmit(now, device, send.frame, true);
      }
      for (Time at : out.wakeups) group_.add_timer(at, device - first_, kAgentWakeup);
      if (!out.closes.empty()) world_.transmit_close(now, device);
      const bool connect = out.connect;
      out.clear();
      if (!connect) return;
      if (world_.network.partitioned(site_, now)) {
        group_.add_timer(now + kConnectTimeout, device - first_, kConnectFailed);
        return;
      }
      world_.agents[device].on_connected(now, out);
    }
  }

  World& world_;
  std::uint32_t site_;
  std::uint32_t first_, last_;
  NodeGroup group_;
  core::Outbox out_;  // as the cloud's: one actor, one call at a time
};

void build_platform(World& w) {
  const scenarios::Scenario& s = w.scenario;
  auto* zone = sg4::create_star_zone("world");
  auto* cloud = zone->create_host("cloud", "100Gf");
  auto* backbone = zone->create_link("backbone", s.cloud.bandwidth_bps / 8.0)
                       ->set_latency(seconds(s.cloud.latency));
  zone->add_route(cloud->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(backbone)},
                  true);
  std::vector<sg4::Host*> hosts;
  hosts.reserve(s.sites.size());
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    const scenarios::Site& site = s.sites[i];
    auto* host = zone->create_host("site-" + std::to_string(i), "1Gf");
    auto* uplink = zone->create_link("uplink-" + std::to_string(i), site.uplink.bandwidth_bps / 8.0)
                       ->set_latency(seconds(site.uplink.latency));
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(uplink)},
                    true);
    hosts.push_back(host);
  }
  zone->seal();
  w.cloud_mailbox = sg4::Mailbox::by_name("cloud");
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    w.site_mailboxes.push_back(sg4::Mailbox::by_name("site-" + std::to_string(i)));
  }
  // One actor starts every group at time zero, then lives to the end of the run so that the
  // run lasts its full duration even when no timer is pending.
  w.cloud = std::make_unique<Cloud>(w, cloud);
  w.sites.reserve(s.sites.size());
  for (std::uint32_t i = 0; i < s.sites.size(); ++i) {
    w.sites.push_back(std::make_unique<Site>(w, i, hosts[i]));
  }
  sg4::Actor::create("conductor", cloud, [&w] {
    w.cloud->start();
    for (auto& site : w.sites) site->start();
    sg4::this_actor::sleep_until(seconds(w.end));
    w.cloud->finish();
  });
}

void create_agents(World& w) {
  w.agents.reserve(w.layout.agent_count());
  for (std::uint32_t agent = 0; agent < w.layout.agent_count(); ++agent) {
    w.agents.emplace_back(agent_identity(w.scenario, w.layout, agent), w.agent_config,
                          core::RandomStream(w.options.seed, core::kDeviceStreamBase +
                                                                 w.layout.device_of_agent[agent]));
  }
}

// SimGrid takes its settings as command-line arguments. The network model keeps SimGrid's
// default (LV08) but without its correction factors: they multiply the latency of small messages
// by 13 to mimic TCP slow start on a fresh connection, whereas device frames travel on
// long-lived websockets, so a 20 ms uplink should deliver a heartbeat in 20 ms.
std::vector<std::string> engine_arguments(std::size_t actors) {
  std::vector<std::string> args = {"ccsim", "--log=root.thres:critical",
                                   "--cfg=contexts/stack-size:" + std::to_string(kActorStackKiB),
                                   "--cfg=network/latency-factor:1",
                                   "--cfg=network/bandwidth-factor:1"};
  if (actors > kGuardPagesActorsMax) args.emplace_back("--cfg=contexts/guard-size:0");
  return args;
}

}  // namespace

FleetLayout::FleetLayout(const scenarios::Scenario& scenario) {
  const std::uint64_t devices = scenario.device_count();
  site_of_device.reserve(devices);
  agent_of_device.reserve(devices);
  group_of_device.reserve(devices);
  for (std::uint32_t s = 0; s < scenario.sites.size(); ++s) {
    first_device_of_site.push_back(static_cast<std::uint32_t>(site_of_device.size()));
    first_agent_of_site.push_back(static_cast<std::uint32_t>(device_of_agent.size()));
    const std::vector<scenarios::DeviceGroup>& groups = scenario.sites[s].devices;
    std::vector<std::uint32_t> host_agent(groups.size(), UINT32_MAX);  // named hosts' agents
    for (std::uint32_t g = 0; g < groups.size(); ++g) {
      const scenarios::DeviceGroup& group = groups[g];
      std::uint32_t carrier = UINT32_MAX;
      if (!group.via.empty()) {
        for (std::uint32_t h = 0; h < g; ++h) {
          if (groups[h].name == group.via) carrier = host_agent[h];
        }
        assert(carrier != UINT32_MAX && "the loader checks via against hosts named before");
      }
      for (std::uint32_t k = 0; k < group.count; ++k) {
        const auto device = static_cast<std::uint32_t>(site_of_device.size());
        site_of_device.push_back(s);
        group_of_device.push_back(g);
        if (carrier != UINT32_MAX) {
          agent_of_device.push_back(carrier);
          continue;
        }
        agent_of_device.push_back(static_cast<std::uint32_t>(device_of_agent.size()));
        device_of_agent.push_back(device);
      }
      if (!group.name.empty()) host_agent[g] = agent_of_device.back();
    }
  }
  first_device_of_site.push_back(static_cast<std::uint32_t>(site_of_device.size()));
  first_agent_of_site.push_back(static_cast<std::uint32_t>(device_of_agent.size()));
}

namespace {
devices::TelemetryProfile telemetry_profile(const scenarios::DeviceGroup& group) {
  return {group.telemetry.load, group.telemetry.sd_card_health, group.telemetry.crashes_per_day};
}
}  // namespace

devices::DeviceIdentity agent_identity(const scenarios::Scenario& s, const FleetLayout& layout,
                                       std::uint32_t agent) {
  const std::uint32_t device = layout.device_of_agent[agent];
  const std::uint32_t site = layout.site_of_device[device];
  const scenarios::DeviceGroup& group = s.sites[site].devices[layout.group_of_device[device]];
  const auto uplink_bps = static_cast<std::uint64_t>(
      std::clamp(s.sites[site].uplink.bandwidth_bps, 1.0,
                 static_cast<double>(devices::kDownloadBandwidthBpsMax)));
  devices::DeviceIdentity identity{
      device_serial(device), group.model, group.os_version,         group.tier, group.os_track,
      s.sites[site].name,    {},          telemetry_profile(group), uplink_bps};
  // The devices this one carries follow it in its site, in device order.
  for (std::uint32_t d = device + 1; d < layout.first_device_of_site[site + 1]; ++d) {
    if (layout.agent_of_device[d] != agent) continue;
    const scenarios::DeviceGroup& carried = s.sites[site].devices[layout.group_of_device[d]];
    identity.hosted.push_back(devices::HostedIdentity{device_serial(d), carried.model,
                                                      carried.os_version, carried.os_track,
                                                      telemetry_profile(carried)});
  }
  return identity;
}

std::vector<std::uint32_t> select_devices(const scenarios::Scenario& scenario,
                                          const FleetLayout& layout,
                                          const scenarios::DeviceSelection& selection) {
  std::vector<std::uint32_t> chosen;
  for (std::uint32_t device = 0; device < layout.device_count(); ++device) {
    const scenarios::Site& site = scenario.sites[layout.site_of_device[device]];
    if (!selection.site.empty() && site.name != selection.site) continue;
    if (!selection.organization.empty() &&
        (site.organization < 0 ||
         scenario.organizations[static_cast<std::size_t>(site.organization)].name !=
             selection.organization)) {
      continue;
    }
    if (!selection.model.empty() &&
        site.devices[layout.group_of_device[device]].model != selection.model) {
      continue;
    }
    chosen.push_back(device);
    if (selection.count != 0 && chosen.size() == selection.count) break;
  }
  return chosen;
}

std::string device_serial(std::uint64_t index) {
  char serial[32];
  std::snprintf(serial, sizeof serial, "B8A44F%06" PRIX64, index);
  return serial;
}

std::optional<std::uint64_t> device_index(std::string_view serial) {
  constexpr std::string_view kPrefix = "B8A44F";
  constexpr std::size_t kHexDigitsMax = 15;
  if (!serial.starts_with(kPrefix)) return std::nullopt;
  const std::string_view hex = serial.substr(kPrefix.size());
  if (hex.size() < 6 || hex.size() > kHexDigitsMax) return std::nullopt;
  std::uint64_t index = 0;
  for (char c : hex) {
    const bool digit = c >= '0' && c <= '9';
    const bool letter = c >= 'A' && c <= 'F';
    if (!digit && !letter) return std::nullopt;
    index = index * 16 + static_cast<std::uint64_t>(digit ? c - '0' : c - 'A' + 10);
  }
  if (device_serial(index) != serial) return std::nullopt;  // leading zeros beyond six digits
  return index;
}

SimulationOutcome simulate(const scenarios::Scenario& scenario, const SimulationOptions& options,
                           bool keep_knowledge) {
  assert(!scenario.sites.empty() && scenario.duration > Time::zero());
  assert(!sg4::Engine::has_instance() && "SimGrid allows one simulation per process");
  std::vector<std::string> args = engine_arguments(2 * (scenario.sites.size() + 1));
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  sg4::Engine engine(&argc, argv.data());
  World world(scenario, options);
  if (world.control_plane) {
    world.tenants = set_up_tenants(scenario, world.layout, options.seed, *world.control_plane);
  }
  for (const scenarios::Action& action : scenario.actions) {
    world.selected.push_back(select_devices(scenario, world.layout, action.devices));
  }
  create_agents(world);
  build_platform(world);
  engine.run();

  SimulationOutcome outcome;
  outcome.platform = world.platform.metrics();
  for (const devices::DeviceAgent& agent : world.agents) {
    const devices::AgentMetrics& m = agent.metrics();
    outcome.fleet.connects_requested += m.connects_requested;
    outcome.fleet.hellos_sent += m.hellos_sent;
    outcome.fleet.heartbeats_sent += m.heartbeats_sent;
    outcome.fleet.presumed_dead += m.presumed_dead;
    outcome.fleet.frame_errors += m.frame_errors;
    outcome.fleet.provisions_accepted += m.provisions_accepted;
    outcome.fleet.reports_sent += m.reports_sent;
    outcome.fleet.restarts += m.restarts;
    if (const devices::DeviceHost* host = agent.host()) {
      const devices::DeviceHostMetrics& h = host->metrics();
      outcome.fleet.task_executions += host->executions();
      outcome.fleet.release_checks += h.release_checks;
      outcome.fleet.installs_created += h.installs_created;
      outcome.fleet.upgrades_succeeded += h.upgrades_succeeded;
      outcome.fleet.upgrades_failed += h.upgrades_failed;
      outcome.fleet.telemetry_sent += h.telemetry_sent;
    }
  }
  if (const platform::ControlPlane* plane = world.control_plane.get()) {
    TaskCounters& tasks = outcome.tasks;
    tasks.created = plane->tasks.task_count();
    for (const std::string& organization : world.tenants.organization_ids) {
      for (const platform::Task& task : plane->tasks.tasks_of(organization)) {
        ++tasks.by_status[static_cast<std::size_t>(task.status)];
      }
    }
    tasks.redeliveries = plane->tasks.counters().redeliveries;
    for (const platform::RolloutRecord& rollout : plane->rollouts.rollouts()) {
      if (rollout.rollout.state() == platform::RolloutState::kAborted) ++tasks.rollouts_aborted;
    }
    for (std::uint64_t raised : plane->insights.counters().insights_raised) {
      tasks.insights_raised += raised;
    }
  }
  outcome.network = world.counters;
  outcome.actions = world.actions;
  if (world.control_plane) outcome.audit_entries = world.control_plane->audit_log.size();
  outcome.devices = world.layout.device_count();
  outcome.devices_connected_end = world.platform.connected_count();
  outcome.trace_events = world.trace.events();
  outcome.trace_hash = world.trace.finish();
  outcome.sim_time_s = seconds(scenario.duration);
  if (keep_knowledge) outcome.knowledge = platform::describe_knowledge(world.platform.devices());
  return outcome;
}

}  // namespace ccsim::sim

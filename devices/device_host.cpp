#include "devices/device_host.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/os_version.h"
#include "devices/device_agent.h"

namespace ccsim::devices {
namespace {

constexpr core::Duration kOverlayDuration = std::chrono::seconds(2);
constexpr core::Duration kAdoptionDuration = std::chrono::seconds(20);
constexpr core::Duration kNoImageDuration = std::chrono::seconds(1);

// The facts of one device the host speaks for.
struct LocalDevice {
  const std::string* model = nullptr;
  std::string* os_version = nullptr;
  std::string* os_track = nullptr;
  const TelemetryProfile* telemetry = nullptr;
};

std::optional<LocalDevice> find_local(DeviceIdentity& identity, std::string_view serial) {
  if (serial == identity.serial) {
    return LocalDevice{&identity.model, &identity.os_version, &identity.os_track,
                       &identity.telemetry};
  }
  for (HostedIdentity& hosted : identity.hosted) {
    if (hosted.serial == serial) {
      return LocalDevice{&hosted.model, &hosted.os_version, &hosted.os_track, &hosted.telemetry};
    }
  }
  return std::nullopt;
}

std::uint32_t permille(double share) {
  return static_cast<std::uint32_t>(std::lround(std::clamp(share, 0.0, 1.0) * 1000.0));
}

}  // namespace

const PublishedImage* FirmwareDownloads::find(std::string_view model,
                                              std::string_view version) const {
  const auto it = images.find(std::pair<std::string, std::string>(model, version));
  return it == images.end() ? nullptr : &it->second;
}

DeviceHost::DeviceHost(std::string serial, const DeviceHostConfig& config,
                       core::RandomStream random)
    : serial_(std::move(serial)),
      config_(config),
      random_(random),
      engine_(std::make_unique<TaskEngine>(
          serial_,
          [this](core::Time now, const TaskAssignment& task) { return execute(now, task); },
          config.engine)) {}

std::string DeviceHost::overlay_text(std::string_view device) const {
  const auto it = overlays_.find(device);
  return it == overlays_.end() ? std::string() : it->second;
}

core::Duration DeviceHost::next_check_gap() {
  const double factor = 1.0 - kReleaseCheckJitter + 2 * kReleaseCheckJitter * random_.next_unit();
  return core::Duration(static_cast<std::int64_t>(
      static_cast<double>(config_.release_check_interval.count()) * factor));
}

TaskExecution DeviceHost::execute(core::Time, const TaskAssignment& task) {
  assert(identity_in_call_ != nullptr && "the engine runs tasks only inside a host call");
  effects_.erase(task.task);
  const std::optional<LocalDevice> device = find_local(*identity_in_call_, task.device);
  if (!device) return {core::Duration::zero(), false, "not a device of this host"};
  if (task.action == wire::TASK_ACTION_SET_OVERLAY_TEXT) {
    const auto text = task.parameters.find("text");
    effects_[task.task] = {task.device, task.action,
                           text == task.parameters.end() ? std::string() : text->second};
    return {kOverlayDuration, true, "overlay set"};
  }
  if (task.action == wire::TASK_ACTION_ADOPT_DEVICE) return {kAdoptionDuration, true, "adopted"};
  const UpgradeDurations durations =
      config_.downloads ? config_.downloads->durations : UpgradeDurations{};
  if (task.action == wire::TASK_ACTION_REBOOT) return {durations.reboot, true, "rebooted"};
  if (task.action != wire::TASK_ACTION_UPGRADE_FIRMWARE) {
    return {core::Duration::zero(), false,
            "unknown action " + std::string(wire::task_action_name(task.action))};
  }
  const auto version = task.parameters.find("version");
  if (version == task.parameters.end()) return {core::Duration::zero(), false, "no version"};
  const std::string& running = *device->os_version;
  effects_[task.task] = {task.device, task.action, version->second};
  if (version->second == running) {
    return {core::Duration::zero(), true, "already running " + running};
  }
  const PublishedImage* published =
      config_.downloads ? config_.downloads->find(*device->model, version->second) : nullptr;
  if (published == nullptr) {
    return {kNoImageDuration, false, "no image of " + version->second + " for " + *device->model};
  }
  // The device refuses a download its nominal link could not finish in time; how long it takes
  // in fact is the links' business (shared with every other transfer).
  const core::Duration download =
      download_duration(published->image.size_bytes, identity_in_call_->uplink_bps);
  if (download > kDownloadDurationMax) {
    // Refused as DeviceFirmware refuses it: it would not finish while the link holds, and a run
    // that long could pass kTaskRunMax, which the engine asserts.
    return {core::Duration::zero(), false,
            "download of " + version->second + " would take over " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::hours>(kDownloadDurationMax).count()) +
                " h; kept " + running};
  }
  // An image fetched ahead of the window is on the device already.
  const auto fetched = fetched_.find(task.device);
  const bool in = fetched != fetched_.end() && fetched->second == version->second;
  if (in) fetched_.erase(fetched);
  const std::uint64_t bytes = in ? 0 : published->image.size_bytes;
  if (config_.downloads->verifier.verify(published->image)) {
    return {durations.verify, false, "image signature does not verify; kept " + running, bytes};
  }
  const core::Duration install = durations.verify + durations.install;
  if (random_.next_unit() < published->failure_share) {
    // The device boots into the new version, fails its health check and boots back.
    return {install + 2 * durations.reboot, false, "install failed; rolled back to " + running,
            bytes};
  }
  return {install + durations.reboot, true, "upgraded from " + running + " to " + version->second,
          bytes};
}

void DeviceHost::drain(DeviceIdentity& identity, bool online, std::vector<wire::Envelope>& sends,
                       std::vector<core::Time>& wakeups) {
  const auto update = [&](const TaskId& task) -> wire::TaskUpdate& {
    sends.emplace_back();
    wire::TaskUpdate* u = sends.back().mutable_task_update();
    u->set_task(task);
    return *u;
  };
  for (const TaskId& task : engine_out_.acknowledgements) update(task).set_acknowledged(true);
  for (const TaskRefusal& refusal : engine_out_.refusals) {
    update(refusal.task).set_refused(refusal.reason);
  }
  for (const LocalTaskReport& created : engine_out_.created) {
    wire::HostTask* h = update(created.task.task).mutable_created();
    h->set_device(created.task.device);
    h->set_action(created.task.action);
    for (const auto& [key, value] : created.task.parameters)
      (*h->mutable_parameters())[key] = value;
    h->set_timeout_us(static_cast<std::uint64_t>(created.task.time_left.count()));
    h->set_started(created.started);
  }
  for (const TaskId& task : engine_out_.started) update(task).set_started(true);
  for (const TaskReport& report : engine_out_.results) {
    const bool succeeded = report.outcome == wire::TASK_OUTCOME_SUCCEEDED;
    const auto effect = effects_.find(report.task);
    if (effect != effects_.end()) {
      const Effect& e = effect->second;
      if (e.action == wire::TASK_ACTION_SET_OVERLAY_TEXT) {
        if (succeeded) overlays_[e.device] = e.value;
      } else {
        ++(succeeded ? metrics_.upgrades_succeeded : metrics_.upgrades_failed);
        const std::optional<LocalDevice> device = find_local(identity, e.device);
        if (succeeded && device && *device->os_version != e.value) {
          *device->os_version = e.value;
          const auto parsed = core::parse_os_version(e.value);
          if (parsed) *device->os_track = std::string(core::track_of(*parsed));
          // The platform learns the new OS as it learns of any install.
          sends.emplace_back();
          wire::DeviceReport* r = sends.back().mutable_device_report();
          r->set_serial(e.device);
          r->mutable_os()->set_version(*device->os_version);
          r->mutable_os()->set_track(*device->os_track);
        }
      }
      effects_.erase(effect);
    }
    for (auto it = installing_.begin(); it != installing_.end();) {
      it = it->second == report.task ? installing_.erase(it) : std::next(it);
    }
    for (auto it = downloading_.begin(); it != downloading_.end();) {
      it = it->second == report.task ? downloading_.erase(it) : std::next(it);
    }
    wire::TaskResult* result = update(report.task).mutable_result();
    result->set_outcome(report.outcome);
    result->set_detail(report.detail.substr(0, wire::kTextBytesMax));
  }
  for (const TaskDownload& download : engine_out_.downloads) {
    const std::uint64_t id = next_transfer_++;
    downloading_.emplace(id, download.task);
    transfers_.push_back({id, download.bytes, false});
  }
  // One download per running task at most, so the transfers in flight have the engine's bound.
  assert(downloading_.size() <= kTaskWorkersMax);
  wakeups.insert(wakeups.end(), engine_out_.wakeups.begin(), engine_out_.wakeups.end());
  engine_out_.clear();
  // Offline, nothing can be sent: the engine re-sends results and reports of its own tasks at
  // the next connection, and the platform re-sends dispatches it has no acknowledgement for.
  if (!online) sends.clear();
}

void DeviceHost::on_online(core::Time now, DeviceIdentity& identity,
                           std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups) {
  identity_in_call_ = &identity;
  engine_->on_connected(now, engine_out_);
  drain(identity, true, sends, wakeups);
  identity_in_call_ = nullptr;
  if (config_.release_check_interval > core::Duration::zero() && !next_check_) {
    // The first check falls anywhere in the first interval, so a fleet does not ask as one.
    next_check_ = now + core::Duration(static_cast<std::int64_t>(random_.next_below(
                            static_cast<std::uint64_t>(config_.release_check_interval.count()))));
    wakeups.push_back(*next_check_);
  }
}

bool DeviceHost::on_envelope(core::Time now, const wire::Envelope& in, DeviceIdentity& identity,
                             std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups) {
  identity_in_call_ = &identity;
  bool handled = true;
  if (in.has_task_dispatch()) {
    const wire::TaskDispatch& d = in.task_dispatch();
    TaskAssignment task{d.task(),
                        d.device(),
                        d.action(),
                        {},
                        core::Duration(d.time_left_us()),
                        d.rerun_after_restart()};
    for (const auto& [key, value] : d.parameters()) task.parameters.emplace(key, value);
    engine_->on_dispatch(now, task, engine_out_);
  } else if (in.has_task_cancel()) {
    engine_->on_cancel(now, in.task_cancel().task(), engine_out_);
  } else if (in.has_task_receipt()) {
    if (in.task_receipt().host_task()) {
      engine_->on_creation_acknowledged(in.task_receipt().task());
    } else {
      engine_->on_result_acknowledged(in.task_receipt().task());
    }
  } else if (in.has_release_offer()) {
    identity_in_call_ = nullptr;
    on_offer(now, in.release_offer(), identity, true, sends, wakeups);
    return true;
  } else if (in.has_diagnostics_consent()) {
    const wire::DiagnosticsConsent& consent = in.diagnostics_consent();
    if (find_local(identity, consent.serial())) {
      if (consent.granted()) {
        consented_.insert(consent.serial());
        if (!next_telemetry_) {
          next_telemetry_ = now + config_.telemetry_interval;
          wakeups.push_back(*next_telemetry_);
        }
      } else {
        consented_.erase(consent.serial());
      }
    }
  } else {
    handled = false;
  }
  drain(identity, true, sends, wakeups);
  identity_in_call_ = nullptr;
  return handled;
}

void DeviceHost::on_offer(core::Time now, const wire::ReleaseOffer& offer, DeviceIdentity& identity,
                          bool online, std::vector<wire::Envelope>& sends,
                          std::vector<core::Time>& wakeups) {
  ++metrics_.offers_received;
  for (const wire::DeviceOffer& o : offer.offers()) {
    const std::optional<LocalDevice> device = find_local(identity, o.serial());
    if (!device || *device->os_version == o.version()) continue;
    if (o.kind() == "recommend") {
      ++metrics_.recommendations;
      continue;
    }
    const auto installing = installing_.find(o.serial());
    if (installing != installing_.end()) continue;  // one policy install at a time
    if (o.kind() == "install_now") {
      scheduled_.erase(o.serial());
      create_install(now, o.serial(), o.version(), identity, online, sends, wakeups);
      continue;
    }
    if (o.kind() != "install_in_window") continue;
    const auto scheduled = scheduled_.find(o.serial());
    if (scheduled != scheduled_.end() && scheduled->second.version == o.version()) continue;
    // Measured from the offer's arrival: the device's own clock never meets the platform's.
    const core::Time earliest = now + core::Duration(static_cast<std::int64_t>(o.start_in_us()));
    const core::Time latest = now + core::Duration(static_cast<std::int64_t>(o.last_start_in_us()));
    if (latest < earliest) continue;
    // A time drawn inside the window's start range, so a site's devices do not all start at
    // its opening.
    const auto span = static_cast<std::uint64_t>((latest - earliest).count());
    const core::Time at =
        earliest + core::Duration(static_cast<std::int64_t>(random_.next_below(span + 1)));
    scheduled_[o.serial()] = {o.version(), at, latest, false};
    ++metrics_.installs_scheduled;
    wakeups.push_back(at);
    prefetch(*device->model, o.serial(), o.version());
  }
}

// Downloads the image of `version` for `serial` now, ahead of its window, unless it is in or on
// its way already.
void DeviceHost::prefetch(const std::string& model, const std::string& serial,
                          const std::string& version) {
  const auto fetched = fetched_.find(serial);
  if (fetched != fetched_.end() && fetched->second == version) return;
  if (fetching(serial, version)) return;
  const PublishedImage* published =
      config_.downloads ? config_.downloads->find(model, version) : nullptr;
  if (published == nullptr) return;  // the install will fail "no image" in its window
  const std::uint64_t id = next_transfer_++;
  prefetching_.emplace(id, Prefetch{serial, version});
  transfers_.push_back({id, published->image.size_bytes, false});
  // One image in flight per device at most: the prefetches have the devices' bound.
  assert(prefetching_.size() <= wire::kHostedDevicesMax + 1);
}

bool DeviceHost::fetching(std::string_view device, std::string_view version) const {
  return std::any_of(prefetching_.begin(), prefetching_.end(), [&](const auto& entry) {
    return entry.second.device == device && entry.second.version == version;
  });
}

void DeviceHost::create_install(core::Time now, const std::string& device,
                                const std::string& version, DeviceIdentity& identity, bool online,
                                std::vector<wire::Envelope>& sends,
                                std::vector<core::Time>& wakeups) {
  identity_in_call_ = &identity;
  const std::optional<TaskId> task =
      engine_->create_task(now, device, wire::TASK_ACTION_UPGRADE_FIRMWARE, {{"version", version}},
                           kPolicyInstallTimeout, false, engine_out_);
  if (task) {
    installing_[device] = *task;
    ++metrics_.installs_created;
  } else {
    ++metrics_.local_tasks_refused;
  }
  drain(identity, online, sends, wakeups);
  identity_in_call_ = nullptr;
}

bool DeviceHost::adopt(core::Time now, std::string_view device, DeviceIdentity& identity,
                       bool online, std::vector<wire::Envelope>& sends,
                       std::vector<core::Time>& wakeups) {
  identity_in_call_ = &identity;
  const std::optional<TaskId> task =
      engine_->create_task(now, std::string(device), wire::TASK_ACTION_ADOPT_DEVICE, {},
                           kAdoptionTimeout, true, engine_out_);
  if (!task) ++metrics_.local_tasks_refused;
  drain(identity, online, sends, wakeups);
  identity_in_call_ = nullptr;
  return task.has_value();
}

void DeviceHost::on_wakeup(core::Time now, DeviceIdentity& identity, bool online,
                           std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups) {
  identity_in_call_ = &identity;
  engine_->on_wakeup(now, engine_out_);
  drain(identity, online, sends, wakeups);
  identity_in_call_ = nullptr;
  start_due_installs(now, identity, online, sends, wakeups);
  if (next_check_ && *next_check_ <= now) {
    if (online) {
      sends.emplace_back();
      sends.back().mutable_release_check()->set_sequence(++check_sequence_);
      ++metrics_.release_checks;
    }
    next_check_ = now + next_check_gap();
    wakeups.push_back(*next_check_);
  }
  if (next_telemetry_ && *next_telemetry_ <= now) {
    if (online) send_telemetry(now, identity, sends);
    next_telemetry_.reset();
    if (!consented_.empty()) {
      next_telemetry_ = now + config_.telemetry_interval;
      wakeups.push_back(*next_telemetry_);
    }
  }
}

// Installs whose time has come start, if their image is in. One still downloading waits for it
// until the window's last start; past that it is given up, and the next offer (the next window)
// schedules it again.
void DeviceHost::start_due_installs(core::Time now, DeviceIdentity& identity, bool online,
                                    std::vector<wire::Envelope>& sends,
                                    std::vector<core::Time>& wakeups) {
  for (auto it = scheduled_.begin(); it != scheduled_.end();) {
    ScheduledInstall& install = it->second;
    if (install.at > now) {
      ++it;
      continue;
    }
    if (fetching(it->first, install.version)) {
      if (now < install.latest) {
        install.at = install.latest;  // or sooner, when the image is in
        install.waiting_for_image = true;
        wakeups.push_back(install.at);
        ++it;
      } else {
        ++metrics_.installs_postponed;
        it = scheduled_.erase(it);
      }
      continue;
    }
    const std::string device = it->first;
    const std::string version = install.version;
    it = scheduled_.erase(it);
    create_install(now, device, version, identity, online, sends, wakeups);
  }
}

void DeviceHost::send_telemetry(core::Time, DeviceIdentity& identity,
                                std::vector<wire::Envelope>& sends) {
  const double days = std::chrono::duration<double>(config_.telemetry_interval).count() / 86'400.0;
  for (const std::string& serial : consented_) {
    const std::optional<LocalDevice> device = find_local(identity, serial);
    assert(device && "consent is kept for local devices only");
    const TelemetryProfile& profile = *device->telemetry;
    // Crashes over the interval: the whole expected number, plus one more with the chance of
    // its fraction.
    const double expected = profile.crashes_per_day * days;
    double whole = std::floor(expected);
    if (random_.next_unit() < expected - whole) whole += 1;
    sends.emplace_back();
    wire::Telemetry* t = sends.back().mutable_telemetry();
    t->set_serial(serial);
    t->set_load_permille(permille(profile.load));
    t->set_sd_card_health_permille(permille(profile.sd_card_health));
    t->set_crashes(static_cast<std::uint32_t>(
        std::min<double>(whole, static_cast<double>(wire::kTelemetryCrashesMax))));
    ++metrics_.telemetry_sent;
  }
}

void DeviceHost::on_transfer_done(core::Time now, std::uint64_t transfer, DeviceIdentity& identity,
                                  bool online, std::vector<wire::Envelope>& sends,
                                  std::vector<core::Time>& wakeups) {
  const auto prefetched = prefetching_.find(transfer);
  if (prefetched != prefetching_.end()) {
    const Prefetch image = prefetched->second;
    prefetching_.erase(prefetched);
    fetched_[image.device] = image.version;
    ++metrics_.images_prefetched;
    // An install that came due while its image was on its way starts now.
    const auto waiting = scheduled_.find(image.device);
    if (waiting != scheduled_.end() && waiting->second.version == image.version &&
        waiting->second.waiting_for_image) {
      waiting->second.at = now;
      start_due_installs(now, identity, online, sends, wakeups);
    }
    return;
  }
  const auto found = downloading_.find(transfer);
  if (found == downloading_.end()) return;  // its run ended first
  const TaskId task = found->second;
  downloading_.erase(found);
  identity_in_call_ = &identity;
  engine_->on_download_done(now, task, engine_out_);
  drain(identity, online, sends, wakeups);
  identity_in_call_ = nullptr;
}

void DeviceHost::restart(core::Time now, DeviceIdentity& identity,
                         std::vector<core::Time>& wakeups) {
  ++metrics_.restarts;
  identity_in_call_ = &identity;
  TaskEngineJournal journal = engine_->journal();
  metrics_.executions_before_restart += engine_->counters().executions;
  // Effects stay: a task re-run plans its effect again, and a lost upgrade's "host restarted"
  // result then counts as a failed upgrade. Downloads in flight belong to the runs the restart
  // ended: their completions find no task. Images already in stay on the device; those on their
  // way are lost, and fetched again at the install.
  downloading_.clear();
  prefetching_.clear();
  engine_ = std::make_unique<TaskEngine>(
      serial_, [this](core::Time at, const TaskAssignment& task) { return execute(at, task); },
      config_.engine, std::move(journal), now, engine_out_);
  std::vector<wire::Envelope> dropped;
  drain(identity, false, dropped, wakeups);
  identity_in_call_ = nullptr;
}

}  // namespace ccsim::devices

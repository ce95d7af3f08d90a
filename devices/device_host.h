// The device host: the part of a device agent that does work for the platform, beside keeping
// the connection. A Tier-1 camera has one built in; a recorder or edge host runs one for itself
// and for the Tier-2 devices it carries. It
// - runs the tasks the platform's Task Manager dispatches, and tasks it creates itself, on a
//   task engine (task_engine.h) whose executor is this device's own software: an overlay text,
//   a reboot, a device adoption, a firmware upgrade (the image downloaded over the site's link,
//   verified against the vendor's key, installed and rebooted into, or rolled back on failure);
// - asks the platform for applicable releases every release-check interval (each host at its
//   own phase, jittered from its random stream) and follows the answer: a managed device's
//   policy install is a task the host creates, started at once or at a time drawn inside the
//   window the offer gives; a recommendation is only counted (the user decides);
// - sends telemetry for the devices whose owner consented to diagnostics, and only for them.
//
// Sans-IO, as the agent: every input takes the time; messages to send come back as envelopes
// (addressed by the agent) and wake-ups as times. The device facts it changes (OS version and
// track) are the agent's DeviceIdentity, passed into each call, so the agent can move freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "devices/firmware.h"
#include "devices/task_engine.h"
#include "proto/frame.h"

namespace ccsim::devices {

struct DeviceIdentity;

// Images a vendor published, as devices download them (a content delivery network), with the
// share of installs that fail on the device (a simulation input: the device rolls back).
struct PublishedImage {
  FirmwareImage image;
  double failure_share = 0.0;
};

// What every host of a fleet shares; it must outlive them.
struct FirmwareDownloads {
  explicit FirmwareDownloads(std::string_view public_key) : verifier(public_key) {}
  FirmwareVerifier verifier;
  std::map<std::pair<std::string, std::string>, PublishedImage, std::less<>> images;  // model,
                                                                                      // version
  UpgradeDurations durations;
  const PublishedImage* find(std::string_view model, std::string_view version) const;
};

// How long a host's own policy install may take before its task times out.
inline constexpr core::Duration kPolicyInstallTimeout = std::chrono::hours(2);
// An adoption a host creates for a device added on its LAN.
inline constexpr core::Duration kAdoptionTimeout = std::chrono::minutes(30);
// A host that restarts is back after this.
inline constexpr core::Duration kHostBootTime = std::chrono::seconds(60);
// Share of each release-check interval the next check may move by, either way.
inline constexpr double kReleaseCheckJitter = 0.1;

struct DeviceHostConfig {
  core::Duration release_check_interval{};  // zero: never checks
  core::Duration telemetry_interval = std::chrono::hours(1);
  const FirmwareDownloads* downloads = nullptr;  // null: upgrades fail "no image"
  TaskEngineLimits engine;
};

struct DeviceHostMetrics {
  std::uint32_t release_checks = 0;
  std::uint32_t offers_received = 0;
  std::uint32_t recommendations = 0;
  std::uint32_t installs_scheduled = 0;  // policy installs put on the clock
  std::uint32_t installs_created = 0;    // policy installs handed to the engine as tasks
  std::uint32_t images_prefetched = 0;   // images downloaded ahead of their window
  std::uint32_t installs_postponed = 0;  // the image was not in before the window's last start
  std::uint32_t upgrades_succeeded = 0;
  std::uint32_t upgrades_failed = 0;  // rolled back, image refused or missing, cancelled, late
  std::uint32_t telemetry_sent = 0;
  std::uint32_t restarts = 0;
  std::uint32_t local_tasks_refused = 0;        // the engine was full
  std::uint64_t executions_before_restart = 0;  // task runs of the engines a restart replaced
};

class DeviceHost {
 public:
  // `config` must outlive the host; `serial` is the agent's own.
  DeviceHost(std::string serial, const DeviceHostConfig& config, core::RandomStream random);
  DeviceHost(const DeviceHost&) = delete;
  DeviceHost& operator=(const DeviceHost&) = delete;

  // The agent's hello was accepted: re-send what the platform has not acknowledged, and start
  // the release checks.
  void on_online(core::Time now, DeviceIdentity& identity, std::vector<wire::Envelope>& sends,
                 std::vector<core::Time>& wakeups);
  // Task, release and diagnostics bodies from the platform; false for any other body.
  bool on_envelope(core::Time now, const wire::Envelope& in, DeviceIdentity& identity,
                   std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups);
  // Called at every wake-up of the agent; does what is due and ignores the rest.
  void on_wakeup(core::Time now, DeviceIdentity& identity, bool online,
                 std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups);
  // A transfer the host asked for (transfers()) is in. Unknown or stale ids are ignored.
  void on_transfer_done(core::Time now, std::uint64_t transfer, DeviceIdentity& identity,
                        bool online, std::vector<wire::Envelope>& sends,
                        std::vector<core::Time>& wakeups);
  // Transfers the host asked for since the caller last took them (an upgrade's image download);
  // the caller moves them to its driver and clears this.
  std::vector<core::Outbox::Transfer>& transfers() { return transfers_; }
  // The host restarted: the engine comes back from its journal (tasks it ran are re-run or
  // reported lost, as their dispatch says); consent and scheduled installs are kept.
  void restart(core::Time now, DeviceIdentity& identity, std::vector<core::Time>& wakeups);
  // A Tier-2 device was added on this host's LAN: the host adopts it with a task of its own.
  // False when the engine cannot take it.
  bool adopt(core::Time now, std::string_view device, DeviceIdentity& identity, bool online,
             std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups);

  const TaskEngine& engine() const { return *engine_; }
  const DeviceHostMetrics& metrics() const { return metrics_; }
  // Task runs started by this host's engines, across its restarts.
  std::uint64_t executions() const {
    return metrics_.executions_before_restart + engine_->counters().executions;
  }
  // The overlay text a task set on `device`; empty when none.
  std::string overlay_text(std::string_view device) const;

 private:
  struct Effect {  // what a running task changes on success
    std::string device;
    wire::TaskAction action = wire::TASK_ACTION_UNSPECIFIED;
    std::string value;  // the version, the text
  };
  struct ScheduledInstall {
    std::string version;
    core::Time at{};
    core::Time latest{};             // the last start the window allows
    bool waiting_for_image = false;  // due, but its image is still on its way
  };
  struct Prefetch {  // an image downloaded ahead of its window
    std::string device;
    std::string version;
  };

  TaskExecution execute(core::Time now, const TaskAssignment& task);
  // Turns the engine's outbox into envelopes, applying finished tasks' effects.
  void drain(DeviceIdentity& identity, bool online, std::vector<wire::Envelope>& sends,
             std::vector<core::Time>& wakeups);
  void on_offer(core::Time now, const wire::ReleaseOffer& offer, DeviceIdentity& identity,
                bool online, std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups);
  void create_install(core::Time now, const std::string& device, const std::string& version,
                      DeviceIdentity& identity, bool online, std::vector<wire::Envelope>& sends,
                      std::vector<core::Time>& wakeups);
  void prefetch(const std::string& model, const std::string& serial, const std::string& version);
  bool fetching(std::string_view device, std::string_view version) const;
  void start_due_installs(core::Time now, DeviceIdentity& identity, bool online,
                          std::vector<wire::Envelope>& sends, std::vector<core::Time>& wakeups);
  void send_telemetry(core::Time now, DeviceIdentity& identity, std::vector<wire::Envelope>& sends);
  core::Duration next_check_gap();

  std::string serial_;
  const DeviceHostConfig& config_;
  core::RandomStream random_;
  // The engine's executor reads the identity of the call in progress.
  DeviceIdentity* identity_in_call_ = nullptr;
  std::unique_ptr<TaskEngine> engine_;
  TaskEngineOutbox engine_out_;
  std::map<TaskId, Effect, std::less<>> effects_;
  std::map<std::string, std::string, std::less<>> overlays_;
  // Policy installs by device: the version and when to start it.
  std::map<std::string, ScheduledInstall, std::less<>> scheduled_;
  // Devices with a policy install handed to the engine and not finished, with its version.
  std::map<std::string, std::string, std::less<>> installing_;
  // Image downloads in flight, by transfer id, with the task each belongs to.
  std::map<std::uint64_t, TaskId> downloading_;
  // Images downloaded ahead of their window (hawkBit's habit: outside the window a device may
  // download, not install): in flight by transfer id, and in by device, with their versions.
  std::map<std::uint64_t, Prefetch> prefetching_;
  std::map<std::string, std::string, std::less<>> fetched_;
  std::uint64_t next_transfer_ = 1;
  std::vector<core::Outbox::Transfer> transfers_;
  std::set<std::string, std::less<>> consented_;
  std::optional<core::Time> next_check_;
  std::optional<core::Time> next_telemetry_;
  std::uint64_t check_sequence_ = 0;
  DeviceHostMetrics metrics_;
};

}  // namespace ccsim::devices

// The device host on its own: each call is made by hand at an explicit time, and the envelopes
// and wake-ups it returns are checked one by one. Durations are worked out by hand from the image
// sizes, the site's link (one megabyte a second) and the upgrade steps below.
#include "devices/device_host.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/digest.h"
#include "devices/device_agent.h"

namespace ccsim::devices {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kHostSerial = "ACCC8E000100";
const std::string kCameraSerial = "ACCC8E000101";
const std::string kOtherCameraSerial = "ACCC8E000102";
const std::string kStrangerSerial = "ACCC8E999999";  // carried by no host here
const std::string kRecorderModel = "s3008-recorder";
const std::string kCameraModel = "tier2-dome";
const std::string kHostVersion = "10.12.300";   // lts-2022
const std::string kCameraVersion = "10.12.50";  // lts-2022

// 8 Mbps: a megabyte a second.
constexpr std::uint64_t kUplinkBps = 8'000'000;
const std::string kRecorderRelease = "11.11.120";  // lts-2024
constexpr std::uint64_t kRecorderImageBytes = 30'000'000;
constexpr Duration kRecorderDownload = seconds(30);
const std::string kCameraRelease = "12.1.5";  // active
constexpr std::uint64_t kCameraImageBytes = 12'000'000;
constexpr Duration kCameraDownload = seconds(12);

constexpr Duration kVerify = seconds(5);
constexpr Duration kInstall = seconds(40);
constexpr Duration kReboot = seconds(70);
// The steps of a successful upgrade after its download.
constexpr Duration kAfterDownload = kVerify + kInstall + kReboot;

const Time kStart = hours(10);

DeviceIdentity recorder_identity() {
  DeviceIdentity identity;
  identity.serial = kHostSerial;
  identity.model = kRecorderModel;
  identity.os_version = kHostVersion;
  identity.os_track = "lts-2022";
  identity.uplink_bps = kUplinkBps;
  identity.hosted = {
      HostedIdentity{kCameraSerial, kCameraModel, kCameraVersion, "lts-2022", {0.42, 0.873, 48.0}},
      HostedIdentity{kOtherCameraSerial, kCameraModel, kCameraVersion, "lts-2022", {}}};
  return identity;
}

// What one call of the host gave back.
struct Output {
  std::vector<wire::Envelope> sends;
  std::vector<Time> wakeups;
  std::vector<core::Outbox::Transfer> transfers;
  bool accepted = true;  // adopt's answer
};

// One host with its fleet's published images, driven by hand. Set `config` before the first
// call: the host is built then.
class DeviceHostTest : public ::testing::Test {
 protected:
  DeviceHostTest() {
    downloads.durations = UpgradeDurations{kVerify, kInstall, kReboot};
    publish(kRecorderModel, kRecorderRelease, kRecorderImageBytes);
    publish(kCameraModel, kCameraRelease, kCameraImageBytes);
    config.downloads = &downloads;
  }

  void publish(const std::string& model, const std::string& version, std::uint64_t size_bytes) {
    const std::optional<OsVersion> parsed = parse_os_version(version);
    assert(parsed);
    downloads.images[{model, version}] = PublishedImage{
        signer.sign(model, *parsed, size_bytes, core::sha256(model + " " + version)), 0.0};
  }
  PublishedImage& published(const std::string& model, const std::string& version) {
    return downloads.images.at({model, version});
  }

  DeviceHost& host() {
    if (!host_) {
      host_ = std::make_unique<DeviceHost>(kHostSerial, config,
                                           core::RandomStream(1, core::kDeviceStreamBase));
    }
    return *host_;
  }

  Output online(Time now) {
    Output o;
    host().on_online(now, identity, o.sends, o.wakeups);
    return taken(std::move(o));
  }
  Output receive(Time now, const wire::Envelope& in) {
    Output o;
    EXPECT_TRUE(host().on_envelope(now, in, identity, o.sends, o.wakeups));
    return taken(std::move(o));
  }
  Output wake(Time now, bool is_online = true) {
    Output o;
    host().on_wakeup(now, identity, is_online, o.sends, o.wakeups);
    return taken(std::move(o));
  }
  Output restart(Time now) {
    Output o;
    host().restart(now, identity, o.wakeups);
    return taken(std::move(o));
  }
  Output adopt(Time now, std::string_view device, bool is_online = true) {
    Output o;
    o.accepted = host().adopt(now, device, identity, is_online, o.sends, o.wakeups);
    return taken(std::move(o));
  }
  // The test plays the driver: the transfer `id` is in at `now`.
  Output transfer_done(Time now, std::uint64_t id, bool is_online = true) {
    Output o;
    host().on_transfer_done(now, id, identity, is_online, o.sends, o.wakeups);
    return taken(std::move(o));
  }
  // `started` asked for one download of `bytes`; it is in at `now`.
  Output download(const Output& started, std::uint64_t bytes, Time now) {
    EXPECT_EQ(started.transfers.size(), 1u);
    if (started.transfers.size() != 1) return {};
    EXPECT_EQ(started.transfers[0].bytes, bytes);
    EXPECT_FALSE(started.transfers[0].upstream);
    return transfer_done(now, started.transfers[0].id);
  }

  FirmwareSigner signer{core::RandomStream(1, core::kFirmwareSigningStream)};
  FirmwareDownloads downloads{signer.public_key()};
  DeviceHostConfig config;
  DeviceIdentity identity = recorder_identity();

 private:
  Output taken(Output o) {
    o.transfers = std::move(host().transfers());
    host().transfers().clear();
    return o;
  }

  std::unique_ptr<DeviceHost> host_;
};

wire::Envelope dispatch(const std::string& task, const std::string& device, wire::TaskAction action,
                        const TaskParameters& parameters, Duration time_left = hours(1),
                        bool rerun_after_restart = false) {
  wire::Envelope e;
  wire::TaskDispatch* d = e.mutable_task_dispatch();
  d->set_task(task);
  d->set_device(device);
  d->set_action(action);
  for (const auto& [key, value] : parameters) (*d->mutable_parameters())[key] = value;
  d->set_time_left_us(static_cast<std::uint64_t>(time_left.count()));
  d->set_rerun_after_restart(rerun_after_restart);
  d->set_delivery(1);
  return e;
}

wire::Envelope upgrade(const std::string& task, const std::string& device,
                       const std::string& version) {
  return dispatch(task, device, wire::TASK_ACTION_UPGRADE_FIRMWARE, {{"version", version}});
}

// An offer the platform makes for an offer arriving at `arrives`: its window's first and last
// starts go on the wire as durations from then (past ones as 0).
wire::DeviceOffer device_offer(const std::string& serial, const std::string& kind,
                               const std::string& version, Time start_after = {},
                               Time start_before = {}, Time arrives = kStart) {
  const auto in = [arrives](Time at) {
    return static_cast<std::uint64_t>(std::max(at - arrives, core::Duration::zero()).count());
  };
  wire::DeviceOffer o;
  o.set_serial(serial);
  o.set_kind(kind);
  o.set_version(version);
  o.set_size_bytes(kCameraImageBytes);
  o.set_start_in_us(in(start_after));
  o.set_last_start_in_us(in(start_before));
  return o;
}

wire::Envelope offer(const std::vector<wire::DeviceOffer>& offers, std::uint64_t sequence = 1) {
  wire::Envelope e;
  e.mutable_release_offer()->set_sequence(sequence);
  for (const wire::DeviceOffer& o : offers) *e.mutable_release_offer()->add_offers() = o;
  return e;
}

wire::Envelope consent(const std::string& serial, bool granted) {
  wire::Envelope e;
  e.mutable_diagnostics_consent()->set_serial(serial);
  e.mutable_diagnostics_consent()->set_granted(granted);
  return e;
}

void expect_update(const wire::Envelope& e, std::string_view task,
                   wire::TaskUpdate::EventCase event) {
  ASSERT_TRUE(e.has_task_update()) << "body " << e.body_case();
  EXPECT_EQ(e.task_update().task(), task);
  EXPECT_EQ(e.task_update().event_case(), event) << "task " << task;
}

void expect_result(const wire::Envelope& e, std::string_view task, wire::TaskOutcome outcome,
                   std::string_view detail_part) {
  expect_update(e, task, wire::TaskUpdate::kResult);
  EXPECT_EQ(e.task_update().result().outcome(), outcome)
      << wire::task_outcome_name(e.task_update().result().outcome());
  EXPECT_NE(e.task_update().result().detail().find(detail_part), std::string::npos)
      << e.task_update().result().detail();
}

void expect_created(const wire::Envelope& e, std::string_view task, std::string_view device,
                    wire::TaskAction action, Duration timeout) {
  expect_update(e, task, wire::TaskUpdate::kCreated);
  const wire::HostTask& created = e.task_update().created();
  EXPECT_EQ(created.device(), device);
  EXPECT_EQ(created.action(), action);
  EXPECT_EQ(created.timeout_us(), static_cast<std::uint64_t>(timeout.count()));
}

void expect_os_report(const wire::Envelope& e, std::string_view serial, std::string_view version,
                      std::string_view track) {
  ASSERT_TRUE(e.has_device_report()) << "body " << e.body_case();
  EXPECT_EQ(e.device_report().serial(), serial);
  EXPECT_EQ(e.device_report().os().version(), version);
  EXPECT_EQ(e.device_report().os().track(), track);
}

void expect_telemetry(const wire::Envelope& e, std::string_view serial, std::uint32_t load,
                      std::uint32_t sd_card_health, std::uint32_t crashes) {
  ASSERT_TRUE(e.has_telemetry()) << "body " << e.body_case();
  EXPECT_EQ(e.telemetry().serial(), serial);
  EXPECT_EQ(e.telemetry().load_permille(), load);
  EXPECT_EQ(e.telemetry().sd_card_health_permille(), sd_card_health);
  EXPECT_EQ(e.telemetry().crashes(), crashes);
}

// Expects `gap` within kReleaseCheckJitter of `interval`: [0.9, 1.1] * interval.
void expect_check_gap(Duration gap, Duration interval) {
  EXPECT_GE(gap.count() * 10, interval.count() * 9) << gap.count() << " us";
  EXPECT_LE(gap.count() * 10, interval.count() * 11) << gap.count() << " us";
}

std::string local_task(int serial) {
  return kHostSerial + ":local-00000" + std::to_string(serial);
}

// ---------------------------------------------------------------------------------------------
// Dispatched tasks

TEST_F(DeviceHostTest, UpgradeOfTheHostRunsDownloadVerifyInstallRebootThenReportsTheOs) {
  const Output dispatched = receive(kStart, upgrade("task-1", kHostSerial, kRecorderRelease));
  ASSERT_EQ(dispatched.sends.size(), 2u);
  expect_update(dispatched.sends[0], "task-1", wire::TaskUpdate::kAcknowledged);
  expect_update(dispatched.sends[1], "task-1", wire::TaskUpdate::kStarted);
  // Until the image is in, only the task's deadline (an hour) wakes the engine.
  EXPECT_EQ(dispatched.wakeups, std::vector<Time>{kStart + hours(1)});
  EXPECT_TRUE(wake(kStart + kRecorderDownload).sends.empty());
  // 30 MB at 8 Mbps is 30 s, had the host the link to itself; then 5 s verify, 40 s install,
  // 70 s reboot.
  const Time done = kStart + seconds(145);
  EXPECT_EQ(done, kStart + kRecorderDownload + kAfterDownload);
  const Output downloaded = download(dispatched, kRecorderImageBytes, kStart + kRecorderDownload);
  EXPECT_TRUE(downloaded.sends.empty());
  EXPECT_EQ(downloaded.wakeups, std::vector<Time>{done});

  const Output early = wake(done - microseconds(1));
  EXPECT_TRUE(early.sends.empty());
  EXPECT_TRUE(early.wakeups.empty());
  EXPECT_EQ(identity.os_version, kHostVersion);

  const Output finished = wake(done);
  ASSERT_EQ(finished.sends.size(), 2u);
  expect_os_report(finished.sends[0], kHostSerial, kRecorderRelease, "lts-2024");
  expect_result(finished.sends[1], "task-1", wire::TASK_OUTCOME_SUCCEEDED,
                "upgraded from 10.12.300 to 11.11.120");
  EXPECT_EQ(identity.os_version, kRecorderRelease);
  EXPECT_EQ(identity.os_track, "lts-2024");
  EXPECT_EQ(identity.hosted[0].os_version, kCameraVersion);
  EXPECT_EQ(host().metrics().upgrades_succeeded, 1u);
  EXPECT_EQ(host().metrics().upgrades_failed, 0u);
  EXPECT_EQ(host().engine().counters().executions, 1u);
}

TEST_F(DeviceHostTest, UpgradeOfAHostedDeviceChangesItsEntryNotTheHosts) {
  const Output dispatched = receive(kStart, upgrade("task-2", kCameraSerial, kCameraRelease));
  ASSERT_EQ(dispatched.sends.size(), 2u);
  // 12 MB at 8 Mbps is 12 s; then 5 + 40 + 70 s.
  const Time done = kStart + seconds(127);
  EXPECT_EQ(done, kStart + kCameraDownload + kAfterDownload);
  EXPECT_EQ(download(dispatched, kCameraImageBytes, kStart + kCameraDownload).wakeups,
            std::vector<Time>{done});

  const Output finished = wake(done);
  ASSERT_EQ(finished.sends.size(), 2u);
  expect_os_report(finished.sends[0], kCameraSerial, kCameraRelease, "active");
  expect_result(finished.sends[1], "task-2", wire::TASK_OUTCOME_SUCCEEDED, "to 12.1.5");
  EXPECT_EQ(identity.hosted[0].os_version, kCameraRelease);
  EXPECT_EQ(identity.hosted[0].os_track, "active");
  EXPECT_EQ(identity.hosted[1].os_version, kCameraVersion);
  EXPECT_EQ(identity.hosted[1].os_track, "lts-2022");
  EXPECT_EQ(identity.os_version, kHostVersion);
  EXPECT_EQ(identity.os_track, "lts-2022");
}

TEST_F(DeviceHostTest, TamperedImageFailsAfterDownloadAndVerify) {
  std::string& signature = published(kRecorderModel, kRecorderRelease).image.signature;
  signature[0] = static_cast<char>(signature[0] ^ 0x01);
  const Output dispatched = receive(kStart, upgrade("task-1", kHostSerial, kRecorderRelease));
  const Time done = kStart + kRecorderDownload + kVerify;
  EXPECT_EQ(download(dispatched, kRecorderImageBytes, kStart + kRecorderDownload).wakeups,
            std::vector<Time>{done});
  EXPECT_TRUE(wake(done - microseconds(1)).sends.empty());

  const Output finished = wake(done);
  ASSERT_EQ(finished.sends.size(), 1u);  // no OS report
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_FAILED, "does not verify");
  EXPECT_EQ(identity.os_version, kHostVersion);
  EXPECT_EQ(identity.os_track, "lts-2022");
  EXPECT_EQ(host().metrics().upgrades_failed, 1u);
  EXPECT_EQ(host().metrics().upgrades_succeeded, 0u);
}

TEST_F(DeviceHostTest, FailedInstallRollsBackAfterTwoReboots) {
  published(kRecorderModel, kRecorderRelease).failure_share = 1.0;
  const Output dispatched = receive(kStart, upgrade("task-1", kHostSerial, kRecorderRelease));
  // Download, verify, install, then a reboot into the new version and one back: 215 s.
  const Time done = kStart + seconds(215);
  EXPECT_EQ(done, kStart + kRecorderDownload + kVerify + kInstall + 2 * kReboot);
  EXPECT_EQ(download(dispatched, kRecorderImageBytes, kStart + kRecorderDownload).wakeups,
            std::vector<Time>{done});
  EXPECT_TRUE(wake(done - microseconds(1)).sends.empty());

  const Output finished = wake(done);
  ASSERT_EQ(finished.sends.size(), 1u);
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_FAILED, "rolled back to 10.12.300");
  EXPECT_EQ(identity.os_version, kHostVersion);
  EXPECT_EQ(host().metrics().upgrades_failed, 1u);
}

TEST_F(DeviceHostTest, NoImageForTheModelFails) {
  // The recorder's release exists, but not for the camera's model.
  const Output dispatched = receive(kStart, upgrade("task-1", kCameraSerial, kRecorderRelease));
  ASSERT_EQ(dispatched.wakeups.size(), 1u);
  const Output finished = wake(dispatched.wakeups[0]);
  ASSERT_EQ(finished.sends.size(), 1u);
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_FAILED,
                "no image of 11.11.120 for tier2-dome");
  EXPECT_EQ(identity.hosted[0].os_version, kCameraVersion);
  EXPECT_EQ(host().metrics().upgrades_failed, 1u);
}

TEST_F(DeviceHostTest, NoDownloadsAtAllFailsNoImage) {
  config.downloads = nullptr;
  const Output dispatched = receive(kStart, upgrade("task-1", kHostSerial, kRecorderRelease));
  ASSERT_EQ(dispatched.wakeups.size(), 1u);
  const Output finished = wake(dispatched.wakeups[0]);
  ASSERT_EQ(finished.sends.size(), 1u);
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_FAILED, "no image");
  EXPECT_EQ(identity.os_version, kHostVersion);
}

TEST_F(DeviceHostTest, DownloadTooLongForTheLinkIsRefusedAtOnce) {
  // 30 MB at 100 bps is 2.4 million seconds: past kDownloadDurationMax, and past the longest
  // run the engine may plan (kTaskRunMax).
  identity.uplink_bps = 100;
  const Output dispatched = receive(kStart, upgrade("task-1", kHostSerial, kRecorderRelease));
  EXPECT_EQ(dispatched.wakeups, std::vector<Time>{kStart});
  const Output finished = wake(kStart);
  ASSERT_EQ(finished.sends.size(), 1u);
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_FAILED,
                "would take over 24 h; kept 10.12.300");
  EXPECT_EQ(identity.os_version, kHostVersion);
  EXPECT_EQ(host().metrics().upgrades_failed, 1u);
}

TEST_F(DeviceHostTest, UpgradeToTheRunningVersionSucceedsAtOnceWithoutAReport) {
  const Output dispatched = receive(kStart, upgrade("task-1", kCameraSerial, kCameraVersion));
  EXPECT_EQ(dispatched.wakeups, std::vector<Time>{kStart});
  const Output finished = wake(kStart);
  ASSERT_EQ(finished.sends.size(), 1u);
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_SUCCEEDED,
                "already running 10.12.50");
  EXPECT_EQ(host().metrics().upgrades_succeeded, 1u);
}

TEST_F(DeviceHostTest, OverlayTextIsSetAfterTwoSecondsAndACopyIsNotRunAgain) {
  const wire::Envelope overlay =
      dispatch("task-7", kCameraSerial, wire::TASK_ACTION_SET_OVERLAY_TEXT, {{"text", "Gate 3"}},
               minutes(1), true);
  const Output first = receive(kStart, overlay);
  ASSERT_EQ(first.sends.size(), 2u);
  expect_update(first.sends[0], "task-7", wire::TaskUpdate::kAcknowledged);
  expect_update(first.sends[1], "task-7", wire::TaskUpdate::kStarted);
  EXPECT_EQ(first.wakeups, std::vector<Time>{kStart + seconds(2)});

  // A copy while it runs is acknowledged again and changes nothing else.
  const Output copy = receive(kStart + seconds(1), overlay);
  ASSERT_EQ(copy.sends.size(), 1u);
  expect_update(copy.sends[0], "task-7", wire::TaskUpdate::kAcknowledged);
  EXPECT_TRUE(copy.wakeups.empty());

  EXPECT_TRUE(wake(kStart + seconds(2) - microseconds(1)).sends.empty());
  EXPECT_EQ(host().overlay_text(kCameraSerial), "");
  const Output done = wake(kStart + seconds(2));
  ASSERT_EQ(done.sends.size(), 1u);
  expect_result(done.sends[0], "task-7", wire::TASK_OUTCOME_SUCCEEDED, "overlay set");
  EXPECT_EQ(host().overlay_text(kCameraSerial), "Gate 3");
  EXPECT_EQ(host().overlay_text(kHostSerial), "");

  // A copy after it finished is acknowledged and answered with its result again.
  const Output late = receive(kStart + seconds(3), overlay);
  ASSERT_EQ(late.sends.size(), 2u);
  expect_update(late.sends[0], "task-7", wire::TaskUpdate::kAcknowledged);
  expect_result(late.sends[1], "task-7", wire::TASK_OUTCOME_SUCCEEDED, "overlay set");
  EXPECT_TRUE(late.wakeups.empty());
  EXPECT_EQ(host().engine().counters().executions, 1u);
  EXPECT_EQ(host().engine().counters().duplicate_dispatches, 2u);
}

TEST_F(DeviceHostTest, TaskForADeviceNotCarriedFails) {
  const Output dispatched = receive(
      kStart, dispatch("task-1", kStrangerSerial, wire::TASK_ACTION_REBOOT, {}, minutes(5)));
  EXPECT_EQ(dispatched.wakeups, std::vector<Time>{kStart});
  const Output finished = wake(kStart);
  ASSERT_EQ(finished.sends.size(), 1u);
  expect_result(finished.sends[0], "task-1", wire::TASK_OUTCOME_FAILED,
                "not a device of this host");
}

TEST_F(DeviceHostTest, BodiesForTheAgentAreNotTheHosts) {
  wire::Envelope heartbeat_ack;
  heartbeat_ack.mutable_heartbeat_ack()->set_sequence(1);
  std::vector<wire::Envelope> sends;
  std::vector<Time> wakeups;
  EXPECT_FALSE(host().on_envelope(kStart, heartbeat_ack, identity, sends, wakeups));
  EXPECT_TRUE(sends.empty());
  EXPECT_TRUE(wakeups.empty());
}

// ---------------------------------------------------------------------------------------------
// Release checks

TEST_F(DeviceHostTest, ReleaseChecksFollowTheIntervalWithJitterAndSkipWhileOffline) {
  config.release_check_interval = hours(2);
  const Output up = online(kStart);
  EXPECT_TRUE(up.sends.empty());
  ASSERT_EQ(up.wakeups.size(), 1u);
  const Time first = up.wakeups[0];
  EXPECT_GE(first, kStart);
  EXPECT_LT(first, kStart + hours(2));

  // A wake-up for other work before the check sends nothing.
  ASSERT_GT(first, kStart);
  const Output early = wake(first - microseconds(1));
  EXPECT_TRUE(early.sends.empty());
  EXPECT_TRUE(early.wakeups.empty());

  const Output checked = wake(first);
  ASSERT_EQ(checked.sends.size(), 1u);
  ASSERT_TRUE(checked.sends[0].has_release_check());
  EXPECT_EQ(checked.sends[0].release_check().sequence(), 1u);
  ASSERT_EQ(checked.wakeups.size(), 1u);
  const Time second = checked.wakeups[0];
  expect_check_gap(second - first, hours(2));
  // The same instant again (a duplicate wake-up) does not check twice.
  EXPECT_TRUE(wake(first).sends.empty());

  // Offline at the next check: nothing is sent, and the one after is set all the same.
  const Output missed = wake(second, false);
  EXPECT_TRUE(missed.sends.empty());
  ASSERT_EQ(missed.wakeups.size(), 1u);
  const Time third = missed.wakeups[0];
  expect_check_gap(third - second, hours(2));
  EXPECT_NE(third - second, second - first);  // each gap drawn afresh

  // A reconnection keeps the checks where they are.
  const Output again = online(third - minutes(1));
  EXPECT_TRUE(again.wakeups.empty());
  const Output checked_again = wake(third);
  ASSERT_EQ(checked_again.sends.size(), 1u);
  ASSERT_TRUE(checked_again.sends[0].has_release_check());
  EXPECT_EQ(checked_again.sends[0].release_check().sequence(), 2u);
  EXPECT_EQ(host().metrics().release_checks, 2u);
}

TEST_F(DeviceHostTest, ZeroIntervalNeverChecks) {
  const Output up = online(kStart);
  EXPECT_TRUE(up.sends.empty());
  EXPECT_TRUE(up.wakeups.empty());
  EXPECT_TRUE(wake(kStart + hours(48)).sends.empty());
  EXPECT_EQ(host().metrics().release_checks, 0u);
}

// ---------------------------------------------------------------------------------------------
// Release offers

TEST_F(DeviceHostTest, InstallNowCreatesAnUpgradeTaskAtOnce) {
  const wire::Envelope now_offer =
      offer({device_offer(kHostSerial, "install_now", kRecorderRelease)});
  const Output created = receive(kStart, now_offer);
  ASSERT_EQ(created.sends.size(), 2u);
  expect_created(created.sends[0], local_task(1), kHostSerial, wire::TASK_ACTION_UPGRADE_FIRMWARE,
                 kPolicyInstallTimeout);
  EXPECT_EQ(created.sends[0].task_update().created().parameters().at("version"), kRecorderRelease);
  expect_update(created.sends[1], local_task(1), wire::TaskUpdate::kStarted);
  EXPECT_EQ(created.wakeups, std::vector<Time>{kStart + kPolicyInstallTimeout});
  EXPECT_EQ(host().metrics().offers_received, 1u);
  EXPECT_EQ(host().metrics().installs_created, 1u);
  EXPECT_EQ(host().metrics().installs_scheduled, 0u);

  // The next check's answer offers it again while it installs: ignored.
  const Output repeated = receive(kStart + seconds(10), now_offer);
  EXPECT_TRUE(repeated.sends.empty());
  EXPECT_TRUE(repeated.wakeups.empty());
  EXPECT_EQ(host().metrics().offers_received, 2u);
  EXPECT_EQ(host().metrics().installs_created, 1u);

  EXPECT_EQ(download(created, kRecorderImageBytes, kStart + kRecorderDownload).wakeups,
            std::vector<Time>{kStart + kRecorderDownload + kAfterDownload});
  const Output finished = wake(kStart + seconds(145));
  ASSERT_EQ(finished.sends.size(), 2u);
  expect_os_report(finished.sends[0], kHostSerial, kRecorderRelease, "lts-2024");
  expect_result(finished.sends[1], local_task(1), wire::TASK_OUTCOME_SUCCEEDED, "upgraded");
  // Now running it, the host ignores the offer.
  EXPECT_TRUE(receive(kStart + hours(1), now_offer).sends.empty());
  EXPECT_EQ(host().metrics().installs_created, 1u);
  EXPECT_EQ(host().engine().counters().executions, 1u);
}

// The offer puts the install on the clock at a time drawn inside the window and fetches the image
// at once (outside its window a device may download, not install); at its time the install runs
// verify, install and reboot on the image already in.
TEST_F(DeviceHostTest, InstallInWindowStartsAtATimeDrawnInsideTheWindow) {
  const Time start_after = kStart + hours(1);
  const Time start_before = kStart + hours(3);
  const wire::Envelope window_offer = offer({device_offer(
      kCameraSerial, "install_in_window", kCameraRelease, start_after, start_before)});
  const Output scheduled = receive(kStart, window_offer);
  EXPECT_TRUE(scheduled.sends.empty());
  ASSERT_EQ(scheduled.wakeups.size(), 1u);
  const Time at = scheduled.wakeups[0];
  EXPECT_GE(at, start_after);
  EXPECT_LE(at, start_before);
  EXPECT_EQ(host().metrics().installs_scheduled, 1u);
  EXPECT_EQ(host().metrics().installs_created, 0u);
  EXPECT_EQ(host().engine().remembered_count(), 0u);

  // The same offer again keeps the time drawn and fetches nothing more.
  const Output repeated = receive(kStart + minutes(30), window_offer);
  EXPECT_TRUE(repeated.sends.empty());
  EXPECT_TRUE(repeated.wakeups.empty());
  EXPECT_TRUE(repeated.transfers.empty());
  EXPECT_EQ(host().metrics().installs_scheduled, 1u);
  const Output fetched = download(scheduled, kCameraImageBytes, kStart + kCameraDownload);
  EXPECT_TRUE(fetched.sends.empty());
  EXPECT_EQ(host().metrics().images_prefetched, 1u);

  EXPECT_TRUE(wake(at - microseconds(1)).sends.empty());
  EXPECT_EQ(host().engine().remembered_count(), 0u);
  const Output started = wake(at);
  ASSERT_EQ(started.sends.size(), 2u);
  expect_created(started.sends[0], local_task(1), kCameraSerial, wire::TASK_ACTION_UPGRADE_FIRMWARE,
                 kPolicyInstallTimeout);
  expect_update(started.sends[1], local_task(1), wire::TaskUpdate::kStarted);
  EXPECT_TRUE(started.transfers.empty()) << "the image is in";
  const Time done = at + kAfterDownload;
  EXPECT_EQ(started.wakeups, std::vector<Time>{done});
  EXPECT_EQ(host().metrics().installs_created, 1u);

  // While it installs, neither offer kind starts another.
  EXPECT_TRUE(receive(at + seconds(1), window_offer).wakeups.empty());
  const Output now_offer =
      receive(at + seconds(1), offer({device_offer(kCameraSerial, "install_now", kCameraRelease)}));
  EXPECT_TRUE(now_offer.sends.empty());
  EXPECT_EQ(host().metrics().installs_scheduled, 1u);
  EXPECT_EQ(host().metrics().installs_created, 1u);

  const Output finished = wake(done);
  ASSERT_EQ(finished.sends.size(), 2u);
  expect_os_report(finished.sends[0], kCameraSerial, kCameraRelease, "active");
  expect_result(finished.sends[1], local_task(1), wire::TASK_OUTCOME_SUCCEEDED, "to 12.1.5");
  EXPECT_EQ(identity.hosted[0].os_version, kCameraRelease);
  EXPECT_EQ(host().engine().counters().executions, 1u);
}

// A slow link: the image is still on its way when the install's time comes. The install waits for
// it and starts the moment it is in, inside the window.
TEST_F(DeviceHostTest, AnInstallWhoseImageIsLateStartsWhenItIsIn) {
  const Output scheduled =
      receive(kStart, offer({device_offer(kCameraSerial, "install_in_window", kCameraRelease,
                                          kStart + minutes(1), kStart + minutes(2))}));
  ASSERT_EQ(scheduled.wakeups.size(), 1u);
  const Time at = scheduled.wakeups[0];
  const Output due = wake(at);
  EXPECT_TRUE(due.sends.empty());
  EXPECT_EQ(due.wakeups, std::vector<Time>{kStart + minutes(2)}) << "waits no longer than that";
  const Time in = std::max(at, kStart + minutes(1) + seconds(30));
  ASSERT_LT(in, kStart + minutes(2));
  const Output started = download(scheduled, kCameraImageBytes, in);
  ASSERT_EQ(started.sends.size(), 2u);
  expect_update(started.sends[1], local_task(1), wire::TaskUpdate::kStarted);
  EXPECT_EQ(started.wakeups, std::vector<Time>{in + kAfterDownload});
  EXPECT_EQ(host().metrics().installs_postponed, 0u);
}

// Still not in at the window's last start: the install is given up for this window, no task
// starts, and the next offer puts it on the clock again.
TEST_F(DeviceHostTest, AnInstallWhoseImageMissesTheWindowWaitsForTheNext) {
  const wire::Envelope window_offer =
      offer({device_offer(kCameraSerial, "install_in_window", kCameraRelease, kStart + minutes(1),
                          kStart + minutes(2))});
  const Output scheduled = receive(kStart, window_offer);
  ASSERT_EQ(scheduled.wakeups.size(), 1u);
  wake(scheduled.wakeups[0]);
  const Output late = wake(kStart + minutes(2));
  EXPECT_TRUE(late.sends.empty());
  EXPECT_EQ(host().metrics().installs_postponed, 1u);
  EXPECT_EQ(host().metrics().installs_created, 0u);
  // The image lands after the window: kept for the next one, no install now.
  EXPECT_TRUE(download(scheduled, kCameraImageBytes, kStart + minutes(3)).sends.empty());
  const Output next =
      receive(kStart + hours(1),
              offer({device_offer(kCameraSerial, "install_in_window", kCameraRelease,
                                  kStart + hours(24), kStart + hours(25), kStart + hours(1))}));
  ASSERT_EQ(next.wakeups.size(), 1u);
  EXPECT_TRUE(next.transfers.empty()) << "the image is in already";
  const Output started = wake(next.wakeups[0]);
  ASSERT_EQ(started.sends.size(), 2u);
  EXPECT_EQ(started.wakeups, std::vector<Time>{next.wakeups[0] + kAfterDownload});
}

TEST_F(DeviceHostTest, WindowAlreadyOpenStartsNoEarlierThanNowAndAnEmptyOneIsIgnored) {
  const Output open =
      receive(kStart, offer({device_offer(kCameraSerial, "install_in_window", kCameraRelease,
                                          kStart - hours(1), kStart + hours(1))}));
  ASSERT_EQ(open.wakeups.size(), 1u);
  EXPECT_GE(open.wakeups[0], kStart);
  EXPECT_LE(open.wakeups[0], kStart + hours(1));

  // A last start before the first: no time to start in.
  const Output closed =
      receive(kStart, offer({device_offer(kOtherCameraSerial, "install_in_window", kCameraRelease,
                                          kStart + hours(2), kStart + hours(1))}));
  EXPECT_TRUE(closed.wakeups.empty());
  EXPECT_EQ(host().metrics().installs_scheduled, 1u);
}

TEST_F(DeviceHostTest, RecommendationIsOnlyCounted) {
  const Output recommended =
      receive(kStart, offer({device_offer(kHostSerial, "recommend", kRecorderRelease),
                             device_offer(kCameraSerial, "recommend", kCameraRelease)}));
  EXPECT_TRUE(recommended.sends.empty());
  EXPECT_TRUE(recommended.wakeups.empty());
  EXPECT_EQ(host().metrics().offers_received, 1u);
  EXPECT_EQ(host().metrics().recommendations, 2u);
  EXPECT_EQ(host().metrics().installs_scheduled, 0u);
  EXPECT_EQ(host().metrics().installs_created, 0u);
  EXPECT_EQ(host().engine().remembered_count(), 0u);
}

TEST_F(DeviceHostTest, OfferForADeviceNotCarriedOrAlreadyRunningItIsIgnored) {
  const Output ignored =
      receive(kStart, offer({device_offer(kStrangerSerial, "install_now", kCameraRelease),
                             device_offer(kStrangerSerial, "install_in_window", kCameraRelease,
                                          kStart, kStart + hours(1)),
                             device_offer(kCameraSerial, "install_now", kCameraVersion)}));
  EXPECT_TRUE(ignored.sends.empty());
  EXPECT_TRUE(ignored.wakeups.empty());
  EXPECT_EQ(host().metrics().offers_received, 1u);
  EXPECT_EQ(host().metrics().installs_scheduled, 0u);
  EXPECT_EQ(host().metrics().installs_created, 0u);
  EXPECT_EQ(host().engine().remembered_count(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Telemetry

TEST_F(DeviceHostTest, TelemetryGoesOnlyForConsentedDevicesEachInterval) {
  config.telemetry_interval = hours(1);
  EXPECT_TRUE(online(kStart).wakeups.empty());
  // Without consent nothing is sent, whenever the host wakes.
  EXPECT_TRUE(wake(kStart + hours(1)).sends.empty());
  // Consent for a device this host does not carry is ignored.
  EXPECT_TRUE(receive(kStart + hours(1), consent(kStrangerSerial, true)).wakeups.empty());

  const Output granted = receive(kStart + hours(1), consent(kCameraSerial, true));
  EXPECT_TRUE(granted.sends.empty());
  EXPECT_EQ(granted.wakeups, std::vector<Time>{kStart + hours(2)});
  // 48 crashes a day over an hour's sample: exactly 2, each time.
  for (int sample = 2; sample <= 4; ++sample) {
    const Time at = kStart + hours(sample);
    const Output o = wake(at);
    ASSERT_EQ(o.sends.size(), 1u) << "sample at hour " << sample;
    expect_telemetry(o.sends[0], kCameraSerial, 420, 873, 2);
    EXPECT_EQ(o.wakeups, std::vector<Time>{at + hours(1)});
  }

  // The host's own consent joins the running schedule.
  EXPECT_TRUE(receive(kStart + hours(4) + minutes(30), consent(kHostSerial, true)).wakeups.empty());
  const Output both = wake(kStart + hours(5));
  ASSERT_EQ(both.sends.size(), 2u);
  expect_telemetry(both.sends[0], kHostSerial, 300, 1000, 0);
  expect_telemetry(both.sends[1], kCameraSerial, 420, 873, 2);

  // Offline: the sample is not sent, the next one is still set.
  const Output offline = wake(kStart + hours(6), false);
  EXPECT_TRUE(offline.sends.empty());
  EXPECT_EQ(offline.wakeups, std::vector<Time>{kStart + hours(7)});

  receive(kStart + hours(6) + minutes(1), consent(kCameraSerial, false));
  const Output host_only = wake(kStart + hours(7));
  ASSERT_EQ(host_only.sends.size(), 1u);
  expect_telemetry(host_only.sends[0], kHostSerial, 300, 1000, 0);

  receive(kStart + hours(7) + minutes(1), consent(kHostSerial, false));
  const Output none = wake(kStart + hours(8));
  EXPECT_TRUE(none.sends.empty());
  EXPECT_TRUE(none.wakeups.empty());
  EXPECT_EQ(host().metrics().telemetry_sent, 3u + 2u + 1u);
}

// ---------------------------------------------------------------------------------------------
// Restart and adoption

TEST_F(DeviceHostTest, RestartFailsTheRunningUpgradesAndRunsTheQueuedTasks) {
  config.engine.workers = 2;
  online(kStart);
  const Output first = receive(kStart, upgrade("task-1", kHostSerial, kRecorderRelease));
  const Output second = receive(kStart, upgrade("task-2", kCameraSerial, kCameraRelease));
  ASSERT_EQ(first.transfers.size(), 1u);
  ASSERT_EQ(second.transfers.size(), 1u);
  EXPECT_NE(first.transfers[0].id, second.transfers[0].id);
  // task-1's image is in before the crash (145 s to go), task-2's is still on its way.
  EXPECT_EQ(transfer_done(kStart + kRecorderDownload, first.transfers[0].id).wakeups,
            std::vector<Time>{kStart + seconds(145)});
  const Output third = receive(kStart, upgrade("task-3", kOtherCameraSerial, kCameraRelease));
  ASSERT_EQ(third.sends.size(), 1u);  // queued: acknowledged, not started
  expect_update(third.sends[0], "task-3", wire::TaskUpdate::kAcknowledged);
  receive(kStart, dispatch("task-4", kCameraSerial, wire::TASK_ACTION_SET_OVERLAY_TEXT,
                           {{"text", "Dock"}}, hours(1), true));
  EXPECT_EQ(host().engine().running_count(), 2u);
  EXPECT_EQ(host().engine().queued_count(), 2u);

  const Time crash = kStart + seconds(60);
  Output restarted = restart(crash);
  // The queued tasks take the freed workers at once: task-4 (2 s) and task-3, whose download
  // starts (until it is in, its deadline wakes the engine).
  std::sort(restarted.wakeups.begin(), restarted.wakeups.end());
  EXPECT_EQ(restarted.wakeups, (std::vector<Time>{crash + seconds(2), kStart + hours(1)}));
  ASSERT_EQ(restarted.transfers.size(), 1u);
  EXPECT_EQ(restarted.transfers[0].bytes, kCameraImageBytes);
  // task-2's download lands after the restart: it belongs to a run that no longer is.
  EXPECT_TRUE(transfer_done(crash + seconds(1), second.transfers[0].id).wakeups.empty());
  EXPECT_EQ(transfer_done(crash + kCameraDownload, restarted.transfers[0].id).wakeups,
            std::vector<Time>{crash + seconds(127)});
  EXPECT_EQ(host().metrics().restarts, 1u);
  EXPECT_EQ(host().engine().counters().lost_to_restart, 2u);
  EXPECT_EQ(host().executions(), 4u);

  // Still booting: the overlay finishes, its result kept for the connection.
  EXPECT_TRUE(wake(crash + seconds(2), false).sends.empty());
  EXPECT_EQ(host().overlay_text(kCameraSerial), "Dock");

  const Output back = online(crash + kHostBootTime);
  // Starts before results, as the outbox orders them; each kind in arrival order.
  ASSERT_EQ(back.sends.size(), 4u);
  expect_update(back.sends[0], "task-3", wire::TaskUpdate::kStarted);
  expect_result(back.sends[1], "task-1", wire::TASK_OUTCOME_FAILED, "host restarted");
  expect_result(back.sends[2], "task-2", wire::TASK_OUTCOME_FAILED, "host restarted");
  expect_result(back.sends[3], "task-4", wire::TASK_OUTCOME_SUCCEEDED, "overlay set");

  // The wake-ups the lost runs asked for find nothing to do.
  EXPECT_TRUE(wake(kStart + seconds(127)).sends.empty());
  EXPECT_TRUE(wake(kStart + seconds(145)).sends.empty());

  const Output done = wake(crash + seconds(127));
  ASSERT_EQ(done.sends.size(), 2u);
  expect_os_report(done.sends[0], kOtherCameraSerial, kCameraRelease, "active");
  expect_result(done.sends[1], "task-3", wire::TASK_OUTCOME_SUCCEEDED, "to 12.1.5");
  EXPECT_EQ(identity.os_version, kHostVersion);
  EXPECT_EQ(identity.hosted[0].os_version, kCameraVersion);
  EXPECT_EQ(identity.hosted[1].os_version, kCameraRelease);
  EXPECT_EQ(host().engine().counters().executions, 2u);
  EXPECT_EQ(host().metrics().executions_before_restart, 2u);
  EXPECT_EQ(host().executions(), 4u);
  // The two upgrades lost to the restart count as failed upgrades; the one re-planned after it
  // succeeded.
  EXPECT_EQ(host().metrics().upgrades_failed, 2u);
  EXPECT_EQ(host().metrics().upgrades_succeeded, 1u);
}

TEST_F(DeviceHostTest, AdoptionIsAHostTaskThatSucceedsAfterTwentySeconds) {
  online(kStart);
  const Output adopted = adopt(kStart, kOtherCameraSerial);
  EXPECT_TRUE(adopted.accepted);
  ASSERT_EQ(adopted.sends.size(), 2u);
  expect_created(adopted.sends[0], local_task(1), kOtherCameraSerial,
                 wire::TASK_ACTION_ADOPT_DEVICE, kAdoptionTimeout);
  expect_update(adopted.sends[1], local_task(1), wire::TaskUpdate::kStarted);
  EXPECT_EQ(adopted.wakeups, std::vector<Time>{kStart + seconds(20)});

  EXPECT_TRUE(wake(kStart + seconds(20) - microseconds(1)).sends.empty());
  const Output done = wake(kStart + seconds(20));
  ASSERT_EQ(done.sends.size(), 1u);
  expect_result(done.sends[0], local_task(1), wire::TASK_OUTCOME_SUCCEEDED, "adopted");
}

TEST_F(DeviceHostTest, AdoptionWhileOfflineIsReportedAtTheConnection) {
  const Output adopted = adopt(kStart, kCameraSerial, false);
  EXPECT_TRUE(adopted.accepted);
  EXPECT_TRUE(adopted.sends.empty());
  EXPECT_EQ(adopted.wakeups, std::vector<Time>{kStart + seconds(20)});

  const Output up = online(kStart + seconds(5));
  ASSERT_EQ(up.sends.size(), 2u);
  expect_created(up.sends[0], local_task(1), kCameraSerial, wire::TASK_ACTION_ADOPT_DEVICE,
                 kAdoptionTimeout);
  EXPECT_TRUE(up.sends[0].task_update().created().started());
  expect_update(up.sends[1], local_task(1), wire::TaskUpdate::kStarted);
}

TEST_F(DeviceHostTest, AdoptionIsRefusedWhenTheEngineIsFull) {
  config.engine.workers = 1;
  config.engine.queue_max = 1;
  EXPECT_TRUE(adopt(kStart, kCameraSerial).accepted);       // runs
  EXPECT_TRUE(adopt(kStart, kOtherCameraSerial).accepted);  // waits
  const Output refused = adopt(kStart, kOtherCameraSerial);
  EXPECT_FALSE(refused.accepted);
  EXPECT_TRUE(refused.sends.empty());
  EXPECT_EQ(host().metrics().local_tasks_refused, 1u);
}

// ---------------------------------------------------------------------------------------------
// Through the agent

std::string accepted_hello_ack() {
  wire::Envelope e;
  e.mutable_hello_ack()->set_accepted(true);
  e.set_source("platform");
  e.set_destination(kHostSerial);
  e.set_correlation_id(1);
  e.set_sent_at_us(1);
  return wire::encode_frame(e);
}

TEST(DeviceHostAgent, RestartClosesTheConnectionAndConnectsAgainAfterBoot) {
  const DeviceAgentConfig config;
  DeviceAgent agent(recorder_identity(), config, core::RandomStream(1, core::kDeviceStreamBase));
  // The public host() is the const one: the agent's own host() is private.
  const DeviceAgent& seen = agent;
  core::Outbox out;
  agent.start_at(kStart, out);
  out.clear();
  agent.on_wakeup(kStart, out);
  ASSERT_TRUE(out.connect);
  agent.on_connected(kStart, out);
  agent.on_frame(kStart, accepted_hello_ack(), out);
  ASSERT_EQ(agent.state(), AgentState::kOnline);

  const Time restart_at = kStart + minutes(3);
  out.clear();
  agent.restart(restart_at, out);
  EXPECT_FALSE(out.closes.empty());
  EXPECT_FALSE(out.connect);
  EXPECT_EQ(agent.state(), AgentState::kIdle);
  EXPECT_NE(std::find(out.wakeups.begin(), out.wakeups.end(), restart_at + kHostBootTime),
            out.wakeups.end());
  ASSERT_NE(seen.host(), nullptr);
  EXPECT_EQ(seen.host()->metrics().restarts, 1u);
  EXPECT_EQ(agent.metrics().restarts, 1u);

  // The heartbeat due before the restart is forgotten; the connection waits for the boot.
  out.clear();
  agent.on_wakeup(restart_at + kHostBootTime - microseconds(1), out);
  EXPECT_FALSE(out.connect);
  EXPECT_TRUE(out.sends.empty());
  agent.on_wakeup(restart_at + kHostBootTime, out);
  EXPECT_TRUE(out.connect);
}

TEST(DeviceHostAgent, AddDeviceLocallyAdoptsOnlyADeviceItCarries) {
  const DeviceAgentConfig config;
  DeviceAgent agent(recorder_identity(), config, core::RandomStream(1, core::kDeviceStreamBase));
  // The public host() is the const one: the agent's own host() is private.
  const DeviceAgent& seen = agent;
  core::Outbox out;
  EXPECT_FALSE(agent.add_device_locally(kStart, kHostSerial, out));
  EXPECT_FALSE(agent.add_device_locally(kStart, kStrangerSerial, out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(seen.host(), nullptr);

  EXPECT_TRUE(agent.add_device_locally(kStart, kCameraSerial, out));
  ASSERT_NE(seen.host(), nullptr);
  EXPECT_EQ(seen.host()->engine().remembered_count(), 1u);
  EXPECT_TRUE(out.sends.empty());  // offline: reported at the next connection
  EXPECT_EQ(out.wakeups, std::vector<Time>{kStart + seconds(20)});
}

}  // namespace
}  // namespace ccsim::devices

// The platform node's side of device work (platform_node_work.cpp), over the wire: frames from
// hosts go in through on_frame after their hello, and what the node sends comes out of its
// Outbox. Tasks and their receipts, tasks hosts create, rollouts, release checks and offers,
// telemetry and diagnostics consent, and hosts going away and coming back.
#include "platform/platform_node.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/random_stream.h"
#include "devices/webrtc_peer.h"
#include "platform/owner_key.h"

namespace ccsim::platform {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr HeartbeatPolicy kPolicy{minutes(1), 3};
constexpr std::string_view kRelease = "11.11.120";  // on lts-2024, newer than what devices run

// A time or duration as the wire carries it.
std::uint64_t wire_us(Duration duration) {
  return static_cast<std::uint64_t>(duration.count());
}

// ---- Frames --------------------------------------------------------------------------------

std::string frame_from(const std::string& serial, std::uint64_t correlation_id,
                       wire::Envelope envelope) {
  envelope.set_source(serial);
  envelope.set_destination(std::string(kPlatformAddress));
  envelope.set_correlation_id(correlation_id);
  envelope.set_sent_at_us(1);
  return wire::encode_frame(envelope);
}

// A hello on lan-a, naming for a host the Tier-2 devices it carries.
std::string hello(const std::string& serial, const std::vector<std::string>& hosted = {}) {
  wire::Envelope e;
  wire::DeviceHello* h = e.mutable_hello();
  h->set_serial(serial);
  h->set_model("tier1-bullet");
  h->set_tier(1);
  h->set_os_version("11.11.0");
  h->set_agent_version("test");
  h->set_os_track("lts-2024");
  h->set_lan("lan-a");
  for (const std::string& carried : hosted) {
    wire::HostedDevice* d = h->add_hosted();
    d->set_serial(carried);
    d->set_model("tier2-dome");
    d->set_os_version("11.11.0");
    d->set_os_track("lts-2024");
  }
  return frame_from(serial, 1, e);
}

std::string goodbye(const std::string& serial) {
  wire::Envelope e;
  e.mutable_goodbye()->set_reason("shutdown");
  return frame_from(serial, 2, e);
}

std::string provision_ack(const std::string& serial, const std::string& os_version) {
  wire::Envelope e;
  wire::ProvisionAck* a = e.mutable_provision_ack();
  a->set_serial(serial);
  a->set_accepted(true);
  a->set_os_version(os_version);
  a->set_os_track("lts-2024");
  return frame_from(serial, 3, e);
}

std::string acknowledged(const std::string& host, const TaskId& task) {
  wire::Envelope e;
  e.mutable_task_update()->set_task(task);
  e.mutable_task_update()->set_acknowledged(true);
  return frame_from(host, 4, e);
}

std::string started(const std::string& host, const TaskId& task) {
  wire::Envelope e;
  e.mutable_task_update()->set_task(task);
  e.mutable_task_update()->set_started(true);
  return frame_from(host, 4, e);
}

std::string result(const std::string& host, const TaskId& task,
                   wire::TaskOutcome outcome = wire::TASK_OUTCOME_SUCCEEDED) {
  wire::Envelope e;
  e.mutable_task_update()->set_task(task);
  e.mutable_task_update()->mutable_result()->set_outcome(outcome);
  e.mutable_task_update()->mutable_result()->set_detail("applied");
  return frame_from(host, 4, e);
}

std::string created(const std::string& host, const TaskId& task, const std::string& device,
                    core::Duration timeout) {
  wire::Envelope e;
  e.mutable_task_update()->set_task(task);
  wire::HostTask* c = e.mutable_task_update()->mutable_created();
  c->set_device(device);
  c->set_action(wire::TASK_ACTION_ADOPT_DEVICE);
  c->set_timeout_us(wire_us(timeout));
  c->set_started(true);
  return frame_from(host, 4, e);
}

std::string release_check(const std::string& host, std::uint64_t sequence,
                          std::uint64_t correlation_id) {
  wire::Envelope e;
  e.mutable_release_check()->set_sequence(sequence);
  return frame_from(host, correlation_id, e);
}

std::string telemetry(const std::string& host, const std::string& serial) {
  wire::Envelope e;
  wire::Telemetry* t = e.mutable_telemetry();
  t->set_serial(serial);
  t->set_load_permille(500);
  t->set_sd_card_health_permille(900);
  t->set_crashes(0);
  return frame_from(host, 5, e);
}

wire::Envelope decoded(const std::string& frame) {
  wire::Envelope e;
  auto decoding = wire::decode_frame(frame, e);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(decoding)) << "platform sent a bad frame";
  return e;
}

struct Sent {
  ConnectionId connection;
  wire::Envelope envelope;
};

// The frames in `out` with body `body`, decoded, in the order they were sent.
std::vector<Sent> sent(const core::Outbox& out, wire::Envelope::BodyCase body) {
  std::vector<Sent> found;
  for (const core::Outbox::Send& send : out.sends) {
    wire::Envelope e = decoded(send.frame);
    if (e.body_case() == body) found.push_back({send.connection, std::move(e)});
  }
  return found;
}

TaskSeriesRequest firmware(std::vector<std::string> devices,
                           std::string version = std::string(kRelease)) {
  return TaskSeriesRequest{"upgrade",
                           TaskPayload{wire::TASK_ACTION_UPGRADE_FIRMWARE,
                                       {{std::string(kParameterVersion), std::move(version)}}},
                           std::move(devices), std::nullopt};
}

TaskSeriesRequest overlay(std::vector<std::string> devices) {
  return TaskSeriesRequest{
      "overlay",
      TaskPayload{wire::TASK_ACTION_SET_OVERLAY_TEXT, {{std::string(kParameterText), "Gate"}}},
      std::move(devices), std::nullopt};
}

// ---- Fixture -------------------------------------------------------------------------------

// Acme, with its owner Olivia, a device-management license, the managed profile "managed-lts"
// (the default), a connected one and a managed one with an update window (02:00-06:00 UTC every
// day). The factory registered CAM-1..CAM-4 (Tier-1 cameras), DOME-1 and DOME-2 (Tier-2) and the
// recorder REC-1. Release 11.11.120 is published on lts-2024; devices run 11.11.0.
class PlatformNodeWorkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_ = must(plane_.identity_store.register_user("olivia@acme.example", "Olivia"));
    organization_ = must(plane_.tenancy.create_organization(Time{}, owner_, "Acme", "eu-west"));
    ASSERT_TRUE(
        plane_.tenancy
            .set_license(Time{}, owner_, organization_, std::string(kDeviceManagementService), 10)
            .ok());
    for (const DeviceProfile& profile :
         {DeviceProfile{"managed-lts", DeviceMode::kManaged, "lts-2024", {}, {}},
          DeviceProfile{"connected", DeviceMode::kConnected, "lts-2024", {}, {}},
          DeviceProfile{"managed-window", DeviceMode::kManaged, "lts-2024", {}, {}}}) {
      ASSERT_TRUE(plane_.registry.define_profile(Time{}, owner_, organization_, profile).ok());
    }
    ASSERT_TRUE(
        plane_.registry.set_default_profile(Time{}, owner_, organization_, "managed-lts").ok());
    ASSERT_TRUE(plane_.software
                    .set_profile_policy(
                        organization_, "managed-window",
                        ProfileUpdatePolicy{
                            UpdatePolicyKind::kLatest, "",
                            UpdateWindowRule{WeekdaySet{}.set(), minutes(2 * 60), minutes(4 * 60)},
                            std::nullopt})
                    .ok());
    ASSERT_TRUE(plane_.software.catalog()
                    .publish(Release{std::string(kRelease), "lts-2024", 500'000'000, Time{}})
                    .ok());
    std::vector<FactoryRecord> records;
    for (const char* serial : {"CAM-1", "CAM-2", "CAM-3", "CAM-4"}) {
      records.push_back(factory(serial, DeviceKind::kCamera, DeviceTier::kTier1));
    }
    records.push_back(factory("DOME-1", DeviceKind::kCamera, DeviceTier::kTier2));
    records.push_back(factory("DOME-2", DeviceKind::kCamera, DeviceTier::kTier2));
    records.push_back(factory("REC-1", DeviceKind::kRecorder, DeviceTier::kTier1));
    ASSERT_EQ(must(plane_.registry.register_devices(Time{}, records)), records.size());
    node_.start(Time{}, out_);
  }

  FactoryRecord factory(const std::string& serial, DeviceKind kind, DeviceTier tier) {
    const std::string oak = generate_owner_key(keys_);
    oaks_[serial] = oak;
    return FactoryRecord{serial, "model-" + serial, kind, tier, oak, {}, {}, "11.11.0"};
  }

  core::Outbox& frame(Time now, ConnectionId connection, const std::string& f) {
    out_.clear();
    node_.on_frame(now, connection, f, out_);
    return out_;
  }
  core::Outbox& wakeup(Time now) {
    out_.clear();
    node_.on_wakeup(now, out_);
    return out_;
  }

  // Hello on `connection`, the owner's claim, the device's acceptance running `os_version`.
  void onboard(Time now, ConnectionId connection, const std::string& serial,
               std::optional<std::string> profile = std::nullopt,
               const std::string& os_version = "11.11.0") {
    frame(now, connection, hello(serial));
    ASSERT_TRUE(node_
                    .claim(now,
                           ClaimRequest{owner_, organization_, serial, oaks_.at(serial), profile,
                                        std::nullopt, std::nullopt},
                           out_)
                    .ok());
    frame(now, connection, provision_ack(serial, os_version));
    ASSERT_EQ(must(plane_.registry.device(serial)).state.status, OnboardingStatus::kOnboarded);
  }

  // REC-1 onboarded on `connection`, carrying DOME-1, onboarded through it.
  void onboard_recorder(Time now, ConnectionId connection) {
    frame(now, connection, hello("REC-1", {"DOME-1"}));
    ASSERT_TRUE(node_
                    .claim(now,
                           ClaimRequest{owner_, organization_, "REC-1", oaks_.at("REC-1"),
                                        std::nullopt, std::nullopt, std::nullopt},
                           out_)
                    .ok());
    frame(now, connection, provision_ack("REC-1", "11.11.0"));
    ASSERT_TRUE(node_
                    .claim(now,
                           ClaimRequest{owner_, organization_, "DOME-1", oaks_.at("DOME-1"),
                                        std::nullopt, std::string("REC-1"), std::nullopt},
                           out_)
                    .ok());
    frame(now, connection, provision_ack("DOME-1", "11.11.0"));
    ASSERT_EQ(must(plane_.registry.device("DOME-1")).state.status, OnboardingStatus::kOnboarded);
  }

  Result<TaskSeries> create(Time now, const TaskSeriesRequest& request) {
    out_.clear();
    return node_.create_task_series(now, owner_, organization_, request, out_);
  }
  Task task(const TaskId& id) const { return must(plane_.tasks.task(id)); }
  TaskId only_task(const TaskSeries& series) const {
    const std::vector<Task> tasks = must(plane_.tasks.series_tasks(series.id));
    EXPECT_EQ(tasks.size(), 1u);
    return tasks.empty() ? TaskId{} : tasks[0].id;
  }
  const PlatformMetrics& metrics() const { return node_.metrics(); }

  ControlPlane plane_{7};
  core::RandomStream keys_{7, 99};
  PlatformNode node_{kPolicy, 100, nullptr, &plane_, OnboardingPolicy{minutes(10)}};
  core::Outbox out_;
  std::map<std::string, std::string> oaks_;
  UserId owner_;
  OrganizationId organization_;
};

// ---- Tasks ---------------------------------------------------------------------------------

TEST_F(PlatformNodeWorkTest, AHostsHelloSendsTheDispatchesOfASeriesCreatedBefore) {
  onboard(seconds(1), 4, "CAM-1");
  frame(seconds(2), 4, goodbye("CAM-1"));
  const TaskSeries series = must(create(seconds(3), firmware({"CAM-1"})));
  EXPECT_TRUE(sent(out_, wire::Envelope::kTaskDispatch).empty());
  const TaskId id = only_task(series);
  EXPECT_EQ(task(id).status, TaskStatus::kQueued);

  core::Outbox& out = frame(seconds(4), 5, hello("CAM-1"));
  ASSERT_FALSE(out.sends.empty());
  EXPECT_TRUE(decoded(out.sends[0].frame).has_hello_ack());
  const std::vector<Sent> dispatches = sent(out, wire::Envelope::kTaskDispatch);
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0].connection, 5u);
  EXPECT_EQ(dispatches[0].envelope.destination(), "CAM-1");
  EXPECT_EQ(dispatches[0].envelope.sent_at_us(), 4'000'000u);
  const wire::TaskDispatch& dispatch = dispatches[0].envelope.task_dispatch();
  EXPECT_EQ(dispatch.task(), id);
  EXPECT_EQ(dispatch.device(), "CAM-1");
  EXPECT_EQ(dispatch.action(), wire::TASK_ACTION_UPGRADE_FIRMWARE);
  ASSERT_EQ(dispatch.parameters().size(), 1u);
  EXPECT_EQ(dispatch.parameters().at(std::string(kParameterVersion)), kRelease);
  EXPECT_EQ(dispatch.time_left_us(), wire_us(seconds(3) + hours(2) - seconds(4)));
  EXPECT_FALSE(dispatch.rerun_after_restart());
  EXPECT_EQ(dispatch.delivery(), 1u);
  EXPECT_EQ(task(id).status, TaskStatus::kDispatched);

  // Acknowledged, started, succeeded: the result is receipted, to stop the host re-sending it.
  EXPECT_TRUE(frame(seconds(5), 5, acknowledged("CAM-1", id)).sends.empty());
  EXPECT_EQ(task(id).acknowledged_at, seconds(5));
  EXPECT_TRUE(frame(seconds(6), 5, started("CAM-1", id)).sends.empty());
  EXPECT_EQ(task(id).status, TaskStatus::kRunning);
  core::Outbox& finished = frame(minutes(1), 5, result("CAM-1", id));
  EXPECT_EQ(task(id).status, TaskStatus::kSucceeded);
  EXPECT_EQ(task(id).detail, "applied");
  const std::vector<Sent> receipts = sent(finished, wire::Envelope::kTaskReceipt);
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].connection, 5u);
  EXPECT_EQ(receipts[0].envelope.destination(), "CAM-1");
  EXPECT_EQ(receipts[0].envelope.task_receipt().task(), id);
  EXPECT_FALSE(receipts[0].envelope.task_receipt().host_task());
  EXPECT_EQ(metrics().task_updates, 3u);
  ASSERT_EQ(node_.notifications().size(), 1u);
  EXPECT_EQ(node_.notifications()[0].series, series.id);
  EXPECT_EQ(node_.notifications()[0].user, owner_);
  EXPECT_EQ(metrics().task_notifications, 1u);

  // A copy of the result changes nothing, and is receipted again.
  EXPECT_EQ(sent(frame(minutes(1) + seconds(1), 5, result("CAM-1", id, wire::TASK_OUTCOME_FAILED)),
                 wire::Envelope::kTaskReceipt)
                .size(),
            1u);
  EXPECT_EQ(task(id).status, TaskStatus::kSucceeded);
  EXPECT_EQ(plane_.tasks.counters().duplicate_reports, 1u);
}

TEST_F(PlatformNodeWorkTest, ASeriesForAConnectedHostIsSentAtOnce) {
  onboard(seconds(1), 4, "CAM-1");
  const TaskSeries series = must(create(seconds(2), overlay({"CAM-1"})));
  const std::vector<Sent> dispatches = sent(out_, wire::Envelope::kTaskDispatch);
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0].connection, 4u);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().task(), only_task(series));
  EXPECT_TRUE(dispatches[0].envelope.task_dispatch().rerun_after_restart());
  // The node asks to be woken for the acknowledgement's timeout.
  EXPECT_NE(std::find(out_.wakeups.begin(), out_.wakeups.end(), seconds(2) + seconds(30)),
            out_.wakeups.end());
}

// An outcome the schema does not name (a newer host's), or none at all, is a bad frame: counted
// as one, and the task stays as it was.
TEST_F(PlatformNodeWorkTest, AnUnknownOrMissingOutcomeIsRefusedAndTheTaskStaysRunning) {
  onboard(seconds(1), 4, "CAM-1");
  const TaskId id = only_task(must(create(seconds(2), overlay({"CAM-1"}))));
  frame(seconds(3), 4, started("CAM-1", id));
  frame(seconds(4), 4, result("CAM-1", id, static_cast<wire::TaskOutcome>(9)));
  frame(seconds(5), 4, result("CAM-1", id, wire::TASK_OUTCOME_UNSPECIFIED));
  EXPECT_EQ(task(id).status, TaskStatus::kRunning);
  EXPECT_EQ(
      metrics().frame_errors[static_cast<std::size_t>(wire::FrameErrorCode::kFieldOutOfRange)], 2u);
  EXPECT_EQ(metrics().commands_refused, 0u);
}

TEST_F(PlatformNodeWorkTest, ATaskAnEdgeHostCreatesIsRecordedAndReceipted) {
  onboard_recorder(seconds(1), 6);
  core::Outbox& out =
      frame(seconds(2), 6, created("REC-1", "REC-1:local-000001", "DOME-1", minutes(30)));
  const std::vector<Sent> receipts = sent(out, wire::Envelope::kTaskReceipt);
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].connection, 6u);
  EXPECT_EQ(receipts[0].envelope.destination(), "REC-1");
  EXPECT_EQ(receipts[0].envelope.task_receipt().task(), "REC-1:local-000001");
  EXPECT_TRUE(receipts[0].envelope.task_receipt().host_task());
  EXPECT_EQ(metrics().commands_refused, 0u);

  const std::vector<Task> tasks = plane_.tasks.tasks_of(organization_);
  ASSERT_EQ(tasks.size(), 1u);
  const Task& adopted = tasks[0];
  EXPECT_EQ(adopted.id, "REC-1:local-000001");
  EXPECT_EQ(adopted.origin, TaskOrigin::kHost);
  EXPECT_EQ(adopted.created_by, "REC-1");
  EXPECT_EQ(adopted.host, "REC-1");
  EXPECT_EQ(adopted.device, "DOME-1");
  EXPECT_EQ(adopted.payload.action, wire::TASK_ACTION_ADOPT_DEVICE);
  EXPECT_EQ(adopted.status, TaskStatus::kRunning);
  EXPECT_EQ(adopted.deadline, seconds(2) + minutes(30));
  EXPECT_TRUE(adopted.series.empty());

  // Its result is receipted like any other.
  const std::vector<Sent> result_receipts = sent(
      frame(seconds(30), 6, result("REC-1", "REC-1:local-000001")), wire::Envelope::kTaskReceipt);
  ASSERT_EQ(result_receipts.size(), 1u);
  EXPECT_FALSE(result_receipts[0].envelope.task_receipt().host_task());
  EXPECT_EQ(task("REC-1:local-000001").status, TaskStatus::kSucceeded);
}

TEST_F(PlatformNodeWorkTest, AHostTaskForADeviceTheHostDoesNotManageIsRefusedButReceipted) {
  onboard_recorder(seconds(1), 6);
  onboard(seconds(1), 4, "CAM-1");
  const std::vector<Sent> receipts =
      sent(frame(seconds(2), 6, created("REC-1", "REC-1:local-000002", "CAM-1", minutes(30))),
           wire::Envelope::kTaskReceipt);
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_TRUE(receipts[0].envelope.task_receipt().host_task());
  EXPECT_EQ(metrics().commands_refused, 1u);
  EXPECT_TRUE(plane_.tasks.tasks_of(organization_).empty());
}

TEST_F(PlatformNodeWorkTest, TaskUpdatesOnAConnectionWithoutAHelloAreIgnored) {
  EXPECT_TRUE(frame(seconds(1), 9, acknowledged("CAM-1", "task-00000001")).empty());
  EXPECT_TRUE(frame(seconds(1), 9, release_check("CAM-1", 1, 1)).empty());
  EXPECT_TRUE(frame(seconds(1), 9, telemetry("CAM-1", "CAM-1")).empty());
  EXPECT_EQ(metrics().frames_without_hello, 3u);
  EXPECT_EQ(metrics().task_updates, 0u);
  EXPECT_EQ(metrics().release_checks, 0u);
}

TEST_F(PlatformNodeWorkTest, AFirmwareVersionNotPublishedIsNotFound) {
  onboard(seconds(1), 4, "CAM-1");
  expect_error(create(seconds(2), firmware({"CAM-1"}, "11.11.999")), ErrorCode::kNotFound,
               "payload.parameters.version: \"11.11.999\" is not a published release");
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(plane_.tasks.task_count(), 0u);
}

// ---- Rollouts ------------------------------------------------------------------------------

TEST_F(PlatformNodeWorkTest, ARolloutOfAnUnknownVersionIsNotFound) {
  onboard(seconds(1), 4, "CAM-1");
  out_.clear();
  expect_error(
      node_.start_rollout(
          seconds(2), owner_, organization_,
          RolloutRequest{
              "spring", "11.11.999", {"CAM-1"}, RolloutPolicy{{RolloutGroup{0, 1.0}}, 0, 1.0, 1}},
          out_),
      ErrorCode::kNotFound, "version: \"11.11.999\" is not a published release");
  EXPECT_TRUE(out_.empty());
  EXPECT_TRUE(plane_.rollouts.rollouts().empty());
  EXPECT_EQ(plane_.tasks.task_count(), 0u);
}

TEST_F(PlatformNodeWorkTest, ARolloutsNextGroupGoesOutWithTheResultThatOpensIt) {
  onboard(seconds(1), 4, "CAM-1");
  onboard(seconds(1), 5, "CAM-2");
  out_.clear();
  ASSERT_TRUE(node_
                  .start_rollout(
                      seconds(2), owner_, organization_,
                      RolloutRequest{
                          "spring",
                          std::string(kRelease),
                          {"CAM-1", "CAM-2"},
                          RolloutPolicy{{RolloutGroup{1, 1.0}, RolloutGroup{0, 1.0}}, 0, 1.0, 1}},
                      out_)
                  .ok());
  const std::vector<Sent> first = sent(out_, wire::Envelope::kTaskDispatch);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].connection, 4u);
  const TaskId canary = first[0].envelope.task_dispatch().task();

  frame(seconds(3), 4, started("CAM-1", canary));
  core::Outbox& out = frame(minutes(7), 4, result("CAM-1", canary));
  ASSERT_EQ(sent(out, wire::Envelope::kTaskReceipt).size(), 1u);
  const std::vector<Sent> second = sent(out, wire::Envelope::kTaskDispatch);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].connection, 5u);
  EXPECT_EQ(second[0].envelope.task_dispatch().device(), "CAM-2");
  const RolloutRecord* rollout = plane_.rollouts.find(organization_, "spring");
  ASSERT_NE(rollout, nullptr);
  EXPECT_EQ(rollout->series.size(), 2u);
  EXPECT_EQ(rollout->rollout.succeeded(), 1u);

  frame(minutes(8), 5, result("CAM-2", second[0].envelope.task_dispatch().task()));
  EXPECT_EQ(plane_.rollouts.find(organization_, "spring")->rollout.state(),
            RolloutState::kFinished);
}

// ---- Release checks ------------------------------------------------------------------------

TEST_F(PlatformNodeWorkTest, AManagedDeviceIsToldToInstallNow) {
  onboard(seconds(1), 4, "CAM-1");
  core::Outbox& out = frame(seconds(2), 4, release_check("CAM-1", 17, 42));
  ASSERT_EQ(out.sends.size(), 1u);
  EXPECT_EQ(out.sends[0].connection, 4u);
  const wire::Envelope answer = decoded(out.sends[0].frame);
  ASSERT_TRUE(answer.has_release_offer());
  EXPECT_EQ(answer.correlation_id(), 42u);
  EXPECT_EQ(answer.destination(), "CAM-1");
  EXPECT_EQ(answer.release_offer().sequence(), 17u);
  ASSERT_EQ(answer.release_offer().offers_size(), 1u);
  const wire::DeviceOffer& offer = answer.release_offer().offers(0);
  EXPECT_EQ(offer.serial(), "CAM-1");
  EXPECT_EQ(offer.kind(), "install_now");
  EXPECT_EQ(offer.version(), kRelease);
  EXPECT_EQ(offer.size_bytes(), 500'000'000u);
  EXPECT_EQ(offer.start_in_us(), 0u);
  EXPECT_EQ(offer.last_start_in_us(), 0u);
  EXPECT_EQ(metrics().release_checks, 1u);
  EXPECT_EQ(metrics().install_offers, 1u);
  EXPECT_EQ(metrics().recommendations, 0u);
  EXPECT_TRUE(node_.recommendations().empty());
}

TEST_F(PlatformNodeWorkTest, AConnectedDeviceIsRecommendedTheRelease) {
  onboard(seconds(1), 4, "CAM-2", "connected");
  ASSERT_EQ(must(plane_.registry.device("CAM-2")).state.mode, DeviceMode::kConnected);
  const std::vector<Sent> answers =
      sent(frame(seconds(2), 4, release_check("CAM-2", 1, 7)), wire::Envelope::kReleaseOffer);
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].envelope.release_offer().offers_size(), 1u);
  const wire::DeviceOffer& offer = answers[0].envelope.release_offer().offers(0);
  EXPECT_EQ(offer.serial(), "CAM-2");
  EXPECT_EQ(offer.kind(), "recommend");
  EXPECT_EQ(offer.version(), kRelease);
  EXPECT_EQ(metrics().recommendations, 1u);
  EXPECT_EQ(metrics().install_offers, 0u);
  ASSERT_EQ(node_.recommendations().size(), 1u);
  EXPECT_EQ(node_.recommendations().at("CAM-2"), kRelease);
}

TEST_F(PlatformNodeWorkTest, AnUpToDateDeviceGetsNoAnswerAtAll) {
  onboard(seconds(1), 4, "CAM-3", std::nullopt, std::string(kRelease));
  EXPECT_TRUE(frame(seconds(2), 4, release_check("CAM-3", 1, 7)).empty());
  EXPECT_EQ(metrics().release_checks, 1u);
  EXPECT_EQ(metrics().install_offers, 0u);
  // Nor does a device not onboarded.
  frame(seconds(3), 5, hello("CAM-4"));
  EXPECT_TRUE(frame(seconds(4), 5, release_check("CAM-4", 1, 8)).empty());
  EXPECT_EQ(metrics().release_checks, 2u);
}

TEST_F(PlatformNodeWorkTest, AWindowProfileIsOfferedAnInstallInsideTheNextWindow) {
  // Monday 12:00 UTC: today's window (02:00-06:00) is over; Tuesday's opens at 26 h and the
  // 30-minute install must start by 05:30.
  const Time noon = hours(12);
  onboard(noon, 4, "CAM-4", "managed-window");
  const std::vector<Sent> answers =
      sent(frame(noon, 4, release_check("CAM-4", 1, 7)), wire::Envelope::kReleaseOffer);
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].envelope.release_offer().offers_size(), 1u);
  const wire::DeviceOffer& offer = answers[0].envelope.release_offer().offers(0);
  EXPECT_EQ(offer.kind(), "install_in_window");
  EXPECT_EQ(offer.version(), kRelease);
  // As durations from now, on the platform's clock: 14 h and 17 h 30 min from noon.
  EXPECT_EQ(offer.start_in_us(), wire_us(hours(14)));
  EXPECT_EQ(offer.last_start_in_us(), wire_us(hours(17) + minutes(30)));
  EXPECT_EQ(metrics().install_offers, 1u);

  // Inside the window, it may start now.
  const Time in_window = hours(26) + minutes(10);
  onboard(in_window, 5, "CAM-1", "managed-window");
  const std::vector<Sent> now_answers =
      sent(frame(in_window, 5, release_check("CAM-1", 2, 8)), wire::Envelope::kReleaseOffer);
  ASSERT_EQ(now_answers.size(), 1u);
  const wire::DeviceOffer& open = now_answers[0].envelope.release_offer().offers(0);
  EXPECT_EQ(open.kind(), "install_in_window");
  EXPECT_EQ(open.start_in_us(), 0u);
  EXPECT_EQ(open.last_start_in_us(), wire_us(hours(3) + minutes(20)));
}

TEST_F(PlatformNodeWorkTest, AHostsCheckIsAnsweredForTheDevicesItCarries) {
  onboard_recorder(seconds(1), 6);
  const std::vector<Sent> answers =
      sent(frame(seconds(2), 6, release_check("REC-1", 1, 7)), wire::Envelope::kReleaseOffer);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].connection, 6u);
  EXPECT_EQ(answers[0].envelope.destination(), "REC-1");
  const auto& offers = answers[0].envelope.release_offer().offers();
  ASSERT_EQ(offers.size(), 2);
  EXPECT_EQ(offers[0].serial(), "REC-1");
  EXPECT_EQ(offers[1].serial(), "DOME-1");
  EXPECT_EQ(offers[1].kind(), "install_now");
  EXPECT_EQ(metrics().install_offers, 2u);
}

// ---- Telemetry and diagnostics consent -----------------------------------------------------

TEST_F(PlatformNodeWorkTest, TelemetryNeedsConsentWhichTheDevicesHostIsTold) {
  onboard(seconds(1), 4, "CAM-1");
  EXPECT_TRUE(frame(seconds(2), 4, telemetry("CAM-1", "CAM-1")).empty());
  EXPECT_EQ(metrics().telemetry_refused, 1u);
  EXPECT_EQ(metrics().telemetry_recorded, 0u);
  EXPECT_EQ(plane_.insights.sample_count("CAM-1"), 0u);

  out_.clear();
  ASSERT_TRUE(node_.set_diagnostics(seconds(3), owner_, organization_, "CAM-1", true, out_).ok());
  const std::vector<Sent> consents = sent(out_, wire::Envelope::kDiagnosticsConsent);
  ASSERT_EQ(consents.size(), 1u);
  EXPECT_EQ(out_.sends.size(), 1u);
  EXPECT_EQ(consents[0].connection, 4u);
  EXPECT_EQ(consents[0].envelope.destination(), "CAM-1");
  EXPECT_EQ(consents[0].envelope.diagnostics_consent().serial(), "CAM-1");
  EXPECT_TRUE(consents[0].envelope.diagnostics_consent().granted());

  EXPECT_TRUE(frame(seconds(4), 4, telemetry("CAM-1", "CAM-1")).empty());
  EXPECT_EQ(metrics().telemetry_recorded, 1u);
  EXPECT_EQ(metrics().telemetry_refused, 1u);
  EXPECT_EQ(plane_.insights.sample_count("CAM-1"), 1u);

  // Consents survive the host's reconnection: its next hello tells it again.
  frame(seconds(5), 4, goodbye("CAM-1"));
  const std::vector<Sent> again =
      sent(frame(seconds(6), 7, hello("CAM-1")), wire::Envelope::kDiagnosticsConsent);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].connection, 7u);
  EXPECT_TRUE(again[0].envelope.diagnostics_consent().granted());

  // A revocation goes out too, and the device's telemetry is refused again.
  out_.clear();
  ASSERT_TRUE(node_.set_diagnostics(seconds(7), owner_, organization_, "CAM-1", false, out_).ok());
  const std::vector<Sent> revoked = sent(out_, wire::Envelope::kDiagnosticsConsent);
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_FALSE(revoked[0].envelope.diagnostics_consent().granted());
  frame(seconds(8), 7, telemetry("CAM-1", "CAM-1"));
  EXPECT_EQ(metrics().telemetry_refused, 2u);
}

TEST_F(PlatformNodeWorkTest, ACarriedDevicesConsentGoesToItsHostsConnection) {
  onboard_recorder(seconds(1), 6);
  out_.clear();
  ASSERT_TRUE(node_.set_diagnostics(seconds(2), owner_, organization_, "DOME-1", true, out_).ok());
  const std::vector<Sent> consents = sent(out_, wire::Envelope::kDiagnosticsConsent);
  ASSERT_EQ(consents.size(), 1u);
  EXPECT_EQ(consents[0].connection, 6u);
  EXPECT_EQ(consents[0].envelope.destination(), "REC-1");
  EXPECT_EQ(consents[0].envelope.diagnostics_consent().serial(), "DOME-1");
  frame(seconds(3), 6, telemetry("REC-1", "DOME-1"));
  EXPECT_EQ(metrics().telemetry_recorded, 1u);
  // Telemetry for a device the connection does not speak for is not the host's to send.
  frame(seconds(4), 6, telemetry("REC-1", "CAM-1"));
  EXPECT_EQ(metrics().frames_without_hello, 1u);
  EXPECT_EQ(metrics().telemetry_recorded, 1u);
}

TEST_F(PlatformNodeWorkTest, ConsentIsRefusedForADeviceNotOnboarded) {
  frame(seconds(1), 4, hello("CAM-1"));
  out_.clear();
  expect_error(node_.set_diagnostics(seconds(2), owner_, organization_, "CAM-1", true, out_),
               ErrorCode::kNotFound, "device: unknown device");
  EXPECT_TRUE(out_.empty());
}

// ---- Hosts going away and coming back ------------------------------------------------------

TEST_F(PlatformNodeWorkTest, AfterAGoodbyeNothingGoesToTheHostUntilItsHelloResendsTheDispatch) {
  onboard(seconds(1), 4, "CAM-1");
  const TaskId first = only_task(must(create(seconds(2), overlay({"CAM-1"}))));
  ASSERT_EQ(sent(out_, wire::Envelope::kTaskDispatch).size(), 1u);
  // Never acknowledged: the host went away first.
  frame(seconds(3), 4, goodbye("CAM-1"));
  EXPECT_TRUE(wakeup(seconds(40)).sends.empty());  // past the acknowledgement's timeout
  const TaskId second = only_task(must(create(seconds(41), overlay({"CAM-1"}))));
  EXPECT_TRUE(out_.sends.empty());
  EXPECT_EQ(task(second).status, TaskStatus::kQueued);

  const std::vector<Sent> dispatches =
      sent(frame(seconds(50), 5, hello("CAM-1")), wire::Envelope::kTaskDispatch);
  ASSERT_EQ(dispatches.size(), 2u);
  EXPECT_EQ(dispatches[0].connection, 5u);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().task(), first);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().delivery(), 2u);
  EXPECT_EQ(dispatches[1].envelope.task_dispatch().task(), second);
  EXPECT_EQ(dispatches[1].envelope.task_dispatch().delivery(), 1u);
  EXPECT_EQ(plane_.tasks.counters().redeliveries, 1u);
}

TEST_F(PlatformNodeWorkTest, AClosedConnectionStopsSendingAndTheReconnectionGetsTheDispatch) {
  onboard(seconds(1), 4, "CAM-1");
  const TaskId id = only_task(must(create(seconds(2), overlay({"CAM-1"}))));
  node_.on_connection_closed(seconds(3), 4);
  EXPECT_TRUE(wakeup(seconds(40)).sends.empty());
  EXPECT_EQ(task(id).deliveries, 1u);

  const std::vector<Sent> dispatches =
      sent(frame(seconds(50), 5, hello("CAM-1")), wire::Envelope::kTaskDispatch);
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0].connection, 5u);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().task(), id);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().delivery(), 2u);
  frame(seconds(51), 5, acknowledged("CAM-1", id));
  EXPECT_EQ(task(id).acknowledged_at, seconds(51));
}

TEST_F(PlatformNodeWorkTest, AHostGivenUpOnWhoseLateHeartbeatArrivesGetsItsTasksAgain) {
  onboard(seconds(1), 4, "CAM-1");
  // An upgrade: its two hours outlast the silence.
  const TaskId id = only_task(must(create(seconds(2), firmware({"CAM-1"}))));
  // Silent for more than 3 intervals: the sweep gives the host up (the dispatch went again at
  // each acknowledgement timeout until then), and nothing more goes to it.
  for (int minute = 1; minute <= 5; ++minute) wakeup(minutes(minute));
  ASSERT_EQ(node_.find("CAM-1")->status, ConnectionStatus::kDisconnected);
  const std::uint32_t deliveries = task(id).deliveries;
  EXPECT_TRUE(wakeup(minutes(5) + seconds(40)).sends.empty());
  EXPECT_EQ(task(id).deliveries, deliveries);
  // Its heartbeat comes in on the same connection: it is back, and its dispatch goes again.
  wire::Envelope beat;
  beat.mutable_heartbeat()->set_sequence(7);
  const std::vector<Sent> dispatches =
      sent(frame(minutes(6), 4, frame_from("CAM-1", 9, beat)), wire::Envelope::kTaskDispatch);
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().task(), id);
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().delivery(), deliveries + 1);
  EXPECT_EQ(sent(out_, wire::Envelope::kHeartbeatAck).size(), 1u);
}

TEST_F(PlatformNodeWorkTest, AConnectedHostGetsADispatchNotAcknowledgedAgainAfterTheTimeout) {
  onboard(seconds(1), 4, "CAM-1");
  const TaskId id = only_task(must(create(seconds(2), overlay({"CAM-1"}))));
  const std::vector<Sent> again = sent(wakeup(seconds(32)), wire::Envelope::kTaskDispatch);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].connection, 4u);
  EXPECT_EQ(again[0].envelope.task_dispatch().task(), id);
  EXPECT_EQ(again[0].envelope.task_dispatch().delivery(), 2u);
}

TEST_F(PlatformNodeWorkTest, ACarriedDevicesTasksGoThroughItsHostAndStopWithIt) {
  onboard_recorder(seconds(1), 6);
  const TaskId id = only_task(must(create(seconds(2), overlay({"DOME-1"}))));
  const std::vector<Sent> dispatches = sent(out_, wire::Envelope::kTaskDispatch);
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0].connection, 6u);
  EXPECT_EQ(dispatches[0].envelope.destination(), "REC-1");
  EXPECT_EQ(dispatches[0].envelope.task_dispatch().device(), "DOME-1");
  frame(seconds(3), 6, goodbye("REC-1"));
  EXPECT_TRUE(wakeup(seconds(40)).sends.empty());
  const std::vector<Sent> redelivered =
      sent(frame(seconds(50), 8, hello("REC-1", {"DOME-1"})), wire::Envelope::kTaskDispatch);
  ASSERT_EQ(redelivered.size(), 1u);
  EXPECT_EQ(redelivered[0].connection, 8u);
  EXPECT_EQ(redelivered[0].envelope.task_dispatch().task(), id);
}

// ---- Live sessions -------------------------------------------------------------------------

// The signaling service of one region, with a viewer's sink, and devices that may stream.
class PlatformNodeSignalingTest : public PlatformNodeWorkTest {
 protected:
  void SetUp() override {
    PlatformNodeWorkTest::SetUp();
    ASSERT_TRUE(
        plane_.tenancy.set_license(Time{}, owner_, organization_, "video-streaming", 4).ok());
    ASSERT_TRUE(
        plane_.registry
            .define_profile(Time{}, owner_, organization_,
                            DeviceProfile{"live", DeviceMode::kManaged, "lts-2024", {}, {"webrtc"}})
            .ok());
    SignalingConfig config;
    config.region = "eu-west";
    config.turn_secret = "secret";
    config.turn_urls = {"turn:turn.example:3478"};
    node_.set_signaling({config}, [this](Time, const std::string& session, std::string text) {
      to_viewer_.push_back({session, std::move(text)});
    });
  }

  SignalingOutput viewer(Time now, const std::string& text) {
    out_.clear();
    return node_.viewer_signaling(now, 0, owner_, organization_, text, out_);
  }

  // What the platform sent device `serial` over its connection, as the device sees it: each
  // Signaling frame handed to `peer`, whose answers are sent back on `connection`.
  void device_answers(Time now, ConnectionId connection, devices::WebRtcPeer& peer) {
    const std::vector<Sent> signals = sent(out_, wire::Envelope::kSignaling);
    std::vector<std::string> frames;
    for (const Sent& s : signals) {
      EXPECT_EQ(s.connection, connection);
      for (std::string& text : peer.on_signaling(s.envelope.signaling().json())) {
        wire::Envelope e;
        e.mutable_signaling()->set_serial(s.envelope.signaling().serial());
        e.mutable_signaling()->set_json(std::move(text));
        frames.push_back(frame_from(s.envelope.signaling().serial(), 9, e));
      }
    }
    for (const std::string& f : frames) frame(now, connection, f);
  }

  std::vector<std::pair<std::string, std::string>> to_viewer_;
  devices::WebRtcPeer camera_{{{0x0A000005, 50000}, {0xCB007107, 61000}, {0xC6336401, 49152}}};
};

constexpr std::string_view kConnectCam1 =
    R"({"jsonrpc":"2.0","id":1,"method":"connect","params":{"peer":"CAM-1"}})";
constexpr std::string_view kInvite =
    R"({"jsonrpc":"2.0","id":2,"method":"invite","params":{"session":"ses-000001","offer":"v=0"}})";

TEST_F(PlatformNodeSignalingTest, OfferAndAnswerCrossTheDevicesWebsocket) {
  onboard(seconds(1), 4, "CAM-1", "live");
  EXPECT_NE(viewer(seconds(2), std::string(kConnectCam1)).reply.find("ses-000001"),
            std::string::npos);
  device_answers(seconds(2), 4, camera_);  // the connect notification: nothing to answer
  EXPECT_EQ(camera_.sessions_open(), 1u);
  EXPECT_TRUE(viewer(seconds(3), std::string(kInvite)).reply.empty());
  device_answers(seconds(3), 4, camera_);
  // The answer as the invite's result, three candidates, then the end of them, in order.
  ASSERT_EQ(to_viewer_.size(), 5u);
  EXPECT_NE(to_viewer_[0].second.find(R"("id":2)"), std::string::npos) << to_viewer_[0].second;
  EXPECT_NE(to_viewer_[0].second.find("answer"), std::string::npos);
  EXPECT_NE(to_viewer_[1].second.find("typ host"), std::string::npos);
  EXPECT_NE(to_viewer_[4].second.find(R"("candidate":null)"), std::string::npos);
  for (const auto& [session, text] : to_viewer_) EXPECT_EQ(session, "ses-000001");
  EXPECT_EQ(node_.signaling(0)->counters().candidates_relayed, 3u);
}

TEST_F(PlatformNodeSignalingTest, ATier2CamerasSessionGoesThroughItsRecorder) {
  ASSERT_TRUE(plane_.registry.set_default_profile(Time{}, owner_, organization_, "live").ok());
  onboard_recorder(seconds(1), 7);
  onboard(seconds(1), 4, "CAM-1");
  (void)viewer(seconds(2),
               R"({"jsonrpc":"2.0","id":1,"method":"connect","params":{"peer":"DOME-1"}})");
  const std::vector<Sent> told = sent(out_, wire::Envelope::kSignaling);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].connection, 7u) << "the recorder's connection carries it";
  EXPECT_EQ(told[0].envelope.signaling().serial(), "DOME-1");
  (void)viewer(seconds(3), std::string(kInvite));
  // CAM-1 may not answer for a camera it does not carry; the recorder may.
  const std::string answer = R"({"jsonrpc":"2.0","id":"ses-000001","result":{"answer":"v=0"}})";
  wire::Envelope e;
  e.mutable_signaling()->set_serial("DOME-1");
  e.mutable_signaling()->set_json(answer);
  const std::uint64_t ignored = metrics().frames_without_hello;
  frame(seconds(4), 4, frame_from("CAM-1", 9, e));
  EXPECT_EQ(metrics().frames_without_hello, ignored + 1);
  EXPECT_TRUE(to_viewer_.empty());
  frame(seconds(4), 7, frame_from("REC-1", 9, e));
  ASSERT_EQ(to_viewer_.size(), 1u);
  EXPECT_NE(to_viewer_[0].second.find(R"("id":2)"), std::string::npos);
}

TEST_F(PlatformNodeSignalingTest, SessionsExpireOnTheNodesWakeupsAndEndWithTheirDevice) {
  onboard(seconds(1), 4, "CAM-1", "live");
  onboard(seconds(1), 5, "CAM-2", "live");
  (void)viewer(seconds(10), std::string(kConnectCam1));
  // The node asks to be woken at the session's expiry, 300 s on.
  EXPECT_NE(std::find(out_.wakeups.begin(), out_.wakeups.end(), seconds(310)), out_.wakeups.end());
  (void)viewer(seconds(20),
               R"({"jsonrpc":"2.0","id":1,"method":"connect","params":{"peer":"CAM-2"}})");
  // CAM-2 says goodbye: its session ends at once, its viewer told.
  frame(seconds(30), 5, goodbye("CAM-2"));
  ASSERT_EQ(to_viewer_.size(), 1u);
  EXPECT_EQ(to_viewer_[0].first, "ses-000002");
  EXPECT_NE(to_viewer_[0].second.find("device_gone"), std::string::npos);
  // CAM-1's expires at 310 s: the viewer is told, and so is the device.
  wakeup(seconds(310));
  ASSERT_EQ(to_viewer_.size(), 2u);
  EXPECT_NE(to_viewer_[1].second.find("expired"), std::string::npos);
  const std::vector<Sent> told = sent(out_, wire::Envelope::kSignaling);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].connection, 4u);
  EXPECT_EQ(node_.signaling(0)->sessions_open(), 0u);
}

}  // namespace
}  // namespace ccsim::platform

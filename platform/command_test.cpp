#include "platform/command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/random_stream.h"
#include "platform/command_fixture.h"
#include "platform/owner_key.h"

namespace ccsim::platform {
namespace {

using CommandTest = CommandFixture;

TEST_F(CommandTest, RunsTheMainCommandsThroughTheirServices) {
  EXPECT_EQ(alice_, "user-000001");
  EXPECT_EQ(acme_, "org-000001");
  const auto licenses = plane_.tenancy.licenses(acme_);
  ASSERT_TRUE(licenses.ok());
  ASSERT_EQ(licenses.value().size(), 1u);
  EXPECT_EQ(licenses.value()[0].seats, 10u);

  const Json claimed = ok(claim(alice_, "CAM-1"))["device"];
  EXPECT_EQ(claimed["serial"], "CAM-1");
  EXPECT_EQ(claimed["status"], "onboarding");
  EXPECT_EQ(claimed["organization"], acme_);
  EXPECT_EQ(claimed["profile"], "managed-lts");

  const Json device = ok(request("get_device", alice_, {{"serial", "CAM-1"}}))["device"];
  EXPECT_EQ(device["status"], "onboarding");
  EXPECT_EQ(device["model"], "model-CAM-1");
  EXPECT_EQ(device["kind"], "camera");
  EXPECT_EQ(device["tier"], 1);
  EXPECT_EQ(device["mode"], "standalone");
  EXPECT_EQ(device["connection"], "disconnected");
  EXPECT_EQ(device["failure_reason"], "");

  // Not onboarded yet, so no capability; once the device finishes onboarding, WebRTC is there.
  expect_error(request("request_capability", alice_,
                       {{"organization", acme_}, {"serial", "CAM-1"}, {"capability", "webrtc"}}),
               ErrorCode::kFailedPrecondition, "not onboarded");
  ASSERT_TRUE(plane_.registry.complete_onboarding(tick(), "CAM-1", "11.11.0", "lts-2024").ok());
  ok(request("request_capability", alice_,
             {{"organization", acme_}, {"serial", "CAM-1"}, {"capability", "webrtc"}}));
  EXPECT_EQ(ok(request("get_device", alice_, {{"serial", "CAM-1"}}))["device"]["mode"], "managed");

  // Bob joins as an operator, sees the fleet, and may not read the audit log.
  const std::string invitation = ok(request(
      "invite", alice_,
      {{"organization", acme_}, {"email", "bob@acme.example"}, {"role", "operator"}}))["invitation"]
                                     .get<std::string>();
  EXPECT_EQ(invitation, "inv-000001");
  ok(request("accept_invitation", bob_, {{"invitation", invitation}}));
  const Json listed = ok(request("list_devices", bob_, {{"organization", acme_}}));
  ASSERT_EQ(listed["devices"].size(), 1u);
  EXPECT_EQ(listed["devices"][0]["serial"], "CAM-1");
  EXPECT_EQ(listed["next_after"], "");
  expect_error(request("search_audit", bob_, {{"organization", acme_}}),
               ErrorCode::kPermissionDenied, "read_audit_log");

  // Promoted, he may; the trail holds the claim.
  ok(request("assign_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "administrator"}}));
  const Json page =
      ok(request("search_audit", bob_,
                 {{"organization", acme_}, {"topic", "device.onboarding"}, {"limit", 10}}));
  ASSERT_EQ(page["entries"].size(), 1u);
  EXPECT_EQ(page["entries"][0]["device"], "CAM-1");
  EXPECT_EQ(page["entries"][0]["actor"], alice_);
  EXPECT_EQ(page["entries"][0]["organization"], acme_);
  EXPECT_EQ(page["entries"][0]["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(page["next_cursor"], "");

  const Json group =
      ok(request("create_resource_group", bob_, {{"organization", acme_}, {"name", "north-site"}}));
  EXPECT_EQ(group["resource_group"], "rg-000001");
  ok(request(
      "assign_role", alice_,
      {{"organization", acme_}, {"member", bob_}, {"role", "viewer"}, {"scope", "rg-000001"}}));
  ok(request("revoke_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "administrator"}}));
  // Only a group-scoped grant left: no organization-wide listing.
  expect_error(request("list_devices", bob_, {{"organization", acme_}}),
               ErrorCode::kPermissionDenied, "covers the whole organization");

  const Json deleted = ok(request("delete_organization", alice_, {{"organization", acme_}}));
  EXPECT_EQ(deleted["released_devices"], Json::array({"CAM-1"}));
  EXPECT_EQ(ok(request("get_device", mallory_, {{"serial", "CAM-1"}}))["device"]["status"],
            "registered");
}

TEST_F(CommandTest, ServiceErrorsKeepTheirCodes) {
  expect_error(request("get_device", "user-000099", {{"serial", "CAM-1"}}),
               ErrorCode::kUnauthenticated, "actor");
  expect_error(request("claim_device", alice_,
                       {{"organization", acme_}, {"serial", "CAM-1"}, {"oak", oaks_["CAM-2"]}}),
               ErrorCode::kPermissionDenied, "wrong owner authentication key");
  expect_error(claim(mallory_, "CAM-2"), ErrorCode::kPermissionDenied, "not a member");
  expect_error(request("list_devices", mallory_, {{"organization", acme_}}),
               ErrorCode::kPermissionDenied, "not a member");
  expect_error(request("create_organization", alice_, {{"name", "Acme"}, {"region", "mars"}}),
               ErrorCode::kInvalidArgument, "region");
  expect_error(request("set_license", alice_,
                       {{"organization", acme_}, {"service", "recording"}, {"seats", 4'000'000}}),
               ErrorCode::kInvalidArgument, "seats");
  expect_error(
      request("register_user", "", {{"email", "alice@acme.example"}, {"display_name", "A"}}),
      ErrorCode::kAlreadyExists, "email: already registered");
  expect_error(request("get_device", alice_, {{"serial", "CAM-9"}}), ErrorCode::kNotFound,
               "serial");
}

TEST_F(CommandTest, OutsidersSeeOnlyUnownedDevices) {
  ok(claim(alice_, "CAM-1"));
  // Mallory learns no more about Acme's device than about a serial that does not exist.
  expect_error(request("get_device", mallory_, {{"serial", "CAM-1"}}), ErrorCode::kNotFound,
               "serial: no such device");
  const Json unowned = ok(request("get_device", mallory_, {{"serial", "CAM-2"}}))["device"];
  EXPECT_EQ(unowned["status"], "registered");
  EXPECT_EQ(unowned["organization"], "");
}

TEST_F(CommandTest, ListsDevicesInPages) {
  for (const std::string serial : {"CAM-3", "CAM-1", "CAM-2"}) ok(claim(alice_, serial));
  const Json first = ok(request("list_devices", alice_, {{"organization", acme_}, {"limit", 2}}));
  ASSERT_EQ(first["devices"].size(), 2u);
  EXPECT_EQ(first["devices"][0]["serial"], "CAM-1");
  EXPECT_EQ(first["devices"][1]["serial"], "CAM-2");
  EXPECT_EQ(first["next_after"], "CAM-2");
  const Json second = ok(
      request("list_devices", alice_, {{"organization", acme_}, {"limit", 2}, {"after", "CAM-2"}}));
  ASSERT_EQ(second["devices"].size(), 1u);
  EXPECT_EQ(second["devices"][0]["serial"], "CAM-3");
  EXPECT_EQ(second["next_after"], "");
  expect_error(request("list_devices", alice_, {{"organization", acme_}, {"limit", 0}}),
               ErrorCode::kInvalidArgument, "limit: must be 1..500");
}

TEST_F(CommandTest, GroupsDevicesIntoResourceGroups) {
  const std::string north =
      ok(request("create_resource_group", alice_,
                 {{"organization", acme_}, {"name", "north"}}))["resource_group"]
          .get<std::string>();
  const Json claimed = ok(request("claim_device", alice_,
                                  {{"organization", acme_},
                                   {"serial", "CAM-1"},
                                   {"oak", oaks_.at("CAM-1")},
                                   {"resource_group", north}}))["device"];
  EXPECT_EQ(claimed["resource_group"], north);
  ok(claim(alice_, "CAM-2"));  // in no group
  const std::string invitation = ok(request("invite", alice_,
                                            {{"organization", acme_},
                                             {"email", "bob@acme.example"},
                                             {"role", "viewer"},
                                             {"scope", north}}))["invitation"]
                                     .get<std::string>();
  ok(request("accept_invitation", bob_, {{"invitation", invitation}}));
  // Bob, a viewer in the group only, sees its device and no other.
  EXPECT_EQ(ok(request("get_device", bob_, {{"serial", "CAM-1"}}))["device"]["resource_group"],
            north);
  expect_error(request("get_device", bob_, {{"serial", "CAM-2"}}), ErrorCode::kNotFound,
               "serial: no such device");
  // Moving devices moves them in and out of his sight.
  const auto assign = [&](const std::string& serial, std::optional<std::string> group) {
    Json params = {{"organization", acme_}, {"serial", serial}};
    if (group) params["resource_group"] = *group;
    return request("assign_resource_group", alice_, std::move(params));
  };
  EXPECT_EQ(ok(assign("CAM-2", north))["device"]["resource_group"], north);
  EXPECT_EQ(ok(assign("CAM-1", std::nullopt))["device"]["resource_group"], "");
  EXPECT_EQ(ok(request("get_device", bob_, {{"serial", "CAM-2"}}))["device"]["serial"], "CAM-2");
  expect_error(request("get_device", bob_, {{"serial", "CAM-1"}}), ErrorCode::kNotFound,
               "serial: no such device");
  const Json listed = ok(request("list_devices", alice_, {{"organization", acme_}}));
  ASSERT_EQ(listed["devices"].size(), 2u);
  EXPECT_EQ(listed["devices"][0]["resource_group"], "");
  EXPECT_EQ(listed["devices"][1]["resource_group"], north);
  expect_error(assign("CAM-1", "rg-000099"), ErrorCode::kNotFound, "resource_group");
  expect_error(
      request("assign_resource_group", bob_, {{"organization", acme_}, {"serial", "CAM-2"}}),
      ErrorCode::kPermissionDenied, "the whole organization");
}

// The services added to the control plane after the first commands: tasks, rollouts, software
// updates and insights.
class CommandServicesTest : public CommandFixture {
 protected:
  // `user` (bob or mallory) joins Acme with `role` organization-wide.
  void join(const std::string& user, const std::string& email, const std::string& role) {
    const std::string invitation =
        ok(request("invite", alice_,
                   {{"organization", acme_}, {"email", email}, {"role", role}}))["invitation"]
            .get<std::string>();
    ok(request("accept_invitation", user, {{"invitation", invitation}}));
  }

  Json publish(const std::string& version) {
    return ok(request("publish_release", std::string(kAuditPlatformActor),
                      {{"version", version}, {"size_bytes", 1000}}))["release"];
  }

  // A series creation request for CAM-1 and CAM-2.
  std::string series(const std::string& actor, Json payload_parameters,
                     const std::string& action = "set_overlay_text") {
    return request("create_task_series", actor,
                   {{"organization", acme_},
                    {"name", "overlay"},
                    {"action", action},
                    {"parameters", std::move(payload_parameters)},
                    {"devices", {"CAM-1", "CAM-2"}},
                    {"timeout_s", 60}});
  }

  std::string policy(Json window) {
    return request("set_profile_update_policy", alice_,
                   {{"organization", acme_},
                    {"profile", "managed-lts"},
                    {"policy", "latest"},
                    {"window", std::move(window)}});
  }

  void onboard(const std::string& serial) {
    ok(claim(alice_, serial));
    ASSERT_TRUE(plane_.registry.complete_onboarding(tick(), serial, "11.11.0", "lts-2024").ok());
  }
};

TEST_F(CommandServicesTest, CreatesInspectsAndCancelsTaskSeries) {
  onboard("CAM-1");
  onboard("CAM-2");
  const Json created = ok(series(alice_, {{"text", "Lobby"}}))["series"];
  EXPECT_EQ(created["id"], "series-000001");
  EXPECT_EQ(created["organization"], acme_);
  EXPECT_EQ(created["name"], "overlay");
  EXPECT_EQ(created["action"], "set_overlay_text");
  EXPECT_EQ(created["parameters"], Json({{"text", "Lobby"}}));
  EXPECT_EQ(created["created_by"], alice_);
  EXPECT_EQ(
      created["deadline_us"].get<std::int64_t>() - created["created_at_us"].get<std::int64_t>(),
      60'000'000);
  EXPECT_EQ(created["completed_at_us"], nullptr);
  EXPECT_EQ(created["progress"]["total"], 2);
  EXPECT_EQ(created["progress"]["queued"], 2);

  const Json listed = ok(request("get_task_series", alice_, {{"series", "series-000001"}}));
  EXPECT_EQ(listed["series"]["id"], "series-000001");
  EXPECT_EQ(listed["tasks"], Json::parse(R"([
      {"id": "task-00000001", "device": "CAM-1", "status": "queued"},
      {"id": "task-00000002", "device": "CAM-2", "status": "queued"}])"));
  const Json task = ok(request("get_task", alice_, {{"task", "task-00000001"}}))["task"];
  EXPECT_EQ(task["series"], "series-000001");
  EXPECT_EQ(task["device"], "CAM-1");
  EXPECT_EQ(task["host"], "CAM-1");
  EXPECT_EQ(task["origin"], "user");
  EXPECT_EQ(task["status"], "queued");
  EXPECT_EQ(task["dispatched_at_us"], nullptr);

  const Json cancelled = ok(
      request("cancel_task", alice_, {{"organization", acme_}, {"task", "task-00000001"}}))["task"];
  EXPECT_EQ(cancelled["status"], "cancelled");  // still queued here: at once
  expect_error(request("cancel_task", alice_, {{"organization", acme_}, {"task", "task-00000001"}}),
               ErrorCode::kFailedPrecondition, "task: task-00000001 already cancelled");
  const Json rest = ok(request("cancel_series", alice_,
                               {{"organization", acme_}, {"series", "series-000001"}}))["series"];
  EXPECT_EQ(rest["progress"]["cancelled"], 2);
  EXPECT_NE(rest["completed_at_us"], nullptr);
  expect_error(
      request("cancel_series", alice_, {{"organization", acme_}, {"series", "series-000001"}}),
      ErrorCode::kFailedPrecondition, "no task left to cancel");
  expect_error(request("cancel_task", alice_, {{"organization", acme_}, {"task", "task-00000099"}}),
               ErrorCode::kNotFound, "task:");
}

TEST_F(CommandServicesTest, RefusesTaskSeriesTheTaskManagerRefuses) {
  onboard("CAM-1");
  onboard("CAM-2");
  // The action is a word of the task vocabulary, refused by the decoder with the words it may be.
  expect_error(
      series(alice_, Json::object(), "explode"), ErrorCode::kInvalidArgument,
      "params.action: expected set_overlay_text, upgrade_firmware, reboot or adopt_device");
  expect_error(series(alice_, Json::object()), ErrorCode::kInvalidArgument,
               "payload.parameters.text: missing");
  expect_error(series(alice_, {{"text", "x"}, {"colour", "red"}}), ErrorCode::kInvalidArgument,
               "payload.parameters.colour");
  // A firmware version must be a published release, and a well-formed one is checked first.
  expect_error(series(alice_, {{"version", "11.11.5"}}, "upgrade_firmware"), ErrorCode::kNotFound,
               "payload.parameters.version: \"11.11.5\" is not a published release");
  expect_error(series(alice_, {{"version", "11.11 beta"}}, "upgrade_firmware"),
               ErrorCode::kInvalidArgument, "payload.parameters.version: '11.11 beta' is not");
  publish("11.11.5");
  EXPECT_EQ(ok(series(alice_, {{"version", "11.11.5"}}, "upgrade_firmware"))["series"]["action"],
            "upgrade_firmware");

  expect_error(request("create_task_series", alice_,
                       {{"organization", acme_},
                        {"action", "reboot"},
                        {"parameters", Json::object()},
                        {"devices", {"CAM-1", "CAM-9"}}}),
               ErrorCode::kNotFound, "devices[1]: unknown device");
  expect_error(request("create_task_series", alice_,
                       {{"organization", acme_},
                        {"action", "reboot"},
                        {"parameters", Json::object()},
                        {"devices", Json::array()}}),
               ErrorCode::kInvalidArgument, "devices: empty");
  expect_error(request("create_task_series", alice_,
                       {{"organization", acme_},
                        {"action", "reboot"},
                        {"parameters", Json::object()},
                        {"devices", {"CAM-1", "CAM-1"}}}),
               ErrorCode::kInvalidArgument, "devices[1]:");
  expect_error(request("create_task_series", alice_,
                       {{"organization", acme_},
                        {"action", "reboot"},
                        {"parameters", Json::object()},
                        {"devices", {"CAM-1"}},
                        {"timeout_s", 0}}),
               ErrorCode::kInvalidArgument, "timeout:");

  // A viewer may see tasks but not create them; a stranger learns nothing.
  join(bob_, "bob@acme.example", "viewer");
  expect_error(series(bob_, {{"text", "x"}}), ErrorCode::kPermissionDenied,
               "as viewer in org-000001 may not operate_devices");
  EXPECT_EQ(ok(request("get_task", bob_, {{"task", "task-00000001"}}))["task"]["status"], "queued");
  expect_error(series(mallory_, {{"text", "x"}}), ErrorCode::kPermissionDenied, "not a member");
  expect_error(request("get_task", mallory_, {{"task", "task-00000001"}}), ErrorCode::kNotFound,
               "task: no such task");
  expect_error(request("get_task", alice_, {{"task", "task-00000099"}}), ErrorCode::kNotFound,
               "task: no such task");
  expect_error(request("get_task_series", mallory_, {{"series", "series-000001"}}),
               ErrorCode::kNotFound, "series: no such series");
  expect_error(request("get_task", "user-000099", {{"task", "task-00000001"}}),
               ErrorCode::kUnauthenticated, "actor");
  expect_error(request("cancel_task", bob_, {{"organization", acme_}, {"task", "task-00000001"}}),
               ErrorCode::kPermissionDenied, "may not update_software");
}

TEST_F(CommandServicesTest, StartsAndFollowsARollout) {
  for (const std::string serial : {"CAM-1", "CAM-2", "CAM-3"}) onboard(serial);
  const std::string start =
      request("start_rollout", alice_,
              {{"organization", acme_},
               {"name", "canary"},
               {"version", "11.11.5"},
               {"devices", {"CAM-1", "CAM-2", "CAM-3"}},
               {"groups", Json::parse(R"([{"devices": 1, "success_threshold": 1},
                                  {"devices": 0, "success_threshold": 0.5}])")},
               {"starts_per_minute", 10}});
  expect_error(start, ErrorCode::kNotFound, "version: \"11.11.5\" is not a published release");
  publish("11.11.5");
  const Json started = ok(start)["rollout"];
  EXPECT_EQ(started["name"], "canary");
  EXPECT_EQ(started["state"], "running");
  EXPECT_EQ(started["version"], "11.11.5");
  EXPECT_EQ(started["started_by"], alice_);
  EXPECT_EQ(started["series"], Json::array({"series-000001"}));
  EXPECT_EQ(started["groups"], Json::parse(R"([
      {"devices": 1, "started": 1, "succeeded": 0, "failed": 0},
      {"devices": 2, "started": 0, "succeeded": 0, "failed": 0}])"));

  // The canary's upgrade fails: its group ends short of its threshold and the rollout aborts.
  (void)plane_.tasks.host_connected(tick(), "CAM-1");
  (void)plane_.tasks.take_outbox(tick());
  ASSERT_EQ(
      plane_.tasks.on_result(tick(), "CAM-1",
                             TaskResultReport{"task-00000001", wire::TASK_OUTCOME_FAILED, "flash"}),
      ReportDisposition::kRecorded);
  for (const TaskId& task : plane_.tasks.take_outbox(tick()).finished) {
    plane_.rollouts.on_task_finished(tick(), task);
  }
  const Json followed =
      ok(request("get_rollout", alice_, {{"organization", acme_}, {"name", "canary"}}))["rollout"];
  EXPECT_EQ(followed["state"], "aborted");
  EXPECT_NE(followed["abort_reason"], "");
  EXPECT_NE(followed["ended_at_us"], nullptr);
  EXPECT_EQ(followed["groups"][0]["failed"], 1);
}

TEST_F(CommandServicesTest, RefusesRolloutsTheRulesRefuse) {
  for (const std::string serial : {"CAM-1", "CAM-2"}) onboard(serial);
  publish("11.11.5");
  // CAM-1 in one group, with `extra` params.
  const auto start = [&](const std::string& actor, const std::string& name,
                         const std::string& version, Json extra = Json::object()) {
    Json params = {{"organization", acme_},
                   {"name", name},
                   {"version", version},
                   {"devices", {"CAM-1"}},
                   {"groups", Json::parse(R"([{"devices": 1, "success_threshold": 1}])")}};
    params.update(extra);
    return request("start_rollout", actor, std::move(params));
  };
  ok(start(alice_, "canary", "11.11.5"));
  expect_error(start(alice_, "canary", "11.11.5"), ErrorCode::kAlreadyExists, "name:");
  expect_error(request("get_rollout", alice_, {{"organization", acme_}, {"name", "other"}}),
               ErrorCode::kNotFound, "name: no such rollout");
  expect_error(start(alice_, "uneven", "11.11.5", {{"devices", {"CAM-1", "CAM-2"}}}),
               ErrorCode::kInvalidArgument, "groups: 1 devices in groups for 2 targets");
  expect_error(start(alice_, "rash", "11.11.5", {{"abort_failure_share", 1.5}}),
               ErrorCode::kInvalidArgument, "abort_failure_share: expected 0..1");
  expect_error(start(alice_, "rash", "11.11.5", {{"abort_after_min", 0}}),
               ErrorCode::kInvalidArgument, "abort_after_min: at least 1");
  expect_error(start(alice_, "outsider", "11.11.5", {{"devices", {"CAM-3"}}}), ErrorCode::kNotFound,
               "devices[0]: unknown device");

  // Strangers learn neither versions nor names; a viewer may watch, not start.
  expect_error(start(mallory_, "canary", "11.11.5"), ErrorCode::kPermissionDenied, "not a member");
  expect_error(start(mallory_, "canary", "99.0.0"), ErrorCode::kPermissionDenied, "not a member");
  expect_error(request("get_rollout", mallory_, {{"organization", acme_}, {"name", "canary"}}),
               ErrorCode::kPermissionDenied, "not a member");
  join(bob_, "bob@acme.example", "viewer");
  EXPECT_EQ(ok(request("get_rollout", bob_,
                       {{"organization", acme_}, {"name", "canary"}}))["rollout"]["state"],
            "running");
  expect_error(start(bob_, "second", "11.11.5"), ErrorCode::kPermissionDenied,
               "may not update_software");
}

TEST_F(CommandServicesTest, PublishesReleasesAsThePlatformOnly) {
  const Json release = ok(request("publish_release", std::string(kAuditPlatformActor),
                                  {{"version", "11.11.7"},
                                   {"size_bytes", 4'000'000'000u},
                                   {"published_at_s", 3600}}))["release"];
  EXPECT_EQ(release, Json::parse(R"({"version": "11.11.7", "track": "lts-2024",
                                    "size_bytes": 4000000000, "published_at_us": 3600000000})"));
  ASSERT_NE(plane_.software.catalog().find("11.11.7"), nullptr);
  EXPECT_EQ(publish("12.1.0")["track"], "active");
  // Published now unless told otherwise.
  const Json now_published = publish("12.1.1");
  EXPECT_EQ(now_published["published_at_us"], now_.count());
  expect_error(request("publish_release", alice_, {{"version", "12.2.0"}, {"size_bytes", 1}}),
               ErrorCode::kPermissionDenied, "actor: only the platform");
  const std::string platform(kAuditPlatformActor);
  expect_error(request("publish_release", platform, {{"version", "11.11.7"}, {"size_bytes", 1}}),
               ErrorCode::kAlreadyExists, "version: 11.11.7 was published before");
  expect_error(request("publish_release", platform, {{"version", "11.x"}, {"size_bytes", 1}}),
               ErrorCode::kInvalidArgument, "version:");
  expect_error(request("publish_release", platform, {{"version", "12.2.0"}, {"size_bytes", 0}}),
               ErrorCode::kInvalidArgument, "size_bytes:");
  EXPECT_EQ(plane_.software.catalog().releases().size(), 3u);
}

TEST_F(CommandServicesTest, SetsTheOfferingAndProfilePolicies) {
  join(bob_, "bob@acme.example", "operator");
  ok(request("set_update_offering", alice_, {{"organization", acme_}, {"update_windows", false}}));
  EXPECT_FALSE(plane_.software.update_windows_allowed(acme_));
  expect_error(
      request("set_update_offering", bob_, {{"organization", acme_}, {"update_windows", true}}),
      ErrorCode::kPermissionDenied, "may not manage_licenses");

  ok(request("set_profile_update_policy", alice_,
             {{"organization", acme_},
              {"profile", "managed-lts"},
              {"policy", "pinned"},
              {"pinned_version", "11.11.5"},
              {"window", {{"days", {"sun", "sat"}}, {"start", "02:30"}, {"duration", "1h30m"}}}}));
  const ProfileUpdatePolicy& set = plane_.software.profile_policy(acme_, "managed-lts");
  EXPECT_EQ(set.kind, UpdatePolicyKind::kPinned);
  EXPECT_EQ(set.pinned_version, "11.11.5");
  ASSERT_TRUE(set.window.has_value());
  EXPECT_EQ(set.window->days, WeekdaySet("1100000"));  // Saturday and Sunday
  EXPECT_EQ(set.window->start, std::chrono::minutes(150));
  EXPECT_EQ(set.window->duration, std::chrono::minutes(90));
  ok(request("set_profile_update_policy", alice_,
             {{"organization", acme_}, {"profile", "managed-lts"}, {"policy", "latest"}}));
  EXPECT_FALSE(plane_.software.profile_policy(acme_, "managed-lts").window.has_value());

  // The window's words are refused by update_window.h's rules, naming the field, without
  // quoting what was sent.
  const Json week = {"mon"};
  expect_error(policy({{"days", week}, {"start", "25:00"}, {"duration", "3h"}}),
               ErrorCode::kInvalidArgument,
               "params.window.start: expected HH:MM from 00:00 to 23:59");
  expect_error(policy({{"days", week}, {"start", "02:00"}, {"duration", "0m"}}),
               ErrorCode::kInvalidArgument, "params.window.duration: expected from 1m to 1430m");
  expect_error(policy({{"days", week}, {"start", "02:00"}, {"duration", "3 hours"}}),
               ErrorCode::kInvalidArgument, "params.window.duration: expected hours and minutes");
  expect_error(policy({{"days", {"mon", "funday"}}, {"start", "02:00"}, {"duration", "3h"}}),
               ErrorCode::kInvalidArgument, "params.window.days: expected day names among mon");
  expect_error(policy({{"days", {"mon", "mon"}}, {"start", "02:00"}, {"duration", "3h"}}),
               ErrorCode::kInvalidArgument, "params.window.days: expected each day once");
  expect_error(policy({{"days", Json::array()}, {"start", "02:00"}, {"duration", "3h"}}),
               ErrorCode::kInvalidArgument, "params.window.days: expected at least one of");
  const Json refused = call(policy({{"days", week}, {"start", "25:00"}, {"duration", "3h"}}));
  EXPECT_EQ(refused["error"]["message"].get<std::string>().find("25:00"), std::string::npos);
  expect_error(request("set_profile_update_policy", alice_,
                       {{"organization", acme_}, {"profile", "managed-lts"}, {"policy", "newest"}}),
               ErrorCode::kInvalidArgument, "params.policy: expected latest or pinned");
  expect_error(request("set_profile_update_policy", alice_,
                       {{"organization", acme_}, {"profile", "managed-lts"}, {"policy", "pinned"}}),
               ErrorCode::kInvalidArgument, "pinned_version:");
  expect_error(request("set_profile_update_policy", alice_,
                       {{"organization", acme_}, {"profile", "nightly"}, {"policy", "latest"}}),
               ErrorCode::kNotFound, "profile: not defined");
  expect_error(request("set_profile_update_policy", bob_,
                       {{"organization", acme_}, {"profile", "managed-lts"}, {"policy", "latest"}}),
               ErrorCode::kPermissionDenied, "may not change_device_profiles");
}

TEST_F(CommandServicesTest, SetsSiteTimeZones) {
  join(bob_, "bob@acme.example", "operator");
  const std::string site =
      ok(request("create_resource_group", alice_,
                 {{"organization", acme_}, {"name", "stockholm"}}))["resource_group"]
          .get<std::string>();
  const auto zone = [&](const std::string& actor, const std::string& group,
                        const std::string& time_zone) {
    return request("set_site_time_zone", actor,
                   {{"organization", acme_}, {"resource_group", group}, {"time_zone", time_zone}});
  };
  ok(zone(alice_, site, "Europe/Stockholm"));
  EXPECT_EQ(plane_.software.time_zone(acme_, site), "Europe/Stockholm");
  expect_error(zone(alice_, site, "Mars/Olympus_Mons"), ErrorCode::kInvalidArgument,
               "time_zone: got \"Mars/Olympus_Mons\", which is not in the tz database");
  expect_error(zone(alice_, "rg-000099", "UTC"), ErrorCode::kNotFound,
               "rg-000099 not found in org-000001");
  expect_error(zone(bob_, site, "UTC"), ErrorCode::kPermissionDenied,
               "may not change_device_profiles");
  EXPECT_EQ(plane_.software.time_zone(acme_, site), "Europe/Stockholm");
}

TEST_F(CommandServicesTest, GrantsConsentAndShowsInsights) {
  onboard("CAM-1");
  const auto consent = [&](const std::string& actor, const std::string& device, bool granted) {
    return request("set_diagnostics_consent", actor,
                   {{"organization", acme_}, {"device", device}, {"granted", granted}});
  };
  ok(consent(alice_, "CAM-1", true));
  EXPECT_TRUE(plane_.insights.consented("CAM-1"));
  EXPECT_EQ(ok(request("get_insights", alice_, {{"device", "CAM-1"}}))["insights"], Json::array());
  ASSERT_EQ(plane_.insights.on_telemetry(tick(), "CAM-1", TelemetrySample{0.5, 0.1, 0}),
            TelemetryDisposition::kRecorded);
  const core::Time raised = now_;
  const Json insights = ok(request("get_insights", alice_, {{"device", "CAM-1"}}))["insights"];
  ASSERT_EQ(insights.size(), 1u);
  EXPECT_EQ(insights[0]["kind"], "sd_card_replace");
  EXPECT_EQ(insights[0]["raised_at_us"], raised.count());
  EXPECT_NE(insights[0]["detail"].get<std::string>().find("replace the card"), std::string::npos);

  join(bob_, "bob@acme.example", "viewer");
  EXPECT_EQ(ok(request("get_insights", bob_, {{"device", "CAM-1"}}))["insights"].size(), 1u);
  expect_error(consent(bob_, "CAM-1", false), ErrorCode::kPermissionDenied,
               "may not change_device_profiles");
  expect_error(request("get_insights", mallory_, {{"device", "CAM-1"}}), ErrorCode::kNotFound,
               "device: no such device");
  expect_error(request("get_insights", alice_, {{"device", "CAM-9"}}), ErrorCode::kNotFound,
               "device: no such device");
  expect_error(consent(mallory_, "CAM-1", true), ErrorCode::kPermissionDenied, "not a member");
  expect_error(consent(alice_, "CAM-9", true), ErrorCode::kNotFound, "device: unknown device");
  ok(claim(alice_, "CAM-2"));
  expect_error(consent(alice_, "CAM-2", true), ErrorCode::kFailedPrecondition, "not onboarded");

  ok(consent(alice_, "CAM-1", false));
  EXPECT_FALSE(plane_.insights.consented("CAM-1"));
  EXPECT_EQ(ok(request("get_insights", alice_, {{"device", "CAM-1"}}))["insights"], Json::array());
}

// Applications through the command path: registered by the platform, onboarded the white
// paper's three ways, authorized with PKCE, and their tokens stopped by the tenancy commands.
class CommandAppTest : public AppFixture {
 protected:
  bool active(const std::string& token) {
    return ok(request("introspect_token", "", {{"token", token}}))["active"].get<bool>();
  }

  std::string join_acme(const std::string& user, const std::string& email, const char* role) {
    const std::string invitation =
        ok(request("invite", alice_,
                   {{"organization", acme_}, {"email", email}, {"role", role}}))["invitation"]
            .get<std::string>();
    ok(request("accept_invitation", user, {{"invitation", invitation}}));
    return invitation;
  }
};

TEST_F(CommandAppTest, OnboardsApplicationsTheThreeWays) {
  expect_error(
      request("register_application", alice_, {{"name", "Mine"}, {"redirect_uris", {kRedirect}}}),
      ErrorCode::kPermissionDenied, "only the platform");
  // At creation. An unknown application refuses the organization before it exists.
  const std::size_t organizations = plane_.tenancy.organization_count();
  expect_error(request("create_organization", bob_,
                       {{"name", "Initech"},
                        {"region", "us-east"},
                        {"applications", {client_, "app-0000000000000000"}}}),
               ErrorCode::kNotFound, "no application app-0000000000000000");
  EXPECT_EQ(plane_.tenancy.organization_count(), organizations);
  const std::string initech = ok(request(
      "create_organization", bob_,
      {{"name", "Initech"}, {"region", "us-east"}, {"applications", {client_}}}))["organization"]
                                  .get<std::string>();
  ASSERT_EQ(plane_.apps.granted_applications(initech).size(), 1u);
  EXPECT_EQ(plane_.apps.granted_applications(initech)[0].path, GrantPath::kAtCreation);
  EXPECT_FALSE(plane_.apps.is_granted(acme_, client_));

  // By selecting the organization in the application's client: an administrator's act.
  join_acme(bob_, "bob@acme.example", "operator");
  expect_error(
      request("onboard_application", bob_, {{"organization", acme_}, {"client_id", client_}}),
      ErrorCode::kPermissionDenied, "invite_users");
  expect_error(authorize(alice_, acme_), ErrorCode::kFailedPrecondition, "consent");
  ok(request("onboard_application", alice_, {{"organization", acme_}, {"client_id", client_}}));
  EXPECT_EQ(plane_.apps.granted_applications(acme_)[0].path, GrantPath::kOrganizationSelected);
  EXPECT_TRUE(active(token_for(bob_, acme_)));  // an operator may then authorize it

  // By OAuth consent, which only a user who may admit parties gives.
  const std::string globex = ok(request(
      "create_organization", mallory_, {{"name", "Globex"}, {"region", "eu-west"}}))["organization"]
                                 .get<std::string>();
  expect_error(authorize(alice_, globex, true), ErrorCode::kPermissionDenied, "not a member");
  ok(authorize(mallory_, globex, true));
  EXPECT_EQ(plane_.apps.granted_applications(globex)[0].path, GrantPath::kOAuthConsent);
}

TEST_F(CommandAppTest, TenancyCommandsRevokeTheTokensTheyTakeAway) {
  ok(request("onboard_application", alice_, {{"organization", acme_}, {"client_id", client_}}));
  const std::string carol = ok(request(
      "register_user", "", {{"email", "carol@acme.example"}, {"display_name", "C"}}))["user"]
                                .get<std::string>();
  join_acme(bob_, "bob@acme.example", "administrator");
  join_acme(carol, "carol@acme.example", "viewer");
  const std::string alice_token = token_for(alice_, acme_);
  const std::string carol_token = token_for(carol, acme_);
  // Mallory's own organization, with the same application: her token there is hers alone.
  const std::string globex = ok(request(
      "create_organization", mallory_,
      {{"name", "Globex"}, {"region", "eu-west"}, {"applications", {client_}}}))["organization"]
                                 .get<std::string>();
  const std::string mallory_token = token_for(mallory_, globex);

  // Bob demoted: the token his administrator grant backed stops.
  const std::string bob_as_administrator = token_for(bob_, acme_);
  ok(request("assign_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "operator"}}));
  EXPECT_FALSE(active(bob_as_administrator));
  // A grant in a group adds to what he holds and stops nothing.
  const std::string bob_as_operator = token_for(bob_, acme_);
  const std::string north =
      ok(request("create_resource_group", alice_,
                 {{"organization", acme_}, {"name", "north"}}))["resource_group"]
          .get<std::string>();
  ok(request("assign_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "viewer"}, {"scope", north}}));
  EXPECT_TRUE(active(bob_as_operator));
  // His organization-wide role revoked, he stays a member through north; the token stops.
  ok(request("revoke_role", alice_,
             {{"organization", acme_}, {"member", bob_}, {"role", "operator"}}));
  EXPECT_FALSE(active(bob_as_operator));
  EXPECT_EQ(ok(request("introspect_token", "", {{"token", bob_as_operator}})),
            Json({{"active", false}}));
  expect_error(authorize(bob_, acme_), ErrorCode::kPermissionDenied,
               "covers the whole organization");

  // Carol removed (her only grant revoked): hers stops, nobody else's.
  ok(request("revoke_role", alice_,
             {{"organization", acme_}, {"member", carol}, {"role", "viewer"}}));
  EXPECT_FALSE(active(carol_token));
  EXPECT_TRUE(active(alice_token));
  expect_error(authorize(carol, acme_), ErrorCode::kPermissionDenied, "not a member");

  ok(request("delete_organization", alice_, {{"organization", acme_}}));
  EXPECT_FALSE(active(alice_token));
  EXPECT_FALSE(plane_.apps.is_granted(acme_, client_));
  EXPECT_TRUE(active(mallory_token));
  EXPECT_TRUE(plane_.apps.is_granted(globex, client_));
}

TEST(CommandDecodeTest, DecodesTypedParameters) {
  const Result<Command> decoded = decode_command(R"({
    "command": "define_profile", "actor": "user-000001",
    "params": {"organization": "org-000001",
               "profile": {"name": "p", "mode": "connected", "os_track": "active",
                           "allowed_apps": ["b", "a"]}}})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value().actor, "user-000001");
  EXPECT_EQ(command_name(decoded.value().params), "define_profile");
  const auto& define = std::get<DefineProfile>(decoded.value().params);
  EXPECT_EQ(define.organization, "org-000001");
  EXPECT_EQ(define.profile.name, "p");
  EXPECT_EQ(define.profile.mode, DeviceMode::kConnected);
  EXPECT_EQ(define.profile.allowed_apps, (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(define.profile.capabilities.empty());

  const Result<Command> license = decode_command(
      R"({"command": "set_license", "actor": "user-000001", "params":
          {"organization": "org-000001", "service": "recording", "seats": 4294967295}})");
  ASSERT_TRUE(license.ok()) << license.error().message;
  EXPECT_EQ(std::get<SetLicense>(license.value().params).seats, 4'294'967'295u);

  const Result<Command> search = decode_command(
      R"({"command": "search_audit", "actor": "user-000001",
          "params": {"organization": "org-000001", "actor": "user-000002"}})");
  ASSERT_TRUE(search.ok()) << search.error().message;
  const AuditQuery& query = std::get<SearchAudit>(search.value().params).query;
  EXPECT_EQ(query.actor, "user-000002");
  EXPECT_EQ(query.limit, kAuditPageEntriesDefault);

  const Result<Command> user = decode_command(
      R"({"command": "register_user", "params": {"email": "a@b.example", "display_name": "A"}})");
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(user.value().actor, "");
}

TEST(CommandDecodeTest, DecodesTheParametersOfTasksRolloutsAndUpdates) {
  const Result<Command> series = decode_command(R"({
    "command": "create_task_series", "actor": "user-000001",
    "params": {"organization": "org-000001", "action": "set_overlay_text",
               "parameters": {"text": "Gate 4"}, "devices": ["CAM-2", "CAM-1"],
               "timeout_s": 90}})");
  ASSERT_TRUE(series.ok()) << series.error().message;
  const auto& create = std::get<CreateTaskSeries>(series.value().params);
  EXPECT_EQ(create.organization, "org-000001");
  EXPECT_EQ(create.request.name, "");
  EXPECT_EQ(create.request.payload,
            (TaskPayload{wire::TASK_ACTION_SET_OVERLAY_TEXT, {{"text", "Gate 4"}}}));
  EXPECT_EQ(create.request.devices, (std::vector<std::string>{"CAM-2", "CAM-1"}));  // in order
  EXPECT_EQ(create.request.timeout, std::optional<core::Duration>(seconds(90)));

  const Result<Command> rollout = decode_command(R"({
    "command": "start_rollout", "actor": "user-000001",
    "params": {"organization": "org-000001", "name": "r", "version": "11.11.5",
               "devices": ["CAM-1", "CAM-2"],
               "groups": [{"devices": 1, "success_threshold": 0.5},
                          {"devices": 0, "success_threshold": 1}]}})");
  ASSERT_TRUE(rollout.ok()) << rollout.error().message;
  const RolloutPolicy& policy = std::get<StartRollout>(rollout.value().params).request.policy;
  ASSERT_EQ(policy.groups.size(), 2u);
  EXPECT_EQ(policy.groups[0].devices, 1u);
  EXPECT_EQ(policy.groups[0].success_threshold, 0.5);
  EXPECT_EQ(policy.groups[1].devices, 0u);
  EXPECT_EQ(policy.starts_per_minute, 0u);  // the defaults
  EXPECT_EQ(policy.abort_failure_share, 1.0);
  EXPECT_EQ(policy.abort_after_min, 1u);

  const Result<Command> update = decode_command(R"({
    "command": "set_profile_update_policy", "actor": "user-000001",
    "params": {"organization": "org-000001", "profile": "p", "policy": "pinned",
               "pinned_version": "11.11.5",
               "window": {"days": ["fri"], "start": "23:59", "duration": "23h50m"}}})");
  ASSERT_TRUE(update.ok()) << update.error().message;
  const ProfileUpdatePolicy& set = std::get<SetProfileUpdatePolicy>(update.value().params).policy;
  EXPECT_EQ(set.kind, UpdatePolicyKind::kPinned);
  ASSERT_TRUE(set.window.has_value());
  EXPECT_TRUE(set.window->days.test(static_cast<std::size_t>(Weekday::kFriday)));
  EXPECT_EQ(set.window->days.count(), 1u);
  EXPECT_EQ(set.window->start, kUpdateWindowStartMax);
  EXPECT_EQ(set.window->duration, kUpdateWindowDurationMax);

  const Result<Command> release = decode_command(
      R"({"command": "publish_release", "actor": "platform",
          "params": {"version": "12.0.0", "size_bytes": 5}})");
  ASSERT_TRUE(release.ok()) << release.error().message;
  EXPECT_EQ(std::get<PublishRelease>(release.value().params).published_at_s, std::nullopt);
}

struct BadRequest {
  std::string request;
  std::string text;  // the message must hold it, naming the field
};

std::string get_device_with(std::string_view params) {
  return R"({"command": "get_device", "actor": "user-000001", "params": )" + std::string(params) +
         "}";
}
std::string set_license_seats(std::string_view seats) {
  return R"({"command": "set_license", "actor": "user-000001", "params": {"organization": "o",
             "service": "s", "seats": )" +
         std::string(seats) + "}}";
}
std::string define_profile_with(std::string_view profile) {
  return R"({"command": "define_profile", "actor": "user-000001", "params": {"organization": "o",
             "profile": )" +
         std::string(profile) + "}}";
}

std::string create_task_series_with(std::string_view rest) {
  return R"({"command": "create_task_series", "actor": "u", "params": {"organization": "o",
             "action": "reboot", )" +
         std::string(rest) + "}}";
}
std::string start_rollout_with(std::string_view rest) {
  return R"({"command": "start_rollout", "actor": "u", "params": {"organization": "o",
             "name": "n", "version": "1.2.3", "devices": ["a"], )" +
         std::string(rest) + "}}";
}

TEST(CommandDecodeTest, RefusesBadRequestsNamingTheField) {
  const std::vector<BadRequest> cases = {
      {"", "request: not JSON"},
      {"{\"command\": ", "request: not JSON (syntax error at byte"},
      {"{} {}", "request: not JSON"},
      {"[\"get_device\"]", "request: expected a JSON object"},
      {"\"\xff\"", "request: not JSON"},
      {get_device_with("{\"serial\": 1e999}"), "request: not JSON"},
      {std::string(kCommandBytesMax + 1, ' '), "request: 65537 bytes, over the limit of 65536"},
      {get_device_with("{\"serial\": [[[[[[[[\"x\"]]]]]]]]}"), "request: nested deeper than 8"},
      {get_device_with("{\"serial\": \"a\", \"serial\": \"b\"}"),
       "request: field 'serial' repeated in one object"},
      {R"({"actor": "user-000001", "params": {}})", "command: missing"},
      {R"({"command": 7})", "command: expected a string"},
      {R"({"command": "reboot_all", "actor": "u", "params": {}})",
       "command: unknown command 'reboot_all' (known: register_user,"},
      {R"({"command": "get\"<x>", "params": {}})", "command: unknown command 'get??x?'"},
      {R"({"command": "get_device", "params": {"serial": "a"}})", "actor: missing"},
      {R"({"command": "get_device", "actor": null, "params": {"serial": "a"}})",
       "actor: expected a string"},
      {R"({"command": "register_user", "actor": "user-000001", "params": {}})",
       "actor: register_user takes no actor"},
      {R"({"command": "get_device", "actor": "user-000001"})", "params: missing"},
      {get_device_with("[]"), "params: expected an object"},
      {R"({"command": "get_device", "actor": "u", "params": {"serial": "a"}, "pri": 1})",
       "pri: unknown field"},
      {get_device_with("{}"), "params.serial: missing"},
      {get_device_with("{\"serial\": 42}"), "params.serial: expected a string"},
      {get_device_with("{\"serial\": \"a\", \"color\": \"red\"}"), "params.color: unknown field"},
      {get_device_with("{\"serial\": \"a\", \"a\\\"b<i>\": 1}"), "params.a?b?i?: unknown field"},
      {get_device_with("{\"serial\": \"a\", \"" + std::string(100, 'k') + "\": 1}"),
       "params." + std::string(kCommandFieldQuoteBytesMax, 'k') + "...: unknown field"},
      {set_license_seats("-1"), "params.seats: out of range 0..4294967295"},
      {set_license_seats("4294967296"), "params.seats: out of range 0..4294967295"},
      {set_license_seats("18446744073709551616"), "params.seats: expected an integer"},
      {set_license_seats("1.5"), "params.seats: expected an integer"},
      {set_license_seats("\"10\""), "params.seats: expected an integer"},
      {set_license_seats("true"), "params.seats: expected an integer"},
      {R"({"command": "invite", "actor": "u", "params": {"organization": "o", "email": "e",
          "role": "emperor"}})",
       "params.role: expected owner, administrator, operator or viewer"},
      {R"({"command": "invite", "actor": "u", "params": {"organization": "o", "email": "e",
          "role": "viewer", "scope": null}})",
       "params.scope: expected a string"},
      {define_profile_with("\"p\""), "params.profile: expected an object"},
      {define_profile_with(R"({"name": "p", "mode": 3, "os_track": "t"})"),
       "params.profile.mode: expected a string"},
      {define_profile_with(R"({"name": "p", "mode": "wild", "os_track": "t"})"),
       "params.profile.mode: expected standalone, connected or managed"},
      {define_profile_with(R"({"name": "p", "mode": "managed"})"),
       "params.profile.os_track: missing"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t",
                               "allowed_apps": "x"})"),
       "params.profile.allowed_apps: expected an array of strings"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t",
                               "allowed_apps": ["x", 1]})"),
       "params.profile.allowed_apps[1]: expected a string"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t",
                               "capabilities": ["webrtc", "webrtc"]})"),
       "params.profile.capabilities[1]: repeated"},
      {define_profile_with(R"({"name": "p", "mode": "managed", "os_track": "t", "colour": 1})"),
       "params.profile.colour: unknown field"},
      {R"({"command": "search_audit", "actor": "u", "params": {"organization": "o",
          "limit": "all"}})",
       "params.limit: expected an integer"},
      {R"({"command": "assign_resource_group", "actor": "u", "params": {"organization": "o",
          "serial": "s", "resource_group": 7}})",
       "params.resource_group: expected a string"},
      {R"({"command": "claim_device", "actor": "u", "params": {"organization": "o",
          "serial": "s", "oak": "k", "resource_group": null}})",
       "params.resource_group: expected a string"},
      {R"({"command": "create_task_series", "actor": "u", "params": {"organization": "o",
          "action": "Reboot", "parameters": {}, "devices": ["a"]}})",
       "params.action: expected set_overlay_text, upgrade_firmware, reboot or adopt_device"},
      {R"({"command": "create_task_series", "actor": "u", "params": {"organization": "o",
          "action": 3, "parameters": {}, "devices": ["a"]}})",
       "params.action: expected a string"},
      {R"({"command": "create_task_series", "actor": "u", "params": {"organization": "o",
          "parameters": {}, "devices": ["a"]}})",
       "params.action: missing"},
      {create_task_series_with(R"("parameters": {"text": 5}, "devices": ["a"])"),
       "params.parameters.text: expected a string"},
      {create_task_series_with(R"("parameters": {"a\"b": 1}, "devices": ["a"])"),
       "params.parameters.a?b: expected a string"},
      {create_task_series_with(R"("devices": ["a"])"), "params.parameters: missing"},
      {create_task_series_with(R"("parameters": [], "devices": ["a"])"),
       "params.parameters: expected an object"},
      {create_task_series_with(R"("parameters": {}, "devices": "a")"),
       "params.devices: expected an array of strings"},
      {create_task_series_with(R"("parameters": {}, "devices": ["a", 2])"),
       "params.devices[1]: expected a string"},
      {create_task_series_with(R"("parameters": {}, "devices": ["a"], "timeout_s": -5)"),
       "params.timeout_s: out of range"},
      {create_task_series_with(R"("parameters": {}, "devices": ["a"], "retries": 3)"),
       "params.retries: unknown field"},
      {start_rollout_with(R"("groups": {"devices": 1})"),
       "params.groups: expected an array of objects"},
      {start_rollout_with(R"("groups": [1])"), "params.groups[0]: expected an object"},
      {start_rollout_with(R"("groups": [{"devices": 1}])"),
       "params.groups[0].success_threshold: missing"},
      {start_rollout_with(R"("groups": [{"devices": 1, "success_threshold": "all"}])"),
       "params.groups[0].success_threshold: expected a number"},
      {start_rollout_with(R"("groups": [{"devices": 1, "success_threshold": 1},
                                        {"devices": -1, "success_threshold": 1}])"),
       "params.groups[1].devices: out of range"},
      {start_rollout_with(R"("groups": [{"devices": 1, "success_threshold": 1, "pace": 2}])"),
       "params.groups[0].pace: unknown field"},
      {start_rollout_with(R"("groups": [], "abort_failure_share": "half")"),
       "params.abort_failure_share: expected a number"},
      {start_rollout_with(R"("groups": [], "abort_after": 3)"),
       "params.abort_after: unknown field"},
      {R"({"command": "publish_release", "actor": "platform", "params": {"version": "1.2.3",
          "size_bytes": 4294967296}})",
       "params.size_bytes: out of range"},
      {R"({"command": "set_update_offering", "actor": "u", "params": {"organization": "o",
          "update_windows": "no"}})",
       "params.update_windows: expected true or false"},
      {R"({"command": "set_profile_update_policy", "actor": "u", "params": {"organization": "o",
          "profile": "p", "policy": "latest", "window": "sat 02:00"}})",
       "params.window: expected an object"},
      {R"({"command": "set_profile_update_policy", "actor": "u", "params": {"organization": "o",
          "profile": "p", "policy": "latest", "window": {"days": ["sat"], "start": "02:00"}}})",
       "params.window.duration: missing"},
      {R"({"command": "set_profile_update_policy", "actor": "u", "params": {"organization": "o",
          "profile": "p", "policy": "latest", "window": {"days": ["sat"], "start": "2:00",
          "duration": "1h"}}})",
       "params.window.start: expected HH:MM"},
      {R"({"command": "set_profile_update_policy", "actor": "u", "params": {"organization": "o",
          "profile": "p", "policy": "latest", "window": {"days": ["sat"], "start": "02:00",
          "duration": "1h", "time_zone": "UTC"}}})",
       "params.window.time_zone: unknown field"},
      {R"({"command": "set_diagnostics_consent", "actor": "u", "params": {"organization": "o",
          "device": "d", "granted": 1}})",
       "params.granted: expected true or false"},
      {R"({"command": "get_insights", "actor": "u", "params": {"serial": "d"}})",
       "params.device: missing"},
      {R"({"command": "create_organization", "actor": "u", "params": {"name": "n",
          "region": "eu-west", "applications": ["app-1", "app-1"]}})",
       "params.applications[1]: repeated"},
      {R"({"command": "register_application", "actor": "platform", "params": {"name": "n",
          "redirect_uris": "https://a.example/cb"}})",
       "params.redirect_uris: expected an array of strings"},
      {R"({"command": "authorize_application", "actor": "u", "params": {"client_id": "c",
          "redirect_uri": "r", "organization": "o", "scopes": ["video:live"],
          "code_challenge": "x", "code_challenge_method": "S256", "consent": "yes"}})",
       "params.consent: expected true or false"},
      {R"({"command": "exchange_authorization_code", "actor": "u", "params": {}})",
       "actor: exchange_authorization_code takes no actor"},
      {R"({"command": "introspect_token", "params": {"access_token": "t"}})",
       "params.token: missing"},
  };
  ControlPlane plane(1);
  for (const BadRequest& bad : cases) {
    SCOPED_TRACE(bad.request.substr(0, 200));
    const Result<Command> decoded = decode_command(bad.request);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(decoded.error().message.find(bad.text), std::string::npos)
        << "message '" << decoded.error().message << "' lacks '" << bad.text << "'";
    // The same refusal as a reply, and nothing ran.
    const Json reply = Json::parse(execute_command(plane, core::Time(1), bad.request));
    EXPECT_EQ(reply["ok"], false);
    EXPECT_EQ(reply["error"]["code"], "invalid_argument");
    EXPECT_EQ(reply["error"]["message"], decoded.error().message);
  }
  EXPECT_EQ(plane.audit_log.size(), 0u);
  EXPECT_EQ(plane.identity_store.size(), 0u);
}

TEST(CommandDecodeTest, AcceptsNestingUpToTheLimit) {
  // Eight levels in all: the decoder reads it, and only the field's type is wrong.
  const Result<Command> decoded =
      decode_command(get_device_with("{\"serial\": [[[[[[\"x\"]]]]]]}"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "params.serial: expected a string");
}

}  // namespace
}  // namespace ccsim::platform

// Every topic the platform writes to its audit log, declared once with what an entry of it
// records: the constants the services append under, and the table scenario files' audit_entries
// checks and their documentation are read from (scenarios/model, scenarios/README.md).
#pragma once

#include <array>
#include <string_view>

namespace ccsim::platform {

// X(constant, topic, what an entry records)
#define CCSIM_AUDIT_TOPICS(X)                                                                      \
  X(kTopicOrganizationCreated, "organization.created", "an organization was created by its owner") \
  X(kTopicMemberInvited, "member.invited", "a user was invited, with a role")                      \
  X(kTopicMemberJoined, "member.joined", "an invited user accepted")                               \
  X(kTopicRoleAssigned, "role.assigned", "a member's role changed")                                \
  X(kTopicRoleRevoked, "role.revoked", "a member's role was taken away")                           \
  X(kTopicResourceGroupCreated, "resource_group.created", "a resource group was created")          \
  X(kTopicLicenseSet, "license.set", "a service's seat count was set")                             \
  X(kTopicSeatConsumed, "seat.consumed", "a device took a licensed seat")                          \
  X(kTopicSeatReleased, "seat.released", "a device gave its seat back")                            \
  X(kTopicOrganizationDeleted, "organization.deleted", "the owner deleted the organization")       \
  X(kTopicDeviceRegistered, "device.registered", "the factory registered a device (platform)")     \
  X(kTopicDevicePlacedOnLan, "device.placed_on_lan",                                               \
    "a device said which LAN it is on (platform)")                                                 \
  X(kTopicDeviceOnboarding, "device.onboarding", "a claim was accepted; provisioning started")     \
  X(kTopicDeviceOnboarded, "device.onboarded", "a device accepted its provisioning")               \
  X(kTopicDeviceOnboardingFailed, "device.onboarding_failed",                                      \
    "an onboarding failed: refused, timed out, no seat")                                           \
  X(kTopicDeviceClaimRefused, "device.claim_refused", "a claim was refused: wrong OAK, locked")    \
  X(kTopicDeviceModeChanged, "device.mode_changed", "a device's mode changed, with the cause")     \
  X(kTopicDeviceReleased, "device.released", "a device left its organization")                     \
  X(kTopicDeviceOsReported, "device.os_reported", "a device reported a new OS")                    \
  X(kTopicDeviceAppInstalled, "device.app_installed", "a device reported an app installed")        \
  X(kTopicDeviceLocalAdministratorUsed, "device.local_administrator_used",                         \
    "a device's local administrator account was used")                                             \
  X(kTopicDeviceConnection, "device.connection", "an onboarded device connected or went away")     \
  X(kTopicDeviceGroupAssigned, "device.group_assigned", "a device joined a resource group")        \
  X(kTopicProfileDefined, "profile.defined", "a device profile was defined")                       \
  X(kTopicProfileDefaultSet, "profile.default_set", "the default profile was set")                 \
  X(kTopicLatestLtsSet, "os.latest_lts_set", "the platform learnt of a newer LTS track")           \
  X(kTopicTaskSeriesCreated, "task_series.created", "a user created a task series")                \
  X(kTopicTaskSeriesCancelled, "task_series.cancelled", "a user cancelled a task series")          \
  X(kTopicTaskCancelled, "task.cancelled", "a user cancelled one task")                            \
  X(kTopicTaskHostCreated, "task.host_created", "a host reported a task it created itself")        \
  X(kTopicRolloutStarted, "rollout.started", "a user started a rollout")                           \
  X(kTopicRolloutEnded, "rollout.ended", "a rollout finished or aborted")                          \
  X(kTopicDiagnosticsConsentGranted, "diagnostics.consent_granted",                                \
    "a user granted diagnostics consent for a device")                                             \
  X(kTopicDiagnosticsConsentRevoked, "diagnostics.consent_revoked",                                \
    "a user revoked diagnostics consent for a device")                                             \
  X(kTopicLiveSessionOpened, "live_session.opened",                                                \
    "a viewer opened a WebRTC live session with a device")                                         \
  X(kTopicLiveSessionEnded, "live_session.ended",                                                  \
    "a live session ended: closed, expired, refused by the device, device gone")                   \
  X(kAuditClosedTopic, "audit.closed", "the trail's last entry: its organization was deleted")

#define CCSIM_AUDIT_TOPIC_CONSTANT(constant, topic, doc) \
  inline constexpr std::string_view constant = topic;
CCSIM_AUDIT_TOPICS(CCSIM_AUDIT_TOPIC_CONSTANT)
#undef CCSIM_AUDIT_TOPIC_CONSTANT

struct AuditTopicSpec {
  std::string_view topic;
  std::string_view doc;
};

#define CCSIM_AUDIT_TOPIC_ROW(constant, topic, doc) AuditTopicSpec{topic, doc},
inline constexpr std::array kAuditTopics = {CCSIM_AUDIT_TOPICS(CCSIM_AUDIT_TOPIC_ROW)};
#undef CCSIM_AUDIT_TOPIC_ROW

}  // namespace ccsim::platform

// Commands as JSON: the form in which the REST adapter and the scenario engine hand a command to
// the control plane, and the form of its reply.
//
//   request: {"command": "<name>", "actor": "<user id>", "params": {...}}
//   reply:   {"ok": true, "result": {...}}
//            {"ok": false, "error": {"code": "<error_code_name>", "message": "..."}}
//
// Decoding checks the request's shape only: size, nesting, presence and type of every field,
// integer ranges, and that no field is unknown or repeated; every error names the field
// ("params.serial: expected a string"). Words and notations with a fixed grammar (a role, a
// mode, a task's action by proto/task_vocabulary.h, an update window's days, start and duration,
// by update_window.h's parsers) become typed values there, and a word outside its grammar is
// refused with the words it may be. The values themselves (identifiers, names, lengths, rights) are
// checked by the services the command runs on, so one rule lives in one place. Decoding never
// quotes a value back, and quotes a field name only cut short and with anything outside
// [A-Za-z0-9._-] replaced, since both come from whoever sent the request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/node.h"
#include "platform/app_authorization.h"
#include "platform/audit_log.h"
#include "platform/control_plane.h"
#include "platform/device_registry.h"
#include "platform/insights.h"
#include "platform/permissions.h"
#include "platform/rollout_manager.h"
#include "platform/service_result.h"
#include "platform/software_updates.h"
#include "platform/task_manager.h"

namespace ccsim::platform {

// Requests larger than this are refused before parsing.
inline constexpr std::size_t kCommandBytesMax = 64 * 1024;
// Objects and arrays nested deeper than this are refused before parsing; the deepest valid
// requests (define_profile's allowed_apps, start_rollout's groups, set_profile_update_policy's
// window days) nest 4 deep.
inline constexpr std::size_t kCommandNestingMax = 8;
// Devices one list_devices reply holds, at most and by default.
inline constexpr std::size_t kDevicePageEntriesMax = 500;
inline constexpr std::size_t kDevicePageEntriesDefault = 100;
// How much of a field name an error message quotes.
inline constexpr std::size_t kCommandFieldQuoteBytesMax = 64;

// Parameters of each command, typed; the comment says which service call runs it.
struct RegisterUser {  // IdentityStore::register_user; takes no actor
  std::string email;
  std::string display_name;
};
// Tenancy::create_organization, the actor becoming its owner, with `applications` (client ids,
// distinct; none when absent) onboarded into it at its creation (GrantPath::kAtCreation). All or
// nothing: AppAuthorization::check_grantable refuses before the organization exists.
struct CreateOrganization {
  std::string name;
  std::string region;
  std::vector<std::string> applications;  // sorted
};
struct Invite {  // Tenancy::invite
  std::string organization;
  std::string email;
  Role role = Role::kViewer;
  std::optional<std::string> scope;
};
struct AcceptInvitation {  // Tenancy::accept_invitation, the actor joining
  std::string invitation;
};
struct AssignRole {  // Tenancy::assign_role
  std::string organization;
  std::string member;
  Role role = Role::kViewer;
  std::optional<std::string> scope;
};
// Tenancy::revoke_role; the member's application tokens in the organization are revoked with
// it, as assign_role revokes them when it replaces a grant (tenancy.h).
struct RevokeRole {
  std::string organization;
  std::string member;
  Role role = Role::kViewer;
  std::optional<std::string> scope;
};
struct CreateResourceGroup {  // Tenancy::create_resource_group
  std::string organization;
  std::string name;
};
struct SetLicense {  // Tenancy::set_license
  std::string organization;
  std::string service;
  std::uint32_t seats = 0;
};
// Tenancy::delete_organization; its application grants, codes and tokens go with it (tenancy.h).
struct DeleteOrganization {
  std::string organization;
};
struct DefineProfile {  // DeviceRegistry::define_profile
  std::string organization;
  DeviceProfile profile;
};
struct SetDefaultProfile {  // DeviceRegistry::set_default_profile
  std::string organization;
  std::string profile;
};
struct ClaimDevice {  // DeviceRegistry::claim
  std::string organization;
  std::string serial;
  std::string oak;
  std::optional<std::string> profile;
  std::optional<std::string> resource_group;
};
struct ClaimDeviceViaHost {  // DeviceRegistry::claim_via_host
  std::string organization;
  std::string host;
  std::string serial;
  std::string oak;
  std::optional<std::string> profile;
  std::optional<std::string> resource_group;
};
// DeviceRegistry::assign_resource_group: into `resource_group`, or out of every group when it is
// absent.
struct AssignResourceGroup {
  std::string organization;
  std::string serial;
  std::optional<std::string> resource_group;
};
struct RequestCapability {  // DeviceRegistry::request_capability
  std::string organization;
  std::string serial;
  std::string capability;
};
// DeviceRegistry::device. A device an organization owns is shown to those who may view its
// video there (kGetDevicePermission in its resource group, else organization-wide); an unowned
// one (factory facts, no tenant data) to any known user.
struct GetDevice {
  std::string serial;
};
// DeviceRegistry::devices_of, after authorizing kListDevicesPermission organization-wide (a role
// scoped to a resource group does not list the fleet): a page of at most
// `limit` devices (1..kDevicePageEntriesMax, kDevicePageEntriesDefault when absent) by serial,
// those after serial `after` when given. The reply's "next_after" is the last serial shown when
// more follow, else "".
struct ListDevices {
  std::string organization;
  std::optional<std::uint32_t> limit;
  std::optional<std::string> after;
};
// AuditLog::search, after authorizing kSearchAuditPermission. The query's organization, topic,
// device, actor (a filter, not the caller), limit and cursor come from params; an absent limit
// is kAuditPageEntriesDefault.
struct SearchAudit {
  AuditQuery query;
};

// TaskManager::create_series, once check_deployable passed (an upgrade_firmware's version must be
// a published release). `timeout_s`, when given, is the request's timeout in seconds.
struct CreateTaskSeries {
  std::string organization;
  TaskSeriesRequest request;
};
struct CancelTask {  // TaskManager::cancel_task
  std::string organization;
  std::string task;
};
struct CancelSeries {  // TaskManager::cancel_series
  std::string organization;
  std::string series;
};
// TaskManager::task. Shown, as a device is, to those with kGetTaskPermission in the task's
// resource group (else organization-wide); to anyone else it does not exist.
struct GetTask {
  std::string task;
};
// TaskManager::series and series_tasks (the tasks' ids, devices and statuses). Shown to those
// with kGetTaskPermission in the resource group of every task; to anyone else it does not exist.
struct GetTaskSeries {
  std::string series;
};
// RolloutManager::start, once the version is found to be a published release (else kNotFound
// naming "version"). Only members of the organization reach the rollout manager, which tells
// whether a rollout name is taken. Its params: name, version, devices, groups [{devices,
// success_threshold}], and, optional, starts_per_minute (0), abort_failure_share (1) and
// abort_after_min (1), named as RolloutPolicy names them so that its errors name the field.
struct StartRollout {
  std::string organization;
  RolloutRequest request;
};
// RolloutManager::find, after authorizing kGetRolloutPermission organization-wide.
struct GetRollout {
  std::string organization;
  std::string name;
};
// ReleaseCatalog::publish of `version` on its own track, published at `published_at_s` seconds
// of run Time (now when absent). Releases are the platform's, not an organization's: no tenant
// role allows it, and the actor must be the platform itself (kAuditPlatformActor), as for the
// platform's other acts (seat accounting, device release); the REST adapter sets the actor from
// the caller's credentials, so no user can claim it.
struct PublishRelease {
  std::string version;
  std::uint32_t size_bytes = 0;
  std::optional<std::uint32_t> published_at_s;
};
// SoftwareUpdates::set_offering, after authorizing kSetOfferingPermission: what the
// organization's offering includes is a license matter.
struct SetUpdateOffering {
  std::string organization;
  bool update_windows = true;
};
// SoftwareUpdates::set_profile_policy for a profile the organization defined, after authorizing
// kSetUpdatePolicyPermission. Params: profile, policy ("latest" or "pinned"), pinned_version,
// and window {days ["mon".."sun"], start "HH:MM", duration "3h"}, parsed by update_window.h.
struct SetProfileUpdatePolicy {
  std::string organization;
  std::string profile;
  ProfileUpdatePolicy policy;
};
// SoftwareUpdates::set_time_zone, after authorizing kSetUpdatePolicyPermission in the resource
// group (which must exist).
struct SetSiteTimeZone {
  std::string organization;
  std::string resource_group;
  std::string time_zone;
};
struct SetDiagnosticsConsent {  // Insights::set_consent
  std::string organization;
  std::string device;
  bool granted = false;
};
// Insights::insights_of. Shown, as the device is, to those with kGetInsightsPermission in its
// resource group (else organization-wide); for anyone else the device does not exist.
struct GetInsights {
  std::string device;
};

// AppAuthorization::register_application. Applications, ours or a partner's, are the platform's
// clients, not an organization's: as for publish_release, the actor must be the platform itself
// (kAuditPlatformActor).
struct RegisterApplication {
  std::string name;
  std::vector<std::string> redirect_uris;
};
// AppAuthorization::grant_application by selection (GrantPath::kOrganizationSelected): the actor,
// signed in to the application's own client, picks this organization. Needs
// kOnboardApplicationPermission there, as consenting in an authorization request does.
struct OnboardApplication {
  std::string organization;
  std::string client_id;
};
// AppAuthorization::authorize for the actor, with the role they hold organization-wide (a member
// holding roles only in resource groups is refused: scopes are organization-wide). Params:
// client_id, redirect_uri, organization, scopes, code_challenge, code_challenge_method and
// consent (false when absent: onboarding by OAuth consent). The reply holds the code.
struct AuthorizeApplication {
  AuthorizationRequest request;  // user_id and user_role filled in when it runs
};
// AppAuthorization::exchange_code, the token endpoint. Takes no actor: the application's client
// calls it, and the code with its PKCE verifier are its credentials. The reply holds the access
// token and its claims.
struct ExchangeAuthorizationCode {
  TokenRequest request;
};
// AppAuthorization::verify_token, as token introspection (RFC 7662) answers: {"active": false}
// for a token that does not verify (revoked, expired, tampered, unknown), else "active": true
// and its claims. Takes no actor: it tells a holder only what the token itself says.
struct IntrospectToken {
  std::string token;
};

// The weakest permission every role holds: anyone in the organization may see its devices, and
// the tasks, rollouts and insights about them.
inline constexpr Permission kListDevicesPermission = Permission::kViewLiveVideo;
inline constexpr Permission kGetDevicePermission = Permission::kViewLiveVideo;
inline constexpr Permission kGetTaskPermission = Permission::kViewLiveVideo;
inline constexpr Permission kGetRolloutPermission = Permission::kViewLiveVideo;
inline constexpr Permission kGetInsightsPermission = Permission::kViewLiveVideo;
inline constexpr Permission kSearchAuditPermission = Permission::kReadAuditLog;
// Update policies and site time zones shape what devices run, as their profiles do.
inline constexpr Permission kSetUpdatePolicyPermission = Permission::kChangeDeviceProfiles;
inline constexpr Permission kSetOfferingPermission = Permission::kManageLicenses;

using CommandParams =
    std::variant<RegisterUser, CreateOrganization, Invite, AcceptInvitation, AssignRole, RevokeRole,
                 CreateResourceGroup, SetLicense, DeleteOrganization, DefineProfile,
                 SetDefaultProfile, ClaimDevice, ClaimDeviceViaHost, AssignResourceGroup,
                 RequestCapability, GetDevice, ListDevices, SearchAudit, CreateTaskSeries,
                 CancelTask, CancelSeries, GetTask, GetTaskSeries, StartRollout, GetRollout,
                 PublishRelease, SetUpdateOffering, SetProfileUpdatePolicy, SetSiteTimeZone,
                 SetDiagnosticsConsent, GetInsights, RegisterApplication, OnboardApplication,
                 AuthorizeApplication, ExchangeAuthorizationCode, IntrospectToken>;

// One decoded request.
struct Command {
  std::string actor;  // the caller's user id; empty for the commands that take none
  CommandParams params;
};

// The request's "command" name of `params`' alternative ("register_user", ...).
std::string_view command_name(const CommandParams& params);

// Decodes and type-checks one request; kInvalidArgument naming the field otherwise.
Result<Command> decode_command(std::string_view request_json);

// Runs one request at a time and returns the answer: execute_command on a plane, or a journaled
// plane's execute (global_store/journaled_plane.h), which writes it down first.
using CommandRunner = std::function<std::string(core::Time now, std::string_view request_json)>;

// Decodes one request and runs it against `plane` at `now`; the reply as compact JSON. Never
// throws: every failure is an {"ok": false} reply (running out of memory terminates).
std::string execute_command(ControlPlane& plane, core::Time now,
                            std::string_view request_json) noexcept;
// The same for a request already decoded.
std::string execute_command(ControlPlane& plane, core::Time now, const Command& command) noexcept;

}  // namespace ccsim::platform

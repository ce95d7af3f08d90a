// Tenancy: organizations (the platform's tenants), the people in them and what each may do,
// their licenses and resource groups. A sans-IO service: every command takes the current time,
// checks its input and the caller's rights, writes one audit entry, then changes state; queries
// change nothing. Errors are values; identifiers come from counters ("org-000001", "inv-000001",
// "rg-000001"), so the same commands always give the same ids.
//
// Data placement. Everything held here for an organization (members, invitations, licenses,
// resource groups) is that organization's user data and lives in its record, which carries the
// organization's region: a regional store shards by it. People appear only as UserIds; their
// e-mail addresses and names live in the IdentityStore alone. An invitation keeps only a digest
// of the address it was sent to, and audit details never hold personal data.
//
// Roles and scope. A member holds one or more role grants: at most one organization-wide, and
// at most one per resource group. A grant scoped to group G counts only for actions in G. To
// authorize a permission, the grants that apply are the organization-wide one and, for an action
// in group G, the one scoped to G; the strongest of them (owner > administrator > operator >
// viewer, each allowing all its successor does) decides by the matrix in permissions.h. An
// action not in any group needs an organization-wide grant. The owner role is always
// organization-wide, is given only by an owner through assign_role (never by invitation), and
// the last owner can be neither demoted nor removed. A member whose last grant is revoked leaves
// the organization.
//
// Deletion erases the organization's record (members, invitations, licenses, resource groups),
// erases from the IdentityStore the personal data of each member who belongs to no other
// organization (the deleting owner included), closes the organization's audit trail (kept,
// searchable, refusing appends), and hands back the serials of its devices to release.
//
// Applications act for a member with a token whose scopes came from the member's role
// (app_authorization.h), so a token must not outlive the grant that backed it: when a member's
// grant is taken back (revoke_role, and with the last one the membership) or replaced by another
// (assign_role over a grant held at that scope), the application tokens and pending codes that
// member holds in the organization are revoked; when the organization is deleted, all of its
// are, and its applications' onboarding is forgotten. Granting a role at a new scope takes
// nothing away and revokes nothing.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node.h"
#include "platform/audit_log.h"
#include "platform/audit_topics.h"
#include "platform/identity_store.h"
#include "platform/permissions.h"
#include "platform/service_result.h"

namespace ccsim::platform {

using OrganizationId = std::string;   // "org-NNNNNN"
using InvitationId = std::string;     // "inv-NNNNNN"
using ResourceGroupId = std::string;  // "rg-NNNNNN"

inline constexpr std::string_view kOrganizationIdPrefix = "org";
inline constexpr std::string_view kInvitationIdPrefix = "inv";
inline constexpr std::string_view kResourceGroupIdPrefix = "rg";

// Where an organization's user data is stored.
inline constexpr std::array<std::string_view, 6> kRegions = {
    "eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-northeast"};
// Services an organization holds licenses (seat counts) for.
inline constexpr std::array<std::string_view, 3> kLicensedServices = {
    "device-management", "video-streaming", "recording"};

inline constexpr std::size_t kOrganizationNameBytesMax = 64;
inline constexpr std::size_t kResourceGroupNameBytesMax = 64;
inline constexpr std::size_t kOrganizationsMax = 100'000;  // as many as the audit log has trails
inline constexpr std::size_t kOrganizationMembersMax = 10'000;
inline constexpr std::size_t kOrganizationInvitationsPendingMax = 1'000;
// Invitation records (pending, accepted, expired) one organization keeps.
inline constexpr std::size_t kOrganizationInvitationRecordsMax = 10'000;
inline constexpr std::size_t kOrganizationResourceGroupsMax = 1'000;
inline constexpr std::uint32_t kLicenseSeatsMax = 1'000'000;
inline constexpr core::Duration kInvitationLifetimeDefault = std::chrono::hours(24 * 7);
inline constexpr core::Duration kInvitationLifetimeMax = std::chrono::hours(24 * 90);
// How long an accepted or expired invitation is remembered (so that accepting it again says why
// it fails) before the next invitation to its organization drops it.
inline constexpr core::Duration kInvitationRecordRetention = std::chrono::hours(24 * 30);

// The role named `name` ("owner", "administrator", "operator", "viewer"); kInvalidArgument
// naming the field "role" otherwise.
Result<Role> parse_role(std::string_view name);

// The service's limits; tests shrink them, the platform keeps the defaults.
struct TenancyLimits {
  std::size_t organizations_max = kOrganizationsMax;
  std::size_t members_max = kOrganizationMembersMax;
  std::size_t invitations_pending_max = kOrganizationInvitationsPendingMax;
  std::size_t invitation_records_max = kOrganizationInvitationRecordsMax;
  std::size_t resource_groups_max = kOrganizationResourceGroupsMax;
  core::Duration invitation_lifetime = kInvitationLifetimeDefault;  // 1 us..max
};

struct Organization {
  OrganizationId id;
  std::string name;
  std::string region;  // one of kRegions: where this organization's user data lives
  UserId created_by;
  core::Time created_at{};
};

// A role held organization-wide (no scope) or only within one resource group.
struct RoleGrant {
  Role role = Role::kViewer;
  std::optional<ResourceGroupId> scope;
  bool operator==(const RoleGrant&) const = default;
};

struct Member {
  UserId user;
  std::vector<RoleGrant> grants;  // organization-wide first, then by resource group id
  core::Time joined_at{};
};

struct Invitation {
  InvitationId id;
  OrganizationId organization;
  RoleGrant grant;  // what accepting it gives
  UserId invited_by;
  core::Time created_at{};
  core::Time expires_at{};  // acceptable while now < expires_at
  std::optional<core::Time> accepted_at;
};

struct ResourceGroup {
  ResourceGroupId id;
  std::string name;
  core::Time created_at{};
};

struct License {
  std::string service;  // one of kLicensedServices
  std::uint32_t seats = 0;
  std::uint32_t used = 0;
};

// Where the device registry plugs in: called once, at `now`, as an organization is deleted (its
// trail already closed), it releases the organization's devices and returns their serials.
using DeviceRelease =
    std::function<std::vector<std::string>(core::Time now, std::string_view organization)>;

// Where application authorization plugs in, as the device registry does above: called at `now`
// once the change is audited and made, with well-formed ids.
struct AppRevocation {
  // A grant of `user` in `organization` was taken back or replaced (they may have left it).
  std::function<void(core::Time now, std::string_view organization, std::string_view user)>
      member_grant_withdrawn;
  // `organization` is being deleted (its trail already closed).
  std::function<void(core::Time now, std::string_view organization)> organization_deleted;
};

class Tenancy {
 public:
  // Both must outlive the service.
  Tenancy(AuditLog& audit_log, IdentityStore& identity_store, TenancyLimits limits = {});

  // Whether `user` may use `permission` in `organization`, within `resource_group` when given
  // (else organization-wide): kInvalidArgument for malformed input, kUnauthenticated for an
  // unknown user, kNotFound for an unknown organization or resource group, kPermissionDenied
  // (naming role and permission) for a non-member, a role the matrix refuses, or grants whose
  // scope does not cover the action. Every command on an existing organization calls it first,
  // except the platform's seat accounting (no user) and accepting an invitation (the user is not
  // a member yet: only their identity and invited address are checked).
  Result<Done> authorize(std::string_view user, std::string_view organization,
                         Permission permission,
                         std::optional<std::string_view> resource_group = std::nullopt) const;

  // A new organization whose owner is `creator`; `region` one of kRegions.
  Result<OrganizationId> create_organization(core::Time now, std::string_view creator,
                                             std::string_view name, std::string_view region);

  // Invites `email` to join with `role` (never owner), optionally scoped to a resource group;
  // needs kInviteUsers there. Pending until accepted or invitation_lifetime has passed.
  Result<InvitationId> invite(core::Time now, std::string_view actor, std::string_view organization,
                              std::string_view email, Role role,
                              std::optional<std::string_view> scope = std::nullopt);

  // `user` joins with the invitation's grant. Only a known user (else kUnauthenticated) whose
  // address was invited, once, before expiry (else kFailedPrecondition).
  Result<Done> accept_invitation(core::Time now, std::string_view user,
                                 std::string_view invitation);

  // Gives `member` `role` at `scope` (organization-wide when absent), replacing the grant held
  // there. Needs kAssignRoles at that scope; only an owner grants or takes the owner role.
  Result<Done> assign_role(core::Time now, std::string_view actor, std::string_view organization,
                           std::string_view member, Role role,
                           std::optional<std::string_view> scope = std::nullopt);

  // Takes back the grant of `role` at `scope` (kNotFound if `member` holds no such grant).
  Result<Done> revoke_role(core::Time now, std::string_view actor, std::string_view organization,
                           std::string_view member, Role role,
                           std::optional<std::string_view> scope = std::nullopt);

  // A new resource group (a site, say); needs kOnboardDevices organization-wide, since grouping
  // devices is part of managing the fleet. Names are unique within the organization.
  Result<ResourceGroupId> create_resource_group(core::Time now, std::string_view actor,
                                                std::string_view organization,
                                                std::string_view name);

  // Sets the seat count of the organization's license for `service` (not below the seats in
  // use); needs kManageLicenses.
  Result<Done> set_license(core::Time now, std::string_view actor, std::string_view organization,
                           std::string_view service, std::uint32_t seats);

  // Seat accounting, called by platform services (onboarding) once they have authorized their
  // own caller; audited as kAuditPlatformActor. kResourceExhausted when every seat is in use.
  Result<Done> consume_seat(core::Time now, std::string_view organization,
                            std::string_view service);
  Result<Done> release_seat(core::Time now, std::string_view organization,
                            std::string_view service);

  // Deletes the organization (needs kDeleteOrganization: owners only) as the header comment
  // says; returns the serials of its devices to release, sorted. Later commands: kNotFound.
  Result<std::vector<std::string>> delete_organization(core::Time now, std::string_view actor,
                                                       std::string_view organization);

  // Installs the device registry's release (none yet: deletion then releases no devices).
  void set_device_release(DeviceRelease release) { device_release_ = std::move(release); }
  // Installs application authorization's revocation (none yet: no tokens to revoke). Either
  // function may be empty.
  void set_app_revocation(AppRevocation revocation) { app_revocation_ = std::move(revocation); }

  Result<Organization> organization(std::string_view organization) const;
  // By user id.
  Result<std::vector<Member>> members(std::string_view organization) const;
  // The strongest role `user` holds that applies at `scope` (organization-wide when absent);
  // kNotFound when none does.
  Result<Role> role_of(std::string_view user, std::string_view organization,
                       std::optional<std::string_view> scope = std::nullopt) const;
  // By id.
  Result<std::vector<ResourceGroup>> resource_groups(std::string_view organization) const;
  // By service; only services a license was ever set for.
  Result<std::vector<License>> licenses(std::string_view organization) const;
  Result<Invitation> invitation(std::string_view invitation) const;
  // The organizations `user` is a member of, by id.
  std::vector<OrganizationId> organizations_of(std::string_view user) const;
  std::size_t organization_count() const { return organizations_.size(); }

 private:
  struct InvitationState {
    Invitation invitation;
    std::string email_digest;  // see email_digest(): the address itself is not kept
  };
  struct MemberState {
    std::map<std::optional<ResourceGroupId>, Role> grants;  // never empty
    core::Time joined_at{};
  };
  struct OrganizationState {
    Organization organization;
    std::map<UserId, MemberState, std::less<>> members;
    std::map<InvitationId, InvitationState, std::less<>> invitations;
    std::map<std::string, License, std::less<>> licenses;  // by service
    std::map<ResourceGroupId, ResourceGroup, std::less<>> resource_groups;
  };
  using Organizations = std::map<OrganizationId, OrganizationState, std::less<>>;

  Result<Done> authorize_as(std::string_view user_field, std::string_view user,
                            std::string_view organization, Permission permission,
                            std::string_view scope_field,
                            std::optional<std::string_view> scope) const;
  Result<const OrganizationState*> find_organization(std::string_view organization) const;
  // The state of an organization known to exist (asserted).
  OrganizationState& organization_state(std::string_view organization);
  Result<Done> record(core::Time now, std::string_view organization, std::string_view actor,
                      std::string_view topic, std::string detail);
  // The checks assign_role and revoke_role share: the actor may assign roles (in `scope`), the
  // role and member id are well formed, and `member` belongs to the organization.
  Result<MemberState*> member_for_grant(std::string_view actor, std::string_view organization,
                                        std::string_view member, Role role,
                                        std::optional<std::string_view> scope);
  // Whether `actor` may change `member`'s grant from `current` to `next` (absent: none) as far
  // as ownership goes: only owners touch the owner role, and the last owner stays.
  Result<Done> check_role_change(const OrganizationState& organization, std::string_view actor,
                                 std::string_view member, std::optional<Role> current,
                                 std::optional<Role> next) const;
  void drop_settled_invitations(core::Time now, OrganizationState& organization);
  Result<Done> check_invitable(core::Time now, const OrganizationState& organization,
                               std::string_view email, std::string_view digest) const;
  void add_member(OrganizationState& organization, const UserId& user, const RoleGrant& grant,
                  core::Time now);
  void remove_member(OrganizationState& organization, std::string_view user);
  void erase_user_data(OrganizationState& organization);
  void withdraw_app_tokens(core::Time now, std::string_view organization, std::string_view user);

  AuditLog& audit_log_;
  IdentityStore& identity_store_;
  TenancyLimits limits_;
  DeviceRelease device_release_;
  AppRevocation app_revocation_;
  Organizations organizations_;
  std::map<InvitationId, OrganizationId, std::less<>> invitation_organization_;
  std::map<UserId, std::set<OrganizationId, std::less<>>, std::less<>> organizations_of_user_;
  std::uint32_t last_organization_serial_ = 0;
  std::uint32_t last_invitation_serial_ = 0;
  std::uint32_t last_resource_group_serial_ = 0;
};

}  // namespace ccsim::platform

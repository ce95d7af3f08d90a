#include "platform/tenancy.h"

#include <algorithm>
#include <cassert>

namespace ccsim::platform {

namespace {

// Grants named in a permission-denied message before it says "...".
constexpr std::size_t kGrantsNamedMax = 3;

// authorize() decides by the strongest applicable grant, which is only sound when each role
// allows everything the next weaker one does.
constexpr bool roles_nested() {
  for (std::size_t role = 0; role + 1 < kRoleCount; ++role) {
    for (std::size_t permission = 0; permission < kPermissionCount; ++permission) {
      if (kPermissionMatrix[role + 1][permission] && !kPermissionMatrix[role][permission]) {
        return false;
      }
    }
  }
  return true;
}
static_assert(roles_nested(), "each role must allow all that the next weaker role allows");

ServiceError invalid(std::string_view field, std::string_view what) {
  return error(ErrorCode::kInvalidArgument, std::string(field) + ": " + std::string(what));
}

ServiceError unknown_user(std::string_view field, std::string_view user) {
  return error(ErrorCode::kUnauthenticated,
               std::string(field) + ": " + std::string(user) + " is not a known user");
}

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& names) {
  std::string text;
  for (std::string_view name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

// A name people give: 1..bytes_max bytes, no control characters, no surrounding spaces.
std::optional<ServiceError> check_name(std::string_view field, std::string_view name,
                                       std::size_t bytes_max) {
  if (name.empty() || name.size() > bytes_max) {
    return invalid(field, "must be 1.." + std::to_string(bytes_max) + " bytes, got " +
                              std::to_string(name.size()));
  }
  const bool control = std::any_of(name.begin(), name.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
  if (control) return invalid(field, "holds a control character");
  if (name.front() == ' ' || name.back() == ' ') {
    return invalid(field, "starts or ends with a space");
  }
  return std::nullopt;
}

std::optional<ServiceError> check_role(Role role) {
  if (static_cast<std::size_t>(role) < kRoleCount) return std::nullopt;
  return invalid("role", "unknown role " + std::to_string(static_cast<int>(role)));
}

template <std::size_t N>
std::optional<ServiceError> check_listed(std::string_view field, std::string_view value,
                                         const std::array<std::string_view, N>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return std::nullopt;
  // Quote the value only when it is short enough not to flood a log.
  const std::string shown = value.size() <= kOrganizationNameBytesMax
                                ? "'" + std::string(value) + "'"
                                : std::to_string(value.size()) + " bytes";
  return invalid(field, "unknown " + std::string(field) + " " + shown + " (expected one of " +
                            joined(allowed) + ")");
}

std::optional<std::string> owned(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  return std::string(*text);
}

std::string scope_text(const std::optional<ResourceGroupId>& scope) {
  return scope ? *scope : "organization";
}

using Grants = std::map<std::optional<ResourceGroupId>, Role>;

// The strongest grant that applies to an action at `scope`: the organization-wide one and, in a
// resource group, the one scoped to it.
std::optional<Role> strongest_role(const Grants& grants, std::optional<std::string_view> scope) {
  std::optional<Role> best;
  const auto consider = [&](const std::optional<ResourceGroupId>& key) {
    const auto found = grants.find(key);
    if (found != grants.end() && (!best || found->second < *best)) best = found->second;
  };
  consider(std::nullopt);
  if (scope) consider(std::string(*scope));
  return best;
}

// "operator in rg-000001, viewer in rg-000002, ...": the grants a member holds.
std::string grants_text(const Grants& grants) {
  std::string text;
  std::size_t named = 0;
  for (const auto& [scope, role] : grants) {
    if (!text.empty()) text += ", ";
    if (named == kGrantsNamedMax) return text + "...";
    text += std::string(role_name(role)) + " in " + scope_text(scope);
    ++named;
  }
  return text;
}

}  // namespace

Result<Role> parse_role(std::string_view name) {
  for (std::size_t index = 0; index < kRoleCount; ++index) {
    const auto role = static_cast<Role>(index);
    if (role_name(role) == name) return role;
  }
  const std::string shown =
      name.size() <= kOrganizationNameBytesMax ? "'" + std::string(name) + "'" : "(oversized)";
  return invalid("role",
                 "unknown role " + shown + " (expected owner, administrator, operator or viewer)");
}

Tenancy::Tenancy(AuditLog& audit_log, IdentityStore& identity_store, TenancyLimits limits)
    : audit_log_(audit_log), identity_store_(identity_store), limits_(limits) {
  assert(limits_.organizations_max >= 1 && limits_.organizations_max <= kOrganizationsMax);
  assert(limits_.members_max >= 1 && limits_.members_max <= kOrganizationMembersMax);
  assert(limits_.invitations_pending_max >= 1);
  assert(limits_.invitations_pending_max <= kOrganizationInvitationsPendingMax);
  assert(limits_.invitation_records_max >= limits_.invitations_pending_max);
  assert(limits_.invitation_records_max <= kOrganizationInvitationRecordsMax);
  assert(limits_.resource_groups_max >= 1);
  assert(limits_.resource_groups_max <= kOrganizationResourceGroupsMax);
  assert(limits_.invitation_lifetime > core::Duration::zero());
  assert(limits_.invitation_lifetime <= kInvitationLifetimeMax);
}

Result<const Tenancy::OrganizationState*> Tenancy::find_organization(
    std::string_view organization) const {
  if (auto e = check_numbered_id("organization", kOrganizationIdPrefix, organization)) return *e;
  const auto found = organizations_.find(organization);
  if (found == organizations_.end()) {
    return error(ErrorCode::kNotFound, "organization: " + std::string(organization) + " not found");
  }
  return &found->second;
}

Tenancy::OrganizationState& Tenancy::organization_state(std::string_view organization) {
  const auto found = organizations_.find(organization);
  assert(found != organizations_.end());
  return found->second;
}

Result<Done> Tenancy::authorize(std::string_view user, std::string_view organization,
                                Permission permission,
                                std::optional<std::string_view> resource_group) const {
  return authorize_as("user", user, organization, permission, "resource_group", resource_group);
}

Result<Done> Tenancy::authorize_as(std::string_view user_field, std::string_view user,
                                   std::string_view organization, Permission permission,
                                   std::string_view scope_field,
                                   std::optional<std::string_view> scope) const {
  if (auto e = check_numbered_id(user_field, kUserIdPrefix, user)) return *e;
  if (static_cast<std::size_t>(permission) >= kPermissionCount) {
    return invalid("permission",
                   "unknown permission " + std::to_string(static_cast<int>(permission)));
  }
  if (!identity_store_.contains(user)) return unknown_user(user_field, user);
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  const OrganizationState& state = *found.value();
  if (scope) {
    if (auto e = check_numbered_id(scope_field, kResourceGroupIdPrefix, *scope)) return *e;
    if (!state.resource_groups.contains(*scope)) {
      return error(ErrorCode::kNotFound, std::string(scope_field) + ": " + std::string(*scope) +
                                             " not found in " + std::string(organization));
    }
  }
  const std::string denied = std::string(permission_name(permission)) + " denied";
  const auto member = state.members.find(user);
  if (member == state.members.end()) {
    return error(ErrorCode::kPermissionDenied, std::string(user) + " is not a member of " +
                                                   std::string(organization) + ": " + denied);
  }
  const std::optional<Role> role = strongest_role(member->second.grants, scope);
  if (!role) {
    const std::string where =
        scope ? "resource group " + std::string(*scope) : "the whole organization";
    return error(ErrorCode::kPermissionDenied,
                 std::string(user) + " holds no role in " + std::string(organization) +
                     " that covers " + where + " (holds " + grants_text(member->second.grants) +
                     "): " + denied);
  }
  if (!role_allows(*role, permission)) {
    return error(ErrorCode::kPermissionDenied, std::string(user) + " as " +
                                                   std::string(role_name(*role)) + " in " +
                                                   std::string(organization) + " may not " +
                                                   std::string(permission_name(permission)));
  }
  return Done{};
}

Result<Done> Tenancy::record(core::Time now, std::string_view organization, std::string_view actor,
                             std::string_view topic, std::string detail) {
  auto appended = audit_log_.append(now, AuditRecord{std::string(organization), std::string(actor),
                                                     std::string(topic), "", std::move(detail)});
  if (!appended.ok()) return appended.error();
  return Done{};
}

void Tenancy::add_member(OrganizationState& organization, const UserId& user,
                         const RoleGrant& grant, core::Time now) {
  assert(!organization.members.contains(user));
  assert(grant.role != Role::kOwner || !grant.scope);
  MemberState member;
  member.grants.emplace(grant.scope, grant.role);
  member.joined_at = now;
  organization.members.emplace(user, std::move(member));
  const bool added = organizations_of_user_[user].insert(organization.organization.id).second;
  assert(added);
  (void)added;
}

void Tenancy::remove_member(OrganizationState& organization, std::string_view user) {
  const auto member = organization.members.find(user);
  assert(member != organization.members.end());
  organization.members.erase(member);
  const auto memberships = organizations_of_user_.find(user);
  assert(memberships != organizations_of_user_.end());
  memberships->second.erase(organization.organization.id);
  if (memberships->second.empty()) organizations_of_user_.erase(memberships);
}

Result<OrganizationId> Tenancy::create_organization(core::Time now, std::string_view creator,
                                                    std::string_view name,
                                                    std::string_view region) {
  if (auto e = check_numbered_id("creator", kUserIdPrefix, creator)) return *e;
  if (!identity_store_.contains(creator)) return unknown_user("creator", creator);
  if (auto e = check_name("name", name, kOrganizationNameBytesMax)) return *e;
  if (auto e = check_listed("region", region, kRegions)) return *e;
  if (organizations_.size() >= limits_.organizations_max) {
    return error(ErrorCode::kResourceExhausted,
                 std::to_string(limits_.organizations_max) + " organizations exist, the most");
  }
  if (last_organization_serial_ >= kNumberedIdSerialMax) {
    return error(ErrorCode::kResourceExhausted, "organization identifiers exhausted");
  }
  OrganizationId id = numbered_id(kOrganizationIdPrefix, last_organization_serial_ + 1);
  auto recorded =
      record(now, id, creator, kTopicOrganizationCreated, "region=" + std::string(region));
  if (!recorded.ok()) return recorded.error();
  ++last_organization_serial_;
  OrganizationState state;
  state.organization =
      Organization{id, std::string(name), std::string(region), UserId(creator), now};
  OrganizationState& stored = organizations_.emplace(id, std::move(state)).first->second;
  add_member(stored, UserId(creator), RoleGrant{Role::kOwner, std::nullopt}, now);
  return id;
}

void Tenancy::drop_settled_invitations(core::Time now, OrganizationState& organization) {
  auto& invitations = organization.invitations;
  for (auto it = invitations.begin(); it != invitations.end();) {
    const Invitation& invitation = it->second.invitation;
    const core::Time settled_at = invitation.accepted_at.value_or(invitation.expires_at);
    if (settled_at <= now && now - settled_at >= kInvitationRecordRetention) {
      invitation_organization_.erase(it->first);
      it = invitations.erase(it);
    } else {
      ++it;
    }
  }
}

Result<Done> Tenancy::check_invitable(core::Time now, const OrganizationState& organization,
                                      std::string_view email, std::string_view digest) const {
  const std::string& id = organization.organization.id;
  auto registered = identity_store_.find_by_email(email);
  if (registered.ok() && organization.members.contains(registered.value())) {
    return error(ErrorCode::kAlreadyExists, "email: the address belongs to a member of " + id);
  }
  std::size_t pending = 0;
  for (const auto& [invitation_id, state] : organization.invitations) {
    if (state.invitation.accepted_at || now >= state.invitation.expires_at) continue;
    if (state.email_digest == digest) {
      return error(ErrorCode::kAlreadyExists,
                   "email: invitation " + invitation_id + " to this address is pending");
    }
    ++pending;
  }
  if (pending >= limits_.invitations_pending_max) {
    return error(ErrorCode::kResourceExhausted,
                 id + " has " + std::to_string(pending) + " invitations pending, the most");
  }
  if (organization.invitations.size() >= limits_.invitation_records_max) {
    return error(ErrorCode::kResourceExhausted,
                 id + " keeps " + std::to_string(organization.invitations.size()) +
                     " invitation records, the most");
  }
  return Done{};
}

Result<InvitationId> Tenancy::invite(core::Time now, std::string_view actor,
                                     std::string_view organization, std::string_view email,
                                     Role role, std::optional<std::string_view> scope) {
  auto allowed =
      authorize_as("actor", actor, organization, Permission::kInviteUsers, "scope", scope);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_role(role)) return *e;
  if (role == Role::kOwner) {
    return invalid("role", "ownership is not granted by invitation: invite, then assign owner");
  }
  if (auto e = check_email("email", email)) return *e;
  OrganizationState& state = organization_state(organization);
  drop_settled_invitations(now, state);
  std::string digest = email_digest(email);
  auto invitable = check_invitable(now, state, email, digest);
  if (!invitable.ok()) return invitable.error();
  if (last_invitation_serial_ >= kNumberedIdSerialMax) {
    return error(ErrorCode::kResourceExhausted, "invitation identifiers exhausted");
  }
  InvitationId id = numbered_id(kInvitationIdPrefix, last_invitation_serial_ + 1);
  RoleGrant grant{role, owned(scope)};
  const core::Time expires_at = now + limits_.invitation_lifetime;
  auto recorded = record(now, organization, actor, kTopicMemberInvited,
                         "invitation=" + id + " role=" + std::string(role_name(role)) +
                             " scope=" + scope_text(grant.scope) +
                             " expires_at_us=" + std::to_string(expires_at.count()));
  if (!recorded.ok()) return recorded.error();
  ++last_invitation_serial_;
  Invitation invitation{id,         state.organization.id, std::move(grant), UserId(actor), now,
                        expires_at, std::nullopt};
  state.invitations.emplace(id, InvitationState{std::move(invitation), std::move(digest)});
  invitation_organization_.emplace(id, state.organization.id);
  return id;
}

Result<Done> Tenancy::accept_invitation(core::Time now, std::string_view user,
                                        std::string_view invitation) {
  if (auto e = check_numbered_id("user", kUserIdPrefix, user)) return *e;
  if (!identity_store_.contains(user)) return unknown_user("user", user);
  if (auto e = check_numbered_id("invitation", kInvitationIdPrefix, invitation)) return *e;
  const auto index = invitation_organization_.find(invitation);
  if (index == invitation_organization_.end()) {
    return error(ErrorCode::kNotFound, "invitation: " + std::string(invitation) + " not found");
  }
  OrganizationState& state = organization_state(index->second);
  const auto found = state.invitations.find(invitation);
  assert(found != state.invitations.end());
  InvitationState& pending = found->second;
  const std::string& id = pending.invitation.id;
  if (pending.invitation.accepted_at) {
    return error(ErrorCode::kFailedPrecondition, "invitation: " + id + " was already accepted");
  }
  if (now >= pending.invitation.expires_at) {
    return error(ErrorCode::kFailedPrecondition,
                 "invitation: " + id + " expired at " +
                     std::to_string(pending.invitation.expires_at.count()) + " us");
  }
  auto personal = identity_store_.personal_data_of(user);
  assert(personal.ok());
  if (email_digest(personal.value().email) != pending.email_digest) {
    return error(
        ErrorCode::kFailedPrecondition,
        "invitation: " + id + " was sent to another address than " + std::string(user) + "'s");
  }
  if (state.members.contains(user)) {
    return error(ErrorCode::kAlreadyExists,
                 "user: " + std::string(user) + " is already a member of " + state.organization.id);
  }
  if (state.members.size() >= limits_.members_max) {
    return error(ErrorCode::kResourceExhausted, state.organization.id + " has " +
                                                    std::to_string(state.members.size()) +
                                                    " members, the most");
  }
  const RoleGrant& grant = pending.invitation.grant;
  assert(!grant.scope || state.resource_groups.contains(*grant.scope));
  auto recorded = record(now, state.organization.id, user, kTopicMemberJoined,
                         "invitation=" + id + " role=" + std::string(role_name(grant.role)) +
                             " scope=" + scope_text(grant.scope));
  if (!recorded.ok()) return recorded.error();
  pending.invitation.accepted_at = now;
  add_member(state, UserId(user), grant, now);
  return Done{};
}

Result<Done> Tenancy::check_role_change(const OrganizationState& organization,
                                        std::string_view actor, std::string_view member,
                                        std::optional<Role> current,
                                        std::optional<Role> next) const {
  if (current != Role::kOwner && next != Role::kOwner) return Done{};
  const auto acting = organization.members.find(actor);
  assert(acting != organization.members.end());  // authorized, so a member
  const std::optional<Role> actor_role = strongest_role(acting->second.grants, std::nullopt);
  if (actor_role != Role::kOwner) {
    const std::string held = actor_role ? std::string(role_name(*actor_role)) : "no owner";
    return error(ErrorCode::kPermissionDenied,
                 "role: only an owner may grant or take the owner role; " + std::string(actor) +
                     " is " + held + " in " + organization.organization.id);
  }
  if (current == Role::kOwner && next != Role::kOwner) {
    const std::size_t owners = std::count_if(
        organization.members.begin(), organization.members.end(), [](const auto& entry) {
          return strongest_role(entry.second.grants, std::nullopt) == Role::kOwner;
        });
    assert(owners >= 1);
    if (owners == 1) {
      return error(ErrorCode::kFailedPrecondition,
                   "member: " + std::string(member) + " is the last owner of " +
                       organization.organization.id + "; make another member owner first");
    }
  }
  return Done{};
}

Result<Tenancy::MemberState*> Tenancy::member_for_grant(std::string_view actor,
                                                        std::string_view organization,
                                                        std::string_view member, Role role,
                                                        std::optional<std::string_view> scope) {
  auto allowed =
      authorize_as("actor", actor, organization, Permission::kAssignRoles, "scope", scope);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_role(role)) return *e;
  if (auto e = check_numbered_id("member", kUserIdPrefix, member)) return *e;
  OrganizationState& state = organization_state(organization);
  const auto found = state.members.find(member);
  if (found == state.members.end()) {
    return error(ErrorCode::kNotFound,
                 "member: " + std::string(member) + " is not a member of " + state.organization.id);
  }
  return &found->second;
}

Result<Done> Tenancy::assign_role(core::Time now, std::string_view actor,
                                  std::string_view organization, std::string_view member, Role role,
                                  std::optional<std::string_view> scope) {
  auto found = member_for_grant(actor, organization, member, role, scope);
  if (!found.ok()) return found.error();
  if (role == Role::kOwner && scope) return invalid("scope", "the owner role is organization-wide");
  OrganizationState& state = organization_state(organization);
  Grants& grants = found.value()->grants;
  std::optional<ResourceGroupId> key = owned(scope);
  const auto held = grants.find(key);
  const std::optional<Role> current =
      held == grants.end() ? std::nullopt : std::optional<Role>(held->second);
  if (current == role) return Done{};  // nothing changes, so nothing to record
  auto change = check_role_change(state, actor, member, current, role);
  if (!change.ok()) return change.error();
  const std::string previous = current ? std::string(role_name(*current)) : "none";
  auto recorded = record(now, organization, actor, kTopicRoleAssigned,
                         "member=" + std::string(member) + " role=" + std::string(role_name(role)) +
                             " scope=" + scope_text(key) + " previous=" + previous);
  if (!recorded.ok()) return recorded.error();
  grants[std::move(key)] = role;
  // Tokens were scoped from the grant replaced; only adding a grant at a new scope keeps them.
  if (current) withdraw_app_tokens(now, organization, member);
  return Done{};
}

Result<Done> Tenancy::revoke_role(core::Time now, std::string_view actor,
                                  std::string_view organization, std::string_view member, Role role,
                                  std::optional<std::string_view> scope) {
  auto found = member_for_grant(actor, organization, member, role, scope);
  if (!found.ok()) return found.error();
  OrganizationState& state = organization_state(organization);
  Grants& grants = found.value()->grants;
  const std::optional<ResourceGroupId> key = owned(scope);
  const auto held = grants.find(key);
  if (held == grants.end() || held->second != role) {
    return error(ErrorCode::kNotFound, "role: " + std::string(member) + " holds no " +
                                           std::string(role_name(role)) + " grant in " +
                                           scope_text(key) + " of " + state.organization.id);
  }
  auto change = check_role_change(state, actor, member, role, std::nullopt);
  if (!change.ok()) return change.error();
  const bool leaves = grants.size() == 1;
  auto recorded = record(now, organization, actor, kTopicRoleRevoked,
                         "member=" + std::string(member) + " role=" + std::string(role_name(role)) +
                             " scope=" + scope_text(key) + (leaves ? " membership=ended" : ""));
  if (!recorded.ok()) return recorded.error();
  grants.erase(held);
  if (leaves) remove_member(state, member);
  withdraw_app_tokens(now, organization, member);
  return Done{};
}

void Tenancy::withdraw_app_tokens(core::Time now, std::string_view organization,
                                  std::string_view user) {
  if (app_revocation_.member_grant_withdrawn) {
    app_revocation_.member_grant_withdrawn(now, organization, user);
  }
}

Result<ResourceGroupId> Tenancy::create_resource_group(core::Time now, std::string_view actor,
                                                       std::string_view organization,
                                                       std::string_view name) {
  auto allowed = authorize_as("actor", actor, organization, Permission::kOnboardDevices, "scope",
                              std::nullopt);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_name("name", name, kResourceGroupNameBytesMax)) return *e;
  OrganizationState& state = organization_state(organization);
  for (const auto& [id, group] : state.resource_groups) {
    if (group.name == name) {
      return error(ErrorCode::kAlreadyExists, "name: resource group '" + std::string(name) +
                                                  "' exists in " + state.organization.id + " as " +
                                                  id);
    }
  }
  if (state.resource_groups.size() >= limits_.resource_groups_max) {
    return error(ErrorCode::kResourceExhausted, state.organization.id + " has " +
                                                    std::to_string(state.resource_groups.size()) +
                                                    " resource groups, the most");
  }
  if (last_resource_group_serial_ >= kNumberedIdSerialMax) {
    return error(ErrorCode::kResourceExhausted, "resource group identifiers exhausted");
  }
  ResourceGroupId id = numbered_id(kResourceGroupIdPrefix, last_resource_group_serial_ + 1);
  auto recorded =
      record(now, organization, actor, kTopicResourceGroupCreated, "resource_group=" + id);
  if (!recorded.ok()) return recorded.error();
  ++last_resource_group_serial_;
  state.resource_groups.emplace(id, ResourceGroup{id, std::string(name), now});
  return id;
}

Result<Done> Tenancy::set_license(core::Time now, std::string_view actor,
                                  std::string_view organization, std::string_view service,
                                  std::uint32_t seats) {
  auto allowed = authorize_as("actor", actor, organization, Permission::kManageLicenses, "scope",
                              std::nullopt);
  if (!allowed.ok()) return allowed.error();
  if (auto e = check_listed("service", service, kLicensedServices)) return *e;
  if (seats > kLicenseSeatsMax) {
    return invalid(
        "seats", "at most " + std::to_string(kLicenseSeatsMax) + ", got " + std::to_string(seats));
  }
  OrganizationState& state = organization_state(organization);
  const auto found = state.licenses.find(service);
  const License held = found == state.licenses.end() ? License{} : found->second;
  if (seats < held.used) {
    return error(ErrorCode::kFailedPrecondition,
                 "seats: " + std::to_string(held.used) + " seats of " + std::string(service) +
                     " in " + state.organization.id + " are in use; release some first");
  }
  auto recorded = record(now, organization, actor, kTopicLicenseSet,
                         "service=" + std::string(service) + " seats=" + std::to_string(seats) +
                             " previous=" + std::to_string(held.seats));
  if (!recorded.ok()) return recorded.error();
  state.licenses[std::string(service)] = License{std::string(service), seats, held.used};
  return Done{};
}

Result<Done> Tenancy::consume_seat(core::Time now, std::string_view organization,
                                   std::string_view service) {
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  if (auto e = check_listed("service", service, kLicensedServices)) return *e;
  OrganizationState& state = organization_state(organization);
  const std::string license_text =
      "license for " + std::string(service) + " in " + state.organization.id;
  const auto license = state.licenses.find(service);
  if (license == state.licenses.end()) {
    return error(ErrorCode::kResourceExhausted, license_text + ": none held");
  }
  if (license->second.used >= license->second.seats) {
    return error(ErrorCode::kResourceExhausted,
                 license_text + ": all " + std::to_string(license->second.seats) + " seats in use");
  }
  auto recorded = record(now, organization, kAuditPlatformActor, kTopicSeatConsumed,
                         "service=" + std::string(service) +
                             " used=" + std::to_string(license->second.used + 1) +
                             " seats=" + std::to_string(license->second.seats));
  if (!recorded.ok()) return recorded.error();
  ++license->second.used;
  return Done{};
}

Result<Done> Tenancy::release_seat(core::Time now, std::string_view organization,
                                   std::string_view service) {
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  if (auto e = check_listed("service", service, kLicensedServices)) return *e;
  OrganizationState& state = organization_state(organization);
  const auto license = state.licenses.find(service);
  if (license == state.licenses.end() || license->second.used == 0) {
    return error(ErrorCode::kFailedPrecondition, "license for " + std::string(service) + " in " +
                                                     state.organization.id + ": no seat in use");
  }
  auto recorded = record(now, organization, kAuditPlatformActor, kTopicSeatReleased,
                         "service=" + std::string(service) +
                             " used=" + std::to_string(license->second.used - 1) +
                             " seats=" + std::to_string(license->second.seats));
  if (!recorded.ok()) return recorded.error();
  --license->second.used;
  return Done{};
}

void Tenancy::erase_user_data(OrganizationState& organization) {
  for (const auto& [id, invitation] : organization.invitations) {
    invitation_organization_.erase(id);
  }
  for (const auto& [user, member] : organization.members) {
    const auto memberships = organizations_of_user_.find(user);
    assert(memberships != organizations_of_user_.end());
    memberships->second.erase(organization.organization.id);
    if (!memberships->second.empty()) continue;
    organizations_of_user_.erase(memberships);
    // Not found when the person already had the identity store forget them: nothing to erase.
    (void)identity_store_.erase_user(user);
  }
}

Result<std::vector<std::string>> Tenancy::delete_organization(core::Time now,
                                                              std::string_view actor,
                                                              std::string_view organization) {
  auto allowed = authorize_as("actor", actor, organization, Permission::kDeleteOrganization,
                              "scope", std::nullopt);
  if (!allowed.ok()) return allowed.error();
  // `organization` may view the caller's copy of an id stored here; keep our own.
  const OrganizationId id(organization);
  OrganizationState& state = organization_state(id);
  auto recorded = record(now, id, actor, kTopicOrganizationDeleted,
                         "members=" + std::to_string(state.members.size()) +
                             " invitations=" + std::to_string(state.invitations.size()) +
                             " resource_groups=" + std::to_string(state.resource_groups.size()) +
                             " licenses=" + std::to_string(state.licenses.size()));
  if (!recorded.ok()) return recorded.error();
  // Refused only when the log is full; the organization then stays, and a retry records the
  // deletion again, so the trail shows both attempts.
  auto closed = audit_log_.close_trail(now, id);
  if (!closed.ok()) return closed.error();
  // The device registry plugs in here: it releases the fleet and names the devices released.
  std::vector<std::string> released =
      device_release_ ? device_release_(now, id) : std::vector<std::string>{};
  std::sort(released.begin(), released.end());
  // And application authorization here: no token of the organization outlives it.
  if (app_revocation_.organization_deleted) app_revocation_.organization_deleted(now, id);
  erase_user_data(state);
  organizations_.erase(id);
  return released;
}

Result<Organization> Tenancy::organization(std::string_view organization) const {
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  return found.value()->organization;
}

Result<std::vector<Member>> Tenancy::members(std::string_view organization) const {
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  std::vector<Member> members;
  members.reserve(found.value()->members.size());
  for (const auto& [user, state] : found.value()->members) {
    Member member{user, {}, state.joined_at};
    for (const auto& [scope, role] : state.grants) member.grants.push_back(RoleGrant{role, scope});
    members.push_back(std::move(member));
  }
  return members;
}

Result<Role> Tenancy::role_of(std::string_view user, std::string_view organization,
                              std::optional<std::string_view> scope) const {
  if (auto e = check_numbered_id("user", kUserIdPrefix, user)) return *e;
  if (scope) {
    if (auto e = check_numbered_id("scope", kResourceGroupIdPrefix, *scope)) return *e;
  }
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  const auto member = found.value()->members.find(user);
  if (member == found.value()->members.end()) {
    return error(ErrorCode::kNotFound,
                 "user: " + std::string(user) + " is not a member of " + std::string(organization));
  }
  const std::optional<Role> role = strongest_role(member->second.grants, scope);
  if (!role) {
    return error(ErrorCode::kNotFound, "user: " + std::string(user) + " holds no role in " +
                                           std::string(scope.value_or("organization")) + " of " +
                                           std::string(organization));
  }
  return *role;
}

Result<std::vector<ResourceGroup>> Tenancy::resource_groups(std::string_view organization) const {
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  std::vector<ResourceGroup> groups;
  for (const auto& [id, group] : found.value()->resource_groups) groups.push_back(group);
  return groups;
}

Result<std::vector<License>> Tenancy::licenses(std::string_view organization) const {
  auto found = find_organization(organization);
  if (!found.ok()) return found.error();
  std::vector<License> licenses;
  for (const auto& [service, license] : found.value()->licenses) licenses.push_back(license);
  return licenses;
}

Result<Invitation> Tenancy::invitation(std::string_view invitation) const {
  if (auto e = check_numbered_id("invitation", kInvitationIdPrefix, invitation)) return *e;
  const auto index = invitation_organization_.find(invitation);
  if (index == invitation_organization_.end()) {
    return error(ErrorCode::kNotFound, "invitation: " + std::string(invitation) + " not found");
  }
  const auto organization = organizations_.find(index->second);
  assert(organization != organizations_.end());
  return organization->second.invitations.find(invitation)->second.invitation;
}

std::vector<OrganizationId> Tenancy::organizations_of(std::string_view user) const {
  const auto found = organizations_of_user_.find(user);
  if (found == organizations_of_user_.end()) return {};
  return {found->second.begin(), found->second.end()};
}

}  // namespace ccsim::platform

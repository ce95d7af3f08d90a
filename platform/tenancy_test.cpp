#include "platform/tenancy.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/identity_store.h"

namespace ccsim::platform {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

// ---------------------------------------------------------------------------------------------
// Identity store

TEST(IdentityStoreTest, RegistersUsersAndFindsThemByAddressInAnyCase) {
  IdentityStore store;
  const UserId alice = must(store.register_user("Alice@Acme.example", "Alice Andersson"));
  const UserId bob = must(store.register_user("bob@acme.example", "Bob"));
  EXPECT_EQ(alice, "user-000001");
  EXPECT_EQ(bob, "user-000002");
  EXPECT_EQ(must(store.find_by_email("alice@ACME.example")), alice);
  const PersonalData data = must(store.personal_data_of(alice));
  EXPECT_EQ(data.email, "Alice@Acme.example");  // kept as given
  EXPECT_EQ(data.display_name, "Alice Andersson");
  expect_error(store.register_user("ALICE@acme.example", "Other"), ErrorCode::kAlreadyExists,
               "email: already registered");
  expect_error(store.find_by_email("carol@acme.example"), ErrorCode::kNotFound, "email:");
  EXPECT_EQ(store.size(), 2u);
}

TEST(IdentityStoreTest, RefusesMalformedAndOversizedAddressesWithoutQuotingThem) {
  IdentityStore store;
  const std::string long_local(kEmailLocalPartBytesMax + 1, 'a');
  const std::string long_label(kEmailDomainLabelBytesMax + 1, 'b');
  // An address of `bytes` bytes: a 64-byte local part and a domain of valid labels.
  const auto address_of = [](std::size_t bytes) {
    const std::size_t fixed = 64 + 1 + 63 + 1 + 63 + 1 + 4;
    return std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
           std::string(bytes - fixed, 'd') + ".com";
  };
  const std::string long_address = address_of(kEmailBytesMax + 1);
  ASSERT_EQ(long_address.size(), kEmailBytesMax + 1);
  const std::vector<std::string> malformed = {"",
                                              "no-at-sign.example",
                                              "two@@at.example",
                                              "a@b@c.example",
                                              "@acme.example",
                                              "alice@",
                                              "alice@localhost",
                                              ".alice@acme.example",
                                              "alice.@acme.example",
                                              "al..ice@acme.example",
                                              "al ice@acme.example",
                                              "alice@-acme.example",
                                              "alice@acme-.example",
                                              "alice@acme..example",
                                              "alice@acme.example.",
                                              "alice@acme_corp.example",
                                              "alice@10.0.0.1",
                                              "\"alice\"@acme.example",
                                              long_local + "@acme.example",
                                              "alice@" + long_label + ".example",
                                              long_address};
  for (const std::string& email : malformed) {
    auto result = store.register_user(email, "Alice");
    expect_error(result, ErrorCode::kInvalidArgument, "email:");
    if (!result.ok() && !email.empty()) {
      EXPECT_EQ(result.error().message.find(email), std::string::npos) << email;
    }
  }
  EXPECT_EQ(store.size(), 0u);
  const std::string longest = address_of(kEmailBytesMax);
  ASSERT_EQ(longest.size(), kEmailBytesMax);
  for (const std::string& email :
       {std::string("first.last+tag@sub.acme-corp.example"), std::string("o'neil@x.io"),
        std::string(64, 'a') + "@acme.example", longest}) {
    EXPECT_TRUE(store.register_user(email, "Someone").ok()) << email;
  }
}

TEST(IdentityStoreTest, RefusesEmptyOversizedAndControlCharacterDisplayNames) {
  IdentityStore store;
  expect_error(store.register_user("a@acme.example", ""), ErrorCode::kInvalidArgument,
               "display_name:");
  expect_error(store.register_user("a@acme.example", std::string(kDisplayNameBytesMax + 1, 'x')),
               ErrorCode::kInvalidArgument, "display_name:");
  expect_error(store.register_user("a@acme.example", "Ali\nce"), ErrorCode::kInvalidArgument,
               "display_name: holds a control character");
  EXPECT_TRUE(store.register_user("a@acme.example", std::string(kDisplayNameBytesMax, 'x')).ok());
  EXPECT_TRUE(store.register_user("b@acme.example", "Åsa Öberg").ok());
}

TEST(IdentityStoreTest, ErasingForgetsPersonalDataForGood) {
  IdentityStore store;
  const UserId alice = must(store.register_user("alice@acme.example", "Alice"));
  EXPECT_TRUE(store.erase_user(alice).ok());
  EXPECT_FALSE(store.contains(alice));
  expect_error(store.personal_data_of(alice), ErrorCode::kNotFound, "user: user-000001");
  expect_error(store.find_by_email("alice@acme.example"), ErrorCode::kNotFound, "email:");
  expect_error(store.erase_user(alice), ErrorCode::kNotFound, "user:");
  // The address is free again, under a new identifier: the old one is never reused.
  EXPECT_EQ(must(store.register_user("alice@acme.example", "Alice")), "user-000002");
}

TEST(IdentityStoreTest, RefusesMalformedUserIdentifiers) {
  IdentityStore store;
  for (std::string_view user : {"alice", "user-00001", "user-0000012", "user-00000x", "User-000001",
                                "org-000001", "user_000001"}) {
    expect_error(store.personal_data_of(user), ErrorCode::kInvalidArgument, "user:");
    expect_error(store.erase_user(user), ErrorCode::kInvalidArgument, "user:");
  }
  const std::string huge(100'000, 'u');
  auto result = store.personal_data_of(huge);
  expect_error(result, ErrorCode::kInvalidArgument, "user: must be 11 bytes");
  if (!result.ok()) {
    EXPECT_LT(result.error().message.size(), 100u);
  }
}

TEST(IdentityStoreTest, RefusesUsersPastItsLimit) {
  IdentityStore store(IdentityStoreLimits{.users_max = 2});
  must(store.register_user("a@acme.example", "A"));
  must(store.register_user("b@acme.example", "B"));
  expect_error(store.register_user("c@acme.example", "C"), ErrorCode::kResourceExhausted,
               "2 users");
}

TEST(IdentityStoreTest, NumberedIdentifiersArePaddedAndChecked) {
  EXPECT_EQ(numbered_id("org", 1), "org-000001");
  EXPECT_EQ(numbered_id("rg", kNumberedIdSerialMax), "rg-999999");
  EXPECT_FALSE(check_numbered_id("organization", "org", "org-000001"));
  auto malformed = check_numbered_id("organization", "org", "org-00000a");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->message, "organization: 'org-00000a' is not of the form org-NNNNNN");
  EXPECT_EQ(email_digest("Alice@ACME.example"), email_digest("alice@acme.example"));
  EXPECT_NE(email_digest("alice@acme.example"), email_digest("bob@acme.example"));
}

// ---------------------------------------------------------------------------------------------
// Tenancy

class TenancyTest : public ::testing::Test {
 protected:
  // Each call is one second after the previous: the audit log refuses time going backwards.
  core::Time tick() {
    now_ += seconds(1);
    return now_;
  }

  UserId person(std::string_view email, std::string_view name = "Someone") {
    return must(identities_.register_user(email, name));
  }

  OrganizationId create(const UserId& creator, std::string_view region = "eu-west") {
    return must(tenancy_.create_organization(tick(), creator, "Acme", region));
  }

  // `user` joins `organization` with `role` by an invitation from `actor`.
  void join(const OrganizationId& organization, const UserId& actor, const UserId& user, Role role,
            std::optional<std::string_view> scope = std::nullopt) {
    const std::string email = must(identities_.personal_data_of(user)).email;
    const InvitationId invitation =
        must(tenancy_.invite(tick(), actor, organization, email, role, scope));
    ASSERT_TRUE(tenancy_.accept_invitation(tick(), user, invitation).ok());
  }

  std::vector<AuditEntry> entries(const OrganizationId& organization, std::string_view topic = "") {
    AuditQuery query;
    query.organization = organization;
    query.topic = std::string(topic);
    query.limit = kAuditPageEntriesMax;
    return must(audit_log_.search(query)).entries;
  }

  core::Time now_{};
  AuditLog audit_log_;
  IdentityStore identities_;
  Tenancy tenancy_{audit_log_, identities_};
  const UserId alice_ = person("alice@acme.example", "Alice");
  const UserId bob_ = person("bob@acme.example", "Bob");
  const UserId carol_ = person("carol@acme.example", "Carol");
  const UserId dave_ = person("dave@acme.example", "Dave");
};

TEST_F(TenancyTest, CreatorIsOwnerAndRegionIsStored) {
  const OrganizationId acme = create(alice_, "ap-south");
  EXPECT_EQ(acme, "org-000001");
  EXPECT_EQ(must(tenancy_.role_of(alice_, acme)), Role::kOwner);
  const Organization organization = must(tenancy_.organization(acme));
  EXPECT_EQ(organization.name, "Acme");
  EXPECT_EQ(organization.region, "ap-south");
  EXPECT_EQ(organization.created_by, alice_);
  const std::vector<Member> members = must(tenancy_.members(acme));
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].user, alice_);
  EXPECT_EQ(members[0].grants, (std::vector<RoleGrant>{{Role::kOwner, std::nullopt}}));
  EXPECT_TRUE(tenancy_.authorize(alice_, acme, Permission::kDeleteOrganization).ok());
  EXPECT_EQ(tenancy_.organizations_of(alice_), std::vector<OrganizationId>{acme});
  const auto created = entries(acme, kTopicOrganizationCreated);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].actor, alice_);
  EXPECT_EQ(created[0].detail, "region=ap-south");
}

TEST_F(TenancyTest, CreateOrganizationValidatesItsInput) {
  expect_error(tenancy_.create_organization(tick(), "user-000099", "Acme", "eu-west"),
               ErrorCode::kUnauthenticated, "creator: user-000099 is not a known user");
  expect_error(tenancy_.create_organization(tick(), "alice", "Acme", "eu-west"),
               ErrorCode::kInvalidArgument, "creator:");
  expect_error(tenancy_.create_organization(tick(), alice_, "", "eu-west"),
               ErrorCode::kInvalidArgument, "name: must be 1..64 bytes, got 0");
  expect_error(tenancy_.create_organization(tick(), alice_, std::string(65, 'n'), "eu-west"),
               ErrorCode::kInvalidArgument, "name: must be 1..64 bytes, got 65");
  expect_error(tenancy_.create_organization(tick(), alice_, "Ac\tme", "eu-west"),
               ErrorCode::kInvalidArgument, "name: holds a control character");
  expect_error(tenancy_.create_organization(tick(), alice_, " Acme", "eu-west"),
               ErrorCode::kInvalidArgument, "name: starts or ends with a space");
  expect_error(tenancy_.create_organization(tick(), alice_, "Acme", "mars-north"),
               ErrorCode::kInvalidArgument, "region: unknown region 'mars-north'");
  EXPECT_EQ(tenancy_.organization_count(), 0u);
  EXPECT_TRUE(tenancy_.create_organization(tick(), alice_, std::string(64, 'n'), "us-east").ok());
}

TEST_F(TenancyTest, RefusesOrganizationsPastItsLimit) {
  Tenancy small(audit_log_, identities_, TenancyLimits{.organizations_max = 1});
  EXPECT_TRUE(small.create_organization(tick(), alice_, "One", "eu-west").ok());
  expect_error(small.create_organization(tick(), alice_, "Two", "eu-west"),
               ErrorCode::kResourceExhausted, "1 organizations exist, the most");
}

TEST_F(TenancyTest, InvitedUserJoinsWithTheInvitedRole) {
  const OrganizationId acme = create(alice_);
  const InvitationId invitation =
      must(tenancy_.invite(tick(), alice_, acme, "BOB@acme.example", Role::kOperator));
  EXPECT_EQ(invitation, "inv-000001");
  const Invitation pending = must(tenancy_.invitation(invitation));
  EXPECT_EQ(pending.organization, acme);
  EXPECT_EQ(pending.grant.role, Role::kOperator);
  EXPECT_EQ(pending.expires_at, pending.created_at + kInvitationLifetimeDefault);
  EXPECT_FALSE(pending.accepted_at);
  expect_error(tenancy_.role_of(bob_, acme), ErrorCode::kNotFound, "not a member");

  ASSERT_TRUE(tenancy_.accept_invitation(tick(), bob_, invitation).ok());
  EXPECT_EQ(must(tenancy_.role_of(bob_, acme)), Role::kOperator);
  EXPECT_EQ(must(tenancy_.invitation(invitation)).accepted_at, now_);
  const std::vector<Member> members = must(tenancy_.members(acme));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].user, alice_);  // sorted by id
  EXPECT_EQ(members[1].user, bob_);
  EXPECT_EQ(members[1].joined_at, now_);
  ASSERT_EQ(entries(acme, kTopicMemberInvited).size(), 1u);
  const auto joined = entries(acme, kTopicMemberJoined);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].actor, bob_);
  for (const AuditEntry& entry : entries(acme)) {
    EXPECT_EQ(entry.detail.find('@'), std::string::npos) << "personal data in " << entry.topic;
  }
}

TEST_F(TenancyTest, InvitationIsAcceptedOnlyByTheInvitedAddress) {
  const OrganizationId acme = create(alice_);
  const InvitationId invitation =
      must(tenancy_.invite(tick(), alice_, acme, "bob@acme.example", Role::kViewer));
  auto result = tenancy_.accept_invitation(tick(), carol_, invitation);
  expect_error(result, ErrorCode::kFailedPrecondition, "was sent to another address");
  if (!result.ok()) {
    EXPECT_EQ(result.error().message.find("bob@"), std::string::npos);
  }
  expect_error(tenancy_.role_of(carol_, acme), ErrorCode::kNotFound, "not a member");
  EXPECT_TRUE(tenancy_.accept_invitation(tick(), bob_, invitation).ok());
}

TEST_F(TenancyTest, InvitationExpiresAfterItsLifetime) {
  const OrganizationId acme = create(alice_);
  const core::Time sent = tick();
  const InvitationId late =
      must(tenancy_.invite(sent, alice_, acme, "bob@acme.example", Role::kViewer));
  const InvitationId in_time =
      must(tenancy_.invite(sent, alice_, acme, "carol@acme.example", Role::kViewer));
  const core::Time expiry = sent + kInvitationLifetimeDefault;
  EXPECT_TRUE(tenancy_.accept_invitation(expiry - microseconds(1), carol_, in_time).ok());
  expect_error(tenancy_.accept_invitation(expiry, bob_, late), ErrorCode::kFailedPrecondition,
               "invitation: inv-000001 expired at");
  // An expired invitation no longer blocks a new one to the same address.
  EXPECT_TRUE(tenancy_.invite(expiry, alice_, acme, "bob@acme.example", Role::kViewer).ok());
}

TEST_F(TenancyTest, InvitationLifetimeIsALimit) {
  Tenancy short_lived(audit_log_, identities_, TenancyLimits{.invitation_lifetime = hours(1)});
  const OrganizationId acme = must(short_lived.create_organization(tick(), alice_, "A", "eu-west"));
  const InvitationId invitation =
      must(short_lived.invite(tick(), alice_, acme, "bob@acme.example", Role::kViewer));
  expect_error(short_lived.accept_invitation(now_ + hours(1), bob_, invitation),
               ErrorCode::kFailedPrecondition, "expired");
}

TEST_F(TenancyTest, InvitationIsAcceptedOnce) {
  const OrganizationId acme = create(alice_);
  const InvitationId invitation =
      must(tenancy_.invite(tick(), alice_, acme, "bob@acme.example", Role::kViewer));
  ASSERT_TRUE(tenancy_.accept_invitation(tick(), bob_, invitation).ok());
  expect_error(tenancy_.accept_invitation(tick(), bob_, invitation), ErrorCode::kFailedPrecondition,
               "invitation: inv-000001 was already accepted");
  EXPECT_EQ(entries(acme, kTopicMemberJoined).size(), 1u);
}

TEST_F(TenancyTest, AcceptValidatesUserAndInvitation) {
  const OrganizationId acme = create(alice_);
  const InvitationId invitation =
      must(tenancy_.invite(tick(), alice_, acme, "bob@acme.example", Role::kViewer));
  expect_error(tenancy_.accept_invitation(tick(), "user-000099", invitation),
               ErrorCode::kUnauthenticated, "user: user-000099 is not a known user");
  expect_error(tenancy_.accept_invitation(tick(), "bob", invitation), ErrorCode::kInvalidArgument,
               "user:");
  expect_error(tenancy_.accept_invitation(tick(), bob_, "inv-000042"), ErrorCode::kNotFound,
               "invitation: inv-000042 not found");
  expect_error(tenancy_.accept_invitation(tick(), bob_, "invite-1"), ErrorCode::kInvalidArgument,
               "invitation:");
}

TEST_F(TenancyTest, InvitingNeedsThePermission) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kViewer);
  join(acme, alice_, carol_, Role::kOperator);
  join(acme, alice_, dave_, Role::kAdministrator);
  const std::size_t entries_before = audit_log_.size();
  expect_error(tenancy_.invite(tick(), bob_, acme, "eve@acme.example", Role::kViewer),
               ErrorCode::kPermissionDenied,
               "user-000002 as viewer in org-000001 may not "
               "invite_users");
  expect_error(tenancy_.invite(tick(), carol_, acme, "eve@acme.example", Role::kViewer),
               ErrorCode::kPermissionDenied, "as operator in org-000001 may not invite_users");
  EXPECT_EQ(audit_log_.size(), entries_before);  // refused commands record nothing
  EXPECT_TRUE(tenancy_.invite(tick(), dave_, acme, "eve@acme.example", Role::kOperator).ok());
}

TEST_F(TenancyTest, OwnershipIsNotGrantedByInvitation) {
  const OrganizationId acme = create(alice_);
  expect_error(tenancy_.invite(tick(), alice_, acme, "bob@acme.example", Role::kOwner),
               ErrorCode::kInvalidArgument, "role: ownership is not granted by invitation");
}

TEST_F(TenancyTest, InviteValidatesItsInput) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kViewer);
  expect_error(tenancy_.invite(tick(), alice_, acme, "not-an-address", Role::kViewer),
               ErrorCode::kInvalidArgument, "email:");
  expect_error(tenancy_.invite(tick(), alice_, acme, "eve@acme.example", static_cast<Role>(9)),
               ErrorCode::kInvalidArgument, "role: unknown role 9");
  expect_error(tenancy_.invite(tick(), alice_, acme, "BOB@acme.example", Role::kViewer),
               ErrorCode::kAlreadyExists, "email: the address belongs to a member");
  must(tenancy_.invite(tick(), alice_, acme, "eve@acme.example", Role::kViewer));
  expect_error(tenancy_.invite(tick(), alice_, acme, "Eve@acme.example", Role::kOperator),
               ErrorCode::kAlreadyExists, "invitation inv-000002 to this address is pending");
  expect_error(tenancy_.invite(tick(), alice_, "org-000099", "eve@acme.example", Role::kViewer),
               ErrorCode::kNotFound, "organization: org-000099 not found");
  expect_error(tenancy_.invite(tick(), alice_, "acme", "eve@acme.example", Role::kViewer),
               ErrorCode::kInvalidArgument, "organization:");
  expect_error(
      tenancy_.invite(tick(), alice_, acme, "eve2@acme.example", Role::kViewer, "rg-000007"),
      ErrorCode::kNotFound, "scope: rg-000007 not found in org-000001");
}

TEST_F(TenancyTest, RefusesInvitationsPastThePendingLimit) {
  Tenancy small(audit_log_, identities_,
                TenancyLimits{.invitations_pending_max = 2, .invitation_records_max = 2});
  const OrganizationId acme = must(small.create_organization(tick(), alice_, "A", "eu-west"));
  must(small.invite(tick(), alice_, acme, "a@acme.example", Role::kViewer));
  must(small.invite(tick(), alice_, acme, "b@acme.example", Role::kViewer));
  expect_error(small.invite(tick(), alice_, acme, "c@acme.example", Role::kViewer),
               ErrorCode::kResourceExhausted, "2 invitations pending, the most");
}

TEST_F(TenancyTest, SettledInvitationsAreForgottenAfterTheirRetention) {
  const OrganizationId acme = create(alice_);
  const InvitationId invitation =
      must(tenancy_.invite(tick(), alice_, acme, "bob@acme.example", Role::kViewer));
  ASSERT_TRUE(tenancy_.accept_invitation(tick(), bob_, invitation).ok());
  must(tenancy_.invite(now_ + kInvitationRecordRetention - seconds(1), alice_, acme,
                       "carol@acme.example", Role::kViewer));
  EXPECT_TRUE(tenancy_.invitation(invitation).ok());
  must(tenancy_.invite(now_ + kInvitationRecordRetention, alice_, acme, "dave@acme.example",
                       Role::kViewer));
  expect_error(tenancy_.invitation(invitation), ErrorCode::kNotFound, "not found");
}

TEST_F(TenancyTest, AdministratorCannotMakeOrUnmakeOwners) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kAdministrator);
  join(acme, alice_, carol_, Role::kViewer);
  expect_error(tenancy_.assign_role(tick(), bob_, acme, carol_, Role::kOwner),
               ErrorCode::kPermissionDenied,
               "role: only an owner may grant or take the owner role; user-000002 is "
               "administrator");
  expect_error(tenancy_.assign_role(tick(), bob_, acme, alice_, Role::kViewer),
               ErrorCode::kPermissionDenied, "only an owner");
  expect_error(tenancy_.revoke_role(tick(), bob_, acme, alice_, Role::kOwner),
               ErrorCode::kPermissionDenied, "only an owner");
  // Other roles are the administrator's to give.
  EXPECT_TRUE(tenancy_.assign_role(tick(), bob_, acme, carol_, Role::kOperator).ok());
  EXPECT_EQ(must(tenancy_.role_of(carol_, acme)), Role::kOperator);
  EXPECT_TRUE(tenancy_.assign_role(tick(), alice_, acme, carol_, Role::kOwner).ok());
  EXPECT_EQ(must(tenancy_.role_of(carol_, acme)), Role::kOwner);
  const auto assigned = entries(acme, kTopicRoleAssigned);
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1].actor, alice_);
  EXPECT_EQ(assigned[1].detail,
            "member=user-000003 role=owner scope=organization previous=operator");
}

TEST_F(TenancyTest, LastOwnerCannotBeDemotedOrRemoved) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kAdministrator);
  expect_error(tenancy_.assign_role(tick(), alice_, acme, alice_, Role::kAdministrator),
               ErrorCode::kFailedPrecondition,
               "member: user-000001 is the last owner of org-000001");
  expect_error(tenancy_.revoke_role(tick(), alice_, acme, alice_, Role::kOwner),
               ErrorCode::kFailedPrecondition, "last owner");
  EXPECT_EQ(must(tenancy_.role_of(alice_, acme)), Role::kOwner);
  ASSERT_TRUE(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kOwner).ok());
  EXPECT_TRUE(tenancy_.assign_role(tick(), alice_, acme, alice_, Role::kViewer).ok());
  EXPECT_EQ(must(tenancy_.role_of(alice_, acme)), Role::kViewer);
  expect_error(tenancy_.revoke_role(tick(), bob_, acme, bob_, Role::kOwner),
               ErrorCode::kFailedPrecondition, "last owner");
}

TEST_F(TenancyTest, ScopedRoleHoldsOnlyInItsResourceGroup) {
  const OrganizationId acme = create(alice_);
  const ResourceGroupId lund = must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"));
  const ResourceGroupId malmo = must(tenancy_.create_resource_group(tick(), alice_, acme, "Malmo"));
  join(acme, alice_, bob_, Role::kOperator, lund);
  EXPECT_TRUE(tenancy_.authorize(bob_, acme, Permission::kViewLiveVideo, lund).ok());
  EXPECT_TRUE(tenancy_.authorize(bob_, acme, Permission::kOperateDevices, lund).ok());
  expect_error(tenancy_.authorize(bob_, acme, Permission::kViewLiveVideo, malmo),
               ErrorCode::kPermissionDenied,
               "user-000002 holds no role in org-000001 that covers resource group rg-000002 "
               "(holds operator in rg-000001): view_live_video denied");
  expect_error(tenancy_.authorize(bob_, acme, Permission::kViewLiveVideo),
               ErrorCode::kPermissionDenied,
               "holds no role in org-000001 that covers the whole organization");
  expect_error(tenancy_.authorize(bob_, acme, Permission::kOnboardDevices, lund),
               ErrorCode::kPermissionDenied, "as operator in org-000001 may not onboard_devices");
  EXPECT_EQ(must(tenancy_.role_of(bob_, acme, lund)), Role::kOperator);
  expect_error(tenancy_.role_of(bob_, acme), ErrorCode::kNotFound, "holds no role");
  // An organization-wide grant counts in every group; the stronger applicable grant decides.
  ASSERT_TRUE(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kViewer).ok());
  EXPECT_TRUE(tenancy_.authorize(bob_, acme, Permission::kViewLiveVideo, malmo).ok());
  EXPECT_TRUE(tenancy_.authorize(bob_, acme, Permission::kOperateDevices, lund).ok());
  expect_error(tenancy_.authorize(bob_, acme, Permission::kOperateDevices, malmo),
               ErrorCode::kPermissionDenied, "as viewer in org-000001 may not operate_devices");
  EXPECT_EQ(must(tenancy_.members(acme))[1].grants,
            (std::vector<RoleGrant>{{Role::kViewer, std::nullopt}, {Role::kOperator, lund}}));
}

TEST_F(TenancyTest, ScopedAdministratorActsOnlyInItsGroup) {
  const OrganizationId acme = create(alice_);
  const ResourceGroupId lund = must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"));
  const ResourceGroupId malmo = must(tenancy_.create_resource_group(tick(), alice_, acme, "Malmo"));
  join(acme, alice_, bob_, Role::kAdministrator, lund);
  join(acme, alice_, carol_, Role::kViewer);
  EXPECT_TRUE(tenancy_.assign_role(tick(), bob_, acme, carol_, Role::kOperator, lund).ok());
  expect_error(tenancy_.assign_role(tick(), bob_, acme, carol_, Role::kOperator, malmo),
               ErrorCode::kPermissionDenied, "assign_roles denied");
  expect_error(tenancy_.assign_role(tick(), bob_, acme, carol_, Role::kOperator),
               ErrorCode::kPermissionDenied, "assign_roles denied");
  expect_error(tenancy_.create_resource_group(tick(), bob_, acme, "Ystad"),
               ErrorCode::kPermissionDenied, "onboard_devices denied");
  EXPECT_TRUE(tenancy_.invite(tick(), bob_, acme, "eve@acme.example", Role::kViewer, lund).ok());
  expect_error(tenancy_.invite(tick(), bob_, acme, "eve2@acme.example", Role::kViewer),
               ErrorCode::kPermissionDenied, "invite_users denied");
}

TEST_F(TenancyTest, OwnerRoleIsOrganizationWide) {
  const OrganizationId acme = create(alice_);
  const ResourceGroupId lund = must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"));
  join(acme, alice_, bob_, Role::kViewer);
  expect_error(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kOwner, lund),
               ErrorCode::kInvalidArgument, "scope: the owner role is organization-wide");
}

TEST_F(TenancyTest, RevokingTheLastGrantEndsMembership) {
  const OrganizationId acme = create(alice_);
  const ResourceGroupId lund = must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"));
  join(acme, alice_, bob_, Role::kViewer);
  ASSERT_TRUE(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kOperator, lund).ok());
  expect_error(tenancy_.revoke_role(tick(), alice_, acme, bob_, Role::kAdministrator),
               ErrorCode::kNotFound,
               "role: user-000002 holds no administrator grant in organization of org-000001");
  ASSERT_TRUE(tenancy_.revoke_role(tick(), alice_, acme, bob_, Role::kViewer).ok());
  EXPECT_EQ(must(tenancy_.role_of(bob_, acme, lund)), Role::kOperator);
  ASSERT_TRUE(tenancy_.revoke_role(tick(), alice_, acme, bob_, Role::kOperator, lund).ok());
  expect_error(tenancy_.role_of(bob_, acme), ErrorCode::kNotFound, "not a member");
  EXPECT_EQ(must(tenancy_.members(acme)).size(), 1u);
  EXPECT_TRUE(tenancy_.organizations_of(bob_).empty());
  const auto revoked = entries(acme, kTopicRoleRevoked);
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_EQ(revoked[1].detail, "member=user-000002 role=operator scope=rg-000001 membership=ended");
  expect_error(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kViewer),
               ErrorCode::kNotFound, "member: user-000002 is not a member of org-000001");
}

TEST_F(TenancyTest, LicensesCountSeats) {
  const OrganizationId acme = create(alice_);
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme, "device-management", 2).ok());
  EXPECT_TRUE(tenancy_.consume_seat(tick(), acme, "device-management").ok());
  EXPECT_TRUE(tenancy_.consume_seat(tick(), acme, "device-management").ok());
  auto exhausted = tenancy_.consume_seat(tick(), acme, "device-management");
  ASSERT_FALSE(exhausted.ok());
  EXPECT_EQ(exhausted.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(exhausted.error().message,
            "license for device-management in org-000001: all 2 seats in use");
  ASSERT_TRUE(tenancy_.release_seat(tick(), acme, "device-management").ok());
  EXPECT_TRUE(tenancy_.consume_seat(tick(), acme, "device-management").ok());
  const std::vector<License> licenses = must(tenancy_.licenses(acme));
  ASSERT_EQ(licenses.size(), 1u);
  EXPECT_EQ(licenses[0].seats, 2u);
  EXPECT_EQ(licenses[0].used, 2u);
  expect_error(tenancy_.set_license(tick(), alice_, acme, "device-management", 1),
               ErrorCode::kFailedPrecondition, "seats: 2 seats of device-management");
  expect_error(tenancy_.consume_seat(tick(), acme, "recording"), ErrorCode::kResourceExhausted,
               "license for recording in org-000001: none held");
  expect_error(tenancy_.release_seat(tick(), acme, "recording"), ErrorCode::kFailedPrecondition,
               "no seat in use");
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme, "device-management", 5).ok());
  EXPECT_EQ(must(tenancy_.licenses(acme))[0].used, 2u);  // raising seats keeps those in use
}

TEST_F(TenancyTest, LicensesNeedThePermissionAndAKnownService) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kOperator);
  join(acme, alice_, carol_, Role::kAdministrator);
  expect_error(tenancy_.set_license(tick(), bob_, acme, "recording", 3),
               ErrorCode::kPermissionDenied, "as operator in org-000001 may not manage_licenses");
  EXPECT_TRUE(tenancy_.set_license(tick(), carol_, acme, "recording", 3).ok());
  expect_error(tenancy_.set_license(tick(), alice_, acme, "teleportation", 3),
               ErrorCode::kInvalidArgument,
               "service: unknown service 'teleportation' (expected one of device-management, "
               "video-streaming, recording)");
  expect_error(tenancy_.set_license(tick(), alice_, acme, "recording", kLicenseSeatsMax + 1),
               ErrorCode::kInvalidArgument, "seats: at most 1000000");
  expect_error(tenancy_.consume_seat(tick(), acme, std::string(10'000, 's')),
               ErrorCode::kInvalidArgument, "unknown service 10000 bytes");
  expect_error(tenancy_.consume_seat(tick(), "org-000077", "recording"), ErrorCode::kNotFound,
               "organization: org-000077 not found");
}

TEST_F(TenancyTest, AuthorizeNamesWhatIsUnknown) {
  const OrganizationId acme = create(alice_);
  expect_error(tenancy_.authorize("user-000099", acme, Permission::kViewLiveVideo),
               ErrorCode::kUnauthenticated, "user: user-000099 is not a known user");
  expect_error(tenancy_.authorize(alice_, "org-000099", Permission::kViewLiveVideo),
               ErrorCode::kNotFound, "organization: org-000099 not found");
  expect_error(tenancy_.authorize(alice_, acme, Permission::kViewLiveVideo, "rg-000099"),
               ErrorCode::kNotFound, "resource_group: rg-000099 not found in org-000001");
  expect_error(tenancy_.authorize(alice_, acme, Permission::kViewLiveVideo, "site-1"),
               ErrorCode::kInvalidArgument, "resource_group:");
  expect_error(tenancy_.authorize(alice_, acme, static_cast<Permission>(42)),
               ErrorCode::kInvalidArgument, "permission: unknown permission 42");
  expect_error(tenancy_.authorize(bob_, acme, Permission::kViewLiveVideo),
               ErrorCode::kPermissionDenied, "user-000002 is not a member of org-000001");
  EXPECT_EQ(must(parse_role("administrator")), Role::kAdministrator);
  expect_error(parse_role("superuser"), ErrorCode::kInvalidArgument,
               "role: unknown role 'superuser'");
  // A person the identity store has forgotten is no longer anyone.
  ASSERT_TRUE(identities_.erase_user(alice_).ok());
  expect_error(tenancy_.authorize(alice_, acme, Permission::kViewLiveVideo),
               ErrorCode::kUnauthenticated, "not a known user");
}

TEST_F(TenancyTest, OversizedIdentifiersAreRefusedWithoutEchoingThem) {
  const OrganizationId acme = create(alice_);
  const std::string huge(100'000, 'x');
  for (auto result :
       {tenancy_.invite(tick(), huge, acme, "e@acme.example", Role::kViewer),
        tenancy_.invite(tick(), alice_, huge, "e@acme.example", Role::kViewer),
        tenancy_.invite(tick(), alice_, acme, huge, Role::kViewer),
        tenancy_.invite(tick(), alice_, acme, "e@acme.example", Role::kViewer, huge)}) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_LT(result.error().message.size(), 200u) << result.error().message.substr(0, 80);
  }
  expect_error(tenancy_.create_resource_group(tick(), alice_, acme, huge),
               ErrorCode::kInvalidArgument, "name: must be 1..64 bytes, got 100000");
}

TEST_F(TenancyTest, ResourceGroupsAreNamedUniquelyAndListed) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kOperator);
  join(acme, alice_, carol_, Role::kAdministrator);
  EXPECT_EQ(must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund")), "rg-000001");
  EXPECT_EQ(must(tenancy_.create_resource_group(tick(), carol_, acme, "Malmo")), "rg-000002");
  expect_error(tenancy_.create_resource_group(tick(), bob_, acme, "Ystad"),
               ErrorCode::kPermissionDenied, "as operator in org-000001 may not onboard_devices");
  expect_error(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"),
               ErrorCode::kAlreadyExists, "name: resource group 'Lund' exists in org-000001");
  const std::vector<ResourceGroup> groups = must(tenancy_.resource_groups(acme));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "Lund");
  EXPECT_EQ(groups[1].id, "rg-000002");
  AuditLog other_log;
  Tenancy small(other_log, identities_, TenancyLimits{.resource_groups_max = 1});
  const OrganizationId other = must(small.create_organization(tick(), alice_, "B", "eu-west"));
  must(small.create_resource_group(tick(), alice_, other, "One"));
  expect_error(small.create_resource_group(tick(), alice_, other, "Two"),
               ErrorCode::kResourceExhausted, "1 resource groups, the most");
}

TEST_F(TenancyTest, DeletingErasesUserDataAndClosesTheTrail) {
  const OrganizationId acme = create(alice_);
  const OrganizationId globex = create(carol_);
  const ResourceGroupId lund = must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"));
  join(acme, alice_, bob_, Role::kOperator, lund);
  join(acme, alice_, carol_, Role::kViewer);
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme, "recording", 4).ok());
  const InvitationId pending =
      must(tenancy_.invite(tick(), alice_, acme, "dave@acme.example", Role::kViewer));

  const auto released = tenancy_.delete_organization(tick(), alice_, acme);
  ASSERT_TRUE(released.ok()) << released.error().message;
  EXPECT_TRUE(released.value().empty());  // no device registry plugged in yet

  expect_error(tenancy_.organization(acme), ErrorCode::kNotFound, "organization: org-000001");
  expect_error(tenancy_.members(acme), ErrorCode::kNotFound, "not found");
  expect_error(tenancy_.resource_groups(acme), ErrorCode::kNotFound, "not found");
  expect_error(tenancy_.licenses(acme), ErrorCode::kNotFound, "not found");
  expect_error(tenancy_.invitation(pending), ErrorCode::kNotFound, "not found");
  expect_error(tenancy_.delete_organization(tick(), alice_, acme), ErrorCode::kUnauthenticated,
               "not a known user");
  expect_error(tenancy_.consume_seat(tick(), acme, "recording"), ErrorCode::kNotFound, "not found");
  // Members of no other organization are forgotten, the deleting owner included; carol stays.
  expect_error(identities_.personal_data_of(alice_), ErrorCode::kNotFound, "not found");
  expect_error(identities_.personal_data_of(bob_), ErrorCode::kNotFound, "not found");
  expect_error(identities_.find_by_email("bob@acme.example"), ErrorCode::kNotFound, "email:");
  EXPECT_EQ(must(identities_.personal_data_of(carol_)).email, "carol@acme.example");
  EXPECT_TRUE(identities_.contains(dave_));  // invited, never a member
  EXPECT_EQ(tenancy_.organizations_of(carol_), std::vector<OrganizationId>{globex});
  EXPECT_EQ(must(tenancy_.role_of(carol_, globex)), Role::kOwner);
  // The trail stays searchable, ends with the deletion, and takes no more entries.
  EXPECT_TRUE(audit_log_.is_closed(acme));
  expect_error(audit_log_.append(tick(), AuditRecord{acme, alice_, "device.onboarded", "", ""}),
               ErrorCode::kFailedPrecondition, "closed");
  const auto deleted = entries(acme, kTopicOrganizationDeleted);
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].actor, alice_);
  EXPECT_EQ(deleted[0].detail, "members=3 invitations=3 resource_groups=1 licenses=1");
  EXPECT_EQ(entries(acme).back().topic, kAuditClosedTopic);
  EXPECT_TRUE(audit_log_.verify().intact);
}

TEST_F(TenancyTest, OnlyAnOwnerDeletes) {
  const OrganizationId acme = create(alice_);
  join(acme, alice_, bob_, Role::kAdministrator);
  expect_error(tenancy_.delete_organization(tick(), bob_, acme), ErrorCode::kPermissionDenied,
               "as administrator in org-000001 may not delete_organization");
  EXPECT_TRUE(tenancy_.organization(acme).ok());
  EXPECT_FALSE(audit_log_.is_closed(acme));
}

TEST_F(TenancyTest, DeletingReleasesTheFleetThroughTheRegistryHook) {
  const OrganizationId acme = create(alice_);
  std::vector<std::string> asked;
  tenancy_.set_device_release([&asked](core::Time, std::string_view organization) {
    asked.emplace_back(organization);
    return std::vector<std::string>{"SERIAL-B", "SERIAL-A"};
  });
  const auto released = must(tenancy_.delete_organization(tick(), alice_, acme));
  EXPECT_EQ(released, (std::vector<std::string>{"SERIAL-A", "SERIAL-B"}));
  EXPECT_EQ(asked, std::vector<std::string>{acme});
}

TEST_F(TenancyTest, EveryCommandWritesItsAuditEntry) {
  const OrganizationId acme = create(alice_);
  const ResourceGroupId lund = must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund"));
  const InvitationId invitation =
      must(tenancy_.invite(tick(), alice_, acme, "bob@acme.example", Role::kViewer, lund));
  ASSERT_TRUE(tenancy_.accept_invitation(tick(), bob_, invitation).ok());
  ASSERT_TRUE(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kOperator, lund).ok());
  ASSERT_TRUE(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kViewer).ok());
  ASSERT_TRUE(tenancy_.revoke_role(tick(), alice_, acme, bob_, Role::kViewer).ok());
  ASSERT_TRUE(tenancy_.set_license(tick(), alice_, acme, "video-streaming", 1).ok());
  ASSERT_TRUE(tenancy_.consume_seat(tick(), acme, "video-streaming").ok());
  ASSERT_TRUE(tenancy_.release_seat(tick(), acme, "video-streaming").ok());
  ASSERT_TRUE(tenancy_.assign_role(tick(), alice_, acme, bob_, Role::kOperator, lund).ok());
  ASSERT_TRUE(tenancy_.delete_organization(tick(), alice_, acme).ok());

  const std::vector<std::pair<std::string_view, std::string>> expected = {
      {kTopicOrganizationCreated, alice_}, {kTopicResourceGroupCreated, alice_},
      {kTopicMemberInvited, alice_},       {kTopicMemberJoined, bob_},
      {kTopicRoleAssigned, alice_},        {kTopicRoleRevoked, alice_},
      {kTopicLicenseSet, alice_},          {kTopicSeatConsumed, "platform"},
      {kTopicSeatReleased, "platform"},    {kTopicOrganizationDeleted, alice_}};
  for (const auto& [topic, actor] : expected) {
    const auto found = entries(acme, topic);
    ASSERT_FALSE(found.empty()) << topic;
    EXPECT_EQ(found[0].actor, actor) << topic;
    EXPECT_EQ(found[0].organization, acme) << topic;
  }
  EXPECT_EQ(entries(acme, kTopicRoleAssigned).size(), 2u);
  // Assigning a role already held changes nothing and records nothing.
  EXPECT_EQ(entries(acme).size(), expected.size() + 1 /* role.assigned twice */ + 1 /* closed */);
}

TEST_F(TenancyTest, RefusedAuditAppendLeavesStateUnchanged) {
  const OrganizationId acme = create(alice_);
  // The audit log refuses time going backwards, so the command fails and changes nothing.
  expect_error(tenancy_.create_resource_group(now_ - seconds(1), alice_, acme, "Lund"),
               ErrorCode::kInvalidArgument, "at:");
  EXPECT_TRUE(must(tenancy_.resource_groups(acme)).empty());
  EXPECT_EQ(must(tenancy_.create_resource_group(tick(), alice_, acme, "Lund")), "rg-000001");
}

// The same commands give the same identifiers and the same audit trail.
TEST(TenancyDeterminismTest, SameCommandsGiveSameIdsAndTrail) {
  const auto run = []() {
    AuditLog audit_log;
    IdentityStore identities;
    Tenancy tenancy(audit_log, identities);
    std::vector<std::string> ids;
    const core::Time t0{};
    const UserId alice = must(identities.register_user("alice@acme.example", "Alice"));
    const UserId bob = must(identities.register_user("bob@acme.example", "Bob"));
    const OrganizationId acme = must(tenancy.create_organization(t0, alice, "Acme", "us-west"));
    const OrganizationId initech =
        must(tenancy.create_organization(t0, bob, "Initech", "eu-central"));
    const ResourceGroupId group = must(tenancy.create_resource_group(t0, alice, acme, "Site"));
    const InvitationId invitation =
        must(tenancy.invite(t0, alice, acme, "bob@acme.example", Role::kOperator, group));
    EXPECT_TRUE(tenancy.accept_invitation(t0, bob, invitation).ok());
    ids = {alice, bob, acme, initech, group, invitation, audit_log.head_hash(acme)};
    return ids;
  };
  const std::vector<std::string> first = run();
  EXPECT_EQ(first, run());
  EXPECT_EQ(first[2], "org-000001");
  EXPECT_EQ(first[3], "org-000002");
  EXPECT_EQ(first[4], "rg-000001");
  EXPECT_EQ(first[5], "inv-000001");
}

}  // namespace
}  // namespace ccsim::platform

// The control plane's wiring between services: application tokens follow tenancy. A token acts
// for a member with scopes from their role, so revoking or replacing a grant of theirs, their
// leaving and the organization's deletion must each stop it; nobody else's token may stop.
#include "platform/control_plane.h"
#include "platform/result_expectations.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccsim::platform {
namespace {

using std::chrono::seconds;

// RFC 7636 Appendix B.
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr std::string_view kRedirect = "https://partner.example.com/callback";

class AppWiringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = must(plane_.identity_store.register_user("alice@acme.example", "Alice"));
    bob_ = must(plane_.identity_store.register_user("bob@acme.example", "Bob"));
    carol_ = must(plane_.identity_store.register_user("carol@acme.example", "Carol"));
    dave_ = must(plane_.identity_store.register_user("dave@globex.example", "Dave"));
    acme_ = must(plane_.tenancy.create_organization(tick(), alice_, "Acme", "eu-west"));
    globex_ = must(plane_.tenancy.create_organization(tick(), dave_, "Globex", "us-east"));
    north_ = must(plane_.tenancy.create_resource_group(tick(), alice_, acme_, "north"));
    join(acme_, alice_, bob_, "bob@acme.example", Role::kAdministrator);
    join(acme_, alice_, carol_, "carol@acme.example", Role::kOperator);
    join(globex_, dave_, bob_, "bob@acme.example", Role::kAdministrator);
    client_ =
        must(plane_.apps.register_application(tick(), "Partner VMS", {std::string(kRedirect)}));
    for (const OrganizationId& organization : {acme_, globex_}) {
      ASSERT_TRUE(
          plane_.apps
              .grant_application(tick(), organization, client_, GrantPath::kOrganizationSelected)
              .ok());
    }
  }

  core::Time tick() { return now_ += seconds(1); }

  void join(const OrganizationId& organization, const UserId& inviter, const UserId& user,
            const std::string& email, Role role) {
    const InvitationId invitation =
        must(plane_.tenancy.invite(tick(), inviter, organization, email, role));
    ASSERT_TRUE(plane_.tenancy.accept_invitation(tick(), user, invitation).ok());
  }

  // An authorization request by `user` in `organization`, with the role tenancy gives them.
  AuthorizationRequest request(const UserId& user, const OrganizationId& organization) {
    return AuthorizationRequest{client_,
                                std::string(kRedirect),
                                user,
                                organization,
                                must(plane_.tenancy.role_of(user, organization)),
                                {"video:live"},
                                std::string(kChallenge),
                                "S256",
                                false};
  }

  std::string code_for(const UserId& user, const OrganizationId& organization) {
    return must(plane_.apps.authorize(tick(), request(user, organization)));
  }

  Result<AccessToken> exchange(const std::string& code) {
    return plane_.apps.exchange_code(
        tick(), TokenRequest{client_, std::string(kRedirect), code, std::string(kVerifier)});
  }

  // A live token `user` gave the application in `organization`.
  std::string token_for(const UserId& user, const OrganizationId& organization) {
    return must(exchange(code_for(user, organization))).token;
  }

  bool authorizes(const std::string& token) { return plane_.apps.verify_token(tick(), token).ok(); }

  core::Time now_{};
  ControlPlane plane_{7};
  UserId alice_, bob_, carol_, dave_;
  OrganizationId acme_, globex_;
  ResourceGroupId north_;
  std::string client_;
};

TEST_F(AppWiringTest, RevokingARoleRevokesThatMembersTokensThereOnly) {
  // Bob keeps a grant in north, so revoking his organization-wide one leaves him a member.
  ASSERT_TRUE(plane_.tenancy.assign_role(tick(), alice_, acme_, bob_, Role::kViewer, north_).ok());
  const std::string bob_acme = token_for(bob_, acme_);
  const std::string bob_globex = token_for(bob_, globex_);
  const std::string carol_acme = token_for(carol_, acme_);
  const std::string alice_acme = token_for(alice_, acme_);
  const std::string bob_pending = code_for(bob_, acme_);
  ASSERT_TRUE(authorizes(bob_acme));

  ASSERT_TRUE(plane_.tenancy.revoke_role(tick(), alice_, acme_, bob_, Role::kAdministrator).ok());
  ASSERT_EQ(plane_.tenancy.organizations_of(bob_),
            (std::vector<OrganizationId>{acme_, globex_}));  // still a member of both
  expect_error(plane_.apps.verify_token(tick(), bob_acme), ErrorCode::kUnauthenticated, "revoked");
  expect_error(exchange(bob_pending), ErrorCode::kUnauthenticated, "authorization code");
  EXPECT_TRUE(authorizes(bob_globex));  // another organization's grant backs it
  EXPECT_TRUE(authorizes(carol_acme));
  EXPECT_TRUE(authorizes(alice_acme));
}

TEST_F(AppWiringTest, RemovingAMemberRevokesTheirTokens) {
  const std::string carol_acme = token_for(carol_, acme_);
  const std::string bob_acme = token_for(bob_, acme_);
  // Carol's only grant: revoking it ends her membership.
  ASSERT_TRUE(plane_.tenancy.revoke_role(tick(), alice_, acme_, carol_, Role::kOperator).ok());
  ASSERT_TRUE(plane_.tenancy.organizations_of(carol_).empty());
  EXPECT_FALSE(authorizes(carol_acme));
  EXPECT_TRUE(authorizes(bob_acme));
}

TEST_F(AppWiringTest, ReplacingAGrantRevokesTokensAddingOneDoesNot) {
  const std::string before = token_for(bob_, acme_);
  // A grant at a new scope takes nothing away.
  ASSERT_TRUE(
      plane_.tenancy.assign_role(tick(), alice_, acme_, bob_, Role::kOperator, north_).ok());
  EXPECT_TRUE(authorizes(before));
  // Demoted organization-wide: scopes drawn from administrator no longer hold.
  ASSERT_TRUE(plane_.tenancy.assign_role(tick(), alice_, acme_, bob_, Role::kViewer).ok());
  EXPECT_FALSE(authorizes(before));
  // A refused change (only an owner grants ownership) revokes nothing.
  const std::string carol_acme = token_for(carol_, acme_);
  expect_error(plane_.tenancy.assign_role(tick(), bob_, acme_, carol_, Role::kOwner),
               ErrorCode::kPermissionDenied, "");
  EXPECT_TRUE(authorizes(carol_acme));
  // A new token carries the new role's scopes only.
  AuthorizationRequest onboard = request(bob_, acme_);
  onboard.scopes = {"devices:onboard"};
  expect_error(plane_.apps.authorize(tick(), onboard), ErrorCode::kPermissionDenied,
               "devices:onboard");
}

TEST_F(AppWiringTest, DeletingAnOrganizationRevokesAllItsTokensAndGrants) {
  const std::string alice_acme = token_for(alice_, acme_);
  const std::string bob_acme = token_for(bob_, acme_);
  const std::string carol_acme = token_for(carol_, acme_);
  const std::string bob_globex = token_for(bob_, globex_);
  const std::string dave_globex = token_for(dave_, globex_);
  const std::string carol_pending = code_for(carol_, acme_);

  ASSERT_TRUE(plane_.tenancy.delete_organization(tick(), alice_, acme_).ok());
  EXPECT_FALSE(authorizes(alice_acme));
  EXPECT_FALSE(authorizes(bob_acme));
  EXPECT_FALSE(authorizes(carol_acme));
  EXPECT_FALSE(exchange(carol_pending).ok());
  EXPECT_TRUE(plane_.apps.granted_applications(acme_).empty());
  EXPECT_TRUE(authorizes(bob_globex));
  EXPECT_TRUE(authorizes(dave_globex));
  ASSERT_EQ(plane_.apps.granted_applications(globex_).size(), 1u);
  EXPECT_EQ(plane_.apps.granted_applications(globex_)[0].client_id, client_);
}

}  // namespace
}  // namespace ccsim::platform

// Application authorization: registration and grants, the authorization code grant with PKCE,
// signed access tokens, their expiry and revocation, role-derived scopes, limits, replay.
#include "platform/app_authorization.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/random_stream.h"

namespace ccsim::platform {
namespace {

using core::Time;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

// RFC 7636 Appendix B.
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr std::string_view kOtherVerifier = "Zx9ftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kRedirect = "https://partner.example.com/callback";
constexpr std::string_view kOtherRedirect = "https://partner.example.com/other";
constexpr std::string_view kOrganization = "acme";
constexpr std::string_view kUser = "user-1";
constexpr std::uint64_t kSeed = 11;
constexpr Time kStart = seconds(100);

AppAuthorization make_service(std::uint64_t seed, AppAuthorizationPolicy policy = {}) {
  return AppAuthorization(core::RandomStream(seed, core::kPlatformStream), policy);
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A service with one application, onboarded into kOrganization by selection.
class AppAuthorizationTest : public testing::Test {
 protected:
  void SetUp() override { client_id_ = register_and_grant(service_); }

  static std::string register_and_grant(AppAuthorization& service) {
    auto id = service.register_application(kStart, "Partner VMS",
                                           {std::string(kRedirect), std::string(kOtherRedirect)});
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(
        service
            .grant_application(kStart, kOrganization, id.value(), GrantPath::kOrganizationSelected)
            .ok());
    return id.value();
  }

  AuthorizationRequest request(Role role = Role::kAdministrator,
                               std::vector<std::string> scopes = {"video:live"}) const {
    return AuthorizationRequest{
        client_id_, std::string(kRedirect), std::string(kUser),      std::string(kOrganization),
        role,       std::move(scopes),      std::string(kChallenge), "S256",
        false};
  }

  TokenRequest token_request(std::string code, std::string_view verifier = kVerifier) const {
    return TokenRequest{client_id_, std::string(kRedirect), std::move(code), std::string(verifier)};
  }

  std::string code_at(Time now, const AuthorizationRequest& r) {
    auto code = service_.authorize(now, r);
    EXPECT_TRUE(code.ok()) << code.error().message;
    return code.ok() ? code.value() : std::string();
  }

  AccessToken token_at(Time now, const AuthorizationRequest& r) {
    auto token = service_.exchange_code(now, token_request(code_at(now, r)));
    EXPECT_TRUE(token.ok()) << token.error().message;
    return token.ok() ? token.value() : AccessToken{};
  }

  AppAuthorization service_ = make_service(kSeed);
  std::string client_id_;
};

std::vector<std::string> token_parts(const std::string& token) {
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1),
          token.substr(second + 1)};
}

// Checks a signature the way a resource server holding only the public key would.
bool verifies_with_public_key(const std::string& public_key, const std::string& token) {
  const std::size_t signed_bytes = token.rfind('.');
  const auto signature = base64url_decode(token.substr(signed_bytes + 1));
  if (!signature) return false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(public_key.data()),
                                  public_key.size()),
      &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (!key || !context) return false;
  if (EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                          signature->size(), reinterpret_cast<const unsigned char*>(token.data()),
                          signed_bytes) == 1;
}

TEST(AppAuthorizationPkce, Rfc7636AppendixBVector) {
  EXPECT_EQ(pkce_s256_challenge(kVerifier), kChallenge);
  EXPECT_NE(pkce_s256_challenge(kOtherVerifier), kChallenge);
}

TEST(AppAuthorizationBase64Url, Rfc4648VectorsWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg"},
      {"fo", "Zm8"},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg"},
      {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"},
      {"\xfb\xff", "-_8"},  // standard base64 would say "+/8="
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64url_encode(bytes), text);
    EXPECT_EQ(base64url_decode(text), bytes) << text;
  }
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  EXPECT_EQ(base64url_decode(base64url_encode(all_bytes)), all_bytes);
}

TEST(AppAuthorizationBase64Url, RefusesNonCanonicalText) {
  EXPECT_FALSE(base64url_decode("Zh"));     // "Zg" with a stray low bit: would also decode "f"
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // a length of 1 mod 4 leaves no whole byte
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("Zm+v"));   // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
}

TEST_F(AppAuthorizationTest, HappyPathCodeTokenVerify) {
  const std::string code =
      code_at(kStart, request(Role::kOperator, {"recordings:read", "video:live"}));
  EXPECT_EQ(code.size(), kAuthorizationCodeChars);
  EXPECT_EQ(service_.pending_code_count(), 1U);

  const Time exchanged_at = kStart + seconds(1);
  auto token = service_.exchange_code(exchanged_at, token_request(code));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(service_.pending_code_count(), 0U);
  const TokenClaims& issued = token.value().claims;
  EXPECT_EQ(issued.token_id.size(), kTokenIdChars);
  EXPECT_EQ(issued.client_id, client_id_);
  EXPECT_EQ(issued.user_id, kUser);
  EXPECT_EQ(issued.organization_id, kOrganization);
  EXPECT_EQ(issued.scopes, (std::vector<std::string>{"video:live", "recordings:read"}));
  EXPECT_EQ(issued.issued_at, exchanged_at);
  EXPECT_EQ(issued.expires_at, exchanged_at + hours(1));

  auto verified = service_.verify_token(exchanged_at + seconds(1), token.value().token);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified.value(), issued);
  EXPECT_TRUE(verified.value().allows("video:live"));
  EXPECT_FALSE(verified.value().allows("devices:operate"));  // operator may, but did not ask

  // The payload is written in one fixed key order, and the public key alone verifies it.
  const auto parts = token_parts(token.value().token);
  EXPECT_EQ(base64url_decode(parts[0]), R"({"alg":"EdDSA","typ":"ccsim-at"})");
  EXPECT_EQ(base64url_decode(parts[1]),
            R"({"jti":")" + issued.token_id + R"(","client_id":")" + client_id_ +
                R"(","sub":"user-1","org":"acme","scope":"video:live recordings:read",)"
                R"("iat_us":101000000,"exp_us":3701000000})");
  EXPECT_EQ(base64url_decode(parts[2])->size(), 64U);
  EXPECT_EQ(service_.public_key().size(), kSigningKeyBytes);
  EXPECT_TRUE(verifies_with_public_key(service_.public_key(), token.value().token));
}

TEST_F(AppAuthorizationTest, WrongVerifierFailsAndSpendsTheCode) {
  const std::string code = code_at(kStart, request());
  auto wrong = service_.exchange_code(kStart, token_request(code, kOtherVerifier));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(wrong.error().message, "code_verifier")) << wrong.error().message;
  // An intercepted code gets one guess: the right verifier no longer redeems it.
  auto right = service_.exchange_code(kStart, token_request(code));
  ASSERT_FALSE(right.ok());
  EXPECT_EQ(right.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(service_.token_count(), 0U);
}

TEST_F(AppAuthorizationTest, MalformedVerifierIsInvalidArgument) {
  const std::string code = code_at(kStart, request());
  for (const std::string& verifier :
       {std::string(42, 'a'), std::string(129, 'a'), std::string(43, 'a') + "+"}) {
    auto result = service_.exchange_code(kStart, token_request(code, verifier));
    ASSERT_FALSE(result.ok()) << verifier;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << verifier;
  }
  EXPECT_TRUE(service_.exchange_code(kStart, token_request(code)).ok());  // not spent by those
}

TEST_F(AppAuthorizationTest, PlainAndOtherMethodsRefused) {
  for (const std::string method : {"plain", "", "s256", "S512"}) {
    AuthorizationRequest r = request();
    r.code_challenge_method = method;
    if (method == "plain") r.code_challenge = std::string(kVerifier);
    auto code = service_.authorize(kStart, r);
    ASSERT_FALSE(code.ok()) << method;
    EXPECT_EQ(code.error().code, ErrorCode::kInvalidArgument) << method;
  }
  AuthorizationRequest plain = request();
  plain.code_challenge_method = "plain";
  EXPECT_TRUE(contains(service_.authorize(kStart, plain).error().message, "plain is refused"));
  EXPECT_EQ(service_.pending_code_count(), 0U);
}

TEST_F(AppAuthorizationTest, ChallengeLengthAndAlphabetChecked) {
  const std::string valid(kChallenge);
  const std::vector<std::string> bad = {
      valid.substr(0, 42),        // too short for any PKCE challenge
      valid + "A",                // 44: within 43..128 but not a SHA-256 digest
      std::string(129, 'A'),      // over the RFC's 128
      valid.substr(0, 42) + "+",  // standard base64
      valid.substr(0, 42) + "N",  // 'N' leaves a stray bit after the 32nd byte
      "",
  };
  for (const std::string& challenge : bad) {
    AuthorizationRequest r = request();
    r.code_challenge = challenge;
    auto code = service_.authorize(kStart, r);
    ASSERT_FALSE(code.ok()) << challenge;
    EXPECT_EQ(code.error().code, ErrorCode::kInvalidArgument) << challenge;
  }
  EXPECT_TRUE(service_.authorize(kStart, request()).ok());
}

TEST_F(AppAuthorizationTest, RedirectUriMustMatchExactly) {
  for (const std::string uri :
       {"https://partner.example.com/callback/", "https://partner.example.com/callback?next=1",
        "https://PARTNER.example.com/callback", "https://evil.example/"}) {
    AuthorizationRequest r = request();
    r.redirect_uri = uri;
    auto code = service_.authorize(kStart, r);
    ASSERT_FALSE(code.ok()) << uri;
    EXPECT_EQ(code.error().code, ErrorCode::kInvalidArgument) << uri;
  }
  // Registered, but not the one the code was issued for (RFC 6749 s4.1.3).
  TokenRequest exchange = token_request(code_at(kStart, request()));
  exchange.redirect_uri = std::string(kOtherRedirect);
  auto token = service_.exchange_code(kStart, exchange);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(token.error().message, "redirect URI")) << token.error().message;
}

// A code is redeemable while now < issued + code_lifetime: the end is exclusive.
TEST_F(AppAuthorizationTest, CodeExpiresAtLifetimeBoundary) {
  const std::string early = code_at(kStart, request());
  const std::string late = code_at(kStart, request());
  const Time expiry = kStart + service_.policy().code_lifetime;
  ASSERT_EQ(service_.policy().code_lifetime, seconds(60));
  EXPECT_TRUE(service_.exchange_code(expiry - microseconds(1), token_request(early)).ok());
  auto expired = service_.exchange_code(expiry, token_request(late));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(expired.error().message, "expired at t=160s")) << expired.error().message;
  EXPECT_EQ(service_.pending_code_count(), 0U);
}

TEST_F(AppAuthorizationTest, CodeReuseFailsAndRevokesTheFirstToken) {
  const std::string code = code_at(kStart, request());
  auto first = service_.exchange_code(kStart, token_request(code));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(service_.verify_token(kStart, first.value().token).ok());

  auto second = service_.exchange_code(kStart + seconds(2), token_request(code));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(second.error().message, "already used")) << second.error().message;
  auto verified = service_.verify_token(kStart + seconds(3), first.value().token);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(verified.error().message, "revoked")) << verified.error().message;
}

TEST_F(AppAuthorizationTest, CodeIsBoundToItsApplication) {
  auto other = service_.register_application(kStart, "Other", {"https://other.example/cb"});
  ASSERT_TRUE(other.ok());
  TokenRequest exchange = token_request(code_at(kStart, request()));
  exchange.client_id = other.value();
  exchange.redirect_uri = "https://other.example/cb";
  auto token = service_.exchange_code(kStart, exchange);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(token.error().message, "another application")) << token.error().message;
}

TEST_F(AppAuthorizationTest, TamperingAnyByteFails) {
  const std::string token = token_at(kStart, request()).token;
  ASSERT_TRUE(service_.verify_token(kStart, token).ok());
  // Each byte is replaced twice: by another symbol, and by the symbol one bit away, which
  // touches only the unused low bits when it hits the last character of a part.
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::size_t refused = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const std::size_t value = kAlphabet.find(token[i]);
    const char one_bit_away = value == std::string_view::npos ? 'A' : kAlphabet[value ^ 1U];
    for (const char replacement : {token[i] == 'A' ? 'B' : 'A', one_bit_away}) {
      std::string tampered = token;
      tampered[i] = replacement;
      refused += service_.verify_token(kStart, tampered).ok() ? 0 : 1;
    }
  }
  EXPECT_EQ(refused, 2 * token.size());  // every header, payload, dot and signature byte
  std::string last_bits = token;         // the signature's last symbol carries 4 unused bits
  last_bits.back() = kAlphabet[kAlphabet.find(token.back()) ^ 1U];
  EXPECT_FALSE(service_.verify_token(kStart, last_bits).ok());

  // A forged payload: another user, re-encoded cleanly, with the original signature.
  auto parts = token_parts(token);
  std::string payload = *base64url_decode(parts[1]);
  payload.replace(payload.find("user-1"), 6, "user-2");
  const std::string forged = parts[0] + "." + base64url_encode(payload) + "." + parts[2];
  auto result = service_.verify_token(kStart, forged);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(result.error().message, "signature")) << result.error().message;

  // An unsigned token naming no algorithm.
  const std::string unsigned_token = base64url_encode(R"({"alg":"none"})") + "." + parts[1] + ".";
  EXPECT_FALSE(service_.verify_token(kStart, unsigned_token).ok());
}

TEST_F(AppAuthorizationTest, MalformedTokensRefused) {
  for (const std::string token : {"", "a.b", "a.b.c.d", "...", "not a token"}) {
    auto result = service_.verify_token(kStart, token);
    ASSERT_FALSE(result.ok()) << token;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << token;
  }
  auto oversized = service_.verify_token(kStart, std::string(kAccessTokenBytesMax + 1, 'A'));
  ASSERT_FALSE(oversized.ok());
  EXPECT_EQ(oversized.error().code, ErrorCode::kInvalidArgument);
}

// A token is valid while now < issued + token_lifetime: the end is exclusive.
TEST_F(AppAuthorizationTest, TokenExpiresAtLifetimeBoundary) {
  const AccessToken token = token_at(kStart, request());
  const Time expiry = kStart + hours(1);
  ASSERT_EQ(token.claims.expires_at, expiry);
  EXPECT_TRUE(service_.verify_token(expiry - microseconds(1), token.token).ok());
  auto expired = service_.verify_token(expiry, token.token);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(expired.error().message, "expired")) << expired.error().message;
  // Expired tokens are forgotten, so revoking one finds nothing.
  auto revoke = service_.revoke_token(expiry, token.claims.token_id);
  ASSERT_FALSE(revoke.ok());
  EXPECT_EQ(revoke.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_.token_count(), 0U);
}

TEST_F(AppAuthorizationTest, RevokedTokenFails) {
  const AccessToken revoked = token_at(kStart, request());
  const AccessToken kept = token_at(kStart, request());
  ASSERT_TRUE(service_.revoke_token(kStart + seconds(1), revoked.claims.token_id).ok());
  auto result = service_.verify_token(kStart + seconds(1), revoked.token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(result.error().message, "revoked")) << result.error().message;
  EXPECT_TRUE(service_.verify_token(kStart + seconds(1), kept.token).ok());
  EXPECT_TRUE(service_.revoke_token(kStart + seconds(2), revoked.claims.token_id).ok());
  auto unknown = service_.revoke_token(kStart + seconds(2), std::string(kTokenIdChars, '0'));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(AppAuthorizationTest, RevokeForUserDropsTheirTokensAndCodesInThatOrganization) {
  AuthorizationRequest other_user = request();
  other_user.user_id = "user-2";
  AuthorizationRequest other_organization = request();
  other_organization.organization_id = "globex";
  other_organization.consent = true;
  const AccessToken revoked = token_at(kStart, request());
  const AccessToken same_user_elsewhere = token_at(kStart, other_organization);
  const AccessToken someone_else = token_at(kStart, other_user);
  const std::string pending = code_at(kStart, request());

  auto count = service_.revoke_for_user(kStart + seconds(1), kUser, kOrganization);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count.value(), 1U);
  EXPECT_FALSE(service_.verify_token(kStart + seconds(1), revoked.token).ok());
  EXPECT_TRUE(service_.verify_token(kStart + seconds(1), same_user_elsewhere.token).ok());
  EXPECT_TRUE(service_.verify_token(kStart + seconds(1), someone_else.token).ok());
  // A code issued under the old role redeems nothing.
  EXPECT_FALSE(service_.exchange_code(kStart + seconds(1), token_request(pending)).ok());
}

TEST_F(AppAuthorizationTest, ScopesFollowTheRole) {
  auto viewer = service_.authorize(kStart, request(Role::kViewer, {"devices:onboard"}));
  ASSERT_FALSE(viewer.ok());
  EXPECT_EQ(viewer.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(contains(viewer.error().message, "devices:onboard")) << viewer.error().message;
  EXPECT_TRUE(service_.authorize(kStart, request(Role::kAdministrator, {"devices:onboard"})).ok());
  EXPECT_TRUE(service_.authorize(kStart, request(Role::kViewer, {"video:live"})).ok());

  // Written out from the white paper's roles, not read back from the matrix.
  EXPECT_EQ(scopes_allowed(Role::kViewer), (std::vector<std::string>{"video:live"}));
  EXPECT_EQ(scopes_allowed(Role::kOperator),
            (std::vector<std::string>{"devices:operate", "video:live", "recordings:read"}));
  EXPECT_EQ(scopes_allowed(Role::kAdministrator).size(), kScopes.size());
  EXPECT_EQ(scopes_allowed(Role::kOwner).size(), kScopes.size());
  // And authorize() agrees with scopes_allowed() for every role and scope.
  for (const Role role : {Role::kOwner, Role::kAdministrator, Role::kOperator, Role::kViewer}) {
    const auto allowed = scopes_allowed(role);
    for (const ScopeDefinition& scope : kScopes) {
      const bool expected = std::find(allowed.begin(), allowed.end(), scope.name) != allowed.end();
      auto code = service_.authorize(kStart, request(role, {std::string(scope.name)}));
      EXPECT_EQ(code.ok(), expected) << role_name(role) << " " << scope.name;
      if (!code.ok()) {
        EXPECT_EQ(code.error().code, ErrorCode::kPermissionDenied);
      }
    }
  }
}

TEST_F(AppAuthorizationTest, UnknownClientAndScopeErrors) {
  AuthorizationRequest unknown_client = request();
  unknown_client.client_id = "app-0000000000000000";
  auto code = service_.authorize(kStart, unknown_client);
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.error().code, ErrorCode::kNotFound);

  TokenRequest exchange = token_request(code_at(kStart, request()));
  exchange.client_id = "app-0000000000000000";
  auto token = service_.exchange_code(kStart, exchange);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::kNotFound);

  auto grant =
      service_.grant_application(kStart, "globex", "app-0000000000000000", GrantPath::kAtCreation);
  ASSERT_FALSE(grant.ok());
  EXPECT_EQ(grant.error().code, ErrorCode::kNotFound);

  // Unknown scopes are input errors, reported before what the role forbids.
  auto scope =
      service_.authorize(kStart, request(Role::kViewer, {"devices:onboard", "video:zoom"}));
  ASSERT_FALSE(scope.ok());
  EXPECT_EQ(scope.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(scope.error().message, "'video:zoom'")) << scope.error().message;
  EXPECT_EQ(service_.authorize(kStart, request(Role::kOwner, {})).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      service_.authorize(kStart, request(Role::kOwner, std::vector<std::string>(17, "video:live")))
          .error()
          .code,
      ErrorCode::kInvalidArgument);
}

TEST_F(AppAuthorizationTest, OnboardingNeedsAGrantOrConsent) {
  AuthorizationRequest r = request(Role::kViewer);
  r.organization_id = "globex";
  auto refused = service_.authorize(kStart, r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);

  r.consent = true;  // a viewer may not admit an application into the organization
  auto viewer_consent = service_.authorize(kStart, r);
  ASSERT_FALSE(viewer_consent.ok());
  EXPECT_EQ(viewer_consent.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(service_.granted_applications("globex").empty());

  r.user_role = Role::kAdministrator;
  ASSERT_TRUE(service_.authorize(kStart + seconds(5), r).ok());
  const auto grants = service_.granted_applications("globex");
  ASSERT_EQ(grants.size(), 1U);
  EXPECT_EQ(grants[0].client_id, client_id_);
  EXPECT_EQ(grants[0].path, GrantPath::kOAuthConsent);
  EXPECT_EQ(grants[0].granted_at, kStart + seconds(5));

  r.user_role = Role::kViewer;  // now onboarded: members authorize it without consent
  r.consent = false;
  EXPECT_TRUE(service_.authorize(kStart + seconds(6), r).ok());

  // Granting again keeps the first record; both paths land in the same list.
  ASSERT_TRUE(
      service_.grant_application(kStart + seconds(7), "globex", client_id_, GrantPath::kAtCreation)
          .ok());
  EXPECT_EQ(service_.granted_applications("globex")[0].path, GrantPath::kOAuthConsent);
  ASSERT_EQ(service_.granted_applications(kOrganization).size(), 1U);
  EXPECT_EQ(service_.granted_applications(kOrganization)[0].path, GrantPath::kOrganizationSelected);
  EXPECT_EQ(grant_path_name(GrantPath::kOAuthConsent), "oauth_consent");
}

TEST_F(AppAuthorizationTest, ForgetOrganizationDropsGrantsCodesAndTokens) {
  const AccessToken token = token_at(kStart, request());
  const std::string pending = code_at(kStart, request());
  ASSERT_TRUE(service_.forget_organization(kStart + seconds(1), kOrganization).ok());
  EXPECT_TRUE(service_.granted_applications(kOrganization).empty());
  EXPECT_FALSE(service_.verify_token(kStart + seconds(1), token.token).ok());
  EXPECT_EQ(service_.pending_code_count(), 0U);
  EXPECT_EQ(service_.authorize(kStart + seconds(1), request()).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(AppAuthorizationRegistration, ValidatesNameAndRedirectUris) {
  AppAuthorization service = make_service(kSeed);
  const auto refused = [&](std::string_view name, std::vector<std::string> uris) {
    auto id = service.register_application(kStart, name, uris);
    return !id.ok() && id.error().code == ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused("VMS", {"https://a.example/cb#frag"}));
  EXPECT_TRUE(refused("VMS", {"http://a.example/cb"}));  // plain http off loopback
  EXPECT_TRUE(refused("VMS", {"http://127.0.0.1.evil.example/cb"}));
  EXPECT_TRUE(refused("VMS", {"javascript:alert(1)"}));
  EXPECT_TRUE(refused("VMS", {"/callback"}));
  EXPECT_TRUE(refused("VMS", {"https://a.example/c b"}));
  EXPECT_TRUE(refused("VMS", {"https://a.example/" + std::string(kRedirectUriBytesMax, 'x')}));
  EXPECT_TRUE(refused("VMS", {}));
  EXPECT_TRUE(refused(
      "VMS", std::vector<std::string>(kRedirectUrisPerApplicationMax + 1, "https://a.example/cb")));
  EXPECT_TRUE(refused("", {"https://a.example/cb"}));
  EXPECT_TRUE(refused(std::string(kApplicationNameBytesMax + 1, 'n'), {"https://a.example/cb"}));
  EXPECT_EQ(service.application_count(), 0U);

  auto id = service.register_application(
      kStart, "Desktop VMS",
      {"http://127.0.0.1:8080/cb", "http://[::1]/cb", "com.example.vms:/cb", "https://a.example/cb",
       "https://a.example/cb"});
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id.value().size(), kClientIdChars);
  const Application* application = service.find_application(id.value());
  ASSERT_NE(application, nullptr);
  EXPECT_EQ(application->redirect_uris.size(), 4U);  // the duplicate counts once
}

// Registers, authorizes, exchanges; returns every random-derived output in order.
std::vector<std::string> scripted_outputs(std::uint64_t seed) {
  AppAuthorization service = make_service(seed);
  const std::string client =
      service.register_application(kStart, "VMS", {std::string(kRedirect)}).value();
  std::vector<std::string> outputs = {service.public_key(), client};
  for (int i = 0; i < 3; ++i) {
    const AuthorizationRequest r{
        client,       std::string(kRedirect), std::string(kUser),      std::string(kOrganization),
        Role::kOwner, {"video:live"},         std::string(kChallenge), "S256",
        true};
    const std::string code = service.authorize(kStart, r).value();
    const TokenRequest t{client, std::string(kRedirect), code, std::string(kVerifier)};
    outputs.push_back(code);
    outputs.push_back(service.exchange_code(kStart, t).value().token);
  }
  return outputs;
}

TEST(AppAuthorizationReplay, SameSeedSameCodesAndTokensOtherSeedOthers) {
  const auto first = scripted_outputs(kSeed);
  EXPECT_EQ(scripted_outputs(kSeed), first);
  const auto other = scripted_outputs(kSeed + 1);
  ASSERT_EQ(other.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_NE(other[i], first[i]) << i;

  // A token is good only with the key that signed it.
  AppAuthorization other_service = make_service(kSeed + 1);
  auto result = other_service.verify_token(kStart, first.back());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(contains(result.error().message, "signature")) << result.error().message;
}

AppAuthorizationPolicy tight_policy() {
  AppAuthorizationPolicy policy;
  policy.applications_max = 2;
  policy.pending_codes_max = 2;
  policy.tokens_max = 2;
  policy.grants_max = 2;
  policy.token_lifetime = seconds(30);  // shorter than a code's, to free room within one
  return policy;
}

class AppAuthorizationLimits : public AppAuthorizationTest {
 protected:
  void SetUp() override {
    service_ = make_service(kSeed, tight_policy());
    AppAuthorizationTest::SetUp();
  }
};

TEST_F(AppAuthorizationLimits, Applications) {
  ASSERT_TRUE(service_.register_application(kStart, "Second", {"https://b.example/cb"}).ok());
  auto third = service_.register_application(kStart, "Third", {"https://c.example/cb"});
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(AppAuthorizationLimits, PendingCodesUntilTheyExpire) {
  code_at(kStart, request());
  code_at(kStart, request());
  auto third = service_.authorize(kStart, request());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kResourceExhausted);
  EXPECT_TRUE(service_.authorize(kStart + seconds(60), request()).ok());  // the two expired
}

TEST_F(AppAuthorizationLimits, LiveTokensKeepTheCodeForARetry) {
  token_at(kStart, request());
  token_at(kStart, request());
  const std::string code = code_at(kStart, request());
  auto refused = service_.exchange_code(kStart, token_request(code));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  // The tokens expire after 30 s, well within the code's 60 s.
  EXPECT_TRUE(service_.exchange_code(kStart + seconds(30), token_request(code)).ok());
}

TEST_F(AppAuthorizationLimits, Grants) {
  ASSERT_TRUE(
      service_.grant_application(kStart, "globex", client_id_, GrantPath::kAtCreation).ok());
  auto third = service_.grant_application(kStart, "initech", client_id_, GrantPath::kAtCreation);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kResourceExhausted);
  AuthorizationRequest consent = request();
  consent.organization_id = "initech";
  consent.consent = true;
  EXPECT_EQ(service_.authorize(kStart, consent).error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(service_.pending_code_count(), 0U);
}

}  // namespace
}  // namespace ccsim::platform

// Application authorization: how an application (ours or a partner's) comes to act for a user in
// an organization. Applications are registered clients with exact redirect URIs; they are
// onboarded into an organization by one of the white paper's three paths (at the organization's
// creation, by selecting an existing organization, or by OAuth consent), all recorded here as
// grants; and a user authorizes one with the OAuth 2.0 authorization code grant (RFC 6749 s4.1)
// and PKCE (RFC 7636), receiving a signed access token whose scopes come from the user's role.
//
// Threats addressed:
// - A stolen authorization code is useless without the PKCE verifier (S256 only; "plain" is
//   refused because it puts the secret itself in the front channel). Codes are single-use and
//   short-lived; a second use also revokes the token issued from the first (RFC 6749 s4.1.2),
//   since one of the two users is an attacker and the server cannot tell which.
// - Codes are stored only as SHA-256 digests, so a dump of this state redeems nothing.
// - Tokens are signed with Ed25519 (RFC 8032) over `header.payload`; any changed byte fails,
//   including the signature's (the base64url decoder refuses non-canonical text, so no two
//   texts decode to one signature). The header is fixed, so "alg": "none" and friends fail.
// - Scopes never exceed the granting user's role, and no token outlives the role or the
//   organization behind it: connected to tenancy (connect_to), revoke_for_user() drops a user's
//   tokens and pending codes when a grant of theirs is revoked or replaced or they leave, and
//   forget_organization() all of an organization's when it is deleted (tenancy.h).
// - An application is onboarded into a whole organization, so recording that, by consent or by
//   selection, takes a user who may admit parties to it (kOnboardApplicationPermission:
//   Permission::kInviteUsers, owner and administrator).
//
// Sans-IO: every call takes `now` (never going back between calls); codes, token ids, client
// ids and the signing key come from the injected core::RandomStream, so a seed reproduces every
// code and token byte for byte (Ed25519 signatures are deterministic). The key is 32 bytes
// drawn from that stream rather than from OpenSSL's generator, which would break replay; a
// deployment would load its key from a key store instead.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/node.h"
#include "core/random_stream.h"
#include "platform/permissions.h"
#include "platform/service_result.h"

// OpenSSL's key type, declared rather than included: OpenSSL stays a private dependency.
struct evp_pkey_st;

namespace ccsim::platform {

class Tenancy;

// User and organization ids: 1..64 characters of [A-Za-z0-9._:@-], as in the audit log.
inline constexpr std::size_t kAppIdentifierBytesMax = 64;
inline constexpr std::size_t kApplicationNameBytesMax = 100;
inline constexpr std::size_t kRedirectUriBytesMax = 512;
inline constexpr std::size_t kRedirectUrisPerApplicationMax = 8;
inline constexpr std::size_t kScopesPerRequestMax = 16;
inline constexpr std::size_t kScopeBytesMax = 32;
// RFC 7636 s4.1 and s4.2: verifiers (and challenges) are 43..128 unreserved characters. An S256
// challenge is the base64url of a SHA-256 digest, so it is exactly kCodeChallengeS256Chars.
inline constexpr std::size_t kCodeVerifierCharsMin = 43;
inline constexpr std::size_t kCodeVerifierCharsMax = 128;
inline constexpr std::size_t kCodeChallengeCharsMin = 43;
inline constexpr std::size_t kCodeChallengeCharsMax = 128;
inline constexpr std::size_t kCodeChallengeS256Chars = 43;
inline constexpr std::string_view kCodeChallengeMethodS256 = "S256";
// Codes carry 256 random bits, written as 43 base64url characters.
inline constexpr std::size_t kAuthorizationCodeBytes = 32;
inline constexpr std::size_t kAuthorizationCodeChars = 43;
// Token ids are 128 random bits in hex; client ids "app-" and 64 random bits in hex.
inline constexpr std::size_t kTokenIdChars = 32;
inline constexpr std::size_t kClientIdChars = 4 + 16;
inline constexpr std::size_t kAccessTokenBytesMax = 2048;
inline constexpr std::size_t kSigningKeyBytes = 32;  // an Ed25519 private (and public) key
// Applications one organization may be created with (GrantPath::kAtCreation).
inline constexpr std::size_t kApplicationsAtCreationMax = 16;
// What a user needs in an organization to onboard an application into it.
inline constexpr Permission kOnboardApplicationPermission = Permission::kInviteUsers;

// A scope an application may ask for, and the permission it needs in the user's role.
// Assigning roles and deleting the organization have no scope on purpose: an application never
// changes who may do what, nor removes the tenant.
struct ScopeDefinition {
  std::string_view name;
  Permission permission;
};
inline constexpr std::array<ScopeDefinition, 8> kScopes = {{
    {"devices:onboard", Permission::kOnboardDevices},
    {"devices:operate", Permission::kOperateDevices},
    {"profiles:write", Permission::kChangeDeviceProfiles},
    {"video:live", Permission::kViewLiveVideo},
    {"recordings:read", Permission::kReadRecordings},
    {"licenses:manage", Permission::kManageLicenses},
    {"users:invite", Permission::kInviteUsers},
    {"audit:read", Permission::kReadAuditLog},
}};

// The permission `scope` needs; nullopt for a scope not in kScopes.
std::optional<Permission> scope_permission(std::string_view scope);
// Every scope `role` may grant, in kScopes order.
std::vector<std::string> scopes_allowed(Role role);

// Base64url without padding (RFC 4648 s5, as JWS and PKCE use it).
std::string base64url_encode(std::string_view bytes);
// Nullopt unless `text` is canonical unpadded base64url: only the 64 symbols, a length that is
// not 1 mod 4, and zero bits after the last whole byte.
std::optional<std::string> base64url_decode(std::string_view text);
// BASE64URL(SHA256(ASCII(verifier))), RFC 7636 s4.2.
std::string pkce_s256_challenge(std::string_view verifier);

// How an application came to be onboarded into an organization.
enum class GrantPath : std::uint8_t {
  kAtCreation,            // picked when the organization was created
  kOrganizationSelected,  // the organization picked in the application's own client
  kOAuthConsent,          // a user's consent in an authorization request
};
std::string_view grant_path_name(GrantPath path);

struct Application {
  std::string client_id;
  std::string name;
  std::vector<std::string> redirect_uris;  // sorted, distinct; matched byte for byte
  core::Time registered_at{};
};

struct ApplicationGrant {
  std::string organization_id;
  std::string client_id;
  GrantPath path = GrantPath::kAtCreation;
  core::Time granted_at{};
};

// An authorization request (RFC 6749 s4.1.1 with RFC 7636 s4.3). The caller (the tenancy
// service) has authenticated the user and looked up their role in the organization.
struct AuthorizationRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string user_id;
  std::string organization_id;
  Role user_role = Role::kViewer;
  std::vector<std::string> scopes;  // 1..kScopesPerRequestMax; duplicates count once
  std::string code_challenge;
  std::string code_challenge_method;  // only kCodeChallengeMethodS256
  // The user consents, in this request, to onboarding the application into the organization;
  // needed only if it is not onboarded yet.
  bool consent = false;
};

// An access token request (RFC 6749 s4.1.3 with RFC 7636 s4.5).
struct TokenRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string code;
  std::string code_verifier;
};

// What an access token says, as signed in its payload.
struct TokenClaims {
  std::string token_id;
  std::string client_id;
  std::string user_id;
  std::string organization_id;
  std::vector<std::string> scopes;  // in kScopes order
  core::Time issued_at{};
  core::Time expires_at{};  // the token is valid while now < expires_at

  bool allows(std::string_view scope) const;
  friend bool operator==(const TokenClaims&, const TokenClaims&) = default;
};

struct AccessToken {
  std::string token;  // base64url(header) "." base64url(payload) "." base64url(signature)
  TokenClaims claims;
};

// Lifetimes and limits; tests shrink them, the platform keeps the defaults.
struct AppAuthorizationPolicy {
  // A code is redeemable while now < issued + code_lifetime (the end is exclusive).
  core::Duration code_lifetime = std::chrono::seconds(60);
  core::Duration token_lifetime = std::chrono::hours(1);  // exclusive end likewise
  std::size_t applications_max = 10'000;
  std::size_t pending_codes_max = 100'000;
  // Tokens remembered until they expire, revoked ones included (their revocation must hold).
  std::size_t tokens_max = 1'000'000;
  std::size_t grants_max = 1'000'000;
};

class AppAuthorization {
 public:
  // RFC 6749 s4.1.2 asks for codes of at most 10 minutes.
  static constexpr core::Duration kCodeLifetimeMax = std::chrono::minutes(10);
  static constexpr core::Duration kTokenLifetimeMax = std::chrono::hours(24);
  static constexpr std::size_t kEntriesMaxCeiling = 10'000'000;

  // Draws the signing key from `random` first, then codes and ids as they are issued.
  explicit AppAuthorization(core::RandomStream random, AppAuthorizationPolicy policy = {});
  // Installs revoke_for_user and forget_organization as `tenancy`'s application revocation. The
  // service must then outlive `tenancy` and not be moved.
  void connect_to(Tenancy& tenancy);
  ~AppAuthorization();
  AppAuthorization(AppAuthorization&&) noexcept;
  AppAuthorization& operator=(AppAuthorization&&) noexcept;
  AppAuthorization(const AppAuthorization&) = delete;
  AppAuthorization& operator=(const AppAuthorization&) = delete;

  // Registers a client with its redirect URIs: absolute, no fragment, https, http on a loopback
  // address (RFC 8252 s7.3), or a private-use scheme with a dot (RFC 8252 s7.1). Returns its
  // client id.
  Result<std::string> register_application(core::Time now, std::string_view name,
                                           const std::vector<std::string>& redirect_uris);
  const Application* find_application(std::string_view client_id) const;
  std::size_t application_count() const { return applications_.size(); }

  // Onboards an application into an organization at its creation or by selection (consent is
  // recorded by authorize()). Granting twice keeps the first record.
  Result<Done> grant_application(core::Time now, std::string_view organization_id,
                                 std::string_view client_id, GrantPath path);
  // Whether grant_application would take each of `client_ids` (distinct) into an organization
  // that holds no grant yet, so that one being created can be refused before it exists:
  // kInvalidArgument past kApplicationsAtCreationMax or for a malformed id, kNotFound naming an
  // unregistered client, kResourceExhausted when the grants would not fit.
  Result<Done> check_grantable(const std::vector<std::string>& client_ids) const;
  bool is_granted(std::string_view organization_id, std::string_view client_id) const;
  // The organization's grants, by client id.
  std::vector<ApplicationGrant> granted_applications(std::string_view organization_id) const;

  // Issues a single-use authorization code for the request. Errors: kInvalidArgument for
  // malformed input, an unknown scope or an unregistered redirect URI; kNotFound for an unknown
  // client; kPermissionDenied for a scope the role does not allow, or consent by a user who may
  // not onboard applications; kFailedPrecondition when the application is not onboarded into
  // the organization and the user did not consent; kResourceExhausted at a limit.
  Result<std::string> authorize(core::Time now, const AuthorizationRequest& request);

  // Redeems a code for an access token. The code is spent by any attempt that finds it, right
  // or wrong, so an intercepted code gets one guess. Errors: kInvalidArgument for malformed
  // input; kNotFound for an unknown client; kUnauthenticated for an unknown, expired, reused or
  // mismatched code (reuse also revokes the token issued from it) or a wrong verifier;
  // kResourceExhausted when tokens_max tokens are live (the code is kept for a retry).
  Result<AccessToken> exchange_code(core::Time now, const TokenRequest& request);

  // The claims of a token this service issued, if it is intact, unexpired and not revoked;
  // otherwise kUnauthenticated (kInvalidArgument if it is oversized).
  Result<TokenClaims> verify_token(core::Time now, std::string_view token) const;

  // Revokes one token; revoking it again is fine. kNotFound if unknown or already expired.
  Result<Done> revoke_token(core::Time now, std::string_view token_id);
  // Revokes the user's tokens in the organization and drops their pending codes, e.g. when
  // their role is changed or revoked. Returns how many tokens it revoked.
  Result<std::size_t> revoke_for_user(core::Time now, std::string_view user_id,
                                      std::string_view organization_id);
  // The organization is deleted: drops its grants and pending codes, revokes its tokens.
  Result<Done> forget_organization(core::Time now, std::string_view organization_id);

  // The raw Ed25519 public key (kSigningKeyBytes) that verifies this service's tokens.
  const std::string& public_key() const { return public_key_; }
  std::size_t pending_code_count() const { return pending_codes_.size(); }
  std::size_t token_count() const { return tokens_.size(); }
  const AppAuthorizationPolicy& policy() const { return policy_; }

 private:
  struct PendingCode {
    std::string client_id;
    std::string redirect_uri;
    std::string user_id;
    std::string organization_id;
    std::vector<std::string> scopes;
    std::string challenge_digest;  // the decoded S256 challenge: SHA-256 of the verifier
    core::Time expires_at{};
  };
  struct TokenRecord {
    TokenClaims claims;
    std::string code_digest;  // of the code it was issued for
    bool revoked = false;
  };
  struct KeyDeleter {
    void operator()(evp_pkey_st* key) const;
  };
  // Keyed by (time, key): what expires first comes first, ties by key, never by address.
  using ExpiryIndex = std::set<std::pair<core::Time, std::string>>;

  void advance(core::Time now);
  void prune_codes(core::Time now);
  void prune_tokens(core::Time now);
  void erase_code(std::map<std::string, PendingCode, std::less<>>::iterator it);
  Result<std::vector<std::string>> granted_scopes(const AuthorizationRequest& request) const;
  Result<Done> check_onboarded(const AuthorizationRequest& request) const;
  Result<PendingCode> take_code(core::Time now, const TokenRequest& request,
                                const std::string& digest);
  AccessToken issue_token(core::Time now, PendingCode code, std::string code_digest);
  std::string sign(std::string_view signing_input) const;
  bool signature_valid(std::string_view signing_input, std::string_view signature) const;
  std::string draw_hex_id(std::size_t bytes);

  core::RandomStream random_;
  AppAuthorizationPolicy policy_;
  std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
  std::string public_key_;
  std::map<std::string, Application, std::less<>> applications_;
  std::map<std::pair<std::string, std::string>, ApplicationGrant> grants_;  // (org, client)
  std::map<std::string, PendingCode, std::less<>> pending_codes_;  // by SHA-256 of the code
  ExpiryIndex code_expiry_;
  std::map<std::string, TokenRecord, std::less<>> tokens_;  // by token id
  ExpiryIndex token_expiry_;
  std::map<std::string, std::string, std::less<>> redeemed_codes_;  // code digest -> token id
  core::Time latest_now_{};
};

}  // namespace ccsim::platform

#include "platform/app_authorization.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>

#include "core/digest.h"
#include "core/time_text.h"
#include "platform/tenancy.h"

namespace ccsim::platform {
namespace {

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kClientIdPrefix = "app-";
constexpr std::size_t kClientIdRandomBytes = 8;
constexpr std::size_t kTokenIdRandomBytes = 16;
using core::hex;
using core::kSha256Bytes;
using core::sha256;
constexpr std::size_t kSignatureBytes = 64;  // Ed25519, RFC 8032 s5.1.6

// The one header every token has. Verification compares it as text, so a token cannot choose
// its own algorithm.
constexpr std::string_view kTokenHeader = R"({"alg":"EdDSA","typ":"ccsim-at"})";
// The payload's fixed layout, shared by the writer and the reader so they cannot drift apart.
// Times are microseconds of simulated time (core::Time), hence "_us" rather than JWT's seconds.
constexpr std::string_view kPayloadTokenId = R"({"jti":")";
constexpr std::string_view kPayloadClientId = R"(","client_id":")";
constexpr std::string_view kPayloadUserId = R"(","sub":")";
constexpr std::string_view kPayloadOrganizationId = R"(","org":")";
constexpr std::string_view kPayloadScope = R"(","scope":")";
constexpr std::string_view kPayloadIssuedAt = R"(","iat_us":)";
constexpr std::string_view kPayloadExpiresAt = R"(,"exp_us":)";
constexpr std::string_view kPayloadEnd = "}";
constexpr char kScopeSeparator = ' ';

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
unsigned char* bytes_of(std::string& text) {
  return reinterpret_cast<unsigned char*>(text.data());
}

int base64url_value(char c) {
  const std::size_t at = kBase64UrlAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool identifier_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

// RFC 3986 s2.3, the alphabet of PKCE verifiers (RFC 7636 s4.1).
bool unreserved_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool visible_ascii(char c) {
  return c > ' ' && c <= '~';
}

ServiceError invalid(std::string message) {
  return error(ErrorCode::kInvalidArgument, std::move(message));
}
ServiceError unauthenticated(std::string message) {
  return error(ErrorCode::kUnauthenticated, std::move(message));
}

std::optional<ServiceError> check_identifier(std::string_view field, std::string_view value) {
  if (value.empty() || value.size() > kAppIdentifierBytesMax) {
    return invalid(std::string(field) + ": must be 1.." + std::to_string(kAppIdentifierBytesMax) +
                   " characters, got " + std::to_string(value.size()));
  }
  if (!std::all_of(value.begin(), value.end(), identifier_character)) {
    return invalid(std::string(field) + ": contains a character outside [A-Za-z0-9._:@-]");
  }
  return std::nullopt;
}

// A caller's text quoted back in a message only when it is short and harmless to log.
std::string quoted(std::string_view text) {
  if (text.size() <= kScopeBytesMax && std::all_of(text.begin(), text.end(), visible_ascii)) {
    return "'" + std::string(text) + "'";
  }
  return "of " + std::to_string(text.size()) + " bytes";
}

using core::time_text;

// Whether the host part after "scheme://" is a loopback IP literal (RFC 8252 s8.3 advises the
// literal over "localhost", which a resolver may send elsewhere).
bool loopback_authority(std::string_view rest) {
  for (const std::string_view host : {std::string_view("127.0.0.1"), std::string_view("[::1]")}) {
    if (rest.substr(0, host.size()) != host) continue;
    if (rest.size() == host.size() ||
        std::string_view(":/?").find(rest[host.size()]) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

std::optional<ServiceError> check_redirect_scheme(std::string_view uri) {
  const std::size_t colon = uri.find(':');
  const std::string_view scheme = uri.substr(0, colon);
  const bool scheme_ok =
      colon != std::string_view::npos && !scheme.empty() &&
      std::isalpha(static_cast<unsigned char>(scheme[0])) != 0 &&
      std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
      });
  if (!scheme_ok) return invalid("redirect URI must be absolute (scheme ':' ...)");
  const std::string_view rest = uri.substr(colon + 1);
  if (scheme == "https") {
    if (rest.substr(0, 2) == "//" && rest.size() > 2 && rest[2] != '/') return std::nullopt;
    return invalid("https redirect URI must name a host");
  }
  if (scheme == "http") {
    if (rest.substr(0, 2) == "//" && loopback_authority(rest.substr(2))) return std::nullopt;
    return invalid("plain http redirect URIs are accepted only on 127.0.0.1 or [::1]");
  }
  if (scheme.find('.') != std::string_view::npos) return std::nullopt;
  return invalid(
      "redirect URI must use https, http on a loopback address, or a private-use scheme in "
      "reverse domain form such as com.example.app: (RFC 8252 s7.1)");
}

std::optional<ServiceError> check_redirect_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > kRedirectUriBytesMax) {
    return invalid("redirect URI must be 1.." + std::to_string(kRedirectUriBytesMax) +
                   " bytes, got " + std::to_string(uri.size()));
  }
  if (!std::all_of(uri.begin(), uri.end(), visible_ascii)) {
    return invalid("redirect URI contains a space or a byte outside printable ASCII");
  }
  if (uri.find('#') != std::string_view::npos) {
    return invalid("redirect URI must not have a fragment (RFC 6749 s3.1.2)");
  }
  return check_redirect_scheme(uri);
}

std::optional<ServiceError> check_code_challenge(std::string_view method,
                                                 std::string_view challenge) {
  if (method.empty()) return invalid("PKCE is required: code_challenge_method must be S256");
  if (method == "plain") {
    return invalid("code_challenge_method plain is refused: it exposes the verifier; use S256");
  }
  if (method != kCodeChallengeMethodS256) {
    return invalid("unknown code_challenge_method " + quoted(method) + "; use S256");
  }
  if (challenge.size() < kCodeChallengeCharsMin || challenge.size() > kCodeChallengeCharsMax) {
    return invalid("code_challenge must be " + std::to_string(kCodeChallengeCharsMin) + ".." +
                   std::to_string(kCodeChallengeCharsMax) + " characters, got " +
                   std::to_string(challenge.size()));
  }
  const auto digest = base64url_decode(challenge);
  if (!digest) return invalid("code_challenge is not unpadded base64url");
  if (challenge.size() != kCodeChallengeS256Chars || digest->size() != kSha256Bytes) {
    return invalid("an S256 code_challenge is the " + std::to_string(kCodeChallengeS256Chars) +
                   "-character base64url of a SHA-256 digest");
  }
  return std::nullopt;
}

std::optional<ServiceError> check_request_shape(const AuthorizationRequest& request) {
  if (auto e = check_identifier("client_id", request.client_id)) return e;
  if (auto e = check_identifier("user", request.user_id)) return e;
  if (auto e = check_identifier("organization", request.organization_id)) return e;
  if (request.redirect_uri.empty() || request.redirect_uri.size() > kRedirectUriBytesMax) {
    return invalid("redirect URI must be 1.." + std::to_string(kRedirectUriBytesMax) + " bytes");
  }
  if (request.scopes.empty() || request.scopes.size() > kScopesPerRequestMax) {
    return invalid("a request names 1.." + std::to_string(kScopesPerRequestMax) + " scopes, got " +
                   std::to_string(request.scopes.size()));
  }
  return check_code_challenge(request.code_challenge_method, request.code_challenge);
}

std::optional<ServiceError> check_token_request_shape(const TokenRequest& request) {
  if (auto e = check_identifier("client_id", request.client_id)) return e;
  if (request.redirect_uri.empty() || request.redirect_uri.size() > kRedirectUriBytesMax) {
    return invalid("redirect URI must be 1.." + std::to_string(kRedirectUriBytesMax) + " bytes");
  }
  if (request.code.empty() || request.code.size() > kAuthorizationCodeChars) {
    return invalid("authorization code must be 1.." + std::to_string(kAuthorizationCodeChars) +
                   " characters, got " + std::to_string(request.code.size()));
  }
  const std::string& verifier = request.code_verifier;
  if (verifier.size() < kCodeVerifierCharsMin || verifier.size() > kCodeVerifierCharsMax) {
    return invalid("code_verifier must be " + std::to_string(kCodeVerifierCharsMin) + ".." +
                   std::to_string(kCodeVerifierCharsMax) + " characters, got " +
                   std::to_string(verifier.size()));
  }
  if (!std::all_of(verifier.begin(), verifier.end(), unreserved_character)) {
    return invalid("code_verifier has a character outside [A-Za-z0-9-._~]");
  }
  return std::nullopt;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string text;
  for (const std::string& scope : scopes) {
    if (!text.empty()) text += kScopeSeparator;
    text += scope;
  }
  return text;
}

std::string payload_text(const TokenClaims& claims) {
  std::string text;
  text.append(kPayloadTokenId).append(claims.token_id);
  text.append(kPayloadClientId).append(claims.client_id);
  text.append(kPayloadUserId).append(claims.user_id);
  text.append(kPayloadOrganizationId).append(claims.organization_id);
  text.append(kPayloadScope).append(join_scopes(claims.scopes));
  text.append(kPayloadIssuedAt).append(std::to_string(claims.issued_at.count()));
  text.append(kPayloadExpiresAt).append(std::to_string(claims.expires_at.count()));
  text.append(kPayloadEnd);
  return text;
}

// Reads the payload layout that payload_text() writes, and nothing else.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view text) : rest_(text) {}

  bool literal(std::string_view expected) {
    if (rest_.substr(0, expected.size()) != expected) return false;
    rest_.remove_prefix(expected.size());
    return true;
  }
  // Up to the next '"', which stays unread. Written values never contain '"' or '\'.
  bool text(std::string& out) {
    const std::size_t end = rest_.find('"');
    if (end == std::string_view::npos) return false;
    out = std::string(rest_.substr(0, end));
    rest_.remove_prefix(end);
    return true;
  }
  bool microseconds(core::Time& out) {
    if (rest_.empty() || rest_[0] < '0' || rest_[0] > '9') return false;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value);
    if (ec != std::errc()) return false;
    rest_.remove_prefix(static_cast<std::size_t>(end - rest_.data()));
    out = core::Time(value);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> scopes;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find(kScopeSeparator), text.size());
    scopes.emplace_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return scopes;
}

std::optional<TokenClaims> parse_payload(std::string_view text) {
  TokenClaims claims;
  std::string scope;
  PayloadReader in(text);
  const bool read = in.literal(kPayloadTokenId) && in.text(claims.token_id) &&
                    in.literal(kPayloadClientId) && in.text(claims.client_id) &&
                    in.literal(kPayloadUserId) && in.text(claims.user_id) &&
                    in.literal(kPayloadOrganizationId) && in.text(claims.organization_id) &&
                    in.literal(kPayloadScope) && in.text(scope) && in.literal(kPayloadIssuedAt) &&
                    in.microseconds(claims.issued_at) && in.literal(kPayloadExpiresAt) &&
                    in.microseconds(claims.expires_at) && in.literal(kPayloadEnd) && in.done();
  if (!read) return std::nullopt;
  claims.scopes = split_scopes(scope);
  return claims;
}

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

}  // namespace

std::optional<Permission> scope_permission(std::string_view scope) {
  for (const ScopeDefinition& definition : kScopes) {
    if (definition.name == scope) return definition.permission;
  }
  return std::nullopt;
}

std::vector<std::string> scopes_allowed(Role role) {
  std::vector<std::string> scopes;
  for (const ScopeDefinition& definition : kScopes) {
    if (role_allows(role, definition.permission)) scopes.emplace_back(definition.name);
  }
  return scopes;
}

// OpenSSL's EVP_EncodeBlock writes standard base64 (RFC 4648 s4: '+', '/', '=' padding, and a
// decoder that tolerates what JWS and PKCE forbid), hence this small base64url codec.
std::string base64url_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  std::size_t bit_count = 0;
  for (const char c : bytes) {
    bits = (bits << 8U) | static_cast<unsigned char>(c);
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      text += kBase64UrlAlphabet[(bits >> bit_count) & 0x3fU];
    }
    bits &= (1U << bit_count) - 1U;
  }
  if (bit_count > 0) text += kBase64UrlAlphabet[(bits << (6 - bit_count)) & 0x3fU];
  return text;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  std::size_t bit_count = 0;
  for (const char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6U) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes += static_cast<char>((bits >> bit_count) & 0xffU);
    }
    bits &= (1U << bit_count) - 1U;
  }
  // Leftover bits must be zero, or two texts would decode alike and a changed last character
  // of a signature could go unnoticed.
  if (bits != 0) return std::nullopt;
  return bytes;
}

std::string pkce_s256_challenge(std::string_view verifier) {
  return base64url_encode(sha256(verifier));
}

std::string_view grant_path_name(GrantPath path) {
  switch (path) {
    case GrantPath::kAtCreation:
      return "at_creation";
    case GrantPath::kOrganizationSelected:
      return "organization_selected";
    case GrantPath::kOAuthConsent:
      return "oauth_consent";
  }
  return "unknown";
}

bool TokenClaims::allows(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

void AppAuthorization::KeyDeleter::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

AppAuthorization::AppAuthorization(core::RandomStream random, AppAuthorizationPolicy policy)
    : random_(random), policy_(policy) {
  assert(policy_.code_lifetime > core::Duration::zero());
  assert(policy_.code_lifetime <= kCodeLifetimeMax);
  assert(policy_.token_lifetime > core::Duration::zero());
  assert(policy_.token_lifetime <= kTokenLifetimeMax);
  for (const std::size_t limit : {policy_.applications_max, policy_.pending_codes_max,
                                  policy_.tokens_max, policy_.grants_max}) {
    assert(limit >= 1 && limit <= kEntriesMaxCeiling);
    (void)limit;
  }
  std::string private_key = core::random_bytes(random_, kSigningKeyBytes);
  key_.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(private_key),
                                          private_key.size()));
  OPENSSL_cleanse(private_key.data(), private_key.size());
  assert(key_ != nullptr);
  public_key_.assign(kSigningKeyBytes, '\0');
  std::size_t size = public_key_.size();
  const int done = EVP_PKEY_get_raw_public_key(key_.get(), bytes_of(public_key_), &size);
  assert(done == 1 && size == kSigningKeyBytes);
  (void)done;
}

void AppAuthorization::connect_to(Tenancy& tenancy) {
  // Tenancy hands over its own well-formed ids, so neither call can be refused.
  tenancy.set_app_revocation(
      AppRevocation{[this](core::Time now, std::string_view organization, std::string_view user) {
                      const auto revoked = revoke_for_user(now, user, organization);
                      assert(revoked.ok());
                      (void)revoked;
                    },
                    [this](core::Time now, std::string_view organization) {
                      const auto forgotten = forget_organization(now, organization);
                      assert(forgotten.ok());
                      (void)forgotten;
                    }});
}

AppAuthorization::~AppAuthorization() = default;
AppAuthorization::AppAuthorization(AppAuthorization&&) noexcept = default;
AppAuthorization& AppAuthorization::operator=(AppAuthorization&&) noexcept = default;

Result<std::string> AppAuthorization::register_application(
    core::Time now, std::string_view name, const std::vector<std::string>& redirect_uris) {
  advance(now);
  if (name.empty() || name.size() > kApplicationNameBytesMax ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c == ' ' || visible_ascii(c); })) {
    return invalid("application name must be 1.." + std::to_string(kApplicationNameBytesMax) +
                   " printable ASCII characters");
  }
  if (redirect_uris.empty() || redirect_uris.size() > kRedirectUrisPerApplicationMax) {
    return invalid("an application has 1.." + std::to_string(kRedirectUrisPerApplicationMax) +
                   " redirect URIs, got " + std::to_string(redirect_uris.size()));
  }
  for (const std::string& uri : redirect_uris) {
    if (auto e = check_redirect_uri(uri)) return *e;
  }
  if (applications_.size() >= policy_.applications_max) {
    return error(ErrorCode::kResourceExhausted,
                 "at most " + std::to_string(policy_.applications_max) + " applications");
  }
  std::set<std::string> distinct(redirect_uris.begin(), redirect_uris.end());
  std::string client_id = std::string(kClientIdPrefix) + draw_hex_id(kClientIdRandomBytes);
  assert(client_id.size() == kClientIdChars);
  Application application{client_id, std::string(name),
                          std::vector<std::string>(distinct.begin(), distinct.end()), now};
  const bool inserted = applications_.emplace(client_id, std::move(application)).second;
  assert(inserted);  // a stream never repeats a draw before 2^64 of them
  (void)inserted;
  return client_id;
}

const Application* AppAuthorization::find_application(std::string_view client_id) const {
  const auto it = applications_.find(client_id);
  return it == applications_.end() ? nullptr : &it->second;
}

Result<Done> AppAuthorization::grant_application(core::Time now, std::string_view organization_id,
                                                 std::string_view client_id, GrantPath path) {
  assert(path != GrantPath::kOAuthConsent);  // recorded by authorize(), with the consent
  advance(now);
  if (auto e = check_identifier("organization", organization_id)) return *e;
  if (auto e = check_identifier("client_id", client_id)) return *e;
  if (find_application(client_id) == nullptr) {
    return error(ErrorCode::kNotFound, "no application " + std::string(client_id));
  }
  if (is_granted(organization_id, client_id)) return Done{};
  if (grants_.size() >= policy_.grants_max) {
    return error(ErrorCode::kResourceExhausted,
                 "at most " + std::to_string(policy_.grants_max) + " application grants");
  }
  ApplicationGrant grant{std::string(organization_id), std::string(client_id), path, now};
  grants_.emplace(std::pair(grant.organization_id, grant.client_id), grant);
  return Done{};
}

Result<Done> AppAuthorization::check_grantable(const std::vector<std::string>& client_ids) const {
  if (client_ids.size() > kApplicationsAtCreationMax) {
    return invalid("an organization is created with at most " +
                   std::to_string(kApplicationsAtCreationMax) + " applications, got " +
                   std::to_string(client_ids.size()));
  }
  for (const std::string& client_id : client_ids) {
    if (auto e = check_identifier("client_id", client_id)) return *e;
    if (find_application(client_id) == nullptr) {
      return error(ErrorCode::kNotFound, "no application " + client_id);
    }
  }
  if (grants_.size() + client_ids.size() > policy_.grants_max) {
    return error(ErrorCode::kResourceExhausted,
                 "at most " + std::to_string(policy_.grants_max) + " application grants");
  }
  return Done{};
}

bool AppAuthorization::is_granted(std::string_view organization_id,
                                  std::string_view client_id) const {
  return grants_.contains({std::string(organization_id), std::string(client_id)});
}

std::vector<ApplicationGrant> AppAuthorization::granted_applications(
    std::string_view organization_id) const {
  std::vector<ApplicationGrant> grants;
  for (auto it = grants_.lower_bound({std::string(organization_id), std::string()});
       it != grants_.end() && it->first.first == organization_id; ++it) {
    grants.push_back(it->second);
  }
  return grants;
}

Result<std::string> AppAuthorization::authorize(core::Time now,
                                                const AuthorizationRequest& request) {
  advance(now);
  if (auto e = check_request_shape(request)) return *e;
  const Application* application = find_application(request.client_id);
  if (application == nullptr) {
    return error(ErrorCode::kNotFound, "no application " + request.client_id);
  }
  const auto& uris = application->redirect_uris;
  if (!std::binary_search(uris.begin(), uris.end(), request.redirect_uri)) {
    return invalid("redirect URI is not registered for application " + request.client_id);
  }
  auto scopes = granted_scopes(request);
  if (!scopes.ok()) return scopes.error();
  if (auto onboarded = check_onboarded(request); !onboarded.ok()) return onboarded.error();

  prune_codes(now);
  const bool record_grant = !is_granted(request.organization_id, request.client_id);
  if (pending_codes_.size() >= policy_.pending_codes_max) {
    return error(
        ErrorCode::kResourceExhausted,
        "at most " + std::to_string(policy_.pending_codes_max) + " authorization codes pending");
  }
  if (record_grant && grants_.size() >= policy_.grants_max) {
    return error(ErrorCode::kResourceExhausted,
                 "at most " + std::to_string(policy_.grants_max) + " application grants");
  }
  if (record_grant) {
    ApplicationGrant grant{request.organization_id, request.client_id, GrantPath::kOAuthConsent,
                           now};
    grants_.emplace(std::pair(grant.organization_id, grant.client_id), std::move(grant));
  }
  std::string code = base64url_encode(core::random_bytes(random_, kAuthorizationCodeBytes));
  assert(code.size() == kAuthorizationCodeChars);
  std::string digest = sha256(code);
  assert(!pending_codes_.contains(digest) && !redeemed_codes_.contains(digest));
  PendingCode pending{request.client_id,
                      request.redirect_uri,
                      request.user_id,
                      request.organization_id,
                      std::move(scopes).value(),
                      *base64url_decode(request.code_challenge),
                      now + policy_.code_lifetime};
  code_expiry_.emplace(pending.expires_at, digest);
  pending_codes_.emplace(std::move(digest), std::move(pending));
  return code;
}

// The request's scopes, deduplicated and in kScopes order, if all are known and the role allows
// them. Unknown scopes are reported before forbidden ones: input first, then authority.
Result<std::vector<std::string>> AppAuthorization::granted_scopes(
    const AuthorizationRequest& request) const {
  std::set<std::size_t> indexes;
  for (const std::string& scope : request.scopes) {
    const auto known = std::find_if(kScopes.begin(), kScopes.end(),
                                    [&](const ScopeDefinition& d) { return d.name == scope; });
    if (known == kScopes.end()) return invalid("unknown scope " + quoted(scope));
    indexes.insert(static_cast<std::size_t>(known - kScopes.begin()));
  }
  std::vector<std::string> scopes;
  for (const std::size_t index : indexes) {
    const ScopeDefinition& definition = kScopes[index];
    if (!role_allows(request.user_role, definition.permission)) {
      return error(ErrorCode::kPermissionDenied,
                   "role " + std::string(role_name(request.user_role)) + " does not allow scope " +
                       std::string(definition.name));
    }
    scopes.emplace_back(definition.name);
  }
  return scopes;
}

Result<Done> AppAuthorization::check_onboarded(const AuthorizationRequest& request) const {
  if (is_granted(request.organization_id, request.client_id)) return Done{};
  const std::string what =
      "application " + request.client_id + " into organization " + request.organization_id;
  if (!request.consent) {
    return error(ErrorCode::kFailedPrecondition,
                 "onboarding " + what + " needs the user's consent or an administrator's grant");
  }
  if (!role_allows(request.user_role, kOnboardApplicationPermission)) {
    return error(ErrorCode::kPermissionDenied, "role " + std::string(role_name(request.user_role)) +
                                                   " may not consent to onboarding " + what);
  }
  return Done{};
}

Result<AccessToken> AppAuthorization::exchange_code(core::Time now, const TokenRequest& request) {
  advance(now);
  if (auto e = check_token_request_shape(request)) return *e;
  if (find_application(request.client_id) == nullptr) {
    return error(ErrorCode::kNotFound, "no application " + request.client_id);
  }
  prune_tokens(now);
  std::string digest = sha256(request.code);
  if (const auto redeemed = redeemed_codes_.find(digest); redeemed != redeemed_codes_.end()) {
    const auto token = tokens_.find(redeemed->second);
    assert(token != tokens_.end());
    token->second.revoked = true;
    return unauthenticated("authorization code already used; the access token issued for it (" +
                           token->first + ") is revoked");
  }
  if (tokens_.size() >= policy_.tokens_max) {
    return error(ErrorCode::kResourceExhausted,
                 "at most " + std::to_string(policy_.tokens_max) + " live access tokens");
  }
  auto code = take_code(now, request, digest);
  prune_codes(now);
  if (!code.ok()) return code.error();
  return issue_token(now, std::move(code).value(), std::move(digest));
}

// Finds and spends the code, then checks it against the request.
Result<AppAuthorization::PendingCode> AppAuthorization::take_code(core::Time now,
                                                                  const TokenRequest& request,
                                                                  const std::string& digest) {
  const auto it = pending_codes_.find(digest);
  if (it == pending_codes_.end()) {
    return unauthenticated("unknown, expired or already used authorization code");
  }
  PendingCode code = std::move(it->second);
  erase_code(it);
  if (now >= code.expires_at) {
    return unauthenticated("authorization code expired at " + time_text(code.expires_at));
  }
  if (code.client_id != request.client_id) {
    return unauthenticated("authorization code was issued to another application");
  }
  if (code.redirect_uri != request.redirect_uri) {
    return unauthenticated("redirect URI differs from the one in the authorization request");
  }
  const std::string verifier_digest = sha256(request.code_verifier);
  if (CRYPTO_memcmp(verifier_digest.data(), code.challenge_digest.data(), kSha256Bytes) != 0) {
    return unauthenticated("code_verifier does not match the code_challenge");
  }
  return code;
}

AccessToken AppAuthorization::issue_token(core::Time now, PendingCode code,
                                          std::string code_digest) {
  TokenClaims claims{draw_hex_id(kTokenIdRandomBytes), std::move(code.client_id),
                     std::move(code.user_id),          std::move(code.organization_id),
                     std::move(code.scopes),           now,
                     now + policy_.token_lifetime};
  assert(claims.token_id.size() == kTokenIdChars && !tokens_.contains(claims.token_id));
  const std::string signing_input =
      base64url_encode(kTokenHeader) + "." + base64url_encode(payload_text(claims));
  AccessToken token{signing_input + "." + base64url_encode(sign(signing_input)), claims};
  assert(token.token.size() <= kAccessTokenBytesMax);
  token_expiry_.emplace(claims.expires_at, claims.token_id);
  redeemed_codes_.emplace(code_digest, claims.token_id);
  std::string token_id = claims.token_id;  // claims moves into the record below
  tokens_.emplace(std::move(token_id),
                  TokenRecord{std::move(claims), std::move(code_digest), false});
  return token;
}

Result<TokenClaims> AppAuthorization::verify_token(core::Time now, std::string_view token) const {
  if (token.size() > kAccessTokenBytesMax) {
    return invalid("access token over " + std::to_string(kAccessTokenBytesMax) + " bytes");
  }
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != token.npos) {
    return unauthenticated("access token is not header.payload.signature");
  }
  if (token.substr(0, first_dot) != base64url_encode(kTokenHeader)) {
    return unauthenticated("access token header is not this platform's");
  }
  const auto signature = base64url_decode(token.substr(second_dot + 1));
  if (!signature || signature->size() != kSignatureBytes ||
      !signature_valid(token.substr(0, second_dot), *signature)) {
    return unauthenticated("access token signature does not verify");
  }
  const auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  auto claims = payload ? parse_payload(*payload) : std::nullopt;
  if (!claims) return unauthenticated("access token payload is malformed");
  if (now >= claims->expires_at) {
    return unauthenticated("access token expired at " + time_text(claims->expires_at));
  }
  const auto record = tokens_.find(claims->token_id);
  if (record == tokens_.end()) return unauthenticated("access token unknown to this service");
  if (record->second.revoked) return unauthenticated("access token has been revoked");
  assert(record->second.claims == *claims);
  return std::move(*claims);
}

Result<Done> AppAuthorization::revoke_token(core::Time now, std::string_view token_id) {
  advance(now);
  if (auto e = check_identifier("token id", token_id)) return *e;
  prune_tokens(now);
  const auto it = tokens_.find(token_id);
  if (it == tokens_.end()) {
    return error(ErrorCode::kNotFound, "no live access token " + std::string(token_id));
  }
  it->second.revoked = true;
  return Done{};
}

Result<std::size_t> AppAuthorization::revoke_for_user(core::Time now, std::string_view user_id,
                                                      std::string_view organization_id) {
  advance(now);
  if (auto e = check_identifier("user", user_id)) return *e;
  if (auto e = check_identifier("organization", organization_id)) return *e;
  prune_tokens(now);
  prune_codes(now);
  std::size_t revoked = 0;
  for (auto& entry : tokens_) {
    TokenRecord& record = entry.second;
    const TokenClaims& claims = record.claims;
    if (record.revoked || claims.user_id != user_id || claims.organization_id != organization_id) {
      continue;
    }
    record.revoked = true;
    ++revoked;
  }
  for (auto it = pending_codes_.begin(); it != pending_codes_.end();) {
    const auto next = std::next(it);
    if (it->second.user_id == user_id && it->second.organization_id == organization_id) {
      erase_code(it);
    }
    it = next;
  }
  return revoked;
}

Result<Done> AppAuthorization::forget_organization(core::Time now,
                                                   std::string_view organization_id) {
  advance(now);
  if (auto e = check_identifier("organization", organization_id)) return *e;
  prune_tokens(now);
  prune_codes(now);
  for (auto& entry : tokens_) {
    if (entry.second.claims.organization_id == organization_id) entry.second.revoked = true;
  }
  for (auto it = pending_codes_.begin(); it != pending_codes_.end();) {
    const auto next = std::next(it);
    if (it->second.organization_id == organization_id) erase_code(it);
    it = next;
  }
  std::erase_if(grants_, [&](const auto& entry) { return entry.first.first == organization_id; });
  return Done{};
}

void AppAuthorization::advance(core::Time now) {
  assert(now >= latest_now_);
  latest_now_ = now;
}

void AppAuthorization::prune_codes(core::Time now) {
  while (!code_expiry_.empty() && code_expiry_.begin()->first <= now) {
    const auto it = pending_codes_.find(code_expiry_.begin()->second);
    assert(it != pending_codes_.end());
    erase_code(it);
  }
}

void AppAuthorization::prune_tokens(core::Time now) {
  while (!token_expiry_.empty() && token_expiry_.begin()->first <= now) {
    const auto it = tokens_.find(token_expiry_.begin()->second);
    assert(it != tokens_.end());
    redeemed_codes_.erase(it->second.code_digest);
    tokens_.erase(it);
    token_expiry_.erase(token_expiry_.begin());
  }
  assert(tokens_.size() == token_expiry_.size() && tokens_.size() == redeemed_codes_.size());
}

void AppAuthorization::erase_code(std::map<std::string, PendingCode, std::less<>>::iterator it) {
  const std::size_t erased = code_expiry_.erase({it->second.expires_at, it->first});
  assert(erased == 1);
  (void)erased;
  pending_codes_.erase(it);
}

std::string AppAuthorization::sign(std::string_view signing_input) const {
  const DigestContext context(EVP_MD_CTX_new());
  assert(context != nullptr);
  // Ed25519 hashes internally (PureEdDSA), so there is no message digest to name.
  int done = EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get());
  assert(done == 1);
  std::string signature(kSignatureBytes, '\0');
  std::size_t size = signature.size();
  done = EVP_DigestSign(context.get(), bytes_of(signature), &size, bytes_of(signing_input),
                        signing_input.size());
  assert(done == 1 && size == kSignatureBytes);
  (void)done;
  return signature;
}

bool AppAuthorization::signature_valid(std::string_view signing_input,
                                       std::string_view signature) const {
  const DigestContext context(EVP_MD_CTX_new());
  assert(context != nullptr);
  const int done = EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key_.get());
  assert(done == 1);
  (void)done;
  return EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(),
                          bytes_of(signing_input), signing_input.size()) == 1;
}

std::string AppAuthorization::draw_hex_id(std::size_t bytes) {
  return hex(core::random_bytes(random_, bytes));
}

}  // namespace ccsim::platform

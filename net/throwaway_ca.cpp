#include "net/throwaway_ca.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace ccsim::net {
namespace {

// Validity window: from an hour ago (tolerates a peer whose clock is a little behind) for a day.
constexpr long kNotBeforeOffsetSeconds = -60L * 60;
constexpr long kValiditySeconds = 24L * 60 * 60;
// RFC 5280 allows serials up to 20 octets; 159 random bits stay positive and within it.
constexpr int kSerialBits = 159;

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BignumFree {
  void operator()(BIGNUM* number) const { BN_free(number); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

[[noreturn]] void fail(std::string_view what) {
  std::array<char, 256> reason{};
  const unsigned long code = ERR_get_error();
  ERR_error_string_n(code, reason.data(), reason.size());
  ERR_clear_error();
  throw std::runtime_error("throwaway CA: " + std::string(what) + ": " +
                           (code == 0 ? std::string("no OpenSSL error") : reason.data()));
}

void check(int result, std::string_view what) {
  if (result <= 0) fail(what);
}

Key make_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("generating an EC P-256 key");
  return key;
}

void set_common_name(X509_NAME* name, std::string_view common_name) {
  const std::string text(common_name);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(text.c_str()), -1, -1, 0),
        "setting the common name");
}

void set_random_serial(X509* cert) {
  std::unique_ptr<BIGNUM, BignumFree> serial(BN_new());
  if (!serial) fail("allocating a serial");
  check(BN_rand(serial.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY),
        "drawing a serial");
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    fail("setting the serial");
  }
}

// `issuer` is null for a self-signed certificate.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context{};
  X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtensionFree> extension(
      X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  if (!extension) fail(std::string("building extension ") + OBJ_nid2sn(nid) + "=" + value);
  check(X509_add_ext(cert, extension.get(), -1), "adding an extension");
}

// A certificate for `key` named `common_name`, not yet signed and without extensions.
Cert make_certificate(EVP_PKEY* key, std::string_view common_name, X509_NAME* issuer_name) {
  Cert cert(X509_new());
  if (!cert) fail("allocating a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3), "setting the version");
  set_random_serial(cert.get());
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), kNotBeforeOffsetSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr) {
    fail("setting the validity");
  }
  set_common_name(X509_get_subject_name(cert.get()), common_name);
  check(X509_set_issuer_name(cert.get(),
                             issuer_name ? issuer_name : X509_get_subject_name(cert.get())),
        "setting the issuer");
  check(X509_set_pubkey(cert.get(), key), "setting the public key");
  return cert;
}

std::string read_all(BIO* bio) {
  std::string text(BIO_ctrl_pending(bio), '\0');
  if (!text.empty())
    check(BIO_read(bio, text.data(), static_cast<int>(text.size())), "reading PEM");
  return text;
}

std::string certificate_pem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("allocating a memory BIO");
  check(PEM_write_bio_X509(bio.get(), cert), "writing a certificate as PEM");
  return read_all(bio.get());
}

std::string private_key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("allocating a memory BIO");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "writing a private key as PEM");
  return read_all(bio.get());
}

}  // namespace

Credentials make_throwaway_credentials() {
  const Key ca_key = make_key();
  const Cert ca = make_certificate(ca_key.get(), "ccsim throwaway CA", nullptr);
  add_extension(ca.get(), nullptr, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), nullptr, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), nullptr, NID_subject_key_identifier, "hash");
  check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()), "signing the CA certificate");

  const Key server_key = make_key();
  const Cert server =
      make_certificate(server_key.get(), "localhost", X509_get_subject_name(ca.get()));
  add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_extension(server.get(), ca.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  add_extension(server.get(), ca.get(), NID_subject_key_identifier, "hash");
  add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(server.get(), ca_key.get(), EVP_sha256()), "signing the server certificate");

  return Credentials{certificate_pem(ca.get()), certificate_pem(server.get()),
                     private_key_pem(server_key.get())};
}

}  // namespace ccsim::net

#include "net/throwaway_ca.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace ccsim::net {
namespace {

struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Cert = std::unique_ptr<X509, CertFree>;

Cert parse_certificate(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// X509_verify_cert's answer for `leaf` against a store holding only `ca`; 1 means verified.
int verify(X509* leaf, X509* ca) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                          &X509_STORE_CTX_free);
  X509_STORE_CTX_init(context.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER);
  return X509_verify_cert(context.get());
}

TEST(ThrowawayCa, ServerCertificateVerifiesAgainstItsCaAndNamesLocalhost) {
  const Credentials credentials = make_throwaway_credentials();
  const Cert ca = parse_certificate(credentials.ca_cert_pem);
  const Cert server = parse_certificate(credentials.server_cert_pem);
  ASSERT_TRUE(ca && server);

  EXPECT_EQ(verify(server.get(), ca.get()), 1);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(server.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_NE(credentials.server_key_pem.find("PRIVATE KEY"), std::string::npos);
}

TEST(ThrowawayCa, EveryCallMakesNewKeysThatDoNotVouchForEachOther) {
  const Credentials first = make_throwaway_credentials();
  const Credentials second = make_throwaway_credentials();
  EXPECT_NE(first.server_key_pem, second.server_key_pem);
  EXPECT_NE(first.ca_cert_pem, second.ca_cert_pem);

  const Cert first_ca = parse_certificate(first.ca_cert_pem);
  const Cert second_server = parse_certificate(second.server_cert_pem);
  ASSERT_TRUE(first_ca && second_server);
  EXPECT_NE(verify(second_server.get(), first_ca.get()), 1);
}

}  // namespace
}  // namespace ccsim::net

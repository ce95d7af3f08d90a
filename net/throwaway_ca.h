// A throwaway certificate authority for the real driver's TLS on loopback: a fresh CA and a
// server certificate for localhost, made in memory for one run and never written to disk, so
// tests and local runs need no certificate files and no two runs share a key.
#pragma once

#include <string>

namespace ccsim::net {

// PEM texts: the CA certificate clients trust, and the server's certificate and private key.
struct Credentials {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
};

// A new EC P-256 CA (self-signed, CA:TRUE, keyCertSign) and a server certificate it signed for
// CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1, valid from an hour ago for a
// day, with random serials. Throws std::runtime_error with OpenSSL's error string on failure.
Credentials make_throwaway_credentials();

}  // namespace ccsim::net

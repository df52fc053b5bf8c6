#pragma once

// A throwaway self-signed P-256 certificate for 127.0.0.1, valid for an hour, installed in
// an SSL_CTX: for unit tests that need a TLS server but no CA (their clients verify
// nothing). Tests that check verification use make-test-certs instead.

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace chat::testing {

// True when `context` holds the new certificate and its key.
inline bool UseSelfSignedCertificate(SSL_CTX* context) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ok = X509_sign(cert, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(context, cert) == 1 &&
         SSL_CTX_use_PrivateKey(context, key) == 1;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace chat::testing

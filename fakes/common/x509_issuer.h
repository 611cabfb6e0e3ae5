// Test PKI helpers shared by the fakes: EC keys, a CA, and certificates it signs (OpenSSL).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace tmsteams::fakes {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

PKey newEcKey();
PKey newEd25519Key();
std::string keyToPem(EVP_PKEY* key);
std::string certToPem(X509* cert);
PKey pemToKey(const std::string& pem);
Cert pemToCert(const std::string& pem);

struct CertSpec {
    std::string commonName;
    std::vector<std::string> organizations;
    std::chrono::seconds validity{std::chrono::hours(24 * 365)};  // negative: already expired
    bool isCa = false;
    bool clientOnly = false;  // extended key usage clientAuth only
    std::string subjectAltNames;  // OpenSSL syntax: "DNS:a,IP:127.0.0.1"
};

// Issues a certificate for `key`; a null issuer makes it self-signed.
Cert issueCertificate(EVP_PKEY* key, const CertSpec& spec, X509* issuer, EVP_PKEY* issuerKey);

// A CA and a server certificate for loopback, kept in `dir` (ca.crt, ca.key, server.crt,
// server.key) and reused when present.
struct LoopbackTls {
    std::string caPem;
    std::string caPath;
    std::string certPath;
    std::string keyPath;
};
bool ensureLoopbackTls(const std::string& dir, const std::string& caName,
                       const std::string& serverSans, LoopbackTls& out, std::string& error);

}  // namespace tmsteams::fakes

// Test PKI helpers shared by the fakes.
#include "x509_issuer.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "common/files.h"

namespace tmsteams::fakes {

namespace {
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string bioString(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
}

void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
}

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}
}  // namespace

PKey newEcKey() { return PKey(EVP_EC_gen("P-256"), EVP_PKEY_free); }

PKey newEd25519Key() {
    return PKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
}

std::string keyToPem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    return bioString(bio.get());
}

std::string certToPem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), cert);
    return bioString(bio.get());
}

PKey pemToKey(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
}

Cert pemToCert(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

Cert issueCertificate(EVP_PKEY* key, const CertSpec& spec, X509* issuer, EVP_PKEY* issuerKey) {
    Cert cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7F;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    long secs = static_cast<long>(spec.validity.count());
    if (secs >= 0) {
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), secs);
    } else {
        // Already expired: valid for one minute that ended |validity| ago.
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), secs - 60);
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), secs);
    }
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.commonName.c_str()), -1,
                               -1, 0);
    for (const auto& o : spec.organizations) {
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
    }
    X509* iss = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(iss));
    if (spec.isCa) {
        addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
        addExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
        addExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        addExt(cert.get(), iss, NID_ext_key_usage,
               spec.clientOnly ? "clientAuth" : "serverAuth,clientAuth");
    }
    addExt(cert.get(), iss, NID_subject_key_identifier, "hash");
    if (issuer) {
        addExt(cert.get(), iss, NID_authority_key_identifier, "keyid:always");
    }
    if (!spec.subjectAltNames.empty()) {
        addExt(cert.get(), iss, NID_subject_alt_name, spec.subjectAltNames);
    }
    X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256());
    return cert;
}

bool ensureLoopbackTls(const std::string& dir, const std::string& caName,
                       const std::string& serverSans, LoopbackTls& out, std::string& error) {
    ::mkdir(dir.c_str(), 0700);
    out.caPath = dir + "/ca.crt";
    out.certPath = dir + "/server.crt";
    out.keyPath = dir + "/server.key";
    const std::string caKeyPath = dir + "/ca.key";
    if (!exists(out.caPath) || !exists(caKeyPath) || !exists(out.certPath) || !exists(out.keyPath)) {
        PKey caKey = newEcKey();
        CertSpec caSpec{caName, {caName}, std::chrono::hours(24 * 3650), true, false, ""};
        Cert ca = issueCertificate(caKey.get(), caSpec, nullptr, nullptr);
        PKey key = newEcKey();
        CertSpec srv{"localhost", {caName}, std::chrono::hours(24 * 3650), false, false, serverSans};
        Cert cert = issueCertificate(key.get(), srv, ca.get(), caKey.get());
        for (auto [path, data, mode] :
             {std::tuple{caKeyPath, keyToPem(caKey.get()), 0600},
              std::tuple{out.caPath, certToPem(ca.get()), 0644},
              std::tuple{out.keyPath, keyToPem(key.get()), 0600},
              std::tuple{out.certPath, certToPem(cert.get()), 0644}}) {
            if (auto s = common::writeFileAtomic(path, data, mode); !s.ok()) {
                error = std::string(s.message());
                return false;
            }
        }
    }
    auto ca = common::readFile(out.caPath);
    if (!ca.ok()) {
        error = std::string(ca.status().message());
        return false;
    }
    out.caPem = *ca;
    return true;
}

}  // namespace tmsteams::fakes

// The fake cluster's PKI, built with OpenSSL.
#include "cluster_pki.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <memory>

#include "common/base64.h"
#include "common/files.h"
#include "x509_issuer.h"

namespace tmsteams::fakeauth {

using namespace tmsteams::fakes;

namespace {

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

// --- OpenSSH wire encoding, enough for an ECDSA user certificate signed by an Ed25519 CA ---

void putU32(std::string& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) {
        b += static_cast<char>((v >> s) & 0xFF);
    }
}
void putU64(std::string& b, uint64_t v) {
    putU32(b, static_cast<uint32_t>(v >> 32));
    putU32(b, static_cast<uint32_t>(v));
}
void putStr(std::string& b, const std::string& s) {
    putU32(b, static_cast<uint32_t>(s.size()));
    b += s;
}

std::string base64(const std::string& in) { return common::base64Encode(in); }

std::string ed25519PublicBlob(EVP_PKEY* key) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(key, raw, &len);
    std::string blob;
    putStr(blob, "ssh-ed25519");
    putStr(blob, std::string(reinterpret_cast<char*>(raw), len));
    return blob;
}

std::string sshUserCertLine(EVP_PKEY* userKey, EVP_PKEY* caKey, const std::string& user,
                            const std::vector<std::string>& principals,
                            std::chrono::seconds validity) {
    unsigned char point[65];
    size_t pointLen = 0;
    EVP_PKEY_get_octet_string_param(userKey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                    sizeof point, &pointLen);
    const std::string type = "ecdsa-sha2-nistp256-cert-v01@openssh.com";
    std::string body;
    putStr(body, type);
    unsigned char nonce[32];
    RAND_bytes(nonce, sizeof nonce);
    putStr(body, std::string(reinterpret_cast<char*>(nonce), sizeof nonce));
    putStr(body, "nistp256");
    putStr(body, std::string(reinterpret_cast<char*>(point), pointLen));
    putU64(body, 1);  // serial
    putU32(body, 1);  // SSH2_CERT_TYPE_USER
    putStr(body, user);
    std::string names;
    for (const auto& p : principals) {
        putStr(names, p);
    }
    putStr(body, names);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    putU64(body, static_cast<uint64_t>(now - 60));
    putU64(body, static_cast<uint64_t>(now + validity.count()));
    putStr(body, "");  // critical options
    std::string ext;
    for (const char* e : {"permit-agent-forwarding", "permit-port-forwarding", "permit-pty"}) {
        putStr(ext, e);
        putStr(ext, "");
    }
    putStr(body, ext);
    putStr(body, "");  // reserved
    putStr(body, ed25519PublicBlob(caKey));
    unsigned char sig[64];
    size_t sigLen = sizeof sig;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, caKey);
    EVP_DigestSign(md.get(), sig, &sigLen, reinterpret_cast<const unsigned char*>(body.data()),
                   body.size());
    std::string sigBlob;
    putStr(sigBlob, "ssh-ed25519");
    putStr(sigBlob, std::string(reinterpret_cast<char*>(sig), sigLen));
    putStr(body, sigBlob);
    return type + " " + base64(body);
}

}  // namespace

absl::StatusOr<ClusterPki> ClusterPki::loadOrCreate(const std::string& stateDir, const std::string& clusterName,
                                                    const std::string& leafCluster) {
    ::mkdir(stateDir.c_str(), 0700);
    ClusterPki pki;
    pki.stateDir_ = stateDir;
    pki.clusterName_ = clusterName;
    const std::string caCrt = stateDir + "/ca.crt", caKey = stateDir + "/ca.key";
    const std::string sshCa = stateDir + "/ssh_ca.key";
    const std::string srvCrt = stateDir + "/server.crt", srvKey = stateDir + "/server.key";

    if (!exists(caCrt) || !exists(caKey)) {
        PKey key = newEcKey();
        CertSpec spec{clusterName, {clusterName}, std::chrono::hours(24 * 3650), true, false, ""};
        Cert ca = issueCertificate(key.get(), spec, nullptr, nullptr);
        if (auto s = common::writeFileAtomic(caKey, keyToPem(key.get()), 0600); !s.ok()) {
            return s;
        }
        if (auto s = common::writeFileAtomic(caCrt, certToPem(ca.get())); !s.ok()) {
            return s;
        }
    }
    if (!exists(sshCa)) {
        PKey key = newEd25519Key();
        if (auto s = common::writeFileAtomic(sshCa, keyToPem(key.get()), 0600); !s.ok()) {
            return s;
        }
    }
    auto caPem = common::readFile(caCrt);
    auto caKeyPem = common::readFile(caKey);
    auto sshKeyPem = common::readFile(sshCa);
    if (!caPem.ok() || !caKeyPem.ok() || !sshKeyPem.ok()) {
        return absl::InternalError("cannot read the fake cluster's CA from " + stateDir);
    }
    pki.caKeyPem_ = *caKeyPem;
    pki.sshCaKeyPem_ = *sshKeyPem;
    pki.server_.caPem = *caPem;

    if (!exists(srvCrt) || !exists(srvKey)) {
        PKey caK = pemToKey(pki.caKeyPem_);
        Cert caC = pemToCert(pki.server_.caPem);
        PKey key = newEcKey();
        CertSpec spec{"teleport.cluster.local", {clusterName}, std::chrono::hours(24 * 3650), false,
                      false, "DNS:teleport.cluster.local,DNS:localhost,IP:127.0.0.1,IP:::1"};
        Cert cert = issueCertificate(key.get(), spec, caC.get(), caK.get());
        if (auto s = common::writeFileAtomic(srvKey, keyToPem(key.get()), 0600); !s.ok()) {
            return s;
        }
        if (auto s = common::writeFileAtomic(srvCrt, certToPem(cert.get())); !s.ok()) {
            return s;
        }
    }
    auto srvCertPem = common::readFile(srvCrt);
    auto srvKeyPem = common::readFile(srvKey);
    if (!srvCertPem.ok() || !srvKeyPem.ok()) {
        return absl::InternalError("cannot read the fake server's certificate from " + stateDir);
    }
    pki.server_.certPem = *srvCertPem;
    pki.server_.keyPem = *srvKeyPem;
    if (!leafCluster.empty()) {
        const std::string leafCrt = stateDir + "/leaf-ca.crt";
        if (!exists(leafCrt)) {
            PKey key = newEcKey();
            CertSpec leaf{leafCluster, {leafCluster}, std::chrono::hours(24 * 3650), true, false, ""};
            Cert ca = issueCertificate(key.get(), leaf, nullptr, nullptr);
            if (auto s = common::writeFileAtomic(leafCrt, certToPem(ca.get())); !s.ok()) {
                return s;
            }
        }
        auto leafPem = common::readFile(leafCrt);
        if (!leafPem.ok()) {
            return leafPem.status();
        }
        pki.leafCaPem_ = *leafPem;
    }
    return pki;
}

absl::Status ClusterPki::ensureUser(const std::string& user, const std::vector<std::string>& roles,
                                    std::chrono::seconds validity, bool reissue) {
    const std::string base = stateDir_ + "/" + user;
    if (!reissue && exists(base) && exists(base + ".crt") && exists(base + ".key") && exists(base + ".cas")) {
        return absl::OkStatus();
    }
    PKey caK = pemToKey(caKeyPem_);
    Cert caC = pemToCert(server_.caPem);
    PKey sshCaK = pemToKey(sshCaKeyPem_);
    if (!caK || !caC || !sshCaK) {
        return absl::InternalError("the fake cluster's CA cannot be loaded");
    }
    PKey key = newEcKey();
    // Teleport puts the user in the subject's CN and the roles in O.
    CertSpec spec{user, roles, validity, false, true, ""};
    Cert cert = issueCertificate(key.get(), spec, caC.get(), caK.get());
    const std::string keyPem = keyToPem(key.get());
    const std::string certPem = certToPem(cert.get());
    const std::string sshCert = sshUserCertLine(key.get(), sshCaK.get(), user, {user}, validity);
    const std::string sshCaLine = "@cert-authority " + clusterName_ + ",*." + clusterName_ + " " +
                                  "ssh-ed25519 " + base64(ed25519PublicBlob(sshCaK.get()).substr(0)) +
                                  " type=host";
    // Same order as `tctl auth sign --format=file`.
    // With a trusted leaf cluster, its CA comes first, as tctl auth sign may list it.
    std::string identity = keyPem + sshCert + "\n" + certPem + sshCaLine + "\n" + leafCaPem_ + server_.caPem;
    for (auto [path, data, mode] :
         {std::tuple{base, identity, 0600}, std::tuple{base + ".key", keyPem, 0600},
          std::tuple{base + ".crt", certPem, 0644}, std::tuple{base + ".cas", server_.caPem, 0644}}) {
        if (auto s = common::writeFileAtomic(path, data, mode); !s.ok()) {
            return s;
        }
    }
    return absl::OkStatus();
}

}  // namespace tmsteams::fakeauth

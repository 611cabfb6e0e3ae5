// Identity files parse as Teleport reads them.
#define BOOST_TEST_MODULE identity_file
#include <boost/test/unit_test.hpp>

#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "teleport/alpn_tunnel.h"
#include "teleport/identity_file.h"

using namespace tmsteams::teleport;

namespace {
std::string pem(const std::string& label, const std::string& body) {
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
}
}  // namespace

BOOST_AUTO_TEST_CASE(parses_tctl_order) {
    std::string file = pem("RSA PRIVATE KEY", "KEY") +
                       "ssh-rsa-cert-v01@openssh.com AAAAB3 user\n" + pem("CERTIFICATE", "CERT") +
                       "@cert-authority example.com,*.example.com ssh-rsa AAAA type=host\n" +
                       pem("CERTIFICATE", "CA1") + pem("CERTIFICATE", "CA2");
    auto c = parseIdentityFile(file);
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->privateKeyPem.find("KEY") != std::string::npos);
    BOOST_TEST(c->certPem.find("CERT") != std::string::npos);
    BOOST_TEST(c->caPems.size() == 2u);
    BOOST_TEST(c->sshCertLine.rfind("ssh-rsa-cert-v01@openssh.com", 0) == 0u);
    BOOST_TEST(c->sshCaLines.size() == 1u);
    BOOST_TEST(c->caBundle().find("CA2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(crlf_and_no_ssh_cert_are_accepted) {
    std::string file = pem("PRIVATE KEY", "K") + pem("CERTIFICATE", "C") + pem("CERTIFICATE", "CA");
    std::string crlf;
    for (char ch : file) {
        if (ch == '\n') {
            crlf += '\r';
        }
        crlf += ch;
    }
    auto c = parseIdentityFile(crlf);
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->sshCertLine.empty());
    BOOST_TEST(c->certPem.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_missing_parts_with_a_reason) {
    auto noCa = parseIdentityFile(pem("PRIVATE KEY", "K") + pem("CERTIFICATE", "C"));
    BOOST_TEST(noCa.status().code() == absl::StatusCode::kInvalidArgument);
    BOOST_TEST(std::string(noCa.status().message()).find("CA") != std::string::npos);
    auto keyLast = parseIdentityFile(pem("CERTIFICATE", "C") + pem("PRIVATE KEY", "K"));
    BOOST_TEST(std::string(keyLast.status().message()).find("private key") != std::string::npos);
    auto truncated = parseIdentityFile("-----BEGIN PRIVATE KEY-----\nabc\n");
    BOOST_TEST(!truncated.ok());
}

BOOST_AUTO_TEST_CASE(missing_file_names_the_path) {
    auto c = loadIdentityFile("/nonexistent/identity");
    BOOST_TEST(c.status().code() == absl::StatusCode::kNotFound);
    BOOST_TEST(std::string(c.status().message()).find("/nonexistent/identity") != std::string::npos);
}

namespace {

// A key of `type` ("RSA", "EC", "ED25519") as Teleport writes it: RSA as PKCS#1, the others PKCS#8.
std::string keyPem(EVP_PKEY* key, bool pkcs1) {
    OSSL_ENCODER_CTX* ctx = OSSL_ENCODER_CTX_new_for_pkey(key, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                                          pkcs1 ? "type-specific" : "PrivateKeyInfo", nullptr);
    unsigned char* data = nullptr;
    size_t len = 0;
    BOOST_REQUIRE(ctx && OSSL_ENCODER_to_data(ctx, &data, &len) == 1);
    std::string out(reinterpret_cast<char*>(data), len);
    OPENSSL_free(data);
    OSSL_ENCODER_CTX_free(ctx);
    return out;
}

// A certificate for `key` issued (self-signed here) by a CA named like a Teleport cluster CA.
std::string certPem(EVP_PKEY* key, const std::string& cluster) {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cluster.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cluster.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    BOOST_REQUIRE(X509_sign(x, key, EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256()) > 0);
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    std::string out(p, static_cast<size_t>(n));
    BIO_free(b);
    X509_free(x);
    return out;
}

std::string indentedCrlf(const std::string& text) {
    std::string out = "  ";
    for (char ch : text) {
        if (ch == '\n') {
            out += "  \r\n\t";
            continue;
        }
        out += ch;
    }
    return out;
}

}  // namespace

// Every key type Teleport issues, in a file indented and with CRLF line ends: the key and the
// certificate come back usable, and the cluster is the one that issued the certificate even with
// another cluster's CA listed first.
BOOST_AUTO_TEST_CASE(every_key_type_teleport_issues_in_an_indented_crlf_file) {
    for (const char* type : {"RSA", "EC", "ED25519"}) {
        EVP_PKEY* key = std::string(type) == "RSA" ? EVP_RSA_gen(2048)
                        : std::string(type) == "EC" ? EVP_EC_gen("P-256")
                                                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
        BOOST_REQUIRE(key);
        const std::string k = keyPem(key, std::string(type) == "RSA");
        BOOST_TEST(k.find(std::string(type) == "RSA" ? "BEGIN RSA PRIVATE KEY" : "BEGIN PRIVATE KEY") != std::string::npos);
        const std::string cert = certPem(key, "root.example.com");
        const std::string file = indentedCrlf(k + "ssh-ed25519-cert-v01@openssh.com AAAA user\n" + cert +
                                              pem("CERTIFICATE", "LEAFCA") + cert);
        auto c = parseIdentityFile(file);
        BOOST_REQUIRE_MESSAGE(c.ok(), type << ": " << c.status().message());
        BOOST_TEST(c->sshCertLine == "ssh-ed25519-cert-v01@openssh.com AAAA user");
        BIO* kb = BIO_new_mem_buf(c->privateKeyPem.data(), static_cast<int>(c->privateKeyPem.size()));
        EVP_PKEY* back = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
        BIO* cb = BIO_new_mem_buf(c->certPem.data(), static_cast<int>(c->certPem.size()));
        X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
        BOOST_TEST((back && x && X509_check_private_key(x, back) == 1), type);
        auto cluster = clusterNameFromCredentials(*c);
        BOOST_REQUIRE(cluster.ok());
        BOOST_TEST(*cluster == "root.example.com");
        X509_free(x);
        EVP_PKEY_free(back);
        BIO_free(kb);
        BIO_free(cb);
        EVP_PKEY_free(key);
    }
}

// Identity files parse as Teleport reads them.
#define BOOST_TEST_MODULE identity_file
#include <boost/test/unit_test.hpp>

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

// Teleport credentials: identity files and --format=tls files.
#include "teleport/identity_file.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <sstream>

#include "common/files.h"

namespace tmsteams::teleport {

namespace {

bool startsWith(const std::string& s, std::string_view p) {
    return s.compare(0, p.size(), p) == 0;
}

bool isSshCertType(const std::string& word) {
    return word.size() > 17 && word.find("-cert-v01@openssh.com") != std::string::npos;
}

bool isPrivateKeyLabel(const std::string& label) {
    return label == "RSA PRIVATE KEY" || label == "PRIVATE KEY" || label == "EC PRIVATE KEY";
}

}  // namespace

std::string TlsCredentials::caBundle() const {
    std::string out;
    for (const auto& ca : caPems) {
        out += ca;
        if (!out.empty() && out.back() != '\n') {
            out += '\n';
        }
    }
    return out;
}

absl::StatusOr<TlsCredentials> parseIdentityFile(const std::string& contents) {
    TlsCredentials creds;
    std::istringstream in(contents);
    std::string line;
    std::vector<std::pair<std::string, std::string>> pems;  // label, block
    std::string current;
    std::string label;
    bool inPem = false;
    while (std::getline(in, line)) {
        // As Teleport's reader: every line trimmed of surrounding white space (CRLF files,
        // indented files and trailing blanks all work).
        const auto first = line.find_first_not_of(" \t\r\v\f");
        line = first == std::string::npos ? "" : line.substr(first, line.find_last_not_of(" \t\r\v\f") - first + 1);
        if (inPem) {
            current += line + "\n";
            if (startsWith(line, "-----END ")) {
                pems.emplace_back(label, current);
                inPem = false;
            }
            continue;
        }
        if (startsWith(line, "-----BEGIN ")) {
            inPem = true;
            current = line + "\n";
            label = line.substr(11);
            auto dash = label.find("-----");
            label = label.substr(0, dash);
            continue;
        }
        if (startsWith(line, "@cert-authority")) {
            creds.sshCaLines.push_back(line);
            continue;
        }
        auto space = line.find(' ');
        if (space != std::string::npos && isSshCertType(line.substr(0, space))) {
            creds.sshCertLine = line;
        }
    }
    if (inPem) {
        return absl::InvalidArgumentError("identity file has an unterminated PEM block");
    }
    if (pems.size() < 2) {
        return absl::InvalidArgumentError(
            "identity file must hold a private key and a TLS certificate (found " +
            std::to_string(pems.size()) + " PEM blocks)");
    }
    if (!isPrivateKeyLabel(pems[0].first)) {
        return absl::InvalidArgumentError("identity file: first PEM block is \"" + pems[0].first +
                                          "\", expected a private key");
    }
    if (pems[1].first != "CERTIFICATE") {
        return absl::InvalidArgumentError("identity file: second PEM block is \"" +
                                          pems[1].first + "\", expected the TLS certificate");
    }
    creds.privateKeyPem = pems[0].second;
    creds.certPem = pems[1].second;
    for (size_t i = 2; i < pems.size(); ++i) {
        if (pems[i].first == "CERTIFICATE") {
            creds.caPems.push_back(pems[i].second);
        }
    }
    if (creds.caPems.empty()) {
        return absl::InvalidArgumentError(
            "identity file has no TLS CA certificate to verify the Auth Service with");
    }
    return creds;
}

absl::StatusOr<TlsCredentials> loadIdentityFile(const std::string& path) {
    auto contents = common::readFile(path);
    if (!contents.ok()) {
        return contents.status();
    }
    auto creds = parseIdentityFile(*contents);
    if (!creds.ok()) {
        return absl::Status(creds.status().code(), path + ": " + std::string(creds.status().message()));
    }
    return creds;
}

absl::StatusOr<TlsCredentials> loadTlsFiles(const std::string& certPath,
                                            const std::string& keyPath,
                                            const std::string& casPath) {
    TlsCredentials creds;
    auto cert = common::readFile(certPath);
    if (!cert.ok()) {
        return cert.status();
    }
    auto key = common::readFile(keyPath);
    if (!key.ok()) {
        return key.status();
    }
    auto cas = common::readFile(casPath);
    if (!cas.ok()) {
        return cas.status();
    }
    if (cert->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return absl::InvalidArgumentError(certPath + ": no PEM certificate");
    }
    if (key->find("PRIVATE KEY-----") == std::string::npos) {
        return absl::InvalidArgumentError(keyPath + ": no PEM private key");
    }
    if (cas->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return absl::InvalidArgumentError(casPath + ": no PEM CA certificate");
    }
    creds.certPem = *cert;
    creds.privateKeyPem = *key;
    creds.caPems.push_back(*cas);
    return creds;
}

absl::StatusOr<CertificateInfo> inspectCertificate(const std::string& certPem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) {
        return absl::InvalidArgumentError("cannot parse the TLS certificate");
    }
    CertificateInfo info;
    X509_NAME* subject = X509_get_subject_name(cert.get());
    char cn[256] = {0};
    if (X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn) > 0) {
        info.commonName = cn;
    }
    auto toTime = [](const ASN1_TIME* t) {
        struct tm tm {};
        ASN1_TIME_to_tm(t, &tm);
        return std::chrono::system_clock::from_time_t(timegm(&tm));
    };
    info.notBefore = toTime(X509_get0_notBefore(cert.get()));
    info.notAfter = toTime(X509_get0_notAfter(cert.get()));
    return info;
}

}  // namespace tmsteams::teleport

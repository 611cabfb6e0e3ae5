// Teleport credentials: identity files (tctl auth sign --format=file) and --format=tls files.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace tmsteams::teleport {

// TLS material for mTLS to the Auth Service. Holds a private key: never log it.
struct TlsCredentials {
    std::string privateKeyPem;
    std::string certPem;
    std::vector<std::string> caPems;      // CAs that sign the Auth server certificate
    std::string sshCertLine;              // empty for --format=tls credentials
    std::vector<std::string> sshCaLines;  // "@cert-authority ..." lines

    std::string caBundle() const;
};

// Parses an identity file as Teleport does: the first PEM block is the key, the second the
// TLS certificate, the rest are CAs; a line whose first word is an SSH certificate type is
// the SSH certificate and "@cert-authority" lines are SSH CAs. Anything else is ignored.
// Unlike Teleport we do not require the SSH certificate, which only SSH access uses.
absl::StatusOr<TlsCredentials> parseIdentityFile(const std::string& contents);

// Loads an identity file from disk; errors name the path.
absl::StatusOr<TlsCredentials> loadIdentityFile(const std::string& path);

// Loads the three --format=tls files; errors name the offending path.
absl::StatusOr<TlsCredentials> loadTlsFiles(const std::string& certPath,
                                            const std::string& keyPath,
                                            const std::string& casPath);

// Certificate facts used to refuse expired credentials and to name the caller.
struct CertificateInfo {
    std::string commonName;
    std::chrono::system_clock::time_point notBefore;
    std::chrono::system_clock::time_point notAfter;
};

// Reads the first certificate of a PEM string.
absl::StatusOr<CertificateInfo> inspectCertificate(const std::string& certPem);

}  // namespace tmsteams::teleport

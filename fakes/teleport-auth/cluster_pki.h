// The fake cluster's PKI: a TLS CA, the Auth server certificate, per-user client certificates
// written as Teleport identity files and --format=tls files, and an SSH user CA.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace tmsteams::fakeauth {

struct ServerTls {
    std::string certPem;
    std::string keyPem;
    std::string caPem;
};

// Creates missing material under `stateDir` and loads what exists, so a restarted fake keeps
// its CA and its clients keep working.
class ClusterPki {
public:
    // `leafCluster`: also a CA for that trusted leaf cluster, listed first in identity files.
    static absl::StatusOr<ClusterPki> loadOrCreate(const std::string& stateDir,
                                                   const std::string& clusterName,
                                                   const std::string& leafCluster = "");

    const ServerTls& server() const { return server_; }

    // Writes DIR/NAME (identity file), NAME.crt, NAME.key, NAME.cas for `user` unless they
    // already exist. `validity` may be negative to mint an already expired certificate.
    absl::Status ensureUser(const std::string& user, const std::vector<std::string>& roles,
                            std::chrono::seconds validity, bool reissue = false);

private:
    std::string stateDir_;
    std::string clusterName_;
    std::string caKeyPem_;
    std::string sshCaKeyPem_;
    std::string leafCaPem_;
    ServerTls server_;
};

}  // namespace tmsteams::fakeauth

// A stand-in for a Teleport Proxy's TLS-routing listener: it reads each connection's TLS
// ClientHello, and when an ALPN protocol is "teleport-auth@<hex(cluster)>.teleport.cluster.local"
// for this cluster, pipes the connection, unchanged, to the Auth Service. Anything else is closed,
// as the real Proxy would not hand it to Auth.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>

namespace tmsteams::fakeauth {

struct ClientHelloInfo {
    std::string serverName;
    std::vector<std::string> alpn;
};

// Parses the first TLS record of a connection; nullopt until it holds a whole ClientHello.
std::optional<ClientHelloInfo> parseClientHello(const std::string& bytes, bool& malformed);

class AlpnProxy {
public:
    // Listens on `listen` and forwards routed connections to `authAddr`.
    static absl::StatusOr<std::unique_ptr<AlpnProxy>> start(const std::string& listen, std::string authAddr,
                                                            std::string clusterName);
    ~AlpnProxy();
    const std::string& address() const { return address_; }
    void setAuthAddress(const std::string& addr);

private:
    void acceptLoop();
    void serve(int client);

    int listenFd_ = -1;
    std::string address_;
    std::string authAddr_;
    std::string clusterName_;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
};

}  // namespace tmsteams::fakeauth

// A stand-in for a Teleport Proxy in TLS-routing (multiplex) mode, as strict as the real one on the
// points our client depends on:
//   - a connection whose first ALPN protocol is "teleport-auth@<hex(cluster)>.teleport.cluster.local"
//     is piped, unchanged, to the Auth Service; another cluster's is closed without a word (the
//     real Proxy only logs it); the Proxy reads only the first protocol;
//   - anything else is TLS the Proxy terminates with its web certificate (a public CA's): it
//     serves GET /webapi/find and /webapi/ping, and the ALPN connection upgrade
//     (GET /webapi/connectionupgrade, WebSocket, subprotocols "alpn" and "alpn-ping") whose
//     tunnelled bytes are routed the same way; "teleport-reversetunnel" is negotiated and closed;
//   - behind an L7 load balancer (`behindLoadBalancer`), every connection is terminated with the
//     balancer's certificate and no ALPN is negotiated, so only upgraded connections reach Auth.
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

struct ProxySettings {
    std::string listen;
    std::string authAddr;
    std::string clusterName;
    std::string serverVersion;
    std::string webCertPath;  // the Proxy's (or the balancer's) own certificate and key
    std::string webKeyPath;
    bool behindLoadBalancer = false;
    bool tlsRouting = true;  // what /webapi/find reports
};

class AlpnProxy {
public:
    static absl::StatusOr<std::unique_ptr<AlpnProxy>> start(ProxySettings settings);
    ~AlpnProxy();
    const std::string& address() const { return address_; }

private:
    void acceptLoop();
    void serve(int client);

    int listenFd_ = -1;
    std::string address_;
    ProxySettings settings_;
    void* webCtx_ = nullptr;  // SSL_CTX*
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
};

}  // namespace tmsteams::fakeauth

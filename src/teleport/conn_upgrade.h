// Teleport's ALPN connection upgrade, for a Proxy behind a load balancer that terminates TLS (AWS
// ALB, most Kubernetes ingresses) and so cannot route by ALPN: the client opens an ordinary HTTPS
// connection, upgrades it with GET /webapi/connectionupgrade to a WebSocket (subprotocol
// "alpn-ping"), and runs the TLS-routed connection inside binary frames. Facts from Teleport's
// api/client/alpn_conn_upgrade.go and lib/web/conn_upgrade.go.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <openssl/bio.h>

#include "teleport/web_tls.h"

namespace tmsteams::teleport {

// TELEPORT_TLS_ROUTING_CONN_UPGRADE as Teleport reads it: "true", or "addr=true;other=false"
// (',' or ';' between), an entry for `addr` winning over a bare value. nullopt: not decided.
std::optional<bool> connUpgradeFromEnv(const std::string& value, const std::string& addr);

// Whether connections to `addr` must be upgraded: the environment decides when set; otherwise
// a test TLS dial offering "teleport-reversetunnel" tells, as in Teleport's client: no ALPN
// negotiated (or a "no application protocol" alert) means something in between terminates TLS.
bool connUpgradeRequired(const std::string& addr, std::chrono::milliseconds timeout);

// A byte stream towards the Auth router: the socket itself, or WebSocket frames in an upgraded
// HTTPS connection. Used by one thread at a time.
class Transport {
public:
    static constexpr int WouldBlock = -2;
    virtual ~Transport() = default;
    // >0 bytes, 0 closed, WouldBlock (nothing for the caller yet: wait on fd()), other <0 error.
    virtual int read(char* buf, int len) = 0;
    virtual bool write(const char* data, size_t len) = 0;
    virtual bool hasBuffered() const = 0;      // readable without waiting for the socket
    virtual int fd() const = 0;                // poll this for more
};

std::unique_ptr<Transport> rawTransport(Socket socket);

// Dials `addr`, upgrades the connection and returns the tunnel.
absl::StatusOr<std::unique_ptr<Transport>> openUpgradedTransport(const std::string& addr,
                                                                 std::chrono::milliseconds timeout);

// A BIO reading and writing through `transport` (not owned), for the TLS session with Auth.
BIO* transportBio(Transport* transport);

}  // namespace tmsteams::teleport

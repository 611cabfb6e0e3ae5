// Choosing how to reach the Auth Service.
#include "teleport/auth_route.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "teleport/alpn_tunnel.h"
#include "teleport/grpc_channel.h"
#include "teleport/conn_upgrade.h"
#include "teleport/proxy_find.h"
#include "teleport/web_tls.h"

namespace tmsteams::teleport {

namespace {

// Whether the server at `addr` shows a certificate the cluster's CAs sign for teleport.cluster.local:
// then it is the Auth Service itself.
bool signedByCluster(const std::string& addr, const TlsCredentials& creds, std::chrono::milliseconds timeout) {
    auto sock = dialTcp(addr, timeout);
    if (!sock.ok()) {
        return false;
    }
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    trustCertificates(ctx.get(), creds.caBundle());
    SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), sock->get());
    SSL_set_tlsext_host_name(ssl.get(), AuthServerName);
    SSL_set1_host(ssl.get(), AuthServerName);
    SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);  // judged below, whatever the handshake says
    (void)SSL_connect(ssl.get());
    ERR_clear_error();
    X509* peer = SSL_get1_peer_certificate(ssl.get());
    const bool signed_ = peer && SSL_get_verify_result(ssl.get()) == X509_V_OK;
    X509_free(peer);
    return signed_;
}

std::string portOf(const std::string& addr) {
    auto colon = addr.rfind(':');
    return colon == std::string::npos ? "" : addr.substr(colon + 1);
}
}  // namespace

std::string AuthRoute::describe() const {
    switch (kind) {
        case Kind::Direct:
            return "direct to the Auth Service";
        case Kind::Proxy:
            return "through the proxy with TLS routing, cluster " + cluster;
        case Kind::ProxyUpgraded:
            return "through the proxy with TLS routing over an upgraded connection (a load balancer terminates "
                   "TLS), cluster " + cluster;
    }
    return "";
}

absl::StatusOr<AuthRoute> planAuthRoute(const std::string& addr, const TlsCredentials& creds,
                                        std::optional<bool> tlsRouting, std::chrono::milliseconds timeout) {
    const std::string port = portOf(addr);
    if (port == "3023" || port == "3024") {
        return absl::InvalidArgumentError(
            "[teleport] addr " + addr + " is the Proxy's SSH port (3023/3024), which this plugin does not use: set "
            "addr to the Proxy's web address (host:443 or host:3080) or to the Auth Service (host:3025)");
    }
    AuthRoute route;
    if (tlsRouting == false || (!tlsRouting && port == "3025")) {
        return route;
    }
    auto facts = findProxy(addr, timeout);
    if (!facts.ok()) {
        const std::string why(facts.status().message());
        const bool untrusted = why.find("not trusted") != std::string::npos;
        const bool notAProxy = facts.status().code() == absl::StatusCode::kNotFound;
        // Only a server that answered, and is not a Proxy, may be Auth: an outage or a timeout
        // is reported (and retried), never taken for a direct route.
        if (tlsRouting == true || (!untrusted && !notAProxy)) {
            return absl::Status(facts.status().code(),
                                "asking " + addr + " for its proxy settings (GET /webapi/find): " + why);
        }
        // A certificate the system does not trust: Auth on another port if the cluster signed
        // it, else a Proxy whose certificate needs trusting.
        if (untrusted && !signedByCluster(addr, creds, timeout)) {
            // Not retried: waiting does not change who signed a certificate.
            return absl::FailedPreconditionError(
                "the server at " + addr + " is not trusted: its certificate is not signed by the CAs in the "
                "credentials (as the Auth Service would be) nor by the system's trust store (as a Proxy's would be; "
                "for a private CA set SSL_CERT_FILE): wrong cluster, wrong address, or a man in the middle");
        }
        return route;
    }
    if (!facts->tlsRouting) {
        return absl::FailedPreconditionError(
            "the proxy at " + addr + " does not have TLS routing on (its /webapi/find says so), so it cannot carry "
            "the connection to Auth: set [teleport] addr to the Auth Service (host:3025), or turn on TLS routing "
            "(proxy_listener_mode: multiplex)");
    }
    auto cluster = clusterNameFromCredentials(creds);
    if (!cluster.ok()) {
        return cluster.status();
    }
    route.cluster = *cluster;
    route.proxyCluster = facts->clusterName.substr(0, 128);  // from an unauthenticated answer
    route.kind = connUpgradeRequired(addr, timeout) ? AuthRoute::Kind::ProxyUpgraded : AuthRoute::Kind::Proxy;
    return route;
}

}  // namespace tmsteams::teleport

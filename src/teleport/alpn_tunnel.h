// Reaching the Auth Service through a Teleport Proxy with TLS routing: a TLS session with Auth,
// carried by the Proxy, offering ALPN "teleport-auth@<hex(cluster)>.teleport.cluster.local" first
// (the Proxy routes by the first protocol) then "h2", with SNI teleport.cluster.local and the
// identity's client certificate. The Proxy forwards it unchanged, so this mTLS session ends at
// Auth. The session runs over the socket, or inside an upgraded connection (conn_upgrade.h) when a
// load balancer in front of the Proxy terminates TLS. grpc++ cannot set that ALPN, so OpenSSL does
// the TLS here and grpc++ gets a plain HTTP/2 byte stream over a socketpair.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <grpcpp/channel.h>

#include "teleport/identity_file.h"

namespace tmsteams::teleport {

// The ALPN protocol that routes to the Auth Service of `clusterName`.
std::string authAlpnProtocol(const std::string& clusterName);

// The cluster that issued the identity's own certificate (its issuer's organization, as
// Teleport's tlsca reads it; the issuer's common name when there is none). Not the first CA in
// the file: tctl auth sign lists trusted leaf clusters' CAs too, in any order.
absl::StatusOr<std::string> clusterNameFromCredentials(const TlsCredentials& creds);

// Dials `proxyAddr` (host:port), upgraded or not, completes the TLS handshake with Auth within
// `timeout` and returns a channel on it. The channel cannot reconnect: when its connection ends,
// make a new one.
absl::StatusOr<std::shared_ptr<grpc::Channel>> dialAuthThroughProxy(const std::string& proxyAddr,
                                                                    const TlsCredentials& creds,
                                                                    const std::string& clusterName, bool upgrade,
                                                                    std::chrono::milliseconds timeout);

}  // namespace tmsteams::teleport

// Reaching the Auth Service through a Teleport Proxy with TLS routing: one TLS connection to the
// Proxy offering ALPN "teleport-auth@<hex(cluster)>.teleport.cluster.local" then "h2", with SNI
// teleport.cluster.local and the identity's client certificate. The Proxy forwards the stream
// to Auth unchanged, so this mTLS session ends at Auth. grpc++ cannot set that ALPN, so OpenSSL
// does the TLS here and grpc++ gets a plain HTTP/2 byte stream over a socketpair.
#pragma once

#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <grpcpp/channel.h>

#include "teleport/identity_file.h"

namespace tmsteams::teleport {

// The ALPN protocol that routes to the Auth Service of `clusterName`.
std::string authAlpnProtocol(const std::string& clusterName);

// The cluster name as the cluster's CA certificate carries it (its subject CN).
absl::StatusOr<std::string> clusterNameFromCredentials(const TlsCredentials& creds);

// Dials `proxyAddr` (host:port), completes the TLS handshake and returns a channel on it. The
// channel cannot reconnect: when its connection ends, make a new one.
absl::StatusOr<std::shared_ptr<grpc::Channel>> dialAuthThroughProxy(const std::string& proxyAddr,
                                                                    const TlsCredentials& creds,
                                                                    const std::string& clusterName);

// Whether `addr` names a Proxy (web port 443 or 3080) rather than Auth (3025).
bool looksLikeProxyAddress(const std::string& addr);

}  // namespace tmsteams::teleport

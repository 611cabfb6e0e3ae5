// How to reach the Auth Service from `[teleport] addr`, decided the way Teleport's client decides
// it, and the same for `start` and `validate`:
//   - the Proxy's SSH tunnel ports (3023, 3024) are refused with the fix (we do not speak SSH);
//   - port 3025, or tls_routing = false: Auth directly;
//   - otherwise the Proxy is asked (GET /webapi/find) whether TLS routing is on; when it is, Auth
//     is reached through it, upgraded when a TLS-terminating load balancer is in between
//     (conn_upgrade.h), for the cluster that issued the identity's certificate;
//   - an address that is not a Proxy (nothing answers /webapi/find) is dialled as Auth, unless
//     tls_routing = true.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <absl/status/statusor.h>

#include "teleport/identity_file.h"

namespace tmsteams::teleport {

struct AuthRoute {
    enum class Kind { Direct, Proxy, ProxyUpgraded };
    Kind kind = Kind::Direct;
    std::string cluster;       // for the Proxy kinds: the cluster whose Auth we ask for
    std::string proxyCluster;  // what the Proxy said it serves (may differ: a leaf's Auth via its root)
    std::string describe() const;
};

absl::StatusOr<AuthRoute> planAuthRoute(const std::string& addr, const TlsCredentials& creds,
                                        std::optional<bool> tlsRouting, std::chrono::milliseconds timeout);

}  // namespace tmsteams::teleport

// What a Teleport Proxy says about itself at GET /webapi/find (unauthenticated), which Teleport's
// client reads before choosing how to reach Auth: whether TLS routing is on
// (proxy.tls_routing_enabled) and which cluster the Proxy serves (cluster_name).
#pragma once

#include <chrono>
#include <string>

#include <absl/status/statusor.h>

namespace tmsteams::teleport {

struct ProxyFacts {
    bool tlsRouting = false;
    std::string clusterName;
    std::string serverVersion;
};

// Asks the Proxy at `addr` (host:port). NotFound when something answers HTTPS there but is not
// a Teleport Proxy (404, or not its JSON); Unavailable when nothing usable answers in time (5xx
// included: a Proxy restarting).
absl::StatusOr<ProxyFacts> findProxy(const std::string& addr, std::chrono::milliseconds timeout);

// Parses a /webapi/find body.
absl::StatusOr<ProxyFacts> parseFindResponse(const std::string& body);

}  // namespace tmsteams::teleport

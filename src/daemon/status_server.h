// The optional [http] endpoint: /healthz (alive), /readyz (watching Teleport, tokens
// obtainable, credentials valid) and /metrics (Prometheus text format), served with Poco Net.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace tmsteams::daemon {

class GuardedHttpServer;

class StatusServer {
public:
    // What keeps the daemon from being ready; empty when ready.
    using ReadinessProblems = std::function<std::vector<std::string>()>;

    static absl::StatusOr<std::unique_ptr<StatusServer>> start(const std::string& listen, ReadinessProblems check);
    ~StatusServer();

    // The bound address, e.g. "127.0.0.1:8081" (useful with port 0).
    const std::string& address() const { return address_; }

private:
    StatusServer() = default;
    std::unique_ptr<GuardedHttpServer> server_;
    std::string address_;
};

}  // namespace tmsteams::daemon

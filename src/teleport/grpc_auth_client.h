// AuthClient over grpc++ with mTLS to the Auth Service.
#pragma once

#include <absl/base/thread_annotations.h>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>

#include "authservice.grpc.pb.h"
#include "users_service.grpc.pb.h"
#include "teleport/auth_client.h"
#include "teleport/identity_file.h"

namespace tmsteams::teleport {

class GrpcAuthClient final : public AuthClient {
public:
    // Calls made to Auth, by what for (a list counts each page): read by /metrics, and how a
    // test sees that a reconnect costs a constant number of calls.
    struct CallCounts {
        std::atomic<uint64_t> ping{0}, watch{0}, getPluginData{0}, listPluginData{0}, updatePluginData{0},
            listAccessRequests{0}, getAccessRequest{0}, listUsers{0}, getUser{0}, submitReview{0}, listRules{0},
            listResources{0}, getRole{0};
    };
    const CallCounts& calls() const { return calls_; }

    // How Auth is reached follows from `addr` (auth_route.h); `tlsRouting` is [teleport] tls_routing.
    // Connecting happens here and again whenever a connection is lost; a failed dial's error is
    // what every call returns until a dial succeeds.
    GrpcAuthClient(const std::string& addr, const TlsCredentials& creds, std::string pluginName,
                   std::optional<bool> tlsRouting = std::nullopt);

    // New address or certificate (a renewed identity): later calls use a new connection;
    // calls in flight finish on the old one.
    void reconnect(const std::string& addr, const TlsCredentials& creds);

    // AuthClient
    absl::StatusOr<proto::PingResponse> ping() override;
    std::unique_ptr<WatchStream> watchAccessRequests(bool withRules) override;
    absl::StatusOr<std::optional<PluginDataMap>> getPluginData(const std::string& requestId) override;
    absl::StatusOr<std::map<std::string, PluginDataMap>> listPluginData() override;
    absl::Status updatePluginData(const std::string& requestId, const PluginDataMap& set,
                                  const PluginDataMap& expect) override;
    absl::StatusOr<std::vector<types::AccessRequestV3>> listAccessRequests() override;
    absl::StatusOr<std::optional<types::AccessRequestV3>> getAccessRequest(const std::string& id) override;
    absl::StatusOr<std::vector<std::string>> usersWithTrait(const std::string& trait,
                                                            const std::string& value) override;
    absl::StatusOr<std::optional<UserTraits>> getUser(const std::string& name) override;
    absl::StatusOr<types::AccessRequestV3> submitReview(const types::AccessReviewSubmission& submission) override;
    absl::StatusOr<std::vector<AccessMonitoringRule>> listAccessMonitoringRules() override;
    absl::StatusOr<std::vector<proto::PaginatedResource>> listResourcesByName(
        const std::string& type, const std::vector<std::string>& names) override;
    absl::StatusOr<std::optional<types::RoleV6>> getRole(const std::string& name) override;

private:
    // The outcome of reaching Auth once (network work, done without holding mu_).
    struct Dialed {
        absl::Status error;
        std::shared_ptr<grpc::Channel> channel;
        bool direct = true;
        std::string route, proxyCluster;
    };
    absl::StatusOr<std::shared_ptr<::teleport::users::v1::UsersService::Stub>> usersStub() const;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel() const;
    absl::StatusOr<std::shared_ptr<proto::AuthService::Stub>> stub() const;
    Dialed dial(const std::string& addr, const TlsCredentials& creds, std::optional<bool> tlsRouting) const;
    void install(Dialed d, uint64_t generation) const;  // takes mu_
    bool usableLocked() const;                         // with mu_ held

    const std::optional<bool> tlsRouting_;
    mutable std::atomic<bool> dialing_{false};  // one dial at a time
    mutable std::shared_mutex mu_;  // guards all below; never held across network calls
    mutable std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);
    mutable std::shared_ptr<proto::AuthService::Stub> stub_ ABSL_GUARDED_BY(mu_);
    mutable absl::Status dialError_ ABSL_GUARDED_BY(mu_);
    mutable std::chrono::steady_clock::time_point lastDial_ ABSL_GUARDED_BY(mu_);
    mutable bool direct_ ABSL_GUARDED_BY(mu_) = true;
    mutable std::string routeText_ ABSL_GUARDED_BY(mu_);
    std::string addr_ ABSL_GUARDED_BY(mu_);
    TlsCredentials creds_ ABSL_GUARDED_BY(mu_);
    uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by reconnect()
    const std::string plugin_;
    mutable CallCounts calls_;
};

// grpc::Status to absl::Status, with context; FAILED_PRECONDITION (Teleport's CompareFailed)
// becomes kAborted so callers re-read and retry.
absl::Status fromGrpc(const grpc::Status& s, const std::string& what);

}  // namespace tmsteams::teleport

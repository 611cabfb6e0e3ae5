// The fake's gRPC services: Teleport's AuthService (subset) and the test-only FakeControl.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "access_monitoring_rules_service.grpc.pb.h"
#include "authservice.grpc.pb.h"
#include "cluster_catalog.h"
#include "rule_store.h"
#include "fake_control.grpc.pb.h"
#include "rbac.h"
#include "user_directory.h"
#include "users_service.grpc.pb.h"
#include "request_store.h"
#include "watch_hub.h"

namespace tmsteams::fakeauth {

struct ClusterInfo {
    std::string name;
    std::string serverVersion;
    std::string proxyPublicAddr;
    bool advancedWorkflows = true;
    // Reviews on behalf of users (Teleport's draft RFD 250: AccessReview.SubmittedBy = 11 and
    // review_requests.submit_for_users). Without it, as in every published Teleport, field 11 is
    // dropped and a review whose Author is not the caller is refused.
    bool submitForUsers = true;
};

// Shared by both services: knobs the control RPCs turn.
struct FaultState {
    std::atomic<uint32_t> delayMs{0};
    std::atomic<uint64_t> streamsOpened{0};
    std::atomic<uint64_t> updateCalls{0};
};

class FakeAuthService final : public proto::AuthService::Service {
public:
    FakeAuthService(ClusterInfo cluster, RequestStore& store, WatchHub& hub, const Rbac& rbac,
                    FaultState& faults, const UserDirectory& people, const ClusterCatalog& catalog);

    // proto::AuthService::Service
    grpc::Status Ping(grpc::ServerContext* ctx, const proto::PingRequest* req,
                      proto::PingResponse* resp) override;
    grpc::Status WatchEvents(grpc::ServerContext* ctx, const proto::Watch* req,
                             grpc::ServerWriter<proto::Event>* writer) override;
    grpc::Status GetPluginData(grpc::ServerContext* ctx, const types::PluginDataFilter* req,
                               proto::PluginDataSeq* resp) override;
    grpc::Status UpdatePluginData(grpc::ServerContext* ctx,
                                  const types::PluginDataUpdateParams* req,
                                  google::protobuf::Empty* resp) override;
    grpc::Status GetAccessRequestsV2(grpc::ServerContext* ctx,
                                     const types::AccessRequestFilter* req,
                                     grpc::ServerWriter<types::AccessRequestV3>* writer) override;
    grpc::Status ListAccessRequests(grpc::ServerContext* ctx,
                                    const proto::ListAccessRequestsRequest* req,
                                    proto::ListAccessRequestsResponse* resp) override;
    grpc::Status CreateAccessRequestV2(grpc::ServerContext* ctx, const types::AccessRequestV3* req,
                                       types::AccessRequestV3* resp) override;
    grpc::Status SetAccessRequestState(grpc::ServerContext* ctx,
                                       const proto::RequestStateSetter* req,
                                       google::protobuf::Empty* resp) override;
    grpc::Status SubmitAccessReview(grpc::ServerContext* ctx,
                                    const types::AccessReviewSubmission* req,
                                    types::AccessRequestV3* resp) override;
    grpc::Status DeleteAccessRequest(grpc::ServerContext* ctx, const proto::RequestID* req,
                                     google::protobuf::Empty* resp) override;
    // fake_catalog_rpcs.cpp
    grpc::Status ListResources(grpc::ServerContext* ctx, const proto::ListResourcesRequest* req,
                               proto::ListResourcesResponse* resp) override;
    grpc::Status GetRole(grpc::ServerContext* ctx, const proto::GetRoleRequest* req, types::RoleV6* resp) override;

private:
    void applyDelay() const;

    ClusterInfo cluster_;
    RequestStore& store_;
    WatchHub& hub_;
    const Rbac& rbac_;
    FaultState& faults_;
    const UserDirectory& people_;
    const ClusterCatalog& catalog_;
};

// teleport.accessmonitoringrules.v1.AccessMonitoringRulesService (fake_rules_service.cpp).
class FakeRulesService final : public ::teleport::accessmonitoringrules::v1::AccessMonitoringRulesService::Service {
public:
    FakeRulesService(RuleStore& rules, const Rbac& rbac) : rules_(rules), rbac_(rbac) {}
    using Amr = ::teleport::accessmonitoringrules::v1::AccessMonitoringRule;

    grpc::Status CreateAccessMonitoringRule(
        grpc::ServerContext* ctx, const ::teleport::accessmonitoringrules::v1::CreateAccessMonitoringRuleRequest* req,
        Amr* resp) override;
    grpc::Status UpdateAccessMonitoringRule(
        grpc::ServerContext* ctx, const ::teleport::accessmonitoringrules::v1::UpdateAccessMonitoringRuleRequest* req,
        Amr* resp) override;
    grpc::Status UpsertAccessMonitoringRule(
        grpc::ServerContext* ctx, const ::teleport::accessmonitoringrules::v1::UpsertAccessMonitoringRuleRequest* req,
        Amr* resp) override;
    grpc::Status GetAccessMonitoringRule(
        grpc::ServerContext* ctx, const ::teleport::accessmonitoringrules::v1::GetAccessMonitoringRuleRequest* req,
        Amr* resp) override;
    grpc::Status DeleteAccessMonitoringRule(
        grpc::ServerContext* ctx, const ::teleport::accessmonitoringrules::v1::DeleteAccessMonitoringRuleRequest* req,
        google::protobuf::Empty* resp) override;
    grpc::Status ListAccessMonitoringRules(
        grpc::ServerContext* ctx, const ::teleport::accessmonitoringrules::v1::ListAccessMonitoringRulesRequest* req,
        ::teleport::accessmonitoringrules::v1::ListAccessMonitoringRulesResponse* resp) override;
    grpc::Status ListAccessMonitoringRulesWithFilter(
        grpc::ServerContext* ctx,
        const ::teleport::accessmonitoringrules::v1::ListAccessMonitoringRulesWithFilterRequest* req,
        ::teleport::accessmonitoringrules::v1::ListAccessMonitoringRulesWithFilterResponse* resp) override;

private:
    grpc::Status write(grpc::ServerContext* ctx, const char* method, const Amr& rule, bool create, bool replace,
                       Amr* resp);
    RuleStore& rules_;
    const Rbac& rbac_;
};

// teleport.users.v1.UsersService: the people of the fake cluster.
class FakeUsersService final : public teleport::users::v1::UsersService::Service {
public:
    FakeUsersService(const UserDirectory& people, const Rbac& rbac) : people_(people), rbac_(rbac) {}

    grpc::Status GetUser(grpc::ServerContext* ctx, const teleport::users::v1::GetUserRequest* req,
                         teleport::users::v1::GetUserResponse* resp) override;
    grpc::Status ListUsers(grpc::ServerContext* ctx, const teleport::users::v1::ListUsersRequest* req,
                           teleport::users::v1::ListUsersResponse* resp) override;

private:
    const UserDirectory& people_;
    const Rbac& rbac_;
};

class FakeControlService final : public teleportfake::FakeControl::Service {
public:
    // `refuse` stops the listener for the given seconds (the server loop restarts it).
    FakeControlService(RequestStore& store, WatchHub& hub, const Rbac& rbac, FaultState& faults,
                       std::function<void(uint32_t)> refuse);

    // teleportfake::FakeControl::Service
    grpc::Status CloseWatchers(grpc::ServerContext* ctx,
                               const teleportfake::CloseWatchersRequest* req,
                               google::protobuf::Empty* resp) override;
    grpc::Status RefuseConnections(grpc::ServerContext* ctx,
                                   const teleportfake::RefuseConnectionsRequest* req,
                                   google::protobuf::Empty* resp) override;
    grpc::Status SetDelay(grpc::ServerContext* ctx, const teleportfake::DelayRequest* req,
                          google::protobuf::Empty* resp) override;
    grpc::Status FailNextUpdates(grpc::ServerContext* ctx,
                                 const teleportfake::FailUpdatesRequest* req,
                                 google::protobuf::Empty* resp) override;
    grpc::Status ExpireNow(grpc::ServerContext* ctx, const teleportfake::ExpireRequest* req,
                           google::protobuf::Empty* resp) override;
    grpc::Status Stats(grpc::ServerContext* ctx, const google::protobuf::Empty* req,
                       teleportfake::StatsResponse* resp) override;

private:
    RequestStore& store_;
    WatchHub& hub_;
    const Rbac& rbac_;
    FaultState& faults_;
    std::function<void(uint32_t)> refuse_;
};

// The Teleport user of the caller: the CN of its verified client certificate.
std::string callerUser(const grpc::ServerContext& ctx);

}  // namespace tmsteams::fakeauth

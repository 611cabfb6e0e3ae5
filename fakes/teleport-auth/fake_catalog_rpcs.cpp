// ListResources and GetRole on the fake: the cluster catalog, behind RBAC.
#include "fake_auth_service.h"
#include "rpc_log.h"

namespace tmsteams::fakeauth {

grpc::Status FakeAuthService::ListResources(grpc::ServerContext* ctx, const proto::ListResourcesRequest* req,
                                            proto::ListResourcesResponse* resp) {
    RpcLog log("ListResources", *ctx, req->resourcetype());
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::ListResources)) {
        return log.done(denied(log.user(), ("list " + req->resourcetype()).c_str()));
    }
    auto listed = catalog_.list(req->resourcetype(), req->predicateexpression(),
                                req->limit() > 0 ? static_cast<size_t>(req->limit()) : 0);
    if (!listed.ok()) {
        return log.done(grpc::Status(static_cast<grpc::StatusCode>(listed.status().code()),
                                     std::string(listed.status().message())));
    }
    for (auto& r : *listed) {
        *resp->add_resources() = std::move(r);
    }
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::GetRole(grpc::ServerContext* ctx, const proto::GetRoleRequest* req, types::RoleV6* resp) {
    RpcLog log("GetRole", *ctx, req->name());
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::ReadRoles)) {
        return log.done(denied(log.user(), "read role"));
    }
    const auto* role = catalog_.role(req->name());
    if (!role) {
        return log.done(grpc::Status(grpc::NOT_FOUND, "role " + req->name() + " is not found"));
    }
    *resp = *role;
    return log.done(grpc::Status::OK);
}

}  // namespace tmsteams::fakeauth

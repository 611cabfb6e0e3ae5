// The fake's gRPC services.
#include "fake_auth_service.h"
#include "rpc_log.h"

#include <thread>

#include <grpcpp/security/auth_context.h>

#include "common/log.h"

namespace tmsteams::fakeauth {

const char* codeName(grpc::StatusCode c) {
    switch (c) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::UNIMPLEMENTED: return "UNIMPLEMENTED";
    default: return "UNKNOWN";
    }
}

namespace {

using Clock = std::chrono::system_clock;

grpc::Status toGrpc(const absl::Status& s) {
    if (s.ok()) {
        return grpc::Status::OK;
    }
    return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}


}  // namespace

std::string callerUser(const grpc::ServerContext& ctx) {
    auto auth = ctx.auth_context();
    if (!auth) {
        return "";
    }
    auto cn = auth->FindPropertyValues("x509_common_name");
    if (cn.empty()) {
        return "";
    }
    return std::string(cn.front().data(), cn.front().size());
}

FakeAuthService::FakeAuthService(ClusterInfo cluster, RequestStore& store, WatchHub& hub,
                                 const Rbac& rbac, FaultState& faults, const UserDirectory& people,
                                 const ClusterCatalog& catalog)
    : cluster_(std::move(cluster)), store_(store), hub_(hub), rbac_(rbac), faults_(faults), people_(people),
      catalog_(catalog) {}

void FakeAuthService::applyDelay() const {
    if (uint32_t d = faults_.delayMs.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(d));
    }
}

grpc::Status FakeAuthService::Ping(grpc::ServerContext* ctx, const proto::PingRequest*,
                                   proto::PingResponse* resp) {
    RpcLog log("Ping", *ctx);
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::Ping)) {
        return log.done(denied(log.user(), "ping"));
    }
    resp->set_clustername(cluster_.name);
    resp->set_serverversion(cluster_.serverVersion);
    resp->mutable_serverfeatures()->set_advancedaccessworkflows(cluster_.advancedWorkflows);
    resp->set_proxypublicaddr(cluster_.proxyPublicAddr);
    resp->set_remoteaddr(ctx->peer());
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::WatchEvents(grpc::ServerContext* ctx, const proto::Watch* req,
                                          grpc::ServerWriter<proto::Event>* writer) {
    RpcLog log("WatchEvents", *ctx);
    applyDelay();
    if (req->kinds().empty()) {
        return log.done(grpc::Status(grpc::INVALID_ARGUMENT, "missing parameter Kinds"));
    }
    std::string idFilter;
    std::string userFilter;
    proto::Event init;
    init.set_type(proto::INIT);
    auto* status = init.mutable_watchstatus();
    status->set_kind("watch_status");
    status->set_version("v1");
    status->mutable_metadata()->set_name("watch_status");
    bool watchesRules = false;
    for (const auto& kind : req->kinds()) {
        if (kind.kind() == "access_monitoring_rule") {
            // Teleport checks read on each kind; with partial success a refused kind is left out
            // of the INIT's WatchStatus, otherwise the whole watch is refused.
            if (!rbac_.allowed(log.user(), Action::ReadRules)) {
                if (req->allowpartialsuccess()) {
                    continue;
                }
                return log.done(denied(log.user(), "read access_monitoring_rule"));
            }
            watchesRules = true;
            *status->mutable_spec()->add_kinds() = kind;
            continue;
        }
        if (kind.kind() != "access_request") {
            if (req->allowpartialsuccess()) {
                continue;
            }
            return log.done(grpc::Status(grpc::INVALID_ARGUMENT,
                                         "watching \"" + kind.kind() + "\" is not supported"));
        }
        if (!rbac_.allowed(log.user(), Action::WatchAccessRequests)) {
            if (req->allowpartialsuccess()) {
                continue;
            }
            return log.done(denied(log.user(), "list access_request"));
        }
        if (auto it = kind.filter().find("id"); it != kind.filter().end()) {
            idFilter = it->second;
        }
        if (auto it = kind.filter().find("user"); it != kind.filter().end()) {
            userFilter = it->second;
        }
        *status->mutable_spec()->add_kinds() = kind;
    }
    if (status->spec().kinds().empty()) {
        return log.done(grpc::Status(grpc::INVALID_ARGUMENT, "none of the requested kinds can be watched"));
    }
    const bool watchesRequests = status->spec().kinds_size() > (watchesRules ? 1 : 0);
    auto watcher = std::make_shared<Watcher>(idFilter, userFilter, watchesRequests, watchesRules);
    watcher->push(init);
    store_.runLocked([&] { hub_.add(watcher); });
    ++faults_.streamsOpened;
    grpc::Status result = grpc::Status::OK;
    for (;;) {
        if (ctx->IsCancelled()) {
            result = grpc::Status(grpc::CANCELLED, "watcher cancelled");
            break;
        }
        proto::Event ev;
        auto next = watcher->pop(ev, std::chrono::milliseconds(200));
        if (next == Watcher::Next::Closed) {
            result = watcher->closeStatus();
            break;
        }
        if (next == Watcher::Next::Timeout) {
            continue;
        }
        if (!writer->Write(ev)) {
            result = grpc::Status(grpc::CANCELLED, "watcher went away");
            break;
        }
    }
    hub_.remove(watcher);
    return log.done(result);
}

grpc::Status FakeAuthService::GetPluginData(grpc::ServerContext* ctx,
                                            const types::PluginDataFilter* req,
                                            proto::PluginDataSeq* resp) {
    RpcLog log("GetPluginData", *ctx, req->resource());
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::ReadPluginData)) {
        return log.done(denied(log.user(), "read access_plugin_data"));
    }
    for (auto& pd : store_.getPluginData(*req, Clock::now())) {
        *resp->add_plugindata() = std::move(pd);
    }
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::UpdatePluginData(grpc::ServerContext* ctx,
                                               const types::PluginDataUpdateParams* req,
                                               google::protobuf::Empty*) {
    RpcLog log("UpdatePluginData", *ctx, req->resource());
    applyDelay();
    ++faults_.updateCalls;
    if (!rbac_.allowed(log.user(), Action::UpdatePluginData)) {
        return log.done(denied(log.user(), "update access_plugin_data"));
    }
    return log.done(toGrpc(store_.updatePluginData(*req, Clock::now())));
}

grpc::Status FakeAuthService::GetAccessRequestsV2(
    grpc::ServerContext* ctx, const types::AccessRequestFilter* req,
    grpc::ServerWriter<types::AccessRequestV3>* writer) {
    RpcLog log("GetAccessRequestsV2", *ctx);
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::ReadAccessRequests)) {
        return log.done(denied(log.user(), "list access_request"));
    }
    for (const auto& r : store_.list(*req)) {
        if (!writer->Write(r)) {
            return log.done(grpc::Status(grpc::CANCELLED, "client went away"));
        }
    }
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::ListAccessRequests(grpc::ServerContext* ctx,
                                                 const proto::ListAccessRequestsRequest* req,
                                                 proto::ListAccessRequestsResponse* resp) {
    RpcLog log("ListAccessRequests", *ctx);
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::ReadAccessRequests)) {
        return log.done(denied(log.user(), "list access_request"));
    }
    auto page = store_.listPage(*req);
    if (!page.ok()) {
        return log.done(toGrpc(page.status()));
    }
    *resp = std::move(*page);
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::CreateAccessRequestV2(grpc::ServerContext* ctx,
                                                    const types::AccessRequestV3* req,
                                                    types::AccessRequestV3* resp) {
    RpcLog log("CreateAccessRequestV2", *ctx, req->spec().user());
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::WriteAccessRequests)) {
        return log.done(denied(log.user(), "create access_request"));
    }
    auto created = store_.create(*req, Clock::now());
    if (!created.ok()) {
        return log.done(toGrpc(created.status()));
    }
    *resp = std::move(*created);
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::SetAccessRequestState(grpc::ServerContext* ctx,
                                                    const proto::RequestStateSetter* req,
                                                    google::protobuf::Empty*) {
    RpcLog log("SetAccessRequestState", *ctx, req->id());
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::WriteAccessRequests)) {
        return log.done(denied(log.user(), "update access_request"));
    }
    return log.done(toGrpc(store_.setState(*req, Clock::now())));
}

grpc::Status FakeAuthService::SubmitAccessReview(grpc::ServerContext* ctx,
                                                 const types::AccessReviewSubmission* req,
                                                 types::AccessRequestV3* resp) {
    RpcLog log("SubmitAccessReview", *ctx, req->requestid());
    applyDelay();
    types::AccessReviewSubmission sub = *req;
    if (!cluster_.submitForUsers) {
        // Published Teleport: field 11 is unknown (dropped), and only the caller may be the author
        // (Teleport's wording, lib/auth: "user %q cannot submit reviews on behalf of %q").
        sub.mutable_review()->clear_submittedby();
        if (sub.review().author() != log.user()) {
            return log.done(grpc::Status(grpc::PERMISSION_DENIED, "user \"" + log.user() +
                                                                      "\" cannot submit reviews on behalf of \"" +
                                                                      sub.review().author() + "\""));
        }
    } else if (!rbac_.allowed(log.user(), Action::WriteAccessRequests)) {
        // A plugin may submit on a person's behalf (review_requests.submit_for_users); the
        // person's own permission to review decides, as in Teleport.
        if (!rbac_.allowed(log.user(), Action::SubmitReviewForUsers)) {
            return log.done(denied(log.user(), "review access_request"));
        }
        // Teleport reads the request before judging the reviewer: a review of a request that does
        // not exist is NotFound, whoever its author (validate's side-effect-free probe relies on it).
        types::AccessRequestFilter one;
        one.set_id(sub.requestid());
        if (store_.list(one).empty()) {
            return log.done(grpc::Status(grpc::NOT_FOUND, "access_request \"" + sub.requestid() + "\" doesn't exist"));
        }
        if (!people_.mayReview(sub.review().author())) {
            return log.done(grpc::Status(grpc::PERMISSION_DENIED, "user \"" + sub.review().author() +
                                                                      "\" is not allowed to review this request"));
        }
        sub.mutable_review()->set_submittedby(log.user());
    }
    auto reviewed = store_.submitReview(sub, Clock::now());
    if (!reviewed.ok()) {
        return log.done(toGrpc(reviewed.status()));
    }
    *resp = std::move(*reviewed);
    return log.done(grpc::Status::OK);
}

grpc::Status FakeAuthService::DeleteAccessRequest(grpc::ServerContext* ctx,
                                                  const proto::RequestID* req,
                                                  google::protobuf::Empty*) {
    RpcLog log("DeleteAccessRequest", *ctx, req->id());
    applyDelay();
    if (!rbac_.allowed(log.user(), Action::WriteAccessRequests)) {
        return log.done(denied(log.user(), "delete access_request"));
    }
    return log.done(toGrpc(store_.remove(req->id())));
}

grpc::Status FakeUsersService::GetUser(grpc::ServerContext* ctx, const teleport::users::v1::GetUserRequest* req,
                                       teleport::users::v1::GetUserResponse* resp) {
    RpcLog log("GetUser", *ctx, req->name());
    if (!rbac_.allowed(log.user(), Action::ReadUsers)) {
        return log.done(denied(log.user(), "read user"));
    }
    const Person* p = people_.find(req->name());
    if (!p) {
        return log.done(grpc::Status(grpc::NOT_FOUND, "user \"" + req->name() + "\" is not found"));
    }
    *resp->mutable_user() = people_.toProto(*p);
    return log.done(grpc::Status::OK);
}

grpc::Status FakeUsersService::ListUsers(grpc::ServerContext* ctx, const teleport::users::v1::ListUsersRequest* req,
                                         teleport::users::v1::ListUsersResponse* resp) {
    RpcLog log("ListUsers", *ctx, req->page_token());
    if (!rbac_.allowed(log.user(), Action::ReadUsers)) {
        return log.done(denied(log.user(), "list user"));
    }
    size_t start = 0;
    if (!req->page_token().empty()) {
        try {
            start = std::stoul(req->page_token());
        } catch (const std::exception&) {
            return log.done(grpc::Status(grpc::INVALID_ARGUMENT, "bad page token"));
        }
    }
    const size_t size = req->page_size() > 0 ? static_cast<size_t>(req->page_size()) : 100;
    const auto& all = people_.all();
    for (size_t i = start; i < all.size() && i < start + size; ++i) {
        *resp->add_users() = people_.toProto(all[i]);
    }
    if (start + size < all.size()) {
        resp->set_next_page_token(std::to_string(start + size));
    }
    return log.done(grpc::Status::OK);
}

FakeControlService::FakeControlService(RequestStore& store, WatchHub& hub, const Rbac& rbac,
                                       FaultState& faults, std::function<void(uint32_t)> refuse)
    : store_(store), hub_(hub), rbac_(rbac), faults_(faults), refuse_(std::move(refuse)) {}

#define REQUIRE_CONTROL(log)                                                   \
    do {                                                                       \
        if (!rbac_.allowed((log).user(), Action::Control)) {                   \
            return (log).done(denied((log).user(), "control the fake"));       \
        }                                                                      \
    } while (0)

grpc::Status FakeControlService::CloseWatchers(grpc::ServerContext* ctx,
                                               const teleportfake::CloseWatchersRequest* req,
                                               google::protobuf::Empty*) {
    RpcLog log("CloseWatchers", *ctx, req->unavailable() ? "UNAVAILABLE" : "OK");
    REQUIRE_CONTROL(log);
    hub_.closeAll(req->unavailable()
                      ? grpc::Status(grpc::UNAVAILABLE, "watch stream closed by the fake")
                      : grpc::Status::OK);
    return log.done(grpc::Status::OK);
}

grpc::Status FakeControlService::RefuseConnections(
    grpc::ServerContext* ctx, const teleportfake::RefuseConnectionsRequest* req,
    google::protobuf::Empty*) {
    RpcLog log("RefuseConnections", *ctx, std::to_string(req->seconds()) + "s");
    REQUIRE_CONTROL(log);
    refuse_(req->seconds());
    return log.done(grpc::Status::OK);
}

grpc::Status FakeControlService::SetDelay(grpc::ServerContext* ctx,
                                          const teleportfake::DelayRequest* req,
                                          google::protobuf::Empty*) {
    RpcLog log("SetDelay", *ctx, std::to_string(req->milliseconds()) + "ms");
    REQUIRE_CONTROL(log);
    faults_.delayMs = req->milliseconds();
    return log.done(grpc::Status::OK);
}

grpc::Status FakeControlService::FailNextUpdates(grpc::ServerContext* ctx,
                                                 const teleportfake::FailUpdatesRequest* req,
                                                 google::protobuf::Empty*) {
    RpcLog log("FailNextUpdates", *ctx, std::to_string(req->count()));
    REQUIRE_CONTROL(log);
    store_.failNextUpdates(req->count());
    return log.done(grpc::Status::OK);
}

grpc::Status FakeControlService::ExpireNow(grpc::ServerContext* ctx,
                                           const teleportfake::ExpireRequest* req,
                                           google::protobuf::Empty*) {
    RpcLog log("ExpireNow", *ctx, req->id());
    REQUIRE_CONTROL(log);
    return log.done(toGrpc(store_.expireNow(req->id())));
}

grpc::Status FakeControlService::Stats(grpc::ServerContext* ctx, const google::protobuf::Empty*,
                                       teleportfake::StatsResponse* resp) {
    RpcLog log("Stats", *ctx);
    REQUIRE_CONTROL(log);
    resp->set_watchers(hub_.count());
    resp->set_watch_streams_opened(faults_.streamsOpened.load());
    resp->set_update_plugin_data_calls(faults_.updateCalls.load());
    resp->set_update_plugin_data_conflicts(store_.conflicts());
    resp->set_requests(store_.requestCount());
    return log.done(grpc::Status::OK);
}

}  // namespace tmsteams::fakeauth

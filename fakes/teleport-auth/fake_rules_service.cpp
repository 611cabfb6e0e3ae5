// AccessMonitoringRulesService on the fake: Teleport's verbs (create/update/delete for admins;
// read and list for the list calls, as Teleport checks both) over the rule store.
#include "fake_auth_service.h"
#include "rpc_log.h"

namespace tmsteams::fakeauth {

namespace amr = ::teleport::accessmonitoringrules::v1;

namespace {
grpc::Status toGrpc(const absl::Status& s) {
    return s.ok() ? grpc::Status::OK
                  : grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}
}  // namespace

grpc::Status FakeRulesService::write(grpc::ServerContext* ctx, const char* method, const Amr& rule, bool create,
                                     bool replace, Amr* resp) {
    RpcLog log(method, *ctx, rule.metadata().name());
    if (!rbac_.allowed(log.user(), Action::WriteRules)) {
        return log.done(denied(log.user(), create ? "create access_monitoring_rule" : "update access_monitoring_rule"));
    }
    auto written = rules_.write(rule, create, replace);
    if (!written.ok()) {
        return log.done(toGrpc(written.status()));
    }
    *resp = *written;
    return log.done(grpc::Status::OK);
}

grpc::Status FakeRulesService::CreateAccessMonitoringRule(grpc::ServerContext* ctx,
                                                          const amr::CreateAccessMonitoringRuleRequest* req, Amr* resp) {
    return write(ctx, "CreateAccessMonitoringRule", req->rule(), true, false, resp);
}

grpc::Status FakeRulesService::UpdateAccessMonitoringRule(grpc::ServerContext* ctx,
                                                          const amr::UpdateAccessMonitoringRuleRequest* req, Amr* resp) {
    return write(ctx, "UpdateAccessMonitoringRule", req->rule(), false, true, resp);
}

grpc::Status FakeRulesService::UpsertAccessMonitoringRule(grpc::ServerContext* ctx,
                                                          const amr::UpsertAccessMonitoringRuleRequest* req, Amr* resp) {
    return write(ctx, "UpsertAccessMonitoringRule", req->rule(), true, true, resp);
}

grpc::Status FakeRulesService::GetAccessMonitoringRule(grpc::ServerContext* ctx,
                                                       const amr::GetAccessMonitoringRuleRequest* req, Amr* resp) {
    RpcLog log("GetAccessMonitoringRule", *ctx, req->name());
    if (!rbac_.allowed(log.user(), Action::ReadRules)) {
        return log.done(denied(log.user(), "read access_monitoring_rule"));
    }
    auto rule = rules_.get(req->name());
    if (!rule.ok()) {
        return log.done(toGrpc(rule.status()));
    }
    *resp = *rule;
    return log.done(grpc::Status::OK);
}

grpc::Status FakeRulesService::DeleteAccessMonitoringRule(grpc::ServerContext* ctx,
                                                          const amr::DeleteAccessMonitoringRuleRequest* req,
                                                          google::protobuf::Empty*) {
    RpcLog log("DeleteAccessMonitoringRule", *ctx, req->name());
    if (!rbac_.allowed(log.user(), Action::WriteRules)) {
        return log.done(denied(log.user(), "delete access_monitoring_rule"));
    }
    return log.done(toGrpc(rules_.remove(req->name())));
}

grpc::Status FakeRulesService::ListAccessMonitoringRules(grpc::ServerContext* ctx,
                                                         const amr::ListAccessMonitoringRulesRequest* req,
                                                         amr::ListAccessMonitoringRulesResponse* resp) {
    RpcLog log("ListAccessMonitoringRules", *ctx);
    if (!rbac_.allowed(log.user(), Action::ReadRules)) {
        return log.done(denied(log.user(), "list access_monitoring_rule"));
    }
    auto [page, next] = rules_.list(static_cast<size_t>(std::max<int64_t>(req->page_size(), 0)), req->page_token(), {}, "");
    for (auto& r : page) {
        *resp->add_rules() = std::move(r);
    }
    resp->set_next_page_token(next);
    return log.done(grpc::Status::OK);
}

grpc::Status FakeRulesService::ListAccessMonitoringRulesWithFilter(
    grpc::ServerContext* ctx, const amr::ListAccessMonitoringRulesWithFilterRequest* req,
    amr::ListAccessMonitoringRulesWithFilterResponse* resp) {
    RpcLog log("ListAccessMonitoringRulesWithFilter", *ctx, req->notification_name());
    if (!rbac_.allowed(log.user(), Action::ReadRules)) {
        return log.done(denied(log.user(), "list access_monitoring_rule"));
    }
    auto [page, next] = rules_.list(static_cast<size_t>(std::max<int64_t>(req->page_size(), 0)), req->page_token(),
                                    {req->subjects().begin(), req->subjects().end()}, req->notification_name());
    for (auto& r : page) {
        *resp->add_rules() = std::move(r);
    }
    resp->set_next_page_token(next);
    return log.done(grpc::Status::OK);
}

}  // namespace tmsteams::fakeauth

// The calls that describe rather than change: access monitoring rules for routing, and the
// resources and roles a request names, for its card.
#include "access_monitoring_rules_service.grpc.pb.h"
#include "teleport/grpc_auth_client.h"
#include "teleport/grpc_channel.h"

namespace tmsteams::teleport {

namespace {
constexpr std::chrono::seconds CatalogCallTimeout{15};
// Teleport's own plugins page rules 1,000 at a time; a bound on pages keeps a server that never
// ends its listing from holding us forever.
constexpr int64_t RulesPageSize = 1000;
constexpr int MaxPages = 1000;
constexpr int MaxRulePages = 100;  // 100,000 rules

// A Teleport predicate string literal.
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}
}  // namespace

absl::StatusOr<std::vector<AccessMonitoringRule>> GrpcAuthClient::listAccessMonitoringRules() {
    namespace amr = ::teleport::accessmonitoringrules::v1;
    auto ch = channel();
    if (!ch.ok()) {
        return ch.status();
    }
    auto rules = amr::AccessMonitoringRulesService::NewStub(*ch);
    amr::ListAccessMonitoringRulesWithFilterRequest req;
    req.set_page_size(RulesPageSize);
    req.add_subjects("access_request");
    req.set_notification_name(plugin_);
    std::vector<AccessMonitoringRule> out;
    for (int page = 0; page < MaxRulePages; ++page) {
        ++calls_.listRules;
        grpc::ClientContext ctx;
        prepareContext(ctx, CatalogCallTimeout, true);
        amr::ListAccessMonitoringRulesWithFilterResponse resp;
        if (auto s = rules->ListAccessMonitoringRulesWithFilter(&ctx, req, &resp); !s.ok()) {
            return fromGrpc(s, "list access monitoring rules");
        }
        for (auto& r : *resp.mutable_rules()) {
            out.push_back(std::move(r));
        }
        if (resp.next_page_token().empty()) {
            return out;
        }
        req.set_page_token(resp.next_page_token());
    }
    return absl::ResourceExhaustedError("list access monitoring rules: more than " + std::to_string(MaxRulePages) +
                                        " pages");
}

absl::StatusOr<std::vector<proto::PaginatedResource>> GrpcAuthClient::listResourcesByName(
    const std::string& type, const std::vector<std::string>& names) {
    std::vector<proto::PaginatedResource> out;
    if (names.empty()) {
        return out;
    }
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    // As Teleport's plugins do (api/accessrequest): one listing per kind, matching any of the
    // names, with the request preview roles' view of the cluster.
    proto::ListResourcesRequest req;
    req.set_resourcetype(type);
    req.set_limit(static_cast<int32_t>(names.size()));
    std::string predicate;
    for (const auto& n : names) {
        predicate += (predicate.empty() ? "" : " || ") + std::string("resource.metadata.name == ") + quoted(n);
    }
    req.set_predicateexpression(predicate);
    req.set_usepreviewasroles(true);
    for (int page = 0; page < MaxPages; ++page) {
        ++calls_.listResources;
        grpc::ClientContext ctx;
        prepareContext(ctx, CatalogCallTimeout, true);
        proto::ListResourcesResponse resp;
        if (auto s = (*st)->ListResources(&ctx, req, &resp); !s.ok()) {
            return fromGrpc(s, "list " + type + " resources");
        }
        for (auto& r : *resp.mutable_resources()) {
            out.push_back(std::move(r));
        }
        if (resp.nextkey().empty() || out.size() >= names.size()) {
            return out;
        }
        req.set_startkey(resp.nextkey());
    }
    return out;
}

absl::StatusOr<std::optional<types::RoleV6>> GrpcAuthClient::getRole(const std::string& name) {
    ++calls_.getRole;
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    grpc::ClientContext ctx;
    prepareContext(ctx, CatalogCallTimeout, true);
    proto::GetRoleRequest req;
    req.set_name(name);
    types::RoleV6 role;
    auto s = (*st)->GetRole(&ctx, req, &role);
    if (s.error_code() == grpc::NOT_FOUND) {
        return std::optional<types::RoleV6>();
    }
    if (!s.ok()) {
        return fromGrpc(s, "read role " + name);
    }
    return std::optional<types::RoleV6>(std::move(role));
}

}  // namespace tmsteams::teleport

// Cached lookups of resources, roles and users for cards and routing.
#include "plugin/request_details.h"

#include <set>

#include "common/log.h"

namespace tmsteams::plugin {

namespace {
constexpr std::chrono::minutes CacheFor{5};
constexpr std::chrono::minutes AskAgainAfterRefusal{10};
constexpr size_t MaxCached = 10000;     // a bound on memory, whatever the requests name
constexpr std::chrono::seconds AskAgainAfterFailure{30};
constexpr size_t MaxLookupsPerKind = 500;
constexpr size_t MaxRolesShown = 20;

std::string cacheKey(const std::string& kind, const std::string& name) { return kind + "/" + name; }

// "/cluster/kind/name[/sub...]" as request_card.h's resourceName writes it.
bool splitResourceName(const std::string& text, std::string& kind, std::string& name, std::string& rest) {
    if (text.empty() || text[0] != '/') {
        return false;
    }
    size_t a = text.find('/', 1), b = a == std::string::npos ? a : text.find('/', a + 1);
    if (b == std::string::npos) {
        return false;
    }
    size_t c = text.find('/', b + 1);
    kind = text.substr(a + 1, b - a - 1);
    name = text.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
    rest = c == std::string::npos ? "" : text.substr(c);
    return !kind.empty() && !name.empty();
}

// The display name and labels of one listed resource.
RequestDetails::Resource describe(const proto::PaginatedResource& r) {
    RequestDetails::Resource out;
    out.found = true;
    auto take = [&](const char* kind, const types::Metadata& md, const std::string& display) {
        out.kind = kind;
        out.name = md.name();
        out.labels = routing::ResourceLabels(md.labels().begin(), md.labels().end());
        out.display = std::string(kind) + " " + (display.empty() ? md.name() : display);
    };
    if (r.has_node()) {
        take("node", r.node().metadata(), r.node().spec().hostname());
    } else if (r.has_appserver()) {
        take("app", r.appserver().spec().app().metadata(), "");
    } else if (r.has_databaseserver()) {
        take("db", r.databaseserver().spec().database().metadata(), "");
    } else if (r.has_kubecluster()) {
        take("kube_cluster", r.kubecluster().metadata(), "");
    } else {
        out.found = false;
    }
    return out;
}
}  // namespace

std::string listTypeFor(const std::string& kind) {
    if (kind == "node") return "node";
    if (kind == "app") return "app_server";
    if (kind == "db") return "db_server";
    if (kind == "kube_cluster") return "kube_cluster";
    return "";
}

RequestDetails::RequestDetails(teleport::AuthClient& auth, common::Clock& clock) : auth_(auth), clock_(clock) {}

bool RequestDetails::refused(Source s) {
    std::lock_guard lock(mu_);
    auto it = refusedUntil_.find(s);
    return it != refusedUntil_.end() && clock_.steadyNow() < it->second;
}

void RequestDetails::noteRefusal(Source s, const absl::Status& status) {
    bool first = false;
    {
        std::lock_guard lock(mu_);
        refusedUntil_[s] = clock_.steadyNow() + AskAgainAfterRefusal;
        first = !warned_[s];
        warned_[s] = true;
    }
    if (!first) {
        return;  // one warning per process: refusals must not pile up in the log
    }
    const char* what = s == Source::Resources ? "read the requested resources; cards show their ids"
                       : s == Source::Roles   ? "read roles; cards do not show the logins they grant"
                                              : "read users; rule conditions see no user.traits";
    const char* fix = s == Source::Resources ? "allow node, app_server, db_server and kube_cluster list/read"
                      : s == Source::Roles   ? "allow role read"
                                             : "allow user read";
    common::logWarn(std::string("the plugin may not ") + what,
                    {{"error", std::string(status.message())}, {"fix", std::string(fix) + " (teleport-msteams-role.yaml)"}});
}

absl::StatusOr<std::vector<RequestDetails::Resource>> RequestDetails::resources(const types::AccessRequestV3& request) {
    // Which names each kind still needs.
    std::map<std::string, std::vector<std::string>> wanted;
    {
        std::lock_guard lock(mu_);
        const auto now = clock_.steadyNow();
        for (const auto& id : request.spec().requestedresourceids()) {
            auto it = resources_.find(cacheKey(id.kind(), id.name()));
            auto& names = wanted[id.kind()];
            if ((it == resources_.end() || it->second.until <= now) && !listTypeFor(id.kind()).empty() &&
                names.size() < MaxLookupsPerKind) {
                names.push_back(id.name());
            }
        }
    }
    for (auto& [kind, names] : wanted) {
        if (names.empty()) {
            continue;
        }
        if (refused(Source::Resources)) {
            return absl::PermissionDeniedError("the plugin may not read the requested resources");
        }
        auto listed = auth_.listResourcesByName(listTypeFor(kind), names);
        if (!listed.ok()) {
            if (listed.status().code() == absl::StatusCode::kPermissionDenied) {
                noteRefusal(Source::Resources, listed.status());
            }
            return listed.status();
        }
        std::map<std::string, Resource> found;
        for (const auto& r : *listed) {
            auto d = describe(r);
            if (d.found) {
                found[d.name] = std::move(d);
            }
        }
        std::lock_guard lock(mu_);
        if (resources_.size() > MaxCached) {
            resources_.clear();
        }
        const auto until = clock_.steadyNow() + CacheFor;
        for (const auto& n : names) {
            auto it = found.find(n);
            Resource r = it != found.end() ? it->second : Resource{kind, n, "", {}, false};
            r.kind = kind;
            resources_[cacheKey(kind, n)] = {std::move(r), until};
        }
    }
    std::vector<Resource> out;
    std::lock_guard lock(mu_);
    for (const auto& id : request.spec().requestedresourceids()) {
        auto it = resources_.find(cacheKey(id.kind(), id.name()));
        out.push_back(it != resources_.end() ? it->second.value : Resource{id.kind(), id.name(), "", {}, false});
    }
    return out;
}

absl::StatusOr<teleport::UserTraits> RequestDetails::traits(const std::string& user) {
    if (user.empty() || refused(Source::Users)) {
        return teleport::UserTraits();
    }
    auto u = auth_.getUser(user);
    if (!u.ok()) {
        if (u.status().code() == absl::StatusCode::kPermissionDenied) {
            noteRefusal(Source::Users, u.status());
            return teleport::UserTraits();  // as Teleport's plugins: warn, go on without traits
        }
        return u.status();
    }
    if (!u->has_value()) {
        return absl::NotFoundError("no Teleport user " + user);
    }
    return **u;
}

std::vector<std::string> RequestDetails::loginsOf(const std::string& role) {
    {
        std::lock_guard lock(mu_);
        auto it = logins_.find(role);
        if (it != logins_.end() && it->second.until > clock_.steadyNow()) {
            return it->second.value;
        }
    }
    if (refused(Source::Roles)) {
        return {};
    }
    auto r = auth_.getRole(role);
    if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kPermissionDenied) {
            noteRefusal(Source::Roles, r.status());
        }
        // Remembered briefly, so a slow or failing Auth costs one call per role, not one per card.
        std::lock_guard lock(mu_);
        logins_[role] = {{}, clock_.steadyNow() + AskAgainAfterFailure};
        return {};
    }
    std::vector<std::string> logins;
    if (r->has_value()) {
        const auto& allow = (*r)->spec().allow().logins();
        std::set<std::string> denied((*r)->spec().deny().logins().begin(), (*r)->spec().deny().logins().end());
        for (const auto& l : allow) {
            if (!denied.count(l)) {
                logins.push_back(l);
            }
        }
    }
    std::lock_guard lock(mu_);
    if (logins_.size() > MaxCached) {
        logins_.clear();
    }
    logins_[role] = {logins, clock_.steadyNow() + CacheFor};
    return logins;
}

void RequestDetails::prefetch(const types::AccessRequestV3& request) {
    (void)resources(request);
    for (const auto& role : request.spec().roles()) {
        (void)loginsOf(role);
    }
}

void RequestDetails::annotate(teams::CardData& facts) {
    types::AccessRequestV3 asRequest;  // the ids, back from their card form
    std::vector<std::string> rests;
    std::vector<bool> parsed;
    for (const auto& text : facts.resources) {
        std::string kind, name, rest;
        bool ok = splitResourceName(text, kind, name, rest);
        parsed.push_back(ok);
        rests.push_back(rest);
        if (ok) {
            auto* id = asRequest.mutable_spec()->add_requestedresourceids();
            id->set_kind(kind);
            id->set_name(name);
        }
    }
    auto described = resources(asRequest);
    if (described.ok()) {
        size_t k = 0;
        for (size_t i = 0; i < facts.resources.size(); ++i) {
            if (!parsed[i]) {
                continue;
            }
            const auto& d = (*described)[k++];
            if (d.found && !d.display.empty()) {
                facts.resources[i] = d.display + rests[i];
            }
        }
    }
    facts.roleLogins.clear();
    for (size_t i = 0; i < facts.roles.size() && i < MaxRolesShown; ++i) {
        const auto& role = facts.roles[i];
        auto logins = loginsOf(role);
        if (!logins.empty()) {
            facts.roleLogins.emplace_back(role, std::move(logins));
        }
    }
}

}  // namespace tmsteams::plugin

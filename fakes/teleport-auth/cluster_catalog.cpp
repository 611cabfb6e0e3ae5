// The fake cluster's resources and roles.
#include "cluster_catalog.h"

#include <optional>
#include <set>
#include <sstream>

namespace tmsteams::fakeauth {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, sep)) {
        out.push_back(item);
    }
    return out;
}

void fillMetadata(types::Metadata* md, const std::string& name, const std::map<std::string, std::string>& labels) {
    md->set_name(name);
    md->set_namespace_("default");
    for (const auto& [k, v] : labels) {
        (*md->mutable_labels())[k] = v;
    }
}

// `resource.metadata.name == "a" || resource.metadata.name == "b"` → {a, b}.
absl::StatusOr<std::set<std::string>> namesIn(const std::string& predicate) {
    std::set<std::string> names;
    const std::string prefix = "resource.metadata.name == \"";
    size_t pos = 0;
    while (pos < predicate.size()) {
        if (predicate.compare(pos, prefix.size(), prefix) != 0) {
            return absl::InvalidArgumentError("the fake understands only resource.metadata.name == \"X\" terms: " +
                                              predicate.substr(0, 80));
        }
        pos += prefix.size();
        std::string name;
        while (pos < predicate.size() && predicate[pos] != '"') {
            if (predicate[pos] == '\\' && pos + 1 < predicate.size()) {
                ++pos;
            }
            name += predicate[pos++];
        }
        if (pos >= predicate.size()) {
            return absl::InvalidArgumentError("unterminated string in predicate");
        }
        names.insert(name);
        ++pos;
        if (predicate.compare(pos, 4, " || ") == 0) {
            pos += 4;
        } else if (pos != predicate.size()) {
            return absl::InvalidArgumentError("expected || in predicate");
        }
    }
    return names;
}

}  // namespace

bool ClusterCatalog::addResource(const std::string& kind, const std::string& spec) {
    if (kind != "node" && kind != "app" && kind != "db" && kind != "kube_cluster") {
        return false;
    }
    Entry e;
    auto colon = spec.find(':');
    std::string head = spec.substr(0, colon);
    auto eq = head.find('=');
    e.name = head.substr(0, eq);
    e.display = eq == std::string::npos ? "" : head.substr(eq + 1);
    if (e.name.empty()) {
        return false;
    }
    if (colon != std::string::npos) {
        for (const auto& kv : split(spec.substr(colon + 1), ',')) {
            auto p = kv.find('=');
            if (p == std::string::npos || p == 0) {
                return false;
            }
            e.labels[kv.substr(0, p)] = kv.substr(p + 1);
        }
    }
    byKind_[kind].push_back(std::move(e));
    return true;
}

bool ClusterCatalog::addRole(const std::string& spec) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
        return false;
    }
    types::RoleV6 r;
    r.set_kind("role");
    r.set_version("v7");
    fillMetadata(r.mutable_metadata(), spec.substr(0, eq), {});
    for (const auto& login : split(spec.substr(eq + 1), ',')) {
        if (!login.empty()) {
            r.mutable_spec()->mutable_allow()->add_logins(login);
        }
    }
    roles_[spec.substr(0, eq)] = std::move(r);
    return true;
}

absl::StatusOr<std::vector<proto::PaginatedResource>> ClusterCatalog::list(const std::string& type,
                                                                          const std::string& predicate,
                                                                          size_t limit) const {
    static const std::map<std::string, std::string> kindOfType = {
        {"node", "node"}, {"app_server", "app"}, {"db_server", "db"}, {"kube_cluster", "kube_cluster"}};
    auto k = kindOfType.find(type);
    if (k == kindOfType.end()) {
        return absl::InvalidArgumentError("unsupported resource type \"" + type + "\"");
    }
    if (limit == 0) {
        return absl::InvalidArgumentError("nonpositive parameter limit");  // as older Teleport says
    }
    std::optional<std::set<std::string>> names;
    if (!predicate.empty()) {
        auto parsed = namesIn(predicate);
        if (!parsed.ok()) {
            return parsed.status();
        }
        names = std::move(*parsed);
    }
    std::vector<proto::PaginatedResource> out;
    auto it = byKind_.find(k->second);
    if (it == byKind_.end()) {
        return out;
    }
    for (const auto& e : it->second) {
        if ((names && !names->count(e.name)) || out.size() >= limit) {
            continue;
        }
        proto::PaginatedResource r;
        if (type == "node") {
            auto* n = r.mutable_node();
            n->set_kind("node");
            n->set_version("v2");
            fillMetadata(n->mutable_metadata(), e.name, e.labels);
            n->mutable_spec()->set_hostname(e.display.empty() ? e.name : e.display);
        } else if (type == "app_server") {
            auto* a = r.mutable_appserver();
            a->set_kind("app_server");
            a->set_version("v3");
            fillMetadata(a->mutable_metadata(), e.name, {});
            fillMetadata(a->mutable_spec()->mutable_app()->mutable_metadata(), e.name, e.labels);
        } else if (type == "db_server") {
            auto* d = r.mutable_databaseserver();
            d->set_kind("db_server");
            d->set_version("v3");
            fillMetadata(d->mutable_metadata(), e.name, {});
            fillMetadata(d->mutable_spec()->mutable_database()->mutable_metadata(), e.name, e.labels);
        } else {
            auto* c = r.mutable_kubecluster();
            c->set_kind("kube_cluster");
            c->set_version("v3");
            fillMetadata(c->mutable_metadata(), e.name, e.labels);
        }
        out.push_back(std::move(r));
    }
    return out;
}

const types::RoleV6* ClusterCatalog::role(const std::string& name) const {
    auto it = roles_.find(name);
    return it == roles_.end() ? nullptr : &it->second;
}

}  // namespace tmsteams::fakeauth

// The fake cluster's resources and roles, as ListResources and GetRole return them: nodes
// (with host names), apps, databases and Kubernetes clusters with labels, and roles with logins.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "authservice.pb.h"

namespace tmsteams::fakeauth {

class ClusterCatalog {
public:
    // "NAME[=DISPLAY][:LABEL=VALUE,...]" for kind node (DISPLAY is the host name), app, db or
    // kube_cluster; false when malformed.
    bool addResource(const std::string& kind, const std::string& spec);
    // "ROLE=LOGIN,LOGIN..."
    bool addRole(const std::string& spec);

    // ListResources of one type ("node", "app_server", "db_server", "kube_cluster"), filtered by
    // a predicate of `resource.metadata.name == "X"` terms joined by `||` (what the plugin sends;
    // anything else is refused as a bad parameter).
    absl::StatusOr<std::vector<proto::PaginatedResource>> list(const std::string& type, const std::string& predicate,
                                                               size_t limit) const;
    const types::RoleV6* role(const std::string& name) const;

private:
    struct Entry {
        std::string name, display;
        std::map<std::string, std::string> labels;
    };
    std::map<std::string, std::vector<Entry>> byKind_;  // node, app, db, kube_cluster
    std::map<std::string, types::RoleV6> roles_;
};

}  // namespace tmsteams::fakeauth

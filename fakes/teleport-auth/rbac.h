// Who may call what on the fake: a Teleport user (certificate CN) has one of a few roles.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace tmsteams::fakeauth {

enum class Role {
    Admin,   // everything, including the fake's control RPCs
    // What `configure`'s role grants (without [review]): access_request list/read,
    // access_plugin_data update, access_monitoring_rule list/read, node/app_server/db_server/
    // kube_cluster list/read, role read, user read.
    Plugin,
    PluginReviewer,  // Plugin, plus review_requests.submit_for_users
    PluginBasic,     // access_request list/read and access_plugin_data update only (older roles)
    None,    // authenticated, but may only Ping
};

enum class Action {
    Ping,
    WatchAccessRequests,
    ReadAccessRequests,
    WriteAccessRequests,  // create, review, set state, delete
    ReadPluginData,
    UpdatePluginData,
    ReadUsers,
    SubmitReviewForUsers,  // review_requests.submit_for_users: reviews authored by others
    ReadRules,             // access_monitoring_rule list and read (also to watch them)
    WriteRules,            // access_monitoring_rule create, update, delete
    ListResources,         // node, app_server, db_server, kube_cluster list/read
    ReadRoles,             // role read
    Control,
};

// Parses "admin", "plugin", "plugin-review", "plugin-basic" or "none".
bool parseRole(std::string_view text, Role& out);
const char* roleName(Role r);

class Rbac {
public:
    void addUser(const std::string& user, Role role) { users_[user] = role; }
    // False for unknown users and for actions outside the user's role.
    bool allowed(const std::string& user, Action action) const;
    const std::map<std::string, Role>& users() const { return users_; }

private:
    std::map<std::string, Role> users_;
};

}  // namespace tmsteams::fakeauth

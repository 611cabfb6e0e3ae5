// Who may call what on the fake: a Teleport user (certificate CN) has one of a few roles.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace tmsteams::fakeauth {

enum class Role {
    Admin,   // everything, including the fake's control RPCs
    Plugin,  // access_request list/read, access_plugin_data update: what the msteams role grants
    PluginReviewer,  // Plugin, plus user read and review_requests.submit_for_users
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
    Control,
};

// Parses "admin", "plugin", "plugin-review" or "none".
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

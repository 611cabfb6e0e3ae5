// Who may call what on the fake.
#include "rbac.h"

namespace tmsteams::fakeauth {

bool parseRole(std::string_view text, Role& out) {
    if (text == "admin") {
        out = Role::Admin;
    } else if (text == "plugin") {
        out = Role::Plugin;
    } else if (text == "plugin-review") {
        out = Role::PluginReviewer;
    } else if (text == "plugin-basic") {
        out = Role::PluginBasic;
    } else if (text == "none") {
        out = Role::None;
    } else {
        return false;
    }
    return true;
}

const char* roleName(Role r) {
    switch (r) {
    case Role::Admin:
        return "admin";
    case Role::Plugin:
        return "plugin";
    case Role::PluginReviewer:
        return "plugin-review";
    case Role::PluginBasic:
        return "plugin-basic";
    case Role::None:
        return "none";
    }
    return "none";
}

bool Rbac::allowed(const std::string& user, Action action) const {
    auto it = users_.find(user);
    if (it == users_.end()) {
        return false;
    }
    switch (it->second) {
    case Role::Admin:
        return true;
    case Role::Plugin:
    case Role::PluginReviewer:
    case Role::PluginBasic:
        if (action == Action::SubmitReviewForUsers) {
            return it->second == Role::PluginReviewer;
        }
        if (action == Action::ReadUsers || action == Action::ReadRules || action == Action::ListResources ||
            action == Action::ReadRoles) {
            return it->second != Role::PluginBasic;
        }
        return action == Action::Ping || action == Action::WatchAccessRequests ||
               action == Action::ReadAccessRequests || action == Action::ReadPluginData ||
               action == Action::UpdatePluginData;
    case Role::None:
        return action == Action::Ping;
    }
    return false;
}

}  // namespace tmsteams::fakeauth

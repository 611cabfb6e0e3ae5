// The fake tenant's directory, loaded from JSON: app registrations with their secrets and
// granted Graph permissions, users, and teams with channels.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tmsteams::fakegraph {

struct AppRegistration {
    std::string id;       // the AAD application (client) id; also the bot id
    std::string secret;
    std::string displayName;
    std::set<std::string> permissions;  // Graph application permissions with admin consent
};

struct DirectoryUser {
    std::string id;  // AAD object id
    std::string mail;  // may be empty
    std::string userPrincipalName;
    std::string displayName;
    std::string jobTitle;
};

struct Channel {
    std::string id;  // 19:...@thread.tacv2
    std::string name;
};

struct Team {
    std::string id;  // group id
    std::string displayName;
    std::vector<Channel> channels;
};

struct Directory {
    std::string tenantId;
    std::string tenantDomain;
    std::vector<AppRegistration> apps;
    std::vector<DirectoryUser> users;
    std::vector<Team> teams;

    const AppRegistration* app(const std::string& id) const;
    const DirectoryUser* userById(const std::string& id) const;
    const Team* team(const std::string& id) const;
    // The team a channel belongs to, and the channel.
    std::optional<std::pair<const Team*, const Channel*>> channel(const std::string& id) const;
};

// Parses the directory; on error returns nullopt and sets `error` (with the JSON path).
std::optional<Directory> parseDirectory(const std::string& json, std::string& error);

}  // namespace tmsteams::fakegraph

// Microsoft Graph v1.0 calls the plugin makes: app catalog, users, app installations, chats.
#pragma once

#include <optional>
#include <stop_token>
#include <string>

#include <absl/status/statusor.h>

#include "msapi/api_caller.h"

namespace tmsteams::msapi {

struct TeamsApp {
    std::string id;          // catalog id
    std::string externalId;  // the manifest id (teams_app_id)
    std::string displayName;
    std::string distributionMethod;
};

struct GraphUser {
    std::string id;
    std::string displayName;
    std::string mail;
    std::string userPrincipalName;
};

struct Installation {
    std::string id;  // the installation id (base64)
    TeamsApp app;
};

// Deadline and cancellation for one logical operation (it may make several calls).
struct CallContext {
    std::chrono::steady_clock::time_point deadline;
    std::stop_token stop;
};

class GraphClient {
public:
    // `baseUrl` ends in /v1.0, e.g. https://graph.microsoft.com/v1.0.
    GraphClient(ApiCaller& caller, std::string baseUrl);

    // The org catalog app with this manifest id; kNotFound when not uploaded.
    absl::StatusOr<TeamsApp> getTeamsApp(const std::string& externalId, const CallContext& ctx);
    // Looks the address up by mail, then by userPrincipalName; kNotFound when neither matches.
    absl::StatusOr<GraphUser> getUserByEmail(const std::string& email, const CallContext& ctx);
    absl::StatusOr<GraphUser> getUserById(const std::string& id, const CallContext& ctx);
    absl::StatusOr<std::optional<Installation>> getAppForUser(const std::string& userId,
                                                             const std::string& catalogAppId,
                                                             const CallContext& ctx);
    // Installs the app in the user's personal scope; already installed counts as success.
    absl::Status installAppForUser(const std::string& userId, const std::string& catalogAppId,
                                   const CallContext& ctx);
    absl::Status uninstallAppForUser(const std::string& userId, const std::string& installationId,
                                     const CallContext& ctx);
    absl::StatusOr<std::string> getChatForInstallation(const std::string& userId,
                                                       const std::string& installationId,
                                                       const CallContext& ctx);
    absl::StatusOr<std::optional<Installation>> getAppForTeam(const std::string& teamId,
                                                             const std::string& catalogAppId,
                                                             const CallContext& ctx);

private:
    absl::StatusOr<std::vector<GraphUser>> findUsers(const std::string& field, const std::string& value,
                                                     const CallContext& ctx);
    absl::StatusOr<std::optional<Installation>> getInstalled(const std::string& path,
                                                            const std::string& catalogAppId,
                                                            const CallContext& ctx, const char* what);

    ApiCaller& caller_;
    std::string base_;
};

// OData string literal: quotes doubled, wrapped in single quotes.
std::string odataLiteral(const std::string& value);
// A query value encoded for a URL ("%20" for spaces, "%27" for quotes, ...).
std::string urlEncode(const std::string& value);

}  // namespace tmsteams::msapi

// The plugin's TOML configuration, compatible with the Go plugin's /etc/teleport-msteams.toml.
// Errors name the file, line and key; unknown keys produce warnings.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace tmsteams::plugin {

struct TeleportConfig {
    std::string addr = "localhost:3025";
    std::string identity;
    bool refreshIdentity = false;
    std::chrono::seconds refreshIdentityInterval{60};
    std::string clientKey;
    std::string clientCrt;
    std::string rootCas;
    // Reach Auth through a Proxy with TLS routing; unset: when addr's port is 443 or 3080.
    std::optional<bool> tlsRouting;
};

struct MsApiConfig {
    std::string cloud = "global";  // global, usgov, dod, china: picks the endpoints below
    std::string appId;
    std::string appSecret;  // the secret itself, read from the file when configured as a path
    std::string tenantId;
    std::string teamsAppId;
    std::string region = "emea";
    std::string loginEndpoint = "https://login.microsoftonline.com";
    std::string graphEndpoint = "https://graph.microsoft.com";
    std::string botEndpoint = "https://smba.trafficmanager.net";
    std::string graphScope = "https://graph.microsoft.com/.default";
    std::string botScope = "https://api.botframework.com/.default";
    std::string caFile;
    std::string defaultRecipient;  // newer Go plugin: who gets cards when no role mapping names anyone
    bool botPacing = true;  // pace Bot Framework calls under Teams' published limits
};

struct LogConfig {
    std::string output = "stderr";
    std::string severity = "INFO";
    std::string format = "text";
};

struct HttpConfig {
    std::string listen;  // host:port for /healthz, /readyz, /metrics; empty = off
};

// Approve and Deny from the card ([review]); off by default.
struct ReviewConfig {
    bool enabled = false;
    std::string listen;   // host:port of the HTTPS messaging endpoint
    std::string tlsCert;  // PEM files for it
    std::string tlsKey;
    std::string userIdTrait = "msteams_uid";  // Teleport trait holding the Teams (Entra ID) user id
    bool allowEmailUsernameMatch = false;     // else only the trait maps a Teams user
    std::string openIdMetadata;  // Bot Framework OpenID metadata; default per cloud
    std::string issuer;          // expected token issuer; default per cloud
};

// [reminders]: nudges for requests that stay pending, then escalation.
struct RemindersConfig {
    std::chrono::seconds after{0};   // 0 = off
    std::chrono::seconds repeat{0};  // between reminders; default `after`
    int max = 3;                     // reminders before escalating
    std::vector<std::string> escalateTo;
};

struct Config {
    std::string path;
    bool preload = false;
    bool notifyRequester = false;  // the requester gets a copy of the card and the outcome
    RemindersConfig reminders;
    TeleportConfig teleport;
    MsApiConfig msapi;
    std::map<std::string, std::vector<std::string>> roleToRecipients;
    LogConfig log;
    HttpConfig http;
    ReviewConfig review;
    std::vector<std::string> warnings;  // "FILE:LINE: KEY: unknown key", ...
};

absl::StatusOr<Config> loadConfig(const std::string& path);

// The endpoints of a Microsoft cloud; false for an unknown name.
struct CloudEndpoints {
    std::string login, graph, bot, graphScope, botScope, region;
};
bool cloudEndpoints(const std::string& cloud, CloudEndpoints& out);
// Parses TOML text; `path` is used in messages and to resolve nothing else.
absl::StatusOr<Config> parseConfig(const std::string& text, const std::string& path);

}  // namespace tmsteams::plugin

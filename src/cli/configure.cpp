// teleport-msteams configure: writes the config, the Teams app package and a Teleport role.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include <toml++/toml.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/files.h"
#include "common/uuid.h"
#include "teams/app_package.h"
#include "teams/icons.h"

namespace tmsteams::cli {

namespace {

constexpr const char* StateFile = ".teleport-msteams-configure";

const char* About = R"(Writes into DIR: teleport-msteams.toml, manifest.json, color.png, outline.png,
teleport-msteams-role.yaml and app.zip (upload it to Teams). The secret may also come from
$TELEPORT_MSTEAMS_APP_SECRET. Re-running keeps the Teams app id (so an uploaded app.zip keeps
matching) unless --new-app-id, and refuses to overwrite files you changed unless --force.)";

CommandOptions configureOptions() {
    CommandOptions o("configure",
                     "DIR --appID ID --tenantID TENANT (--appSecret SECRET | --appSecretFile PATH) "
                     "[--new-app-id] [--force] [--review-endpoint URL]",
                     About);
    o.add("appID", "", "the Entra ID app registration's application (client) id", "ID")
        .add("tenantID", "", "the Entra ID tenant (directory) id", "TENANT")
        .add("appSecret", "", "the app registration's client secret", "SECRET")
        .add("appSecretFile", "", "read the client secret from this file (an absolute path) at start", "PATH")
        .add("new-app-id", "", "give the Teams app a new id (the app.zip must be uploaded as a new app)")
        .add("force", "", "overwrite files in DIR that were changed since the last run")
        .add("review-endpoint", "",
             "turn on Approve and Deny in the cards: the bot's public HTTPS messaging endpoint (set it in the "
             "Azure Bot registration); the config gets a [review] section and the role may review on the "
             "reviewers' behalf",
             "URL");
    return o;
}

std::string sha256(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    std::string hex;
    char buf[3];
    for (unsigned i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", md[i]);
        hex += buf;
    }
    return hex;
}

bool isGuid(const std::string& s) {
    static const std::regex guid("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$");
    return std::regex_match(s, guid);
}

}  // namespace

// A TOML basic string: quotes, backslashes and control characters escaped, nothing else changed.
std::string tomlString(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7F) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04X", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

// The [review] section for `--review-endpoint URL`: Teams posts card actions to URL (set it as
// the Azure Bot's messaging endpoint); the daemon serves it at `listen` behind whatever
// forwards URL there.
std::string reviewSection(const std::string& endpoint) {
    if (endpoint.empty()) {
        return "";
    }
    std::string port = "443";
    auto scheme = endpoint.find("://");
    auto hostStart = scheme == std::string::npos ? 0 : scheme + 3;
    auto pathStart = endpoint.find('/', hostStart);
    auto hostPort = endpoint.substr(hostStart, pathStart == std::string::npos ? std::string::npos : pathStart - hostStart);
    if (auto colon = hostPort.rfind(':'); colon != std::string::npos && hostPort.find(']', colon) == std::string::npos) {
        port = hostPort.substr(colon + 1);
    }
    return "\n[review]\n"
           "# Approve and Deny in the card. Set the Azure Bot's messaging endpoint to\n"
           "# " + endpoint + " and have it reach `listen` (HTTPS, with this certificate).\n"
           "# Reviews from chat skip Teleport's MFA and device trust: see README, \"Reviews from Teams\".\n"
           "enabled = true\n"
           "listen = " + tomlString("0.0.0.0:" + port) + "\n"
           "tls_cert = \"/etc/teleport-msteams/tls.crt\"\n"
           "tls_key = \"/etc/teleport-msteams/tls.key\"\n"
           "# The Teleport trait holding each reviewer's Entra ID object id.\n"
           "user_id_trait = \"msteams_uid\"\n"
           "# Also match a Teams user whose email equals a Teleport user name.\n"
           "allow_email_username_match = false\n";
}

std::string configTemplate(const std::string& appId, const std::string& secretValue, const std::string& tenantId,
                           const std::string& teamsAppId, const std::string& reviewEndpoint) {
    return "# teleport-msteams configuration, written by `teleport-msteams configure`.\n"
           "# Teleport's Go plugin reads this file too.\n\n"
           "# Resolve every recipient below at start (install the app, find the chat) so the first\n"
           "# card goes out without delay.\n"
           "preload = true\n\n"
           "[teleport]\n"
           "# The Auth Service (port 3025) the plugin connects to.\n"
           "addr = \"localhost:3025\"\n"
           "# Credentials from `tctl auth sign --user=teleport-msteams --out=identity` (or tbot).\n"
           "identity = \"identity\"\n"
           "# With Machine ID (tbot), re-read the identity file as it is renewed:\n"
           "# refresh_identity = true\n"
           "# refresh_identity_interval = \"1m\"\n\n"
           "[msapi]\n"
           "# The Entra ID app registration.\n"
           "app_id = " + tomlString(appId) + "\n"
           "# The client secret; a value starting with \"/\" names a file that holds it.\n"
           "app_secret = " + tomlString(secretValue) + "\n"
           "tenant_id = " + tomlString(tenantId) + "\n"
           "# The id in manifest.json: the app uploaded to Teams must carry the same one.\n"
           "teams_app_id = " + tomlString(teamsAppId) + "\n"
           "# Bot Framework region of your tenant: emea, amer or apac.\n"
           "region = \"emea\"\n\n"
           "[role_to_recipients]\n"
           "# Who gets a card for a request of each role: emails, Entra ID user ids, or channel\n"
           "# links (Teams: channel > Get link to channel). \"*\" is required: roles not listed.\n"
           "\"*\" = [\"reviewer@example.com\"]\n\n"
           "[log]\n"
           "output = \"stderr\"  # stderr, stdout or a file path\n"
           "severity = \"INFO\"  # DEBUG, INFO, WARN or ERROR\n"
           "format = \"text\"    # text or json\n" + reviewSection(reviewEndpoint);
}

std::string roleYaml(bool reviews) {
    return "# Create with: tctl create -f teleport-msteams-role.yaml\n"
           "kind: role\n"
           "version: v7\n"
           "metadata:\n"
           "  name: teleport-msteams\n"
           "spec:\n"
           "  allow:\n"
           "    rules:\n"
           "      - resources: [access_request]\n"
           "        verbs: [list, read]\n"
           "      - resources: [access_plugin_data]\n"
           "        verbs: [update]\n"
           "      # Routing by access monitoring rules (Notification Routing Rules).\n"
           "      - resources: [access_monitoring_rule]\n"
           "        verbs: [list, read]\n"
           "      # Cards name requested resources and the logins of requested roles.\n"
           "      - resources: [node, app_server, db_server, kube_cluster]\n"
           "        verbs: [list, read]\n"
           "      - resources: [role]\n"
           "        verbs: [read]\n" +
           std::string(reviews ? "      # Reviews from Teams: find reviewers by trait, review as them.\n"
                                 "      - resources: [user]\n"
                                 "        verbs: [list, read]\n"
                                 "    review_requests:\n"
                                 "      submit_for_users: [\"*\"]\n"
                               : "      # user.traits in routing rule conditions.\n"
                                 "      - resources: [user]\n"
                                 "        verbs: [read]\n") +
           // Teleport lists only resources whose labels a role allows. These grant no access by
           // themselves (no logins, database users or Kubernetes groups); apps are left out, as
           // app labels alone would grant access, so app cards keep their ids.
           "    node_labels: {'*': '*'}\n"
           "    db_labels: {'*': '*'}\n"
           "    kubernetes_labels: {'*': '*'}\n"
           "---\n"
           "kind: user\n"
           "version: v2\n"
           "metadata:\n"
           "  name: teleport-msteams\n"
           "spec:\n"
           "  roles: [teleport-msteams]\n";
}

int runConfigure(const std::vector<std::string>& args) {
    const auto options = configureOptions();
    int exitCode = 0;
    auto parsed = options.parse(args, exitCode);
    if (!parsed) {
        return exitCode;
    }
    if (parsed->positional.size() > 1) {
        return options.usageError("unexpected argument " + parsed->positional[1]);
    }
    std::string dir = parsed->positional.empty() ? "" : parsed->positional[0];
    std::string appId = parsed->get("appID"), secret = parsed->get("appSecret"),
                secretFile = parsed->get("appSecretFile"), tenantId = parsed->get("tenantID"),
                reviewEndpoint = parsed->get("review-endpoint");
    const bool newAppId = parsed->has("new-app-id"), force = parsed->has("force");
    if (secret.empty() && secretFile.empty()) {
        if (const char* env = std::getenv("TELEPORT_MSTEAMS_APP_SECRET")) {
            secret = env;
        }
    }
    if (dir.empty() || appId.empty() || tenantId.empty() || (secret.empty() && secretFile.empty())) {
        return options.usageError("DIR, --appID, --tenantID and a secret are required");
    }
    if (!isGuid(appId)) {
        std::cerr << "teleport-msteams configure: --appID must be the app registration's GUID\n";
        return 2;
    }
    if (!reviewEndpoint.empty() && reviewEndpoint.rfind("https://", 0) != 0) {
        std::cerr << "teleport-msteams configure: --review-endpoint must be an https:// URL (Teams calls HTTPS only)\n";
        return 2;
    }
    std::string secretValue = secret;
    if (!secretFile.empty()) {
        if (secretFile[0] != '/') {
            std::cerr << "teleport-msteams configure: --appSecretFile must be an absolute path\n";
            return 2;
        }
        auto content = common::readFile(secretFile);
        if (!content.ok()) {
            std::cerr << "teleport-msteams configure: " << content.status().message() << "\n";
            return 1;
        }
        secretValue = secretFile;  // the config points at the file; the secret stays there
    } else if (secret[0] == '/') {
        std::cerr << "teleport-msteams configure: a secret starting with \"/\" would be read as a file path; "
                     "put it in a file and use --appSecretFile\n";
        return 2;
    }

    ::mkdir(dir.c_str(), 0700);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::cerr << "teleport-msteams configure: cannot create the folder " << dir << "\n";
        return 1;
    }
    const std::string tomlPath = dir + "/teleport-msteams.toml";
    std::string teamsAppId;
    if (!newAppId) {
        if (auto existing = common::readFile(tomlPath); existing.ok()) {
            try {
                auto t = toml::parse(*existing, tomlPath);
                teamsAppId = t["msapi"]["teams_app_id"].value_or(std::string());
            } catch (const toml::parse_error&) {
            }
        }
    }
    bool keptId = !teamsAppId.empty();
    if (teamsAppId.empty()) {
        teamsAppId = common::newUuid();
    }

    // What we wrote last time, to tell our files from files the user edited.
    std::map<std::string, std::string> recorded;
    if (auto state = common::readFile(dir + "/" + StateFile); state.ok()) {
        std::istringstream in(*state);
        std::string hash, name;
        while (in >> hash >> name) {
            recorded[name] = hash;
        }
    }
    const std::string manifest = teams::buildManifest({appId, teamsAppId, teams::AppVersion, !reviewEndpoint.empty()});
    const std::string color = teams::colorIconPng();
    const std::string outline = teams::outlineIconPng();
    const std::vector<std::pair<std::string, std::string>> files = {
        {"teleport-msteams.toml", configTemplate(appId, secretValue, tenantId, teamsAppId, reviewEndpoint)},
        {"manifest.json", manifest},
        {"color.png", color},
        {"outline.png", outline},
        {"teleport-msteams-role.yaml", roleYaml(!reviewEndpoint.empty())},
        {"app.zip", teams::buildAppZip(manifest, color, outline)},
    };
    for (const auto& [name, data] : files) {
        auto current = common::readFile(dir + "/" + name);
        if (!current.ok() || *current == data || force) {
            continue;
        }
        auto it = recorded.find(name);
        bool ours = it != recorded.end() && it->second == sha256(*current);
        // The config is where users fill in credentials: never replace it once edited.
        if (!ours) {
            std::cerr << "teleport-msteams configure: " << dir << "/" << name
                      << " was changed since configure wrote it; not overwriting it (use --force)\n";
            return 1;
        }
    }
    std::string state;
    size_t step = 0;
    bool manifestChanged = false;  // an older configure's app is in Teams: it must be uploaded again
    for (const auto& [name, data] : files) {
        ++step;
        const std::string path = dir + "/" + name;
        auto current = common::readFile(path);
        bool same = current.ok() && *current == data;
        manifestChanged |= name == "manifest.json" && current.ok() && !same;
        if (!same) {
            int mode = name == "teleport-msteams.toml" ? 0600 : 0644;  // it may hold the secret
            if (auto s = common::writeFileAtomic(path, data, mode); !s.ok()) {
                std::cerr << "teleport-msteams configure: " << s.message() << "\n";
                return 1;
            }
        }
        std::cout << "[" << step << "/" << files.size() << "] " << path << (same ? " (unchanged)" : "") << "\n";
        state += sha256(data) + " " + name + "\n";
    }
    if (auto s = common::writeFileAtomic(dir + "/" + StateFile, state, 0600); !s.ok()) {
        std::cerr << "teleport-msteams configure: " << s.message() << "\n";
        return 1;
    }
    if (manifestChanged && keptId) {
        std::cout << "\nmanifest.json changed (this version names the app registration in webApplicationInfo, which\n"
                     "Graph requires to install the app for reviewers): upload app.zip again in the Teams admin\n"
                     "center (Manage apps > the app > Upload file). The Teams app id is kept.\n";
    }
    if (!reviewEndpoint.empty()) {
        std::cout << "\nApprove and Deny in Teams: the plugin submits each review on the reviewer's behalf, which\n"
                     "only Teleport clusters with reviews on behalf of users accept (Teleport's RFD 250, a draft;\n"
                     "no published Teleport version is known to have it). Elsewhere reviewers are sent to the web\n"
                     "UI. Step 5 (validate) finds out which your cluster is.\n";
    }
    std::cout << "\nTeams app id: " << teamsAppId << (keptId ? " (kept from the existing config)" : " (new)")
              << "\n\nNext steps:\n"
              << "  1. Upload " << dir << "/app.zip in the Teams admin center (Manage apps > Upload new app).\n"
              << "  2. Grant the app registration these Microsoft Graph application permissions, with admin consent:\n"
              << "     AppCatalog.Read.All, User.Read.All, TeamsAppInstallation.ReadWriteSelfForUser.All,\n"
              << "     TeamsAppInstallation.ReadWriteSelfForTeam.All\n"
              << "  3. Create the Teleport role and user: tctl create -f " << dir << "/teleport-msteams-role.yaml\n"
              << "     and sign an identity: tctl auth sign --user=teleport-msteams --out=" << dir << "/identity\n"
              << "  4. Edit " << tomlPath << ": [teleport] addr and [role_to_recipients].\n"
              << "  5. Check everything: teleport-msteams validate -c " << tomlPath << " you@example.com\n";
    return 0;
}

}  // namespace tmsteams::cli

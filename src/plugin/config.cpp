// The plugin's TOML configuration.
#include "plugin/config.h"

#include <cstdio>
#include <set>

#include <sys/stat.h>

#include <toml++/toml.h>

#include "common/duration.h"
#include "common/files.h"
#include "common/log.h"
#include "plugin/config_toml.h"

namespace tmsteams::plugin {

namespace {

using namespace configtoml;

const toml::table* section(const std::string& path, const toml::table& root, const std::string& name) {
    const toml::node* n = root.get(name);
    if (!n) {
        return nullptr;
    }
    if (!n->is_table()) {
        throw ConfigError(where(path, *n, name) + ": must be a table ([" + name + "])");
    }
    return n->as_table();
}

std::string trimRight(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
        s.pop_back();
    }
    return s;
}

std::string stripSlash(std::string s) {
    while (!s.empty() && s.back() == '/') {
        s.pop_back();
    }
    return s;
}

Config build(const toml::table& root, const std::string& path) {
    Config c;
    c.path = path;
    c.preload = getBool(path, root, "", "preload", false);
    c.notifyRequester = getBool(path, root, "", "notify_requester", false);
    warnUnknown(path, root, "", {"preload", "notify_requester", "teleport", "msapi", "role_to_recipients", "log", "http",
                                 "review", "reminders"},
                c.warnings);

    if (const toml::table* t = section(path, root, "teleport")) {
        const std::string s = "teleport.";
        auto& tc = c.teleport;
        std::string addr = getString(path, *t, s, "addr", "");
        std::string authServer = getString(path, *t, s, "auth_server", "");
        if (!addr.empty() && !authServer.empty() && addr != authServer) {
            throw ConfigError(where(path, *t->get("addr"), s + "addr") +
                              ": set addr or its old name auth_server, not both");
        }
        tc.addr = !addr.empty() ? addr : !authServer.empty() ? authServer : tc.addr;
        tc.identity = getString(path, *t, s, "identity", "");
        tc.refreshIdentity = getBool(path, *t, s, "refresh_identity", false);
        if (const toml::node* n = t->get("refresh_identity_interval")) {
            auto d = common::parseGoDuration(n->value<std::string>().value_or("?"));
            if (!d || d->count() <= 0) {
                throw ConfigError(where(path, *n, s + "refresh_identity_interval") +
                                  ": must be a duration such as \"1m\" or \"30s\"");
            }
            tc.refreshIdentityInterval = std::chrono::duration_cast<std::chrono::seconds>(*d);
        }
        tc.clientKey = getString(path, *t, s, "client_key", "");
        tc.clientCrt = getString(path, *t, s, "client_crt", "");
        tc.rootCas = getString(path, *t, s, "root_cas", "");
        if (t->get("tls_routing")) {
            tc.tlsRouting = getBool(path, *t, s, "tls_routing", false);
        }
        int tlsParts = !tc.clientKey.empty() + !tc.clientCrt.empty() + !tc.rootCas.empty();
        if (tlsParts != 0 && tlsParts != 3) {
            throw ConfigError(where(path, *t, "teleport") +
                              ": client_key, client_crt and root_cas go together: set all three or none");
        }
        if (tlsParts == 3 && !tc.identity.empty()) {
            throw ConfigError(where(path, *t->get("identity"), s + "identity") +
                              ": use either identity or client_key/client_crt/root_cas, not both");
        }
        warnUnknown(path, *t, s,
                    {"addr", "auth_server", "identity", "refresh_identity", "refresh_identity_interval",
                     "client_key", "client_crt", "root_cas", "tls_routing"},
                    c.warnings);
    }

    const toml::table* m = section(path, root, "msapi");
    if (!m) {
        throw ConfigError(path + ": [msapi] is required (app_id, app_secret, tenant_id, teams_app_id)");
    }
    {
        const std::string s = "msapi.";
        auto& mc = c.msapi;
        for (auto [key, field] : {std::pair<const char*, std::string*>{"app_id", &mc.appId},
                                  {"app_secret", &mc.appSecret},
                                  {"tenant_id", &mc.tenantId},
                                  {"teams_app_id", &mc.teamsAppId}}) {
            *field = getString(path, *m, s, key, "");
            if (field->empty()) {
                throw ConfigError(where(path, *m, s + key) + ": is required");
            }
        }
        if (const toml::node* cn = m->get("cloud")) {
            mc.cloud = getString(path, *m, s, "cloud", "global");
            CloudEndpoints ep;
            if (!cloudEndpoints(mc.cloud, ep)) {
                throw ConfigError(where(path, *cn, s + "cloud") + ": must be global, usgov, dod or china");
            }
            mc.loginEndpoint = ep.login;
            mc.graphEndpoint = ep.graph;
            mc.botEndpoint = ep.bot;
            mc.graphScope = ep.graphScope;
            mc.botScope = ep.botScope;
            mc.region = ep.region;
            if (mc.cloud == "china" && !m->get("bot_endpoint")) {
                throw ConfigError(where(path, *cn, s + "cloud") +
                                  ": for china, also set bot_endpoint to your tenant's Teams service URL");
            }
        }
        if (mc.appSecret.front() == '/') {
            auto secret = common::readFile(mc.appSecret);
            if (!secret.ok()) {
                throw ConfigError(where(path, *m->get("app_secret"), s + "app_secret") +
                                  ": cannot read the secret file: " + std::string(secret.status().message()));
            }
            mc.appSecret = trimRight(*secret);
            struct stat st {};
            if (::stat(getString(path, *m, s, "app_secret", "").c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
                c.warnings.push_back(where(path, *m->get("app_secret"), s + "app_secret") +
                                     ": the secret file is readable by every user; chmod o-r it");
            }
            if (mc.appSecret.empty()) {
                throw ConfigError(where(path, *m->get("app_secret"), s + "app_secret") + ": the secret file is empty");
            }
        }
        mc.region = getString(path, *m, s, "region", mc.region);
        mc.loginEndpoint = stripSlash(getString(path, *m, s, "login_endpoint", mc.loginEndpoint));
        mc.graphEndpoint = stripSlash(getString(path, *m, s, "graph_endpoint", mc.graphEndpoint));
        mc.botEndpoint = stripSlash(getString(path, *m, s, "bot_endpoint", mc.botEndpoint));
        mc.graphScope = getString(path, *m, s, "graph_scope", mc.graphScope);
        mc.botScope = getString(path, *m, s, "bot_scope", mc.botScope);
        mc.caFile = getString(path, *m, s, "ca_file", "");
        mc.botPacing = getBool(path, *m, s, "bot_pacing", true);
        mc.defaultRecipient = getString(path, *m, s, "default_recipient", "");
        warnUnknown(path, *m, s,
                    {"cloud", "app_id", "app_secret", "tenant_id", "teams_app_id", "region", "login_endpoint",
                     "graph_endpoint", "bot_endpoint", "graph_scope", "bot_scope", "ca_file", "bot_pacing",
                     "default_recipient"},
                    c.warnings);
    }

    const toml::table* r = section(path, root, "role_to_recipients");
    const std::string& fallback = c.msapi.defaultRecipient;
    if (!r && fallback.empty()) {
        throw ConfigError(path + ": [role_to_recipients] is required, with at least the \"*\" key");
    }
    static const toml::table none;
    for (const auto& [k, v] : r ? *r : none) {
        std::string role(k.str());
        std::vector<std::string> list;
        if (auto str = v.value<std::string>(); v.is_string()) {
            list.push_back(*str);
        } else if (const toml::array* arr = v.as_array()) {
            for (const auto& item : *arr) {
                auto sv = item.value<std::string>();
                if (!item.is_string() || !sv) {
                    throw ConfigError(where(path, item, "role_to_recipients." + role) +
                                      ": recipients must be strings");
                }
                list.push_back(*sv);
            }
        } else {
            throw ConfigError(where(path, v, "role_to_recipients." + role) +
                              ": must be a string or an array of strings");
        }
        for (const auto& item : list) {
            if (item.empty()) {
                throw ConfigError(where(path, v, "role_to_recipients." + role) + ": empty recipient");
            }
        }
        c.roleToRecipients[role] = list;
    }
    // [msapi] default_recipient stands in for a missing or empty "*": it is who gets the card
    // when nothing else names anyone.
    if (auto star = c.roleToRecipients.find("*"); !fallback.empty() && (star == c.roleToRecipients.end() || star->second.empty())) {
        c.roleToRecipients["*"] = {fallback};
    }
    if (!c.roleToRecipients.count("*")) {
        throw ConfigError(where(path, *r, "role_to_recipients") +
                          ": the \"*\" key is required (or [msapi] default_recipient)");
    }

    if (const toml::table* l = section(path, root, "log")) {
        const std::string s = "log.";
        c.log.output = getString(path, *l, s, "output", c.log.output);
        c.log.severity = getString(path, *l, s, "severity", c.log.severity);
        c.log.format = getString(path, *l, s, "format", c.log.format);
        common::Severity sev;
        if (!common::parseSeverity(c.log.severity, sev)) {
            throw ConfigError(where(path, *l->get("severity"), s + "severity") +
                              ": must be DEBUG, INFO, WARN or ERROR");
        }
        if (c.log.format != "text" && c.log.format != "json") {
            throw ConfigError(where(path, *l->get("format"), s + "format") + ": must be \"text\" or \"json\"");
        }
        warnUnknown(path, *l, s, {"output", "severity", "format"}, c.warnings);
    }
    if (const toml::table* h = section(path, root, "http")) {
        c.http.listen = getString(path, *h, "http.", "listen", "");
        auto colon = c.http.listen.rfind(':');
        if (!c.http.listen.empty() && (colon == std::string::npos || colon + 1 == c.http.listen.size())) {
            throw ConfigError(where(path, *h->get("listen"), "http.listen") + ": must be host:port, e.g. 127.0.0.1:8081");
        }
        warnUnknown(path, *h, "http.", {"listen"}, c.warnings);
    }
    const bool government = c.msapi.cloud == "usgov" || c.msapi.cloud == "dod";
    c.review.openIdMetadata = government ? "https://login.botframework.azure.us/v1/.well-known/openidconfiguration"
                                         : "https://login.botframework.com/v1/.well-known/openidconfiguration";
    c.review.issuer = government ? "https://api.botframework.us" : "https://api.botframework.com";
    if (const toml::table* r = section(path, root, "reminders")) {
        const std::string s = "reminders.";
        auto duration = [&](const char* key) {
            const std::string text = getString(path, *r, s, key, "");
            if (text.empty()) {
                return std::chrono::seconds(0);
            }
            auto d = common::parseGoDuration(text);
            if (!d || *d < std::chrono::seconds(1)) {
                throw ConfigError(where(path, *r->get(key), s + key) + ": must be a duration of at least 1s, e.g. \"30m\"");
            }
            return std::chrono::duration_cast<std::chrono::seconds>(*d);
        };
        c.reminders.after = duration("after");
        c.reminders.repeat = duration("repeat");
        if (c.reminders.repeat.count() == 0) {
            c.reminders.repeat = c.reminders.after;
        }
        if (const toml::node* m = r->get("max")) {
            auto v = m->value<int64_t>();
            if (!m->is_integer() || !v || *v < 1 || *v > 100) {
                throw ConfigError(where(path, *m, s + "max") + ": must be a number from 1 to 100");
            }
            c.reminders.max = static_cast<int>(*v);
        }
        if (const toml::node* e = r->get("escalate_to")) {
            const toml::array* arr = e->as_array();
            if (!arr) {
                throw ConfigError(where(path, *e, s + "escalate_to") + ": must be a list of recipients");
            }
            for (const auto& item : *arr) {
                auto v = item.value<std::string>();
                if (!v || v->empty()) {
                    throw ConfigError(where(path, item, s + "escalate_to") + ": must be a list of recipients");
                }
                c.reminders.escalateTo.push_back(*v);
            }
        }
        if (c.reminders.after.count() == 0 && (r->get("repeat") || r->get("escalate_to") || r->get("max"))) {
            throw ConfigError(where(path, *r, s + "after") + ": is required to send reminders");
        }
        warnUnknown(path, *r, s, {"after", "repeat", "max", "escalate_to"}, c.warnings);
    }
    if (const toml::table* r = section(path, root, "review")) {
        const std::string s = "review.";
        auto& rc = c.review;
        rc.enabled = getBool(path, *r, s, "enabled", false);
        rc.listen = getString(path, *r, s, "listen", "");
        rc.tlsCert = getString(path, *r, s, "tls_cert", "");
        rc.tlsKey = getString(path, *r, s, "tls_key", "");
        rc.userIdTrait = getString(path, *r, s, "user_id_trait", rc.userIdTrait);
        rc.allowEmailUsernameMatch = getBool(path, *r, s, "allow_email_username_match", false);
        rc.openIdMetadata = getString(path, *r, s, "openid_metadata", rc.openIdMetadata);
        rc.issuer = getString(path, *r, s, "issuer", rc.issuer);
        if (rc.enabled) {
            auto colon = rc.listen.rfind(':');
            if (colon == std::string::npos || colon + 1 == rc.listen.size()) {
                throw ConfigError(where(path, r->get("listen") ? *r->get("listen") : *r, "review.listen") +
                                  ": must be host:port, e.g. 0.0.0.0:8443");
            }
            for (const auto& [key, value] : {std::pair{"tls_cert", &rc.tlsCert}, std::pair{"tls_key", &rc.tlsKey}}) {
                if (value->empty()) {
                    throw ConfigError(where(path, *r, "review." + std::string(key)) +
                                      ": is required: Teams only calls HTTPS endpoints");
                }
            }
            if (rc.userIdTrait.empty()) {
                throw ConfigError(where(path, r->get("user_id_trait") ? *r->get("user_id_trait") : *r,
                                        "review.user_id_trait") + ": must not be empty");
            }
        }
        warnUnknown(path, *r, s, {"enabled", "listen", "tls_cert", "tls_key", "user_id_trait",
                                  "allow_email_username_match", "openid_metadata", "issuer"},
                    c.warnings);
    }
    return c;
}

// Error text quotes pieces of the file; control characters in them must not split the one
// line a failed start prints.
std::string oneLine(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

absl::StatusOr<Config> parseConfig(const std::string& text, const std::string& path) {
    try {
        toml::table root = toml::parse(text, path);
        return build(root, path);
    } catch (const toml::parse_error& e) {
        return absl::InvalidArgumentError(path + ":" + std::to_string(e.source().begin.line) + ":" +
                                          std::to_string(e.source().begin.column) + ": " +
                                          oneLine(std::string(e.description())));
    } catch (const ConfigError& e) {
        return absl::InvalidArgumentError(oneLine(e.what()));
    }
}

bool cloudEndpoints(const std::string& cloud, CloudEndpoints& out) {
    if (cloud == "global") {
        out = {"https://login.microsoftonline.com", "https://graph.microsoft.com", "https://smba.trafficmanager.net",
               "https://graph.microsoft.com/.default", "https://api.botframework.com/.default", "emea"};
    } else if (cloud == "usgov") {  // GCC High
        out = {"https://login.microsoftonline.us", "https://graph.microsoft.us", "https://smba.infra.gov.teams.microsoft.us",
               "https://graph.microsoft.us/.default", "https://api.botframework.us/.default", "teams"};
    } else if (cloud == "dod") {
        out = {"https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
               "https://smba.infra.dod.teams.microsoft.us", "https://dod-graph.microsoft.us/.default",
               "https://api.botframework.us/.default", "teams"};
    } else if (cloud == "china") {  // operated by 21Vianet
        out = {"https://login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn", "",
               "https://microsoftgraph.chinacloudapi.cn/.default", "https://api.botframework.azure.cn/.default", "teams"};
    } else {
        return false;
    }
    return true;
}

absl::StatusOr<Config> loadConfig(const std::string& path) {
    auto text = common::readFile(path);
    if (!text.ok()) {
        return text.status();
    }
    return parseConfig(*text, path);
}

}  // namespace tmsteams::plugin

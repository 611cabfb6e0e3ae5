// Microsoft Graph v1.0: app catalog, users, app installations for users and teams, chats.
#include <openssl/evp.h>

#include <regex>
#include <set>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include "routes.h"

namespace tmsteams::fakegraph {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* GraphBase = "https://graph.microsoft.com/v1.0";

// Authenticates a Graph call; false (and the 401 written) when the token is not good for Graph.
std::optional<TokenInfo> authenticate(Exchange& ex, FakeState& state) {
    std::string raw = ex.bearerToken();
    if (raw.empty()) {
        graphError(ex, 401, "InvalidAuthenticationToken", "Access token is empty.");
        return std::nullopt;
    }
    auto tok = state.token(raw);
    if (!tok) {
        graphError(ex, 401, "InvalidAuthenticationToken",
                   "CompactToken parsing failed with error code: 80049217");
        return std::nullopt;
    }
    if (tok->audience != Audience::Graph) {
        graphError(ex, 401, "InvalidAuthenticationToken",
                   "Access token validation failure. Invalid audience.");
        return std::nullopt;
    }
    if (tok->revoked || tok->expiresAt <= std::chrono::system_clock::now()) {
        graphError(ex, 401, "InvalidAuthenticationToken",
                   "Access token has expired or is not yet valid.");
        return std::nullopt;
    }
    return tok;
}

// Checks that the caller's app registration holds one of `anyOf`; writes the 403 if not.
bool permitted(Exchange& ex, FakeState& state, const TokenInfo& tok,
               std::initializer_list<const char*> anyOf) {
    const AppRegistration* app = state.directory().app(tok.appId);
    std::string names;
    for (const char* p : anyOf) {
        if (app && app->permissions.count(p)) {
            return true;
        }
        names += (names.empty() ? "" : ", ") + std::string(p);
    }
    graphError(ex, 403, "Authorization_RequestDenied",
               "Insufficient privileges to complete the operation. The application needs one of "
               "these application permissions: " + names + ".");
    return false;
}

Object::Ptr teamsAppJson(const CatalogApp& app) {
    auto o = newObject();
    o->set("id", app.id);
    o->set("externalId", app.externalId);
    o->set("displayName", app.displayName);
    o->set("distributionMethod", app.distributionMethod);
    return o;
}

Object::Ptr userJson(const DirectoryUser& u) {
    auto o = newObject();
    o->set("businessPhones", Array::Ptr(new Array));
    o->set("displayName", u.displayName);
    o->set("jobTitle", u.jobTitle.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(u.jobTitle));
    o->set("mail", u.mail.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(u.mail));
    o->set("userPrincipalName", u.userPrincipalName);
    o->set("id", u.id);
    return o;
}

void listResponse(Exchange& ex, const std::string& context, const Array::Ptr& values) {
    auto root = newObject();
    root->set("@odata.context", std::string(GraphBase) + "/$metadata#" + context);
    root->set("value", values);
    ex.json(200, root);
}

bool parseFilterParam(Exchange& ex, std::string& field, std::string& literal) {
    std::string filter = ex.param("$filter");
    if (filter.empty()) {
        field.clear();
        return true;
    }
    if (!parseEqFilter(filter, field, literal)) {
        graphError(ex, 400, "BadRequest", "Invalid filter clause: Syntax error in '" + filter + "'.");
        return false;
    }
    return true;
}

const DirectoryUser* userByPathId(const FakeState& state, const std::string& key) {
    for (const auto& u : state.directory().users) {
        if (u.id == key || lower(u.userPrincipalName) == lower(key)) {
            return &u;
        }
    }
    return nullptr;
}

std::string installationId(const std::string& scope, const std::string& appId) {
    return base64Encode(scope + "##" + appId);
}

// Decodes an installation id into (scope, catalog app id).
std::optional<std::pair<std::string, std::string>> decodeInstallationId(const std::string& id) {
    std::string padded = id;
    while (padded.size() % 4) {
        padded += '=';
    }
    std::string out(padded.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(padded.data()),
                            static_cast<int>(padded.size()));
    if (n < 0) {
        return std::nullopt;
    }
    out.resize(static_cast<size_t>(n));
    while (!out.empty() && out.back() == '\0') {
        out.pop_back();
    }
    auto sep = out.find("##");
    if (sep == std::string::npos) {
        return std::nullopt;
    }
    return std::make_pair(out.substr(0, sep), out.substr(sep + 2));
}

void notFound(Exchange& ex, const std::string& what) {
    graphError(ex, 404, "NotFound", "The requested resource '" + what + "' does not exist.");
}

void methodNotAllowed(Exchange& ex) {
    graphError(ex, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.");
}

}  // namespace

// POST of an app package (application/zip): unpacks it, checks the manifest, adds the app.
void publishAppPackage(Exchange& ex, FakeState& state, bool adminUpload) {
    std::string manifest;
    std::set<std::string> names;
    try {
        std::istringstream zip(ex.body);
        Poco::Zip::ZipArchive archive(zip);
        for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
            names.insert(it->first);
            if (it->first == "manifest.json") {
                std::istringstream again(ex.body);
                Poco::Zip::ZipInputStream in(again, it->second);
                std::ostringstream out;
                out << in.rdbuf();
                manifest = out.str();
            }
        }
    } catch (const Poco::Exception& e) {
        graphError(ex, 400, "BadRequest", "The app package is not a valid zip file: " + e.displayText());
        return;
    }
    if (manifest.empty()) {
        graphError(ex, 400, "BadRequest", "manifest.json is missing at the root of the app package.");
        return;
    }
    CatalogApp app;
    try {
        Poco::JSON::Parser parser;
        auto m = parser.parse(manifest).extract<Object::Ptr>();
        app.externalId = m->optValue<std::string>("id", "");
        auto name = m->getObject("name");
        app.displayName = name ? name->optValue<std::string>("short", "") : "";
        auto icons = m->getObject("icons");
        std::string color = icons ? icons->optValue<std::string>("color", "") : "";
        std::string outline = icons ? icons->optValue<std::string>("outline", "") : "";
        static const std::regex guid("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$");
        if (!std::regex_match(app.externalId, guid)) {
            graphError(ex, 400, "BadRequest", "Manifest id must be a GUID.");
            return;
        }
        if (m->optValue<std::string>("manifestVersion", "").empty() ||
            m->optValue<std::string>("version", "").empty() || app.displayName.empty()) {
            graphError(ex, 400, "BadRequest",
                       "Manifest is missing manifestVersion, version or name.short.");
            return;
        }
        if (color.empty() || outline.empty() || !names.count(color) || !names.count(outline)) {
            graphError(ex, 400, "BadRequest", "The icons named in the manifest must be in the package.");
            return;
        }
        if (auto web = m->getObject("webApplicationInfo")) {
            app.webAppId = web->optValue<std::string>("id", "");
        }
        if (auto bots = m->getArray("bots"); bots && bots->size() > 0) {
            app.botId = bots->getObject(0)->optValue<std::string>("botId", "");
        }
    } catch (const Poco::Exception& e) {
        graphError(ex, 400, "BadRequest", "manifest.json is not valid JSON: " + e.displayText());
        return;
    }
    const bool update = state.catalogByExternalId(app.externalId) != nullptr;
    if (update && !adminUpload) {
        graphError(ex, 409, "Conflict", "App with same id already exists in the tenant.");
        return;
    }
    app.id = newGuid();
    const auto& stored = state.publish(app);
    auto body = teamsAppJson(stored);
    body->set("@odata.context", std::string(GraphBase) + "/$metadata#appCatalogs/teamsApps/$entity");
    ex.json(update ? 200 : 201, body);
}

namespace {

// GET /appCatalogs/teamsApps[?$filter=externalId eq '…' | id eq '…'], POST (zip upload),
// GET/DELETE /appCatalogs/teamsApps/{id}.
void appCatalog(Exchange& ex, FakeState& state, const TokenInfo& tok) {
    if (ex.seg(2) != "teamsapps") {
        graphError(ex, 400, "BadRequest", "Resource not found for the segment '" + ex.segments.at(2 < ex.segments.size() ? 2 : 1) + "'.");
        return;
    }
    if (ex.segments.size() == 3 && ex.method == "GET") {
        if (!permitted(ex, state, tok, {"AppCatalog.Read.All", "AppCatalog.ReadWrite.All"})) {
            return;
        }
        std::string field, literal;
        if (!parseFilterParam(ex, field, literal)) {
            return;
        }
        Array::Ptr values = new Array;
        for (const auto& app : state.catalog()) {
            if (field.empty() || (field == "externalId" && app.externalId == literal) ||
                (field == "id" && app.id == literal) ||
                (field == "distributionMethod" && app.distributionMethod == literal)) {
                values->add(teamsAppJson(app));
            } else if (field != "externalId" && field != "id" && field != "distributionMethod") {
                graphError(ex, 400, "BadRequest", "Invalid filter clause: property '" + field +
                                                      "' is not supported.");
                return;
            }
        }
        listResponse(ex, "appCatalogs/teamsApps", values);
        return;
    }
    if (ex.segments.size() == 3 && ex.method == "POST") {
        if (!permitted(ex, state, tok, {"AppCatalog.Submit", "AppCatalog.ReadWrite.All"})) {
            return;
        }
        if (lower(ex.header("content-type")).rfind("application/zip", 0) != 0) {
            graphError(ex, 415, "UnsupportedMediaType", "The app package must be sent as application/zip.");
            return;
        }
        publishAppPackage(ex, state);
        return;
    }
    if (ex.segments.size() == 4) {
        const std::string id = ex.segments[3];
        const CatalogApp* app = state.catalogById(id);
        if (ex.method == "GET") {
            if (!permitted(ex, state, tok, {"AppCatalog.Read.All", "AppCatalog.ReadWrite.All"})) {
                return;
            }
            if (!app) {
                notFound(ex, id);
                return;
            }
            ex.json(200, teamsAppJson(*app));
            return;
        }
        if (ex.method == "DELETE") {
            if (!permitted(ex, state, tok, {"AppCatalog.Submit", "AppCatalog.ReadWrite.All"})) {
                return;
            }
            if (!state.removeFromCatalog(id)) {
                notFound(ex, id);
                return;
            }
            ex.empty(204);
            return;
        }
    }
    methodNotAllowed(ex);
}

// GET /users[?$filter=mail|userPrincipalName|id eq '…'], GET /users/{id|upn}.
void users(Exchange& ex, FakeState& state, const TokenInfo& tok) {
    if (!permitted(ex, state, tok, {"User.Read.All", "User.ReadBasic.All", "Directory.Read.All"})) {
        return;
    }
    if (ex.method != "GET") {
        methodNotAllowed(ex);
        return;
    }
    if (ex.segments.size() == 2) {
        std::string field, literal;
        if (!parseFilterParam(ex, field, literal)) {
            return;
        }
        if (!field.empty() && field != "mail" && field != "userPrincipalName" && field != "id") {
            graphError(ex, 400, "Request_UnsupportedQuery",
                       "Unsupported or invalid query filter clause specified for property '" + field +
                           "' of resource 'User'.");
            return;
        }
        Array::Ptr values = new Array;
        for (const auto& u : state.directory().users) {
            bool match = field.empty() ||
                         (field == "mail" && !u.mail.empty() && lower(u.mail) == lower(literal)) ||
                         (field == "userPrincipalName" && lower(u.userPrincipalName) == lower(literal)) ||
                         (field == "id" && u.id == literal);
            if (match) {
                values->add(userJson(u));
            }
        }
        listResponse(ex, "users", values);
        return;
    }
    const DirectoryUser* u = userByPathId(state, ex.segments[2]);
    if (!u) {
        graphError(ex, 404, "Request_ResourceNotFound",
                   "Resource '" + ex.segments[2] +
                       "' does not exist or one of its queried reference-property objects are not present.");
        return;
    }
    auto body = userJson(*u);
    body->set("@odata.context", std::string(GraphBase) + "/$metadata#users/$entity");
    ex.json(200, body);
}

// With TeamsAppInstallation.ReadWriteSelfFor{User,Team}.All (and not the broader permissions), Graph
// lets an app manage only the Teams apps whose manifest names it in webApplicationInfo.id (Microsoft:
// "Send proactive installation messages"): others are left out of listings and refused on install.
bool selfOnly(const FakeState& state, const TokenInfo& tok, const char* broad) {
    const AppRegistration* app = state.directory().app(tok.appId);
    return !app || !app->permissions.count(broad);
}

bool manages(const CatalogApp& app, const TokenInfo& tok) { return lower(app.webAppId) == lower(tok.appId); }

void listInstalled(Exchange& ex, FakeState& state, const std::string& scope, const std::string& context,
                   const TokenInfo& tok, bool self) {
    std::string field, literal;
    if (!parseFilterParam(ex, field, literal)) {
        return;
    }
    if (!field.empty() && field != "teamsApp/id" && field != "teamsApp/externalId") {
        graphError(ex, 400, "BadRequest", "Invalid filter clause: property '" + field + "' is not supported.");
        return;
    }
    bool expand = lower(ex.param("$expand")).find("teamsapp") != std::string::npos;
    Array::Ptr values = new Array;
    for (const auto& app : state.catalog()) {
        if (!state.installed(scope, app.id) || (self && !manages(app, tok))) {
            continue;
        }
        if ((field == "teamsApp/id" && app.id != literal) ||
            (field == "teamsApp/externalId" && app.externalId != literal)) {
            continue;
        }
        auto o = newObject();
        o->set("id", installationId(scope, app.id));
        if (expand) {
            o->set("teamsApp", teamsAppJson(app));
        }
        values->add(o);
    }
    listResponse(ex, context, values);
}

// POST body {"teamsApp@odata.bind": ".../appCatalogs/teamsApps/{id}"}: 201, or 409 if present.
void installFor(Exchange& ex, FakeState& state, const std::string& scope, const TokenInfo& tok, bool self) {
    std::string bind;
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(ex.body).extract<Object::Ptr>();
        bind = o->optValue<std::string>("teamsApp@odata.bind", "");
    } catch (const Poco::Exception&) {
        graphError(ex, 400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type "
                                          "header is set and payload is of valid JSON format.");
        return;
    } catch (const std::exception&) {
        graphError(ex, 400, "BadRequest", "Unable to read JSON request payload.");
        return;
    }
    auto pos = lower(bind).find("/appcatalogs/teamsapps/");
    if (pos == std::string::npos) {
        graphError(ex, 400, "BadRequest", "teamsApp@odata.bind must reference appCatalogs/teamsApps/{id}.");
        return;
    }
    std::string appId = bind.substr(pos + std::string("/appcatalogs/teamsapps/").size());
    while (!appId.empty() && (appId.back() == '/' || appId.back() == '\'' || appId.back() == ')')) {
        appId.pop_back();
    }
    const CatalogApp* app = state.catalogById(appId);
    if (!app) {
        graphError(ex, 404, "NotFound", "The app '" + appId + "' was not found in the app catalog.");
        return;
    }
    if (self && !manages(*app, tok)) {
        graphError(ex, 403, "Forbidden",
                   "AAD App Id '" + tok.appId + "' is not allowed to manage the Teams App '" + appId +
                       "'. The Teams app manifest must name it in webApplicationInfo.id.");
        return;
    }
    if (!state.install(scope, appId)) {
        graphError(ex, 409, "Conflict", "The app is already installed.");
        return;
    }
    ex.empty(201);
}

// /users/{id}/teamwork/installedApps[/{installationId}[/chat]].
void userInstalledApps(Exchange& ex, FakeState& state, const TokenInfo& tok) {
    if (!permitted(ex, state, tok, {"TeamsAppInstallation.ReadWriteSelfForUser.All",
                                    "TeamsAppInstallation.ReadWriteForUser.All",
                                    "TeamsAppInstallation.ReadForUser.All"})) {
        return;
    }
    const DirectoryUser* u = userByPathId(state, ex.segments[2]);
    if (!u) {
        graphError(ex, 404, "NotFound", "User '" + ex.segments[2] + "' was not found.");
        return;
    }
    if (ex.seg(4) != "installedapps") {
        graphError(ex, 400, "BadRequest", "Resource not found for the segment '" + ex.seg(4) + "'.");
        return;
    }
    if (ex.segments.size() == 5) {
        if (ex.method == "GET") {
            listInstalled(ex, state, u->id, "users('" + u->id + "')/teamwork/installedApps", tok,
                          selfOnly(state, tok, "TeamsAppInstallation.ReadWriteForUser.All"));
        } else if (ex.method == "POST") {
            installFor(ex, state, u->id, tok, selfOnly(state, tok, "TeamsAppInstallation.ReadWriteForUser.All"));
        } else {
            methodNotAllowed(ex);
        }
        return;
    }
    auto decoded = decodeInstallationId(ex.segments[5]);
    if (!decoded || decoded->first != u->id || !state.installed(u->id, decoded->second)) {
        notFound(ex, ex.segments[5]);
        return;
    }
    const CatalogApp* app = state.catalogById(decoded->second);
    if (ex.segments.size() == 6) {
        if (ex.method == "DELETE") {
            state.uninstall(u->id, decoded->second);
            ex.empty(204);
        } else if (ex.method == "GET") {
            auto o = newObject();
            o->set("id", ex.segments[5]);
            ex.json(200, o);
        } else {
            methodNotAllowed(ex);
        }
        return;
    }
    if (ex.segments.size() == 7 && ex.seg(6) == "chat" && ex.method == "GET") {
        // Stable per (user, bot): the same id on every call, as Teams does.
        std::string botId = app && !app->botId.empty() ? app->botId : decoded->second;
        std::string chatId = "19:" + u->id + "_" + botId + "@unq.gbl.spaces";
        state.conversation(chatId, "personal", u->displayName.empty() ? u->userPrincipalName
                                                                       : u->displayName, u->id);
        auto o = newObject();
        o->set("@odata.context", std::string(GraphBase) + "/$metadata#chats/$entity");
        o->set("id", chatId);
        o->set("topic", Poco::Dynamic::Var());
        o->set("createdDateTime", "2026-01-01T00:00:00.000Z");
        o->set("lastUpdatedDateTime", "2026-01-01T00:00:00.000Z");
        o->set("chatType", "oneOnOne");
        o->set("webUrl", "https://teams.microsoft.com/l/chat/" + chatId + "/0?tenantId=" +
                             state.directory().tenantId);
        o->set("tenantId", state.directory().tenantId);
        ex.json(200, o);
        return;
    }
    graphError(ex, 400, "BadRequest", "Resource not found for the segment '" + ex.seg(6) + "'.");
}

// /teams/{id}/installedApps[/{installationId}].
void teamInstalledApps(Exchange& ex, FakeState& state, const TokenInfo& tok) {
    if (!permitted(ex, state, tok, {"TeamsAppInstallation.ReadWriteSelfForTeam.All",
                                    "TeamsAppInstallation.ReadWriteForTeam.All",
                                    "TeamsAppInstallation.ReadForTeam.All"})) {
        return;
    }
    const Team* team = ex.segments.size() > 2 ? state.directory().team(ex.segments[2]) : nullptr;
    if (!team) {
        graphError(ex, 404, "NotFound", "No team found with Group Id " +
                                            (ex.segments.size() > 2 ? ex.segments[2] : std::string()));
        return;
    }
    if (ex.seg(3) != "installedapps") {
        graphError(ex, 400, "BadRequest", "Resource not found for the segment '" + ex.seg(3) + "'.");
        return;
    }
    if (ex.segments.size() == 4) {
        if (ex.method == "GET") {
            listInstalled(ex, state, team->id, "teams('" + team->id + "')/installedApps", tok,
                          selfOnly(state, tok, "TeamsAppInstallation.ReadWriteForTeam.All"));
        } else if (ex.method == "POST") {
            installFor(ex, state, team->id, tok, selfOnly(state, tok, "TeamsAppInstallation.ReadWriteForTeam.All"));
        } else {
            methodNotAllowed(ex);
        }
        return;
    }
    auto decoded = decodeInstallationId(ex.segments[4]);
    if (ex.segments.size() == 5 && ex.method == "DELETE" && decoded && decoded->first == team->id &&
        state.uninstall(team->id, decoded->second)) {
        ex.empty(204);
        return;
    }
    notFound(ex, ex.segments[4]);
}

}  // namespace

void handleGraph(Exchange& ex, FakeState& state) {
    auto tok = authenticate(ex, state);
    if (!tok) {
        return;
    }
    const std::string area = ex.seg(1);
    if (area == "appcatalogs") {
        appCatalog(ex, state, *tok);
    } else if (area == "users" && ex.segments.size() >= 4 && ex.seg(3) == "teamwork") {
        userInstalledApps(ex, state, *tok);
    } else if (area == "users" && ex.segments.size() <= 3) {
        users(ex, state, *tok);
    } else if (area == "teams") {
        teamInstalledApps(ex, state, *tok);
    } else {
        graphError(ex, 400, "BadRequest",
                   "Resource not found for the segment '" + (ex.segments.size() > 1 ? ex.segments[1] : "") + "'.");
    }
}

}  // namespace tmsteams::fakegraph

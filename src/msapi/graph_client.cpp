// Microsoft Graph v1.0 calls.
#include "msapi/graph_client.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "common/json_escape.h"

namespace tmsteams::msapi {

namespace {

using Poco::JSON::Object;

absl::StatusOr<Object::Ptr> parse(const HttpResponse& resp, const std::string& what) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(resp.body).extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        return absl::InternalError(what + ": malformed JSON from Graph: " + e.displayText());
    } catch (const std::exception& e) {
        return absl::InternalError(what + ": malformed JSON from Graph");
    }
}

std::string str(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) {
        return "";
    }
    return o->get(key).convert<std::string>();
}

TeamsApp toApp(const Object::Ptr& o) {
    return {str(o, "id"), str(o, "externalId"), str(o, "displayName"), str(o, "distributionMethod")};
}

GraphUser toUser(const Object::Ptr& o) {
    return {str(o, "id"), str(o, "displayName"), str(o, "mail"), str(o, "userPrincipalName")};
}

// GET `url` expecting 200 and a JSON object.
absl::StatusOr<Object::Ptr> getJson(ApiCaller& caller, const std::string& what, const std::string& url,
                                    const CallContext& ctx) {
    ApiCall c{what, "GET", url, "", "application/json", {200}, ctx.deadline, {}};
    auto resp = caller.call(c, ctx.stop);
    if (!resp.ok()) {
        return resp.status();
    }
    return parse(*resp, what);
}

}  // namespace

std::string odataLiteral(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        out += c;
        if (c == '\'') {
            out += '\'';
        }
    }
    return out + "'";
}

std::string urlEncode(const std::string& value) { return formEncode(value); }

GraphClient::GraphClient(ApiCaller& caller, std::string baseUrl) : caller_(caller), base_(std::move(baseUrl)) {}

absl::StatusOr<TeamsApp> GraphClient::getTeamsApp(const std::string& externalId, const CallContext& ctx) {
    auto o = getJson(caller_, "find the Teams app in the org catalog",
                     base_ + "/appCatalogs/teamsApps?%24filter=" + urlEncode("externalId eq " + odataLiteral(externalId)),
                     ctx);
    if (!o.ok()) {
        return o.status();
    }
    auto values = (*o)->getArray("value");
    if (!values || values->size() == 0) {
        return absl::NotFoundError("Teams app " + externalId +
                                   " is not in the org app catalog: upload app.zip in the Teams admin center");
    }
    if (values->size() > 1) {
        return absl::FailedPreconditionError("more than one catalog app has the id " + externalId);
    }
    return toApp(values->getObject(0));
}

absl::StatusOr<std::vector<GraphUser>> GraphClient::findUsers(const std::string& field, const std::string& value,
                                                              const CallContext& ctx) {
    auto o = getJson(caller_, "look up user by " + field,
                     base_ + "/users?%24filter=" + urlEncode(field + " eq " + odataLiteral(value)), ctx);
    if (!o.ok()) {
        return o.status();
    }
    std::vector<GraphUser> out;
    if (auto values = (*o)->getArray("value")) {
        for (size_t i = 0; i < values->size(); ++i) {
            out.push_back(toUser(values->getObject(static_cast<unsigned>(i))));
        }
    }
    return out;
}

absl::StatusOr<GraphUser> GraphClient::getUserByEmail(const std::string& email, const CallContext& ctx) {
    for (const char* field : {"mail", "userPrincipalName"}) {
        auto users = findUsers(field, email, ctx);
        if (!users.ok()) {
            return users.status();
        }
        if (users->size() == 1) {
            return users->front();
        }
        if (users->size() > 1) {
            return absl::FailedPreconditionError("more than one user has the " + std::string(field) + " " + email);
        }
    }
    return absl::NotFoundError("no Entra ID user has the mail or userPrincipalName " + email);
}

absl::StatusOr<GraphUser> GraphClient::getUserById(const std::string& id, const CallContext& ctx) {
    auto users = findUsers("id", id, ctx);
    if (!users.ok()) {
        return users.status();
    }
    if (users->empty()) {
        return absl::NotFoundError("no Entra ID user has the id " + id);
    }
    return users->front();
}

absl::StatusOr<std::optional<Installation>> GraphClient::getInstalled(const std::string& path,
                                                                     const std::string& catalogAppId,
                                                                     const CallContext& ctx, const char* what) {
    auto o = getJson(caller_, what,
                     base_ + path + "?%24expand=teamsApp&%24filter=" + urlEncode("teamsApp/id eq " + odataLiteral(catalogAppId)),
                     ctx);
    if (!o.ok()) {
        return o.status();
    }
    auto values = (*o)->getArray("value");
    if (!values || values->size() == 0) {
        return std::optional<Installation>();
    }
    auto first = values->getObject(0);
    return std::optional<Installation>(Installation{str(first, "id"), toApp(first->getObject("teamsApp"))});
}

absl::StatusOr<std::optional<Installation>> GraphClient::getAppForUser(const std::string& userId,
                                                                      const std::string& catalogAppId,
                                                                      const CallContext& ctx) {
    return getInstalled("/users/" + urlEncode(userId) + "/teamwork/installedApps", catalogAppId, ctx,
                        "list the user's installed apps");
}

absl::Status GraphClient::installAppForUser(const std::string& userId, const std::string& catalogAppId,
                                            const CallContext& ctx) {
    std::string body = "{\"teamsApp@odata.bind\":" +
                       common::jsonQuote(base_ + "/appCatalogs/teamsApps/" + catalogAppId) + "}";
    ApiCall c{"install the app for the user", "POST", base_ + "/users/" + urlEncode(userId) + "/teamwork/installedApps",
              body, "application/json", {201, 200, 204}, ctx.deadline, {}};
    auto resp = caller_.call(c, ctx.stop);
    if (resp.status().code() == absl::StatusCode::kAlreadyExists) {
        return absl::OkStatus();  // 409: installed meanwhile
    }
    return resp.status();
}

absl::Status GraphClient::uninstallAppForUser(const std::string& userId, const std::string& installationId,
                                              const CallContext& ctx) {
    ApiCall c{"uninstall the app for the user", "DELETE",
              base_ + "/users/" + urlEncode(userId) + "/teamwork/installedApps/" + urlEncode(installationId), "",
              "application/json", {204, 200}, ctx.deadline, {}};
    return caller_.call(c, ctx.stop).status();
}

absl::StatusOr<std::string> GraphClient::getChatForInstallation(const std::string& userId,
                                                                const std::string& installationId,
                                                                const CallContext& ctx) {
    const std::string what = "get the bot's chat with the user";
    auto o = getJson(caller_, what,
                     base_ + "/users/" + urlEncode(userId) + "/teamwork/installedApps/" + urlEncode(installationId) + "/chat",
                     ctx);
    if (!o.ok()) {
        return o.status();
    }
    std::string id = str(*o, "id");
    if (id.empty()) {
        return absl::InternalError(what + ": Graph returned a chat without an id");
    }
    return id;
}

absl::StatusOr<std::optional<Installation>> GraphClient::getAppForTeam(const std::string& teamId,
                                                                      const std::string& catalogAppId,
                                                                      const CallContext& ctx) {
    return getInstalled("/teams/" + urlEncode(teamId) + "/installedApps", catalogAppId, ctx,
                        "list the team's installed apps");
}

}  // namespace tmsteams::msapi

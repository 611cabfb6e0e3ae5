// Route classification and the error envelopes shared by the route files.
#include <ctime>

#include "routes.h"

namespace tmsteams::fakegraph {

std::string classifyRoute(const Exchange& ex) {
    if (ex.seg(0) == "_fake") {
        if (ex.seg(1) == "invoke") {
            return "invoke";
        }
        return ex.seg(1) == "assets" ? "view" : "control";
    }
    if (ex.seg(0) == "v1" && ex.seg(1) == ".well-known") {
        return "botauth";
    }
    if (ex.segments.empty() || (ex.segments.size() == 1 && ex.seg(0) == "index.html")) {
        return "view";
    }
    if (ex.segments.size() == 4 && ex.seg(1) == "oauth2" && ex.seg(2) == "v2.0" && ex.seg(3) == "token") {
        return "token";
    }
    if (ex.seg(0) == "v1.0") {
        if (ex.seg(1) == "appcatalogs") {
            return "graph.appCatalog";
        }
        if (ex.seg(1) == "users") {
            if (ex.segments.size() >= 7 && ex.seg(6) == "chat") {
                return "graph.chat";
            }
            if (ex.seg(3) == "teamwork") {
                return "graph.userInstalledApps";
            }
            return "graph.users";
        }
        if (ex.seg(1) == "teams") {
            return "graph.teamInstalledApps";
        }
        return "graph.other";
    }
    if (ex.seg(1) == "v3" && ex.seg(2) == "conversations") {
        return ex.method == "PUT" ? "bot.put" : "bot.post";
    }
    return "unknown";
}

std::string botConversation(const Exchange& ex) {
    if (ex.seg(1) == "v3" && ex.seg(2) == "conversations" && ex.segments.size() > 3) {
        return ex.segments[3];
    }
    return "";
}

namespace {
std::string graphDate() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}
}  // namespace

void graphError(Exchange& ex, int status, const std::string& code, const std::string& message) {
    auto inner = newObject();
    inner->set("date", graphDate());
    inner->set("request-id", newGuid());
    inner->set("client-request-id", newGuid());
    auto err = newObject();
    err->set("code", code);
    err->set("message", message);
    err->set("innerError", inner);
    auto root = newObject();
    root->set("error", err);
    ex.json(status, root);
}

void botError(Exchange& ex, int status, const std::string& code, const std::string& message) {
    auto err = newObject();
    err->set("code", code);
    err->set("message", message);
    auto root = newObject();
    root->set("error", err);
    ex.json(status, root);
}

std::string defaultErrorCode(int status, bool bot) {
    switch (status) {
    case 400: return bot ? "BadSyntax" : "BadRequest";
    case 401: return bot ? "Unauthorized" : "InvalidAuthenticationToken";
    case 403: return bot ? "BotNotInConversationRoster" : "Authorization_RequestDenied";
    case 404: return bot ? "ConversationNotFound" : "Request_ResourceNotFound";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 429: return bot ? "TooManyRequests" : "TooManyRequests";
    case 500: return bot ? "InternalServerError" : "UnknownError";
    case 502: return "BadGateway";
    case 503: return bot ? "ServiceUnavailable" : "ServiceNotAvailable";
    case 504: return "GatewayTimeout";
    default: return "UnknownError";
    }
}

}  // namespace tmsteams::fakegraph

// Teams calling the bot: the Bot Framework's OpenID metadata and signing keys, and card actions
// (Action.Execute invokes) sent to the bot's messaging endpoint, signed as Teams signs them.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>

#include "common/json_escape.h"
#include "common/log.h"
#include "routes.h"

namespace tmsteams::fakegraph {

namespace {

std::string baseUrl(const Exchange& ex, const FakeState& state) {
    return state.scheme + "://" + ex.header("host");
}

std::string str(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& fallback = "") {
    return o && o->has(key) && o->get(key).isString() ? o->getValue<std::string>(key) : fallback;
}

struct BotAnswer {
    int status = 0;
    std::string body;
    std::string error;
};

BotAnswer post(const std::string& endpoint, const std::string& caFile, const std::string& authorization,
               const std::string& body) {
    BotAnswer a;
    try {
        Poco::URI uri(endpoint);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile,
                                                                 Poco::Net::Context::VERIFY_RELAXED);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
        session->setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.set("Authorization", authorization);
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        session->sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = session->receiveResponse(resp);
        Poco::StreamCopier::copyToString(in, a.body);
        a.status = resp.getStatus();
    } catch (const Poco::Exception& e) {
        a.error = e.displayText();
    }
    return a;
}

}  // namespace

void handleBotAuth(Exchange& ex, FakeState& state) {
    if (ex.method == "GET" && ex.seg(2) == "openidconfiguration") {
        const std::string base = baseUrl(ex, state);
        ex.json(200, "{\"issuer\":" + common::jsonQuote(BotIssuer) +
                         ",\"authorization_endpoint\":" + common::jsonQuote(base + "/v1/.well-known/authorize") +
                         ",\"jwks_uri\":" + common::jsonQuote(base + "/v1/.well-known/keys") +
                         ",\"id_token_signing_alg_values_supported\":[\"RS256\"]"
                         ",\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"]}");
    } else if (ex.method == "GET" && ex.seg(2) == "keys") {
        ex.json(200, state.signer().jwks());
    } else {
        ex.json(404, R"({"error":"unknown metadata route"})");
    }
}

// POST /_fake/invoke {"user": ENTRA-ID, "verb": "approve"|"deny"|"refreshCard", "requestId",
// "reason", "conversationId", "replyToId", "id" (activity id; default new), "forge",
// "endpoint", "ca", "appId"} -> {"status": HTTP status from the bot, "body": its body}.
void handleInvoke(Exchange& ex, FakeState& state) {
    if (ex.method != "POST") {
        ex.json(405, R"({"error":"POST only"})");
        return;
    }
    auto in = ex.bodyObject();
    if (!in) {
        return;
    }
    const std::string user = str(in, "user");
    std::string name, endpoint, ca, appId, tenant;
    {
        std::lock_guard lock(state.mutex());
        tenant = state.directory().tenantId;
        const auto* u = state.directory().userById(user);
        if (!u) {
            ex.json(400, R"({"error":"unknown user: pass an id from the directory"})");
            return;
        }
        name = u->displayName;
        endpoint = str(in, "endpoint", state.botEndpoint);
        ca = str(in, "ca", state.botEndpointCa);
        appId = str(in, "appId", state.botAppId);
        if (appId.empty()) {
            auto apps = state.catalog();
            appId = apps.empty() ? "" : apps.front().botId;
        }
    }
    if (endpoint.empty()) {
        ex.json(400, R"({"error":"no bot endpoint: start with --bot-endpoint or pass \"endpoint\""})");
        return;
    }
    const std::string serviceUrl = baseUrl(ex, state) + "/emea/";
    const std::string id = str(in, "id", newGuid());
    const std::string forge = str(in, "forge");
    const std::string activityTenant = forge == "no-tenant" ? "" : str(in, "tenant", tenant);
    const std::string activity =
        "{\"type\":\"invoke\",\"name\":\"adaptiveCard/action\",\"id\":" + common::jsonQuote(id) +
        ",\"channelId\":" + common::jsonQuote(BotSigner::channelFor(forge)) + ",\"serviceUrl\":" + common::jsonQuote(serviceUrl) +
        ",\"channelData\":{\"tenant\":{\"id\":" + common::jsonQuote(activityTenant) + "}}" +
        ",\"from\":{\"id\":" + common::jsonQuote("29:" + user) + ",\"aadObjectId\":" + common::jsonQuote(user) +
        ",\"name\":" + common::jsonQuote(name) + "},\"recipient\":{\"id\":" + common::jsonQuote("28:" + appId) +
        "},\"conversation\":{\"id\":" + common::jsonQuote(str(in, "conversationId")) +
        "},\"replyToId\":" + common::jsonQuote(str(in, "replyToId")) +
        ",\"value\":{\"action\":{\"type\":\"Action.Execute\",\"verb\":" + common::jsonQuote(str(in, "verb")) +
        ",\"data\":{\"requestId\":" + common::jsonQuote(str(in, "requestId")) +
        ",\"reason\":" + common::jsonQuote(str(in, "reason")) + "}},\"trigger\":\"manual\"}}";
    const std::string auth = state.signer().authorization(appId, serviceUrl, forge);
    BotAnswer a = post(endpoint, ca, auth, activity);
    common::logInfo("invoke sent to the bot", {{"verb", str(in, "verb")}, {"user", user},
                                               {"status", std::to_string(a.status)}, {"error", a.error}});
    if (!a.error.empty()) {
        ex.json(502, "{\"error\":" + common::jsonQuote("cannot reach the bot: " + a.error) + "}");
        return;
    }
    ex.json(200, "{\"status\":" + std::to_string(a.status) + ",\"activityId\":" + common::jsonQuote(id) +
                     ",\"body\":" + common::jsonQuote(a.body) + "}");
}

}  // namespace tmsteams::fakegraph

// Microsoft identity platform v2 token endpoint, client-credentials grant.
#include "routes.h"

namespace tmsteams::fakegraph {

namespace {

constexpr const char* GraphScope = "https://graph.microsoft.com/.default";
constexpr const char* BotScope = "https://api.botframework.com/.default";

// AAD errors carry the AADSTS code in the description and in error_codes.
void aadError(Exchange& ex, int status, const std::string& error, int aadsts,
              const std::string& description) {
    auto root = newObject();
    std::string traceId = newGuid();
    std::string correlationId = newGuid();
    root->set("error", error);
    root->set("error_description", "AADSTS" + std::to_string(aadsts) + ": " + description +
                                       "\r\nTrace ID: " + traceId + "\r\nCorrelation ID: " +
                                       correlationId + "\r\nTimestamp: 2026-01-01 00:00:00Z");
    Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
    codes->add(aadsts);
    root->set("error_codes", codes);
    root->set("timestamp", "2026-01-01 00:00:00Z");
    root->set("trace_id", traceId);
    root->set("correlation_id", correlationId);
    root->set("error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(aadsts));
    ex.json(status, root);
}

}  // namespace

void handleToken(Exchange& ex, FakeState& state) {
    if (ex.method != "POST") {
        aadError(ex, 405, "invalid_request", 900561,
                 "The endpoint only accepts POST requests. Received a " + ex.method + " request.");
        return;
    }
    const std::string tenant = ex.segments[0];
    const auto& dir = state.directory();
    if (lower(tenant) != lower(dir.tenantId) && lower(tenant) != lower(dir.tenantDomain)) {
        aadError(ex, 400, "invalid_request", 90002,
                 "Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID "
                 "and are signing into the correct cloud.");
        return;
    }
    if (lower(ex.header("content-type")).rfind("application/x-www-form-urlencoded", 0) != 0) {
        aadError(ex, 400, "invalid_request", 900144,
                 "The request body must contain the following parameter: 'grant_type'.");
        return;
    }
    auto form = parseForm(ex.body);
    auto get = [&](const char* k) {
        auto it = form.find(k);
        return it == form.end() ? std::string() : it->second;
    };
    if (get("grant_type") != "client_credentials") {
        aadError(ex, 400, "unsupported_grant_type", 70003,
                 "The app requested an unsupported grant type '" + get("grant_type") + "'.");
        return;
    }
    const std::string clientId = get("client_id");
    const AppRegistration* app = dir.app(clientId);
    if (!app) {
        aadError(ex, 400, "unauthorized_client", 700016,
                 "Application with identifier '" + clientId + "' was not found in the directory '" +
                     tenant + "'.");
        return;
    }
    if (get("client_secret") != app->secret) {
        aadError(ex, 401, "invalid_client", 7000215,
                 "Invalid client secret provided. Ensure the secret being sent in the request is the "
                 "client secret value, not the client secret ID, for a secret added to app '" +
                     clientId + "'.");
        return;
    }
    const std::string scope = get("scope");
    Audience aud;
    if (scope == GraphScope) {
        aud = Audience::Graph;
    } else if (scope == BotScope) {
        aud = Audience::Bot;
    } else {
        aadError(ex, 400, "invalid_scope", 70011,
                 "The provided request must include a 'scope' input parameter. The provided value for "
                 "the input parameter 'scope' is not valid. The scope " + scope + " is not valid.");
        return;
    }
    auto root = newObject();
    root->set("token_type", "Bearer");
    root->set("expires_in", static_cast<int64_t>(state.tokenTtl().count()));
    root->set("ext_expires_in", static_cast<int64_t>(state.tokenTtl().count()));
    root->set("access_token", state.issueToken(clientId, dir.tenantId, aud));
    ex.json(200, root);
}

}  // namespace tmsteams::fakegraph

// Inspection and fault control under /_fake/: never mixed with the real API's paths.
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "routes.h"
#include "common/json_escape.h"

namespace tmsteams::fakegraph {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Poco::Dynamic::Var parseOrString(const std::string& json) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(json);
    } catch (const Poco::Exception&) {
        return json;
    }
}

// The Adaptive Card inside an activity, or null.
Poco::Dynamic::Var cardOf(const Poco::Dynamic::Var& activity) {
    try {
        auto o = activity.extract<Object::Ptr>();
        auto atts = o->getArray("attachments");
        if (atts && atts->size() > 0) {
            auto a = atts->getObject(0);
            if (a && a->has("content")) {
                return a->get("content");
            }
        }
    } catch (const Poco::Exception&) {
    }
    return Poco::Dynamic::Var();
}

void conversations(Exchange& ex, FakeState& state) {
    Array::Ptr list = new Array;
    for (const auto& c : state.conversations()) {
        auto o = newObject();
        o->set("id", c.id);
        o->set("kind", c.kind);
        o->set("name", c.name);
        o->set("ownerId", c.ownerId);
        o->set("activities", static_cast<uint64_t>(c.activityIds.size()));
        list->add(o);
    }
    auto root = newObject();
    root->set("version", state.version());
    root->set("conversations", list);
    ex.json(200, root);
}

void activities(Exchange& ex, FakeState& state) {
    uint64_t since = 0;
    try {
        if (!ex.param("since").empty()) {
            since = std::stoull(ex.param("since"));
        }
    } catch (const std::exception&) {
        ex.json(400, R"({"error":"since must be a number"})");
        return;
    }
    const bool withHistory = ex.param("history") != "0";
    const std::string contains = ex.param("contains");
    Array::Ptr list = new Array;
    for (const auto& a : state.activities(ex.param("conversation"), since)) {
        if (!contains.empty() && a.history.back().activityJson.find(contains) == std::string::npos) {
            continue;
        }
        auto o = newObject();
        o->set("id", a.id);
        o->set("conversationId", a.conversationId);
        o->set("seq", a.seq);
        o->set("receivedMs", a.history.front().receivedMs);
        o->set("updatedMs", a.history.back().receivedMs);
        o->set("updates", static_cast<uint64_t>(a.history.size() - 1));
        Array::Ptr history = new Array;
        Poco::Dynamic::Var latest;
        for (const auto& v : a.history) {
            auto h = newObject();
            h->set("receivedMs", v.receivedMs);
            h->set("method", v.method);
            latest = parseOrString(v.activityJson);
            h->set("activity", latest);
            history->add(h);
        }
        o->set("card", cardOf(latest));
        if (withHistory) {
            o->set("history", history);
        }
        list->add(o);
    }
    auto root = newObject();
    root->set("version", state.version());
    root->set("activities", list);
    ex.json(200, root);
}

void stats(Exchange& ex, FakeState& state) {
    auto routes = newObject();
    for (const auto& [route, byStatus] : state.stats()) {
        auto o = newObject();
        for (const auto& [status, n] : byStatus) {
            o->set(std::to_string(status), n);
        }
        routes->set(route, o);
    }
    auto root = newObject();
    root->set("version", state.version());
    root->set("routes", routes);
    ex.json(200, root);
}

void catalog(Exchange& ex, FakeState& state) {
    Array::Ptr list = new Array;
    for (const auto& app : state.catalog()) {
        auto o = newObject();
        o->set("id", app.id);
        o->set("externalId", app.externalId);
        o->set("displayName", app.displayName);
        o->set("botId", app.botId);
        list->add(o);
    }
    auto root = newObject();
    root->set("apps", list);
    ex.json(200, root);
}

// Applies one fault description; returns an error message or "".
std::string applyFault(const Object::Ptr& f, FakeState& state) {
    std::string route = f->optValue<std::string>("route", "any");
    if (f->optValue<bool>("clear", false)) {
        state.clearFaults();
    }
    if (f->optValue<bool>("revokeTokens", false)) {
        state.revokeAllTokens();
    }
    if (f->has("throttle")) {
        state.setThrottle(f->getValue<bool>("throttle"));
    }
    if (f->has("latencyMs")) {
        state.setLatency(route, std::chrono::milliseconds(f->getValue<int>("latencyMs")));
    }
    bool reset = f->optValue<bool>("reset", false);
    if (f->has("status") || reset) {
        Fault fault;
        fault.route = route;
        fault.conversation = f->optValue<std::string>("conversation", "");
        fault.status = reset ? 0 : f->getValue<int>("status");
        fault.remaining = f->optValue<int>("count", 1);
        if (f->has("retryAfter")) {
            fault.retryAfter = f->get("retryAfter").convert<std::string>();
        }
        fault.code = f->optValue<std::string>("code", "");
        if (!reset && (fault.status < 200 || fault.status > 599)) {
            return "status must be an HTTP status code";
        }
        if (fault.remaining < 1) {
            return "count must be at least 1";
        }
        state.addFault(fault);
    }
    return "";
}

void faults(Exchange& ex, FakeState& state) {
    try {
        Poco::JSON::Parser parser;
        auto v = parser.parse(ex.body);
        std::vector<Object::Ptr> list;
        if (v.type() == typeid(Array::Ptr)) {
            auto arr = v.extract<Array::Ptr>();
            for (size_t i = 0; i < arr->size(); ++i) {
                list.push_back(arr->getObject(static_cast<unsigned>(i)));
            }
        } else {
            list.push_back(v.extract<Object::Ptr>());
        }
        for (const auto& f : list) {
            if (!f) {
                ex.json(400, R"({"error":"each fault must be an object"})");
                return;
            }
            if (auto err = applyFault(f, state); !err.empty()) {
                ex.json(400, "{\"error\":\"" + err + "\"}");
                return;
            }
        }
    } catch (const Poco::Exception& e) {
        ex.json(400, R"({"error":"faults must be a JSON object or array"})");
        return;
    }
    ex.json(200, R"({"ok":true})");
}

}  // namespace

void handleControl(Exchange& ex, FakeState& state) {
    const std::string what = ex.seg(1);
    if (ex.method == "GET" && what == "conversations") {
        conversations(ex, state);
    } else if (ex.method == "GET" && what == "activities") {
        activities(ex, state);
    } else if (ex.method == "GET" && what == "stats") {
        stats(ex, state);
    } else if (ex.method == "GET" && what == "catalog") {
        catalog(ex, state);
    } else if (ex.method == "POST" && what == "catalog") {
        // An admin uploading app.zip in the Teams admin center: no token involved.
        publishAppPackage(ex, state, true);
    } else if (ex.method == "GET" && what == "version") {
        ex.json(200, "{\"version\":" + std::to_string(state.version()) + "}");
    } else if (ex.method == "POST" && what == "bot-endpoint") {
        // Where card actions go: {"endpoint": URL, "ca": FILE, "appId": ID}.
        auto o = ex.bodyObject();
        if (!o) {
            return;
        }
        state.botEndpoint = o->optValue<std::string>("endpoint", state.botEndpoint);
        state.botEndpointCa = o->optValue<std::string>("ca", state.botEndpointCa);
        state.botAppId = o->optValue<std::string>("appId", state.botAppId);
        ex.json(200, R"({"ok":true})");
    } else if (ex.method == "POST" && what == "sign") {
        // A token the Bot Framework would send with a card action, or one of its forgeries, for
        // judging validators: {"forge", "appId", "serviceUrl"} -> {"authorization", "channelId", "tenant"}.
        auto o = ex.bodyObject();
        if (!o) {
            return;
        }
        const std::string forge = o->optValue<std::string>("forge", "");
        const std::string appId = o->optValue<std::string>("appId", "");
        const std::string serviceUrl = o->optValue<std::string>("serviceUrl", "");
        const std::string tenant = forge == "no-tenant" ? "" : state.directory().tenantId;  // the caller holds the lock
        ex.json(200, "{\"authorization\":" + common::jsonQuote(state.signer().authorization(appId, serviceUrl, forge)) +
                         ",\"channelId\":" + common::jsonQuote(BotSigner::channelFor(forge)) +
                         ",\"tenant\":" + common::jsonQuote(tenant) + "}");
    } else if (ex.method == "POST" && what == "faults") {
        faults(ex, state);
    } else if (ex.method == "POST" && what == "reset") {
        bool withCatalog = ex.body.find("\"catalog\":true") != std::string::npos ||
                           ex.body.find("\"catalog\": true") != std::string::npos;
        state.reset(withCatalog);
        ex.json(200, R"({"ok":true})");
    } else {
        ex.json(404, R"({"error":"unknown control route"})");
    }
}

}  // namespace tmsteams::fakegraph

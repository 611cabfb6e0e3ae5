// The bot's messaging endpoint for reviews from Teams.
#include "daemon/review_server.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/guarded_http_server.h"
#include "plugin/listen_address.h"

namespace tmsteams::daemon {

namespace {

using Poco::JSON::Object;
constexpr size_t MaxActivityBytes = 256 * 1024;

std::string field(const Object::Ptr& o, const std::string& name) {
    if (!o || !o->has(name) || !o->get(name).isString()) {
        return "";
    }
    return o->getValue<std::string>(name);
}

Object::Ptr child(const Object::Ptr& o, const std::string& name) {
    return o && o->isObject(name) ? o->getObject(name) : nullptr;
}

void refusedMetric(const std::string& reason) {
    common::Metrics::instance()
        .counter("teleport_msteams_inbound_refused_total", "Activities refused at the bot endpoint, by reason.",
                 {{"reason", reason}})
        .inc();
}

class Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(ReviewServer& server) : server_(server) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        ReviewServer::Answer a;
        if (req.getMethod() != "POST" || req.getURI() != "/api/messages") {
            a = {404, R"({"error":"not found"})"};
        } else if (req.getContentLength() != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH &&
                   req.getContentLength() > static_cast<std::streamsize>(MaxActivityBytes)) {
            a = {413, R"({"error":"activity too large"})"};
        } else {
            std::string body;
            std::istream& in = req.stream();
            char buf[8192];
            while (in && body.size() <= MaxActivityBytes) {
                in.read(buf, sizeof buf);
                body.append(buf, static_cast<size_t>(in.gcount()));
            }
            GuardedHttpServer::requestRead();  // the whole activity is here: answering is not bounded by the deadline
            a = body.size() > MaxActivityBytes ? ReviewServer::Answer{413, R"({"error":"activity too large"})"}
                                               : server_.handleActivity(req.get("Authorization", ""), body);
        }
        resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
        resp.setContentType("application/json");
        resp.setContentLength(static_cast<std::streamsize>(a.body.size()));
        resp.send() << a.body;
    }

private:
    ReviewServer& server_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(ReviewServer& server) : server_(server) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(server_);
    }

private:
    ReviewServer& server_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ReviewServer>> ReviewServer::start(const ReviewServerSettings& settings,
                                                                  msapi::BotAuthenticator& auth,
                                                                  plugin::ReviewHandler& reviews, common::Clock& clock) {
    try {
        Poco::Net::Context::Ptr tls = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, settings.tlsKey,
                                                             settings.tlsCert, "", Poco::Net::Context::VERIFY_NONE);
        tls->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                              Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
        Poco::Net::SocketAddress addr(settings.listen);
        Poco::Net::SecureServerSocket socket(addr, 64, tls);
        std::unique_ptr<ReviewServer> s(new ReviewServer(auth, reviews, clock, settings.tenantId));
        // Teams sends from many addresses; one client may hold at most 56 of the 64 connections,
        // and each must deliver its TLS handshake and whole activity within 10 s.
        GuardedHttpSettings limits;
        limits.maxConnections = 64;
        limits.maxPerClient = 56;
        limits.requestDeadline = std::chrono::seconds(10);
        limits.keepAlive = true;
        s->server_ = std::make_unique<GuardedHttpServer>(socket, new Factory(*s), limits);
        s->address_ = plugin::listenAddress(addr, socket.address().port());
        return s;
    } catch (const Poco::Exception& e) {
        return absl::InvalidArgumentError("cannot serve the bot endpoint on " + settings.listen + ": " +
                                          e.displayText());
    }
}

ReviewServer::ReviewServer(msapi::BotAuthenticator& auth, plugin::ReviewHandler& reviews, common::Clock& clock,
                           std::string tenantId)
    : auth_(auth), reviews_(reviews), clock_(clock), tenantId_(std::move(tenantId)) {}

ReviewServer::~ReviewServer() = default;  // the server stops first: handlers use the App's objects

bool ReviewServer::firstTime(const std::string& activityId) {
    const auto now = clock_.steadyNow();
    std::lock_guard lock(seenMu_);
    for (auto it = seen_.begin(); it != seen_.end();) {
        it = now - it->second > std::chrono::hours(1) ? seen_.erase(it) : std::next(it);
    }
    return seen_.emplace(activityId, now).second;
}

ReviewServer::Answer ReviewServer::handleActivity(const std::string& authorization, const std::string& body) {
    Object::Ptr activity;
    try {
        Poco::JSON::Parser p;
        activity = p.parse(body).extract<Object::Ptr>();
    } catch (const std::exception&) {
    }
    if (!activity) {
        refusedMetric("malformed");
        return {400, R"({"error":"the body is not an activity"})"};
    }
    const std::string serviceUrl = field(activity, "serviceUrl");
    const std::string channelId = field(activity, "channelId");
    if (auto s = auth_.authenticate(authorization, serviceUrl, channelId); !s.ok()) {
        const bool outage = s.code() == absl::StatusCode::kUnavailable;
        refusedMetric(outage ? "keys_unavailable" : "unauthenticated");
        common::logWarn("refused an activity at the bot endpoint", {{"reason", std::string(s.message())}});
        return {outage ? 503 : 401, R"({"error":"unauthorized"})"};
    }
    const std::string tenant = field(child(child(activity, "channelData"), "tenant"), "id");
    if (tenant.empty() || (!tenantId_.empty() && tenant != tenantId_)) {
        refusedMetric(tenant.empty() ? "no_tenant" : "other_tenant");
        common::logWarn(tenant.empty() ? "refused an activity that names no tenant"
                                       : "refused an activity from another tenant",
                        {{"tenant", tenant.substr(0, 64)}});
        return {403, R"({"error":"forbidden"})"};
    }
    const std::string id = field(activity, "id");
    if (id.empty()) {
        refusedMetric("malformed");
        return {400, R"({"error":"the activity has no id"})"};
    }
    if (field(activity, "type") != "invoke" || field(activity, "name") != "adaptiveCard/action") {
        return {200, "{}"};  // messages and other events: nothing to do
    }
    if (!firstTime(id)) {
        refusedMetric("replayed");
        common::logWarn("refused a replayed card action", {{"activity", id}});
        return {200, plugin::invokeMessageReply("This action was already handled.")};
    }
    auto value = child(activity, "value");
    auto action = child(value, "action");
    auto data = child(action, "data");
    plugin::CardAction a;
    a.verb = field(action, "verb");
    a.requestId = field(data, "requestId");
    a.reason = field(data, teams::ReasonInputId);
    a.aadObjectId = field(child(activity, "from"), "aadObjectId");
    if (a.requestId.empty()) {
        refusedMetric("malformed");
        return {200, plugin::invokeMessageReply("This card action names no access request.")};
    }
    return {200, reviews_.handle(a).body};
}

}  // namespace tmsteams::daemon

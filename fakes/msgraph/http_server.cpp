// The fake's Poco HTTP(S) server.
#include "http_server.h"

#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "common/log.h"
#include "routes.h"

namespace tmsteams::fakegraph {

namespace {

void applyFault(Exchange& ex, const Fault& f) {
    if (!f.retryAfter.empty()) {
        ex.responseHeaders.emplace_back("Retry-After", f.retryAfter);
    }
    bool bot = ex.routeKey.rfind("bot.", 0) == 0;
    if (f.status >= 200 && f.status < 300) {
        // A success code the client did not ask for (e.g. 202 where 201 is expected).
        ex.json(f.status, R"({"id":"injected"})");
        return;
    }
    std::string code = f.code.empty() ? defaultErrorCode(f.status, bot) : f.code;
    std::string message = "Injected by the fake (" + std::to_string(f.status) + ").";
    if (ex.routeKey == "token") {
        auto o = newObject();
        o->set("error", f.status == 401 ? "invalid_client" : "temporarily_unavailable");
        o->set("error_description", "AADSTS50001: " + message);
        ex.json(f.status, o);
    } else if (bot) {
        botError(ex, f.status, code, message);
    } else {
        graphError(ex, f.status, code, message);
    }
}

class FakeRequestHandler final : public Poco::Net::HTTPRequestHandler {
public:
    FakeRequestHandler(FakeState& state, const std::string& assetsDir)
        : state_(state), assetsDir_(assetsDir) {}

    // Poco::Net::HTTPRequestHandler
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        Exchange ex;
        ex.method = req.getMethod();
        const std::string& uri = req.getURI();
        auto q = uri.find('?');
        ex.rawPath = uri.substr(0, q);
        if (q != std::string::npos) {
            ex.query = parseForm(uri.substr(q + 1));
        }
        // Split the raw path first so an encoded '/' inside an id stays in its segment.
        size_t start = 1;
        while (start <= ex.rawPath.size()) {
            size_t slash = ex.rawPath.find('/', start);
            std::string part = ex.rawPath.substr(start, slash == std::string::npos ? std::string::npos
                                                                                  : slash - start);
            ex.segments.push_back(percentDecode(part, false));
            if (slash == std::string::npos) {
                break;
            }
            start = slash + 1;
        }
        if (ex.segments.size() == 1 && ex.segments[0].empty()) {
            ex.segments.clear();
        }
        for (const auto& [name, value] : req) {
            ex.headers[lower(name)] = value;
        }
        Poco::StreamCopier::copyToString(req.stream(), ex.body);
        ex.received = std::chrono::steady_clock::now();
        const int64_t arrivedMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
        ex.routeKey = classifyRoute(ex);
        const bool ours = ex.routeKey == "control" || ex.routeKey == "view" || ex.routeKey == "invoke" ||
                          ex.routeKey == "botauth";

        std::optional<Fault> fault;
        std::chrono::milliseconds latency{0};
        {
            std::lock_guard lock(state_.mutex());
            if (!ours) {
                fault = state_.takeFault(ex.routeKey, botConversation(ex));
                latency = state_.latencyFor(ex.routeKey);
            }
        }
        ex.answeredMs = arrivedMs + latency.count();
        if (latency.count() > 0) {
            std::this_thread::sleep_for(latency);
        }
        if (fault && fault->status == 0) {
            // A connection reset: close with SO_LINGER 0 so the peer sees RST, not FIN.
            {
                std::lock_guard lock(state_.mutex());
                state_.count(ex.routeKey, 0);
            }
            auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(req);
            impl.socket().setLinger(true, 0);
            impl.socket().close();
            return;
        }
        if (ex.routeKey == "invoke") {
            handleInvoke(ex, state_);  // takes the mutex itself, briefly: the bot may call back
        } else {
            std::lock_guard lock(state_.mutex());
            try {
                if (fault) {
                    applyFault(ex, *fault);
                } else if (ex.routeKey == "token") {
                    handleToken(ex, state_);
                } else if (ex.routeKey.rfind("graph.", 0) == 0) {
                    handleGraph(ex, state_);
                } else if (ex.routeKey.rfind("bot.", 0) == 0) {
                    handleBot(ex, state_);
                } else if (ex.routeKey == "control") {
                    handleControl(ex, state_);
                } else if (ex.routeKey == "view") {
                    handleView(ex, state_, assetsDir_);
                } else if (ex.routeKey == "botauth") {
                    handleBotAuth(ex, state_);
                } else {
                    graphError(ex, 404, "NotFound", "No such endpoint: " + ex.method + " " + ex.rawPath);
                }
            } catch (const std::exception& e) {
                graphError(ex, 500, "UnknownError", std::string("fake failed: ") + e.what());
            }
            if (!ours) {
                state_.count(ex.routeKey, ex.status);
            }
        }
        if (!ours) {
            common::logInfo("http", {{"method", ex.method},
                                     {"path", ex.rawPath},
                                     {"route", ex.routeKey},
                                     {"status", std::to_string(ex.status)},
                                     {"fault", fault ? "yes" : "no"}});
        }
        resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(ex.status));
        for (const auto& [k, v] : ex.responseHeaders) {
            resp.set(k, v);
        }
        if (ex.status == 204 || (ex.responseBody.empty() && ex.status != 200)) {
            resp.setContentLength(0);
            resp.send();
            return;
        }
        resp.setContentType(ex.contentType);
        resp.setContentLength(static_cast<std::streamsize>(ex.responseBody.size()));
        resp.send() << ex.responseBody;
    }

private:
    FakeState& state_;
    const std::string& assetsDir_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* FakeRequestHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
    return new FakeRequestHandler(state_, assetsDir_);
}

}  // namespace tmsteams::fakegraph

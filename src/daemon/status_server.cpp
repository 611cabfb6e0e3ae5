// The optional [http] endpoint.
#include "daemon/status_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "common/metrics.h"
#include "daemon/guarded_http_server.h"
#include "plugin/listen_address.h"

namespace tmsteams::daemon {

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(const StatusServer::ReadinessProblems& check) : check_(check) {}

    // Poco::Net::HTTPRequestHandler
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        GuardedHttpServer::requestRead();  // a GET has no body
        std::string path = req.getURI().substr(0, req.getURI().find('?'));
        std::string body;
        auto status = Poco::Net::HTTPResponse::HTTP_OK;
        std::string type = "text/plain; charset=utf-8";
        if (path == "/healthz") {
            body = "ok\n";
        } else if (path == "/readyz") {
            auto problems = check_();
            if (problems.empty()) {
                body = "ready\n";
            } else {
                status = Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
                for (const auto& p : problems) {
                    body += p + "\n";
                }
            }
        } else if (path == "/metrics") {
            body = common::Metrics::instance().render();
            type = "text/plain; version=0.0.4; charset=utf-8";
        } else {
            status = Poco::Net::HTTPResponse::HTTP_NOT_FOUND;
            body = "not found: try /healthz, /readyz or /metrics\n";
        }
        resp.setStatus(status);
        resp.setContentType(type);
        resp.setContentLength(static_cast<std::streamsize>(body.size()));
        resp.send() << body;
    }

private:
    const StatusServer::ReadinessProblems& check_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(StatusServer::ReadinessProblems check) : check_(std::move(check)) {}
    // Poco::Net::HTTPRequestHandlerFactory
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(check_);
    }

private:
    StatusServer::ReadinessProblems check_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StatusServer>> StatusServer::start(const std::string& listen,
                                                                  ReadinessProblems check) {
    try {
        Poco::Net::SocketAddress addr(listen);
        Poco::Net::ServerSocket socket(addr, 16);
        std::unique_ptr<StatusServer> s(new StatusServer);
        // Probes and scrapes are small: 16 connections, 12 from one address, 5 s for a request,
        // so idle connections never keep /healthz from answering.
        GuardedHttpSettings limits;
        limits.maxConnections = 16;
        limits.maxPerClient = 12;
        limits.requestDeadline = std::chrono::seconds(5);
        s->server_ = std::make_unique<GuardedHttpServer>(socket, new Factory(std::move(check)), limits);
        s->address_ = plugin::listenAddress(addr, socket.address().port());
        return s;
    } catch (const Poco::Exception& e) {
        return absl::InvalidArgumentError("cannot listen on " + listen + ": " + e.displayText());
    }
}

StatusServer::~StatusServer() = default;

}  // namespace tmsteams::daemon

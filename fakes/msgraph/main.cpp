// fake-msgraph: Microsoft identity platform, Graph and Bot Framework stand-ins on loopback,
// with an inspection API and a browser view of the cards.
#include <signal.h>

#include <iostream>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include "common/files.h"
#include "common/log.h"
#include "http_server.h"
#include "x509_issuer.h"

#ifndef FAKE_MSGRAPH_DEFAULT_DIRECTORY
#define FAKE_MSGRAPH_DEFAULT_DIRECTORY ""
#endif
#ifndef FAKE_MSGRAPH_DEFAULT_ASSETS
#define FAKE_MSGRAPH_DEFAULT_ASSETS ""
#endif

using namespace tmsteams;
using namespace tmsteams::fakegraph;

namespace {

const char* Usage = R"(usage: fake-msgraph [options]

Serves the Microsoft identity platform token endpoint, Graph v1.0 (under /v1.0) and the Bot
Framework connector (under /{region}/v3) from one port, plus /_fake/ inspection and faults
and a browser view at /. Prints "ready URL" on stdout when listening.

options:
  --listen ADDR        host:port (default 127.0.0.1:0, an ephemeral port)
  --directory FILE     tenant, app registrations, users and teams (default: the shipped one)
  --tls-dir DIR        serve HTTPS with a CA and certificate kept in DIR (DIR/ca.crt)
  --token-ttl SECONDS  expires_in of issued tokens (default 3599)
  --app-rps N          Bot calls per second per app before 429 (default 30)
  --no-throttle        turn Teams' bot throttling off
  --latency-ms N       add N ms to every Microsoft API call
  --assets DIR         node_modules holding adaptivecards (default: tools/js/node_modules)
  --threads N          worker threads (default 64)
  --catalog-app ID=BOT publish an app (manifest id ID, bot BOT) to the org catalog at start,
                       as a Teams admin upload would, its manifest naming BOT in
                       webApplicationInfo.id as configure writes it; repeatable
  --catalog-app-without-web-app-info ID=BOT  the same, from a manifest without
                       webApplicationInfo (an app.zip from an older configure)
  --install-for-team TEAM  install the --catalog-app apps in TEAM too (as an owner would)
  --bot-endpoint URL   the bot's messaging endpoint, where card actions (POST /_fake/invoke
                       and the browser view's buttons) are sent; its tokens are signed with
                       keys published at /v1/.well-known/openidconfiguration
  --bot-endpoint-ca FILE  CA that signs the bot endpoint's certificate
  --bot-app-id ID      audience of those tokens (default: the first catalog app's bot)
)";

}  // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1:0";
    std::string directoryPath = FAKE_MSGRAPH_DEFAULT_DIRECTORY;
    std::string assets = FAKE_MSGRAPH_DEFAULT_ASSETS;
    std::string tlsDir;
    std::string botEndpoint, botEndpointCa, botAppId;
    long tokenTtl = 3599;
    int appRps = 30;
    bool throttle = true;
    int latencyMs = 0;
    int threads = 64;
    struct Published {
        std::string externalId, botId;
        bool webAppInfo;
    };
    std::vector<Published> catalogApps;
    std::vector<std::string> teamInstalls;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) {
                    throw std::invalid_argument(a + " needs a value");
                }
                return argv[++i];
            };
            if (a == "--listen") {
                listen = value();
            } else if (a == "--directory") {
                directoryPath = value();
            } else if (a == "--tls-dir") {
                tlsDir = value();
            } else if (a == "--bot-endpoint") {
                botEndpoint = value();
            } else if (a == "--bot-endpoint-ca") {
                botEndpointCa = value();
            } else if (a == "--bot-app-id") {
                botAppId = value();
            } else if (a == "--token-ttl") {
                tokenTtl = std::stol(value());
            } else if (a == "--app-rps") {
                appRps = std::stoi(value());
            } else if (a == "--no-throttle") {
                throttle = false;
            } else if (a == "--latency-ms") {
                latencyMs = std::stoi(value());
            } else if (a == "--assets") {
                assets = value();
            } else if (a == "--threads") {
                threads = std::stoi(value());
            } else if (a == "--catalog-app" || a == "--catalog-app-without-web-app-info") {
                std::string v = value();
                auto eq = v.find('=');
                if (eq == std::string::npos) {
                    throw std::invalid_argument(a + " wants MANIFEST_ID=BOT_ID");
                }
                catalogApps.push_back({v.substr(0, eq), v.substr(eq + 1), a == "--catalog-app"});
            } else if (a == "--install-for-team") {
                teamInstalls.push_back(value());
            } else if (a == "-h" || a == "--help") {
                std::cout << Usage;
                return 0;
            } else {
                throw std::invalid_argument("unknown argument " + a);
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "fake-msgraph: " << e.what() << "\n" << Usage;
        return 2;
    }

    auto text = common::readFile(directoryPath);
    if (!text.ok()) {
        std::cerr << "fake-msgraph: " << text.status().message() << "\n";
        return 1;
    }
    std::string error;
    auto directory = parseDirectory(*text, error);
    if (!directory) {
        std::cerr << "fake-msgraph: " << directoryPath << ": " << error << "\n";
        return 1;
    }
    FakeState state(std::move(*directory), std::chrono::seconds(tokenTtl), appRps, throttle);
    for (const auto& published : catalogApps) {
        CatalogApp app;
        app.id = newGuid();
        app.externalId = published.externalId;
        app.displayName = "TeleBot";
        app.botId = published.botId;
        app.webAppId = published.webAppInfo ? published.botId : "";
        state.publish(app);
        for (const auto& team : teamInstalls) {
            state.install(team, app.id);
        }
    }
    if (latencyMs > 0) {
        state.setLatency("any", std::chrono::milliseconds(latencyMs));
    }
    state.botEndpoint = botEndpoint;
    state.botEndpointCa = botEndpointCa;
    state.botAppId = botAppId;
    state.scheme = tlsDir.empty() ? "http" : "https";

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    try {
        Poco::Net::SocketAddress addr(listen);
        std::unique_ptr<Poco::Net::ServerSocket> socket;
        std::string scheme = "http";
        if (!tlsDir.empty()) {
            fakes::LoopbackTls tls;
            if (!fakes::ensureLoopbackTls(tlsDir, "fake-msgraph CA", "DNS:localhost,IP:127.0.0.1,IP:::1",
                                          tls, error)) {
                std::cerr << "fake-msgraph: " << error << "\n";
                return 1;
            }
            Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
                Poco::Net::Context::TLS_SERVER_USE, tls.keyPath, tls.certPath, tls.caPath,
                Poco::Net::Context::VERIFY_NONE);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 128, ctx);
            scheme = "https";
            std::cout << "ca " << tls.caPath << std::endl;
        } else {
            socket = std::make_unique<Poco::Net::ServerSocket>(addr, 128);
        }
        auto params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(threads);
        params->setMaxQueued(1024);
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(0);
        params->setKeepAliveTimeout(Poco::Timespan(30, 0));
        Poco::ThreadPool pool(4, threads + 4);
        Poco::Net::HTTPServer server(new FakeRequestHandlerFactory(state, assets), pool, *socket, params);
        server.start();
        std::string host = addr.host().toString();
        if (addr.family() == Poco::Net::AddressFamily::IPv6) {
            host = "[" + host + "]";
        }
        std::string url = scheme + "://" + host + ":" + std::to_string(socket->address().port());
        std::cout << "ready " << url << std::endl;
        common::logInfo("listening", {{"url", url}, {"browser view", url + "/"}});
        int sig = 0;
        sigwait(&sigs, &sig);
        server.stopAll(true);
        pool.joinAll();
    } catch (const Poco::Exception& e) {
        std::cerr << "fake-msgraph: " << e.displayText() << "\n";
        return 1;
    }
    common::logInfo("stopped");
    return 0;
}

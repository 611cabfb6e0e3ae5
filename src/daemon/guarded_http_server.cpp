// An HTTP(S) server that slow or idle clients cannot take over.
#include "daemon/guarded_http_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>

namespace tmsteams::daemon {

namespace {

using SteadyClock = std::chrono::steady_clock;

class Connection;
thread_local Connection* currentConnection = nullptr;  // the connection this worker serves

std::string peerOf(const Poco::Net::StreamSocket& s) {
    try {
        return s.peerAddress().host().toString();
    } catch (const Poco::Exception&) {
        return "";
    }
}

}  // namespace

// Open connections and their deadlines, shared by the acceptor (caps), the workers (phases)
// and the reaper (cuts).
struct GuardedHttpServer::Registry {
    struct Phase {
        SteadyClock::time_point since;  // when the current request began to arrive
        bool reading = true;            // false while a complete request is being answered
        bool cut = false;
    };
    GuardedHttpSettings settings;
    std::mutex mu;  // guards everything below
    std::condition_variable wake;
    std::map<std::string, int> perClient;
    std::map<int, std::string> admitted;  // socket -> client, from accept until its connection runs
    int total = 0;
    std::map<Connection*, Phase> open;
    bool stopping = false;
    std::atomic<uint64_t> refused{0}, cut{0};
    std::thread reaper;

    bool admit(int fd, const std::string& client) {
        std::lock_guard lock(mu);
        if (stopping || total >= settings.maxConnections || perClient[client] >= settings.maxPerClient) {
            ++refused;
            return false;
        }
        ++total;
        ++perClient[client];
        admitted[fd] = client;
        return true;
    }
    // The address counted at accept (the peer may be gone by now, so it is not asked again).
    std::string clientOf(int fd) {
        std::lock_guard lock(mu);
        auto it = admitted.find(fd);
        if (it == admitted.end()) {
            return "";
        }
        std::string client = std::move(it->second);
        admitted.erase(it);
        return client;
    }
    void release(const std::string& client) {
        std::lock_guard lock(mu);
        --total;
        if (--perClient[client] <= 0) {
            perClient.erase(client);
        }
    }
    void setPhase(Connection* c, bool reading) {
        std::lock_guard lock(mu);
        auto it = open.find(c);
        if (it != open.end()) {
            it->second = {SteadyClock::now(), reading, false};
        }
    }
    void reap();
    void cutAll();
};

namespace {

// Poco's HTTP connection, registered while it runs, so the reaper can cut it.
class Connection final : public Poco::Net::HTTPServerConnection {
public:
    Connection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
               Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, std::shared_ptr<GuardedHttpServer::Registry> registry,
               std::string client)
        : HTTPServerConnection(socket, params, handlers), registry_(std::move(registry)), client_(std::move(client)) {}
    ~Connection() override { registry_->release(client_); }

    void run() override {
        {
            std::lock_guard lock(registry_->mu);
            // Our own descriptor of the socket: Poco closes its one when the connection ends,
            // and the number may be reused at once; ours stays valid until we deregister.
            cutFd_ = ::dup(socket().impl()->sockfd());
            registry_->open[this] = {SteadyClock::now(), true, false};
        }
        currentConnection = this;
        try {
            HTTPServerConnection::run();
        } catch (...) {
        }
        currentConnection = nullptr;
        std::lock_guard lock(registry_->mu);
        registry_->open.erase(this);
        if (cutFd_ >= 0) {
            ::close(cutFd_);
            cutFd_ = -1;
        }
    }
    // Called with the registry's lock held, so `cutFd_` is still ours.
    void cutOff() {
        if (cutFd_ >= 0) {
            ::shutdown(cutFd_, SHUT_RDWR);
        }
    }
    GuardedHttpServer::Registry& registry() { return *registry_; }

private:
    std::shared_ptr<GuardedHttpServer::Registry> registry_;
    std::string client_;
    int cutFd_ = -1;
};

// Marks the end of each request, so a kept-alive connection's next one gets a fresh deadline.
class PhaseHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit PhaseHandler(Poco::Net::HTTPRequestHandler* inner) : inner_(inner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        inner_->handleRequest(req, resp);
        if (currentConnection) {
            currentConnection->registry().setPhase(currentConnection, true);
        }
    }

private:
    std::unique_ptr<Poco::Net::HTTPRequestHandler> inner_;
};

class PhaseHandlers final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit PhaseHandlers(Poco::Net::HTTPRequestHandlerFactory::Ptr inner) : inner_(std::move(inner)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& req) override {
        return new PhaseHandler(inner_->createRequestHandler(req));
    }

private:
    Poco::Net::HTTPRequestHandlerFactory::Ptr inner_;
};

class Connections final : public Poco::Net::TCPServerConnectionFactory {
public:
    Connections(Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                std::shared_ptr<GuardedHttpServer::Registry> registry)
        : params_(std::move(params)), handlers_(std::move(handlers)), registry_(std::move(registry)) {}
    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
        return new Connection(socket, params_, handlers_, registry_, registry_->clientOf(socket.impl()->sockfd()));
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
    std::shared_ptr<GuardedHttpServer::Registry> registry_;
};

class Caps final : public Poco::Net::TCPServerConnectionFilter {
public:
    explicit Caps(std::shared_ptr<GuardedHttpServer::Registry> registry) : registry_(std::move(registry)) {}
    bool accept(const Poco::Net::StreamSocket& socket) override {
        return registry_->admit(socket.impl()->sockfd(), peerOf(socket));
    }

private:
    std::shared_ptr<GuardedHttpServer::Registry> registry_;
};

}  // namespace

void GuardedHttpServer::Registry::reap() {
    std::unique_lock lock(mu);
    while (!stopping) {
        wake.wait_for(lock, std::chrono::milliseconds(200));
        const auto now = SteadyClock::now();
        for (auto& [c, phase] : open) {
            if (phase.reading && !phase.cut && now - phase.since > settings.requestDeadline) {
                c->cutOff();
                phase.cut = true;
                ++cut;
            }
        }
    }
}

void GuardedHttpServer::Registry::cutAll() {
    std::lock_guard lock(mu);
    stopping = true;
    for (auto& [c, phase] : open) {
        c->cutOff();
    }
    wake.notify_all();
}

GuardedHttpServer::GuardedHttpServer(const Poco::Net::ServerSocket& socket,
                                     Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, GuardedHttpSettings settings)
    : registry_(std::make_shared<Registry>()) {
    registry_->settings = settings;
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(settings.maxConnections);
    params->setMaxQueued(settings.maxConnections);  // admitted connections never wait in a queue
    params->setKeepAlive(settings.keepAlive);
    params->setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(settings.requestDeadline).count()));
    Poco::Net::HTTPServerParams::Ptr shared(params);
    pool_ = std::make_unique<Poco::ThreadPool>(2, settings.maxConnections + 1);
    server_ = std::make_unique<Poco::Net::TCPServer>(
        new Connections(shared, new PhaseHandlers(std::move(handlers)), registry_), *pool_, socket, shared);
    server_->setConnectionFilter(new Caps(registry_));
    registry_->reaper = std::thread([r = registry_.get()] { r->reap(); });
    server_->start();
}

GuardedHttpServer::~GuardedHttpServer() {
    server_->stop();
    registry_->cutAll();
    pool_->joinAll();  // handlers use their owners' objects: none may outlive this
    registry_->reaper.join();
}

void GuardedHttpServer::requestRead() {
    if (currentConnection) {
        currentConnection->registry().setPhase(currentConnection, false);
    }
}

uint64_t GuardedHttpServer::refused() const { return registry_->refused.load(); }
uint64_t GuardedHttpServer::cut() const { return registry_->cut.load(); }

}  // namespace tmsteams::daemon

// An HTTP(S) server that slow or idle clients cannot take over: each connection must deliver a
// whole request (headers and body; for TLS, the handshake too) within a deadline, else it is
// cut; connections are capped in total and per client address; every connection has a worker,
// so a request that arrives complete is answered at once, however many are still arriving.
// Used by the status endpoint and the bot endpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/ServerSocket.h>

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class TCPServer;
}

namespace tmsteams::daemon {

struct GuardedHttpSettings {
    int maxConnections = 32;     // open at once, in total; each has a worker thread
    int maxPerClient = 24;       // from one IP address, so one client leaves room for others
    std::chrono::milliseconds requestDeadline{std::chrono::seconds(10)};  // also the keep-alive idle limit
    bool keepAlive = false;
};

class GuardedHttpServer {
public:
    // Starts serving `socket` (a ServerSocket or SecureServerSocket) with `handlers`.
    GuardedHttpServer(const Poco::Net::ServerSocket& socket, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                      GuardedHttpSettings settings);
    // Stops accepting, cuts open connections, and waits for handlers in flight.
    ~GuardedHttpServer();

    // A handler calls this once it has read its whole request (the body, if any): from then on
    // the connection's deadline no longer applies while it is being answered.
    static void requestRead();

    uint64_t refused() const;  // connections over a cap
    uint64_t cut() const;      // connections cut at their deadline

    struct Registry;

private:
    std::shared_ptr<Registry> registry_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::TCPServer> server_;
};

}  // namespace tmsteams::daemon

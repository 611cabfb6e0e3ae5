// GrpcAuthClient's connection: choosing the route to Auth, dialling it without holding the
// client's lock, and dialling again when a tunnelled connection is gone.
#include "common/log.h"
#include "teleport/alpn_tunnel.h"
#include "teleport/auth_route.h"
#include "teleport/grpc_auth_client.h"
#include "teleport/grpc_channel.h"

namespace tmsteams::teleport {

namespace {
constexpr std::chrono::milliseconds DialTimeout{5000};  // each step of reaching Auth through a Proxy
constexpr std::chrono::seconds RedialAfter{1};          // after a failed dial
}  // namespace

GrpcAuthClient::GrpcAuthClient(const std::string& addr, const TlsCredentials& creds, std::string pluginName,
                               std::optional<bool> tlsRouting)
    : tlsRouting_(tlsRouting), addr_(addr), creds_(creds), plugin_(std::move(pluginName)) {
    install(dial(addr_, creds_, tlsRouting_), generation_);
}

GrpcAuthClient::Dialed GrpcAuthClient::dial(const std::string& addr, const TlsCredentials& creds,
                                            std::optional<bool> tlsRouting) const {
    Dialed d;
    auto route = planAuthRoute(addr, creds, tlsRouting, DialTimeout);
    if (!route.ok()) {
        d.error = route.status();
        return d;
    }
    d.route = route->describe();
    d.proxyCluster = route->proxyCluster;
    d.direct = route->kind == AuthRoute::Kind::Direct;
    if (d.direct) {
        d.channel = makeAuthChannel(addr, creds);
    } else {
        auto ch = dialAuthThroughProxy(addr, creds, route->cluster, route->kind == AuthRoute::Kind::ProxyUpgraded,
                                       DialTimeout);
        if (!ch.ok()) {
            d.error = ch.status();  // kept and reported by every call until a dial succeeds
            return d;
        }
        d.channel = *ch;
    }
    return d;
}

void GrpcAuthClient::install(Dialed d, uint64_t generation) const {
    // Channels replaced here are released after the lock: the last reference to a tunnelled
    // channel stops and joins its pump, which must not happen with the lock held.
    std::shared_ptr<grpc::Channel> oldChannel;
    std::shared_ptr<proto::AuthService::Stub> oldStub;
    std::unique_lock lock(mu_);
    if (generation != generation_) {
        lock.unlock();
        d.channel.reset();
        return;  // reconnect() changed the address or credentials meanwhile: that dial wins
    }
    lastDial_ = std::chrono::steady_clock::now();
    if (!d.error.ok()) {
        dialError_ = d.error;
        return;
    }
    if (d.route != routeText_) {
        routeText_ = d.route;
        common::logInfo("reaching the Auth Service", {{"addr", addr_}, {"route", routeText_},
                                                      {"proxy_cluster", d.proxyCluster}});
    }
    dialError_ = absl::OkStatus();
    direct_ = d.direct;
    oldChannel = std::move(channel_);
    oldStub = std::move(stub_);
    channel_ = d.channel;
    stub_ = proto::AuthService::NewStub(channel_);
    lock.unlock();
    d.channel.reset();
    oldStub.reset();
    oldChannel.reset();
}

void GrpcAuthClient::reconnect(const std::string& addr, const TlsCredentials& creds) {
    uint64_t generation = 0;
    {
        std::unique_lock lock(mu_);
        addr_ = addr;
        creds_ = creds;
        generation = ++generation_;
    }
    install(dial(addr, creds, tlsRouting_), generation);
}

bool GrpcAuthClient::usableLocked() const {
    if (!stub_) {
        return false;
    }
    if (direct_) {
        return true;  // grpc++ reconnects by itself
    }
    auto state = channel_->GetState(false);
    return state != GRPC_CHANNEL_TRANSIENT_FAILURE && state != GRPC_CHANNEL_SHUTDOWN;
}

absl::StatusOr<std::shared_ptr<proto::AuthService::Stub>> GrpcAuthClient::stub() const {
    std::string addr;
    TlsCredentials creds;
    uint64_t generation = 0;
    {
        std::shared_lock lock(mu_);
        if (usableLocked()) {
            return stub_;
        }
        // After a failed dial, calls get its error at once for a while instead of dialling again.
        if (!dialError_.ok() && std::chrono::steady_clock::now() - lastDial_ < RedialAfter) {
            return dialError_;
        }
        addr = addr_;
        creds = creds_;
        generation = generation_;
    }
    // A tunnelled connection does not come back by itself: one caller dials (no lock held while
    // it does); the others get the last error meanwhile.
    if (dialing_.exchange(true)) {
        std::shared_lock lock(mu_);
        return dialError_.ok() ? absl::UnavailableError("reconnecting to the Teleport Auth Service") : dialError_;
    }
    install(dial(addr, creds, tlsRouting_), generation);
    dialing_ = false;
    std::shared_lock lock(mu_);
    if (!stub_ || !dialError_.ok()) {
        return dialError_.ok() ? absl::UnavailableError("reconnecting to the Teleport Auth Service") : dialError_;
    }
    return stub_;
}

}  // namespace tmsteams::teleport

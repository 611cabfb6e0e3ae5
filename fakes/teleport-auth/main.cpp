// fake-teleport-auth: a Teleport Auth Service stand-in for tests and development, on loopback.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <set>
#include <thread>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "alpn_proxy.h"
#include "cluster_pki.h"
#include "x509_issuer.h"
#include "common/files.h"
#include "common/log.h"
#include "fake_auth_service.h"

using namespace tmsteams;
using namespace tmsteams::fakeauth;

namespace {

const char* Usage = R"(usage: fake-teleport-auth --state-dir DIR [options]

Serves Teleport's AuthService (the subset access-request plugins use) over mTLS.
On first start it creates a cluster CA, a server certificate for teleport.cluster.local and,
for each user, an identity file DIR/NAME plus DIR/NAME.crt, NAME.key, NAME.cas.
State survives restarts. Prints "ready HOST:PORT" on stdout when listening.

options:
  --listen ADDR             host:port to listen on (default 127.0.0.1:0, an ephemeral port)
  --state-dir DIR           keys, certificates and state (required)
  --cluster-name NAME       (default fake.teleport.local)
  --server-version SEMVER   reported by Ping (default 16.4.0)
  --proxy-public-addr ADDR  reported by Ping (default teleport.example.com:443)
  --no-advanced-workflows   Ping reports AdvancedAccessWorkflows = false
  --without-submit-for-users  a cluster without reviews on behalf of users (RFD 250, a draft; no
                            published Teleport has it): AccessReview.SubmittedBy is dropped and a
                            review whose author is not the caller is refused, as Teleport does
  --user NAME=ROLE          a Teleport user with credentials and role admin, plugin (what configure's
                            role grants: requests, plugin data, access monitoring rules, resources,
                            roles), plugin-review (plugin + read users + review_requests.
                            submit_for_users), plugin-basic (requests and plugin data only, an older
                            role) or none (repeatable; default: admin=admin and teleport-msteams=plugin)
  --person NAME[:ROLES][:TRAIT=VALUE,...]
                            a user without credentials, for GetUser/ListUsers; role "reviewer"
                            may review (repeatable), e.g. dave:reviewer:msteams_uid=AAD-ID
  --node UUID[=HOSTNAME][:LABEL=VALUE,...]
  --app NAME[:LABEL=VALUE,...]
  --db NAME[:LABEL=VALUE,...]
  --kube-cluster NAME[:LABEL=VALUE,...]
                            resources ListResources returns (repeatable)
  --role-def NAME=LOGIN,...  a role GetRole returns, allowing those logins (repeatable)
  --client-cert-ttl SECONDS validity of newly issued client certificates (default 1 year;
                            negative issues an already expired certificate)
  --delay-ms N              delay every AuthService response by N ms
  --fail-updates N          fail the next N UpdatePluginData calls with FAILED_PRECONDITION
  --proxy-listen ADDR       also act as a Proxy in TLS-routing mode on ADDR (prints "proxy
                            HOST:PORT"): connections whose first ALPN is teleport-auth@<hex(cluster)>
                            .teleport.cluster.local are piped unchanged to the Auth Service; other
                            TLS is terminated with a web certificate from STATE/web/ca.crt (a
                            "public" CA) serving /webapi/find, /webapi/ping and the connection
                            upgrade (/webapi/connectionupgrade, WebSocket alpn / alpn-ping)
  --proxy-behind-l7-lb      put that Proxy behind a TLS-terminating load balancer: every
                            connection gets the web certificate and no ALPN, so only upgraded
                            connections reach Auth
  --proxy-without-tls-routing  /webapi/find reports tls_routing_enabled = false
  --leaf-ca-first NAME      identity files list a trusted leaf cluster NAME's CA before this
                            cluster's, as tctl auth sign may
  --persist-interval-ms N   write the state at most every N ms (default 0: after every change,
                            before answering); for benchmarks with many requests
  --init-only               create the PKI and user credentials, then exit
  --reissue NAME            issue new credentials for user NAME even if it has some (as tbot
                            renews them); repeatable
)";

std::atomic<bool> g_stop{false};

struct Options {
    std::string listen = "127.0.0.1:0";
    std::string stateDir;
    ClusterInfo cluster{"fake.teleport.local", "16.4.0", "teleport.example.com:443", true};
    std::vector<std::pair<std::string, Role>> users;
    UserDirectory people;
    ClusterCatalog catalog;
    long clientCertTtl = 365L * 24 * 3600;
    uint32_t delayMs = 0;
    uint32_t failUpdates = 0;
    bool initOnly = false;
    std::set<std::string> reissue;
    std::string proxyListen;
    bool proxyBehindLoadBalancer = false;
    bool proxyTlsRouting = true;
    std::string leafCaFirst;
    uint32_t persistIntervalMs = 0;
};

bool parseArgs(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "fake-teleport-auth: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--listen") {
            o.listen = value();
        } else if (a == "--state-dir") {
            o.stateDir = value();
        } else if (a == "--cluster-name") {
            o.cluster.name = value();
        } else if (a == "--server-version") {
            o.cluster.serverVersion = value();
        } else if (a == "--proxy-public-addr") {
            o.cluster.proxyPublicAddr = value();
        } else if (a == "--no-advanced-workflows") {
            o.cluster.advancedWorkflows = false;
        } else if (a == "--without-submit-for-users") {
            o.cluster.submitForUsers = false;
        } else if (a == "--user") {
            std::string v = value();
            auto eq = v.find('=');
            Role role;
            if (eq == std::string::npos || eq == 0 || !parseRole(v.substr(eq + 1), role)) {
                std::cerr << "fake-teleport-auth: --user wants NAME=admin|plugin|none, got " << v
                          << "\n";
                return false;
            }
            o.users.emplace_back(v.substr(0, eq), role);
        } else if (a == "--node" || a == "--app" || a == "--db" || a == "--kube-cluster") {
            const std::string kind = a == "--kube-cluster" ? "kube_cluster" : std::string(a).substr(2);
            const std::string v = value();
            if (!o.catalog.addResource(kind, v)) {
                std::cerr << "fake-teleport-auth: " << a << " wants NAME[=DISPLAY][:LABEL=VALUE,...], got " << v << "\n";
                return false;
            }
        } else if (a == "--role-def") {
            const std::string v = value();
            if (!o.catalog.addRole(v)) {
                std::cerr << "fake-teleport-auth: --role-def wants NAME=LOGIN,..., got " << v << "\n";
                return false;
            }
        } else if (a == "--person") {
            std::string v = value();
            if (!o.people.add(v)) {
                std::cerr << "fake-teleport-auth: --person wants NAME[:ROLE,...][:TRAIT=VALUE,...], got " << v << "\n";
                return false;
            }
        } else if (a == "--client-cert-ttl") {
            o.clientCertTtl = std::stol(value());
        } else if (a == "--delay-ms") {
            o.delayMs = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--fail-updates") {
            o.failUpdates = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--persist-interval-ms") {
            o.persistIntervalMs = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--proxy-listen") {
            o.proxyListen = value();
        } else if (a == "--proxy-behind-l7-lb") {
            o.proxyBehindLoadBalancer = true;
        } else if (a == "--proxy-without-tls-routing") {
            o.proxyTlsRouting = false;
        } else if (a == "--leaf-ca-first") {
            o.leafCaFirst = value();
        } else if (a == "--reissue") {
            o.reissue.insert(value());
        } else if (a == "--init-only") {
            o.initOnly = true;
        } else if (a == "-h" || a == "--help") {
            std::cout << Usage;
            std::exit(0);
        } else {
            std::cerr << "fake-teleport-auth: unknown argument " << a << "\n" << Usage;
            return false;
        }
    }
    if (o.stateDir.empty()) {
        std::cerr << "fake-teleport-auth: --state-dir is required\n" << Usage;
        return false;
    }
    if (o.users.empty()) {
        o.users = {{"admin", Role::Admin}, {"teleport-msteams", Role::Plugin}};
    }
    return true;
}

// Lets the control RPC take the listener down for a while; the main loop brings it back.
struct ServerLoop {
    std::mutex mu;  // guards server and refuseSeconds
    grpc::Server* server = nullptr;
    uint32_t refuseSeconds = 0;
    std::condition_variable cv;
};

}  // namespace

int main(int argc, char** argv) {
    Options opts;
    try {
        if (!parseArgs(argc, argv, opts)) {
            return 2;
        }
    } catch (const std::exception& e) {
        std::cerr << "fake-teleport-auth: bad number: " << e.what() << "\n";
        return 2;
    }

    auto pki = ClusterPki::loadOrCreate(opts.stateDir, opts.cluster.name, opts.leafCaFirst);
    if (!pki.ok()) {
        std::cerr << "fake-teleport-auth: " << pki.status().message() << "\n";
        return 1;
    }
    Rbac rbac;
    for (const auto& [name, role] : opts.users) {
        rbac.addUser(name, role);
        if (auto s = pki->ensureUser(name, {roleName(role)}, std::chrono::seconds(opts.clientCertTtl),
                                     opts.reissue.count(name) > 0);
            !s.ok()) {
            std::cerr << "fake-teleport-auth: " << s.message() << "\n";
            return 1;
        }
    }
    if (opts.initOnly) {
        return 0;
    }

    WatchHub hub;
    const std::string statePath = opts.stateDir + "/state.pb";
    // With an interval, changes only mark the store dirty and a writer thread saves it.
    auto save = [statePath](const teleportfake::FakeState& st) {
        if (auto s = common::writeFileAtomic(statePath, st.SerializeAsString()); !s.ok()) {
            common::logError("cannot persist state", {{"error", std::string(s.message())}});
        }
    };
    RequestStore::Persister persister;
    if (opts.persistIntervalMs == 0) {
        persister = save;
    }
    RequestStore store([&hub](const proto::Event& ev) { hub.publish(ev); }, persister);
    if (opts.persistIntervalMs > 0) {
        std::thread([&, save] {
            for (;;) {
                std::this_thread::sleep_for(std::chrono::milliseconds(opts.persistIntervalMs));
                if (store.takeDirty()) {
                    save(store.snapshot());
                }
            }
        }).detach();
    }
    if (auto saved = common::readFile(statePath); saved.ok()) {
        teleportfake::FakeState st;
        if (!st.ParseFromString(*saved)) {
            std::cerr << "fake-teleport-auth: " << statePath << " is corrupt\n";
            return 1;
        }
        store.restore(st);
        common::logInfo("state restored", {{"requests", std::to_string(st.requests_size())}});
    }
    store.failNextUpdates(opts.failUpdates);
    FaultState faults;
    faults.delayMs = opts.delayMs;

    ServerLoop loop;
    auto refuse = [&loop, &hub](uint32_t seconds) {
        std::lock_guard lock(loop.mu);
        loop.refuseSeconds = seconds;
        hub.closeAll(grpc::Status(grpc::UNAVAILABLE, "auth server going away"));
        if (loop.server) {
            // Shut down from another thread: this runs inside one of the server's handlers.
            std::thread([s = loop.server] {
                s->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
            }).detach();
        }
    };
    FakeAuthService auth(opts.cluster, store, hub, rbac, faults, opts.people, opts.catalog);
    RuleStore ruleStore([&hub](const proto::Event& ev) { hub.publish(ev); });
    FakeRulesService rulesService(ruleStore, rbac);
    FakeUsersService users(opts.people, rbac);
    FakeControlService control(store, hub, rbac, faults, refuse);

    // Signals end the process cleanly: close watchers, stop the server.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    std::thread([&] {
        int sig = 0;
        sigwait(&sigs, &sig);
        g_stop = true;
        hub.closeAll(grpc::Status(grpc::UNAVAILABLE, "auth server shutting down"));
        std::lock_guard lock(loop.mu);
        loop.cv.notify_all();
        if (loop.server) {
            loop.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
        }
    }).detach();

    // Pending requests expire at their TTL; resolved ones at their access expiry.
    std::thread([&] {
        while (!g_stop) {
            store.expire(std::chrono::system_clock::now());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }).detach();

    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = pki->server().caPem;
    ssl.pem_key_cert_pairs.push_back({pki->server().keyPem, pki->server().certPem});

    std::string listen = opts.listen;
    bool announced = false;
    std::unique_ptr<AlpnProxy> proxy;
    while (!g_stop) {
        grpc::ServerBuilder builder;
        int port = 0;
        builder.AddListeningPort(listen, grpc::SslServerCredentials(ssl), &port);
        builder.RegisterService(&auth);
        builder.RegisterService(&users);
        builder.RegisterService(&rulesService);
        builder.RegisterService(&control);
        std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
        if (!server || port == 0) {
            std::cerr << "fake-teleport-auth: cannot listen on " << listen << "\n";
            return 1;
        }
        if (!announced) {
            // Later restarts (after RefuseConnections) keep the same port.
            auto colon = listen.rfind(':');
            listen = listen.substr(0, colon) + ":" + std::to_string(port);
            if (!opts.proxyListen.empty()) {
                // The Proxy's web certificate comes from a "public" CA of its own (STATE/web/ca.crt),
                // not the cluster's: clients trust it through their system store (SSL_CERT_FILE).
                fakes::LoopbackTls web;
                std::string error;
                if (!fakes::ensureLoopbackTls(opts.stateDir + "/web", "Fake Public CA", "DNS:localhost,IP:127.0.0.1",
                                              web, error)) {
                    std::cerr << "fake-teleport-auth: " << error << "\n";
                    return 1;
                }
                ProxySettings ps{opts.proxyListen, listen, opts.cluster.name, opts.cluster.serverVersion,
                                 web.certPath, web.keyPath, opts.proxyBehindLoadBalancer, opts.proxyTlsRouting};
                auto p = AlpnProxy::start(ps);
                if (!p.ok()) {
                    std::cerr << "fake-teleport-auth: " << p.status().message() << "\n";
                    return 1;
                }
                proxy = std::move(*p);
                std::cout << "proxy " << proxy->address() << std::endl;
            }
            std::cout << "ready " << listen << std::endl;
            common::logInfo("listening", {{"addr", listen}, {"cluster", opts.cluster.name}});
            announced = true;
        }
        {
            std::lock_guard lock(loop.mu);
            loop.server = server.get();
        }
        server->Wait();
        uint32_t pause = 0;
        {
            std::lock_guard lock(loop.mu);
            loop.server = nullptr;
            pause = loop.refuseSeconds;
            loop.refuseSeconds = 0;
        }
        if (g_stop) {
            break;
        }
        common::logInfo("refusing connections", {{"seconds", std::to_string(pause)}});
        std::unique_lock lock(loop.mu);
        loop.cv.wait_for(lock, std::chrono::seconds(pause), [] { return g_stop.load(); });
    }
    common::logInfo("stopped");
    return 0;
}

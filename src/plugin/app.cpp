// The daemon's lifecycle.
#include "plugin/app.h"

#include <unistd.h>

#include <future>
#include <map>
#include <set>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/log.h"
#include "plugin/keyed_executor.h"
#include "plugin/ms_api_stack.h"
#include "plugin/request_handler.h"
#include "teams/teams_messenger.h"
#include "teleport/grpc_auth_client.h"
#include "teleport/identity_file.h"

namespace tmsteams::plugin {

namespace {

constexpr auto InitTimeout = std::chrono::seconds(30);
constexpr auto WatchInitTimeout = std::chrono::seconds(15);
constexpr auto DrainTimeout = std::chrono::seconds(15);

std::string formatUtc(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string hostInstanceId() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "/" + std::to_string(::getpid()) + "/" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// Calls `redeliver` for a request after a delay, on the request's queue.
class RetryTimer {
public:
    explicit RetryTimer(std::function<void(const std::string&)> fire)
        : fire_(std::move(fire)), thread_([this](std::stop_token st) { loop(st); }) {}
    ~RetryTimer() {
        thread_.request_stop();
        cv_.notify_all();
    }
    void schedule(const std::string& id, std::chrono::milliseconds delay) {
        {
            std::lock_guard lock(mu_);
            due_.emplace(std::chrono::steady_clock::now() + delay, id);
        }
        cv_.notify_all();
    }

private:
    void loop(std::stop_token st) {
        std::unique_lock lock(mu_);
        while (!st.stop_requested()) {
            if (due_.empty()) {
                cv_.wait(lock, st, [&] { return !due_.empty(); });
                continue;
            }
            auto next = due_.begin()->first;
            if (cv_.wait_until(lock, st, next, [&] { return !due_.empty() && due_.begin()->first < next; })) {
                continue;  // an earlier one arrived
            }
            auto now = std::chrono::steady_clock::now();
            while (!due_.empty() && due_.begin()->first <= now) {
                std::string id = due_.begin()->second;
                due_.erase(due_.begin());
                lock.unlock();
                fire_(id);
                lock.lock();
            }
        }
    }

    std::function<void(const std::string&)> fire_;
    std::mutex mu_;  // guards due_
    std::condition_variable_any cv_;
    std::multimap<std::chrono::steady_clock::time_point, std::string> due_;
    std::jthread thread_;
};

}  // namespace

bool versionAtLeast(const std::string& version, int major, int minor, int patch) {
    int a = 0, b = 0, c = 0;
    char rest = 0;
    std::string v = version;
    if (!v.empty() && v[0] == 'v') {
        v.erase(0, 1);
    }
    int n = std::sscanf(v.c_str(), "%d.%d.%d%c", &a, &b, &c, &rest);
    if (n < 3 || (n == 4 && rest != '-' && rest != '+')) {
        return false;
    }
    if (a != major) {
        return a > major;
    }
    if (b != minor) {
        return b > minor;
    }
    return c >= patch;
}

struct App::Impl {
    Config config;
    common::SystemClock clock;
    std::stop_source stop;
    std::mutex streamMu;  // guards stream
    teleport::WatchStream* stream = nullptr;

    std::unique_ptr<teleport::GrpcAuthClient> auth;
    std::unique_ptr<MsApiStack> ms;
    std::unique_ptr<teams::TeamsMessenger> messenger;
    std::unique_ptr<KeyedExecutor> executor;
    std::unique_ptr<RetryTimer> retries;
    std::unique_ptr<RequestHandler> handler;
    std::jthread catchUp;

    int fail(const std::string& msg) {
        common::logError(msg);
        return 1;
    }

    int connectTeleport(proto::PingResponse& ping);
    int connectMicrosoft(std::string& catalogAppId);
    void preload();
    void dispatch(const proto::Event& ev);
    void catchUpOnce();
    int watchLoop();
};

int App::Impl::connectTeleport(proto::PingResponse& ping) {
    const auto& tc = config.teleport;
    absl::StatusOr<teleport::TlsCredentials> creds;
    std::string credsPath;
    if (!tc.clientCrt.empty()) {
        creds = teleport::loadTlsFiles(tc.clientCrt, tc.clientKey, tc.rootCas);
        credsPath = tc.clientCrt;
    } else if (!tc.identity.empty()) {
        creds = teleport::loadIdentityFile(tc.identity);
        credsPath = tc.identity;
    } else {
        return fail(config.path + ": [teleport] needs identity, or client_key, client_crt and root_cas");
    }
    if (!creds.ok()) {
        return fail("cannot load Teleport credentials: " + std::string(creds.status().message()));
    }
    auto cert = teleport::inspectCertificate(creds->certPem);
    if (!cert.ok()) {
        return fail("cannot read the certificate in " + credsPath + ": " + std::string(cert.status().message()));
    }
    if (cert->notAfter <= clock.now()) {
        return fail("the Teleport credentials in " + credsPath + " expired at " + formatUtc(cert->notAfter) +
                    ": issue new ones (tctl auth sign, or tbot)");
    }
    auth = std::make_unique<teleport::GrpcAuthClient>(tc.addr, *creds, PluginName);
    common::Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(2));
    auto deadline = clock.steadyNow() + InitTimeout;
    for (;;) {
        auto p = auth->ping();
        if (p.ok()) {
            ping = *p;
            break;
        }
        if (p.status().code() == absl::StatusCode::kUnimplemented) {
            return fail("the Teleport server is too old: version 8.0.0 or newer is required");
        }
        if (p.status().code() != absl::StatusCode::kUnavailable || clock.steadyNow() >= deadline) {
            return fail("cannot reach the Teleport Auth Service at " + tc.addr + ": " + std::string(p.status().message()));
        }
        common::logWarn("Teleport not reachable yet, retrying", {{"addr", tc.addr},
                                                                {"error", std::string(p.status().message())}});
        if (!clock.sleepFor(backoff.next(), stop.get_token())) {
            return 0;
        }
    }
    if (!versionAtLeast(ping.serverversion(), 8, 0, 0)) {
        return fail("the Teleport server reports version \"" + ping.serverversion() +
                    "\": version 8.0.0 or newer is required");
    }
    common::logInfo("connected to Teleport", {{"cluster", ping.clustername()},
                                              {"version", ping.serverversion()},
                                              {"user", cert->commonName},
                                              {"credentials_expire", formatUtc(cert->notAfter)}});
    return 0;
}

int App::Impl::connectMicrosoft(std::string& catalogAppId) {
    const auto& mc = config.msapi;
    ms = MsApiStack::create(mc, clock);
    auto teamsApp = ms->graph->getTeamsApp(mc.teamsAppId, {clock.steadyNow() + InitTimeout, stop.get_token()});
    if (!teamsApp.ok()) {
        return fail("cannot find the Teams app: " + std::string(teamsApp.status().message()));
    }
    catalogAppId = teamsApp->id;
    common::logInfo("found the Teams app in the org catalog", {{"teams_app_id", mc.teamsAppId},
                                                              {"catalog_id", catalogAppId}});
    return 0;
}

void App::Impl::preload() {
    std::set<std::string> all;
    for (const auto& [role, list] : config.roleToRecipients) {
        all.insert(list.begin(), list.end());
    }
    std::vector<std::future<void>> jobs;
    auto deadline = clock.steadyNow() + std::chrono::seconds(60);
    for (const auto& r : all) {
        jobs.push_back(std::async(std::launch::async, [&, r] {
            auto s = messenger->prepare(r, deadline, stop.get_token());
            if (!s.ok()) {
                common::logWarn("cannot preload recipient", {{"recipient", r}, {"error", std::string(s.message())}});
            }
        }));
    }
    for (auto& j : jobs) {
        j.get();
    }
    common::logInfo("recipients preloaded", {{"count", std::to_string(messenger->cachedRecipients())}});
}

void App::Impl::dispatch(const proto::Event& ev) {
    auto st = stop.get_token();
    if (ev.type() == proto::PUT && ev.has_accessrequest()) {
        auto req = ev.accessrequest();
        const std::string id = req.metadata().name();
        executor->submit(id, [this, req, id, st] {
            if (auto s = handler->onRequest(req, st); !s.ok()) {
                common::logError("cannot handle access request", {{"request", id}, {"error", std::string(s.message())}});
            }
        });
    } else if (ev.type() == proto::DELETE && ev.has_resourceheader()) {
        if (ev.resourceheader().kind() != "access_request") {
            return;
        }
        const std::string id = ev.resourceheader().metadata().name();
        executor->submit(id, [this, id, st] {
            if (auto s = handler->onDeleted(id, st); !s.ok()) {
                common::logError("cannot handle deleted access request", {{"request", id},
                                                                        {"error", std::string(s.message())}});
            }
        });
    } else if (ev.type() != proto::INIT) {
        common::logWarn("ignoring unexpected watch event", {{"type", proto::Operation_Name(ev.type())}});
    }
}

// Requests created, changed or deleted while we were not watching: the Go plugin misses these.
void App::Impl::catchUpOnce() {
    auto requests = auth->listAccessRequests();
    if (!requests.ok()) {
        common::logWarn("cannot list access requests to catch up", {{"error", std::string(requests.status().message())}});
        return;
    }
    std::set<std::string> live;
    for (const auto& r : *requests) {
        live.insert(r.metadata().name());
        proto::Event ev;
        ev.set_type(proto::PUT);
        *ev.mutable_accessrequest() = r;
        dispatch(ev);
    }
    auto data = auth->listPluginData();
    if (!data.ok()) {
        common::logWarn("cannot list plugin data to catch up", {{"error", std::string(data.status().message())}});
        return;
    }
    size_t gone = 0;
    for (const auto& [id, map] : *data) {
        if (!live.count(id) && decodePluginData(map).resolution.empty()) {
            proto::Event ev;
            ev.set_type(proto::DELETE);
            ev.mutable_resourceheader()->set_kind("access_request");
            ev.mutable_resourceheader()->mutable_metadata()->set_name(id);
            dispatch(ev);
            ++gone;
        }
    }
    common::logInfo("caught up", {{"requests", std::to_string(requests->size())},
                                  {"expired_while_away", std::to_string(gone)}});
}

int App::Impl::watchLoop() {
    common::Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(5));
    bool announced = false;
    while (!stop.stop_requested()) {
        auto s = auth->watchAccessRequests();
        {
            std::lock_guard lock(streamMu);
            stream = s.get();
        }
        if (stop.stop_requested()) {
            s->cancel();
        }
        std::atomic<bool> gotInit{false};
        std::jthread watchdog([&](std::stop_token wst) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait_for(lock, wst, WatchInitTimeout, [&] { return gotInit.load(); });
            if (!gotInit && !wst.stop_requested()) {
                common::logWarn("no INIT from Teleport within 15 s; reconnecting");
                s->cancel();
            }
        });
        proto::Event ev;
        if (s->next(ev)) {
            if (ev.type() != proto::INIT) {
                common::logWarn("the watch stream did not start with INIT; reconnecting");
                s->cancel();
            } else {
                gotInit = true;
                backoff.reset();
                if (!announced) {
                    common::logInfo("plugin is ready");
                    announced = true;
                } else {
                    common::logInfo("watching access requests again");
                }
                if (catchUp.joinable()) {
                    catchUp.join();
                }
                catchUp = std::jthread([this] { catchUpOnce(); });
                while (s->next(ev)) {
                    dispatch(ev);
                }
            }
        }
        watchdog.request_stop();
        auto status = s->finish();
        {
            std::lock_guard lock(streamMu);
            stream = nullptr;
        }
        if (stop.stop_requested()) {
            break;
        }
        if (status.code() == absl::StatusCode::kPermissionDenied) {
            return fail("Teleport refused to let the plugin watch access requests (" + std::string(status.message()) +
                        "): give its user a role with access_request list/read and access_plugin_data update");
        }
        if (status.code() == absl::StatusCode::kUnauthenticated) {
            return fail("Teleport no longer accepts the plugin's credentials: " + std::string(status.message()));
        }
        auto delay = backoff.next();
        common::logWarn("watch stream ended; reconnecting", {{"error", status.ok() ? "closed by server" : std::string(status.message())},
                                                            {"delay_ms", std::to_string(delay.count())}});
        clock.sleepFor(delay, stop.get_token());
    }
    return 0;
}

App::App(Config config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

App::~App() = default;

void App::requestStop() {
    impl_->stop.request_stop();
    std::lock_guard lock(impl_->streamMu);
    if (impl_->stream) {
        impl_->stream->cancel();
    }
}

int App::run() {
    Impl& d = *impl_;
    for (const auto& w : d.config.warnings) {
        common::logWarn(w);
    }
    proto::PingResponse ping;
    if (int rc = d.connectTeleport(ping); rc != 0 || d.stop.stop_requested()) {
        return rc;
    }
    std::string catalogAppId;
    if (int rc = d.connectMicrosoft(catalogAppId); rc != 0) {
        return rc;
    }
    d.messenger = std::make_unique<teams::TeamsMessenger>(*d.ms->graph, *d.ms->bot, catalogAppId);
    d.executor = std::make_unique<KeyedExecutor>(16);
    d.retries = std::make_unique<RetryTimer>([&d](const std::string& id) {
        auto st = d.stop.get_token();
        d.executor->submit(id, [&d, id, st] {
            if (auto s = d.handler->redeliver(id, st); !s.ok()) {
                common::logWarn("redelivery failed", {{"request", id}, {"error", std::string(s.message())}});
            }
        });
    });
    HandlerSettings hs;
    hs.instanceId = hostInstanceId();
    hs.clusterName = ping.clustername();
    if (ping.serverfeatures().advancedaccessworkflows()) {
        hs.webProxyAddr = ping.proxypublicaddr();
    }
    hs.roleToRecipients = d.config.roleToRecipients;
    d.handler = std::make_unique<RequestHandler>(*d.auth, *d.messenger, d.clock, hs,
                                                 [&d](const std::string& id, std::chrono::milliseconds delay) {
                                                     d.retries->schedule(id, delay);
                                                 });
    if (d.config.preload) {
        d.preload();
    }
    int rc = d.watchLoop();
    common::logInfo("stopping: finishing work in flight", {{"in_flight", std::to_string(d.executor->inFlight())}});
    if (d.catchUp.joinable()) {
        d.catchUp.join();
    }
    if (!d.executor->drain(DrainTimeout)) {
        common::logWarn("gave up waiting for work in flight", {{"in_flight", std::to_string(d.executor->inFlight())}});
    }
    d.retries.reset();
    d.executor.reset();
    common::logInfo("stopped");
    return rc;
}

}  // namespace tmsteams::plugin

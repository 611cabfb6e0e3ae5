// The daemon's lifecycle.
#include "plugin/app.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <future>
#include <map>
#include <set>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/sd_notify.h"
#include "common/time_format.h"
#include "plugin/catch_up.h"
#include "plugin/fan_out.h"
#include "plugin/keyed_executor.h"
#include "plugin/ms_api_stack.h"
#include "plugin/request_handler.h"
#include "plugin/retry_queue.h"
#include "plugin/review_server.h"
#include "plugin/status_server.h"
#include "teams/teams_messenger.h"
#include "teleport/alpn_tunnel.h"
#include "teleport/grpc_auth_client.h"
#include "teleport/identity_file.h"

namespace tmsteams::plugin {

using common::formatUtc;

namespace {

constexpr auto InitTimeout = std::chrono::seconds(30);
constexpr auto WatchInitTimeout = std::chrono::seconds(15);
constexpr auto DrainTimeout = std::chrono::seconds(15);
constexpr auto ExpiryCheckEvery = std::chrono::seconds(10);

std::string hostInstanceId() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "/" + std::to_string(::getpid()) + "/" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

std::string digest(const std::string& s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(md), n);
}

void applyLogSettings(const LogConfig& l) {
    auto& log = common::Logger::instance();
    if (!log.setOutput(l.output)) {
        common::logError("cannot open the log output; keeping the previous one", {{"output", l.output}});
    }
    common::Severity sev = common::Severity::Info;
    common::parseSeverity(l.severity, sev);
    log.setSeverity(sev);
    log.setFormat(l.format == "json" ? common::LogFormat::Json : common::LogFormat::Text);
}

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
    common::SystemClock clock;
    common::SdNotifier systemd;
    std::stop_source stop;

    std::mutex configMu;  // guards config, certDigest, certNotAfter
    Config config;
    std::string certDigest;
    std::chrono::system_clock::time_point certNotAfter;

    std::mutex streamMu;  // guards stream
    teleport::WatchStream* stream = nullptr;
    std::atomic<bool> watching{false};
    std::atomic<bool> reloadWanted{false};
    std::atomic<int64_t> lastProbeMs{0};

    std::unique_ptr<teleport::GrpcAuthClient> auth;
    std::unique_ptr<MsApiStack> ms;
    std::unique_ptr<teams::TeamsMessenger> messenger;
    std::unique_ptr<KeyedExecutor> executor;
    std::unique_ptr<FanOut> fanOut;
    std::unique_ptr<RetryQueue> retries;
    std::unique_ptr<RequestHandler> handler;
    std::unique_ptr<StatusServer> status;
    std::string pluginUser;  // our Teleport user (certificate CN)
    std::unique_ptr<msapi::BotAuthenticator> botAuth;
    std::unique_ptr<ReviewHandler> reviews;
    std::unique_ptr<ReviewServer> reviewServer;
    std::jthread catchUp;
    std::jthread maintenance;

    common::Counter* reconnects = nullptr;
    // Registered once, so handling an event never takes the registry's lock.
    std::map<std::string, common::Counter*> seenByState;
    common::Counter& seen(const std::string& state);
    bool failFast = false;  // TELEPORT_PLUGIN_FAIL_FAST

    int fail(const std::string& msg) {
        common::logError(msg);
        return 1;
    }

    absl::StatusOr<teleport::TlsCredentials> loadCredentials(const TeleportConfig& tc, std::string& where);
    int connectTeleport(proto::PingResponse& ping);
    // Builds the Microsoft clients; nothing is called yet.
    void setUpMicrosoft();
    // Finds the Teams app in the org catalog (waiting out outages and throttling), then lets
    // the cards that waited for it go. Runs beside the watch: watching Teleport never waits
    // for Microsoft. A wrong setup (no such app, refused credentials) stops the daemon.
    void reachMicrosoft(std::stop_token st);
    std::jthread microsoftStartup;
    std::atomic<int> exitCode{0};
    void registerMetrics();
    std::vector<std::string> readinessProblems();
    void preload();
    void dispatch(const proto::Event& ev);
    void catchUpOnce();
    void scanReminders();
    int startReviewEndpoint();
    // Logs what handling came to and hands it to the retry queue, the one owner of retries.
    void settle(const std::string& id, const Outcome& outcome, const char* what);
    int watchLoop();
    void cancelStream();
    void maintain(std::stop_token st);
    void reload();
    // Re-reads the Teleport credentials; reconnects when they changed (or `force`).
    void refreshIdentity(bool force);
};

absl::StatusOr<teleport::TlsCredentials> App::Impl::loadCredentials(const TeleportConfig& tc, std::string& where) {
    if (!tc.clientCrt.empty()) {
        where = tc.clientCrt;
        return teleport::loadTlsFiles(tc.clientCrt, tc.clientKey, tc.rootCas);
    }
    if (!tc.identity.empty()) {
        where = tc.identity;
        return teleport::loadIdentityFile(tc.identity);
    }
    where = config.path;
    return absl::InvalidArgumentError(config.path + ": [teleport] needs identity, or client_key, client_crt and root_cas");
}

int App::Impl::connectTeleport(proto::PingResponse& ping) {
    const auto tc = config.teleport;
    std::string credsPath;
    auto creds = loadCredentials(tc, credsPath);
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
    {
        std::lock_guard lock(configMu);
        certDigest = digest(creds->certPem);
        certNotAfter = cert->notAfter;
    }
    auth = std::make_unique<teleport::GrpcAuthClient>(tc.addr, *creds, PluginName, tc.tlsRouting);
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
        std::string msg(p.status().message());
        if (msg.find("CERTIFICATE_VERIFY_FAILED") != std::string::npos || msg.find("certificate verify failed") != std::string::npos) {
            return fail("cannot reach the Teleport Auth Service at " + tc.addr +
                        ": its TLS certificate is not signed by the CAs in " + credsPath +
                        " (wrong cluster, or a man in the middle)");
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
    pluginUser = cert->commonName;
    common::logInfo("connected to Teleport", {{"cluster", ping.clustername()},
                                              {"version", ping.serverversion()},
                                              {"user", cert->commonName},
                                              {"credentials_expire", formatUtc(cert->notAfter)}});
    return 0;
}

void App::Impl::setUpMicrosoft() {
    ms = MsApiStack::create(config.msapi, clock);
    auto& m = common::Metrics::instance();
    ms->graphCaller->setLatencyHistogram(&m.histogram("teleport_msteams_api_request_duration_seconds",
                                                      "Duration of each HTTP call to Microsoft.", {{"api", "graph"}}));
    ms->botCaller->setLatencyHistogram(&m.histogram("teleport_msteams_api_request_duration_seconds",
                                                    "Duration of each HTTP call to Microsoft.", {{"api", "bot"}}));
}

void App::Impl::reachMicrosoft(std::stop_token st) {
    std::string teamsAppId;
    bool wantPreload;
    {
        std::lock_guard lock(configMu);
        teamsAppId = config.msapi.teamsAppId;  // a reload never changes it (restart to apply)
        wantPreload = config.preload;
    }
    common::Backoff backoff(std::chrono::seconds(1), std::chrono::seconds(30));
    absl::StatusOr<msapi::TeamsApp> teamsApp = absl::UnavailableError("not asked yet");
    for (;;) {
        teamsApp = ms->graph->getTeamsApp(teamsAppId, {clock.steadyNow() + InitTimeout, st});
        const auto code = teamsApp.status().code();
        if (teamsApp.ok() || st.stop_requested() ||
            (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kDeadlineExceeded)) {
            break;
        }
        // Outages and throttling are waited out; cards wait in plugin data meanwhile.
        common::logWarn("Microsoft Graph not available yet, retrying; cards wait until it is",
                        {{"error", std::string(teamsApp.status().message())}});
        clock.sleepFor(backoff.next(), st);
    }
    if (st.stop_requested()) {
        return;
    }
    if (!teamsApp.ok()) {
        exitCode = fail("cannot find the Teams app: " + std::string(teamsApp.status().message()));
        systemd.stopping();
        stop.request_stop();
        cancelStream();
        return;
    }
    // Fetch the Bot Framework token now, so the first card does not wait for it.
    if (auto bot = ms->botTokens->get(st); !bot.ok()) {
        common::logWarn("cannot get a Bot Framework token yet", {{"error", std::string(bot.status().message())}});
    }
    messenger->setCatalogAppId(teamsApp->id);
    common::logInfo("found the Teams app in the org catalog", {{"teams_app_id", teamsAppId},
                                                              {"catalog_id", teamsApp->id}});
    if (wantPreload) {
        preload();
    }
    if (watching) {
        catchUpOnce();  // cards that waited for Microsoft go now, not at their next retry
    }
}

void App::Impl::registerMetrics() {
    auto& m = common::Metrics::instance();
    reconnects = &m.counter("teleport_msteams_watch_reconnects_total", "Times the watch on Teleport was re-opened.");
    for (const char* state : {"NONE", "PENDING", "APPROVED", "DENIED", "PROMOTED", "DELETED"}) {
        seenByState[state] = &m.counter("teleport_msteams_access_requests_seen_total", "Access request events by state.",
                                        {{"state", state}});
    }
    for (auto [api, caller, tokens] : {std::tuple{"graph", ms->graphCaller.get(), ms->graphTokens.get()},
                                       std::tuple{"bot", ms->botCaller.get(), ms->botTokens.get()}}) {
        common::Labels l{{"api", api}};
        m.gauge("teleport_msteams_api_calls_total", "Microsoft API calls (each may take several attempts).",
                [caller] { return double(caller->stats().calls.load()); }, l, "counter");
        m.gauge("teleport_msteams_api_retries_total", "Microsoft API attempts that were retried.",
                [caller] { return double(caller->stats().retries.load()); }, l, "counter");
        m.gauge("teleport_msteams_api_throttled_total", "Microsoft API answers with HTTP 429.",
                [caller] { return double(caller->stats().throttled.load()); }, l, "counter");
        m.gauge("teleport_msteams_api_failures_total", "Microsoft API calls that failed for good.",
                [caller] { return double(caller->stats().failures.load()); }, l, "counter");
        m.gauge("teleport_msteams_token_refreshes_total", "Access tokens fetched from the identity platform.",
                [tokens] { return double(tokens->refreshes()); }, l, "counter");
    }
    const auto& calls = auth->calls();
    for (const auto& [name, count] : std::initializer_list<std::pair<const char*, const std::atomic<uint64_t>*>>{
             {"ping", &calls.ping}, {"watch", &calls.watch}, {"get_plugin_data", &calls.getPluginData},
             {"list_plugin_data", &calls.listPluginData}, {"update_plugin_data", &calls.updatePluginData},
             {"list_access_requests", &calls.listAccessRequests}, {"get_access_request", &calls.getAccessRequest},
             {"list_users", &calls.listUsers}, {"get_user", &calls.getUser}, {"submit_review", &calls.submitReview}}) {
        m.gauge("teleport_msteams_auth_calls_total", "Calls to the Teleport Auth Service (a list counts each page).",
                [count] { return double(count->load()); }, {{"call", name}}, "counter");
    }
    auto* h = handler.get();
    m.gauge("teleport_msteams_cards_posted_total", "Cards posted to Teams.",
            [h] { return double(h->stats().cardsPosted.load()); }, {}, "counter");
    m.gauge("teleport_msteams_cards_updated_total", "Card updates sent to Teams.",
            [h] { return double(h->stats().cardsUpdated.load()); }, {}, "counter");
    m.gauge("teleport_msteams_card_failures_total", "Card posts and updates that failed (they are retried).",
            [h] { return double(h->stats().cardFailures.load()); }, {}, "counter");
    m.gauge("teleport_msteams_plugin_data_conflicts_total", "Plugin-data compare-and-swap conflicts (retried).",
            [h] { return double(h->casConflicts()); }, {}, "counter");
    auto* msg = messenger.get();
    m.gauge("teleport_msteams_recipients_cached", "Recipients whose Teams conversation is known.",
            [msg] { return double(msg->cachedRecipients()); });
    auto* ex = executor.get();
    m.gauge("teleport_msteams_work_in_flight", "Events queued or being handled.", [ex] { return double(ex->inFlight()); });
    m.gauge("teleport_msteams_watching", "1 while the watch on Teleport is established.",
            [this] { return watching.load() ? 1.0 : 0.0; });
    m.gauge("teleport_msteams_credentials_expiry_timestamp_seconds", "When the Teleport certificate expires.",
            [this] {
                std::lock_guard lock(configMu);
                return double(std::chrono::duration_cast<std::chrono::seconds>(certNotAfter.time_since_epoch()).count());
            });
    handler->setNotificationLatency(&m.histogram("teleport_msteams_notification_latency_seconds",
                                                 "From a request's creation to each card being posted.", {},
                                                 {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}));
}

std::vector<std::string> App::Impl::readinessProblems() {
    std::vector<std::string> problems;
    if (!watching.load()) {
        problems.push_back("not watching Teleport access requests");
    }
    if (messenger && !messenger->ready()) {
        problems.push_back("the Teams app is not found in the org catalog yet");
    }
    if (ms && !ms->graphTokens->healthy()) {
        problems.push_back("cannot get a Microsoft Graph token");
    }
    if (ms && !ms->botTokens->healthy()) {
        problems.push_back("cannot get a Bot Framework token");
    }
    std::lock_guard lock(configMu);
    if (certNotAfter <= clock.now()) {
        problems.push_back("the Teleport credentials expired at " + formatUtc(certNotAfter));
    }
    return problems;
}

void App::Impl::preload() {
    std::vector<std::string> all;
    {
        std::lock_guard lock(configMu);
        std::set<std::string> unique;
        for (const auto& [role, list] : config.roleToRecipients) {
            unique.insert(list.begin(), list.end());
        }
        all.assign(unique.begin(), unique.end());
    }
    // At most 8 lookups at a time, whatever the size of the map.
    std::atomic<size_t> next{0};
    const auto deadline = clock.steadyNow() + std::chrono::seconds(60);
    auto st = stop.get_token();
    {
        std::vector<std::jthread> workers;
        for (size_t w = 0; w < std::min<size_t>(8, all.size()); ++w) {
            workers.emplace_back([&] {
                for (size_t i = next++; i < all.size() && !st.stop_requested(); i = next++) {
                    if (auto s = messenger->prepare(all[i], deadline, st); !s.ok()) {
                        common::logWarn("cannot preload recipient", {{"recipient", all[i]}, {"error", std::string(s.message())}});
                    }
                }
            });
        }
    }
    common::logInfo("recipients preloaded", {{"count", std::to_string(messenger->cachedRecipients())}});
}

void App::Impl::settle(const std::string& id, const Outcome& outcome, const char* what) {
    if (!outcome.ok()) {
        common::logError(what, {{"request", id}, {"error", std::string(outcome.status().message())}});
    }
    if (!stop.stop_requested()) {
        retries->take(id, outcome);
    }
}

common::Counter& App::Impl::seen(const std::string& state) {
    auto it = seenByState.find(state);
    return it != seenByState.end() ? *it->second
                                   : common::Metrics::instance().counter("teleport_msteams_access_requests_seen_total",
                                                                         "Access request events by state.",
                                                                         {{"state", state}});
}

void App::Impl::dispatch(const proto::Event& ev) {
    auto st = stop.get_token();
    if (ev.type() == proto::PUT && ev.has_accessrequest()) {
        auto req = ev.accessrequest();
        const std::string id = req.metadata().name();
        seen(types::RequestState_Name(req.spec().state())).inc();
        executor->submit(id, [this, req, id, st] { settle(id, handler->onRequest(req, st), "cannot handle access request"); });
    } else if (ev.type() == proto::DELETE && ev.has_resourceheader()) {
        if (ev.resourceheader().kind() != "access_request") {
            return;
        }
        const std::string id = ev.resourceheader().metadata().name();
        seen("DELETED").inc();
        executor->submit(id, [this, id, st] { settle(id, handler->onDeleted(id, st), "cannot handle deleted access request"); });
    } else if (ev.type() != proto::INIT) {
        common::logWarn("ignoring unexpected watch event", {{"type", proto::Operation_Name(ev.type())}});
    }
}

// [reminders]: each pending request's reminder, when due, on its own queue.
void App::Impl::scanReminders() {
    auto requests = auth->listAccessRequests();
    if (!requests.ok()) {
        common::logWarn("cannot list access requests for reminders", {{"error", std::string(requests.status().message())}});
        return;
    }
    auto st = stop.get_token();
    for (const auto& r : *requests) {
        if (r.spec().state() != types::PENDING) {
            continue;
        }
        const std::string id = r.metadata().name();
        executor->submit(id, [this, r, id, st] { settle(id, handler->remind(r, st), "cannot send a reminder"); });
    }
}

// [review]: the HTTPS bot endpoint where Teams delivers Approve, Deny and refresh actions.
int App::Impl::startReviewEndpoint() {
    const auto& rc = config.review;
    msapi::BotAuthSettings bs{rc.openIdMetadata, rc.issuer, config.msapi.appId};
    botAuth = std::make_unique<msapi::BotAuthenticator>(*ms->http, clock, bs);
    ReviewSettings rs{rc.userIdTrait, rc.allowEmailUsernameMatch, pluginUser};
    auto* graph = ms->graph.get();
    reviews = std::make_unique<ReviewHandler>(*auth, *handler, clock, rs, [this, graph](const std::string& aadId) -> absl::StatusOr<std::string> {
        auto u = graph->getUserById(aadId, {clock.steadyNow() + std::chrono::seconds(10), stop.get_token()});
        if (!u.ok()) {
            return u.status();
        }
        return u->mail.empty() ? u->userPrincipalName : u->mail;
    });
    auto server = ReviewServer::start({rc.listen, rc.tlsCert, rc.tlsKey, config.msapi.tenantId}, *botAuth, *reviews, clock);
    if (!server.ok()) {
        return fail(config.path + ": review.listen: " + std::string(server.status().message()));
    }
    reviewServer = std::move(*server);
    common::logInfo("bot endpoint listening for reviews from Teams", {{"addr", reviewServer->address()}});
    return 0;
}

// Requests created, changed or deleted while we were not watching: the Go plugin misses these.
// Two list calls, then only the requests whose plugin data shows work left are handled.
void App::Impl::catchUpOnce() {
    auto data = auth->listPluginData();
    if (!data.ok()) {
        common::logWarn("cannot list plugin data to catch up", {{"error", std::string(data.status().message())}});
        return;
    }
    auto requests = auth->listAccessRequests();
    if (!requests.ok()) {
        common::logWarn("cannot list access requests to catch up", {{"error", std::string(requests.status().message())}});
        return;
    }
    const auto now = clock.now();
    std::set<std::string> live;
    size_t handled = 0;
    for (const auto& r : *requests) {
        const std::string& id = r.metadata().name();
        live.insert(id);
        auto it = data->find(id);
        std::optional<PluginData> known;
        if (it != data->end()) {
            known = decodePluginData(it->second);
        }
        if (!liveNeedsAttention(r, known ? &*known : nullptr, now, HandlerSettings{}.resolvedCatchUpWindow)) {
            continue;
        }
        proto::Event ev;
        ev.set_type(proto::PUT);
        *ev.mutable_accessrequest() = r;
        dispatch(ev);
        ++handled;
    }
    size_t gone = 0;
    for (const auto& [id, map] : *data) {
        // Gone while we were away, gone with its cards' update cut short by a crash, or gone
        // with cards its dead poster never sent.
        if (!live.count(id) && goneNeedsAttention(decodePluginData(map))) {
            proto::Event ev;
            ev.set_type(proto::DELETE);
            ev.mutable_resourceheader()->set_kind("access_request");
            ev.mutable_resourceheader()->mutable_metadata()->set_name(id);
            dispatch(ev);
            ++gone;
        }
    }
    common::logInfo("caught up", {{"requests", std::to_string(requests->size())},
                                  {"needing_work", std::to_string(handled)},
                                  {"expired_while_away", std::to_string(gone)}});
}

void App::Impl::cancelStream() {
    std::lock_guard lock(streamMu);
    if (stream) {
        stream->cancel();
    }
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
                watching = true;
                backoff.reset();
                if (!announced) {
                    common::logInfo("plugin is ready");
                    systemd.ready();
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
        watching = false;
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
        if (failFast) {
            return fail("the watch on Teleport was lost (" +
                        (status.ok() ? std::string("closed by server") : std::string(status.message())) +
                        ") and TELEPORT_PLUGIN_FAIL_FAST is true: exiting so that the supervisor restarts the plugin");
        }
        reconnects->inc();
        auto delay = backoff.next();
        common::logWarn("watch stream ended; reconnecting", {{"error", status.ok() ? "closed by server" : std::string(status.message())},
                                                            {"delay_ms", std::to_string(delay.count())}});
        clock.sleepFor(delay, stop.get_token());
    }
    return 0;
}

void App::Impl::refreshIdentity(bool force) {
    TeleportConfig tc;
    {
        std::lock_guard lock(configMu);
        tc = config.teleport;
    }
    std::string where;
    auto creds = loadCredentials(tc, where);
    if (!creds.ok()) {
        common::logError("cannot re-read the Teleport credentials; keeping the current ones",
                         {{"error", std::string(creds.status().message())}});
        return;
    }
    auto cert = teleport::inspectCertificate(creds->certPem);
    if (!cert.ok()) {
        common::logError("cannot read the renewed certificate", {{"file", where}});
        return;
    }
    std::string d = digest(creds->certPem);
    {
        std::lock_guard lock(configMu);
        if (d == certDigest && !force) {
            return;
        }
        if (cert->notAfter <= clock.now()) {
            common::logError("the Teleport credentials in " + where + " expired at " + formatUtc(cert->notAfter) +
                             "; keeping the current ones");
            return;
        }
        certDigest = d;
        certNotAfter = cert->notAfter;
    }
    auth->reconnect(tc.addr, *creds);
    common::logInfo("Teleport credentials loaded; reconnecting", {{"file", where},
                                                                  {"credentials_expire", formatUtc(cert->notAfter)}});
    cancelStream();  // the watch re-opens on the new connection and catches up
}

void App::Impl::reload() {
    systemd.reloading();
    auto fresh = loadConfig(config.path);
    if (!fresh.ok()) {
        common::logError("configuration reload refused; the previous configuration stays in force",
                         {{"error", std::string(fresh.status().message())}});
        systemd.ready();
        return;
    }
    for (const auto& w : fresh->warnings) {
        common::logWarn(w);
    }
    applyLogSettings(fresh->log);
    handler->setRoleToRecipients(fresh->roleToRecipients);
    const auto& mc = fresh->msapi;
    bool teleportChanged;
    {
        std::lock_guard lock(configMu);
        const auto& old = config.msapi;
        if (mc.graphEndpoint != old.graphEndpoint || mc.botEndpoint != old.botEndpoint || mc.region != old.region ||
            mc.teamsAppId != old.teamsAppId || mc.caFile != old.caFile) {
            common::logWarn("Microsoft endpoints, region, teams_app_id or ca_file changed: restart to apply them");
        }
        if (mc.appSecret != old.appSecret || mc.appId != old.appId || mc.tenantId != old.tenantId ||
            mc.loginEndpoint != old.loginEndpoint) {
            msapi::AppCredentials app{mc.loginEndpoint, mc.tenantId, mc.appId, mc.appSecret};
            ms->graphTokens->setCredentials(app);
            ms->botTokens->setCredentials(app);
            common::logInfo("Microsoft credentials reloaded");
        }
        const auto& ot = config.teleport;
        const auto& nt = fresh->teleport;
        teleportChanged = nt.addr != ot.addr || nt.identity != ot.identity || nt.clientCrt != ot.clientCrt ||
                          nt.clientKey != ot.clientKey || nt.rootCas != ot.rootCas;
        auto path = config.path;
        config = std::move(*fresh);
        config.path = path;
    }
    refreshIdentity(teleportChanged);
    common::logInfo("configuration reloaded");
    systemd.ready();
}

void App::Impl::maintain(std::stop_token st) {
    auto lastIdentityCheck = clock.steadyNow();
    auto lastExpiryCheck = clock.steadyNow();
    auto lastWatchdog = clock.steadyNow();
    auto lastReminderScan = clock.steadyNow();
    RemindersConfig reminders;
    {
        std::lock_guard lock(configMu);
        reminders = config.reminders;  // read at start: a reload does not change them
    }
    // Often enough that a reminder is at most a quarter interval late; never more than a minute.
    const auto reminderScanEvery = std::clamp<std::chrono::seconds>(
        std::min(reminders.after, reminders.repeat) / 4, std::chrono::seconds(1), std::chrono::seconds(60));
    bool expiredLogged = false;
    while (!st.stop_requested()) {
        clock.sleepFor(std::chrono::milliseconds(250), st);
        if (st.stop_requested()) {
            break;
        }
        auto now = clock.steadyNow();
        if (reloadWanted.exchange(false)) {
            reload();
        }
        bool refresh;
        std::chrono::seconds interval;
        {
            std::lock_guard lock(configMu);
            refresh = config.teleport.refreshIdentity;
            interval = config.teleport.refreshIdentityInterval;
        }
        if (refresh && now - lastIdentityCheck >= interval) {
            lastIdentityCheck = now;
            refreshIdentity(false);
        }
        if (reminders.after.count() > 0 && watching && now - lastReminderScan >= reminderScanEvery) {
            lastReminderScan = now;
            scanReminders();
        }
        if (now - lastExpiryCheck >= ExpiryCheckEvery) {
            lastExpiryCheck = now;
            std::chrono::system_clock::time_point notAfter;
            {
                std::lock_guard lock(configMu);
                notAfter = certNotAfter;
            }
            if (notAfter <= clock.now() && !expiredLogged) {
                common::logError("the Teleport credentials expired at " + formatUtc(notAfter) +
                                 ": renew them (tbot, or tctl auth sign) and send SIGHUP");
                expiredLogged = true;
            } else if (notAfter > clock.now()) {
                expiredLogged = false;
            }
        }
        // The watchdog is fed only while the event workers answer: a wedged daemon gets restarted.
        if (auto wd = systemd.watchdogInterval()) {
            if (now - lastWatchdog >= *wd) {
                lastWatchdog = now;
                int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
                int64_t probe = lastProbeMs.load();
                auto limitMs = std::chrono::duration_cast<std::chrono::milliseconds>(*wd).count() * 3;
                if (probe == 0 || nowMs - probe < limitMs) {
                    systemd.watchdog();
                }
                executor->submit("\x01watchdog", [this] {
                    lastProbeMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      clock.steadyNow().time_since_epoch()).count();
                });
            }
        }
    }
}

App::App(Config config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

App::~App() = default;

void App::requestStop() {
    impl_->systemd.stopping();
    impl_->stop.request_stop();
    impl_->cancelStream();
}

void App::requestReload() { impl_->reloadWanted = true; }

int App::run() {
    Impl& d = *impl_;
    for (const auto& w : d.config.warnings) {
        common::logWarn(w);
    }
    // TELEPORT_PLUGIN_FAIL_FAST (set by Teleport's Helm chart): exit when the watch is lost and
    // let the supervisor restart us, instead of reconnecting. Read as Go's strconv.ParseBool.
    if (const char* v = std::getenv("TELEPORT_PLUGIN_FAIL_FAST"); v && *v) {
        static const std::set<std::string> yes = {"1", "t", "T", "TRUE", "true", "True"};
        static const std::set<std::string> no = {"0", "f", "F", "FALSE", "false", "False"};
        if (!yes.count(v) && !no.count(v)) {
            return d.fail("TELEPORT_PLUGIN_FAIL_FAST: \"" + std::string(v).substr(0, 16) +
                          "\" is not a boolean (use true or false)");
        }
        d.failFast = yes.count(v) > 0;
    }
    proto::PingResponse ping;
    if (int rc = d.connectTeleport(ping); rc != 0 || d.stop.stop_requested()) {
        return rc;
    }
    d.setUpMicrosoft();
    d.messenger = std::make_unique<teams::TeamsMessenger>(*d.ms->graph, *d.ms->bot, "");
    d.executor = std::make_unique<KeyedExecutor>(16);
    d.fanOut = std::make_unique<FanOut>(32);
    d.retries = std::make_unique<RetryQueue>([&d](const std::string& id) {
        auto st = d.stop.get_token();
        d.executor->submit(id, [&d, id, st] { d.settle(id, d.handler->redeliver(id, st), "redelivery failed"); });
    });
    HandlerSettings hs;
    hs.instanceId = hostInstanceId();
    hs.clusterName = ping.clustername();
    if (ping.serverfeatures().advancedaccessworkflows()) {
        hs.webProxyAddr = ping.proxypublicaddr();
    }
    hs.roleToRecipients = d.config.roleToRecipients;
    hs.reviewFromTeams = d.config.review.enabled;
    hs.notifyRequester = d.config.notifyRequester;
    hs.userIdTrait = d.config.review.userIdTrait;
    hs.remindAfter = d.config.reminders.after;
    hs.remindRepeat = d.config.reminders.repeat;
    hs.remindMax = d.config.reminders.max;
    hs.escalateTo = d.config.reminders.escalateTo;
    d.handler = std::make_unique<RequestHandler>(*d.auth, *d.messenger, d.clock, *d.fanOut, hs);
    d.registerMetrics();
    if (!d.config.http.listen.empty()) {
        auto status = StatusServer::start(d.config.http.listen, [&d] { return d.readinessProblems(); });
        if (!status.ok()) {
            return d.fail(d.config.path + ": http.listen: " + std::string(status.status().message()));
        }
        d.status = std::move(*status);
        common::logInfo("status endpoint listening", {{"addr", d.status->address()}});
    }
    if (d.config.review.enabled) {
        if (int rc = d.startReviewEndpoint(); rc != 0) {
            return rc;
        }
    }
    d.microsoftStartup = std::jthread([&d](std::stop_token st) { d.reachMicrosoft(st); });
    d.maintenance = std::jthread([&d](std::stop_token st) { d.maintain(st); });
    int rc = d.watchLoop();
    d.stop.request_stop();  // also after a fatal error: nothing is retried from here on
    common::logInfo("stopping: finishing work in flight", {{"in_flight", std::to_string(d.executor->inFlight())}});
    d.maintenance.request_stop();
    if (d.maintenance.joinable()) {
        d.maintenance.join();
    }
    d.microsoftStartup.request_stop();
    if (d.microsoftStartup.joinable()) {
        d.microsoftStartup.join();
    }
    if (d.catchUp.joinable()) {
        d.catchUp.join();
    }
    if (!d.executor->drain(DrainTimeout)) {
        common::logWarn("gave up waiting for work in flight", {{"in_flight", std::to_string(d.executor->inFlight())}});
    }
    d.reviewServer.reset();
    d.status.reset();
    d.retries.reset();
    d.executor.reset();
    d.fanOut.reset();
    common::logInfo("stopped");
    return rc != 0 ? rc : d.exitCode.load();
}

}  // namespace tmsteams::plugin

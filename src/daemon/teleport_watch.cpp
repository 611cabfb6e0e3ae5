// The watch on Teleport: connecting, dispatching events in order per request, catching up on
// what happened while nobody watched, reconnecting, and re-reading renewed credentials.
#include "daemon/app_impl.h"

#include <set>

#include "common/backoff.h"
#include "common/time_format.h"
#include "plugin/catch_up.h"
#include "teleport/identity_file.h"

namespace tmsteams::daemon {

using common::formatUtc;
using plugin::PluginData;
using plugin::decodePluginData;

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
        certDigest = certificateDigest(creds->certPem);
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
    if (ev.has_accessmonitoringrule() ||
        (ev.type() == proto::DELETE && ev.resourceheader().kind() == teleport::KindAccessMonitoringRule)) {
        onRuleEvent(ev);
        return;
    }
    if (ev.type() == proto::PUT && ev.has_accessrequest()) {
        auto req = ev.accessrequest();
        const std::string id = req.metadata().name();
        seen(types::RequestState_Name(req.spec().state())).inc();
        if (req.spec().state() == types::PENDING) {
            // The Teleport lane records what is due at once, whatever the delivery lane waits on.
            teleportLane->submit(id, [this, req, st] { (void)handler->recordDue(req, st); });
        }
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

// Requests created, changed or deleted while we were not watching: the Go plugin misses these.
// Two list calls, then only the requests whose plugin data shows work left are handled.
void App::Impl::catchUpOnce() {
    const auto started = clock.steadyNow();
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
    catchUpDuration->observe(clock.steadyNow() - started);
    catchUps->inc();
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
        const bool withRules = watchRules;
        auto s = auth->watchAccessRequests(withRules);
        {
            std::lock_guard lock(streamMu);
            stream = s.get();
        }
        if (stop.stop_requested()) {
            s->cancel();
        }
        std::atomic<bool> gotInit{false};
        bool requestsRefused = false;
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
            } else if (gotInit = true; !acceptsRequests(ev)) {
                requestsRefused = true;
                s->cancel();
            } else if (!loadRules(ev)) {
                s->cancel();  // the rules first, then requests: routing must not guess
            } else {
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
        if (requestsRefused) {
            return fail("Teleport left access_request out of the plugin's watch: give its user a role with "
                        "access_request list/read (teleport-msteams-role.yaml)");
        }
        if (withRules && !gotInit &&
            (status.code() == absl::StatusCode::kPermissionDenied || status.code() == absl::StatusCode::kInvalidArgument)) {
            // A cluster without partial-success watches refuses the whole watch for the rules'
            // kind: watch requests alone from now on.
            watchRules = false;
            common::logWarn("Teleport refused to watch access monitoring rules; watching access requests only",
                            {{"error", std::string(status.message())}});
            continue;
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
    std::string d = certificateDigest(creds->certPem);
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

}  // namespace tmsteams::daemon

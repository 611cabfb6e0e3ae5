// Reaching Microsoft beside the watch: the Teams app in the org catalog, the first tokens,
// preloading recipients, and the bot endpoint where Teams delivers card actions.
#include "daemon/app_impl.h"

#include <set>

#include "common/backoff.h"

namespace tmsteams::daemon {

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
    systemd.status("Microsoft Teams reached");  // `systemctl status` shows it; READY=1 came with the watch
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

}  // namespace tmsteams::daemon

// The daemon's metrics (registered once, read without locks) and what keeps it from being ready.
#include "daemon/app_impl.h"

#include "common/time_format.h"

namespace tmsteams::daemon {

using common::formatUtc;

void App::Impl::registerMetrics() {
    auto& m = common::Metrics::instance();
    reconnects = &m.counter("teleport_msteams_watch_reconnects_total", "Times the watch on Teleport was re-opened.");
    catchUps = &m.counter("teleport_msteams_catch_ups_total",
                          "Catch-ups completed (at start, after each reconnect, when Microsoft is reached).");
    catchUpDuration = &m.histogram("teleport_msteams_catch_up_duration_seconds",
                                   "From listing plugin data to every request with work left queued.");
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
             {"list_users", &calls.listUsers}, {"get_user", &calls.getUser}, {"submit_review", &calls.submitReview},
             {"list_access_monitoring_rules", &calls.listRules}, {"list_resources", &calls.listResources},
             {"get_role", &calls.getRole}}) {
        m.gauge("teleport_msteams_auth_calls_total", "Calls to the Teleport Auth Service (a list counts each page).",
                [count] { return double(count->load()); }, {{"call", name}}, "counter");
    }
    m.gauge("teleport_msteams_routing_rules", "Access monitoring rules that route msteams notifications.",
            [this] { return double(rules.size()); });
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

}  // namespace tmsteams::daemon

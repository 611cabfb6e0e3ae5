// The daemon's parts and the order they live in, shared by the files that implement them:
// app.cpp (the application), subsystems.cpp (starting and stopping each part),
// teleport_watch.cpp (the watch on Teleport and catching up), microsoft_link.cpp (reaching
// Microsoft, the bot endpoint), daemon_metrics.cpp (metrics and readiness) and maintenance.cpp
// (reload, credentials, reminders, the systemd watchdog). Members are declared in the order
// they are built and destroyed in reverse, after every subsystem has stopped.
#pragma once

#include <Poco/Util/Application.h>
#include <absl/base/thread_annotations.h>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/sd_notify.h"
#include "daemon/app.h"
#include "daemon/review_server.h"
#include "daemon/status_server.h"
#include "plugin/fan_out.h"
#include "plugin/keyed_executor.h"
#include "plugin/ms_api_stack.h"
#include "plugin/request_details.h"
#include "plugin/request_handler.h"
#include "plugin/retry_queue.h"
#include "plugin/scheduler.h"
#include "plugin/review_handler.h"
#include "teams/teams_messenger.h"
#include "routing/rule_book.h"
#include "teleport/grpc_auth_client.h"

namespace tmsteams::daemon {

using plugin::Config;
using plugin::FanOut;
using plugin::ReviewSettings;
using plugin::loadConfig;
using plugin::PluginName;
using plugin::HandlerSettings;
using plugin::RemindersConfig;
using plugin::LogConfig;
using plugin::KeyedExecutor;
using plugin::MsApiStack;
using plugin::Outcome;
using plugin::RequestHandler;
using plugin::RetryQueue;
using plugin::ReviewHandler;
using plugin::TeleportConfig;

inline constexpr auto InitTimeout = std::chrono::seconds(30);
inline constexpr auto WatchInitTimeout = std::chrono::seconds(15);
inline constexpr auto DrainTimeout = std::chrono::seconds(15);
inline constexpr auto ExpiryCheckEvery = std::chrono::seconds(10);

// The certificate's digest, to tell a renewed identity from the one in use.
std::string certificateDigest(const std::string& pem);
// [log]: output, severity and format, applied at start and on reload.
void applyLogSettings(const plugin::LogConfig& log);

struct App::Impl {
    common::SystemClock clock;
    common::SdNotifier systemd;
    std::stop_source stop;

    std::mutex configMu;  // guards config, certDigest, certNotAfter
    Config config ABSL_GUARDED_BY(configMu);
    std::string certDigest ABSL_GUARDED_BY(configMu);
    std::chrono::system_clock::time_point certNotAfter ABSL_GUARDED_BY(configMu);

    std::mutex streamMu;  // guards stream
    teleport::WatchStream* stream ABSL_GUARDED_BY(streamMu) = nullptr;
    std::atomic<bool> watching{false};
    std::atomic<bool> reloadWanted{false};
    std::atomic<int64_t> lastProbeMs{0};

    std::unique_ptr<teleport::GrpcAuthClient> auth;
    std::unique_ptr<MsApiStack> ms;
    std::unique_ptr<teams::TeamsMessenger> messenger;
    std::unique_ptr<KeyedExecutor> executor;      // the delivery lane: decisions and calls to Microsoft
    std::unique_ptr<KeyedExecutor> teleportLane;  // calls to Teleport only: never waits for Microsoft
    std::unique_ptr<KeyedExecutor> upkeepLane;    // reload, credentials, reminder scans: one at a time
    std::unique_ptr<FanOut> fanOut;
    std::unique_ptr<plugin::Scheduler> scheduler;  // the one timer: retries and upkeep
    std::unique_ptr<RetryQueue> retries;
    std::unique_ptr<RequestHandler> handler;
    routing::RuleBook rules{PluginName};               // access monitoring rules naming msteams
    std::unique_ptr<plugin::RequestDetails> details;  // resource names, role logins, traits
    // Whether the watch asks for access_monitoring_rule too; off for good once Teleport refused
    // a watch because of it (a cluster that predates partial-success watches).
    bool watchRules = true;
    bool rulesRefusalWarned = false;
    bool rulesActive = false;  // the rules were listed on this watch: its rule events apply
    int ruleListFailures = 0;
    static constexpr int MaxRuleListFailures = 3;
    std::unique_ptr<StatusServer> status;
    std::string pluginUser;  // our Teleport user (certificate CN)
    std::unique_ptr<msapi::BotAuthenticator> botAuth;
    std::unique_ptr<ReviewHandler> reviews;
    std::unique_ptr<ReviewServer> reviewServer;
    std::jthread catchUp;
    std::unique_ptr<plugin::Scheduler::Group> upkeep;  // the periodic tick
    plugin::Scheduler::Task upkeepTick;

    common::Counter* reconnects = nullptr;
    common::Counter* catchUps = nullptr;              // completed catch-ups
    common::Histogram* catchUpDuration = nullptr;
    // Registered once, so handling an event never takes the registry's lock.
    std::map<std::string, common::Counter*> seenByState;
    common::Counter& seen(const std::string& state);
    bool failFast = false;  // TELEPORT_PLUGIN_FAIL_FAST
    proto::PingResponse ping;  // Teleport's answer at start
    // A subsystem that could not start sets this; the ones after it do nothing, and the
    // daemon exits with it instead of watching.
    int startupFailure = 0;
    bool startupEnded() const { return startupFailure != 0 || stop.stop_requested(); }

    // subsystems.cpp: the parts in the order they start (Poco stops them in reverse).
    void addSubsystemsTo(Poco::Util::Application& app);

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
    // routing_rules.cpp: the rules at each (re)connection, from the INIT event's accepted
    // kinds; false when the watch should start again (the listing failed for now).
    bool loadRules(const proto::Event& init);
    // Whether Teleport's INIT kept access_request (a partial-success watch may drop it).
    bool acceptsRequests(const proto::Event& init) const;
    void onRuleEvent(const proto::Event& ev);
    void catchUpOnce();
    void scanReminders();
    int startReviewEndpoint();
    // Logs what handling came to and hands it to the retry queue, the one owner of retries.
    void settle(const std::string& id, const Outcome& outcome, const char* what);
    int watchLoop();
    void cancelStream();
    // Every 250 ms on the scheduler: quick checks; network work goes to the upkeep lane.
    void tickUpkeep();
    struct UpkeepState {
        std::chrono::steady_clock::time_point lastIdentityCheck, lastExpiryCheck, lastWatchdog, lastReminderScan;
        std::chrono::seconds reminderScanEvery{60};
        bool remind = false;  // [reminders] on, as read at start
        bool expiredLogged = false;
        std::atomic<bool> scanning{false}, refreshing{false};
    } upkeepState;
    void startUpkeep();
    // Runs `work` on the upkeep lane unless the previous one of its kind is still running.
    void onUpkeepLane(std::atomic<bool>& busy, std::function<void()> work);
    void reload();
    // Re-reads the Teleport credentials; reconnects when they changed (or `force`).
    void refreshIdentity(bool force);
};


}  // namespace tmsteams::daemon

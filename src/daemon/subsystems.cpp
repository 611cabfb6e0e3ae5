// The daemon's parts as Poco::Util subsystems. Each starts from what the ones before it built
// and stops before them: the bot endpoint and status HTTP close, then the scheduler fires no
// more, then the workers finish what is in flight. A part that cannot start records why, and
// the ones after it do nothing.
#include "daemon/app_impl.h"

#include <Poco/Util/Subsystem.h>
#include <unistd.h>

namespace tmsteams::daemon {

namespace {

std::string hostInstanceId() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "/" + std::to_string(::getpid()) + "/" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// A part of the daemon: `start` runs unless an earlier part failed; `stop` only if it started.
class Part : public Poco::Util::Subsystem {
public:
    Part(App::Impl& d, const char* name) : d_(d), name_(name) {}
    const char* name() const override { return name_; }
    void initialize(Poco::Util::Application&) override {
        if (!d_.startupEnded()) {
            d_.startupFailure = start();
            started_ = true;
        }
    }
    void uninitialize() override {
        if (started_) {
            started_ = false;
            stop();
        }
    }

protected:
    virtual int start() = 0;  // 0, or the exit code after logging why
    virtual void stop() {}
    App::Impl& d_;

private:
    const char* name_;
    bool started_ = false;
};

// Credentials and the first Ping: the cluster's name and features, and our Teleport user.
class TeleportPart : public Part {
public:
    explicit TeleportPart(App::Impl& d) : Part(d, "teleport") {}
    int start() override { return d_.connectTeleport(d_.ping); }
};

// Graph and Bot Framework clients; nothing is called yet (the upkeep part reaches Microsoft).
class MicrosoftPart : public Part {
public:
    explicit MicrosoftPart(App::Impl& d) : Part(d, "microsoft") {}
    int start() override {
        d_.setUpMicrosoft();
        d_.messenger = std::make_unique<teams::TeamsMessenger>(*d_.ms->graph, *d_.ms->bot, "");
        return 0;
    }
};

// The lanes and the fan-out pool. Stopping drains them: work in flight finishes (bounded).
class WorkersPart : public Part {
public:
    explicit WorkersPart(App::Impl& d) : Part(d, "workers") {}
    int start() override {
        d_.executor = std::make_unique<KeyedExecutor>(16);
        d_.teleportLane = std::make_unique<KeyedExecutor>(4);
        d_.fanOut = std::make_unique<FanOut>(64);
        return 0;
    }
    void stop() override {
        const auto until = std::chrono::steady_clock::now() + DrainTimeout;
        auto left = [&] {
            return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                              until - std::chrono::steady_clock::now()));
        };
        bool finished = d_.executor->drain(left());
        finished = d_.teleportLane->drain(left()) && finished;
        if (!finished) {
            common::logWarn("gave up waiting for work in flight", {{"in_flight", std::to_string(d_.executor->inFlight())}});
        }
        // Joined here, before the handler they call into is destroyed with the rest.
        d_.executor.reset();
        d_.teleportLane.reset();
        d_.fanOut.reset();
    }
};

// The one timer and the retry queue on it. Stopping cancels every timed task: a try that
// comes due later is left to the next start's catch-up.
class SchedulerPart : public Part {
public:
    explicit SchedulerPart(App::Impl& d) : Part(d, "scheduler") {}
    int start() override {
        App::Impl& d = d_;
        d.scheduler = std::make_unique<plugin::Scheduler>();
        d.retries = std::make_unique<RetryQueue>(*d.scheduler, [&d](const std::string& id) {
            auto st = d.stop.get_token();
            d.executor->submit(id, [&d, id, st] { d.settle(id, d.handler->redeliver(id, st), "redelivery failed"); });
        });
        return 0;
    }
    void stop() override { d_.scheduler->stop(); }
};

// Deciding what each request needs: recipients, routing rules, card details, metrics.
class RequestsPart : public Part {
public:
    explicit RequestsPart(App::Impl& d) : Part(d, "requests") {}
    int start() override {
        const auto& c = d_.config;
        plugin::HandlerSettings hs;
        hs.instanceId = hostInstanceId();
        hs.clusterName = d_.ping.clustername();
        if (d_.ping.serverfeatures().advancedaccessworkflows()) {
            hs.webProxyAddr = d_.ping.proxypublicaddr();
        }
        hs.roleToRecipients = c.roleToRecipients;
        hs.reviewFromTeams = c.review.enabled;
        hs.notifyRequester = c.notifyRequester;
        hs.userIdTrait = c.review.userIdTrait;
        hs.remindAfter = c.reminders.after;
        hs.remindRepeat = c.reminders.repeat;
        hs.remindMax = c.reminders.max;
        hs.escalateTo = c.reminders.escalateTo;
        d_.handler = std::make_unique<RequestHandler>(*d_.auth, *d_.messenger, d_.clock, *d_.fanOut, hs);
        d_.details = std::make_unique<plugin::RequestDetails>(*d_.auth, d_.clock);
        d_.handler->setRouting(&d_.rules, d_.details.get());
        d_.registerMetrics();
        return 0;
    }
};

// [http] listen: /healthz, /readyz and /metrics.
class StatusHttpPart : public Part {
public:
    explicit StatusHttpPart(App::Impl& d) : Part(d, "status-http") {}
    int start() override {
        if (d_.config.http.listen.empty()) {
            return 0;
        }
        auto status = StatusServer::start(d_.config.http.listen, [&d = d_] { return d.readinessProblems(); });
        if (!status.ok()) {
            return d_.fail(d_.config.path + ": http.listen: " + std::string(status.status().message()));
        }
        d_.status = std::move(*status);
        common::logInfo("status endpoint listening", {{"addr", d_.status->address()}});
        return 0;
    }
    void stop() override { d_.status.reset(); }
};

// [review]: the HTTPS endpoint where Teams delivers Approve, Deny and refresh actions.
class BotEndpointPart : public Part {
public:
    explicit BotEndpointPart(App::Impl& d) : Part(d, "bot-endpoint") {}
    int start() override { return d_.config.review.enabled ? d_.startReviewEndpoint() : 0; }
    void stop() override { d_.reviewServer.reset(); }
};

// Reaching Microsoft beside the watch, the periodic tick (reload, credentials, reminders, the
// systemd watchdog) and the upkeep lane it hands network work to. Stops first, and waits for
// upkeep in flight: none runs while the rest winds down.
class UpkeepPart : public Part {
public:
    explicit UpkeepPart(App::Impl& d) : Part(d, "upkeep") {}
    int start() override {
        d_.upkeepLane = std::make_unique<KeyedExecutor>(1);
        d_.microsoftStartup = std::jthread([&d = d_](std::stop_token st) { d.reachMicrosoft(st); });
        d_.startUpkeep();
        return 0;
    }
    void stop() override {
        plugin::Scheduler::Group::cancel(d_.upkeepTick);
        d_.upkeep.reset();  // waits for a running tick
        // Reload, credential refresh or a reminder scan may be running; a scan feeds the
        // delivery lane, which must still be there. Stop means stop: Teleport calls in flight
        // end with the daemon's stop token or their deadline.
        if (!d_.upkeepLane->drain(DrainTimeout)) {
            common::logWarn("gave up waiting for upkeep (reload, credentials, reminders) in flight");
        }
        d_.upkeepLane.reset();
        d_.microsoftStartup.request_stop();
        if (d_.microsoftStartup.joinable()) {
            d_.microsoftStartup.join();
        }
    }
};

}  // namespace

void App::Impl::addSubsystemsTo(Poco::Util::Application& app) {
    app.addSubsystem(new TeleportPart(*this));
    app.addSubsystem(new MicrosoftPart(*this));
    app.addSubsystem(new WorkersPart(*this));
    app.addSubsystem(new SchedulerPart(*this));
    app.addSubsystem(new RequestsPart(*this));
    app.addSubsystem(new StatusHttpPart(*this));
    app.addSubsystem(new BotEndpointPart(*this));
    app.addSubsystem(new UpkeepPart(*this));
}

}  // namespace tmsteams::daemon

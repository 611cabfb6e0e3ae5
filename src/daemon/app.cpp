// The daemon's lifecycle: build the parts in order, watch until stopped, tear down in reverse.
#include "daemon/app_impl.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <set>

namespace tmsteams::daemon {

namespace {

std::string hostInstanceId() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "/" + std::to_string(::getpid()) + "/" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

}  // namespace

std::string certificateDigest(const std::string& s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(md), n);
}

void applyLogSettings(const plugin::LogConfig& l) {
    auto& log = common::Logger::instance();
    if (!log.setOutput(l.output)) {
        common::logError("cannot open the log output; keeping the previous one", {{"output", l.output}});
    }
    common::Severity sev = common::Severity::Info;
    common::parseSeverity(l.severity, sev);
    log.setSeverity(sev);
    log.setFormat(l.format == "json" ? common::LogFormat::Json : common::LogFormat::Text);
}


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
    d.teleportLane = std::make_unique<KeyedExecutor>(4);
    d.fanOut = std::make_unique<FanOut>(64);
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
    d.details = std::make_unique<plugin::RequestDetails>(*d.auth, d.clock);
    d.handler->setRouting(&d.rules, d.details.get());
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
    d.teleportLane.reset();
    d.executor.reset();
    d.fanOut.reset();
    common::logInfo("stopped");
    return rc != 0 ? rc : d.exitCode.load();
}

}  // namespace tmsteams::daemon

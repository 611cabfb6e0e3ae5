// The daemon as a Poco::Util::ServerApplication: its subsystems start in order, main() watches
// Teleport until stopped, and Poco stops the subsystems in reverse.
#include "daemon/app_impl.h"

#include <openssl/evp.h>

#include <set>

namespace tmsteams::daemon {


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

namespace {
constexpr int CrashSignalNumbers[] = {SIGSEGV, SIGBUS, SIGILL, SIGSYS};
}

CrashSignals::CrashSignals() {
    for (int i = 0; i < 4; ++i) {
        sigaction(CrashSignalNumbers[i], nullptr, &saved_[i]);
    }
}

void CrashSignals::restoreCrashSignals() {
    for (int i = 0; i < 4; ++i) {
        sigaction(CrashSignalNumbers[i], &saved_[i], nullptr);
    }
}

App::App(Config config) : impl_(std::make_unique<Impl>()) {
    restoreCrashSignals();
    impl_->config = std::move(config);
    impl_->addSubsystemsTo(*this);
}

App::~App() = default;

void App::requestStop() {
    impl_->systemd.stopping();
    impl_->stop.request_stop();
    impl_->cancelStream();
}

void App::requestReload() { impl_->reloadWanted = true; }

int App::serve() {
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
    // Options were parsed by `start` already: Poco sees the program name only (no --daemon:
    // systemd supervises us in the foreground).
    const int rc = ServerApplication::run(std::vector<std::string>{"teleport-msteams"});
    if (d.startupFailure == 0) {
        common::logInfo("stopped");
    }
    return rc;
}

int App::main(const std::vector<std::string>&) {
    Impl& d = *impl_;
    if (d.startupEnded()) {
        // reachMicrosoft may have failed already (no such Teams app) and asked to stop.
        return d.startupFailure != 0 ? d.startupFailure : d.exitCode.load();
    }
    // On every way out, exceptions included (Poco catches them and still stops the subsystems):
    // nothing is retried from here on, and the catch-up is joined before the lanes go.
    struct WindDown {
        App::Impl& d;
        ~WindDown() {
            d.stop.request_stop();
            if (d.catchUp.joinable()) {
                d.catchUp.join();
            }
        }
    } windDown{d};
    const int rc = d.watchLoop();
    d.stop.request_stop();
    common::logInfo("stopping: finishing work in flight", {{"in_flight", std::to_string(d.executor->inFlight())}});
    return rc != 0 ? rc : d.exitCode.load();
}

}  // namespace tmsteams::daemon

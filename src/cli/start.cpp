// teleport-msteams start: the daemon.
#include <absl/synchronization/mutex.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/log.h"
#include "daemon/app.h"
#include "plugin/config.h"

namespace tmsteams::cli {

int runStart(const std::vector<std::string>& args) {
    CommandOptions options("start", "[-c CONFIG] [-d]",
                           "Runs the plugin: watches Teleport's access requests and keeps a card in Teams for each. "
                           "SIGHUP re-reads the configuration; SIGTERM stops it after the work in flight.");
    options.add("config", "c", "the configuration file (default /etc/teleport-msteams.toml)", "CONFIG")
        .add("debug", "d", "log at debug level, whatever [log] severity says");
    int exitCode = 0;
    auto parsed = options.parseOptionsOnly(args, exitCode);
    if (!parsed) {
        return exitCode;
    }
    const std::string path = parsed->has("config") ? parsed->get("config") : "/etc/teleport-msteams.toml";
    const bool debug = parsed->has("debug");
    auto config = plugin::loadConfig(path);
    if (!config.ok()) {
        std::cerr << "teleport-msteams: " << config.status().message() << "\n";
        return 1;
    }
    auto& log = common::Logger::instance();
    if (!log.setOutput(config->log.output)) {
        std::cerr << "teleport-msteams: " << path << ": log.output: cannot open " << config->log.output << "\n";
        return 1;
    }
    common::Severity sev = common::Severity::Info;
    common::parseSeverity(config->log.severity, sev);
    log.setSeverity(debug ? common::Severity::Debug : sev);
    log.setFormat(config->log.format == "json" ? common::LogFormat::Json : common::LogFormat::Text);

    // Debian's Abseil is built with absl::Mutex deadlock detection on; gRPC locks absl::Mutex on
    // every call, and the bookkeeping (a lock-order graph) showed in profiles. Our own mutexes
    // are std::mutex and are not affected.
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

    // Signals are taken by one thread with sigwait, so no handler runs in an arbitrary context.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);  // ours: tells the signal thread the daemon has stopped
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    signal(SIGPIPE, SIG_IGN);

    daemon::App app(std::move(*config));
    std::atomic<bool> stopped{false};
    std::thread signals([&app, &stopped, sigs] {
        bool stopping = false;
        for (;;) {
            int sig = 0;
            sigwait(&sigs, &sig);
            if (sig == SIGUSR1) {
                if (stopped) {
                    return;
                }
                continue;  // not ours
            }
            if (sig == SIGHUP) {
                common::logInfo("SIGHUP: reloading the configuration");
                app.requestReload();
                continue;
            }
            if (stopping) {
                common::logWarn("second signal: exiting now");
                std::_Exit(130);
            }
            stopping = true;
            common::logInfo("signal received, shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
            app.requestStop();
        }
    });
    const int rc = app.serve();
    stopped = true;
    pthread_kill(signals.native_handle(), SIGUSR1);
    signals.join();  // owned and joined: nothing touches `app` after it is gone
    return rc;
}

}  // namespace tmsteams::cli

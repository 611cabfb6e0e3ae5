// The daemon's lifecycle: connect to Teleport and Microsoft, watch access requests, catch up
// on anything missed, dispatch events in order per request, and stop gracefully.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <queue>
#include <stop_token>
#include <thread>

#include "plugin/config.h"

namespace tmsteams::daemon {

class App {
public:
    explicit App(plugin::Config config);
    ~App();

    // Runs until stopped; returns the process exit code.
    int run();
    // Safe from any thread (a signal-watching one).
    void requestStop();
    // Re-reads the config file (SIGHUP): recipients, log settings, secrets and the Teleport
    // identity take effect without a restart; a broken file is refused and the old config stays.
    void requestReload();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Parses "MAJOR.MINOR.PATCH[-pre][+build]" and compares with `min`; false when not semver.
bool versionAtLeast(const std::string& version, int major, int minor, int patch);

}  // namespace tmsteams::daemon

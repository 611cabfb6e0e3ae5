// The daemon: a Poco::Util::ServerApplication whose subsystems (Teleport, Microsoft, workers,
// scheduler, request handling, status HTTP, bot endpoint, upkeep) start in that order and stop
// in reverse, so shutdown order follows from what depends on what.
#pragma once

#include <Poco/Util/ServerApplication.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "plugin/config.h"

namespace tmsteams::daemon {

// Poco's Application installs handlers that turn SIGSEGV, SIGBUS, SIGILL and SIGSYS into abort().
// The daemon keeps the ones it had (the default, or a sanitizer's), so a crash reads as what it
// was. A base class, so the handlers are saved before Poco's constructor replaces them.
class CrashSignals {
protected:
    CrashSignals();
    void restoreCrashSignals();

private:
    struct sigaction saved_[4];
};

class App : private CrashSignals, public Poco::Util::ServerApplication {
public:
    explicit App(plugin::Config config);
    ~App() override;

    // Starts the subsystems, watches Teleport until stopped, stops them; returns the exit code.
    int serve();
    // Safe from any thread (a signal-watching one).
    void requestStop();
    // Re-reads the config file (SIGHUP): recipients, log settings, secrets and the Teleport
    // identity take effect without a restart; a broken file is refused and the old config stays.
    void requestReload();

    struct Impl;  // the parts; opaque outside src/daemon/

protected:
    // Runs between the subsystems' start and stop: the watch on Teleport.
    int main(const std::vector<std::string>& args) override;

private:
    std::unique_ptr<Impl> impl_;
};

// Parses "MAJOR.MINOR.PATCH[-pre][+build]" and compares with `min`; false when not semver.
bool versionAtLeast(const std::string& version, int major, int minor, int patch);

}  // namespace tmsteams::daemon

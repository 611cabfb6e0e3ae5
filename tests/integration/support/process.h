// Child processes for integration tests: start a real binary, wait for its ready line, run a
// command to completion; every wait is bounded and says what it waited for.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tmsteams::testsupport {

using namespace std::chrono_literals;

// A temporary directory removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// A running child. stdout and stderr go to files so nothing blocks; the destructor kills it.
class Process {
public:
    Process(std::vector<std::string> argv, std::string logDir,
            std::map<std::string, std::string> env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    // Waits until stdout has a line starting with `prefix`; returns the rest of that line.
    // Fails (nullopt) on timeout or if the process exits first.
    std::optional<std::string> waitForLine(const std::string& prefix,
                                           std::chrono::milliseconds limit = 10s);
    // Waits until `text` appears in stderr (logs).
    bool waitForStderr(const std::string& text, std::chrono::milliseconds limit = 10s);

    void signal(int sig);
    // Waits for exit; returns the exit code, 128+signal, or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds limit = 10s);
    bool running();

    std::string stdoutText() const;
    std::string stderrText() const;
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    std::string outPath_;
    std::string errPath_;
    std::optional<int> exit_;
};

struct CommandResult {
    int exitCode = -1;  // -1 when it timed out and was killed
    std::string out;
    std::string err;
};

// Runs a command to completion with a deadline.
CommandResult runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds limit = 30s,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdinText = "");

// The path of a built binary, from the environment variable meson sets for the test.
std::string binaryPath(const char* envName);

// Polls `pred` every 20 ms until it holds or `limit` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (pred()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= end) {
            return false;
        }
        struct timespec ts {0, 20'000'000};
        nanosleep(&ts, nullptr);
    }
}

}  // namespace tmsteams::testsupport

// A running fake-teleport-auth and a fake-tctl bound to it.
#include "fake_auth_handle.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace tmsteams::testsupport {

FakeAuth::FakeAuth(std::string stateDir, std::vector<std::string> extraArgs)
    : stateDir_(std::move(stateDir)), extraArgs_(std::move(extraArgs)) {
    start("127.0.0.1:0");
}

void FakeAuth::start(const std::string& listen) {
    std::vector<std::string> argv = {binaryPath("FAKE_TELEPORT_AUTH"), "--state-dir", stateDir_,
                                     "--listen", listen};
    argv.insert(argv.end(), extraArgs_.begin(), extraArgs_.end());
    proc_ = std::make_unique<Process>(
        argv, std::filesystem::path(stateDir_).parent_path().string());
    auto ready = proc_->waitForLine("ready ", 15s);
    if (!ready) {
        throw std::runtime_error("fake-teleport-auth did not print its ready line within 15 s: " +
                                 proc_->stderrText());
    }
    addr_ = *ready;
    if (std::find(extraArgs_.begin(), extraArgs_.end(), "--proxy-listen") != extraArgs_.end()) {
        proxyAddr_ = proc_->waitForLine("proxy ", 1s).value_or("");
    }
}

void FakeAuth::kill9() {
    proc_->signal(SIGKILL);
    proc_->wait(5s);
}

void FakeAuth::restart() {
    if (proc_->running()) {
        kill9();
    }
    // Keep the proxy listener's port too, as a restarted cluster would.
    auto it = std::find(extraArgs_.begin(), extraArgs_.end(), "--proxy-listen");
    if (it != extraArgs_.end() && it + 1 != extraArgs_.end() && !proxyAddr_.empty()) {
        *(it + 1) = proxyAddr_;
    }
    start(addr_);
}

CommandResult FakeAuth::tctl(const std::vector<std::string>& args, const std::string& user) const {
    std::vector<std::string> argv = {binaryPath("FAKE_TCTL"), "--auth", addr_, "--identity",
                                     identity(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, 20s);
}

std::string FakeAuth::tctlOk(const std::vector<std::string>& args, const std::string& user) const {
    auto r = tctl(args, user);
    if (r.exitCode != 0) {
        std::string cmd;
        for (const auto& a : args) {
            cmd += a + " ";
        }
        throw std::runtime_error("fake-tctl " + cmd + "exited " + std::to_string(r.exitCode) +
                                 ": " + r.err);
    }
    while (!r.out.empty() && r.out.back() == '\n') {
        r.out.pop_back();
    }
    return r.out;
}

}  // namespace tmsteams::testsupport

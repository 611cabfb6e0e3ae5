// A running fake-teleport-auth and a fake-tctl bound to it, for integration tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "process.h"

namespace tmsteams::testsupport {

class FakeAuth {
public:
    // Starts the fake with its state in `stateDir` (kept across restart()).
    explicit FakeAuth(std::string stateDir, std::vector<std::string> extraArgs = {});

    // The "host:port" it listens on; restart() keeps the port when it can.
    const std::string& addr() const { return addr_; }
    // The TLS-routing proxy listener, when started with --proxy-listen.
    const std::string& proxyAddr() const { return proxyAddr_; }
    std::string identity(const std::string& user = "admin") const { return stateDir_ + "/" + user; }
    const std::string& stateDir() const { return stateDir_; }
    Process& process() { return *proc_; }

    void kill9();
    // Starts it again on the same port, with the same state directory.
    void restart();

    // Runs fake-tctl as `user` against this fake.
    CommandResult tctl(const std::vector<std::string>& args, const std::string& user = "admin") const;
    // Like tctl, but fails the test's expectations with the output if the exit code is not 0,
    // and returns stdout without its trailing newline.
    std::string tctlOk(const std::vector<std::string>& args, const std::string& user = "admin") const;

private:
    void start(const std::string& listen);

    std::string stateDir_;
    std::vector<std::string> extraArgs_;
    std::string addr_;
    std::string proxyAddr_;
    std::unique_ptr<Process> proc_;
};

}  // namespace tmsteams::testsupport

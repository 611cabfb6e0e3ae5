// What every benchmark scenario shares: fresh fakes and a daemon (Deployment), process
// figures from /proc, percentiles, and the table of figures the run prints and saves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "authservice.grpc.pb.h"
#include "support/fake_auth_handle.h"
#include "support/fake_graph_handle.h"
#include "teleport/grpc_auth_client.h"

namespace tmsteams::bench {

using testsupport::FakeAuth;
using testsupport::FakeGraph;
using testsupport::Process;
using testsupport::TempDir;
using Clock = std::chrono::steady_clock;

struct Options {
    int latencyMs = 50;
    int runs = 3;
    std::set<int> scenarios = {1, 2, 3, 4, 5, 6, 7, 8};
    std::string json = "bench-results.json";
    bool quick = false;  // one small iteration of everything: proves the tool works
};

int64_t nowMs();
std::string userEmail(int i);
std::string userId(int i);

struct ProcStats {
    long rssKb = 0;
    long pssKb = 0;
    double cpuSeconds = 0;
};
ProcStats procStats(pid_t pid);
// CPU time of the process's live threads in nanoseconds (the scheduler's own accounting,
// /proc/PID/task/*/schedstat): fine enough for an idle daemon, where utime and stime move in
// 10 ms ticks. Threads that exit in between are not counted.
double threadsCpuNs(pid_t pid);

class Deployment {
public:
    struct Config {
        int latencyMs = 50;
        bool throttle = true;
        bool pacing = true;
        bool preload = false;
        int users = 20;
        std::vector<std::string> star;  // "*" recipients
        std::vector<std::string> warm;  // recipients of a role no request asks for: preloaded only
        bool publishApp = true;
        bool status = false;            // [http] on a free loopback port (statusUrl())
        bool review = false;            // [review] on a free loopback port, user0 may review
    };

    explicit Deployment(const Config& c);
    ~Deployment();

    // Starts the daemon; returns milliseconds from spawn to READY=1 on its notification socket,
    // as systemd would see it.
    double startDaemon();
    // Creates a request; returns its id and the wall-clock ms when the call returned.
    std::pair<std::string, int64_t> create(const std::string& user, const std::vector<std::string>& reviewers);
    // Creates `n` requests (8 at a time, no reviewers) and waits until each has its card (at most
    // 30 minutes).
    void createPosted(int n);
    // Cards the fake holds for one request: (conversation, receivedMs).
    std::vector<std::pair<std::string, int64_t>> cards(const std::string& id);
    // All cards: (conversation, request id), with duplicates.
    std::vector<std::pair<std::string, std::string>> allCards();
    uint64_t stat(const std::string& route, int status);
    uint64_t totalCalls();
    uint64_t throttled();
    pid_t daemonPid() { return daemon_->pid(); }
    FakeAuth& auth() { return *auth_; }
    // The daemon's own Auth client, as the plugin identity (for measuring one call's cost).
    std::unique_ptr<teleport::GrpcAuthClient> pluginClient();
    FakeGraph& graph() { return *graph_; }
    std::string statusUrl() const { return "http://127.0.0.1:" + std::to_string(statusPort_); }
    std::string botEndpoint() const { return "https://127.0.0.1:" + std::to_string(reviewPort_) + "/api/messages"; }
    std::string botCa() const { return botCa_; }
    // A value from the daemon's /metrics (the first sample of `series`, e.g.
    // teleport_msteams_watching or name{label="x"}); NaN when absent.
    double metric(const std::string& series);
    // The daemon's calls to Auth so far, by kind (get_plugin_data, update_plugin_data, ...), as
    // its /metrics exports them.
    std::map<std::string, double> authCalls();

private:
    Config cfg_;
    TempDir tmp_;
    std::unique_ptr<FakeAuth> auth_;
    std::unique_ptr<FakeGraph> graph_;
    std::string config_;
    std::unique_ptr<Process> daemon_;
    std::unique_ptr<proto::AuthService::Stub> stub_;
    int statusPort_ = 0;
    int reviewPort_ = 0;
    std::string botCa_;
};

double percentile(std::vector<double> v, double p);
// Waits for `count` cards of request `id`; returns the latest receive time.
int64_t waitCards(Deployment& d, const std::string& id, size_t count, std::chrono::milliseconds limit = std::chrono::seconds(60));

struct Figure {
    std::string name;
    std::string unit;
    double limit;
    std::vector<double> runs;
    double median() const { return percentile(runs, 50); }
    double min() const;
    double max() const;
};
std::vector<Figure>& figures();
Figure& figure(const std::string& name, const std::string& unit, double limit);

// The scenarios.
void fanOut(const Options& o);             // S1
void cold(const Options& o);               // S2
void burst(const Options& o);              // S3 and S4 CPU
void resources(const Options& o);          // S4
void stalledLookup(const Options& o);      // S5
void reconnect(const Options& o);          // S6
void slowClients(const Options& o);        // S7
void callCost(const Options& o);           // S8

}  // namespace tmsteams::bench

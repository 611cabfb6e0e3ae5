// S8: what one plugin-data write and one card post cost the daemon's own clients (its
// GrpcAuthClient and CurlHttpTransport) with nothing else running, against the same fakes and
// latency as S3: the floor under S4's CPU per card. In S3 a card is one post and two writes (a
// request's due record, claim and two records, for two cards).
#include <sys/resource.h>

#include <exception>
#include <functional>
#include <iostream>
#include <latch>
#include <mutex>
#include <thread>

#include "deployment.h"
#include "msapi/curl_http_transport.h"
#include "teams/card.h"

namespace tmsteams::bench {

namespace {

double cpuMs(int who) {
    rusage r{};
    getrusage(who, &r);
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

// Runs `call(worker, i)` `calls` times over `threads` threads; returns CPU ms per call. Each
// worker first makes one call outside the window, so the window holds no connection set-up (a
// TLS handshake per new libcurl handle) that a long-running daemon has long since paid. With
// `callersOnly`, only the calling threads' CPU counts (libcurl works in the caller's thread, and
// the bench's idle gRPC threads would otherwise add to slow calls); otherwise the whole
// process's (gRPC finishes calls on its own threads too).
double cpuPerCall(int calls, int threads, bool callersOnly, const std::function<void(int worker, int i)>& call) {
    std::vector<std::thread> workers;
    std::mutex mu;
    double callers = 0;
    std::exception_ptr failure;
    std::latch warmed(threads);
    std::latch go(1);
    const auto noteFailure = [&] {
        std::lock_guard lock(mu);
        failure = std::current_exception();
    };
    for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
            bool warm = true;
            try {
                call(w, calls + w);  // a value the window never writes: no call there repeats it
            } catch (...) {
                noteFailure();
                warm = false;
            }
            warmed.count_down();
            go.wait();
            if (!warm) {
                return;
            }
            const double own0 = cpuMs(RUSAGE_THREAD);
            try {
                for (int i = w; i < calls; i += threads) {
                    call(w, i);
                }
            } catch (...) {
                noteFailure();
            }
            std::lock_guard lock(mu);
            callers += cpuMs(RUSAGE_THREAD) - own0;
        });
    }
    warmed.wait();
    const double process0 = cpuMs(RUSAGE_SELF);
    go.count_down();
    for (auto& t : workers) {
        t.join();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
    return (callersOnly ? callers : cpuMs(RUSAGE_SELF) - process0) / calls;
}

}  // namespace

void callCost(const Options& o) {
    Deployment::Config c;
    c.latencyMs = o.latencyMs;  // as in S3: a wait of a round trip leaves the caches cold
    c.throttle = false;         // one conversation gets every post
    c.users = 1;
    for (int run = 0; run < o.runs; ++run) {
        Deployment d(c);
        auto client = d.pluginClient();
        const std::string id = d.create("requester", {}).first;
        auto& g = d.graph();
        const auto catalog = testsupport::parseObject(g.control("GET", "/_fake/catalog").body)
                                 ->getArray("apps")
                                 ->getObject(0)
                                 ->getValue<std::string>("id");
        const std::string chat = g.installAndGetChat(
            g.token(testsupport::GraphScope, testsupport::directory::AppId, "bench-secret"), userId(0), catalog);
        const std::string botToken = g.token(testsupport::BotScope, testsupport::directory::AppId, "bench-secret");
        msapi::CurlHttpTransport transport(g.caFile());
        // The card S3 posts: the daemon's own rendering of a request like the bench creates.
        teams::CardData data;
        data.requestId = id;
        data.cluster = "bench.example";
        data.user = "requester";
        data.roles = {"bench"};
        data.reason = "benchmark";
        data.suggestedReviewers = {userEmail(0), userEmail(1)};
        data.requestExpires = std::chrono::system_clock::now() + std::chrono::hours(1);
        const std::string card = teams::buildActivity(data);
        const int calls = o.quick ? 40 : 400;
        for (int threads : {1, 8}) {
            const double write = cpuPerCall(calls, threads, false, [&](int w, int i) {
                auto s = client->updatePluginData(id, {{"k" + std::to_string(w), std::to_string(i)}}, {});
                if (!s.ok()) {
                    throw std::runtime_error("update: " + std::string(s.message()));
                }
            });
            const double post = cpuPerCall(calls, threads, true, [&](int, int) {
                auto r =
                    transport.send({"POST",
                                    g.url() + "/emea/v3/conversations/" + chat + "/activities/",
                                    {{"Authorization", "Bearer " + botToken}, {"Content-Type", "application/json"}},
                                    card});
                if (r.status != 201 && r.status != 200) {
                    throw std::runtime_error("post: " + std::to_string(r.status) + " " + r.transportError);
                }
            });
            const std::string on = threads == 1 ? ", 1 at a time" : ", 8 at a time";
            figure("S8 CPU per plugin-data write" + on, "ms", -1).runs.push_back(write);
            figure("S8 CPU per card post" + on, "ms", -1).runs.push_back(post);
            figure("S8 floor per card (post + 2 writes)" + on, "ms", -1).runs.push_back(post + 2 * write);
            std::cerr << "  S8 run " << run + 1 << on << ": " << write << " ms per UpdatePluginData, " << post
                      << " ms per post\n";
        }
    }
}

}  // namespace tmsteams::bench

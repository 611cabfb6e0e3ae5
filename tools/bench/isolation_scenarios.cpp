// S5 to S7: the core's isolation. A card to a known recipient while another recipient's lookup
// hangs and /metrics is scraped (S5); a reconnect with many handled requests (S6); slow and idle
// clients on the bot and status endpoints (S7).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <iostream>
#include <thread>

#include "deployment.h"
#include "support/http_client.h"

namespace tmsteams::bench {

using namespace std::chrono_literals;
using testsupport::httpGet;

namespace {

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

int connectLoopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int portOf(const std::string& url) {
    auto colon = url.rfind(':');
    return std::stoi(url.substr(colon + 1));
}

double authCalls(Deployment& d) {
    double n = 0;
    for (const auto& [kind, calls] : d.authCalls()) {
        n += calls;
    }
    return n;
}

}  // namespace

void stalledLookup(const Options& o) {
    const int L = o.latencyMs;
    for (int run = 0; run < o.runs; ++run) {
        Deployment::Config c;
        c.latencyMs = L;
        c.throttle = false;
        c.pacing = false;
        c.preload = true;
        c.users = 4;
        c.warm = {userEmail(0)};
        c.status = true;
        Deployment d(c);
        d.startDaemon();
        auto warmup = d.create("requester", {userEmail(0)});
        waitCards(d, warmup.first, 1);  // the known recipient's chat is cached
        d.graph().control("POST", "/_fake/faults", R"({"route":"graph.users","latencyMs":30000})");
        d.create("requester", {userEmail(1)});  // a new recipient: its lookup hangs 30 s
        std::atomic<bool> scraping{true};
        std::atomic<int> scrapes{0};
        std::thread scraper([&] {
            while (scraping) {
                httpGet(d.statusUrl() + "/metrics");
                ++scrapes;
            }
        });
        std::this_thread::sleep_for(300ms);
        double worst = 0;
        const int n = o.quick ? 3 : 10;
        for (int i = 0; i < n; ++i) {
            auto [id, created] = d.create("requester", {userEmail(0)});
            worst = std::max(worst, double(waitCards(d, id, 1, 60s) - created));
        }
        scraping = false;
        scraper.join();
        d.graph().control("POST", "/_fake/faults", R"({"route":"graph.users","latencyMs":0})");
        figure("S5 known recipient, other lookup hung: max", "ms", L + 100).runs.push_back(worst);
        std::cerr << "  S5 run " << run + 1 << ": worst of " << n << " cards " << worst << " ms (one Bot call is " << L
                  << " ms), " << scrapes << " scrapes meanwhile\n";
    }
}

void reconnect(const Options& o) {
    Deployment::Config c;
    c.latencyMs = 0;
    c.throttle = false;
    c.pacing = false;
    c.preload = true;
    c.users = 2;
    c.star = {userEmail(0)};
    c.status = true;
    Deployment d(c);
    d.startDaemon();
    const int n = o.quick ? 200 : 10000;
    d.createPosted(n);
    std::this_thread::sleep_for(3s);  // the last claims released, the start's catch-ups done
    for (int run = 0; run < o.runs; ++run) {
        const double catchUps = d.metric("teleport_msteams_catch_ups_total");
        const double before = authCalls(d);
        const auto t0 = Clock::now();
        d.auth().tctlOk({"fake", "close-watchers", "--unavailable"});
        while (d.metric("teleport_msteams_catch_ups_total") <= catchUps && Clock::now() - t0 < 60s) {
            std::this_thread::sleep_for(2ms);
        }
        const double took = msSince(t0);
        std::this_thread::sleep_for(1s);
        const double calls = authCalls(d) - before;
        figure("S6 reconnect, " + std::to_string(n) + " handled: Auth calls", "calls", 5).runs.push_back(calls);
        figure("S6 reconnect, " + std::to_string(n) + " handled: caught up", "ms", 1000).runs.push_back(took);
        std::cerr << "  S6 run " << run + 1 << ": " << calls << " Auth calls, caught up in " << took << " ms\n";
    }
}

void slowClients(const Options& o) {
    for (int run = 0; run < o.runs; ++run) {
        Deployment::Config c;
        c.latencyMs = 0;
        c.throttle = false;
        c.pacing = false;
        c.users = 2;
        c.star = {userEmail(1)};
        c.status = true;
        c.review = true;
        Deployment d(c);
        d.startDaemon();
        auto [id, created] = d.create("requester", {});
        waitCards(d, id, 1);
        const std::string invoke = "{\"user\":\"" + userId(0) + "\",\"verb\":\"refreshCard\",\"requestId\":\"" + id +
                                   "\",\"endpoint\":\"" + d.botEndpoint() + "\",\"ca\":\"" + d.botCa() + "\"}";
        auto click = [&] {
            const auto t0 = Clock::now();
            auto r = d.graph().control("POST", "/_fake/invoke", invoke);
            if (r.status != 200 || r.body.find("\"status\":200") == std::string::npos) {
                throw std::runtime_error("S7: the invoke failed: " + r.body);
            }
            return msSince(t0);
        };
        std::vector<double> calm;
        for (int i = 0; i < 5; ++i) {
            calm.push_back(click());
        }
        std::vector<int> held;
        for (int i = 0; i < 50; ++i) {
            int fd = connectLoopback(portOf(d.botEndpoint().substr(0, d.botEndpoint().find("/api"))));
            const char first = 0x16;  // a TLS handshake that never goes on
            if (fd >= 0 && ::send(fd, &first, 1, MSG_NOSIGNAL) == 1) {
                held.push_back(fd);
            }
        }
        for (int i = 0; i < 10; ++i) {
            if (int fd = connectLoopback(portOf(d.statusUrl())); fd >= 0) {
                held.push_back(fd);
            }
        }
        std::this_thread::sleep_for(500ms);
        const auto h0 = Clock::now();
        const bool healthy = httpGet(d.statusUrl() + "/healthz").status == 200;
        const double health = msSince(h0);
        double worst = 0;
        for (int i = 0; i < 5; ++i) {
            worst = std::max(worst, click());
        }
        for (int fd : held) {
            ::close(fd);
        }
        const double delay = std::max(0.0, worst - percentile(calm, 50));
        figure("S7 invoke delay, 50 slow-header connections", "ms", 1000).runs.push_back(delay);
        figure("S7 /healthz, 10 idle connections", "ms", 100).runs.push_back(healthy ? health : INFINITY);
        std::cerr << "  S7 run " << run + 1 << ": invoke " << percentile(calm, 50) << " ms calm, worst " << worst
                  << " ms with 50 slow clients; /healthz " << health << " ms with 10 idle\n";
    }
}

}  // namespace tmsteams::bench

// tools/bench: end-to-end figures for teleport-msteams against the fakes, next to the physical
// limits. Each scenario starts fresh fakes and a fresh daemon, runs several times, and reports
// the median and spread; results go to a table and to JSON.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "authservice.grpc.pb.h"
#include "support/fake_auth_handle.h"
#include "support/fake_graph_handle.h"
#include "teleport/grpc_channel.h"
#include "teleport/identity_file.h"
#include "teleport/proto_time.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    int latencyMs = 50;
    int runs = 3;
    std::set<int> scenarios = {1, 2, 3, 4};
    std::string json = "bench-results.json";
    bool quick = false;  // one small iteration of everything: proves the tool works
};

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string userEmail(int i) { return "user" + std::to_string(i) + "@bench.example"; }

std::string userId(int i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", i);
    return buf;
}

// A directory with many users, each with a mailbox.
std::string writeDirectory(const std::string& path, int users) {
    std::ostringstream d;
    d << "{\"tenantId\":\"" << directory::Tenant << "\",\"tenantDomain\":\"bench.example\",\"apps\":[{\"id\":\""
      << directory::AppId << "\",\"secret\":\"bench-secret\",\"permissions\":[\"AppCatalog.Read.All\",\"User.Read.All\","
      << "\"TeamsAppInstallation.ReadWriteSelfForUser.All\",\"TeamsAppInstallation.ReadWriteSelfForTeam.All\"]}],\"users\":[";
    for (int i = 0; i < users; ++i) {
        d << (i ? "," : "") << "{\"id\":\"" << userId(i) << "\",\"mail\":\"" << userEmail(i)
          << "\",\"userPrincipalName\":\"" << userEmail(i) << "\",\"displayName\":\"User " << i << "\"}";
    }
    d << "],\"teams\":[]}";
    std::ofstream(path) << d.str();
    return path;
}

struct ProcStats {
    long rssKb = 0;
    double cpuSeconds = 0;
};

ProcStats procStats(pid_t pid) {
    ProcStats s;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            s.rssKb = std::stol(line.substr(6));
        }
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), {});
    auto close = all.rfind(')');
    std::istringstream fields(all.substr(close + 2));
    std::vector<std::string> f;
    std::string x;
    while (fields >> x) {
        f.push_back(x);
    }
    // utime and stime are fields 14 and 15; f[0] is field 3.
    double ticks = double(sysconf(_SC_CLK_TCK));
    s.cpuSeconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    return s;
}

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
    };

    explicit Deployment(const Config& c) : cfg_(c) {
        auth_ = std::make_unique<FakeAuth>(tmp_ / "auth", std::vector<std::string>{"--persist-interval-ms", "500"});
        std::vector<std::string> g = {"--directory", writeDirectory(tmp_ / "directory.json", c.users), "--latency-ms",
                                      std::to_string(c.latencyMs), "--threads", "256"};
        if (!c.throttle) {
            g.push_back("--no-throttle");
        }
        if (c.publishApp) {
            g.insert(g.end(), {"--catalog-app", "11111111-2222-4333-8444-555555555555=" + directory::AppId});
        }
        graph_ = std::make_unique<FakeGraph>(tmp_.path(), g);
        std::string star;
        for (const auto& r : c.star) {
            star += (star.empty() ? "" : ", ") + ("\"" + r + "\"");
        }
        std::string warm;
        for (const auto& r : c.warm) {
            warm += (warm.empty() ? "" : ", ") + ("\"" + r + "\"");
        }
        config_ = tmp_ / "bench.toml";
        std::ofstream(config_) << "preload = " << (c.preload ? "true" : "false") << "\n[teleport]\naddr = \""
                               << auth_->addr() << "\"\nidentity = \"" << auth_->identity("teleport-msteams") << "\"\n"
                               << "[msapi]\napp_id = \"" << directory::AppId << "\"\napp_secret = \"bench-secret\"\n"
                               << "tenant_id = \"" << directory::Tenant << "\"\nteams_app_id = \"11111111-2222-4333-8444-555555555555\"\n"
                               << "login_endpoint = \"" << graph_->url() << "\"\ngraph_endpoint = \"" << graph_->url()
                               << "\"\nbot_endpoint = \"" << graph_->url() << "\"\nbot_pacing = "
                               << (c.pacing ? "true" : "false") << "\n[role_to_recipients]\n\"*\" = [" << star
                               << "]\nwarm-only = [" << warm << "]\n[log]\nseverity = \"WARN\"\n";
        auto creds = tmsteams::teleport::loadIdentityFile(auth_->identity("admin"));
        stub_ = proto::AuthService::NewStub(tmsteams::teleport::makeAuthChannel(auth_->addr(), *creds));
    }

    // Starts the daemon; returns milliseconds from spawn to READY=1 on its notification socket,
    // as systemd would see it.
    double startDaemon() {
        const std::string sockPath = tmp_ / "notify.sock";
        int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, sockPath.c_str(), sizeof addr.sun_path - 1);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("cannot bind " + sockPath);
        }
        timeval tv{0, 100000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        auto t0 = Clock::now();
        daemon_ = std::make_unique<Process>(
            std::vector<std::string>{binaryPath("TELEPORT_MSTEAMS"), "start", "-c", config_}, tmp_.path(),
            std::map<std::string, std::string>{{"NOTIFY_SOCKET", sockPath}});
        for (;;) {
            char buf[256];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0 && std::string(buf, size_t(n)).rfind("READY=1", 0) == 0) {
                break;
            }
            if (!daemon_->running() || Clock::now() - t0 > 60s) {
                ::close(fd);
                throw std::runtime_error("daemon did not start: " + daemon_->stderrText());
            }
        }
        auto ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        ::close(fd);
        return ms;
    }

    // Creates a request; returns its id and the wall-clock ms when the call returned.
    std::pair<std::string, int64_t> create(const std::string& user, const std::vector<std::string>& reviewers) {
        types::AccessRequestV3 r;
        r.set_kind("access_request");
        r.set_version("v3");
        r.mutable_spec()->set_user(user);
        r.mutable_spec()->add_roles("bench");
        r.mutable_spec()->set_requestreason("benchmark");
        for (const auto& rv : reviewers) {
            r.mutable_spec()->add_suggestedreviewers(rv);
        }
        tmsteams::teleport::toProtoTime(std::nullopt, r.mutable_spec()->mutable_expires());
        grpc::ClientContext ctx;
        tmsteams::teleport::prepareContext(ctx, 30s);
        types::AccessRequestV3 out;
        auto s = stub_->CreateAccessRequestV2(&ctx, r, &out);
        if (!s.ok()) {
            throw std::runtime_error("create: " + s.error_message());
        }
        return {out.metadata().name(), nowMs()};
    }

    // Cards the fake holds for one request: (conversation, receivedMs).
    std::vector<std::pair<std::string, int64_t>> cards(const std::string& id) {
        auto resp = graph_->control("GET", "/_fake/activities?history=0&contains=" + formEncode(id));
        std::vector<std::pair<std::string, int64_t>> out;
        auto list = parseObject(resp.body)->getArray("activities");
        for (size_t i = 0; i < list->size(); ++i) {
            auto a = list->getObject(static_cast<unsigned>(i));
            out.emplace_back(a->getValue<std::string>("conversationId"), a->getValue<int64_t>("receivedMs"));
        }
        return out;
    }

    // All cards: conversation -> request ids seen there, with duplicates.
    std::vector<std::pair<std::string, std::string>> allCards() {
        auto resp = graph_->control("GET", "/_fake/activities?history=0");
        std::vector<std::pair<std::string, std::string>> out;
        auto list = parseObject(resp.body)->getArray("activities");
        for (size_t i = 0; i < list->size(); ++i) {
            auto a = list->getObject(static_cast<unsigned>(i));
            std::ostringstream card;
            if (auto obj = a->getObject("card")) {
                obj->stringify(card);
            }
            std::string text = card.str();
            auto at = text.find("Access Request ");
            std::string id = at == std::string::npos ? "" : text.substr(at + 15, 36);
            out.emplace_back(a->getValue<std::string>("conversationId"), id);
        }
        return out;
    }

    uint64_t stat(const std::string& route, int status) {
        auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
        auto r = routes->getObject(route);
        return r && r->has(std::to_string(status)) ? r->getValue<uint64_t>(std::to_string(status)) : 0;
    }
    uint64_t totalCalls() {
        uint64_t n = 0;
        auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
        for (const auto& name : routes->getNames()) {
            auto r = routes->getObject(name);
            for (const auto& code : r->getNames()) {
                n += r->getValue<uint64_t>(code);
            }
        }
        return n;
    }
    uint64_t throttled() {
        uint64_t n = 0;
        auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
        for (const auto& name : routes->getNames()) {
            auto r = routes->getObject(name);
            if (r->has("429")) {
                n += r->getValue<uint64_t>("429");
            }
        }
        return n;
    }
    pid_t daemonPid() { return daemon_->pid(); }
    ~Deployment() {
        if (daemon_) {
            daemon_->signal(SIGTERM);
            daemon_->wait(20s);
        }
    }

private:
    Config cfg_;
    TempDir tmp_;
    std::unique_ptr<FakeAuth> auth_;
    std::unique_ptr<FakeGraph> graph_;
    std::string config_;
    std::unique_ptr<Process> daemon_;
    std::unique_ptr<proto::AuthService::Stub> stub_;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return NAN;
    }
    std::sort(v.begin(), v.end());
    double rank = p / 100.0 * double(v.size() - 1);
    size_t lo = size_t(std::floor(rank)), hi = size_t(std::ceil(rank));
    return v[lo] + (v[hi] - v[lo]) * (rank - double(lo));
}

// Waits for `count` cards of request `id`; returns the latest receive time.
int64_t waitCards(Deployment& d, const std::string& id, size_t count, std::chrono::milliseconds limit = 60s) {
    auto end = Clock::now() + limit;
    for (;;) {
        auto cs = d.cards(id);
        if (cs.size() >= count) {
            int64_t last = 0;
            for (const auto& c : cs) {
                last = std::max(last, c.second);
            }
            return last;
        }
        if (Clock::now() > end) {
            throw std::runtime_error("request " + id + ": " + std::to_string(cs.size()) + " of " +
                                     std::to_string(count) + " cards within the limit");
        }
        std::this_thread::sleep_for(2ms);
    }
}

struct Figure {
    std::string name;
    std::string unit;
    double limit;
    std::vector<double> runs;
    double median() const { return percentile(runs, 50); }
    double min() const { return *std::min_element(runs.begin(), runs.end()); }
    double max() const { return *std::max_element(runs.begin(), runs.end()); }
};

std::vector<Figure> figures;

Figure& figure(const std::string& name, const std::string& unit, double limit) {
    for (auto& f : figures) {
        if (f.name == name) {
            return f;
        }
    }
    figures.push_back({name, unit, limit, {}});
    return figures.back();
}

void fanOut(const Options& o) {
    const int L = o.latencyMs;
    for (int r : {1, 10, 50}) {
        for (int run = 0; run < o.runs; ++run) {
            Deployment::Config c;
            c.latencyMs = L;
            c.throttle = false;  // the physical limit: one Bot round trip
            c.pacing = false;
            c.preload = true;
            c.users = 60;
            for (int i = 0; i < r; ++i) {
                c.star.push_back(userEmail(i));
            }
            Deployment d(c);
            d.startDaemon();
            std::vector<double> lat;
            int n = o.quick ? 3 : 25;
            for (int i = 0; i < n; ++i) {
                auto [id, createdMs] = d.create("requester", {});
                int64_t last = waitCards(d, id, size_t(r));
                lat.push_back(double(last - createdMs));
            }
            figure("S1 fan-out p50, R=" + std::to_string(r), "ms", L + 15).runs.push_back(percentile(lat, 50));
            figure("S1 fan-out p99, R=" + std::to_string(r), "ms", 2 * L + 25).runs.push_back(percentile(lat, 99));
            std::cerr << "  S1 R=" << r << " run " << run + 1 << ": p50 " << percentile(lat, 50) << " ms, p99 "
                      << percentile(lat, 99) << " ms\n";
        }
    }
}

void cold(const Options& o) {
    const int L = o.latencyMs;
    const int n = o.quick ? 2 : 10;
    for (int run = 0; run < o.runs; ++run) {
        Deployment::Config c;
        c.latencyMs = L;
        c.throttle = false;
        c.pacing = false;
        c.preload = false;
        c.users = 10 * n + 1;
        Deployment d(c);
        d.startDaemon();
        std::vector<double> lat;
        for (int i = 0; i < n; ++i) {
            std::vector<std::string> reviewers;
            for (int k = 0; k < 10; ++k) {
                reviewers.push_back(userEmail(i * 10 + k));  // never seen before: not installed, not cached
            }
            auto [id, createdMs] = d.create("requester", reviewers);
            lat.push_back(double(waitCards(d, id, 10) - createdMs));
        }
        figure("S2 cold recipients p99, R=10", "ms", 5 * L + 50).runs.push_back(percentile(lat, 99));
        std::cerr << "  S2 run " << run + 1 << ": p99 " << percentile(lat, 99) << " ms\n";
    }
}

void burst(const Options& o) {
    const int requests = o.quick ? 30 : 300;
    const int reviewers = 10;
    const double limitSeconds = double(requests * 2) / 30.0;  // 30 Bot calls per second per app
    for (int run = 0; run < o.runs; ++run) {
        Deployment::Config c;
        c.latencyMs = o.latencyMs;
        c.throttle = true;  // the fake enforces Teams' published limits
        c.pacing = true;
        c.preload = true;
        c.users = reviewers;
        for (int i = 0; i < reviewers; ++i) {
            c.warm.push_back(userEmail(i));  // the app is installed and the chats known
        }
        Deployment d(c);
        d.startDaemon();
        auto cpu0 = procStats(d.daemonPid()).cpuSeconds;
        uint64_t calls0 = d.totalCalls();
        uint64_t throttled0 = d.throttled();
        auto t0 = nowMs();
        std::vector<std::thread> creators;
        for (int w = 0; w < 8; ++w) {
            creators.emplace_back([&, w] {
                for (int i = w; i < requests; i += 8) {
                    d.create("requester", {userEmail(i % reviewers), userEmail((i + 1) % reviewers)});
                }
            });
        }
        for (auto& t : creators) {
            t.join();
        }
        // Wait for all 2 x requests cards (or a generous limit), then count.
        auto end = Clock::now() + std::chrono::seconds(int(limitSeconds * 3) + 30);
        std::vector<std::pair<std::string, std::string>> all;
        while (Clock::now() < end) {
            all = d.allCards();
            if (all.size() >= size_t(requests * 2)) {
                break;
            }
            std::this_thread::sleep_for(200ms);
        }
        int64_t last = 0;
        {
            auto resp = d.cards("Access Request");
            for (const auto& c2 : resp) {
                last = std::max(last, c2.second);
            }
        }
        std::this_thread::sleep_for(2s);  // anything late or duplicated shows up now
        all = d.allCards();
        std::map<std::pair<std::string, std::string>, int> perPair;
        for (const auto& a : all) {
            ++perPair[a];
        }
        int duplicates = 0;
        for (const auto& [k, v] : perPair) {
            duplicates += v - 1;
        }
        int lost = requests * 2 - int(perPair.size());
        double elapsed = double(last - t0) / 1000.0;
        uint64_t calls = d.totalCalls() - calls0;
        uint64_t throttled = d.throttled() - throttled0;
        double cpu = procStats(d.daemonPid()).cpuSeconds - cpu0;
        figure("S3 burst of " + std::to_string(requests * 2) + " cards: time", "s", limitSeconds * 1.1).runs.push_back(elapsed);
        figure("S3 burst: cards lost", "cards", 0).runs.push_back(lost);
        figure("S3 burst: cards duplicated", "cards", 0).runs.push_back(duplicates);
        figure("S3 burst: Microsoft calls answered 429", "%", 1).runs.push_back(100.0 * double(throttled) / double(std::max<uint64_t>(calls, 1)));
        figure("S4 CPU time per card (burst)", "ms", 0.5).runs.push_back(1000.0 * cpu / double(requests * 2));
        std::cerr << "  S3 run " << run + 1 << ": " << elapsed << " s (limit " << limitSeconds << " s), lost " << lost
                  << ", duplicated " << duplicates << ", 429s " << throttled << " of " << calls << " calls, CPU "
                  << cpu << " s\n";
    }
}

void resources(const Options& o) {
    for (int run = 0; run < o.runs; ++run) {
        Deployment::Config c;
        c.latencyMs = o.latencyMs;
        c.throttle = false;
        c.pacing = false;
        c.preload = false;
        c.users = 2;
        c.star = {userEmail(0)};
        Deployment d(c);
        double ready = d.startDaemon();
        figure("S4 start to READY (no preload)", "ms", 300).runs.push_back(ready);
        std::this_thread::sleep_for(1s);
        figure("S4 resident memory after start", "MiB", 20).runs.push_back(double(procStats(d.daemonPid()).rssKb) / 1024.0);
        std::cerr << "  S4 run " << run + 1 << ": ready in " << ready << " ms, RSS "
                  << double(procStats(d.daemonPid()).rssKb) / 1024.0 << " MiB\n";
    }
    // 10,000 pending requests, each with its card posted: what the daemon holds then.
    Deployment::Config c;
    c.latencyMs = 0;
    c.throttle = false;
    c.pacing = false;
    c.preload = true;
    c.users = 2;
    c.star = {userEmail(0)};
    Deployment d(c);
    d.startDaemon();
    const int n = o.quick ? 200 : 10000;
    auto cpu0 = procStats(d.daemonPid()).cpuSeconds;
    std::vector<std::thread> creators;
    for (int w = 0; w < 8; ++w) {
        creators.emplace_back([&, w] {
            for (int i = w; i < n; i += 8) {
                d.create("requester", {});
            }
        });
    }
    for (auto& t : creators) {
        t.join();
    }
    auto end = Clock::now() + 30min;
    while (Clock::now() < end && d.stat("bot.post", 201) < uint64_t(n)) {
        std::this_thread::sleep_for(500ms);
    }
    std::this_thread::sleep_for(1s);
    auto st = procStats(d.daemonPid());
    figure("S4 resident memory with " + std::to_string(n) + " pending requests", "MiB", 64)
        .runs.push_back(double(st.rssKb) / 1024.0);
    figure("S4 CPU time per card (" + std::to_string(n) + " requests)", "ms", 0.5)
        .runs.push_back(1000.0 * (st.cpuSeconds - cpu0) / double(n));
    std::cerr << "  S4 " << n << " requests: RSS " << double(st.rssKb) / 1024.0 << " MiB, CPU per card "
              << 1000.0 * (st.cpuSeconds - cpu0) / double(n) << " ms\n";
}

}  // namespace

int main(int argc, char** argv) {
    // The support library finds the programs through these, as under meson test.
    setenv("FAKE_TELEPORT_AUTH", BENCH_FAKE_AUTH, 0);
    setenv("FAKE_TCTL", BENCH_FAKE_TCTL, 0);
    setenv("FAKE_MSGRAPH", BENCH_FAKE_MSGRAPH, 0);
    setenv("TELEPORT_MSTEAMS", BENCH_DAEMON, 0);
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--latency-ms" && i + 1 < argc) {
            o.latencyMs = std::stoi(argv[++i]);
        } else if (a == "--runs" && i + 1 < argc) {
            o.runs = std::stoi(argv[++i]);
        } else if (a == "--json" && i + 1 < argc) {
            o.json = argv[++i];
        } else if (a == "--scenarios" && i + 1 < argc) {
            o.scenarios.clear();
            std::stringstream s(argv[++i]);
            std::string x;
            while (std::getline(s, x, ',')) {
                o.scenarios.insert(std::stoi(x));
            }
        } else if (a == "--quick") {
            o.quick = true;
            o.runs = 1;
        } else {
            std::cerr << "usage: bench [--latency-ms L] [--runs N] [--scenarios 1,2,3,4] [--json FILE] [--quick]\n";
            return 2;
        }
    }
    std::cerr << "bench: L = " << o.latencyMs << " ms, " << o.runs << " run(s) per scenario\n";
    try {
        if (o.scenarios.count(1)) fanOut(o);
        if (o.scenarios.count(2)) cold(o);
        if (o.scenarios.count(3)) burst(o);
        if (o.scenarios.count(4)) resources(o);
    } catch (const std::exception& e) {
        std::cerr << "bench: " << e.what() << "\n";
        return 1;
    }
    Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
    root->set("latency_ms", o.latencyMs);
    root->set("runs", o.runs);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    std::printf("%-48s %10s %10s %10s %10s %7s\n", "figure", "median", "min", "max", "limit", "ratio");
    for (const auto& f : figures) {
        double ratio = f.limit > 0 ? f.median() / f.limit : (f.median() == 0 ? 0 : INFINITY);
        std::printf("%-48s %10.2f %10.2f %10.2f %10.2f %7.2f  %s\n", f.name.c_str(), f.median(), f.min(), f.max(),
                    f.limit, ratio, f.unit.c_str());
        Poco::JSON::Object::Ptr o2 = new Poco::JSON::Object;
        o2->set("figure", f.name);
        o2->set("unit", f.unit);
        o2->set("median", f.median());
        o2->set("min", f.min());
        o2->set("max", f.max());
        o2->set("limit", f.limit);
        o2->set("ratio", ratio);
        Poco::JSON::Array::Ptr runs = new Poco::JSON::Array;
        for (double r : f.runs) {
            runs->add(r);
        }
        o2->set("runs", runs);
        list->add(o2);
    }
    root->set("figures", list);
    std::ofstream out(o.json);
    root->stringify(out, 2);
    std::cerr << "bench: results in " << o.json << "\n";
    return 0;
}

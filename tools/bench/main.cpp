// tools/bench: end-to-end figures for teleport-msteams against the fakes, next to the physical
// limits. Each scenario starts fresh fakes and a fresh daemon, runs several times, and reports
// the median and spread; results go to a table and to JSON. S1 to S4 are here; S5 to S7 (the
// core's isolation: a stalled lookup, a reconnect, slow clients) are in isolation_scenarios.cpp,
// and S8 (what one call costs the daemon's clients) in call_cost.cpp.
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "deployment.h"

using namespace std::chrono_literals;

namespace tmsteams::bench {

namespace {

// Where the resident memory is: kB resident per mapped file (anonymous memory as "[anonymous]",
// the heap as "[heap]"), from /proc/PID/smaps.
std::map<std::string, long> residentByFile(pid_t pid) {
    std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
    std::map<std::string, long> byFile;
    std::string line, current;
    while (std::getline(smaps, line)) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < 16) {
            std::istringstream f(line);
            std::string range, perms, offset, dev, inode, path;
            f >> range >> perms >> offset >> dev >> inode;
            std::getline(f, path);
            path.erase(0, path.find_first_not_of(' '));
            current = path.empty() ? "[anonymous]" : path;
        } else if (line.rfind("Rss:", 0) == 0) {
            byFile[current] += std::stol(line.substr(4));
        }
    }
    return byFile;
}

// The largest resident mappings, by file (for profiling).
void printMemoryMap(const std::map<std::string, long>& byFile) {
    std::vector<std::pair<long, std::string>> sorted;
    for (const auto& [file, kb] : byFile) {
        sorted.emplace_back(kb, file);
    }
    std::sort(sorted.rbegin(), sorted.rend());
    for (size_t i = 0; i < sorted.size() && i < 25; ++i) {
        std::cerr << "    " << sorted[i].first << " kB  " << sorted[i].second << "\n";
    }
}

// Resident kB of the shared libraries alone: what no change to the daemon's code can shrink
// while it links Debian's shared gRPC, protobuf, OpenSSL, Poco and libcurl.
long sharedLibrariesKb(const std::map<std::string, long>& byFile) {
    long kb = 0;
    for (const auto& [file, fileKb] : byFile) {
        if (file.find(".so") != std::string::npos && file.rfind("/", 0) == 0) {
            kb += fileKb;
        }
    }
    return kb;
}

// "kind n ..." for each kind of Auth call made more than 0.01 times per request in between:
// each is a synchronous gRPC call, so they are where much of the CPU per card goes. (S4's
// 10,000 requests run without the status endpoint, so its memory figure stays comparable.)
std::string authCallsPerRequest(const std::map<std::string, double>& before,
                                const std::map<std::string, double>& after, int requests) {
    std::ostringstream out;
    for (const auto& [kind, n] : after) {
        const auto was = before.find(kind);  // a kind first counted in between started at 0
        const double each = (n - (was == before.end() ? 0.0 : was->second)) / requests;
        if (each >= 0.01) {
            out << " " << kind << " " << std::round(each * 100) / 100;
        }
    }
    return out.str();
}

}  // namespace

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
        c.status = true;
        c.users = reviewers;
        for (int i = 0; i < reviewers; ++i) {
            c.warm.push_back(userEmail(i));  // the app is installed and the chats known
        }
        Deployment d(c);
        d.startDaemon();
        const auto auth0 = d.authCalls();
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
        figure("S4 CPU time per card (burst)", "ms", 0.25).runs.push_back(1000.0 * cpu / double(requests * 2));
        std::cerr << "  S3 run " << run + 1 << ": " << elapsed << " s (limit " << limitSeconds << " s), lost " << lost
                  << ", duplicated " << duplicates << ", 429s " << throttled << " of " << calls << " calls, CPU " << cpu
                  << " s; Auth calls per request:" << authCallsPerRequest(auth0, d.authCalls(), requests) << "\n";
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
        // Both from the same moment: the shared libraries' part is read to explain the total.
        const auto mem = procStats(d.daemonPid());
        const auto byFile = residentByFile(d.daemonPid());
        figure("S4 resident memory after start", "MiB", 20).runs.push_back(double(mem.rssKb) / 1024.0);
        figure("S4 proportional memory (PSS) after start", "MiB", 20).runs.push_back(double(mem.pssKb) / 1024.0);
        // What the daemon spends doing nothing (timers, gRPC's pollers, the watch): every second
        // of a paced burst pays it, so it is part of the burst's CPU per card.
        const double idle0 = threadsCpuNs(d.daemonPid());
        std::this_thread::sleep_for(o.quick ? 1s : 5s);
        const double idleNs = threadsCpuNs(d.daemonPid()) - idle0;
        figure("S4 CPU while idle", "ms/s", 1).runs.push_back(idleNs / 1e6 / (o.quick ? 1.0 : 5.0));
        figure("S4 RSS after start: shared libraries alone", "MiB", -1)
            .runs.push_back(double(sharedLibrariesKb(byFile)) / 1024.0);
        if (std::getenv("BENCH_MEMORY_MAP")) {
            printMemoryMap(byFile);
        }
        std::cerr << "  S4 run " << run + 1 << ": ready in " << ready << " ms, RSS "
                  << double(mem.rssKb) / 1024.0 << " MiB\n";
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
    d.createPosted(n);
    std::this_thread::sleep_for(1s);
    auto st = procStats(d.daemonPid());
    figure("S4 resident memory with " + std::to_string(n) + " pending requests", "MiB", 64)
        .runs.push_back(double(st.rssKb) / 1024.0);
    figure("S4 CPU time per card (" + std::to_string(n) + " requests)", "ms", 0.5)
        .runs.push_back(1000.0 * (st.cpuSeconds - cpu0) / double(n));
    std::cerr << "  S4 " << n << " requests: RSS " << double(st.rssKb) / 1024.0 << " MiB, CPU per card "
              << 1000.0 * (st.cpuSeconds - cpu0) / double(n) << " ms\n";
}

}  // namespace tmsteams::bench

using namespace tmsteams::bench;

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
            std::cerr
                << "usage: bench [--latency-ms L] [--runs N] [--scenarios 1,2,3,4,5,6,7,8] [--json FILE] [--quick]\n";
            return 2;
        }
    }
    std::cerr << "bench: L = " << o.latencyMs << " ms, " << o.runs << " run(s) per scenario\n";
    try {
        if (o.scenarios.count(1)) fanOut(o);
        if (o.scenarios.count(2)) cold(o);
        if (o.scenarios.count(3)) burst(o);
        if (o.scenarios.count(4)) resources(o);
        if (o.scenarios.count(5)) stalledLookup(o);
        if (o.scenarios.count(6)) reconnect(o);
        if (o.scenarios.count(7)) slowClients(o);
        if (o.scenarios.count(8)) callCost(o);
    } catch (const std::exception& e) {
        std::cerr << "bench: " << e.what() << "\n";
        return 1;
    }
    Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
    root->set("latency_ms", o.latencyMs);
    root->set("runs", o.runs);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    std::printf("%-48s %10s %10s %10s %10s %7s\n", "figure", "median", "min", "max", "limit", "ratio");
    for (const auto& f : figures()) {
        const bool measured = f.limit < 0;  // a figure for understanding others, with no goal of its own
        double ratio = f.limit > 0 ? f.median() / f.limit : (f.median() == 0 ? 0 : INFINITY);
        if (measured) {
            std::printf("%-48s %10.3f %10.3f %10.3f %10s %7s  %s\n", f.name.c_str(), f.median(), f.min(), f.max(), "-",
                        "-", f.unit.c_str());
        } else {
            std::printf("%-48s %10.2f %10.2f %10.2f %10.2f %7.2f  %s\n", f.name.c_str(), f.median(), f.min(), f.max(),
                        f.limit, ratio, f.unit.c_str());
        }
        Poco::JSON::Object::Ptr o2 = new Poco::JSON::Object;
        o2->set("figure", f.name);
        o2->set("unit", f.unit);
        o2->set("median", f.median());
        o2->set("min", f.min());
        o2->set("max", f.max());
        if (!measured) {
            o2->set("limit", f.limit);
            o2->set("ratio", ratio);
        }
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

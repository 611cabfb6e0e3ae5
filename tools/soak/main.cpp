// tools/soak: a chaos soak. Two daemon replicas handle a steady stream of access requests
// (reviews, approvals, denials, promotions, expiries) while daemons are killed with SIGKILL and
// restarted, the Auth Service restarts, watch streams are cut, and Microsoft answers with 429
// storms, 5xx bursts, slow responses and revoked tokens. At the end every request is checked:
// each intended recipient has its card (lost), each card shows the request's final state
// (stale), and cards posted twice to one recipient are counted (duplicates, which only a kill
// between a post and its record can cause; the unrecorded copy is an orphan no one can update).
// Exit 0 when nothing is lost or stale.
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "support/http_client.h"
#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Tracked {
    std::string finalState = "PENDING";
    std::set<std::string> conversations;  // where a card must be
    Clock::time_point born;
    std::optional<Clock::time_point> died;  // resolved, deleted or expired
};

// Whether some replica was watching Teleport, sampled from each running daemon's /metrics
// (teleport_msteams_watching) every 100 ms, to tell the cause of a lost card: nobody watching
// through the request's whole life, or a replica watching and the card still missing.
class WatchTimeline {
public:
    void setDaemons(std::vector<std::string> bases) {
        std::lock_guard lock(mu_);
        bases_ = std::move(bases);
    }
    void start() {
        thread_ = std::jthread([this](std::stop_token st) {
            while (!st.stop_requested()) {
                std::vector<std::string> bases;
                {
                    std::lock_guard lock(mu_);
                    bases = bases_;
                }
                bool any = false;
                for (const auto& b : bases) {
                    auto r = httpGet(b + "/metrics");
                    any = any || (r.status == 200 && r.body.find("\nteleport_msteams_watching 1") != std::string::npos);
                }
                {
                    std::lock_guard lock(mu_);
                    samples_.emplace_back(Clock::now(), any);
                }
                std::this_thread::sleep_for(100ms);
            }
        });
    }
    void stop() { thread_ = {}; }
    // Seconds of [from, to] during which some replica was watching, as sampled.
    double watchedSeconds(Clock::time_point from, Clock::time_point to) const {
        std::lock_guard lock(mu_);
        double s = 0;
        for (size_t i = 0; i + 1 < samples_.size(); ++i) {
            auto a = std::max(from, samples_[i].first), b = std::min(to, samples_[i + 1].first);
            if (samples_[i].second && b > a) {
                s += std::chrono::duration<double>(b - a).count();
            }
        }
        return s;
    }

private:
    mutable std::mutex mu_;  // guards bases_ and samples_
    std::vector<std::string> bases_;
    std::vector<std::pair<Clock::time_point, bool>> samples_;
    std::jthread thread_;
};

struct Pending {
    std::string id;
    Clock::time_point created;
};

// Every request lives at least this long before it is resolved, deleted or expires. Teleport
// keeps no trace of a request that comes and goes entirely while no replica is connected, so
// nothing could announce it; the chaos below never keeps both replicas away this long.
constexpr auto MinLifetime = std::chrono::seconds(20);

}  // namespace

int main(int argc, char** argv) {
    setenv("FAKE_TELEPORT_AUTH", SOAK_FAKE_AUTH, 0);
    setenv("FAKE_TCTL", SOAK_FAKE_TCTL, 0);
    setenv("FAKE_MSGRAPH", SOAK_FAKE_MSGRAPH, 0);
    setenv("TELEPORT_MSTEAMS", SOAK_DAEMON, 0);
    auto duration = 120s;
    auto settleLimit = 120s;  // how long the end state may take to converge
    unsigned seed = std::random_device{}();
    const char* usage = "usage: soak [--duration SECONDS] [--settle SECONDS] [--seed N]\n";
    try {
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            if (a == "--duration" && i + 1 < argc) {
                duration = std::chrono::seconds(std::stoi(argv[++i]));
            } else if (a == "--settle" && i + 1 < argc) {
                settleLimit = std::chrono::seconds(std::stoi(argv[++i]));
            } else if (a == "--seed" && i + 1 < argc) {
                seed = static_cast<unsigned>(std::stoul(argv[++i]));
            } else {
                std::cerr << usage;
                return 2;
            }
        }
    } catch (const std::exception&) {
        std::cerr << usage;
        return 2;
    }
    std::mt19937 rng(seed);
    auto chance = [&](int percent) { return int(rng() % 100) < percent; };
    std::cout << "soak: " << duration.count() << " s, seed " << seed << std::endl;

    PluginEnv::Options o;
    o.roleToRecipients = "\"*\" = [\"" + AliceMail + "\", \"" + ChannelUrl + "\"]\neditor = [\"" + BobMail + "\"]\n";
    PluginEnv env(o);
    env.writeConfig("[http]\nlisten = \"127.0.0.1:0\"\n");
    std::vector<size_t> live = {0, 1};  // indexes of the running daemons in env
    WatchTimeline timeline;
    auto watchLive = [&] {
        std::vector<std::string> bases;
        for (size_t i : live) {
            if (auto a = PluginEnv::statusAddress(env.daemon(i)); !a.empty()) {
                bases.push_back("http://" + a);
            }
        }
        timeline.setDaemons(bases);
    };
    try {
        env.startDaemon();
        env.startDaemon();
        watchLive();
        timeline.start();
    } catch (const std::exception& e) {
        std::cout << "soak: " << e.what() << std::endl;
        return 1;
    }
    const std::map<std::string, std::string> conv = {
        {AliceMail, PluginEnv::chatOf(directory::Alice)},
        {BobMail, PluginEnv::chatOf(directory::Bob)},
        {ErinMail, PluginEnv::chatOf("f5a7c9e1-4e6b-4a8c-9d0f-2b3e5a7c9e14")},
    };

    std::map<std::string, Tracked> requests;
    std::vector<Pending> pending;
    int kills = 0, authRestarts = 0, faults = 0;
    std::vector<Clock::time_point> killTimes;
    auto end = Clock::now() + duration;
    auto nextChaos = Clock::now() + 3s;
    while (Clock::now() < end) {
        // A new request most rounds.
        if (chance(70)) {
            bool editor = chance(50);
            bool suggest = chance(40);
            bool shortTtl = chance(15);
            std::vector<std::string> extra = {"--reason", "soak"};
            if (suggest) {
                extra.insert(extra.end(), {"--reviewers", ErinMail});
            }
            if (shortTtl) {
                extra.insert(extra.end(), {"--ttl", std::to_string(MinLifetime.count() + 10) + "s"});
            }
            auto r = env.auth().tctl([&] {
                std::vector<std::string> args = {"request", "create", "carol", "--roles", editor ? "editor" : "auditor"};
                args.insert(args.end(), extra.begin(), extra.end());
                return args;
            }());
            if (r.exitCode == 0) {
                std::string id = r.out.substr(0, r.out.find('\n'));
                Tracked t;
                t.born = Clock::now();
                if (shortTtl) {
                    t.died = t.born + MinLifetime + 10s;
                }
                if (editor) {
                    t.conversations.insert(conv.at(BobMail));
                } else {
                    t.conversations.insert(conv.at(AliceMail));
                    t.conversations.insert(directory::Channel);
                }
                if (suggest) {
                    t.conversations.insert(conv.at(ErinMail));
                }
                t.finalState = shortTtl ? "EXPIRED" : "PENDING";
                requests[id] = t;
                if (!shortTtl) {
                    pending.push_back({id, Clock::now()});
                }
            }
        }
        // Resolve some pending ones that have lived long enough.
        size_t old = 0;
        while (old < pending.size() && Clock::now() - pending[old].created >= MinLifetime) {
            ++old;
        }
        if (old > 0 && chance(60)) {
            size_t k = rng() % old;
            std::string id = pending[k].id;
            int what = int(rng() % 5);
            std::vector<std::string> args;
            std::string state;
            switch (what) {
            case 0: args = {"request", "review", id, "--author", "dave", "--approve"}; state = "APPROVED"; break;
            case 1: args = {"request", "review", id, "--author", "dave", "--deny"}; state = "DENIED"; break;
            case 2: args = {"request", "approve", id, "--reason", "soak"}; state = "APPROVED"; break;
            case 3: args = {"request", "promote", id, "--list", "soak-list", "--author", "owner"}; state = "PROMOTED"; break;
            default: args = {"request", "rm", id}; state = "EXPIRED"; break;
            }
            if (env.auth().tctl(args).exitCode == 0) {
                requests[id].finalState = state;
                requests[id].died = Clock::now();
                pending.erase(pending.begin() + long(k));
            }
        }
        if (Clock::now() >= nextChaos) {
            nextChaos = Clock::now() + std::chrono::milliseconds(2000 + rng() % 4000);
            int what = int(rng() % 7);
            if (what == 0) {
                // Kill one replica (never both: with none running, nothing could notice a request
                // that is created and resolved in the meantime).
                size_t pick = rng() % live.size();
                env.daemon(live[pick]).signal(SIGKILL);
                env.daemon(live[pick]).wait(5s);
                ++kills;
                killTimes.push_back(Clock::now());
                watchLive();
                std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500));
                live[pick] = kills + 1;  // startDaemon appends it
                try {
                    env.startDaemon();
                } catch (const std::exception&) {
                    // Slow to start under injected faults: it keeps starting in the background.
                    std::cout << "soak: a restarted daemon took over 20 s to become ready" << std::endl;
                }
                watchLive();
            } else if (what == 1) {
                env.auth().kill9();
                std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1000));
                env.auth().restart();
                ++authRestarts;
            } else if (what == 2) {
                if (chance(50)) {
                    env.auth().tctl({"fake", "close-watchers", "--unavailable"});
                } else {
                    env.auth().tctl({"fake", "close-watchers"});
                }
            } else if (what == 3) {
                env.graph().control("POST", "/_fake/faults", R"({"route":"graph","status":429,"count":8,"retryAfter":1})");
            } else if (what == 4) {
                env.graph().control("POST", "/_fake/faults", R"({"route":"bot","status":503,"count":5})");
            } else if (what == 5) {
                env.graph().control("POST", "/_fake/faults", R"({"route":"any","latencyMs":400})");
                std::this_thread::sleep_for(2s);
                env.graph().control("POST", "/_fake/faults", R"({"route":"any","latencyMs":0})");
            } else {
                env.graph().control("POST", "/_fake/faults", R"({"revokeTokens":true})");
            }
            ++faults;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 200));
    }
    timeline.stop();
    // Calm down and let everything converge.
    env.graph().control("POST", "/_fake/faults", R"({"clear":true})");
    std::cout << "soak: " << requests.size() << " requests, " << kills << " daemon kills, " << authRestarts
              << " Auth restarts, " << faults << " chaos events; converging" << std::endl;
    int lost = 0, stale = 0, duplicates = 0, orphaned = 0;
    std::vector<std::string> report;  // every lost, stale and duplicated card, with its cause
    auto settle = Clock::now() + settleLimit;
    for (;;) {
        lost = stale = duplicates = orphaned = 0;
        report.clear();
        std::map<std::pair<std::string, std::string>, std::vector<std::string>> seen;  // (request, conv) -> statuses
        for (const auto& c : env.cards()) {
            auto at = c.json.find("Access Request ");
            if (at == std::string::npos) {
                continue;
            }
            seen[{c.json.substr(at + 15, 36), c.conversationId}].push_back(c.status());
        }
        for (const auto& [id, t] : requests) {
            const auto to = t.died.value_or(end);
            for (const auto& cv : t.conversations) {
                auto it = seen.find({id, cv});
                if (it == seen.end()) {
                    ++lost;
                    const double life = std::chrono::duration<double>(to - t.born).count();
                    const double watched = timeline.watchedSeconds(t.born, to);
                    report.push_back("lost " + id + " in " + cv + " (" + t.finalState + ", lived " +
                                     std::to_string(int(life)) + " s): " +
                                     (watched <= 0 ? "no replica was watching at any moment of its life"
                                                   : "a replica was watching for " + std::to_string(int(watched)) +
                                                         " s of it, and the card is still missing"));
                    continue;
                }
                if (it->second.size() > 1) {
                    duplicates += int(it->second.size()) - 1;
                    // Only a kill between a post and its record can cause one: name the kill.
                    std::string cause = "no daemon was killed during its life";
                    for (auto k : killTimes) {
                        if (k >= t.born && k <= to) {
                            cause = "a daemon was killed " +
                                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(k - t.born).count()) +
                                    " ms after the request was created";
                            break;
                        }
                    }
                    report.push_back("duplicate " + id + " in " + cv + " (" + std::to_string(it->second.size()) +
                                     " cards): " + cause);
                }
                // With a duplicate, the copy whose post was never recorded (its poster was killed
                // first) is an orphan: nobody knows its message id, so nobody can update it. It is
                // counted as such, not as stale, as long as one copy shows the final state.
                const bool oneCurrent =
                    std::find(it->second.begin(), it->second.end(), t.finalState) != it->second.end();
                int orphansHere = 0;
                for (const auto& st : it->second) {
                    if (st == t.finalState) {
                        continue;
                    }
                    if (oneCurrent && orphansHere < int(it->second.size()) - 1) {
                        ++orphansHere;
                        ++orphaned;
                        report.push_back("orphan " + id + " in " + cv + ": " + st + " (the duplicate above)");
                        continue;
                    }
                    ++stale;
                    report.push_back("stale " + id + " in " + cv + ": " + st + ", want " + t.finalState);
                }
            }
        }
        if ((lost == 0 && stale == 0) || Clock::now() > settle) {
            break;
        }
        std::this_thread::sleep_for(2s);
    }
    for (const auto& line : report) {
        std::cout << "soak: " << line << std::endl;
    }
    std::cout << "soak: lost " << lost << ", stale " << stale << ", duplicates " << duplicates << ", orphaned "
              << orphaned << " (kills "
              << kills << ")" << std::endl;
    return lost == 0 && stale == 0 ? 0 : 1;
}

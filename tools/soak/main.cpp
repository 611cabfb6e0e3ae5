// tools/soak: a chaos soak. Two daemon replicas handle a steady stream of access requests
// (reviews, approvals, denials, promotions, expiries) while daemons are killed with SIGKILL and
// restarted, the Auth Service restarts, watch streams are cut, and Microsoft answers with 429
// storms, 5xx bursts, slow responses and revoked tokens. At the end every request is checked:
// each intended recipient has its card (lost), each card shows the request's final state
// (stale), and cards posted twice to one recipient are counted (duplicates, which only a kill
// between a post and its record can cause). Exit 0 when nothing is lost or stale.
#include <signal.h>

#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Tracked {
    std::string finalState = "PENDING";
    std::set<std::string> conversations;  // where a card must be
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
    std::vector<size_t> live = {0, 1};  // indexes of the running daemons in env
    try {
        env.startDaemon();
        env.startDaemon();
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
                std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500));
                live[pick] = kills + 1;  // startDaemon appends it
                try {
                    env.startDaemon();
                } catch (const std::exception&) {
                    // Slow to start under injected faults: it keeps starting in the background.
                    std::cout << "soak: a restarted daemon took over 20 s to become ready" << std::endl;
                }
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
    // Calm down and let everything converge.
    env.graph().control("POST", "/_fake/faults", R"({"clear":true})");
    std::cout << "soak: " << requests.size() << " requests, " << kills << " daemon kills, " << authRestarts
              << " Auth restarts, " << faults << " chaos events; converging" << std::endl;
    int lost = 0, stale = 0, duplicates = 0;
    auto settle = Clock::now() + settleLimit;
    for (;;) {
        lost = stale = duplicates = 0;
        std::map<std::pair<std::string, std::string>, std::vector<std::string>> seen;  // (request, conv) -> statuses
        for (const auto& c : env.cards()) {
            auto at = c.json.find("Access Request ");
            if (at == std::string::npos) {
                continue;
            }
            seen[{c.json.substr(at + 15, 36), c.conversationId}].push_back(c.status());
        }
        for (const auto& [id, t] : requests) {
            for (const auto& cv : t.conversations) {
                auto it = seen.find({id, cv});
                if (it == seen.end()) {
                    if (++lost <= 3 && Clock::now() > settle) {
                        std::cout << "soak: lost " << id << " in " << cv << " (" << t.finalState << ")" << std::endl;
                    }
                    continue;
                }
                duplicates += int(it->second.size()) - 1;
                for (const auto& s : it->second) {
                    if (s != t.finalState) {
                        if (++stale <= 3 && Clock::now() > settle) {
                            std::cout << "soak: stale " << id << " in " << cv << ": " << s << ", want " << t.finalState << std::endl;
                        }
                    }
                }
            }
        }
        if ((lost == 0 && stale == 0) || Clock::now() > settle) {
            break;
        }
        std::this_thread::sleep_for(2s);
    }
    std::cout << "soak: lost " << lost << ", stale " << stale << ", duplicates " << duplicates << " (kills "
              << kills << ")" << std::endl;
    return lost == 0 && stale == 0 ? 0 : 1;
}

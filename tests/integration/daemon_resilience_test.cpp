// teleport-msteams keeps its promises through restarts, outages, throttling and replicas.
#define BOOST_TEST_MODULE daemon_resilience
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/http_client.h"
#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

BOOST_AUTO_TEST_CASE(request_created_while_stopped_gets_cards_after_start) {
    PluginEnv env;
    env.startDaemon();
    BOOST_REQUIRE(env.stopDaemon() == 0);
    auto id = env.createRequest("carol", "editor", {"--reason", "while you were away"});
    env.startDaemon();
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
}

BOOST_AUTO_TEST_CASE(request_approved_while_stopped_is_updated_after_start) {
    PluginEnv env;
    env.startDaemon();
    auto id = env.createRequest("carol", "editor");
    auto gone = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForCards(gone, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForRecorded(id, 1));
    BOOST_REQUIRE(env.waitForRecorded(gone, 1));
    BOOST_REQUIRE(env.stopDaemon() == 0);
    env.auth().tctlOk({"request", "approve", id, "--reason", "done while down"});
    env.auth().tctlOk({"request", "rm", gone});
    env.startDaemon(env.configPath());
    BOOST_TEST(env.waitForCards(id, 1, "APPROVED"));
    BOOST_TEST(env.waitForCards(gone, 1, "EXPIRED"));
    BOOST_TEST(env.cards().size() == 2u);  // nothing re-posted
}

BOOST_AUTO_TEST_CASE(watch_stream_cut_and_auth_restart_lose_nothing) {
    PluginEnv env;
    env.startDaemon();
    env.auth().tctlOk({"fake", "close-watchers", "--unavailable"});
    auto a = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(a, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForRecorded(a, 1));
    env.auth().kill9();
    env.auth().restart();
    auto b = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(b, 1, "PENDING", 40s));
    env.auth().tctlOk({"request", "approve", a});
    BOOST_TEST(env.waitForCards(a, 1, "APPROVED", 40s));
}

BOOST_AUTO_TEST_CASE(graph_429_storm_and_bot_503_outage_delay_but_lose_nothing) {
    PluginEnv::Options o;
    o.roleToRecipients = "\"*\" = [\"" + AliceMail + "\", \"" + BobMail + "\", \"" + CarolMail + "\"]\n";
    PluginEnv env(o);
    env.startDaemon();
    env.graph().control("POST", "/_fake/faults",
                        R"([{"route":"graph","status":429,"count":6,"retryAfter":1},
                            {"route":"bot.post","status":503,"count":4}])");
    auto id = env.createRequest("erin", "auditor");
    BOOST_REQUIRE(env.waitForCards(id, 3, "PENDING", 40s));
    BOOST_TEST(env.statCount("graph.users", 429) + env.statCount("graph.userInstalledApps", 429) +
                   env.statCount("graph.chat", 429) == 6u);
    BOOST_TEST(env.statCount("bot.post", 503) == 4u);
    BOOST_TEST(env.statCount("bot.post", 201) == 3u);  // no duplicates
    env.auth().tctlOk({"request", "approve", id});
    BOOST_TEST(env.waitForCards(id, 3, "APPROVED"));
}

BOOST_AUTO_TEST_CASE(one_failing_recipient_does_not_hold_up_the_others) {
    PluginEnv::Options o;
    o.roleToRecipients = "\"*\" = [\"" + AliceMail + "\", \"" + BobMail + "\"]\n";
    PluginEnv env(o);
    env.startDaemon();
    env.graph().control("POST", "/_fake/faults",
                        R"({"route":"bot","status":500,"count":1000,"conversation":")" + PluginEnv::chatOf(dir::Bob) + R"("})");
    auto start = std::chrono::steady_clock::now();
    auto id = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(eventually([&] { return env.cardsFor(id).size() == 1; }, 10s));
    BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
    BOOST_TEST(env.cardsFor(id)[0].conversationId == PluginEnv::chatOf(dir::Alice));
    // The fault clears; the undelivered card follows on its own.
    env.graph().control("POST", "/_fake/faults", R"({"clear":true})");
    BOOST_TEST(env.waitForCards(id, 2, "PENDING", 90s));
}

BOOST_AUTO_TEST_CASE(two_daemons_post_each_card_exactly_once) {
    PluginEnv::Options o;
    o.roleToRecipients = "\"*\" = [\"" + AliceMail + "\", \"" + BobMail + "\", \"" + ChannelUrl + "\"]\n";
    PluginEnv env(o);
    env.startDaemon();
    env.startDaemon();
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) {
        ids.push_back(env.createRequest("carol", "auditor", {"--reason", "r" + std::to_string(i)}));
    }
    for (const auto& id : ids) {
        BOOST_TEST(env.waitForCards(id, 3, "PENDING"), id);
    }
    env.auth().tctlOk({"request", "approve", ids[0]});
    BOOST_TEST(env.waitForCards(ids[0], 3, "APPROVED"));
    std::this_thread::sleep_for(1s);
    BOOST_TEST(env.cards().size() == 18u);
    BOOST_TEST(env.statCount("bot.post", 201) == 18u);
    // Each card of the approved request was updated once, not once per replica.
    for (const auto& c : env.cardsFor(ids[0])) {
        BOOST_TEST(c.updates == 1);
    }
}

BOOST_AUTO_TEST_CASE(plugin_data_conflicts_are_retried) {
    PluginEnv env;
    env.startDaemon();
    env.auth().tctlOk({"fake", "fail-updates", "5"});
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "approve", id});
    BOOST_TEST(env.waitForCards(id, 1, "APPROVED"));
    BOOST_TEST(env.statCount("bot.post", 201) == 1u);
}

// TELEPORT_PLUGIN_FAIL_FAST (Teleport's Helm chart sets it): the daemon exits non-zero when it
// loses the watch, for the supervisor to restart it, instead of reconnecting. A value that is not
// a boolean is refused at start.
BOOST_AUTO_TEST_CASE(fail_fast_exits_when_the_watch_is_lost) {
    PluginEnv env;
    auto& d = env.startDaemon("", {{"TELEPORT_PLUGIN_FAIL_FAST", "true"}});
    env.auth().kill9();
    auto code = d.wait(30s);
    BOOST_TEST((code.has_value() && *code != 0), d.stderrText());
    BOOST_TEST(d.stderrText().find("TELEPORT_PLUGIN_FAIL_FAST is true") != std::string::npos, d.stderrText());
    auto bad = runCommand({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", env.configPath()}, 30s,
                          {{"TELEPORT_PLUGIN_FAIL_FAST", "maybe"}});
    BOOST_TEST(bad.exitCode != 0);
    BOOST_TEST(bad.err.find("TELEPORT_PLUGIN_FAIL_FAST: \"maybe\" is not a boolean") != std::string::npos, bad.err);
}

namespace {

// Sums teleport_msteams_auth_calls_total by its `call` label, from the daemon's /metrics.
std::map<std::string, double> authCalls(const std::string& base) {
    std::map<std::string, double> out;
    std::istringstream in(httpGet(base + "/metrics").body);
    const std::string prefix = "teleport_msteams_auth_calls_total{call=\"";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) == 0) {
            auto end = line.find('"', prefix.size());
            out[line.substr(prefix.size(), end - prefix.size())] = std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return out;
}

size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

// After a reconnect the daemon looks only at requests with work left, judged from the plugin
// data it lists: with 30 requests already handled, catching up costs the two list calls, not a
// read and a failed write per request (and not once per replica per reconnect).
BOOST_AUTO_TEST_CASE(a_reconnect_costs_a_constant_number_of_auth_calls) {
    PluginEnv env;
    env.writeConfig("[http]\nlisten = \"127.0.0.1:0\"\n");
    auto& d = env.startDaemon();
    const std::string base = "http://" + PluginEnv::statusAddress(d);
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) {
        ids.push_back(env.createRequest("carol", "editor"));
    }
    for (const auto& id : ids) {
        BOOST_REQUIRE(env.waitForRecorded(id, 1));
    }
    BOOST_REQUIRE(eventually([&] { return occurrences(d.stderrText(), "caught up") >= 1; }, 10s));
    std::this_thread::sleep_for(500ms);  // the last records' claims released
    const size_t catchUps = occurrences(d.stderrText(), "caught up");
    const auto before = authCalls(base);
    env.auth().tctlOk({"fake", "close-watchers", "--unavailable"});
    BOOST_REQUIRE(eventually([&] { return occurrences(d.stderrText(), "caught up") > catchUps; }, 20s));
    std::this_thread::sleep_for(500ms);
    const auto after = authCalls(base);
    double total = 0;
    for (const auto& [call, n] : after) {
        total += n - (before.count(call) ? before.at(call) : 0);
    }
    BOOST_TEST(total <= 5, "Auth calls for one reconnect: " << total);
    BOOST_TEST(after.at("update_plugin_data") == before.at("update_plugin_data"));
    BOOST_TEST(after.at("get_plugin_data") == before.at("get_plugin_data"));
    BOOST_TEST(env.cards().size() == ids.size());
}

// Watching Teleport never waits for Microsoft: while Graph cannot even find the Teams app, the
// daemon watches, records each new request's recipients at once, and delivers when Graph
// answers; a request that expired meanwhile still gets its card, showing it expired.
BOOST_AUTO_TEST_CASE(watching_teleport_never_waits_for_microsoft) {
    PluginEnv env;
    env.graph().control("POST", "/_fake/faults", R"({"route":"graph.appCatalog","status":503,"count":100000})");
    auto& d = env.startDaemon("", {}, false);  // ready = watching, though Microsoft is not reached
    auto expired = env.createRequest("carol", "editor", {"--reason", "expires while Graph is down"});
    auto pending = env.createRequest("carol", "editor");
    BOOST_REQUIRE(eventually([&] { return env.pluginData(expired).find("recipients") != std::string::npos; }, 10s));
    BOOST_REQUIRE(eventually([&] { return env.pluginData(pending).find("recipients") != std::string::npos; }, 10s));
    env.auth().tctlOk({"request", "rm", expired});
    std::this_thread::sleep_for(1s);
    BOOST_TEST(env.cards().empty());
    env.graph().control("POST", "/_fake/faults", R"({"clear":true})");
    BOOST_TEST(env.waitForCards(expired, 1, "EXPIRED", 60s), d.stderrText());
    BOOST_TEST(env.waitForCards(pending, 1, "PENDING", 60s));
}

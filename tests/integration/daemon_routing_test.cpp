// Routing by Teleport's access monitoring rules, and cards that name resources and logins:
// rules made with fake-tctl (as an admin would with tctl or the Web UI), read by the daemon at
// start and from the watch.
#define BOOST_TEST_MODULE daemon_routing
#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <thread>

#include "support/http_client.h"
#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

const std::string Node = "5c0a7e2d-9b1f-4c3e-8a6d-2f4b6c8e0a1d";
const std::string NodeId = "/fake.teleport.local/node/" + Node;

std::set<std::string> conversations(PluginEnv& env, const std::string& id) {
    std::set<std::string> out;
    for (const auto& c : env.cardsFor(id)) {
        out.insert(c.conversationId);
    }
    return out;
}

void createRule(PluginEnv& env, const std::string& name, const std::string& condition,
                const std::string& recipients, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"rule", "create", name, "--condition", condition, "--recipients", recipients};
    args.insert(args.end(), extra.begin(), extra.end());
    env.auth().tctlOk(args);
}

size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

double metric(const std::string& base, const std::string& series) {
    std::istringstream in(httpGet(base + "/metrics").body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(series + " ", 0) == 0) {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return -1;
}

PluginEnv::Options withCatalog(const std::string& pluginRole = "plugin") {
    PluginEnv::Options o;
    o.authArgs = {"--user", "admin=admin", "--user", "teleport-msteams=" + pluginRole,
                  "--node", Node + "=web-1:env=prod,team=payments", "--role-def", "editor=root,ubuntu",
                  "--person", "carol:requester:team=payments", "--person", "dave:requester:team=search"};
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_rule_routes_a_request_to_a_channel_instead_of_role_to_recipients) {
    PluginEnv env;
    createRule(env, "db-to-channel", R"(contains_any(access_request.spec.roles, set("db-admin")))", ChannelUrl);
    env.startDaemon();
    auto id = env.createRequest("carol", "db-admin", {"--reviewers", ErinMail});
    BOOST_REQUIRE(env.waitForCards(id, 2, "PENDING"));
    // The channel from the rule and the suggested reviewer; not alice, the "*" recipient.
    BOOST_TEST(conversations(env, id) ==
               (std::set<std::string>{dir::Channel, PluginEnv::chatOf("f5a7c9e1-4e6b-4a8c-9d0f-2b3e5a7c9e14")}));
    // A request the rule does not match still goes by role_to_recipients.
    auto other = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(other, 1, "PENDING"));
    BOOST_TEST(conversations(env, other) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));
    // Approval updates the cards wherever they went.
    env.auth().tctlOk({"request", "approve", id});
    BOOST_TEST(env.waitForCards(id, 2, "APPROVED"));
}

BOOST_AUTO_TEST_CASE(two_matching_rules_add_up) {
    PluginEnv env;
    createRule(env, "editors", R"(access_request.spec.roles.contains("editor"))", AliceMail);
    createRule(env, "carol-watch", R"(access_request.spec.user == "carol")", ChannelUrl + "," + AliceMail);
    createRule(env, "someone-else", R"(access_request.spec.user == "dave")", CarolMail);
    env.startDaemon();
    auto id = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(id, 2, "PENDING"));
    // Both rules' recipients, once each; not bob (editor's configured recipient).
    BOOST_TEST(conversations(env, id) == (std::set<std::string>{dir::Channel, PluginEnv::chatOf(dir::Alice)}));
}

BOOST_AUTO_TEST_CASE(a_rule_created_or_deleted_while_running_applies_to_the_next_request) {
    PluginEnv env;
    auto& d = env.startDaemon();
    auto before = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(before, 1, "PENDING"));
    BOOST_TEST(conversations(env, before) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));

    createRule(env, "auditors", R"(access_request.spec.roles.contains("auditor"))", ChannelUrl);
    BOOST_REQUIRE(d.waitForStderr("access monitoring rule changed", 10s));
    auto during = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(during, 1, "PENDING"));
    BOOST_TEST(conversations(env, during) == (std::set<std::string>{dir::Channel}));

    env.auth().tctlOk({"rule", "rm", "auditors"});
    BOOST_REQUIRE(d.waitForStderr("access monitoring rule deleted", 10s));
    auto after = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(after, 1, "PENDING"));
    BOOST_TEST(conversations(env, after) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));
}

// Teleport does not check a schedule's time zone, so a rule can be stored that no plugin can
// evaluate. It is skipped (logged with its name, counted), and the other rules still work.
BOOST_AUTO_TEST_CASE(a_rule_that_cannot_be_evaluated_is_skipped_and_counted) {
    PluginEnv env;
    env.writeConfig("[http]\nlisten = \"127.0.0.1:0\"\n");
    createRule(env, "mars-hours", "true", CarolMail, {"--schedule", "Monday=09:00-17:00@Mars/Olympus_Mons"});
    createRule(env, "auditors", R"(access_request.spec.roles.contains("auditor"))", ChannelUrl);
    auto& d = env.startDaemon();
    auto id = env.createRequest("dave", "auditor");
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    BOOST_TEST(conversations(env, id) == (std::set<std::string>{dir::Channel}));
    BOOST_TEST(d.stderrText().find("rule=mars-hours") != std::string::npos, d.stderrText());
    const std::string base = "http://" + PluginEnv::statusAddress(d);
    BOOST_TEST(metric(base, "teleport_msteams_routing_rule_errors_total{stage=\"evaluate\"}") >= 1.0);
    BOOST_TEST(metric(base, "teleport_msteams_routing_rules") == 2.0);
}

// A role without access_monitoring_rule read (older teleport-msteams roles): the watch leaves
// the rules out, role_to_recipients routes everything, and one warning says how to fix it.
BOOST_AUTO_TEST_CASE(without_permission_to_read_rules_role_to_recipients_applies) {
    PluginEnv env(withCatalog("plugin-basic"));
    createRule(env, "auditors", R"(access_request.spec.roles.contains("auditor"))", ChannelUrl);
    auto& d = env.startDaemon();
    auto first = env.createRequest("carol", "auditor", {"--resource", NodeId});
    auto second = env.createRequest("carol", "editor", {"--resource", NodeId});
    BOOST_REQUIRE(env.waitForCards(first, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForCards(second, 1, "PENDING"));
    BOOST_TEST(conversations(env, first) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));
    BOOST_TEST(env.cardsFor(first).front().contains(NodeId));  // ids, as before
    BOOST_TEST(!env.cardsFor(second).front().contains("root, ubuntu"));
    const auto log = d.stderrText();
    BOOST_TEST(occurrences(log, "may not read access monitoring rules") == 1u, log);
    BOOST_TEST(occurrences(log, "may not read the requested resources") == 1u, log);
    BOOST_TEST(occurrences(log, "may not read roles") == 1u, log);
}

BOOST_AUTO_TEST_CASE(conditions_see_the_requesters_traits_and_the_resources_labels) {
    PluginEnv env(withCatalog());
    createRule(env, "payments-prod",
               R"(contains_any(user.traits["team"], set("payments")) && )"
               R"(access_request.spec.resource_labels_union["env"].contains("prod"))",
               ChannelUrl);
    env.startDaemon();
    auto payments = env.createRequest("carol", "auditor", {"--resource", NodeId});
    auto search = env.createRequest("dave", "auditor", {"--resource", NodeId});
    auto noResource = env.createRequest("carol", "auditor");
    // An app the plugin cannot see: its labels are unknown, so no guess is made.
    auto unseen = env.createRequest("carol", "auditor", {"--resource", NodeId, "--resource",
                                                         "/fake.teleport.local/app/grafana"});
    for (const auto& id : {payments, search, noResource, unseen}) {
        BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    }
    BOOST_TEST(conversations(env, payments) == (std::set<std::string>{dir::Channel}));
    BOOST_TEST(conversations(env, search) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));
    BOOST_TEST(conversations(env, noResource) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));
    BOOST_TEST(conversations(env, unseen) == (std::set<std::string>{PluginEnv::chatOf(dir::Alice)}));
}

BOOST_AUTO_TEST_CASE(cards_name_resources_and_the_logins_of_requested_roles) {
    PluginEnv env(withCatalog());
    env.startDaemon();
    auto id = env.createRequest("carol", "editor", {"--resource", NodeId});
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    auto card = env.cardsFor(id).front();
    BOOST_TEST(card.contains("node web-1"), card.json);
    BOOST_TEST(!card.contains(Node), card.json);
    BOOST_TEST(card.contains("editor: root, ubuntu"), card.json);
    // The expired card, rendered from plugin data, names them the same way.
    env.auth().tctlOk({"fake", "expire", id});
    BOOST_REQUIRE(env.waitForCards(id, 1, "EXPIRED"));
    BOOST_TEST(env.cardsFor(id).front().contains("node web-1"));
    BOOST_TEST(env.judgeCards().exitCode == 0);
}

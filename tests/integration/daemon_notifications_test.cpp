// teleport-msteams start against both fakes: who gets a card, and how every card follows the
// request through reviews, approval, denial, promotion and expiry.
#define BOOST_TEST_MODULE daemon_notifications
#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

BOOST_AUTO_TEST_CASE(posts_to_role_recipients_and_suggested_reviewers) {
    PluginEnv env;
    env.startDaemon();
    auto id = env.createRequest("carol", "editor", {"--reason", "deploy hotfix", "--reviewers",
                                                    ErinMail + ",not-an-email," + BobMail});
    BOOST_REQUIRE(env.waitForCards(id, 2, "PENDING"));
    std::set<std::string> convs;
    for (const auto& c : env.cardsFor(id)) {
        convs.insert(c.conversationId);
        BOOST_TEST(c.contains("deploy hotfix"));
        BOOST_TEST(c.contains("\"value\":\"carol\""));
        BOOST_TEST(c.contains("/web/requests/" + id));  // the cluster has a web proxy
    }
    // editor -> bob; erin suggested; bob not twice; alice ("*") not for editor requests.
    BOOST_TEST(convs == (std::set<std::string>{PluginEnv::chatOf(dir::Bob),
                                               PluginEnv::chatOf("f5a7c9e1-4e6b-4a8c-9d0f-2b3e5a7c9e14")}));
    auto data = env.pluginData(id);
    BOOST_TEST(data.find("\"user\": \"carol\"") != std::string::npos);
    BOOST_TEST(data.find("\"roles\": \"editor\"") != std::string::npos);
    BOOST_TEST(data.find("\"messages\"") != std::string::npos);
    BOOST_TEST(data.find("\"claim\"") == std::string::npos);  // released after delivery
}

BOOST_AUTO_TEST_CASE(channel_recipients_get_cards) {
    PluginEnv::Options o;
    o.roleToRecipients = "\"*\" = [\"" + ChannelUrl + "\", \"" + AliceMail + "\"]\n";
    PluginEnv env(o);
    env.startDaemon();
    auto id = env.createRequest("carol", "db-admin");
    BOOST_REQUIRE(env.waitForCards(id, 2, "PENDING"));
    std::set<std::string> convs;
    for (const auto& c : env.cardsFor(id)) {
        convs.insert(c.conversationId);
    }
    BOOST_TEST(convs.count(dir::Channel) == 1u);
    BOOST_TEST(convs.count(PluginEnv::chatOf(dir::Alice)) == 1u);
}

BOOST_AUTO_TEST_CASE(reviews_one_by_one_then_approval_by_threshold) {
    PluginEnv env;
    env.startDaemon();
    auto id = env.createRequest("carol", "editor", {"--approvals", "2", "--reason", "needs two"});
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    BOOST_TEST(env.cardsFor(id)[0].contains("0 of 2"));
    env.auth().tctlOk({"request", "review", id, "--author", "bob", "--approve", "--reason", "first ok"});
    BOOST_REQUIRE(eventually([&] { auto c = env.cardsFor(id); return c.size() == 1 && c[0].contains("first ok"); }, 15s));
    auto pending = env.cardsFor(id)[0];
    BOOST_TEST(pending.status() == "PENDING");
    BOOST_TEST(pending.contains("1 of 2"));
    BOOST_TEST(pending.contains("Reviews"));
    env.auth().tctlOk({"request", "review", id, "--author", "dave", "--approve", "--reason", "second ok"});
    BOOST_REQUIRE(env.waitForCards(id, 1, "APPROVED"));
    auto approved = env.cardsFor(id)[0];
    BOOST_TEST(approved.contains("first ok"));
    BOOST_TEST(approved.contains("second ok"));
    BOOST_TEST(approved.updates == 2);  // one update per review, each after the last
    BOOST_TEST(env.pluginData(id).find("\"resolution\": \"APPROVED\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(denial_by_review_and_by_admin) {
    PluginEnv env;
    env.startDaemon();
    auto a = env.createRequest("carol", "editor");
    auto b = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(a, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForCards(b, 1, "PENDING"));
    env.auth().tctlOk({"request", "review", a, "--author", "bob", "--deny", "--reason", "not today"});
    env.auth().tctlOk({"request", "deny", b, "--reason", "policy"});
    BOOST_REQUIRE(env.waitForCards(a, 1, "DENIED"));
    BOOST_REQUIRE(env.waitForCards(b, 1, "DENIED"));
    BOOST_TEST(env.cardsFor(a)[0].contains("not today"));
    BOOST_TEST(env.cardsFor(b)[0].contains("policy"));
}

BOOST_AUTO_TEST_CASE(expiry_marks_every_card) {
    PluginEnv::Options o;
    o.roleToRecipients = "\"*\" = [\"" + AliceMail + "\", \"" + BobMail + "\", \"" + ChannelUrl + "\"]\n";
    PluginEnv env(o);
    env.startDaemon();
    auto id = env.createRequest("carol", "auditor", {"--ttl", "3s", "--reason", "short"});
    BOOST_REQUIRE(env.waitForCards(id, 3, "PENDING"));
    BOOST_REQUIRE(env.waitForCards(id, 3, "EXPIRED", 15s));
    for (const auto& c : env.cardsFor(id)) {
        BOOST_TEST(c.contains("short"));  // rendered from plugin data: the request is gone
    }
}

BOOST_AUTO_TEST_CASE(promotion_shows_the_access_list) {
    PluginEnv env;
    env.startDaemon();
    auto id = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "promote", id, "--list", "db-admins", "--author", "owner"});
    BOOST_REQUIRE(env.waitForCards(id, 1, "PROMOTED"));
    BOOST_TEST(env.cardsFor(id)[0].contains("db-admins"));
    BOOST_TEST(env.pluginData(id).find("\"resolution\": \"PROMOTED\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hostile_text_is_escaped_and_size_limited) {
    PluginEnv env;
    env.startDaemon();
    std::string reason = "click [here](https://evil.example) **now**\x01\x07 \xE2\x80\xAE" + std::string(100 * 1024, 'x');
    auto id = env.createRequest("carol", "editor", {"--reason", reason});
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    auto card = env.cardsFor(id)[0];
    // Neutralised without backslashes (some Teams clients show them): the link is split by an
    // invisible character, the emphasis marks are look-alikes.
    BOOST_TEST(card.contains("click [here]"), card.json.substr(0, 2000));
    BOOST_TEST(!card.contains("[here](https"));
    BOOST_TEST(!card.contains("**now**"));
    BOOST_TEST(!card.contains("\\\\["));
    BOOST_TEST(!card.contains("\\u0001"));
    BOOST_TEST(card.json.size() < 36u * 1024u);
    BOOST_TEST(env.statCount("bot.post", 413) == 0u);
    BOOST_TEST(env.statCount("bot.post", 400) == 0u);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_cleanly) {
    PluginEnv env;
    env.startDaemon();
    BOOST_TEST(env.stopDaemon() == 0);
    BOOST_TEST(env.daemon().stderrText().find("stopped") != std::string::npos);
}

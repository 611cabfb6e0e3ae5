// After the card: the requester is kept informed (notify_requester) and reviewers are reminded
// while a request waits ([reminders]), once each, across daemon restarts.
#define BOOST_TEST_MODULE daemon_followups
#include <boost/test/unit_test.hpp>

#include <thread>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

const std::string Carol = "c2d4f6a8-1b3e-4d5f-8a7c-9e0b2d4f6a81";
const std::string Erin = "f5a7c9e1-4e6b-4a8c-9d0f-2b3e5a7c9e14";

size_t countIn(PluginEnv& env, const std::string& conversation, const std::string& text) {
    size_t n = 0;
    for (const auto& c : env.cards()) {
        n += c.conversationId == conversation && c.contains(text);
    }
    return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_requester_gets_the_card_then_the_outcome_once) {
    PluginEnv::Options o;
    o.topLevel = "notify_requester = true\n";
    PluginEnv env(o);
    env.startDaemon();
    auto id = env.createRequest(CarolMail, "editor", {"--reason", "on call"});
    // Bob reviews; Carol, the requester, gets a copy.
    BOOST_REQUIRE(env.waitForCards(id, 2, "PENDING"));
    BOOST_TEST(countIn(env, PluginEnv::chatOf(Carol), "Access Request " + id) == 1u);
    env.auth().tctlOk({"request", "approve", id, "--reason", "go ahead"});
    BOOST_REQUIRE(env.waitForCards(id, 2, "APPROVED"));
    const std::string told = "Your access request was APPROVED";
    BOOST_TEST(eventually([&] { return countIn(env, PluginEnv::chatOf(Carol), told) == 1; }, 20s));
    BOOST_TEST(eventually([&] {
        for (const auto& c : env.cards()) {
            if (c.contains(told)) {
                return c.contains("Access until") && c.contains("go ahead") && c.contains(id);
            }
        }
        return false;
    }, 5s));
    // A restart catches up on the request: the outcome is not told twice.
    BOOST_TEST(env.stopDaemon() == 0);
    auto& again = env.startDaemon();
    BOOST_TEST(again.waitForStderr("caught up", 20s));
    std::this_thread::sleep_for(2s);
    BOOST_TEST(countIn(env, PluginEnv::chatOf(Carol), told) == 1u);
    BOOST_TEST(countIn(env, PluginEnv::chatOf(Carol), "Access Request " + id) == 1u);
}

BOOST_AUTO_TEST_CASE(reviewers_are_reminded_once_per_interval_then_the_request_escalates) {
    PluginEnv env;
    env.writeConfig("[reminders]\nafter = \"2s\"\nrepeat = \"3s\"\nmax = 2\nescalate_to = [\"" + ErinMail + "\"]\n");
    env.startDaemon();
    auto id = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));  // Alice ("*")
    const std::string reminder = "Reminder: an access request is waiting";
    BOOST_REQUIRE(eventually([&] { return countIn(env, PluginEnv::chatOf(dir::Alice), reminder) >= 1; }, 20s));
    // A restart in between: the count lives in plugin data, so no reminder comes twice.
    BOOST_TEST(env.stopDaemon() == 0);
    env.startDaemon();
    BOOST_TEST(eventually([&] { return countIn(env, PluginEnv::chatOf(dir::Alice), reminder) == 2; }, 20s));
    // After the last reminder, Erin is added and gets the card.
    BOOST_TEST(eventually([&] { return countIn(env, PluginEnv::chatOf(Erin), "Access Request " + id) == 1; }, 20s));
    std::this_thread::sleep_for(5s);  // longer than the interval: nothing more comes
    BOOST_TEST(countIn(env, PluginEnv::chatOf(dir::Alice), reminder) == 2u);
    BOOST_TEST(countIn(env, PluginEnv::chatOf(Erin), reminder) == 0u);
    // Once reviewed to the end, reminders stop for good and every card shows it.
    env.auth().tctlOk({"request", "approve", id});
    BOOST_TEST(env.waitForCards(id, 2, "APPROVED"));
}

// Switching between the Go plugin and ours never re-posts or loses a card.
#define BOOST_TEST_MODULE daemon_compat
#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

#include <openssl/evp.h>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {
std::string b64(const std::string& s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(go_written_plugin_data_is_taken_over_without_reposting) {
    PluginEnv env;
    // The Go plugin posted a card to bob and wrote its plugin data; then it was replaced by us.
    auto id = env.createRequest("carol", "editor", {"--reason", "from the Go era"});
    auto g = env.graph().token(GraphScope);
    auto b = env.graph().token(BotScope);
    auto catalog = parseObject(env.graph().control("GET", "/_fake/catalog").body)
                       ->getArray("apps")->getObject(0)->getValue<std::string>("id");
    auto chat = env.graph().installAndGetChat(g, dir::Bob, catalog);
    auto post = env.graph().bot("POST", "/emea/v3/conversations/" + chat + "/activities/", b,
                                cardActivity("Access Request " + id + " PENDING (Go)"));
    auto activityId = parseObject(post.body)->getValue<std::string>("id");
    std::string message = b64(R"({"id":")" + activityId + R"(","ts":"02 Jan 06 15:04 UTC","rid":")" + BobMail + R"("})");
    env.auth().tctlOk({"plugindata", "set", id, "--plugin", "msteams", "user=carol", "roles=editor",
                       "request_reason=from the Go era", "messages=" + message,
                       "--expect", "user=", "--expect", "messages="});

    env.startDaemon();
    std::this_thread::sleep_for(1500ms);  // catch-up has seen the request
    BOOST_TEST(env.statCount("bot.post", 201) == 1u);  // only the Go plugin's post
    env.auth().tctlOk({"request", "approve", id, "--reason", "ok"});
    BOOST_REQUIRE(env.waitForCards(id, 1, "APPROVED"));
    auto card = env.cardsFor(id)[0];
    BOOST_TEST(card.activityId == activityId);
    BOOST_TEST(card.updates == 1);
    BOOST_TEST(env.statCount("bot.post", 201) == 1u);
}

BOOST_AUTO_TEST_CASE(our_plugin_data_reads_as_the_go_format) {
    PluginEnv env;
    env.startDaemon();
    auto id = env.createRequest("carol", "editor", {"--reason", "a<b & c>d"});
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "review", id, "--author", "bob", "--approve"});
    BOOST_REQUIRE(env.waitForCards(id, 1, "APPROVED"));
    auto data = parseObject(env.pluginData(id))->getObject("Entries")->getObject("msteams")->getObject("Data");
    BOOST_TEST(data->getValue<std::string>("user") == "carol");
    BOOST_TEST(data->getValue<std::string>("roles") == "editor");
    BOOST_TEST(data->getValue<std::string>("request_reason") == "a<b & c>d");
    BOOST_TEST(data->getValue<std::string>("reviews_count") == "1");
    BOOST_TEST(data->getValue<std::string>("resolution") == "APPROVED");
    // messages: base64 of {"id","ts","rid"} in Go's json.Marshal field order.
    std::string messages = data->getValue<std::string>("messages");
    BOOST_TEST(messages.find(',') == std::string::npos);
    std::string decoded(messages.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                            reinterpret_cast<const unsigned char*>(messages.data()), static_cast<int>(messages.size()));
    decoded.resize(static_cast<size_t>(n));
    while (!decoded.empty() && decoded.back() == '\0') {
        decoded.pop_back();
    }
    auto card = env.cardsFor(id)[0];
    BOOST_TEST(decoded.rfind("{\"id\":\"" + card.activityId + "\",\"ts\":\"", 0) == 0u, decoded);
    BOOST_TEST(decoded.find("\"rid\":\"" + BobMail + "\"}") != std::string::npos, decoded);
}

// Microsoft's own libraries as judges of the fake, so that it cannot drift from the real services:
// msal-node takes tokens from its token endpoint, botframework-connector validates the tokens it
// signs (and agrees with the daemon's validator), Microsoft's Graph and connector clients make the
// daemon's calls and parse the answers, and the Adaptive Cards library parses every card a
// daemon run posts.
#define BOOST_TEST_MODULE microsoft_judges
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include <Poco/JSON/Parser.h>

#include "bot_signer.h"
#include "common/clock.h"
#include "msapi/bot_auth.h"
#include "msapi/curl_http_transport.h"
#include "support/fake_graph_handle.h"
#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

Poco::JSON::Object::Ptr judge(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
    auto r = runCommand(argv, 120s, env);
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.out + r.err);
    return parseObject(r.out);
}

std::string text(const Poco::JSON::Object::Ptr& o) {
    std::ostringstream os;
    o->stringify(os);
    return os.str();
}

std::string script(const std::string& name) { return binaryPath("JUDGES_DIR") + "/" + name; }

}  // namespace

BOOST_AUTO_TEST_CASE(msal_node_takes_tokens_for_graph_and_bot_and_names_a_wrong_secret) {
    TempDir tmp;
    FakeGraph fake(tmp.path(), {"--tls-dir", tmp / "tls"});
    BOOST_REQUIRE(!fake.caFile().empty());
    auto out = judge({"node", script("msal_judge.cjs"), fake.url(), dir::Tenant, dir::AppId, dir::AppSecret},
                     {{"NODE_EXTRA_CA_CERTS", fake.caFile()}});
    BOOST_TEST(out->getObject("graph")->getValue<bool>("ok"), text(out));
    BOOST_TEST(out->getObject("graph")->getValue<std::string>("tokenType") == "Bearer");
    BOOST_TEST(out->getObject("bot")->getValue<bool>("ok"));
    auto wrong = out->getObject("wrongSecret");
    BOOST_TEST(!wrong->getValue<bool>("ok"));
    BOOST_TEST(wrong->getValue<std::string>("errorCode") == "invalid_client");
    BOOST_TEST(wrong->getValue<std::string>("message").find("AADSTS7000215") != std::string::npos, text(out));
}

// The same tokens, judged by Microsoft's validator and by ours. Where we refuse what it accepts,
// it is on purpose, and listed: it validates any channel (webchat too) and trusts keys without
// endorsements for every channel; only Teams vouches for the reviewer and the tenant, so we accept
// Teams only, from endorsed keys, with a tenant.
BOOST_AUTO_TEST_CASE(botframework_connector_and_the_daemon_agree_on_every_token) {
    TempDir tmp;
    FakeGraph fake(tmp.path());
    const std::string serviceUrl = "https://smba.trafficmanager.net/emea/";
    std::vector<std::string> names = {"valid"};
    for (const auto& f : tmsteams::fakegraph::BotSigner::forgeries()) {
        names.push_back(f);
    }
    Poco::JSON::Array cases;
    std::map<std::string, std::pair<std::string, std::string>> tokens;  // name -> authorization, channel
    std::map<std::string, std::string> tenants;
    for (const auto& name : names) {
        auto r = fake.control("POST", "/_fake/sign", "{\"forge\":\"" + (name == "valid" ? "" : name) +
                                                         "\",\"appId\":\"" + dir::AppId + "\",\"serviceUrl\":\"" +
                                                         serviceUrl + "\"}");
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        auto signed_ = parseObject(r.body);
        tokens[name] = {signed_->getValue<std::string>("authorization"), signed_->getValue<std::string>("channelId")};
        tenants[name] = signed_->getValue<std::string>("tenant");
        Poco::JSON::Object::Ptr c = new Poco::JSON::Object;
        c->set("name", name);
        c->set("authorization", tokens[name].first);
        Poco::JSON::Object::Ptr activity = new Poco::JSON::Object;
        activity->set("type", "invoke");
        activity->set("channelId", tokens[name].second);
        activity->set("serviceUrl", serviceUrl);
        c->set("activity", activity);
        cases.add(c);
    }
    std::ofstream(tmp / "cases.json") << Poco::Dynamic::Var(cases).toString();
    const std::string metadata = fake.url() + "/v1/.well-known/openidconfiguration";
    auto sdk = judge({"node", script("bot_judge.cjs"), metadata, dir::AppId, tmp / "cases.json"});

    tmsteams::msapi::CurlHttpTransport http;
    tmsteams::common::SystemClock clock;
    tmsteams::msapi::BotAuthenticator ours(http, clock, {metadata, "https://api.botframework.com", dir::AppId});
    const std::set<std::string> stricter = {"webchat-channel", "no-endorsements", "no-tenant"};
    for (const auto& name : names) {
        const bool sdkAccepts = sdk->getValue<std::string>(name) == "accepted";
        const bool weAccept = ours.authenticate(tokens[name].first, serviceUrl, tokens[name].second).ok() &&
                              !tenants[name].empty();
        if (stricter.count(name)) {
            BOOST_TEST((sdkAccepts && !weAccept), name << ": sdk " << sdk->getValue<std::string>(name));
        } else {
            BOOST_TEST(sdkAccepts == weAccept, name << ": sdk " << sdk->getValue<std::string>(name) << ", ours "
                                                    << (weAccept ? "accepted" : "refused"));
        }
    }
    BOOST_TEST(sdk->getValue<std::string>("valid") == "accepted");
}

BOOST_AUTO_TEST_CASE(microsofts_graph_and_connector_clients_make_the_daemons_calls) {
    TempDir tmp;
    FakeGraph fake(tmp.path(), {"--tls-dir", tmp / "tls"});
    fake.publishApp(TeamsAppId);
    auto out = judge({"node", script("graph_judge.cjs"), fake.url(), fake.token(GraphScope), fake.token(BotScope),
                      TeamsAppId, AliceMail},
                     {{"NODE_EXTRA_CA_CERTS", fake.caFile()}});
    BOOST_TEST(out->getValue<int>("catalogApps") == 1);
    BOOST_TEST(out->getValue<int>("usersFound") == 1);
    BOOST_TEST(out->getValue<int>("quotedLookup") == 0);
    BOOST_TEST(out->getValue<int>("installedBefore") == 0);
    BOOST_TEST(out->getValue<int>("installedAfter") == 1);
    BOOST_TEST(out->getValue<std::string>("expandedExternalId") == TeamsAppId);
    BOOST_TEST(out->getValue<std::string>("chatId").rfind("19:", 0) == 0u);
    BOOST_TEST(out->getObject("missingUser")->getValue<int>("statusCode") == 404);
    BOOST_TEST(out->getValue<bool>("posted"));
    BOOST_TEST(out->getValue<bool>("updated"));
}

// Every version of every card a daemon run posted, through every state.
BOOST_AUTO_TEST_CASE(every_card_a_daemon_posts_passes_the_adaptive_cards_library) {
    PluginEnv env;
    env.startDaemon();
    auto approved = env.createRequest("carol", "editor", {"--reason", "Roll out the [hotfix](https://example.com)"});
    auto denied = env.createRequest("carol", "editor");
    auto reviewed = env.createRequest("carol", "editor", {"--approvals", "2"});
    for (const auto& id : {approved, denied, reviewed}) {
        BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    }
    env.auth().tctlOk({"request", "approve", approved});
    env.auth().tctlOk({"request", "deny", denied});
    env.auth().tctlOk({"request", "review", reviewed, "--author", "dave", "--approve", "--reason", "ok *for* now"});
    BOOST_REQUIRE(env.waitForCards(approved, 1, "APPROVED"));
    BOOST_REQUIRE(env.waitForCards(denied, 1, "DENIED"));
    BOOST_REQUIRE(eventually([&] { return env.cardsFor(reviewed).front().contains("ok"); }, 20s));
    auto r = env.judgeCards();
    BOOST_TEST(r.exitCode == 0, r.out + r.err);
    BOOST_TEST(r.out.find("cards judged") != std::string::npos, r.out);
}

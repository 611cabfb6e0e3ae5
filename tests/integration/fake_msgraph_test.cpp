// fake-msgraph as a process, over HTTP on loopback with libcurl: every route, status code and
// error body the daemon relies on, throttling, faults, inspection and TLS.
#define BOOST_TEST_MODULE fake_msgraph
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <thread>

#include <Poco/JSON/Array.h>

#include "support/fake_graph_handle.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

struct Env {
    TempDir tmp;
    FakeGraph fake{tmp.path()};
};

std::string graphErrorCode(const HttpResponse& r) {
    return parseObject(r.body)->getObject("error")->getValue<std::string>("code");
}

std::string b64decode(const std::string& s) {
    std::string out(s.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    out.resize(static_cast<size_t>(n));
    while (!out.empty() && out.back() == '\0') {
        out.pop_back();
    }
    return out;
}

const std::string ManifestId = "11111111-2222-4333-8444-555555555555";

struct BotEnv : Env {
    std::string graphToken = fake.token(GraphScope);
    std::string botToken = fake.token(BotScope);
    std::string catalogId = fake.publishApp(ManifestId);
    std::string chat = fake.installAndGetChat(graphToken, dir::Alice, catalogId);
};

}  // namespace

BOOST_AUTO_TEST_SUITE(token_endpoint)

BOOST_AUTO_TEST_CASE(client_credentials_returns_the_real_shape) {
    Env e;
    auto r = e.fake.tokenRequest(dir::AppId, dir::AppSecret, GraphScope);
    BOOST_TEST(r.status == 200);
    auto o = parseObject(r.body);
    BOOST_TEST(o->getValue<std::string>("token_type") == "Bearer");
    BOOST_TEST(o->getValue<int>("expires_in") == 3599);
    BOOST_TEST(o->getValue<int>("ext_expires_in") == 3599);
    BOOST_TEST(!o->getValue<std::string>("access_token").empty());
    // The tenant's domain works like its id.
    BOOST_TEST(e.fake.tokenRequest(dir::AppId, dir::AppSecret, BotScope, "contoso.example").status == 200);
}

BOOST_AUTO_TEST_CASE(errors_are_aad_shaped) {
    Env e;
    auto bad = e.fake.tokenRequest(dir::AppId, "wrong", GraphScope);
    BOOST_TEST(bad.status == 401);
    auto o = parseObject(bad.body);
    BOOST_TEST(o->getValue<std::string>("error") == "invalid_client");
    BOOST_TEST(o->getValue<std::string>("error_description").rfind("AADSTS7000215:", 0) == 0u);
    BOOST_TEST(o->getArray("error_codes")->getElement<int>(0) == 7000215);
    BOOST_TEST(bad.body.find("wrong") == std::string::npos);  // secrets never echoed

    auto tenant = e.fake.tokenRequest(dir::AppId, dir::AppSecret, GraphScope, "no-such-tenant");
    BOOST_TEST(tenant.status == 400);
    BOOST_TEST(parseObject(tenant.body)->getValue<std::string>("error_description").find("AADSTS90002") == 0u);

    auto client = e.fake.tokenRequest("00000000-0000-4000-8000-000000000000", "x", GraphScope);
    BOOST_TEST(client.status == 400);
    BOOST_TEST(parseObject(client.body)->getValue<std::string>("error") == "unauthorized_client");

    auto scope = e.fake.tokenRequest(dir::AppId, dir::AppSecret, "https://example.com/.default");
    BOOST_TEST(scope.status == 400);
    BOOST_TEST(parseObject(scope.body)->getValue<std::string>("error") == "invalid_scope");

    auto get = httpGet(e.fake.url() + "/" + dir::Tenant + "/oauth2/v2.0/token");
    BOOST_TEST(get.status == 405);
}

BOOST_AUTO_TEST_CASE(tokens_are_bound_to_their_audience) {
    Env e;
    auto graphToken = e.fake.token(GraphScope);
    auto botToken = e.fake.token(BotScope);
    auto onGraph = e.fake.graph("GET", "/v1.0/users", botToken);
    BOOST_TEST(onGraph.status == 401);
    BOOST_TEST(graphErrorCode(onGraph) == "InvalidAuthenticationToken");
    auto onBot = e.fake.bot("POST", "/emea/v3/conversations/" + dir::Channel + "/activities", graphToken,
                            cardActivity("x"));
    BOOST_TEST(onBot.status == 401);
    BOOST_TEST(parseObject(onBot.body)->getValue<std::string>("message") ==
               "Authorization has been denied for this request.");
    BOOST_TEST(e.fake.graph("GET", "/v1.0/users", "").status == 401);
    BOOST_TEST(e.fake.graph("GET", "/v1.0/users", graphToken).status == 200);
}

BOOST_AUTO_TEST_CASE(revoked_and_expired_tokens_are_refused) {
    TempDir tmp;
    FakeGraph fake(tmp.path(), {"--token-ttl", "1"});
    auto t = fake.token(GraphScope);
    BOOST_TEST(fake.graph("GET", "/v1.0/users", t).status == 200);
    std::this_thread::sleep_for(1200ms);
    auto expired = fake.graph("GET", "/v1.0/users", t);
    BOOST_TEST(expired.status == 401);
    BOOST_TEST(parseObject(expired.body)->getObject("error")->getValue<std::string>("message").find("expired") !=
               std::string::npos);

    Env e;
    auto t2 = e.fake.token(GraphScope);
    BOOST_TEST(e.fake.control("POST", "/_fake/faults", R"({"revokeTokens":true})").status == 200);
    BOOST_TEST(e.fake.graph("GET", "/v1.0/users", t2).status == 401);
    BOOST_TEST(e.fake.graph("GET", "/v1.0/users", e.fake.token(GraphScope)).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(graph)

BOOST_AUTO_TEST_CASE(app_catalog_publish_and_lookup_by_external_id) {
    Env e;
    auto t = e.fake.token(GraphScope);
    auto none = e.fake.graph("GET", "/v1.0/appCatalogs/teamsApps?$filter=externalId%20eq%20'" + ManifestId + "'", t);
    BOOST_TEST(none.status == 200);
    BOOST_TEST(parseObject(none.body)->getArray("value")->size() == 0u);

    auto id = e.fake.publishApp(ManifestId);
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(id != ManifestId);  // catalog ids are the service's own
    // Go's encoding: %24filter, '+' for spaces, %27 quotes.
    auto found = e.fake.graph("GET", "/v1.0/appCatalogs/teamsApps?%24filter=externalId+eq+%27" + ManifestId + "%27", t);
    auto app = parseObject(found.body)->getArray("value")->getObject(0);
    BOOST_TEST(app->getValue<std::string>("id") == id);
    BOOST_TEST(app->getValue<std::string>("externalId") == ManifestId);
    BOOST_TEST(app->getValue<std::string>("distributionMethod") == "organization");
    BOOST_TEST(parseObject(found.body)->getValue<std::string>("@odata.context").find("$metadata#appCatalogs/teamsApps") !=
               std::string::npos);

    auto again = e.fake.graph("POST", "/v1.0/appCatalogs/teamsApps", t,
                              FakeGraph::appPackage(ManifestId, dir::AppId), "application/zip");
    BOOST_TEST(again.status == 409);
    BOOST_TEST(graphErrorCode(again) == "Conflict");
}

BOOST_AUTO_TEST_CASE(bad_app_packages_are_refused) {
    Env e;
    auto t = e.fake.token(GraphScope);
    auto notZip = e.fake.graph("POST", "/v1.0/appCatalogs/teamsApps", t, "not a zip", "application/zip");
    BOOST_TEST(notZip.status == 400);
    auto badId = e.fake.graph("POST", "/v1.0/appCatalogs/teamsApps", t,
                              FakeGraph::appPackage("not-a-guid", dir::AppId), "application/zip");
    BOOST_TEST(badId.status == 400);
    BOOST_TEST(parseObject(badId.body)->getObject("error")->getValue<std::string>("message").find("GUID") !=
               std::string::npos);
    auto json = e.fake.graph("POST", "/v1.0/appCatalogs/teamsApps", t, "{}", "application/json");
    BOOST_TEST(json.status == 415);
}

BOOST_AUTO_TEST_CASE(users_by_mail_upn_and_id_with_odata_quoting) {
    Env e;
    auto t = e.fake.token(GraphScope);
    auto byMail = e.fake.graph("GET", "/v1.0/users?%24filter=mail+eq+%27BOB%40contoso.example%27", t);
    BOOST_TEST(parseObject(byMail.body)->getArray("value")->getObject(0)->getValue<std::string>("id") == dir::Bob);
    // A quote inside the literal is doubled, as OData requires.
    auto quoted = e.fake.graph("GET", "/v1.0/users?$filter=mail%20eq%20'o''neil@contoso.example'", t);
    BOOST_TEST(quoted.status == 200);
    BOOST_TEST(parseObject(quoted.body)->getArray("value")->size() == 1u);
    // Left undoubled (the Go plugin's bug) it is a syntax error.
    auto broken = e.fake.graph("GET", "/v1.0/users?$filter=mail%20eq%20'o'neil@contoso.example'", t);
    BOOST_TEST(broken.status == 400);
    BOOST_TEST(graphErrorCode(broken) == "BadRequest");
    // No mailbox: only the UPN finds the user.
    auto noMail = e.fake.graph("GET", "/v1.0/users?$filter=mail%20eq%20'dave@contoso.onmicrosoft.com'", t);
    BOOST_TEST(parseObject(noMail.body)->getArray("value")->size() == 0u);
    auto byUpn = e.fake.graph("GET", "/v1.0/users?$filter=userPrincipalName%20eq%20'dave@contoso.onmicrosoft.com'", t);
    BOOST_TEST(parseObject(byUpn.body)->getArray("value")->size() == 1u);
    auto byId = e.fake.graph("GET", "/v1.0/users?$filter=id%20eq%20'" + dir::Alice + "'", t);
    BOOST_TEST(parseObject(byId.body)->getArray("value")->getObject(0)->getValue<std::string>("mail") ==
               "alice@contoso.example");
    auto direct = e.fake.graph("GET", "/V1.0/USERS/" + dir::Alice, t);  // paths are case-insensitive
    BOOST_TEST(direct.status == 200);
    auto missing = e.fake.graph("GET", "/v1.0/users/00000000-0000-4000-8000-000000000000", t);
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(graphErrorCode(missing) == "Request_ResourceNotFound");
    auto inner = parseObject(missing.body)->getObject("error")->getObject("innerError");
    BOOST_TEST(!inner->getValue<std::string>("request-id").empty());
    BOOST_TEST(!inner->getValue<std::string>("date").empty());
    auto unsupported = e.fake.graph("GET", "/v1.0/users?$filter=jobTitle%20eq%20'SRE'", t);
    BOOST_TEST(unsupported.status == 400);
    BOOST_TEST(graphErrorCode(unsupported) == "Request_UnsupportedQuery");
}

BOOST_AUTO_TEST_CASE(user_app_installation_lifecycle_and_stable_chat) {
    Env e;
    auto t = e.fake.token(GraphScope);
    auto catalogId = e.fake.publishApp(ManifestId);
    const std::string list = "/v1.0/users/" + dir::Alice +
                             "/teamWork/installedApps?%24expand=teamsApp&%24filter=teamsApp%2Fid+eq+%27" +
                             catalogId + "%27";
    BOOST_TEST(parseObject(e.fake.graph("GET", list, t).body)->getArray("value")->size() == 0u);
    const std::string bind = R"({"teamsApp@odata.bind":"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/)" +
                             catalogId + R"("})";
    auto install = e.fake.graph("POST", "/v1.0/users/" + dir::Alice + "/teamWork/installedApps", t, bind);
    BOOST_TEST(install.status == 201);
    BOOST_TEST(install.body.empty());
    auto dup = e.fake.graph("POST", "/v1.0/users/" + dir::Alice + "/teamWork/installedApps", t, bind);
    BOOST_TEST(dup.status == 409);
    BOOST_TEST(graphErrorCode(dup) == "Conflict");

    auto listed = parseObject(e.fake.graph("GET", list, t).body)->getArray("value");
    BOOST_REQUIRE(listed->size() == 1u);
    auto iid = listed->getObject(0)->getValue<std::string>("id");
    BOOST_TEST(b64decode(iid) == dir::Alice + "##" + catalogId);
    BOOST_TEST(listed->getObject(0)->getObject("teamsApp")->getValue<std::string>("externalId") == ManifestId);

    auto chat1 = e.fake.graph("GET", "/v1.0/users/" + dir::Alice + "/teamwork/installedApps/" + iid + "/chat", t);
    auto chat2 = e.fake.graph("GET", "/v1.0/users/" + dir::Alice + "/teamwork/installedApps/" + iid + "/chat", t);
    auto chatId = parseObject(chat1.body)->getValue<std::string>("id");
    BOOST_TEST(chatId == parseObject(chat2.body)->getValue<std::string>("id"));
    BOOST_TEST(chatId.rfind("19:", 0) == 0u);
    BOOST_TEST(chatId.find("@unq.gbl.spaces") != std::string::npos);

    auto uninstall = e.fake.graph("DELETE", "/v1.0/users/" + dir::Alice + "/teamWork/installedApps/" + iid, t);
    BOOST_TEST(uninstall.status == 204);
    BOOST_TEST(parseObject(e.fake.graph("GET", list, t).body)->getArray("value")->size() == 0u);
    BOOST_TEST(e.fake.graph("GET", "/v1.0/users/" + dir::Alice + "/teamwork/installedApps/" + iid + "/chat", t).status == 404);

    auto unknownApp = e.fake.graph("POST", "/v1.0/users/" + dir::Alice + "/teamWork/installedApps", t,
                                   R"({"teamsApp@odata.bind":"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/nope"})");
    BOOST_TEST(unknownApp.status == 404);
    auto badBody = e.fake.graph("POST", "/v1.0/users/" + dir::Alice + "/teamWork/installedApps", t, "{");
    BOOST_TEST(badBody.status == 400);
}

BOOST_AUTO_TEST_CASE(team_installed_apps_and_missing_permission) {
    Env e;
    auto t = e.fake.token(GraphScope);
    auto catalogId = e.fake.publishApp(ManifestId);
    const std::string path = "/v1.0/teams/" + dir::Team + "/installedApps";
    const std::string query = "?%24expand=teamsApp&%24filter=teamsApp%2Fid+eq+%27" + catalogId + "%27";
    BOOST_TEST(parseObject(e.fake.graph("GET", path + query, t).body)->getArray("value")->size() == 0u);
    BOOST_TEST(e.fake.graph("POST", path, t,
                            R"({"teamsApp@odata.bind":"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/)" +
                                catalogId + R"("})").status == 201);
    BOOST_TEST(parseObject(e.fake.graph("GET", path + query, t).body)->getArray("value")->size() == 1u);
    BOOST_TEST(e.fake.graph("GET", "/v1.0/teams/00000000-0000-4000-8000-000000000000/installedApps", t).status == 404);

    // The second registration lacks TeamsAppInstallation.ReadWriteSelfForTeam.All.
    auto limited = e.fake.token(GraphScope, dir::LimitedAppId, dir::LimitedAppSecret);
    auto denied = e.fake.graph("GET", path + query, limited);
    BOOST_TEST(denied.status == 403);
    BOOST_TEST(graphErrorCode(denied) == "Authorization_RequestDenied");
    BOOST_TEST(denied.body.find("TeamsAppInstallation.ReadWriteSelfForTeam.All") != std::string::npos);
    BOOST_TEST(e.fake.graph("GET", "/v1.0/users", limited).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bot_framework)

BOOST_FIXTURE_TEST_CASE(post_and_update_activities, BotEnv) {
    auto post = fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("PENDING"));
    BOOST_TEST(post.status == 201);
    auto id = parseObject(post.body)->getValue<std::string>("id");
    BOOST_TEST(!id.empty());
    auto noSlash = fake.bot("POST", "/amer/v3/conversations/" + chat + "/activities", botToken, cardActivity("two"));
    BOOST_TEST(noSlash.status == 201);
    auto put = fake.bot("PUT", "/emea/v3/conversations/" + chat + "/activities/" + id, botToken, cardActivity("APPROVED"));
    BOOST_TEST(put.status == 200);
    BOOST_TEST(parseObject(put.body)->getValue<std::string>("id") == id);

    auto acts = parseObject(fake.control("GET", "/_fake/activities?conversation=" + formEncode(chat)).body);
    auto list = acts->getArray("activities");
    BOOST_REQUIRE(list->size() == 2u);
    auto first = list->getObject(0);
    BOOST_TEST(first->getValue<std::string>("id") == id);
    BOOST_TEST(first->getValue<int>("updates") == 1);
    BOOST_TEST(first->getArray("history")->size() == 2u);
    BOOST_TEST(first->getObject("card")->getArray("body")->getObject(0)->getValue<std::string>("text") == "APPROVED");
    BOOST_TEST(first->getValue<int64_t>("receivedMs") > 0);

    auto missing = fake.bot("PUT", "/emea/v3/conversations/" + chat + "/activities/999", botToken, cardActivity("x"));
    BOOST_TEST(missing.status == 404);
}

BOOST_FIXTURE_TEST_CASE(unknown_conversation_and_roster_errors, BotEnv) {
    auto unknown = fake.bot("POST", "/emea/v3/conversations/19:deadbeef@thread.tacv2/activities/", botToken,
                            cardActivity("x"));
    BOOST_TEST(unknown.status == 404);
    BOOST_TEST(graphErrorCode(unknown) == "ConversationNotFound");
    // Bob has no installation of the app: the bot is not in his chat's roster.
    auto bobChat = "19:" + dir::Bob + "_" + dir::AppId + "@unq.gbl.spaces";
    auto roster = fake.bot("POST", "/emea/v3/conversations/" + bobChat + "/activities/", botToken, cardActivity("x"));
    BOOST_TEST(roster.status == 403);
    BOOST_TEST(graphErrorCode(roster) == "BotNotInConversationRoster");
    // The channel's team has no installation either, until it gets one.
    auto channel = fake.bot("POST", "/emea/v3/conversations/" + dir::Channel + "/activities/", botToken, cardActivity("x"));
    BOOST_TEST(channel.status == 403);
    fake.graph("POST", "/v1.0/teams/" + dir::Team + "/installedApps", graphToken,
               R"({"teamsApp@odata.bind":"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/)" + catalogId + R"("})");
    // Percent-encoded ids address the same conversation.
    auto encoded = fake.bot("POST", "/emea/v3/conversations/19%3A3a9d7c5e1f0b4a2c8e6d4f2a0c8e6b4d%40thread.tacv2/activities/",
                            botToken, cardActivity("x"));
    BOOST_TEST(encoded.status == 201);
}

BOOST_FIXTURE_TEST_CASE(invalid_cards_and_oversized_activities_are_refused, BotEnv) {
    const std::string path = "/emea/v3/conversations/" + chat + "/activities/";
    auto noValue = fake.bot("POST", path, botToken,
                            R"({"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.2","body":[{"type":"FactSet","facts":[{"title":"User"}]}]}}]})");
    BOOST_TEST(noValue.status == 400);
    BOOST_TEST(noValue.body.find("facts[0]") != std::string::npos);
    auto badType = fake.bot("POST", path, botToken,
                            R"({"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.2","body":[{"type":"Blink","text":"x"}]}}]})");
    BOOST_TEST(badType.status == 400);
    auto badVersion = fake.bot("POST", path, botToken,
                               R"({"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"9.9","body":[]}}]})");
    BOOST_TEST(badVersion.status == 400);
    auto notJson = fake.bot("POST", path, botToken, "{oops");
    BOOST_TEST(notJson.status == 400);
    auto huge = fake.bot("POST", path, botToken, cardActivity(std::string(30000, 'a')));
    BOOST_TEST(huge.status == 413);
    BOOST_TEST(fake.bot("POST", path, botToken, cardActivity(std::string(20000, 'a'))).status == 201);
}

BOOST_FIXTURE_TEST_CASE(per_conversation_throttle_answers_429_with_retry_after, BotEnv) {
    const std::string path = "/emea/v3/conversations/" + chat + "/activities/";
    std::vector<long> codes;
    std::string retryAfter;
    for (int i = 0; i < 10; ++i) {
        auto r = fake.bot("POST", path, botToken, cardActivity("n" + std::to_string(i)));
        codes.push_back(r.status);
        if (r.status == 429 && retryAfter.empty()) {
            retryAfter = r.header("retry-after");
        }
    }
    BOOST_TEST(std::count(codes.begin(), codes.end(), 201) == 7);
    BOOST_TEST(std::count(codes.begin(), codes.end(), 429) == 3);
    BOOST_TEST(retryAfter == "1");
    std::this_thread::sleep_for(1100ms);
    BOOST_TEST(fake.bot("POST", path, botToken, cardActivity("later")).status == 201);
}

BOOST_FIXTURE_TEST_CASE(thirty_second_window_caps_at_sixty, BotEnv) {
    const std::string path = "/emea/v3/conversations/" + chat + "/activities/";
    int created = 0;
    auto start = std::chrono::steady_clock::now();
    // Paced under 7 per second, so only the 30 s window can refuse.
    for (int i = 0; i < 61; ++i) {
        auto r = fake.bot("POST", path, botToken, cardActivity("n"));
        if (r.status == 201) {
            ++created;
        } else {
            BOOST_TEST(r.status == 429);
            BOOST_TEST(i == 60);
            int secs = std::stoi(r.header("retry-after"));
            auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
            BOOST_TEST(secs >= 30 - elapsed - 1);
            BOOST_TEST(secs <= 30);
        }
        std::this_thread::sleep_for(150ms);
    }
    BOOST_TEST(created == 60);
}

BOOST_AUTO_TEST_CASE(per_app_limit_applies_across_conversations) {
    TempDir tmp;
    FakeGraph fake(tmp.path(), {"--app-rps", "5"});
    auto g = fake.token(GraphScope);
    auto b = fake.token(BotScope);
    auto catalogId = fake.publishApp(ManifestId);
    auto chatA = fake.installAndGetChat(g, dir::Alice, catalogId);
    auto chatB = fake.installAndGetChat(g, dir::Bob, catalogId);
    int ok = 0, limited = 0;
    for (int i = 0; i < 8; ++i) {
        auto r = fake.bot("POST", "/emea/v3/conversations/" + (i % 2 ? chatA : chatB) + "/activities/", b,
                          cardActivity("x"));
        (r.status == 201 ? ok : limited)++;
    }
    BOOST_TEST(ok == 5);
    BOOST_TEST(limited == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(faults_and_inspection)

BOOST_FIXTURE_TEST_CASE(injected_statuses_with_retry_after_then_recovery, BotEnv) {
    BOOST_TEST(fake.control("POST", "/_fake/faults",
                            R"([{"route":"graph","status":429,"count":2,"retryAfter":3},
                                {"route":"bot.post","status":503,"count":1,"retryAfter":"Wed, 21 Oct 2015 07:28:00 GMT"},
                                {"route":"bot.put","status":412,"count":1}])").status == 200);
    for (int i = 0; i < 2; ++i) {
        auto r = fake.graph("GET", "/v1.0/users", graphToken);
        BOOST_TEST(r.status == 429);
        BOOST_TEST(r.header("retry-after") == "3");
        BOOST_TEST(graphErrorCode(r) == "TooManyRequests");
    }
    BOOST_TEST(fake.graph("GET", "/v1.0/users", graphToken).status == 200);
    auto unavailable = fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("x"));
    BOOST_TEST(unavailable.status == 503);
    BOOST_TEST(unavailable.header("retry-after") == "Wed, 21 Oct 2015 07:28:00 GMT");
    auto post = fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("x"));
    BOOST_TEST(post.status == 201);
    auto id = parseObject(post.body)->getValue<std::string>("id");
    BOOST_TEST(fake.bot("PUT", "/emea/v3/conversations/" + chat + "/activities/" + id, botToken, cardActivity("y")).status == 412);
    BOOST_TEST(fake.bot("PUT", "/emea/v3/conversations/" + chat + "/activities/" + id, botToken, cardActivity("y")).status == 200);

    auto stats = parseObject(fake.control("GET", "/_fake/stats").body)->getObject("routes");
    BOOST_TEST(stats->getObject("graph.users")->getValue<int>("429") == 2);
    BOOST_TEST(stats->getObject("bot.post")->getValue<int>("503") == 1);
    BOOST_TEST(stats->getObject("bot.put")->getValue<int>("412") == 1);
}

BOOST_FIXTURE_TEST_CASE(faults_can_target_one_conversation, BotEnv) {
    auto bobChat = fake.installAndGetChat(graphToken, dir::Bob, catalogId);
    fake.control("POST", "/_fake/faults",
                 R"({"route":"bot","status":500,"count":100,"conversation":")" + bobChat + R"("})");
    BOOST_TEST(fake.bot("POST", "/emea/v3/conversations/" + bobChat + "/activities/", botToken, cardActivity("x")).status == 500);
    BOOST_TEST(fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("x")).status == 201);
}

BOOST_FIXTURE_TEST_CASE(connection_reset_latency_token_failure_and_other_2xx, BotEnv) {
    fake.control("POST", "/_fake/faults", R"({"route":"graph.users","reset":true})");
    auto reset = fake.graph("GET", "/v1.0/users", graphToken);
    BOOST_TEST(reset.curlCode != 0);
    BOOST_TEST(reset.status == 0);

    fake.control("POST", "/_fake/faults", R"({"route":"bot","latencyMs":300})");
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("x")).status == 201);
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 300ms));
    fake.control("POST", "/_fake/faults", R"({"route":"bot","latencyMs":0})");

    fake.control("POST", "/_fake/faults", R"({"route":"token","status":503})");
    BOOST_TEST(fake.tokenRequest(dir::AppId, dir::AppSecret, GraphScope).status == 503);
    BOOST_TEST(fake.tokenRequest(dir::AppId, dir::AppSecret, GraphScope).status == 200);

    fake.control("POST", "/_fake/faults", R"({"route":"bot.post","status":202})");
    BOOST_TEST(fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("x")).status == 202);

    BOOST_TEST(fake.control("POST", "/_fake/faults", R"({"status":99})").status == 400);
    BOOST_TEST(fake.control("POST", "/_fake/faults", "nope").status == 400);
}

BOOST_FIXTURE_TEST_CASE(reset_clears_conversations_and_counters, BotEnv) {
    fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, cardActivity("x"));
    auto convs = parseObject(fake.control("GET", "/_fake/conversations").body)->getArray("conversations");
    BOOST_TEST(convs->size() == 1u);
    BOOST_TEST(convs->getObject(0)->getValue<std::string>("name") == "Alice Example");
    BOOST_TEST(convs->getObject(0)->getValue<std::string>("kind") == "personal");
    auto since = parseObject(fake.control("GET", "/_fake/activities").body)->getValue<uint64_t>("version");
    BOOST_TEST(parseObject(fake.control("GET", "/_fake/activities?since=" + std::to_string(since)).body)
                   ->getArray("activities")->size() == 0u);
    BOOST_TEST(fake.control("POST", "/_fake/reset", "{}").status == 200);
    BOOST_TEST(parseObject(fake.control("GET", "/_fake/activities").body)->getArray("activities")->size() == 0u);
    BOOST_TEST(parseObject(fake.control("GET", "/_fake/stats").body)->getObject("routes")->size() == 0u);
    // The catalog survives a plain reset.
    BOOST_TEST(parseObject(fake.control("GET", "/_fake/catalog").body)->getArray("apps")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(tls_with_its_own_ca) {
    TempDir tmp;
    FakeGraph fake(tmp.path(), {"--tls-dir", tmp / "tls"});
    BOOST_TEST(fake.url().rfind("https://127.0.0.1:", 0) == 0u);
    BOOST_REQUIRE(!fake.caFile().empty());
    BOOST_TEST(fake.tokenRequest(dir::AppId, dir::AppSecret, GraphScope).status == 200);
    // Without our CA, verification fails: the client's TLS checks are exercised.
    HttpRequest r;
    r.url = fake.url() + "/_fake/stats";
    r.caFile = "/etc/ssl/certs/ca-certificates.crt";
    auto untrusted = httpDo(r);
    BOOST_TEST(untrusted.curlCode == 60);  // CURLE_PEER_FAILED_VERIFICATION
}

BOOST_AUTO_TEST_SUITE_END()

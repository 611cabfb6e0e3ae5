// Retries, Retry-After, token refresh and error reporting of Microsoft API calls.
#define BOOST_TEST_MODULE api_caller
#include <boost/test/unit_test.hpp>
#include <boost/trompeloeil.hpp>

#include "mocks/fake_clock.h"
#include "mocks/mock_http_transport.h"
#include "msapi/api_caller.h"
#include "msapi/bot_client.h"
#include "msapi/graph_client.h"

using namespace tmsteams;
using namespace tmsteams::testing;
using namespace std::chrono_literals;
using trompeloeil::_;

namespace {

msapi::HttpResponse respond(int status, std::string body = "", std::map<std::string, std::string> headers = {}) {
    msapi::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

msapi::HttpResponse tokenResponse(const std::string& token) {
    return respond(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":")" + token + "\"}");
}

bool isToken(const msapi::HttpRequest& r) { return r.url.find("/oauth2/v2.0/token") != std::string::npos; }

struct Fixture {
    MockHttpTransport http;
    FakeClock clock;
    msapi::TokenCache tokens{http, clock, {"https://login.example", "tenant", "app", "s3cr&t+"},
                             "https://graph.microsoft.com/.default"};
    msapi::RetryPolicy policy;
    msapi::ApiCaller caller{http, clock, tokens, policy};

    msapi::ApiCall call(std::vector<int> expected = {200}) {
        return {"test call", "POST", "https://graph.example/v1.0/x", R"({"a":1})", "application/json", expected,
                clock.steadyNow() + 10min, {}};
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(honours_retry_after_seconds_on_429_and_rebuilds_the_body, Fixture) {
    trompeloeil::sequence seq;
    REQUIRE_CALL(http, send(trompeloeil::_)).WITH(isToken(_1)).IN_SEQUENCE(seq).RETURN(tokenResponse("t1"));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1) && _1.body == R"({"a":1})").IN_SEQUENCE(seq)
        .RETURN(respond(429, R"({"error":{"code":"TooManyRequests","message":"slow down"}})", {{"retry-after", "7"}}));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1) && _1.body == R"({"a":1})").IN_SEQUENCE(seq)
        .RETURN(respond(200, "{}"));
    auto r = caller.call(call());
    BOOST_TEST(r.ok());
    BOOST_TEST(clock.totalSlept().count() == 7000);
    BOOST_TEST(caller.stats().throttled.load() == 1u);
    BOOST_TEST(caller.stats().retries.load() == 1u);
}

BOOST_FIXTURE_TEST_CASE(retry_after_as_http_date, Fixture) {
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t1"));
    trompeloeil::sequence seq;
    // FakeClock's wall time is 2027-01-15T08:00:00Z; ask for 30 s later.
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1)).IN_SEQUENCE(seq)
        .RETURN(respond(503, "", {{"retry-after", "Fri, 15 Jan 2027 08:00:30 GMT"}}));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1)).IN_SEQUENCE(seq).RETURN(respond(200, "{}"));
    BOOST_TEST(caller.call(call()).ok());
    BOOST_TEST(clock.totalSlept().count() == 30000);
}

BOOST_FIXTURE_TEST_CASE(backs_off_exponentially_without_retry_after, Fixture) {
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t1"));
    trompeloeil::sequence seq;
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1)).IN_SEQUENCE(seq).TIMES(3).RETURN(respond(500, "oops"));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1)).IN_SEQUENCE(seq).RETURN(respond(200, "{}"));
    BOOST_TEST(caller.call(call()).ok());
    auto s = clock.sleeps();
    BOOST_REQUIRE(s.size() == 3u);
    // Each delay is in [d/2, d] for d = 250, 500, 1000 ms.
    BOOST_TEST((s[0] >= 125ms && s[0] <= 250ms));
    BOOST_TEST((s[1] >= 250ms && s[1] <= 500ms));
    BOOST_TEST((s[2] >= 500ms && s[2] <= 1000ms));
}

BOOST_FIXTURE_TEST_CASE(other_4xx_are_final_with_microsofts_code_and_message, Fixture) {
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t1"));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1))
        .RETURN(respond(403, R"({"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}})"));
    auto r = caller.call(call());
    BOOST_TEST(r.status().code() == absl::StatusCode::kPermissionDenied);
    BOOST_TEST(std::string(r.status().message()) ==
               "test call: HTTP 403 Authorization_RequestDenied: Insufficient privileges");
    BOOST_TEST(clock.totalSlept().count() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_401_drops_the_token_and_retries_once, Fixture) {
    trompeloeil::sequence seq;
    REQUIRE_CALL(http, send(_)).WITH(isToken(_1)).IN_SEQUENCE(seq).RETURN(tokenResponse("old"));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1) && _1.headers[0].second == "Bearer old").IN_SEQUENCE(seq)
        .RETURN(respond(401, R"({"error":{"code":"InvalidAuthenticationToken","message":"expired"}})"));
    REQUIRE_CALL(http, send(_)).WITH(isToken(_1)).IN_SEQUENCE(seq).RETURN(tokenResponse("new"));
    REQUIRE_CALL(http, send(_)).WITH(!isToken(_1) && _1.headers[0].second == "Bearer new").IN_SEQUENCE(seq)
        .RETURN(respond(401, R"({"error":{"code":"InvalidAuthenticationToken","message":"still"}})"));
    auto r = caller.call(call());
    BOOST_TEST(r.status().code() == absl::StatusCode::kUnauthenticated);
    BOOST_TEST(std::string(r.status().message()).find("new") == std::string::npos);  // no token in errors
}

BOOST_FIXTURE_TEST_CASE(the_deadline_bounds_retries, Fixture) {
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t1"));
    ALLOW_CALL(http, send(_)).WITH(!isToken(_1)).RETURN(respond(429, "", {{"retry-after", "30"}}));
    auto c = call();
    c.deadline = clock.steadyNow() + 45s;
    auto r = caller.call(c);
    BOOST_TEST(r.status().code() == absl::StatusCode::kUnavailable);
    BOOST_TEST(clock.totalSlept().count() == 30000);  // one wait fits, the second would not
}

BOOST_FIXTURE_TEST_CASE(bad_secret_is_final_and_never_echoed, Fixture) {
    REQUIRE_CALL(http, send(_)).WITH(isToken(_1) && _1.body.find("client_secret=s3cr%26t%2B") != std::string::npos)
        .RETURN(respond(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"})"));
    auto r = caller.call(call());
    BOOST_TEST(r.status().code() == absl::StatusCode::kUnauthenticated);
    std::string msg(r.status().message());
    BOOST_TEST(msg.find("invalid_client: AADSTS7000215: Invalid client secret provided.") != std::string::npos, msg);
    BOOST_TEST(msg.find("s3cr") == std::string::npos);
    BOOST_TEST(msg.find("Trace ID") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(tokens_are_cached_until_a_minute_before_expiry, Fixture) {
    REQUIRE_CALL(http, send(_)).WITH(isToken(_1)).TIMES(2).RETURN(tokenResponse("t"));
    ALLOW_CALL(http, send(_)).WITH(!isToken(_1)).RETURN(respond(200, "{}"));
    BOOST_TEST(caller.call(call()).ok());
    clock.advance(3500s);
    BOOST_TEST(caller.call(call()).ok());  // 3599 - 60 s not yet reached
    clock.advance(100s);
    BOOST_TEST(caller.call(call()).ok());  // renewed
    BOOST_TEST(tokens.refreshes() == 2u);
}

BOOST_FIXTURE_TEST_CASE(graph_filters_quote_odata_literals, Fixture) {
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t"));
    REQUIRE_CALL(http, send(_))
        .WITH(_1.url == "https://graph.example/v1.0/users?%24filter=mail%20eq%20%27o%27%27neil%40x.example%27")
        .RETURN(respond(200, R"({"value":[{"id":"u1","mail":"o'neil@x.example"}]})"));
    msapi::GraphClient graph(caller, "https://graph.example/v1.0");
    auto user = graph.getUserByEmail("o'neil@x.example", {clock.steadyNow() + 1min, {}});
    BOOST_REQUIRE(user.ok());
    BOOST_TEST(user->id == "u1");
}

BOOST_FIXTURE_TEST_CASE(email_falls_back_to_user_principal_name, Fixture) {
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t"));
    trompeloeil::sequence seq;
    REQUIRE_CALL(http, send(_)).WITH(_1.url.find("mail%20eq") != std::string::npos).IN_SEQUENCE(seq)
        .RETURN(respond(200, R"({"value":[]})"));
    REQUIRE_CALL(http, send(_)).WITH(_1.url.find("userPrincipalName%20eq") != std::string::npos).IN_SEQUENCE(seq)
        .RETURN(respond(200, R"({"value":[{"id":"u2"}]})"));
    msapi::GraphClient graph(caller, "https://graph.example/v1.0");
    BOOST_TEST(graph.getUserByEmail("dave@x.example", {clock.steadyNow() + 1min, {}})->id == "u2");
}

BOOST_AUTO_TEST_CASE(bot_412_is_retried_only_for_the_bot_framework) {
    MockHttpTransport http;
    FakeClock clock;
    msapi::TokenCache tokens(http, clock, {"https://login.example", "t", "a", "s"}, "bot");
    msapi::RetryPolicy policy;
    policy.retryPreconditionFailed = true;
    msapi::ApiCaller caller(http, clock, tokens, policy);
    msapi::BotClient bot(caller, "https://smba.example/emea");
    ALLOW_CALL(http, send(_)).WITH(isToken(_1)).RETURN(tokenResponse("t"));
    trompeloeil::sequence seq;
    REQUIRE_CALL(http, send(_)).WITH(_1.method == "PUT" && _1.url == "https://smba.example/emea/v3/conversations/19:c@thread.tacv2/activities/42")
        .IN_SEQUENCE(seq).RETURN(respond(412, R"({"error":{"code":"PreconditionFailed","message":"busy"}})"));
    REQUIRE_CALL(http, send(_)).WITH(_1.method == "PUT").IN_SEQUENCE(seq).RETURN(respond(200, R"({"id":"42"})"));
    BOOST_TEST(bot.updateActivity("19:c@thread.tacv2", "42", "{}", {clock.steadyNow() + 1min, {}}).ok());
}

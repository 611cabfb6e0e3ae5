// Bot Framework token validation against keys published the way the Bot Framework publishes
// them (the fake's signer mints the tokens, with real time stamps).
#define BOOST_TEST_MODULE bot_auth
#include <boost/test/unit_test.hpp>
#include <boost/trompeloeil.hpp>

#include "bot_signer.h"
#include "mocks/mock_http_transport.h"
#include "common/base64.h"
#include "msapi/bot_auth.h"

using namespace tmsteams;
using namespace tmsteams::testing;
using trompeloeil::_;

namespace {

const std::string AppId = "8f3e2a71-5c4b-4d9e-b6a0-1e2f3a4b5c6d";
const std::string ServiceUrl = "https://smba.trafficmanager.net/emea/";
const std::string MetadataUrl = "https://login.botframework.com/v1/.well-known/openidconfiguration";
const std::string KeysUrl = "https://login.botframework.com/v1/.well-known/keys";

// The Bot Framework's metadata and key set, as a transport that counts key fetches.
struct Published {
    MockHttpTransport http;
    std::string jwks;
    int keyFetches = 0;
    std::unique_ptr<trompeloeil::expectation> meta, keys;

    explicit Published(const fakegraph::BotSigner& signer) : jwks(signer.jwks()) {
        meta = NAMED_ALLOW_CALL(http, send(_))
                   .WITH(_1.url == MetadataUrl)
                   .RETURN(msapi::HttpResponse{200, "", false, {}, R"({"jwks_uri":")" + KeysUrl + "\"}"});
        keys = NAMED_ALLOW_CALL(http, send(_))
                   .WITH(_1.url == KeysUrl)
                   .SIDE_EFFECT(++keyFetches)
                   .RETURN(msapi::HttpResponse{200, "", false, {}, jwks});
    }
};

struct Fixture {
    fakegraph::BotSigner signer;
    Published pub{signer};
    common::SystemClock clock;
    msapi::BotAuthenticator auth{pub.http, clock, {MetadataUrl, "https://api.botframework.com", AppId}};

    absl::Status check(const std::string& forge, const std::string& channel = "msteams") {
        return auth.authenticate(signer.authorization(AppId, ServiceUrl, forge), ServiceUrl, channel);
    }
};

// Real time (the signer stamps real time) that a test can move forward.
class ShiftedClock final : public common::Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now() + shift; }
    std::chrono::steady_clock::time_point steadyNow() const override {
        return std::chrono::steady_clock::now() + shift;
    }
    bool sleepFor(std::chrono::milliseconds, std::stop_token) override { return true; }
    std::chrono::seconds shift{0};
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_token_from_the_bot_framework_is_accepted_and_keys_are_cached, Fixture) {
    BOOST_TEST(check("").ok(), check("").message());
    BOOST_TEST(check("").ok());
    BOOST_TEST(pub.keyFetches == 1);
}

BOOST_FIXTURE_TEST_CASE(every_forgery_is_refused_with_a_reason, Fixture) {
    // Each forgery of the fake's table (the tenant one is the activity's, checked by the endpoint).
    const std::map<std::string, std::string> reasons = {
        {"wrong-key", "signature"},       {"wrong-audience", "audience"},     {"wrong-issuer", "issuer"},
        {"expired", "expired"},           {"unendorsed", "endorsed"},         {"wrong-serviceurl", "serviceurl"},
        {"webchat-channel", "not from Microsoft Teams"}, {"no-endorsements", "not endorsed"},
        {"string-exp", "numeric exp"},    {"string-nbf", "nbf claim is not a number"},
        {"long-alg", "signing algorithm"},
    };
    BOOST_TEST(reasons.size() + 1 == fakegraph::BotSigner::forgeries().size());
    for (const auto& [forge, reason] : reasons) {
        auto s = check(forge, fakegraph::BotSigner::channelFor(forge));
        BOOST_TEST(s.code() == absl::StatusCode::kUnauthenticated, forge);
        BOOST_TEST(std::string(s.message()).find(reason) != std::string::npos, forge << ": " << s.message());
        BOOST_TEST(std::string(s.message()).find("eyJ") == std::string::npos);  // never the token
    }
    // A token for another channel than its key is endorsed for.
    BOOST_TEST(!check("", "webchat").ok());
}

BOOST_FIXTURE_TEST_CASE(unauthenticated_header_values_reach_the_reason_only_as_a_short_prefix, Fixture) {
    auto s = check("long-alg");
    const std::string why(s.message());
    BOOST_TEST(why.find("SECRET-TAIL") == std::string::npos, why);
    BOOST_TEST(why.size() < 80u, why);
}

BOOST_FIXTURE_TEST_CASE(malformed_headers_are_refused, Fixture) {
    const std::string good = signer.authorization(AppId, ServiceUrl, "");
    for (const std::string& bad : {std::string(""), std::string("Basic abc"), std::string("Bearer "),
                                   std::string("Bearer a.b"), std::string("Bearer !!.??.**"),
                                   good.substr(0, good.size() - 10), good + ".extra"}) {
        BOOST_TEST(!auth.authenticate(bad, ServiceUrl, "msteams").ok(), bad.substr(0, 20));
    }
    // The serviceUrl of the activity must be the one the token was issued for.
    BOOST_TEST(!auth.authenticate(good, "https://attacker.example/", "msteams").ok());
}

BOOST_AUTO_TEST_CASE(rotated_keys_are_fetched_when_an_unknown_key_id_appears) {
    fakegraph::BotSigner before("old");
    fakegraph::BotSigner after("new");
    Published pub(before);
    ShiftedClock clock;
    msapi::BotAuthenticator auth(pub.http, clock, {MetadataUrl, "https://api.botframework.com", AppId});
    BOOST_TEST(auth.authenticate(before.authorization(AppId, ServiceUrl, ""), ServiceUrl, "msteams").ok());
    pub.jwks = after.jwks();  // the Bot Framework rotated its keys (the key set is read per fetch)
    // Unknown key ids within a minute of a fetch do not fetch again (no one can make us hammer
    // the endpoint); after that they do.
    BOOST_TEST(!auth.authenticate(after.authorization(AppId, ServiceUrl, ""), ServiceUrl, "msteams").ok());
    BOOST_TEST(pub.keyFetches == 1);
    clock.shift = std::chrono::seconds(61);
    auto s = auth.authenticate(after.authorization(AppId, ServiceUrl, ""), ServiceUrl, "msteams");
    BOOST_TEST(s.ok(), s.message());
    BOOST_TEST(pub.keyFetches == 2);
}

// Tokens no signer made: alg none, an HMAC "signed" with a public key, no key id.
BOOST_FIXTURE_TEST_CASE(unsigned_and_symmetric_tokens_are_refused, Fixture) {
    const std::string claims = common::base64UrlEncode(R"({"iss":"https://api.botframework.com","aud":")" + AppId +
                                      R"(","exp":9999999999,"serviceurl":")" + ServiceUrl + "\"}");
    for (const std::string header : {R"({"alg":"none","kid":"fake-teams-1"})", R"({"alg":"HS256","kid":"fake-teams-1"})",
                                     R"({"alg":"RS256"})"}) {
        const std::string token = "Bearer " + common::base64UrlEncode(header) + "." + claims + "." + common::base64UrlEncode("sig");
        auto s = auth.authenticate(token, ServiceUrl, "msteams");
        BOOST_TEST(!s.ok(), header);
    }
    BOOST_TEST(!auth.authenticate("Bearer " + common::base64UrlEncode(R"({"alg":"none"})") + "." + claims + ".", ServiceUrl, "msteams").ok());
}

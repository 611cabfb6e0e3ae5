// Approve and Deny from Teams ([review]): the fake Microsoft service plays Teams, sending card
// actions (Action.Execute invokes) signed with keys it publishes as Bot Framework OpenID
// metadata; the fake Auth Service knows people, their traits and review permissions.
#define BOOST_TEST_MODULE teams_review
#include <boost/test/unit_test.hpp>

#include "bot_signer.h"

#include <Poco/JSON/Parser.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "support/http_client.h"
#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

const std::string Erin = "f5a7c9e1-4e6b-4a8c-9d0f-2b3e5a7c9e14";  // in Teams, not linked to Teleport

struct Answer {
    int status = 0;      // the bot endpoint's HTTP status
    std::string type;    // the invoke response type
    std::string value;   // its value: the card (JSON) or the message
};

// Bob reviews (trait links him to "bob"); Alice is linked to "alice", who may not review.
struct ReviewEnv {
    PluginEnv env;
    std::string endpoint;
    std::string ca;

    static PluginEnv::Options options(const std::vector<std::string>& clusterArgs = {}) {
        PluginEnv::Options o;
        o.authArgs = {"--user", "admin=admin", "--user", "teleport-msteams=plugin-review",
                      "--person", "bob:reviewer:msteams_uid=" + dir::Bob,
                      "--person", "alice:requester:msteams_uid=" + dir::Alice,
                      "--person", "carol:requester"};
        o.authArgs.insert(o.authArgs.end(), clusterArgs.begin(), clusterArgs.end());
        return o;
    }

    explicit ReviewEnv(const std::vector<std::string>& clusterArgs = {}) : env(options(clusterArgs)) {
        const std::string d = env.dir().path();
        ca = d + "/bot-cert.pem";
        auto r = runCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/bot-key.pem",
                             "-out", ca, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                             "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"},
                            30s);
        BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
        env.writeConfig("[review]\nenabled = true\nlisten = \"127.0.0.1:0\"\ntls_cert = \"" + ca +
                        "\"\ntls_key = \"" + d + "/bot-key.pem\"\nopenid_metadata = \"" + env.graph().url() +
                        "/v1/.well-known/openidconfiguration\"\n[http]\nlisten = \"127.0.0.1:0\"\n");
        auto& daemon = env.startDaemon();
        std::smatch m;
        std::string log = daemon.stderrText();
        BOOST_REQUIRE_MESSAGE(std::regex_search(log, m, std::regex("bot endpoint listening for reviews from Teams addr=(\\S+)")),
                              log);
        endpoint = "https://" + m[1].str() + "/api/messages";
    }

    Answer act(const std::string& user, const std::string& verb, const std::string& requestId,
               const std::string& extra = "") {
        std::string body = "{\"user\":\"" + user + "\",\"verb\":\"" + verb + "\",\"requestId\":\"" + requestId +
                           "\",\"endpoint\":\"" + endpoint + "\",\"ca\":\"" + ca + "\"" + extra + "}";
        auto r = env.graph().control("POST", "/_fake/invoke", body);
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        Poco::JSON::Parser p;
        auto o = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
        Answer a;
        a.status = o->getValue<int>("status");
        if (a.status == 200) {
            Poco::JSON::Parser q;
            auto reply = q.parse(o->getValue<std::string>("body")).extract<Poco::JSON::Object::Ptr>();
            a.type = reply->optValue<std::string>("type", "");
            if (reply->isObject("value")) {
                std::ostringstream os;
                reply->getObject("value")->stringify(os);
                a.value = os.str();
            } else {
                a.value = reply->optValue<std::string>("value", "");
            }
        }
        return a;
    }

    std::string request(const std::string& id) {
        return env.auth().tctlOk({"request", "get", id});
    }
};

size_t reviewsIn(const std::string& requestJson) {
    size_t n = 0;
    for (size_t at = requestJson.find("\"Author\""); at != std::string::npos; at = requestJson.find("\"Author\"", at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(approve_in_the_card_approves_the_request_and_every_card_follows) {
    ReviewEnv r;
    auto id = r.env.createRequest("carol", "editor", {"--reason", "deploy the fix"});
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));
    const auto posted = r.env.cardsFor(id).front();
    BOOST_TEST(posted.contains("\"refresh\""));  // Teams asks each viewer's own card
    BOOST_TEST(posted.contains("\"version\":\"1.5\""));
    BOOST_TEST(!posted.contains("\"verb\":\"approve\""));  // the shared card is read-only

    auto view = r.act(dir::Bob, "refreshCard", id);
    BOOST_TEST(view.type == "application/vnd.microsoft.card.adaptive");
    BOOST_TEST(view.value.find("\"verb\":\"approve\"") != std::string::npos, view.value);
    BOOST_TEST(view.value.find("\"verb\":\"deny\"") != std::string::npos);

    auto done = r.act(dir::Bob, "approve", id, ",\"reason\":\"ship it\"");
    BOOST_TEST(done.status == 200);
    BOOST_TEST(done.type == "application/vnd.microsoft.card.adaptive", done.value);
    BOOST_TEST(done.value.find("APPROVED") != std::string::npos);
    const std::string after = r.request(id);
    BOOST_TEST(after.find("\"State\": \"APPROVED\"") != std::string::npos, after);
    BOOST_TEST(after.find("\"Author\": \"bob\"") != std::string::npos, after);
    BOOST_TEST(after.find("ship it") != std::string::npos);
    BOOST_TEST(after.find("\"SubmittedBy\": \"teleport-msteams\"") != std::string::npos, after);
    BOOST_TEST(r.env.waitForCards(id, 1, "APPROVED"));
    // Every card posted (with buttons and the refresh clause) passes Microsoft's library.
    auto judged = r.env.judgeCards();
    BOOST_TEST(judged.exitCode == 0, judged.out + judged.err);
}

BOOST_AUTO_TEST_CASE(deny_in_the_card_denies_the_request) {
    ReviewEnv r;
    auto id = r.env.createRequest("carol", "editor");
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));
    auto done = r.act(dir::Bob, "deny", id, ",\"reason\":\"not today\"");
    BOOST_TEST(done.type == "application/vnd.microsoft.card.adaptive");
    BOOST_TEST(r.request(id).find("\"State\": \"DENIED\"") != std::string::npos);
    BOOST_TEST(r.env.waitForCards(id, 1, "DENIED"));
}

BOOST_AUTO_TEST_CASE(forged_tokens_unknown_users_and_reviewers_without_permission_submit_nothing) {
    ReviewEnv r;
    auto id = r.env.createRequest("carol", "editor");
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));
    // Every forgery in the fake's table: Microsoft's validator refuses them all (js judge), and so do we.
    for (const std::string& forge : tmsteams::fakegraph::BotSigner::forgeries()) {
        auto a = r.act(dir::Bob, "approve", id, ",\"forge\":\"" + forge + "\"");
        BOOST_TEST((a.status == 401 || (forge == "no-tenant" && a.status == 403)), forge << ": " << a.status);
    }
    auto unknown = r.act(Erin, "approve", id);
    BOOST_TEST(unknown.type == "application/vnd.microsoft.activity.message");
    BOOST_TEST(unknown.value.find("not linked to a Teleport user") != std::string::npos, unknown.value);
    auto noRight = r.act(dir::Alice, "approve", id);
    BOOST_TEST(noRight.value.find("does not allow you to review") != std::string::npos, noRight.value);
    // Erin sees a read-only card; the refresh gives no buttons to someone who cannot act.
    auto erinView = r.act(Erin, "refreshCard", id);
    BOOST_TEST(erinView.value.find("\"verb\":\"approve\"") == std::string::npos);
    const std::string req = r.request(id);
    BOOST_TEST(reviewsIn(req) == 0u, req);
    BOOST_TEST(req.find("\"State\": \"PENDING\"") != std::string::npos);
    const std::string log = r.env.daemon().stderrText();
    BOOST_TEST(log.find("refused an activity at the bot endpoint") != std::string::npos);
    BOOST_TEST(log.find("eyJ") == std::string::npos);  // tokens never reach the log
    BOOST_TEST(log.find("SECRET-TAIL") == std::string::npos);  // nor more than a prefix of a header
    BOOST_TEST(log.find("names no tenant") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_replayed_action_is_refused_and_thresholds_show_progress) {
    ReviewEnv r;
    auto id = r.env.createRequest("carol", "editor", {"--approvals", "2"});
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));
    auto first = r.act(dir::Bob, "approve", id, ",\"id\":\"activity-1\"");
    BOOST_TEST(first.type == "application/vnd.microsoft.card.adaptive");
    BOOST_TEST(first.value.find("1 of 2") != std::string::npos, first.value);
    auto replay = r.act(dir::Bob, "approve", id, ",\"id\":\"activity-1\"");
    BOOST_TEST(replay.value.find("already handled") != std::string::npos, replay.value);
    auto again = r.act(dir::Bob, "approve", id);
    BOOST_TEST(again.value.find("already reviewed") != std::string::npos, again.value);
    const std::string req = r.request(id);
    BOOST_TEST(reviewsIn(req) == 1u, req);
    BOOST_TEST(req.find("\"State\": \"PENDING\"") != std::string::npos);
    // Every card shows the progress, still PENDING.
    BOOST_TEST(eventually([&] {
        auto cards = r.env.cardsFor(id);
        return cards.size() == 1 && cards[0].status() == "PENDING" && cards[0].contains("1 of 2");
    }, 20s));
}

BOOST_AUTO_TEST_CASE(a_reviewer_clicks_approve_in_the_browser_view) {
    ReviewEnv r;
    auto set = r.env.graph().control("POST", "/_fake/bot-endpoint",
                                     "{\"endpoint\":\"" + r.endpoint + "\",\"ca\":\"" + r.ca + "\"}");
    BOOST_REQUIRE(set.status == 200);
    auto id = r.env.createRequest("carol", "editor", {"--reason", "clicked in the browser"});
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));  // Bob's chat
    auto browser = runCommand({"node", binaryPath("CLICK_APPROVE_SCRIPT"), r.env.graph().url() + "/",
                               r.env.dir().path(), "approved from the browser"},
                              90s);
    BOOST_TEST(browser.exitCode == 0, browser.out + browser.err);
    const std::string after = r.request(id);
    BOOST_TEST(after.find("\"State\": \"APPROVED\"") != std::string::npos, after);
    BOOST_TEST(after.find("approved from the browser") != std::string::npos);
    BOOST_TEST(r.env.waitForCards(id, 1, "APPROVED"));
    const std::string shots = binaryPath("SCREENSHOT_DIR");
    std::filesystem::create_directories(shots);
    for (const char* shot : {"approve-1.png", "approve-2.png"}) {
        std::filesystem::copy_file(r.env.dir() / shot, shots + "/" + shot,
                                   std::filesystem::copy_options::overwrite_existing);
    }
}

BOOST_AUTO_TEST_CASE(long_term_requests_keep_the_web_link_only) {
    ReviewEnv r;
    auto id = r.env.createRequest("carol", "editor", {"--long-term"});
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));
    BOOST_TEST(!r.env.cardsFor(id).front().contains("\"refresh\""));
    auto view = r.act(dir::Bob, "refreshCard", id);
    BOOST_TEST(view.value.find("\"verb\":\"approve\"") == std::string::npos);
    auto a = r.act(dir::Bob, "approve", id);
    BOOST_TEST(a.value.find("promotion to an access list") != std::string::npos, a.value);
    BOOST_TEST(reviewsIn(r.request(id)) == 0u);
}

// Every published Teleport refuses a review whose author is not the caller (reviews on behalf of
// users are a draft, RFD 250). There, Approve tells the reviewer where to review instead, the
// admin reads one error with the fix, and notifications carry on.
BOOST_AUTO_TEST_CASE(a_cluster_without_reviews_on_behalf_of_users_sends_reviewers_to_the_web_ui) {
    ReviewEnv r({"--without-submit-for-users"});
    auto id = r.env.createRequest("carol", "editor");
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));
    auto first = r.act(dir::Bob, "approve", id);
    BOOST_TEST(first.type == "application/vnd.microsoft.activity.message");
    BOOST_TEST(first.value.find("does not accept reviews from Teams") != std::string::npos, first.value);
    BOOST_TEST(first.value.find("/web/requests/" + id) != std::string::npos, first.value);
    auto second = r.act(dir::Bob, "deny", id);
    BOOST_TEST(second.value.find("does not accept reviews from Teams") != std::string::npos, second.value);
    BOOST_TEST(reviewsIn(r.request(id)) == 0u);
    const std::string log = r.env.daemon().stderrText();
    const auto once = log.find("refuses reviews submitted on behalf of users");
    BOOST_TEST(once != std::string::npos, log);
    BOOST_TEST(log.find("refuses reviews submitted on behalf of users", once + 1) == std::string::npos);
    const std::string base = "http://" + PluginEnv::statusAddress(r.env.daemon());
    BOOST_TEST(httpGet(base + "/metrics").body.find("teleport_msteams_card_actions_total{outcome=\"on_behalf_unsupported\"} 2") !=
               std::string::npos);
    BOOST_TEST(httpGet(base + "/readyz").status == 200);
    // Notifications still work: a new request gets its card.
    auto next = r.env.createRequest("carol", "editor");
    BOOST_TEST(r.env.waitForCards(next, 1, "PENDING"));
}

// validate finds out, without recording anything, whether Approve and Deny can work on the cluster.
BOOST_AUTO_TEST_CASE(validate_tells_whether_the_cluster_takes_reviews_from_teams) {
    const std::string check = "Teleport accepts reviews from Teams (on behalf of users)";
    {
        ReviewEnv r;
        auto v = runCommand({binaryPath("TELEPORT_MSTEAMS"), "validate", "-c", r.env.configPath(), AliceMail}, 60s);
        BOOST_TEST(v.out.find(check + ": ok") != std::string::npos, v.out);
    }
    {
        ReviewEnv r({"--without-submit-for-users"});
        auto v = runCommand({binaryPath("TELEPORT_MSTEAMS"), "validate", "-c", r.env.configPath(), AliceMail}, 60s);
        BOOST_TEST(v.exitCode == 1);
        BOOST_TEST(v.out.find(check + ": FAILED") != std::string::npos, v.out);
        BOOST_TEST(v.out.find("cannot submit reviews on behalf of") != std::string::npos, v.out);
        BOOST_TEST(v.out.find("turn [review] off") != std::string::npos, v.out);
    }
}

namespace {

// A TCP connection to "host:port" on loopback; -1 on failure.
int connectTo(const std::string& hostPort) {
    const auto colon = hostPort.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(hostPort.substr(colon + 1))));
    ::inet_pton(AF_INET, hostPort.substr(0, colon).c_str(), &a.sin_addr);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// True when the server closed the connection (reads EOF or a reset) within `limit`.
bool closedByServer(int fd, std::chrono::milliseconds limit) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) {
        return false;
    }
    char buf[4096];
    for (;;) {
        auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            return true;
        }
        if (n < 0) {
            return false;
        }
    }
}

}  // namespace

// Slow or idle clients cannot take the endpoints over: while 50 connections trickle a TLS
// handshake one byte at a time, a reviewer's click is answered at once, /healthz answers while
// idle connections sit on the status endpoint, and every slow connection is cut at its deadline.
BOOST_AUTO_TEST_CASE(slow_clients_never_hold_up_a_click_or_the_health_check) {
    ReviewEnv r;
    const std::string botAddr = r.endpoint.substr(8, r.endpoint.find('/', 8) - 8);
    const std::string statusAddr = PluginEnv::statusAddress(r.env.daemon());
    auto id = r.env.createRequest("carol", "editor");
    BOOST_REQUIRE(r.env.waitForCards(id, 1, "PENDING"));

    std::vector<int> slow;
    for (int i = 0; i < 50; ++i) {
        int fd = connectTo(botAddr);
        BOOST_REQUIRE(fd >= 0);
        const char first = 0x16;  // a TLS handshake record begins, and never goes on
        BOOST_REQUIRE(::send(fd, &first, 1, MSG_NOSIGNAL) == 1);
        slow.push_back(fd);
    }
    std::vector<int> idle;
    for (int i = 0; i < 10; ++i) {
        int fd = connectTo(statusAddr);
        BOOST_REQUIRE(fd >= 0);
        idle.push_back(fd);
    }
    std::this_thread::sleep_for(1s);

    const auto health = std::chrono::steady_clock::now();
    BOOST_TEST(httpGet("http://" + statusAddr + "/healthz").status == 200);
    const auto healthTook = std::chrono::steady_clock::now() - health;
    BOOST_TEST(healthTook < 2s, "/healthz took " << std::chrono::duration_cast<std::chrono::milliseconds>(healthTook).count() << " ms");

    const auto click = std::chrono::steady_clock::now();
    auto done = r.act(dir::Bob, "approve", id);
    const auto clickTook = std::chrono::steady_clock::now() - click;
    BOOST_TEST(done.status == 200);
    BOOST_TEST(clickTook < 5s, "the click took " << std::chrono::duration_cast<std::chrono::milliseconds>(clickTook).count() << " ms");

    // Each slow connection is cut 10 s after it opened (status: 5 s); allow for scheduling.
    size_t cut = 0;
    for (int fd : slow) {
        cut += closedByServer(fd, 15s) ? 1 : 0;
        ::close(fd);
    }
    BOOST_TEST(cut == slow.size());
    size_t idleCut = 0;
    for (int fd : idle) {
        idleCut += closedByServer(fd, 10s) ? 1 : 0;
        ::close(fd);
    }
    BOOST_TEST(idleCut == idle.size());
}

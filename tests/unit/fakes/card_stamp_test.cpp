// The fake Teams stamps a card with when Teams took it (arrival plus the route's latency), not with
// when the fake got round to storing it: the benchmark's latencies are these stamps, and the fake's
// own lock is no part of the daemon. Checked on the state, and served over loopback HTTP in-process.
#define BOOST_TEST_MODULE card_stamp
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include "fake_state.h"
#include "http_server.h"

using namespace tmsteams::fakegraph;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_card_posted_while_the_fake_is_busy_keeps_the_moment_teams_took_it) {
    const std::string bot = "b0b0b0b0-0000-4000-8000-000000000001";
    Directory dir;
    dir.tenantId = "t";
    dir.users.push_back({"u1", "u1@example.test", "u1@example.test", "User One", ""});
    FakeState state(dir, std::chrono::seconds(3600), 30, false);
    std::string token;
    {
        std::lock_guard lock(state.mutex());
        CatalogApp app;
        app.externalId = "manifest";
        app.displayName = "app";
        app.botId = bot;
        app.webAppId = bot;
        state.install("u1", state.publish(app).id);
        token = state.issueToken(bot, "t", Audience::Bot);
        state.setLatency("any", 50ms);
    }
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    Poco::Net::HTTPServer server(new FakeRequestHandlerFactory(state, ""), socket, new Poco::Net::HTTPServerParams);
    server.start();

    // Posts one card and returns the fake's answer status.
    const std::string chat = "19:u1_" + bot + "@unq.gbl.spaces";
    const auto post = [&] {
        Poco::Net::HTTPClientSession session("127.0.0.1", socket.address().port());
        session.setTimeout(Poco::Timespan(10, 0));
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/emea/v3/conversations/" + chat + "/activities",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
        req.set("Authorization", "Bearer " + token);
        req.setContentType("application/json");
        const std::string body = R"({"type":"message","text":"hello"})";
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        std::string answer;
        Poco::StreamCopier::copyToString(session.receiveResponse(res), answer);
        return int(res.getStatus());
    };

    // Hold the fake's lock, as a poll of every card does, while the card is posted.
    std::unique_lock busy(state.mutex());
    const int64_t sentMs = tmsteams::fakegraph::nowMs();
    int status = 0;
    std::exception_ptr clientFailure;
    std::thread client([&] {
        try {
            status = post();
        } catch (...) {
            clientFailure = std::current_exception();
        }
    });
    std::this_thread::sleep_for(2000ms);
    const int64_t releasedMs = tmsteams::fakegraph::nowMs();
    busy.unlock();
    client.join();
    server.stop();
    if (clientFailure) {
        std::rethrow_exception(clientFailure);
    }

    BOOST_REQUIRE(status == 201);
    std::lock_guard lock(state.mutex());
    const auto cards = state.activities(chat, 0);
    BOOST_REQUIRE(cards.size() == 1u);
    const int64_t stampMs = cards[0].history.at(0).receivedMs;
    // Taken on arrival plus the 50 ms latency: not before it, and long before the lock was free
    // (a slow sanitizer build may take a while to connect, hence the wide margin).
    BOOST_TEST(stampMs >= sentMs + 50);
    BOOST_TEST(stampMs < releasedMs);
    BOOST_TEST(stampMs - sentMs < 1000);
}

BOOST_AUTO_TEST_CASE(a_card_keeps_the_moment_teams_took_it_not_when_the_fake_stored_it) {
    // The benchmark's latencies are these stamps: a handler that waited for the lock (held by a
    // poll of every card, say) must not make the daemon look slower.
    FakeState state(Directory{}, std::chrono::seconds(3600), 2, true);
    std::lock_guard lock(state.mutex());
    const int64_t tookMs = 1'000'000;  // long before now: storing it now must not change it
    const std::string id = state.addActivity("c1", "{}", tookMs);
    state.updateActivity("c1", id, "{}", tookMs + 50);
    auto cards = state.activities("c1", 0);
    BOOST_REQUIRE(cards.size() == 1u);
    BOOST_REQUIRE(cards[0].history.size() == 2u);
    BOOST_TEST(cards[0].history[0].receivedMs == tookMs);
    BOOST_TEST(cards[0].history[1].receivedMs == tookMs + 50);
}

// Pacing under Teams' limits: bursts are spread over time instead of bouncing off 429s.
#define BOOST_TEST_MODULE bot_pacer
#include <boost/test/unit_test.hpp>

#include "mocks/fake_clock.h"
#include "msapi/bot_pacer.h"

using namespace tmsteams;
using namespace std::chrono_literals;

namespace {
std::chrono::milliseconds since(testing::FakeClock& clock, std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.steadyNow() - start);
}
}  // namespace

BOOST_AUTO_TEST_CASE(seven_per_second_then_eight_per_two_seconds_per_conversation) {
    testing::FakeClock clock;
    msapi::BotPacer pacer(clock);
    auto start = clock.steadyNow();
    std::vector<long> at;
    for (int i = 0; i < 10; ++i) {
        BOOST_REQUIRE(pacer.acquire("19:c", {}, {}));
        at.push_back(since(clock, start).count());
    }
    for (int i = 0; i < 7; ++i) {
        BOOST_TEST(at[static_cast<size_t>(i)] == 0);
    }
    BOOST_TEST(at[7] >= 1000);  // the 8th waits for the 1 s window
    BOOST_TEST(at[8] >= 2000);  // the 9th for the 2 s window (8 per 2 s)
    BOOST_TEST(at[9] >= 2000);
}

BOOST_AUTO_TEST_CASE(sixty_per_thirty_seconds) {
    testing::FakeClock clock;
    msapi::BotPacer pacer(clock);
    auto start = clock.steadyNow();
    for (int i = 0; i < 60; ++i) {
        BOOST_REQUIRE(pacer.acquire("19:c", {}, {}));
    }
    auto sixtieth = since(clock, start);
    BOOST_TEST(sixtieth.count() < 30000);
    BOOST_REQUIRE(pacer.acquire("19:c", {}, {}));
    BOOST_TEST(since(clock, start).count() >= 30000);  // the 61st waits for the 30 s window
}

BOOST_AUTO_TEST_CASE(thirty_per_second_per_app_across_conversations) {
    testing::FakeClock clock;
    msapi::BotPacer pacer(clock);
    auto start = clock.steadyNow();
    for (int i = 0; i < 30; ++i) {
        BOOST_REQUIRE(pacer.acquire("19:c" + std::to_string(i), {}, {}));
    }
    BOOST_TEST(since(clock, start).count() == 0);
    BOOST_REQUIRE(pacer.acquire("19:other", {}, {}));
    BOOST_TEST(since(clock, start).count() >= 1000);
}

BOOST_AUTO_TEST_CASE(no_slot_before_the_deadline_reserves_nothing) {
    testing::FakeClock clock;
    msapi::BotPacer pacer(clock);
    for (int i = 0; i < 7; ++i) {
        BOOST_REQUIRE(pacer.acquire("19:c", {}, {}));
    }
    BOOST_TEST(!pacer.acquire("19:c", clock.steadyNow() + 500ms, {}));
    BOOST_TEST(pacer.plannedDelay("19:c").count() >= 1000);
    BOOST_TEST(pacer.plannedDelay("19:other").count() == 0);
}

// The fake Teams counts bot calls where Teams does: when they arrive, per app and per
// conversation, in sliding windows; a call that waited for the fake's own lock is not penalised.
#define BOOST_TEST_MODULE bot_throttle
#include <boost/test/unit_test.hpp>

#include "fake_state.h"
#include "throttle.h"

using namespace tmsteams::fakegraph;
using namespace std::chrono_literals;

namespace {
const SteadyTime T0 = SteadyTime() + 1000h;
}

BOOST_AUTO_TEST_CASE(thirty_calls_a_second_fit_and_the_thirty_first_waits_for_the_oldest) {
    Throttle t({{30, 1000ms}});
    for (int i = 0; i < 30; ++i) {
        BOOST_TEST(t.waitFor("app", T0 + i * 10ms).count() == 0);
        t.record("app", T0 + i * 10ms);
    }
    // The oldest call (T0) leaves the window at T0 + 1000 ms.
    BOOST_TEST(t.waitFor("app", T0 + 300ms).count() == 700);
    BOOST_TEST(t.waitFor("app", T0 + 1000ms).count() == 0);
}

BOOST_AUTO_TEST_CASE(calls_recorded_out_of_arrival_order_count_by_arrival) {
    // Handlers reach the lock in any order; the history must still answer by arrival time.
    Throttle t({{3, 1000ms}});
    t.record("app", T0 + 20ms);
    t.record("app", T0);
    t.record("app", T0 + 10ms);
    // Three calls in [T0, T0 + 20 ms]: the next fits once T0's leaves, at T0 + 1000 ms.
    BOOST_TEST(t.waitFor("app", T0 + 500ms).count() == 500);
    BOOST_TEST(t.waitFor("app", T0 + 1000ms).count() == 0);
}

BOOST_AUTO_TEST_CASE(a_call_is_judged_by_when_it_arrived_not_when_its_handler_ran) {
    FakeState state(Directory{}, std::chrono::seconds(3600), 2, true);
    std::lock_guard lock(state.mutex());
    // Two calls a second per app. The calls below are admitted in this order, each judged by
    // its arrival stamp: handlers that reach the lock late are not charged for the wait.
    BOOST_TEST(state.admitBotCall("app", "c1", T0 + 100ms).count() == 0);
    BOOST_TEST(state.admitBotCall("app", "c2", T0 + 1150ms).count() == 0);
    // Arrived at T0 + 1050 ms but handled after c2: (T0 + 50, T0 + 1050] holds c1 only.
    BOOST_TEST(state.admitBotCall("app", "c3", T0 + 1050ms).count() == 0);
    // Over budget: c2 and c3 arrived within the last second.
    BOOST_TEST(state.admitBotCall("app", "c4", T0 + 1200ms).count() > 0);
    // A refused call uses no budget: once c3 is a second old, there is room again.
    BOOST_TEST(state.admitBotCall("app", "c4", T0 + 2051ms).count() == 0);
}

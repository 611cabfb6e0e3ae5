// Events of one request run in order; different requests run at the same time.
#define BOOST_TEST_MODULE keyed_executor
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "plugin/keyed_executor.h"

using namespace tmsteams::plugin;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(same_key_runs_in_order_one_at_a_time) {
    KeyedExecutor ex(8);
    std::mutex mu;
    std::vector<int> seen;
    std::atomic<int> running{0};
    std::atomic<int> overlap{0};
    for (int i = 0; i < 50; ++i) {
        ex.submit("req", [&, i] {
            if (running.fetch_add(1) > 0) {
                ++overlap;
            }
            std::this_thread::sleep_for(1ms);
            {
                std::lock_guard lock(mu);
                seen.push_back(i);
            }
            running.fetch_sub(1);
        });
    }
    BOOST_REQUIRE(ex.drain(10s));
    BOOST_TEST(overlap.load() == 0);
    std::vector<int> expected(50);
    for (int i = 0; i < 50; ++i) {
        expected[static_cast<size_t>(i)] = i;
    }
    BOOST_TEST(seen == expected);
}

BOOST_AUTO_TEST_CASE(different_keys_run_concurrently) {
    KeyedExecutor ex(4);
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
    for (int i = 0; i < 4; ++i) {
        ex.submit("req" + std::to_string(i), [&] {
            int now = running.fetch_add(1) + 1;
            int p = peak.load();
            while (now > p && !peak.compare_exchange_weak(p, now)) {
            }
            std::this_thread::sleep_for(100ms);
            running.fetch_sub(1);
        });
    }
    BOOST_REQUIRE(ex.drain(10s));
    BOOST_TEST(peak.load() == 4);
}

BOOST_AUTO_TEST_CASE(a_throwing_task_does_not_stop_the_queue) {
    KeyedExecutor ex(2);
    std::atomic<bool> ran{false};
    ex.submit("k", [] { throw std::runtime_error("boom"); });
    ex.submit("k", [&] { ran = true; });
    BOOST_REQUIRE(ex.drain(5s));
    BOOST_TEST(ran.load());
}

BOOST_AUTO_TEST_CASE(draining_finishes_what_is_queued_and_takes_nothing_new) {
    KeyedExecutor ex(1);
    std::atomic<int> ran{0};
    BOOST_TEST(ex.submit("k", [&] { std::this_thread::sleep_for(50ms); ++ran; }));
    BOOST_TEST(ex.submit("k", [&] { ++ran; }));
    BOOST_REQUIRE(ex.drain(5s));
    BOOST_TEST(ran.load() == 2);
    BOOST_TEST(!ex.submit("k", [&] { ++ran; }));
    std::this_thread::sleep_for(50ms);
    BOOST_TEST(ran.load() == 2);
}

// The fan-out runs a request's calls concurrently on a bounded pool shared by all requests,
// and a batch finishes even when the pool is busy with others.
#define BOOST_TEST_MODULE fan_out
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "plugin/fan_out.h"

using namespace tmsteams::plugin;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(calls_run_concurrently_within_the_bound) {
    FanOut pool(3);
    std::atomic<int> running{0}, most{0}, done{0};
    std::vector<std::function<void()>> tasks;
    for (int i = 0; i < 12; ++i) {
        tasks.push_back([&] {
            int now = ++running;
            for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
            }
            std::this_thread::sleep_for(30ms);
            --running;
            ++done;
        });
    }
    const auto start = std::chrono::steady_clock::now();
    pool.run(std::move(tasks));
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(done == 12);
    BOOST_TEST(most.load() <= 4);  // three workers and the caller
    BOOST_TEST(most.load() >= 2);
    BOOST_TEST(took < 12 * 30ms);  // not one after another
}

BOOST_AUTO_TEST_CASE(a_batch_finishes_while_the_pool_is_busy_elsewhere) {
    FanOut pool(1);
    std::atomic<bool> release{false};
    std::thread busy([&] { pool.run({[&] { while (!release) std::this_thread::sleep_for(1ms); },
                                      [&] { while (!release) std::this_thread::sleep_for(1ms); }}); });
    std::this_thread::sleep_for(50ms);  // the pool's one worker is stuck in the other batch
    std::atomic<int> done{0};
    pool.run({[&] { ++done; }, [&] { ++done; }, [&] { ++done; }});
    BOOST_TEST(done == 3);  // the caller ran its own batch
    release = true;
    busy.join();
}

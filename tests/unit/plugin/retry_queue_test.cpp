// The retry queue is the one owner of retries: it backs off per request, honours a lease's
// end, keeps one pending try per request and forgets a request once it is done.
#define BOOST_TEST_MODULE retry_queue
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <thread>
#include <mutex>
#include <vector>

#include "plugin/retry_queue.h"

using namespace tmsteams::plugin;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(back_off_doubles_per_request_up_to_five_minutes_and_resets_when_done) {
    RetryPolicy p;
    const auto fail = Outcome::retry(absl::UnavailableError("Teleport unreachable"));
    BOOST_TEST(p.next("a", fail)->count() == 5000);
    BOOST_TEST(p.next("a", fail)->count() == 10000);
    BOOST_TEST(p.next("b", fail)->count() == 5000);  // per request
    for (int i = 0; i < 10; ++i) {
        (void)p.next("a", fail);
    }
    BOOST_TEST(p.next("a", fail)->count() == 300000);
    BOOST_TEST(!p.next("a", Outcome::done()).has_value());
    BOOST_TEST(p.next("a", fail)->count() == 5000);
    BOOST_TEST(!p.next("b", Outcome::failed(absl::PermissionDeniedError("no"))).has_value());
    BOOST_TEST(p.tracked() == 1u);
}

BOOST_AUTO_TEST_CASE(a_lease_end_is_honoured_exactly) {
    RetryPolicy p;
    BOOST_TEST(p.next("a", Outcome::retry(absl::OkStatus(), 45s))->count() == 45000);
}

BOOST_AUTO_TEST_CASE(one_pending_try_per_request_the_soonest_wins) {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> fired;
    Scheduler scheduler;
    RetryQueue q(scheduler, [&](const std::string& id) {
        std::lock_guard lock(mu);
        fired.push_back(id);
        cv.notify_all();
    });
    q.take("a", Outcome::retry(absl::OkStatus(), 60s));
    q.take("a", Outcome::retry(absl::OkStatus(), 50ms));   // sooner: replaces the first
    q.take("a", Outcome::retry(absl::OkStatus(), 30s));    // later: covered by the pending one
    q.take("b", Outcome::done());
    BOOST_TEST(q.pending() == 1u);
    std::unique_lock lock(mu);
    BOOST_REQUIRE(cv.wait_for(lock, 5s, [&] { return !fired.empty(); }));
    lock.unlock();
    std::this_thread::sleep_for(200ms);
    lock.lock();
    BOOST_TEST(fired == std::vector<std::string>{"a"});
    BOOST_TEST(q.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_stopped_scheduler_fires_nothing_and_a_later_failure_is_left_to_catch_up) {
    Scheduler scheduler;
    std::atomic<int> fired{0};
    RetryQueue q(scheduler, [&](const std::string&) { ++fired; });
    q.take("a", Outcome::retry(absl::OkStatus(), 100ms));
    scheduler.stop();
    q.take("b", Outcome::retry(absl::OkStatus(), 0ms));
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(fired.load() == 0);
    BOOST_TEST(q.pending() == 1u);  // "a" stays counted: dropped with the process
}

BOOST_AUTO_TEST_CASE(periodic_work_repeats_until_its_owner_is_gone) {
    Scheduler scheduler;
    std::atomic<int> ticks{0};
    {
        Scheduler::Group upkeep(scheduler);
        BOOST_REQUIRE(upkeep.every(20ms, [&] { ++ticks; }));
        std::this_thread::sleep_for(300ms);
    }
    const int seen = ticks.load();
    BOOST_TEST(seen >= 3);
    std::this_thread::sleep_for(150ms);
    BOOST_TEST(ticks.load() == seen);
}

BOOST_AUTO_TEST_CASE(a_group_gone_waits_for_its_running_task) {
    Scheduler scheduler;
    std::atomic<bool> started{false}, finished{false};
    {
        Scheduler::Group g(scheduler);
        g.after(0ms, [&] {
            started = true;
            std::this_thread::sleep_for(200ms);
            finished = true;
        });
        while (!started) {
            std::this_thread::sleep_for(1ms);
        }
    }
    BOOST_TEST(finished.load());
}

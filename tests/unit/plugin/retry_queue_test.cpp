// The retry queue is the one owner of retries: it backs off per request, honours a lease's
// end, keeps one pending try per request and forgets a request once it is done.
#define BOOST_TEST_MODULE retry_queue
#include <boost/test/unit_test.hpp>

#include <condition_variable>
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
    RetryQueue q([&](const std::string& id) {
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

// The one owner of retries: takes every Outcome, keeps one pending try per request, backs off
// per request (5 s, 10 s, 20 s ... at most 5 minutes) and resets once a try is done. Due tries
// go to `fire`, which queues them on the request's executor.
#pragma once

#include <absl/base/thread_annotations.h>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "plugin/outcome.h"

namespace tmsteams::plugin {

// The pure part, unit-tested: how long to wait before the next try.
class RetryPolicy {
public:
    // nullopt: nothing to schedule (done or failed).
    std::optional<std::chrono::milliseconds> next(const std::string& id, const Outcome& outcome);
    size_t tracked() const { return attempts_.size(); }

private:
    std::map<std::string, int> attempts_;
};

class RetryQueue {
public:
    explicit RetryQueue(std::function<void(const std::string&)> fire);
    ~RetryQueue();  // stops the timer; pending tries are dropped (the next start catches up)

    void take(const std::string& id, const Outcome& outcome);
    size_t pending() const;

private:
    void loop(std::stop_token st);

    std::function<void(const std::string&)> fire_;
    mutable std::mutex mu_;  // guards policy_, due_ and byId_
    std::condition_variable_any cv_;
    RetryPolicy policy_ ABSL_GUARDED_BY(mu_);
    std::multimap<std::chrono::steady_clock::time_point, std::string> due_ ABSL_GUARDED_BY(mu_);
    std::map<std::string, std::chrono::steady_clock::time_point> byId_ ABSL_GUARDED_BY(mu_);  // one pending try per request
    std::jthread thread_;
};

}  // namespace tmsteams::plugin

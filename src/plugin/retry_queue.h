// The one owner of retries: takes every Outcome, keeps one pending try per request, backs off
// per request (5 s, 10 s, 20 s ... at most 5 minutes) and resets once a try is done. Tries are
// timed by the daemon's one Scheduler; a due try goes to `fire`, which queues it on the request's
// executor.
#pragma once

#include <absl/base/thread_annotations.h>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "plugin/outcome.h"
#include "plugin/scheduler.h"

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
    RetryQueue(Scheduler& scheduler, std::function<void(const std::string&)> fire);
    ~RetryQueue();  // pending tries are dropped (the next start catches up)

    void take(const std::string& id, const Outcome& outcome);
    size_t pending() const;

private:
    struct Pending {
        std::chrono::steady_clock::time_point at;
        Scheduler::Task task;
    };
    void due(const std::string& id, std::chrono::steady_clock::time_point at);

    std::function<void(const std::string&)> fire_;
    mutable std::mutex mu_;  // guards policy_ and pending_
    RetryPolicy policy_ ABSL_GUARDED_BY(mu_);
    std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);  // one pending try per request
    Scheduler::Group tasks_;  // last: gone first, so no try fires into a half-destroyed queue
};

}  // namespace tmsteams::plugin

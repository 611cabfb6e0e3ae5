// Runs a batch of calls (one per recipient) concurrently on a bounded pool shared by every
// request, and waits for all of them. The caller works through its own batch too, so a batch
// always makes progress even when the pool is busy with others: concurrency is bounded by the
// pool plus the callers (the event workers), never by the number of recipients.
#pragma once

#include <absl/base/thread_annotations.h>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tmsteams::plugin {

class FanOut {
public:
    explicit FanOut(size_t threads);
    ~FanOut();

    // Runs every task and returns when all have finished.
    void run(std::vector<std::function<void()>> tasks);

private:
    struct Batch;
    void worker(std::stop_token st);

    const size_t max_;
    std::mutex mu_;  // guards helpers_, idle_ and threads_
    std::condition_variable_any cv_;
    std::deque<std::shared_ptr<Batch>> helpers_ ABSL_GUARDED_BY(mu_);  // one entry per helper a batch asked for
    size_t idle_ ABSL_GUARDED_BY(mu_) = 0;  // workers waiting for a helper entry
    std::vector<std::jthread> threads_ ABSL_GUARDED_BY(mu_);  // started on demand, at most max_
};

}  // namespace tmsteams::plugin

// Runs tasks on a bounded pool of threads so that tasks with the same key run one at a time,
// in submission order, while different keys run concurrently: events for one access request
// are handled strictly in order, different requests in parallel.
#pragma once

#include <absl/base/thread_annotations.h>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tmsteams::plugin {

class KeyedExecutor {
public:
    explicit KeyedExecutor(size_t threads);
    ~KeyedExecutor();

    // False (and the task dropped) once draining or stopping.
    bool submit(const std::string& key, std::function<void()> task);
    // Stops taking tasks and waits up to `limit` for running and queued ones; returns whether
    // everything finished.
    bool drain(std::chrono::milliseconds limit);
    size_t inFlight() const;

private:
    void worker();

    mutable std::mutex mu_;  // guards everything below
    std::condition_variable cv_;
    std::condition_variable idle_;
    std::map<std::string, std::deque<std::function<void()>>> queues_ ABSL_GUARDED_BY(mu_);
    std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);  // keys with queued tasks and nobody running them
    std::map<std::string, bool> running_ ABSL_GUARDED_BY(mu_);
    size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
    bool stopping_ ABSL_GUARDED_BY(mu_) = false;
    bool draining_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace tmsteams::plugin

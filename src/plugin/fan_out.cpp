// Runs a batch of calls concurrently on a bounded, shared pool.
#include "plugin/fan_out.h"

#include <algorithm>
#include <atomic>

#include "common/log.h"

namespace tmsteams::plugin {

struct FanOut::Batch {
    std::vector<std::function<void()>> tasks;
    std::atomic<size_t> next{0};
    std::mutex mu;  // guards finished
    std::condition_variable done;
    size_t finished = 0;

    // Takes tasks until none is left.
    void work() {
        for (size_t i = next++; i < tasks.size(); i = next++) {
            try {
                tasks[i]();
            } catch (const std::exception& e) {
                // A batch must always finish: its caller's frame owns what the tasks use.
                common::logError("a call to a recipient failed unexpectedly", {{"error", e.what()}});
            }
            std::lock_guard lock(mu);
            if (++finished == tasks.size()) {
                done.notify_all();
            }
        }
    }
};

// Threads start when work first needs them, so an idle daemon holds none of their stacks.
FanOut::FanOut(size_t threads) : max_(threads) {}

FanOut::~FanOut() {
    std::lock_guard lock(mu_);
    for (auto& t : threads_) {
        t.request_stop();
    }
    cv_.notify_all();
}

void FanOut::run(std::vector<std::function<void()>> tasks) {
    if (tasks.empty()) {
        return;
    }
    auto batch = std::make_shared<Batch>();
    batch->tasks = std::move(tasks);
    // One helper per task beyond the caller's first, at most one per worker; each wakes one
    // worker, so a batch of two does not wake the whole pool.
    const size_t helpers = std::min(batch->tasks.size() - 1, max_);
    if (helpers > 0) {
        {
            std::lock_guard lock(mu_);
            for (size_t i = 0; i < helpers; ++i) {
                helpers_.push_back(batch);
            }
            // More waiting helpers than idle workers: start workers, up to the bound.
            while (helpers_.size() > idle_ && threads_.size() < max_) {
                threads_.emplace_back([this](std::stop_token st) { worker(st); });
                ++idle_;  // counted as idle until it takes its first helper
            }
        }
        for (size_t i = 0; i < helpers; ++i) {
            cv_.notify_one();
        }
    }
    batch->work();
    std::unique_lock lock(batch->mu);
    batch->done.wait(lock, [&] { return batch->finished == batch->tasks.size(); });
}

void FanOut::worker(std::stop_token st) {
    std::unique_lock lock(mu_);
    while (!st.stop_requested()) {
        cv_.wait(lock, st, [&] { return !helpers_.empty(); });
        if (helpers_.empty()) {
            continue;
        }
        auto batch = std::move(helpers_.front());
        helpers_.pop_front();
        --idle_;
        lock.unlock();
        batch->work();  // returns at once when its caller and other helpers took everything
        batch.reset();
        lock.lock();
        ++idle_;
    }
}

}  // namespace tmsteams::plugin

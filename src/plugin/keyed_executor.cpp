// Per-key ordered, cross-key concurrent task execution.
#include "plugin/keyed_executor.h"

#include "common/log.h"

namespace tmsteams::plugin {

KeyedExecutor::KeyedExecutor(size_t threads) {
    for (size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { worker(); });
    }
}

KeyedExecutor::~KeyedExecutor() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        queues_.clear();
        ready_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) {
        t.join();
    }
}

bool KeyedExecutor::submit(const std::string& key, std::function<void()> task) {
    {
        std::lock_guard lock(mu_);
        if (stopping_ || draining_) {
            return false;
        }
        auto& q = queues_[key];
        q.push_back(std::move(task));
        ++pending_;
        if (q.size() == 1 && !running_[key]) {
            ready_.push_back(key);
        }
    }
    cv_.notify_one();
    return true;
}

void KeyedExecutor::worker() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
        if (ready_.empty()) {
            if (stopping_) {
                return;
            }
            continue;
        }
        std::string key = ready_.front();
        ready_.pop_front();
        auto& q = queues_[key];
        if (q.empty()) {
            continue;
        }
        auto task = std::move(q.front());
        q.pop_front();
        running_[key] = true;
        lock.unlock();
        try {
            task();
        } catch (const std::exception& e) {
            common::logError("event handler failed", {{"request", key}, {"error", e.what()}});
        }
        lock.lock();
        running_.erase(key);
        --pending_;
        auto it = queues_.find(key);
        if (it != queues_.end()) {
            if (it->second.empty()) {
                queues_.erase(it);
            } else {
                ready_.push_back(key);
                cv_.notify_one();
            }
        }
        if (pending_ == 0) {
            idle_.notify_all();
        }
    }
}

bool KeyedExecutor::drain(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    draining_ = true;  // what is queued still runs; nothing new is taken
    return idle_.wait_for(lock, limit, [&] { return pending_ == 0; });
}

size_t KeyedExecutor::inFlight() const {
    std::lock_guard lock(mu_);
    return pending_;
}

}  // namespace tmsteams::plugin

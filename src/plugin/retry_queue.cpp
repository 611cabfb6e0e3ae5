// The one owner of retries.
#include "plugin/retry_queue.h"

#include <algorithm>

namespace tmsteams::plugin {

std::optional<std::chrono::milliseconds> RetryPolicy::next(const std::string& id, const Outcome& outcome) {
    if (outcome.kind != Outcome::Kind::Retry) {
        attempts_.erase(id);  // a later failure starts the back-off afresh
        return std::nullopt;
    }
    if (outcome.after) {
        // A lease read from plugin data sets this: never sooner than now, never past an hour.
        return std::clamp<std::chrono::milliseconds>(*outcome.after, std::chrono::milliseconds(0), std::chrono::hours(1));
    }
    const int attempt = attempts_[id]++;
    const auto delay = std::chrono::milliseconds(5000) * (1 << std::min(attempt, 6));
    return std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5));
}

RetryQueue::RetryQueue(std::function<void(const std::string&)> fire)
    : fire_(std::move(fire)), thread_([this](std::stop_token st) { loop(st); }) {}

RetryQueue::~RetryQueue() {
    thread_.request_stop();
    cv_.notify_all();
}

void RetryQueue::take(const std::string& id, const Outcome& outcome) {
    {
        std::lock_guard lock(mu_);
        auto delay = policy_.next(id, outcome);
        if (!delay) {
            return;
        }
        const auto at = std::chrono::steady_clock::now() + *delay;
        auto it = byId_.find(id);
        if (it != byId_.end()) {
            if (it->second <= at) {
                return;  // the try already pending comes sooner and covers this one
            }
            for (auto d = due_.equal_range(it->second).first; d != due_.end() && d->first == it->second; ++d) {
                if (d->second == id) {
                    due_.erase(d);
                    break;
                }
            }
        }
        byId_[id] = at;
        due_.emplace(at, id);
    }
    cv_.notify_all();
}

size_t RetryQueue::pending() const {
    std::lock_guard lock(mu_);
    return byId_.size();
}

void RetryQueue::loop(std::stop_token st) {
    std::unique_lock lock(mu_);
    while (!st.stop_requested()) {
        if (due_.empty()) {
            cv_.wait(lock, st, [&] { return !due_.empty(); });
            continue;
        }
        const auto next = due_.begin()->first;
        if (cv_.wait_until(lock, st, next, [&] { return !due_.empty() && due_.begin()->first < next; })) {
            continue;  // an earlier one arrived
        }
        const auto now = std::chrono::steady_clock::now();
        while (!due_.empty() && due_.begin()->first <= now) {
            std::string id = due_.begin()->second;
            due_.erase(due_.begin());
            byId_.erase(id);
            lock.unlock();
            fire_(id);  // only queues the try: never blocks on the network
            lock.lock();
        }
    }
}

}  // namespace tmsteams::plugin

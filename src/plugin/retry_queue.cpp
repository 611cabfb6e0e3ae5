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

RetryQueue::RetryQueue(Scheduler& scheduler, std::function<void(const std::string&)> fire)
    : fire_(std::move(fire)), tasks_(scheduler) {}

RetryQueue::~RetryQueue() {
    std::lock_guard lock(mu_);
    for (auto& [id, p] : pending_) {
        Scheduler::Group::cancel(p.task);
    }
}

void RetryQueue::take(const std::string& id, const Outcome& outcome) {
    std::lock_guard lock(mu_);
    auto delay = policy_.next(id, outcome);
    if (!delay) {
        return;
    }
    const auto at = std::chrono::steady_clock::now() + *delay;
    auto it = pending_.find(id);
    if (it != pending_.end()) {
        if (it->second.at <= at) {
            return;  // the try already pending comes sooner and covers this one
        }
        Scheduler::Group::cancel(it->second.task);
        pending_.erase(it);
    }
    auto task = tasks_.after(*delay, [this, id, at] { due(id, at); });
    if (task) {  // null once the daemon is stopping: the next start catches up
        pending_[id] = {at, std::move(task)};
    }
}

size_t RetryQueue::pending() const {
    std::lock_guard lock(mu_);
    return pending_.size();
}

void RetryQueue::due(const std::string& id, std::chrono::steady_clock::time_point at) {
    {
        std::lock_guard lock(mu_);
        auto it = pending_.find(id);
        if (it == pending_.end() || it->second.at != at) {
            return;  // replaced by a sooner try
        }
        pending_.erase(it);
    }
    fire_(id);  // only queues the try: never blocks on the network
}

}  // namespace tmsteams::plugin

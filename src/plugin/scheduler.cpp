// The daemon's one timer.
#include "plugin/scheduler.h"

#include <algorithm>

namespace tmsteams::plugin {

struct Scheduler::Group::State {
    std::mutex runMu;  // held while one of the group's tasks runs; guards closed
    bool closed ABSL_GUARDED_BY(runMu) = false;
};

void Scheduler::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopped_) {
            return;
        }
        stopped_ = true;
    }
    timer_.cancel(true);  // a running task finishes first
}

bool Scheduler::stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
}

bool Scheduler::schedule(const Task& task, std::chrono::milliseconds delay, long intervalMs) {
    std::lock_guard lock(mu_);
    if (stopped_) {
        return false;
    }
    Poco::Clock at;  // monotonic, as steady_clock
    at += std::max<int64_t>(0, delay.count()) * 1000;
    if (intervalMs > 0) {
        timer_.schedule(task, at, intervalMs);
    } else {
        timer_.schedule(task, at);
    }
    return true;
}

Scheduler::Group::Group(Scheduler& scheduler) : scheduler_(scheduler), state_(std::make_shared<State>()) {}

Scheduler::Group::~Group() {
    std::lock_guard lock(state_->runMu);  // waits for a running task of ours
    state_->closed = true;
}

Scheduler::Task Scheduler::Group::wrap(std::function<void()> fn) {
    return Poco::Util::Timer::func([state = state_, fn = std::move(fn)] {
        std::lock_guard lock(state->runMu);
        if (!state->closed) {
            fn();
        }
    });
}

Scheduler::Task Scheduler::Group::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    Task task = wrap(std::move(fn));
    return scheduler_.schedule(task, delay, 0) ? task : Task();
}

Scheduler::Task Scheduler::Group::every(std::chrono::milliseconds interval, std::function<void()> fn) {
    Task task = wrap(std::move(fn));
    const long ms = std::max<long>(1, static_cast<long>(interval.count()));
    return scheduler_.schedule(task, interval, ms) ? task : Task();
}

}  // namespace tmsteams::plugin

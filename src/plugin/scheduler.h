// The daemon's one timer (Poco::Util::Timer): retries, reminders and periodic upkeep all run from
// it. A task only hands work off (to an executor) and returns: nothing on the timer's thread
// waits on the network, so one slow call never delays another's retry.
#pragma once

#include <Poco/Util/Timer.h>
#include <absl/base/thread_annotations.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

namespace tmsteams::plugin {

class Scheduler {
public:
    using Task = Poco::Util::TimerTask::Ptr;  // null when the scheduler has stopped

    Scheduler() = default;
    ~Scheduler() { stop(); }
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Cancels every task and waits for one that is running; later calls schedule nothing.
    void stop();
    bool stopped() const;

    // The tasks of one owner: none runs after the group is gone. Its destructor waits for a
    // running task of the group, so a task may use its owner freely.
    class Group {
    public:
        explicit Group(Scheduler& scheduler);
        ~Group();
        Group(const Group&) = delete;
        Group& operator=(const Group&) = delete;

        // Runs `fn` once, `delay` from now (never sooner than now).
        Task after(std::chrono::milliseconds delay, std::function<void()> fn);
        // Runs `fn` every `interval`, the first time one interval from now; the next run is
        // timed from the end of the previous one.
        Task every(std::chrono::milliseconds interval, std::function<void()> fn);
        static void cancel(Task task) {  // by value: AutoPtr gives const access only
            if (task) {
                task->cancel();
            }
        }

    private:
        struct State;
        Task wrap(std::function<void()> fn);
        Scheduler& scheduler_;
        std::shared_ptr<State> state_;
    };

private:
    bool schedule(const Task& task, std::chrono::milliseconds delay, long intervalMs);

    mutable std::mutex mu_;  // guards stopped_; never held while the timer runs or waits
    bool stopped_ ABSL_GUARDED_BY(mu_) = false;
    Poco::Util::Timer timer_;
};

}  // namespace tmsteams::plugin

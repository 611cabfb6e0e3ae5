// A Clock whose sleeps return at once and add up, so backoff is checked without waiting.
#pragma once

#include <mutex>
#include <vector>

#include "common/clock.h"

namespace tmsteams::testing {

class FakeClock final : public common::Clock {
public:
    std::chrono::system_clock::time_point now() const override {
        std::lock_guard lock(mu_);
        return wall_ + elapsed_;
    }
    std::chrono::steady_clock::time_point steadyNow() const override {
        std::lock_guard lock(mu_);
        return std::chrono::steady_clock::time_point(std::chrono::hours(1000)) + elapsed_;
    }
    bool sleepFor(std::chrono::milliseconds d, std::stop_token stop) override {
        std::lock_guard lock(mu_);
        elapsed_ += d;
        sleeps_.push_back(d);
        return !stop.stop_requested();
    }
    std::chrono::milliseconds totalSlept() const {
        std::lock_guard lock(mu_);
        return std::chrono::duration_cast<std::chrono::milliseconds>(elapsed_);
    }
    std::vector<std::chrono::milliseconds> sleeps() const {
        std::lock_guard lock(mu_);
        return sleeps_;
    }
    void advance(std::chrono::milliseconds d) {
        std::lock_guard lock(mu_);
        elapsed_ += d;
    }

private:
    mutable std::mutex mu_;
    std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::from_time_t(1'800'000'000);
    std::chrono::nanoseconds elapsed_{0};
    std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace tmsteams::testing

// Time as an interface, so retry and backoff logic can be tested without sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace tmsteams::common {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
    virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
    // Sleeps for `d` or until `stop` is requested; returns false when stopped early.
    virtual bool sleepFor(std::chrono::milliseconds d, std::stop_token stop) = 0;
};

class SystemClock final : public Clock {
public:
    // Clock
    std::chrono::system_clock::time_point now() const override {
        return std::chrono::system_clock::now();
    }
    std::chrono::steady_clock::time_point steadyNow() const override {
        return std::chrono::steady_clock::now();
    }
    bool sleepFor(std::chrono::milliseconds d, std::stop_token stop) override {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait_for(lock, stop, d, [] { return false; });
        return !stop.stop_requested();
    }
};

}  // namespace tmsteams::common

// Sliding-window rate limits like Teams' bot limits: per conversation and per app.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace tmsteams::fakegraph {

using SteadyTime = std::chrono::steady_clock::time_point;

struct WindowLimit {
    int maxOps;
    std::chrono::milliseconds window;
};

// Counts operations per key over several windows. Not thread-safe: the caller locks.
class Throttle {
public:
    explicit Throttle(std::vector<WindowLimit> limits) : limits_(std::move(limits)) {}

    // How long until one more operation for `key` fits every window (0 = now).
    std::chrono::milliseconds waitFor(const std::string& key, SteadyTime now);
    // Records an admitted operation. Calls are stamped when they arrive but admitted in the
    // order their handlers reach the state's lock, so keep each history sorted.
    void record(const std::string& key, SteadyTime at) {
        auto& h = history_[key];
        h.insert(std::upper_bound(h.begin(), h.end(), at), at);
    }
    void clear() { history_.clear(); }
    bool enabled() const { return !limits_.empty(); }

private:
    std::vector<WindowLimit> limits_;
    std::map<std::string, std::deque<SteadyTime>> history_;
};

}  // namespace tmsteams::fakegraph

// Sliding-window rate limits.
#include "throttle.h"

#include <algorithm>

namespace tmsteams::fakegraph {

std::chrono::milliseconds Throttle::waitFor(const std::string& key, SteadyTime now) {
    if (limits_.empty()) {
        return std::chrono::milliseconds(0);
    }
    auto& h = history_[key];
    std::chrono::milliseconds longest{0};
    for (const auto& l : limits_) {
        longest = std::max(longest, l.window);
    }
    while (!h.empty() && now - h.front() >= longest) {
        h.pop_front();
    }
    std::chrono::milliseconds wait{0};
    for (const auto& l : limits_) {
        // Operations inside this window, newest last.
        auto first = std::lower_bound(h.begin(), h.end(), now - l.window + std::chrono::nanoseconds(1));
        auto inWindow = std::distance(first, h.end());
        if (inWindow >= l.maxOps) {
            // Admitted once the oldest op that keeps the count at the limit leaves the window.
            auto oldest = *(h.end() - l.maxOps);
            auto until = std::chrono::duration_cast<std::chrono::milliseconds>(oldest + l.window - now);
            wait = std::max(wait, std::max(until, std::chrono::milliseconds(1)));
        }
    }
    return wait;
}

}  // namespace tmsteams::fakegraph

// Paces Bot Framework calls under Teams' published limits.
#include "msapi/bot_pacer.h"

#include <algorithm>

namespace tmsteams::msapi {

namespace {
// Calls are counted where Teams receives them; leave room for network jitter.
constexpr std::chrono::milliseconds Margin{60};
}  // namespace

std::vector<PaceWindow> BotPacer::teamsConversationLimits() {
    using namespace std::chrono_literals;
    return {{7, 1000ms}, {8, 2000ms}, {60, 30000ms}, {1800, 3600000ms}};
}

BotPacer::BotPacer(common::Clock& clock, int appPerSecond, std::vector<PaceWindow> perConversation)
    : clock_(clock), appWindows_{{appPerSecond, std::chrono::milliseconds(1000)}},
      conversationWindows_(std::move(perConversation)) {}

BotPacer::Time BotPacer::earliest(const std::deque<Time>& history, const std::vector<PaceWindow>& windows,
                                  Time t) const {
    // History is sorted; a call at t fits a window when fewer than maxCalls fall in (t - w, t].
    bool moved = true;
    while (moved) {
        moved = false;
        for (const auto& w : windows) {
            if (static_cast<int>(history.size()) < w.maxCalls) {
                continue;
            }
            Time nth = history[history.size() - static_cast<size_t>(w.maxCalls)];
            if (t < nth + w.window + Margin) {
                t = nth + w.window + Margin;
                moved = true;
            }
        }
    }
    return t;
}

BotPacer::Time BotPacer::reserve(const std::string& conversation, Time now, bool commit) {
    auto& conv = conversations_[conversation];
    Time t = now;
    // Keep each history in order: a reservation never precedes the previous one.
    if (!conv.empty()) {
        t = std::max(t, conv.back());
    }
    if (!app_.empty()) {
        t = std::max(t, app_.back());
    }
    for (;;) {
        Time a = earliest(conv, conversationWindows_, t);
        Time b = earliest(app_, appWindows_, a);
        if (b == a) {
            t = a;
            break;
        }
        t = b;
    }
    if (commit) {
        conv.push_back(t);
        app_.push_back(t);
        // Forget what no window can see any more.
        auto keep = std::chrono::milliseconds(0);
        for (const auto& w : conversationWindows_) {
            keep = std::max(keep, w.window);
        }
        while (!conv.empty() && conv.front() + keep + Margin < now) {
            conv.pop_front();
        }
        while (!app_.empty() && app_.front() + appWindows_.front().window + Margin < now) {
            app_.pop_front();
        }
    }
    return t;
}

bool BotPacer::acquire(const std::string& conversation, std::chrono::steady_clock::time_point deadline,
                       std::stop_token stop) {
    Time at;
    {
        std::lock_guard lock(mu_);
        Time now = clock_.steadyNow();
        at = reserve(conversation, now, false);
        if (deadline.time_since_epoch().count() != 0 && at > deadline) {
            return false;
        }
        at = reserve(conversation, now, true);
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - clock_.steadyNow());
    if (wait.count() > 0) {
        return clock_.sleepFor(wait, stop);
    }
    return !stop.stop_requested();
}

std::chrono::milliseconds BotPacer::plannedDelay(const std::string& conversation) {
    std::lock_guard lock(mu_);
    Time now = clock_.steadyNow();
    return std::chrono::duration_cast<std::chrono::milliseconds>(reserve(conversation, now, false) - now);
}

}  // namespace tmsteams::msapi

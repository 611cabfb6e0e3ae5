// Paces Bot Framework calls under Teams' published limits, so bursts are spread out instead of
// bouncing off 429s: per bot and conversation 7 per second, 8 per 2 s, 60 per 30 s and 1800 per
// hour, and per app 30 per second. Each call reserves the earliest moment every window allows.
#pragma once

#include <absl/base/thread_annotations.h>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "common/clock.h"

namespace tmsteams::msapi {

struct PaceWindow {
    int maxCalls;
    std::chrono::milliseconds window;
};

class BotPacer {
public:
    explicit BotPacer(common::Clock& clock, int appPerSecond = 30,
                      std::vector<PaceWindow> perConversation = teamsConversationLimits());

    // Waits until a call to `conversation` fits every limit; false if `stop` came first or the
    // wait would pass `deadline` (then nothing is reserved).
    bool acquire(const std::string& conversation, std::chrono::steady_clock::time_point deadline,
                 std::stop_token stop);
    // How long acquire() would wait now (for tests and metrics).
    std::chrono::milliseconds plannedDelay(const std::string& conversation);

    static std::vector<PaceWindow> teamsConversationLimits();

private:
    using Time = std::chrono::steady_clock::time_point;
    Time earliest(const std::deque<Time>& history, const std::vector<PaceWindow>& windows, Time t) const;
    Time reserve(const std::string& conversation, Time now, bool commit);

    common::Clock& clock_;
    std::vector<PaceWindow> appWindows_;
    std::vector<PaceWindow> conversationWindows_;
    std::mutex mu_;  // guards the histories
    std::deque<Time> app_ ABSL_GUARDED_BY(mu_);
    std::map<std::string, std::deque<Time>> conversations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tmsteams::msapi

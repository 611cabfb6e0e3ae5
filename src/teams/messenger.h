// Sending cards to recipients: the seam between the plugin's logic and Teams.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>

#include <absl/status/statusor.h>

namespace tmsteams::teams {

class Messenger {
public:
    virtual ~Messenger() = default;

    // Finds the recipient's conversation (installing the app for users who lack it); cached.
    virtual absl::Status prepare(const std::string& recipient, std::chrono::steady_clock::time_point deadline,
                                 std::stop_token stop) = 0;
    // Posts an activity to the recipient; returns the activity id.
    virtual absl::StatusOr<std::string> post(const std::string& recipient, const std::string& activityJson,
                                             std::chrono::steady_clock::time_point deadline,
                                             std::stop_token stop) = 0;
    // Replaces an activity the plugin posted earlier to this recipient.
    virtual absl::Status update(const std::string& recipient, const std::string& activityId,
                                const std::string& activityJson,
                                std::chrono::steady_clock::time_point deadline, std::stop_token stop) = 0;
    // False while Microsoft is not reached yet (every call would fail as unavailable): work that
    // is recorded before it is sent (notices, reminders) waits instead of being spent.
    virtual bool ready() const { return true; }
};

}  // namespace tmsteams::teams

// Messenger over Microsoft Graph (to find or create the bot's conversation with a recipient)
// and the Bot Framework (to post and update cards), with a per-recipient cache.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "msapi/bot_client.h"
#include "msapi/graph_client.h"
#include "teams/messenger.h"

namespace tmsteams::teams {

struct Recipient;

// The Entra ID user a user recipient names (by email, else by object id).
absl::StatusOr<msapi::GraphUser> findRecipientUser(msapi::GraphClient& graph, const Recipient& recipient,
                                                   const msapi::CallContext& ctx);

class TeamsMessenger final : public Messenger {
public:
    TeamsMessenger(msapi::GraphClient& graph, msapi::BotClient& bot, std::string catalogAppId);

    // Messenger
    absl::Status prepare(const std::string& recipient, std::chrono::steady_clock::time_point deadline,
                         std::stop_token stop) override;
    absl::StatusOr<std::string> post(const std::string& recipient, const std::string& activityJson,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::stop_token stop) override;
    absl::Status update(const std::string& recipient, const std::string& activityId,
                        const std::string& activityJson, std::chrono::steady_clock::time_point deadline,
                        std::stop_token stop) override;

    size_t cachedRecipients() const;

private:
    struct Entry {
        std::mutex mu;  // serialises resolving one recipient; guards conversationId
        std::string conversationId;
    };
    absl::StatusOr<std::string> conversationFor(const std::string& recipient,
                                                const msapi::CallContext& ctx);
    absl::StatusOr<std::string> resolve(const std::string& recipient, const msapi::CallContext& ctx);
    void forget(const std::string& recipient);

    msapi::GraphClient& graph_;
    msapi::BotClient& bot_;
    const std::string catalogAppId_;
    mutable std::mutex mu_;  // guards cache_
    std::map<std::string, std::shared_ptr<Entry>> cache_;
};

}  // namespace tmsteams::teams

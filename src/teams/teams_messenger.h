// Messenger over Microsoft Graph (to find or create the bot's conversation with a recipient)
// and the Bot Framework (to post and update cards), with a per-recipient cache.
#pragma once

#include <absl/base/thread_annotations.h>
#include <atomic>
#include <condition_variable>
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
    // `catalogAppId` may be empty at first: the daemon watches Teleport before Microsoft has
    // answered, and every call fails as unavailable (to be retried) until setCatalogAppId.
    TeamsMessenger(msapi::GraphClient& graph, msapi::BotClient& bot, std::string catalogAppId);
    void setCatalogAppId(std::string id);
    bool ready() const override;

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
    // One recipient. The first caller resolves it with no lock held; callers meanwhile wait
    // (up to their own deadline) and share the outcome, so a slow lookup costs one set of calls.
    struct Entry {
        std::mutex mu;  // guards the fields below
        std::condition_variable_any resolved;
        std::string conversationId ABSL_GUARDED_BY(mu);
        bool resolving ABSL_GUARDED_BY(mu) = false;
        bool forgotten ABSL_GUARDED_BY(mu) = false;  // dropped from the cache: no longer counted in known_
        uint64_t attempts ABSL_GUARDED_BY(mu) = 0;  // finished lookups, so a waiter knows its one ended
        absl::Status lastError ABSL_GUARDED_BY(mu);
    };
    absl::StatusOr<std::string> conversationFor(const std::string& recipient,
                                                const msapi::CallContext& ctx);
    absl::StatusOr<std::string> resolve(const std::string& recipient, const msapi::CallContext& ctx);
    void forget(const std::string& recipient);

    msapi::GraphClient& graph_;
    msapi::BotClient& bot_;
    std::string catalogAppId() const;
    mutable std::mutex appMu_;  // guards catalogAppId_
    std::string catalogAppId_ ABSL_GUARDED_BY(appMu_);
    mutable std::mutex mu_;  // guards cache_
    std::map<std::string, std::shared_ptr<Entry>> cache_ ABSL_GUARDED_BY(mu_);
    std::atomic<size_t> known_{0};  // entries with a conversation; read by /metrics lock-free
};

}  // namespace tmsteams::teams

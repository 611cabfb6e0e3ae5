// Messenger over Microsoft Graph and the Bot Framework.
#include "teams/teams_messenger.h"

#include "common/log.h"
#include "teams/recipient.h"

namespace tmsteams::teams {

absl::StatusOr<msapi::GraphUser> findRecipientUser(msapi::GraphClient& graph, const Recipient& r,
                                                   const msapi::CallContext& ctx) {
    return r.kind == Recipient::Kind::Email ? graph.getUserByEmail(r.raw, ctx) : graph.getUserById(r.raw, ctx);
}

TeamsMessenger::TeamsMessenger(msapi::GraphClient& graph, msapi::BotClient& bot, std::string catalogAppId)
    : graph_(graph), bot_(bot), catalogAppId_(std::move(catalogAppId)) {}

size_t TeamsMessenger::cachedRecipients() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [k, e] : cache_) {
        std::lock_guard el(e->mu);
        n += e->conversationId.empty() ? 0 : 1;
    }
    return n;
}

absl::StatusOr<std::string> TeamsMessenger::resolve(const std::string& raw, const msapi::CallContext& ctx) {
    Recipient r = parseRecipient(raw);
    if (r.kind == Recipient::Kind::Channel) {
        auto installed = graph_.getAppForTeam(r.channel.groupId, catalogAppId_, ctx);
        if (!installed.ok()) {
            return installed.status();
        }
        if (!installed->has_value()) {
            return absl::FailedPreconditionError("the Teams app is not installed in the team of channel \"" +
                                                 r.channel.name + "\": add it to the team in Teams");
        }
        return r.channel.conversationId;
    }
    auto userOr = findRecipientUser(graph_, r, ctx);
    if (!userOr.ok()) {
        return userOr.status();
    }
    // Install first (409 when it is there already): a new reviewer costs one call less than
    // looking first, and a cached one costs nothing.
    if (auto s = graph_.installAppForUser(userOr->id, catalogAppId_, ctx); !s.ok()) {
        return s;
    }
    auto installation = graph_.getAppForUser(userOr->id, catalogAppId_, ctx);
    if (!installation.ok()) {
        return installation.status();
    }
    if (!installation->has_value()) {
        return absl::UnavailableError("the app was installed for " + raw + " but is not listed yet");
    }
    return graph_.getChatForInstallation(userOr->id, (*installation)->id, ctx);
}

absl::StatusOr<std::string> TeamsMessenger::conversationFor(const std::string& recipient,
                                                            const msapi::CallContext& ctx) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mu_);
        auto& e = cache_[recipient];
        if (!e) {
            e = std::make_shared<Entry>();
        }
        entry = e;
    }
    std::lock_guard lock(entry->mu);
    if (!entry->conversationId.empty()) {
        return entry->conversationId;
    }
    auto conv = resolve(recipient, ctx);
    if (conv.ok()) {
        entry->conversationId = *conv;
    }
    return conv;
}

void TeamsMessenger::forget(const std::string& recipient) {
    std::lock_guard lock(mu_);
    cache_.erase(recipient);
}

absl::Status TeamsMessenger::prepare(const std::string& recipient, std::chrono::steady_clock::time_point deadline,
                                     std::stop_token stop) {
    return conversationFor(recipient, {deadline, stop}).status();
}

absl::StatusOr<std::string> TeamsMessenger::post(const std::string& recipient, const std::string& activityJson,
                                                 std::chrono::steady_clock::time_point deadline,
                                                 std::stop_token stop) {
    msapi::CallContext ctx{deadline, stop};
    auto conv = conversationFor(recipient, ctx);
    if (!conv.ok()) {
        return conv.status();
    }
    auto id = bot_.postActivity(*conv, activityJson, ctx);
    if (id.status().code() == absl::StatusCode::kPermissionDenied ||
        id.status().code() == absl::StatusCode::kNotFound) {
        // The app was removed or the chat is gone: look the recipient up again next time.
        forget(recipient);
    }
    return id;
}

absl::Status TeamsMessenger::update(const std::string& recipient, const std::string& activityId,
                                    const std::string& activityJson,
                                    std::chrono::steady_clock::time_point deadline, std::stop_token stop) {
    msapi::CallContext ctx{deadline, stop};
    auto conv = conversationFor(recipient, ctx);
    if (!conv.ok()) {
        return conv.status();
    }
    return bot_.updateActivity(*conv, activityId, activityJson, ctx);
}

}  // namespace tmsteams::teams

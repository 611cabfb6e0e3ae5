// Messenger over Microsoft Graph and the Bot Framework.
#include "teams/teams_messenger.h"

#include "common/log.h"
#include "teams/recipient.h"

namespace tmsteams::teams {

namespace {

absl::Status notReady() {
    return absl::UnavailableError("Microsoft Teams is not reached yet (the Teams app is not found in the org catalog yet)");
}

}  // namespace

absl::StatusOr<msapi::GraphUser> findRecipientUser(msapi::GraphClient& graph, const Recipient& r,
                                                   const msapi::CallContext& ctx) {
    return r.kind == Recipient::Kind::Email ? graph.getUserByEmail(r.raw, ctx) : graph.getUserById(r.raw, ctx);
}

TeamsMessenger::TeamsMessenger(msapi::GraphClient& graph, msapi::BotClient& bot, std::string catalogAppId)
    : graph_(graph), bot_(bot), catalogAppId_(std::move(catalogAppId)) {}

void TeamsMessenger::setCatalogAppId(std::string id) {
    std::lock_guard lock(appMu_);
    catalogAppId_ = std::move(id);
}

std::string TeamsMessenger::catalogAppId() const {
    std::lock_guard lock(appMu_);
    return catalogAppId_;
}

bool TeamsMessenger::ready() const { return !catalogAppId().empty(); }

size_t TeamsMessenger::cachedRecipients() const { return known_.load(std::memory_order_relaxed); }

absl::StatusOr<std::string> TeamsMessenger::resolve(const std::string& raw, const msapi::CallContext& ctx) {
    const std::string appId = catalogAppId();
    Recipient r = parseRecipient(raw);
    if (r.kind == Recipient::Kind::Channel) {
        auto installed = graph_.getAppForTeam(r.channel.groupId, appId, ctx);
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
    if (auto s = graph_.installAppForUser(userOr->id, appId, ctx); !s.ok()) {
        return s;
    }
    auto installation = graph_.getAppForUser(userOr->id, appId, ctx);
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
    std::unique_lock lock(entry->mu);
    if (!entry->conversationId.empty()) {
        return entry->conversationId;
    }
    if (entry->resolving) {
        const uint64_t waitingFor = entry->attempts + 1;
        entry->resolved.wait_until(lock, ctx.stop, ctx.deadline, [&] { return entry->attempts >= waitingFor; });
        if (!entry->conversationId.empty()) {
            return entry->conversationId;
        }
        if (entry->attempts < waitingFor) {
            return ctx.stop.stop_requested() ? absl::CancelledError("stopped")
                                             : absl::DeadlineExceededError("looking up " + recipient + " took too long");
        }
        return entry->lastError;
    }
    entry->resolving = true;
    lock.unlock();
    absl::StatusOr<std::string> conv = absl::InternalError("lookup failed");
    try {
        conv = resolve(recipient, ctx);
    } catch (const std::exception& e) {  // waiters must never be left waiting for a lookup that died
        conv = absl::InternalError(std::string("looking up ") + recipient + " failed: " + e.what());
    }
    lock.lock();
    entry->resolving = false;
    ++entry->attempts;
    entry->lastError = conv.ok() ? absl::OkStatus() : conv.status();
    if (conv.ok() && entry->conversationId.empty()) {
        entry->conversationId = *conv;
        if (!entry->forgotten) {
            known_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    entry->resolved.notify_all();
    return conv;
}

void TeamsMessenger::forget(const std::string& recipient) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mu_);
        auto it = cache_.find(recipient);
        if (it == cache_.end()) {
            return;
        }
        entry = std::move(it->second);
        cache_.erase(it);
    }
    std::lock_guard lock(entry->mu);
    if (!entry->conversationId.empty() && !entry->forgotten) {
        known_.fetch_sub(1, std::memory_order_relaxed);
    }
    entry->forgotten = true;
}

absl::Status TeamsMessenger::prepare(const std::string& recipient, std::chrono::steady_clock::time_point deadline,
                                     std::stop_token stop) {
    if (!ready()) {
        return notReady();
    }
    return conversationFor(recipient, {deadline, stop}).status();
}

absl::StatusOr<std::string> TeamsMessenger::post(const std::string& recipient, const std::string& activityJson,
                                                 std::chrono::steady_clock::time_point deadline,
                                                 std::stop_token stop) {
    if (!ready()) {
        return notReady();
    }
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
    if (!ready()) {
        return notReady();
    }
    msapi::CallContext ctx{deadline, stop};
    auto conv = conversationFor(recipient, ctx);
    if (!conv.ok()) {
        return conv.status();
    }
    return bot_.updateActivity(*conv, activityId, activityJson, ctx);
}

}  // namespace tmsteams::teams

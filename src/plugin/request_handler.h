// The plugin's reaction to access-request events: claim a new request, post a card to every
// recipient concurrently, record each card in plugin data, and keep every card current as
// reviews arrive and the request is approved, denied, promoted or expires. Every write is a
// compare-and-swap, so replicas of the daemon (and the Go plugin) cooperate safely.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "plugin/plugin_data.h"
#include "teams/card.h"
#include "teams/messenger.h"
#include "teleport/auth_client.h"

namespace tmsteams::plugin {

struct HandlerSettings {
    std::string instanceId;     // tells our claims from other replicas'
    std::string clusterName;
    std::string webProxyAddr;   // empty when the cluster has no web UI link
    std::map<std::string, std::vector<std::string>> roleToRecipients;
    // A post gives up before the claim it runs under ends, so no other replica can post the
    // same card while it is still in flight.
    std::chrono::milliseconds recipientDeadline{std::chrono::seconds(40)};
    std::chrono::milliseconds claimLease{std::chrono::seconds(45)};
    // Requests created and resolved while nobody watched get final-state cards if this recent.
    std::chrono::milliseconds resolvedCatchUpWindow{std::chrono::hours(1)};
    // [review] enabled: pending cards ask Teams for each viewer's own version (with buttons
    // for reviewers).
    bool reviewFromTeams = false;
    // notify_requester: a copy of the card, then the outcome, to the requester (by email user
    // name, else the Entra ID in `userIdTrait`).
    bool notifyRequester = false;
    std::string userIdTrait = "msteams_uid";
    // [reminders]: `after` 0 = off.
    std::chrono::milliseconds remindAfter{0};
    std::chrono::milliseconds remindRepeat{0};
    int remindMax = 3;
    std::vector<std::string> escalateTo;
};

struct HandlerStats {
    std::atomic<uint64_t> cardsPosted{0};
    std::atomic<uint64_t> cardsUpdated{0};
    std::atomic<uint64_t> cardFailures{0};
    std::atomic<uint64_t> casConflicts{0};
};

class RequestHandler {
public:
    // `scheduleRetry(id, delay)` must call redeliver(id) later (on the request's queue).
    using RetryScheduler = std::function<void(const std::string&, std::chrono::milliseconds)>;

    RequestHandler(teleport::AuthClient& auth, teams::Messenger& messenger, common::Clock& clock,
                   HandlerSettings settings, RetryScheduler scheduleRetry);

    absl::Status onRequest(const types::AccessRequestV3& request, std::stop_token stop = {});
    absl::Status onDeleted(const std::string& requestId, std::stop_token stop = {});
    // Delivers cards that are still missing and brings every card up to date.
    absl::Status redeliver(const std::string& requestId, std::stop_token stop = {});
    // Handling failed for a reason that may pass (Teleport unreachable): try again later.
    void retryLater(const std::string& requestId) { scheduleRedelivery(requestId); }

    // The configured recipients for the request's roles (each role's list, else "*"), plus
    // suggested reviewers that are email addresses; without duplicates.
    std::vector<std::string> recipientsFor(const types::AccessRequestV3& request) const;
    teams::CardData cardFor(const types::AccessRequestV3& request) const;
    const HandlerStats& stats() const { return stats_; }
    // [reminders]: sends the reminder that is due for this pending request, if any, and
    // escalates after the last one. Recorded in plugin data first: once per interval, across
    // replicas and restarts.
    absl::Status remind(const types::AccessRequestV3& request, std::stop_token stop = {});
    // Applies a reloaded [role_to_recipients] to requests handled from now on.
    void setRoleToRecipients(std::map<std::string, std::vector<std::string>> map);
    // Time from a request's creation to each of its cards being posted.
    void setNotificationLatency(common::Histogram* h) { notificationLatency_ = h; }

private:
    using Modify = std::function<std::optional<PluginData>(const std::optional<PluginData>&)>;
    // What we believe is stored: nullopt = nothing. Lets a write skip the read before it.
    using Stored = std::optional<teleport::PluginDataMap>;
    // Read, modify, compare-and-swap, retried on conflict. nullopt: `modify` chose not to write.
    // With `assumed`, the first attempt trusts it instead of reading (a wrong guess costs one
    // conflict, then it reads). `stored`, when given, receives what the server holds afterwards.
    absl::StatusOr<std::optional<PluginData>> casUpdate(const std::string& id, const Modify& modify,
                                                        std::stop_token stop, const Stored* assumed = nullptr,
                                                        Stored* stored = nullptr);
    absl::Status onPending(const types::AccessRequestV3& request, std::stop_token stop);
    absl::Status onResolved(const types::AccessRequestV3& request, std::stop_token stop);
    // A card as posted, and what it showed (to tell whether the request moved on meanwhile).
    struct Rendered {
        std::string activity;
        int reviews = 0;
        bool pending = false;
        std::optional<std::chrono::system_clock::time_point> created;  // for the latency metric
    };
    absl::Status deliver(const types::AccessRequestV3& request, const PluginData& data, Stored stored,
                         const std::string& lease, std::stop_token stop);
    absl::Status deliver(const std::string& id, const Rendered& rendered, const PluginData& data, Stored stored,
                         const std::string& lease, std::stop_token stop);
    // Claims and posts the cards of a resolved or gone request that were never posted.
    absl::Status deliverMissing(const std::string& id, const PluginData& data, const Rendered& rendered,
                                std::stop_token stop);
    // notify_requester: where the requester gets messages ("" when they cannot be reached).
    std::string requesterRecipient(const types::AccessRequestV3& request);
    // Tells the requester the outcome `tag`, once.
    void tellRequester(const std::string& id, const std::string& tag, const teams::CardData& card,
                       std::stop_token stop);
    // The card of a request that no longer exists, from what plugin data remembers.
    teams::CardData cardFromPluginData(const std::string& id, const PluginData& data) const;
    absl::Status updateReviews(const types::AccessRequestV3& request, std::stop_token stop);
    // Re-renders from the current truth (the request, else plugin data) and updates `messages`.
    absl::Status refresh(const std::string& id, const std::vector<StoredMessage>& messages, std::stop_token stop);
    // Updates every card; false (and a redelivery scheduled) when some update failed.
    bool updateAll(const std::string& id, const std::vector<StoredMessage>& messages,
                   const std::string& activity, std::stop_token stop);
    // Clears the `updating` marker if it is still `lease`.
    absl::Status releaseUpdating(const std::string& id, const std::string& lease, std::stop_token stop);
    // Brings every recorded card to the recorded state, unless another live replica is doing it.
    absl::Status finishUpdate(const std::string& id, const PluginData& data, std::stop_token stop);
    // When another writer got there first: finish what it left halfway, and come back for
    // cards still missing.
    absl::Status followUp(const std::string& id, const Stored& stored, std::stop_token stop);
    absl::Status redeliverNow(const std::string& id, std::stop_token stop);
    void scheduleRedelivery(const std::string& id);  // with backoff
    void scheduleRedeliveryIn(const std::string& id, std::chrono::milliseconds delay);
    // Cards posted whose record failed (Teleport unreachable) wait here and are written before
    // anything else happens to the request, so they are neither posted twice nor left stale.
    absl::Status recordUnrecorded(const std::string& id, std::stop_token stop);
    std::string newLease() const;
    bool heldByOther(const std::string& claim) const;
    std::chrono::milliseconds leaseLeft(const std::string& lease) const;

    teleport::AuthClient& auth_;
    teams::Messenger& messenger_;
    common::Clock& clock_;
    HandlerSettings settings_;
    mutable std::mutex settingsMu_;  // guards settings_.roleToRecipients
    common::Histogram* notificationLatency_ = nullptr;
    RetryScheduler scheduleRetry_;
    HandlerStats stats_;
    std::mutex retryMu_;  // guards retryAttempts_, retryPending_ and unrecorded_
    std::map<std::string, int> retryAttempts_;
    std::set<std::string> retryPending_;  // one scheduled redelivery per request at most
    std::map<std::string, std::vector<StoredMessage>> unrecorded_;
};

// Teleport's resource id as the web UI and tsh show it: /cluster/kind/name[/sub].
std::string resourceName(const types::ResourceID& id);
// The web UI link for a request, from the proxy's public address.
std::string requestUrl(const std::string& proxyAddr, const std::string& requestId);

}  // namespace tmsteams::plugin

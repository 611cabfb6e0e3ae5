// Decides what an access-request event means for the cards: claim a new request and post a
// card to every recipient, keep every card current as reviews arrive and the request is
// approved, denied, promoted or expires, and record each step in plugin data first. It
// returns what it came to (an Outcome) and never reschedules anything itself: the retry queue
// owns retries. Implemented in request_handler.cpp (decisions), card_delivery.cpp (posting,
// updating, recording) and requester_notices.cpp (outcome notices and reminders).
#pragma once

#include <absl/base/thread_annotations.h>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "plugin/fan_out.h"
#include "plugin/lease.h"
#include "plugin/outcome.h"
#include "plugin/plugin_data_store.h"
#include "plugin/request_card.h"
#include "plugin/request_details.h"
#include "teams/messenger.h"
#include "teleport/auth_client.h"

namespace tmsteams::routing {
class RuleBook;
}

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
};

class RequestHandler {
public:
    // `fanOut` runs each request's calls to its recipients concurrently, within its bound.
    RequestHandler(teleport::AuthClient& auth, teams::Messenger& messenger, common::Clock& clock, FanOut& fanOut,
                   HandlerSettings settings);

    // The Teleport lane (due_record.cpp): for a new pending request, records in plugin data at
    // once who must get a card, before any call to Microsoft, so that a request that expires
    // while delivery waits (Microsoft slow, the delivery lane busy) still gets its cards, then
    // showing it expired. Only creates: a request with plugin data is left to onRequest.
    Outcome recordDue(const types::AccessRequestV3& request, std::stop_token stop = {});
    Outcome onRequest(const types::AccessRequestV3& request, std::stop_token stop = {});
    Outcome onDeleted(const std::string& requestId, std::stop_token stop = {});
    // Delivers cards that are still missing and brings every card up to date (a retry).
    Outcome redeliver(const std::string& requestId, std::stop_token stop = {});
    // [reminders]: sends the reminder that is due for this pending request, if any, and
    // escalates after the last one. Recorded in plugin data first: once per interval, across
    // replicas and restarts.
    Outcome remind(const types::AccessRequestV3& request, std::stop_token stop = {});

    // recipients.cpp: the recipients of the access monitoring rules that match the request,
    // else the configured ones for its roles (each role's list, else "*"); plus suggested
    // reviewers that are email addresses; without duplicates.
    std::vector<std::string> recipientsFor(const types::AccessRequestV3& request) const;
    teams::CardData cardFor(const types::AccessRequestV3& request) const;
    const HandlerStats& stats() const { return stats_; }
    uint64_t casConflicts() const { return store_.conflicts(); }
    // Applies a reloaded [role_to_recipients] to requests handled from now on.
    void setRoleToRecipients(std::map<std::string, std::vector<std::string>> map);
    // Routing by access monitoring rules and cards with resource names and logins; both
    // outlive the handler. Without them: [role_to_recipients] and ids, as before.
    void setRouting(const routing::RuleBook* rules, RequestDetails* details) {
        rules_ = rules;
        details_ = details;
    }
    // Time from a request's creation to each of its cards being posted.
    void setNotificationLatency(common::Histogram* h) { notificationLatency_ = h; }

private:
    using Stored = PluginDataStore::Stored;
    // A card as posted, and what it showed (to tell whether the request moved on meanwhile).
    struct Rendered {
        std::string activity;
        int reviews = 0;
        bool pending = false;
        std::optional<std::chrono::system_clock::time_point> created;  // for the latency metric
    };

    // request_handler.cpp: decisions.
    absl::Status handleRequest(const types::AccessRequestV3& request, std::stop_token stop);
    absl::Status onPending(const types::AccessRequestV3& request, std::stop_token stop);
    absl::Status onResolved(const types::AccessRequestV3& request, std::stop_token stop);
    absl::Status onGone(const std::string& id, std::stop_token stop);
    absl::Status updateReviews(const types::AccessRequestV3& request, std::stop_token stop);
    absl::Status redeliverNow(const std::string& id, std::stop_token stop);
    teams::CardData cardOf(RequestView view) const;
    std::vector<std::string> configuredRecipients(const types::AccessRequestV3& request) const;
    std::optional<std::vector<std::string>> recipientsByRules(const types::AccessRequestV3& request) const;
    Rendered render(const types::AccessRequestV3& request) const;
    Rendered render(const std::string& id, const PluginData& remembered) const;
    // Who gets a card for a new request: the configured recipients, plus the requester when
    // notify_requester is on and this is the first time the request is seen (`requester` out).
    std::vector<std::string> recipientsForNew(const types::AccessRequestV3& request, std::string& requester);
    // Asks the retry queue (through this call's Outcome) to come back: after `after`, or with
    // back-off when empty.
    void wantRetry(const std::string& id, std::optional<std::chrono::milliseconds> after = std::nullopt);
    Outcome conclude(const std::string& id, const absl::Status& status);

    // card_delivery.cpp: posting, updating and recording cards.
    absl::Status deliver(const std::string& id, const Rendered& rendered, const PluginData& data, Stored stored,
                         const std::string& lease, std::stop_token stop);
    // Claims and posts the cards of a resolved or gone request that were never posted.
    absl::Status deliverMissing(const std::string& id, const PluginData& data, const Rendered& rendered,
                                std::stop_token stop);
    // Re-renders from the current truth (the request, else plugin data) and updates `messages`.
    absl::Status refresh(const std::string& id, const std::vector<StoredMessage>& messages, std::stop_token stop);
    // Updates every card; false (and a retry wanted) when some update failed.
    bool updateAll(const std::string& id, const std::vector<StoredMessage>& messages, const std::string& activity,
                   std::stop_token stop);
    // Clears the `updating` marker if it is still `lease`.
    absl::Status releaseUpdating(const std::string& id, const std::string& lease, std::stop_token stop);
    // Brings every recorded card to the recorded state, unless another live replica is doing it.
    absl::Status finishUpdate(const std::string& id, const PluginData& data, std::stop_token stop);
    // When another writer got there first: finish what it left halfway, and come back for
    // cards still missing.
    absl::Status followUp(const std::string& id, const Stored& stored, std::stop_token stop);
    // Cards posted whose record failed (Teleport unreachable) wait here and are written before
    // anything else happens to the request, so they are neither posted twice nor left stale.
    absl::Status recordUnrecorded(const std::string& id, std::stop_token stop);

    // requester_notices.cpp: the requester's notices.
    // notify_requester: where the requester gets messages ("" when they cannot be reached).
    std::string requesterRecipient(const types::AccessRequestV3& request);
    // Tells the requester the outcome `tag`, once.
    void tellRequester(const std::string& id, const std::string& tag, const teams::CardData& card,
                       std::stop_token stop);
    absl::Status sendReminder(const types::AccessRequestV3& request, std::stop_token stop);
    // A recorded outcome the requester was not told yet (Microsoft was not reached, or the post
    // failed): tell them now.
    void tellRequesterIfOwed(const std::string& id, const PluginData& data, std::stop_token stop);

    CardContext cardContext() const;

    teleport::AuthClient& auth_;
    teams::Messenger& messenger_;
    common::Clock& clock_;
    FanOut& fanOut_;
    PluginDataStore store_;
    const Leases leases_;
    HandlerSettings settings_;
    mutable std::mutex settingsMu_;  // guards settings_.roleToRecipients
    common::Histogram* notificationLatency_ = nullptr;
    const routing::RuleBook* rules_ = nullptr;
    RequestDetails* details_ = nullptr;
    HandlerStats stats_;
    std::mutex pendingMu_;  // guards retryWanted_ and unrecorded_
    // Per request, what the call in progress wants from the retry queue: nullopt = back off.
    std::map<std::string, std::optional<std::chrono::milliseconds>> retryWanted_ ABSL_GUARDED_BY(pendingMu_);
    std::map<std::string, std::vector<StoredMessage>> unrecorded_ ABSL_GUARDED_BY(pendingMu_);
    // Requests known to have plugin data, so the Teleport lane asks Auth only about new ones
    // (forgotten when a request is gone).
    std::mutex recordedMu_;  // guards recorded_ and justRecorded_
    std::set<std::string> recorded_ ABSL_GUARDED_BY(recordedMu_);
    // What the Teleport lane wrote for a new request, until the delivery lane's claim uses it as
    // its guess of what is stored (saving a read and a failed write).
    std::map<std::string, teleport::PluginDataMap> justRecorded_ ABSL_GUARDED_BY(recordedMu_);
    Stored takeJustRecorded(const std::string& id);
    // The delivery lane found or wrote the request's plugin data first (it usually does in a
    // burst): the Teleport lane then has nothing left to record and asks Auth nothing.
    void noteRecorded(const std::string& id);
};

}  // namespace tmsteams::plugin

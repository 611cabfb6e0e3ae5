// Decides what an access-request event means for the cards.
#include "plugin/request_handler.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "teams/recipient.h"
#include "teleport/proto_time.h"

namespace tmsteams::plugin {

RequestHandler::RequestHandler(teleport::AuthClient& auth, teams::Messenger& messenger, common::Clock& clock,
                               FanOut& fanOut, HandlerSettings settings)
    : auth_(auth), messenger_(messenger), clock_(clock), fanOut_(fanOut), store_(auth, clock),
      leases_(settings.instanceId, clock, settings.claimLease), settings_(std::move(settings)) {}

void RequestHandler::setRoleToRecipients(std::map<std::string, std::vector<std::string>> map) {
    std::lock_guard lock(settingsMu_);
    settings_.roleToRecipients = std::move(map);
}

CardContext RequestHandler::cardContext() const {
    return {settings_.clusterName, settings_.webProxyAddr, settings_.reviewFromTeams};
}

teams::CardData RequestHandler::cardOf(RequestView view) const {
    if (details_) {
        details_->annotate(view.facts);  // names for ids, and the roles' logins
    }
    return plugin::cardFor(view, cardContext());
}

teams::CardData RequestHandler::cardFor(const types::AccessRequestV3& req) const { return cardOf(viewOf(req)); }

RequestHandler::Rendered RequestHandler::render(const types::AccessRequestV3& req) const {
    return {teams::buildActivity(cardFor(req)), req.spec().reviews_size(), req.spec().state() == types::PENDING,
            teleport::fromProtoTime(req.spec().created())};
}

RequestHandler::Rendered RequestHandler::render(const std::string& id, const PluginData& d) const {
    return {teams::buildActivity(cardOf(viewOf(id, d))), d.reviewsCount, false, std::nullopt};
}

void RequestHandler::wantRetry(const std::string& id, std::optional<std::chrono::milliseconds> after) {
    std::lock_guard lock(pendingMu_);
    auto [it, inserted] = retryWanted_.emplace(id, after);
    if (!inserted && it->second) {
        // A back-off wish (nullopt) wins: it comes sooner than a lease and covers a failure.
        it->second = after ? std::optional(std::min(*it->second, *after)) : std::nullopt;
    }
}

Outcome RequestHandler::conclude(const std::string& id, const absl::Status& s) {
    std::optional<std::optional<std::chrono::milliseconds>> wanted;
    {
        std::lock_guard lock(pendingMu_);
        if (auto it = retryWanted_.find(id); it != retryWanted_.end()) {
            wanted = it->second;
            retryWanted_.erase(it);
        }
    }
    if (!s.ok()) {
        switch (s.code()) {
        // A request we cannot understand, a refusal (RBAC: fixing the role and a restart
        // retries), a shutdown, or a request that is gone (its DELETE is handled on its own).
        case absl::StatusCode::kInvalidArgument:
        case absl::StatusCode::kCancelled:
        case absl::StatusCode::kPermissionDenied:
        case absl::StatusCode::kUnimplemented:
        case absl::StatusCode::kNotFound:
            return Outcome::failed(s);
        default:  // Teleport unreachable, a deadline, a conflict storm: the watch may never repeat it
            return Outcome::retry(s, wanted ? *wanted : std::nullopt);
        }
    }
    return wanted ? Outcome::retry(absl::OkStatus(), *wanted) : Outcome::done();
}

Outcome RequestHandler::onRequest(const types::AccessRequestV3& req, std::stop_token stop) {
    return conclude(req.metadata().name(), handleRequest(req, stop));
}

Outcome RequestHandler::onDeleted(const std::string& id, std::stop_token stop) {
    {
        std::lock_guard lock(recordedMu_);
        recorded_.erase(id);
        justRecorded_.erase(id);
    }
    return conclude(id, onGone(id, stop));
}

Outcome RequestHandler::redeliver(const std::string& id, std::stop_token stop) {
    return conclude(id, redeliverNow(id, stop));
}

Outcome RequestHandler::remind(const types::AccessRequestV3& req, std::stop_token stop) {
    return conclude(req.metadata().name(), sendReminder(req, stop));
}

absl::Status RequestHandler::handleRequest(const types::AccessRequestV3& req, std::stop_token stop) {
    if (req.kind() != "access_request") {
        return absl::InvalidArgumentError("unexpected resource kind \"" + req.kind() + "\"");
    }
    if (auto s = recordUnrecorded(req.metadata().name(), stop); !s.ok()) {
        return s;
    }
    switch (req.spec().state()) {
    case types::PENDING:
        return onPending(req, stop);
    case types::APPROVED:
    case types::DENIED:
    case types::PROMOTED:
        return onResolved(req, stop);
    default:
        common::logWarn("access request in an unknown state", {{"request", req.metadata().name()},
                                                              {"state", std::to_string(req.spec().state())}});
        return absl::OkStatus();
    }
}

absl::Status RequestHandler::onPending(const types::AccessRequestV3& req, std::stop_token stop) {
    const std::string id = req.metadata().name();
    std::string requester;
    // Worked out only for a request nobody recorded yet: usually the Teleport lane has, so
    // routing rules are evaluated once per request (twice when this lane wins that race).
    std::optional<std::vector<std::string>> recipients;
    const std::string lease = leases_.fresh();
    bool otherHolds = false;
    // A new request has no plugin data yet, or what the Teleport lane just wrote: try the claim
    // on that guess without reading first.
    const Stored guess = takeJustRecorded(id);
    Stored stored;
    auto claimed = store_.modify(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            otherHolds = false;
            if (!old) {
                if (!recipients) {
                    recipients = recipientsForNew(req, requester);
                }
                PluginData d = rememberRequest(req);
                d.recipients = *recipients;
                d.hasRecipients = true;
                d.claim = lease;
                d.requester = requester;
                return d;
            }
            // Data the Go plugin wrote has no recipient list: its cards exist, never re-post.
            if (!old->resolution.empty() || !old->hasRecipients || missingRecipients(*old).empty()) {
                return std::nullopt;
            }
            if (leases_.heldByOther(old->claim)) {
                otherHolds = true;
                return std::nullopt;
            }
            PluginData d = *old;
            d.claim = lease;
            return d;
        },
        stop, &guess, &stored);
    if (!claimed.ok()) {
        return claimed.status();
    }
    noteRecorded(id);  // plugin data exists now, whoever wrote it
    if (claimed->has_value()) {
        if ((*claimed)->recipients.empty() && (*claimed)->messages.empty()) {
            common::logWarn("no recipients for access request", {{"request", id}});
        }
        if (auto s = deliver(id, render(req), **claimed, stored, lease, stop); !s.ok()) {
            common::logWarn("some cards were not delivered; will retry", {{"request", id},
                                                                         {"error", std::string(s.message())}});
        }
    } else if (otherHolds) {
        // Another replica is delivering; look again once its lease ends.
        wantRetry(id, settings_.claimLease + std::chrono::seconds(1));
    } else if (auto s = followUp(id, stored, stop); !s.ok()) {
        return s;
    }
    return updateReviews(req, stop);
}

absl::Status RequestHandler::updateReviews(const types::AccessRequestV3& req, std::stop_token stop) {
    const int n = req.spec().reviews_size();
    if (n == 0) {
        return absl::OkStatus();
    }
    const std::string id = req.metadata().name();
    const std::string lease = leases_.fresh();
    Stored stored;
    auto won = store_.modify(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || !old->resolution.empty() || old->reviewsCount >= n) {
                return std::nullopt;
            }
            PluginData d = *old;
            d.reviewsCount = n;
            d.updating = lease;
            return d;
        },
        stop, nullptr, &stored);
    if (!won.ok()) {
        return won.status();
    }
    if (!won->has_value()) {
        return followUp(id, stored, stop);
    }
    if (!updateAll(id, (*won)->messages, teams::buildActivity(cardFor(req)), stop)) {
        return absl::OkStatus();  // retried later; the marker stays ours until then
    }
    return releaseUpdating(id, lease, stop);
}

absl::Status RequestHandler::onResolved(const types::AccessRequestV3& req, std::stop_token stop) {
    const std::string tag = resolutionFor(req.spec().state());
    const int n = req.spec().reviews_size();
    // A request created and resolved while no daemon was watching (an outage) still gets its
    // cards, showing the outcome; old ones found at a first start do not.
    auto created = teleport::fromProtoTime(req.spec().created());
    const bool recent = created && clock_.now() - *created < settings_.resolvedCatchUpWindow;
    const std::string lease = leases_.fresh();
    bool fresh = false;
    std::optional<std::vector<std::string>> recipients;
    Stored stored;
    auto won = store_.modify(
        req.metadata().name(),
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            fresh = false;
            if (!old) {
                if (!recent) {
                    return std::nullopt;
                }
                if (!recipients) {
                    recipients = recipientsFor(req);  // once, whatever the compare-and-swap retries
                }
                PluginData d = rememberRequest(req);
                d.recipients = *recipients;
                d.hasRecipients = true;
                d.claim = lease;
                d.resolution = tag;
                d.resolveReason = req.spec().resolvereason();
                d.reviewsCount = n;
                fresh = true;
                return d;
            }
            if (!old->resolution.empty()) {
                return std::nullopt;  // another replica recorded it
            }
            PluginData d = *old;
            d.resolution = tag;
            d.resolveReason = req.spec().resolvereason();
            d.reviewsCount = std::max(d.reviewsCount, n);
            d.updating = lease;
            return d;
        },
        stop, nullptr, &stored);
    if (!won.ok()) {
        return won.status();
    }
    const std::string id = req.metadata().name();
    if (!won->has_value()) {
        return followUp(id, stored, stop);
    }
    common::logInfo("access request resolved", {{"request", id}, {"state", tag}});
    tellRequester(id, tag, cardFor(req), stop);
    if (fresh) {
        return deliver(id, render(req), **won, stored, lease, stop);
    }
    // Cards still missing (a recipient that failed before) get the final state too.
    if ((*won)->hasRecipients && !missingRecipients(**won).empty()) {
        wantRetry(id);
    }
    if (!updateAll(id, (*won)->messages, teams::buildActivity(cardFor(req)), stop)) {
        return absl::OkStatus();  // retried later; the marker stays ours until then
    }
    return releaseUpdating(id, lease, stop);
}

absl::Status RequestHandler::onGone(const std::string& id, std::stop_token stop) {
    if (auto s = recordUnrecorded(id, stop); !s.ok()) {
        return s;
    }
    const std::string lease = leases_.fresh();
    Stored stored;
    auto won = store_.modify(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || !old->resolution.empty()) {
                return std::nullopt;
            }
            PluginData d = *old;
            d.resolution = "EXPIRED";
            d.updating = lease;
            return d;
        },
        stop, nullptr, &stored);
    if (!won.ok()) {
        return won.status();
    }
    if (!won->has_value()) {
        return followUp(id, stored, stop);
    }
    common::logInfo("access request expired", {{"request", id}});
    tellRequester(id, "EXPIRED", plugin::cardFor(viewOf(id, **won), cardContext()), stop);
    if ((*won)->hasRecipients && !missingRecipients(**won).empty()) {
        wantRetry(id);  // cards never posted get the final state too
    }
    if (auto r = refresh(id, (*won)->messages, stop); !r.ok()) {
        return r;
    }
    return releaseUpdating(id, lease, stop);
}

absl::Status RequestHandler::redeliverNow(const std::string& id, std::stop_token stop) {
    if (auto s = recordUnrecorded(id, stop); !s.ok()) {
        return s;
    }
    auto req = auth_.getAccessRequest(id);
    if (!req.ok()) {
        wantRetry(id);
        return req.status();
    }
    if (!req->has_value()) {
        // Gone (expired or deleted): mark it, or, when that happened already, make sure every
        // card shows it (an update that failed is retried here).
        auto raw = auth_.getPluginData(id);
        if (!raw.ok()) {
            wantRetry(id);
            return raw.status();
        }
        if (raw->has_value()) {
            PluginData d = decodePluginData(**raw);
            if (!d.resolution.empty()) {
                // Cards never posted (their poster died first) still get the final state,
                // rendered from what plugin data remembers of the request.
                const Rendered r = render(id, d);
                tellRequesterIfOwed(id, d, stop);
                if (auto s = deliverMissing(id, d, r, stop); !s.ok()) {
                    return s;
                }
                return finishUpdate(id, d, stop);
            }
        }
        return onGone(id, stop);
    }
    if ((*req)->spec().state() == types::PENDING) {
        return onPending(**req, stop);
    }
    // Resolved: every card must show it, and cards never posted get the final state.
    auto raw = auth_.getPluginData(id);
    if (!raw.ok()) {
        wantRetry(id);
        return raw.status();
    }
    if (!raw->has_value()) {
        return onResolved(**req, stop);
    }
    PluginData d = decodePluginData(**raw);
    if (d.resolution.empty()) {
        return onResolved(**req, stop);
    }
    const Rendered r = render(**req);
    tellRequesterIfOwed(id, d, stop);
    if (auto s = deliverMissing(id, d, r, stop); !s.ok()) {
        return s;
    }
    return finishUpdate(id, d, stop);
}

}  // namespace tmsteams::plugin

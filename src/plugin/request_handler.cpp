// The plugin's reaction to access-request events.
#include "plugin/request_handler.h"

#include <algorithm>
#include <ctime>
#include <future>
#include <set>

#include "common/backoff.h"
#include "common/log.h"
#include "common/duration.h"
#include "common/time_format.h"
#include "teams/recipient.h"
#include "teleport/proto_time.h"

namespace tmsteams::plugin {

namespace {

using teams::CardStatus;

const char* resolutionFor(types::RequestState s) {
    switch (s) {
    case types::APPROVED: return "APPROVED";
    case types::DENIED: return "DENIED";
    case types::PROMOTED: return "PROMOTED";
    default: return "";
    }
}

CardStatus statusFor(const std::string& resolution) {
    if (resolution == "APPROVED") return CardStatus::Approved;
    if (resolution == "DENIED") return CardStatus::Denied;
    if (resolution == "PROMOTED") return CardStatus::Promoted;
    if (resolution == "EXPIRED") return CardStatus::Expired;
    return CardStatus::Pending;
}

PluginData fromRequest(const types::AccessRequestV3& req) {
    PluginData d;
    d.user = req.spec().user();
    d.roles.assign(req.spec().roles().begin(), req.spec().roles().end());
    for (const auto& r : req.spec().requestedresourceids()) {
        d.resources.push_back(resourceName(r));
    }
    d.requestReason = req.spec().requestreason();
    d.suggestedReviewers.assign(req.spec().suggestedreviewers().begin(), req.spec().suggestedreviewers().end());
    if (auto md = teleport::fromProtoTime(req.spec().maxduration())) {
        d.maxDuration = common::formatRfc3339(*md);
    }
    return d;
}


}  // namespace

std::string resourceName(const types::ResourceID& id) {
    std::string out = "/" + id.clustername() + "/" + id.kind() + "/" + id.name();
    if (!id.subresourcename().empty()) {
        out += "/" + id.subresourcename();
    }
    return out;
}

std::string requestUrl(const std::string& proxyAddr, const std::string& requestId) {
    if (proxyAddr.empty()) {
        return "";
    }
    std::string base = proxyAddr;
    if (base.find("://") == std::string::npos) {
        base = "https://" + base;
    }
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ":443") == 0) {
        base.resize(base.size() - 4);
    }
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    std::string id;
    for (char c : requestId) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~') {
            id += c;
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            id += buf;
        }
    }
    return base + "/web/requests/" + id;
}

RequestHandler::RequestHandler(teleport::AuthClient& auth, teams::Messenger& messenger, common::Clock& clock,
                               HandlerSettings settings, RetryScheduler scheduleRetry)
    : auth_(auth), messenger_(messenger), clock_(clock), settings_(std::move(settings)),
      scheduleRetry_(std::move(scheduleRetry)) {}

void RequestHandler::setRoleToRecipients(std::map<std::string, std::vector<std::string>> map) {
    std::lock_guard lock(settingsMu_);
    settings_.roleToRecipients = std::move(map);
}

std::vector<std::string> RequestHandler::recipientsFor(const types::AccessRequestV3& req) const {
    std::lock_guard lock(settingsMu_);
    std::vector<std::string> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& r) {
        if (!r.empty() && seen.insert(r).second) {
            out.push_back(r);
        }
    };
    auto star = settings_.roleToRecipients.find("*");
    bool any = false;
    for (const auto& role : req.spec().roles()) {
        auto it = settings_.roleToRecipients.find(role);
        // A role mapped to an empty list (editor = []) falls back to "*", as the Go plugin does.
        if (it == settings_.roleToRecipients.end() || it->second.empty()) {
            it = star;
        }
        if (it != settings_.roleToRecipients.end()) {
            any = true;
            for (const auto& r : it->second) {
                add(r);
            }
        }
    }
    if (!any && star != settings_.roleToRecipients.end()) {
        for (const auto& r : star->second) {
            add(r);  // resource requests name no roles
        }
    }
    for (const auto& r : req.spec().suggestedreviewers()) {
        if (teams::looksLikeEmail(r)) {
            add(r);
        }
    }
    return out;
}

teams::CardData RequestHandler::cardFor(const types::AccessRequestV3& req) const {
    teams::CardData c;
    const auto& spec = req.spec();
    c.requestId = req.metadata().name();
    c.cluster = settings_.clusterName;
    c.user = spec.user();
    c.roles.assign(spec.roles().begin(), spec.roles().end());
    for (const auto& r : spec.requestedresourceids()) {
        c.resources.push_back(resourceName(r));
    }
    c.reason = spec.requestreason();
    c.status = statusFor(resolutionFor(spec.state()));
    c.resolveReason = spec.resolvereason();
    c.accessList = spec.accesslist().title().empty() ? spec.accesslist().name() : spec.accesslist().title();
    for (const auto& r : spec.reviews()) {
        c.reviews.push_back({r.author(), types::RequestState_Name(r.proposedstate()), r.reason(),
                             teleport::fromProtoTime(r.created())});
        if (r.proposedstate() == types::APPROVED) {
            ++c.approvals;
        }
    }
    for (const auto& t : spec.thresholds()) {
        c.approvalsNeeded = std::max<int>(c.approvalsNeeded, static_cast<int>(t.approve()));
    }
    c.suggestedReviewers.assign(spec.suggestedreviewers().begin(), spec.suggestedreviewers().end());
    if (req.metadata().has_expires()) {
        c.requestExpires = teleport::fromProtoTime(req.metadata().expires());
    }
    c.accessExpires = teleport::fromProtoTime(spec.expires());
    c.maxDuration = teleport::fromProtoTime(spec.maxduration());
    c.webUrl = requestUrl(settings_.webProxyAddr, c.requestId);
    // Long-term requests are granted by promotion to an access list, in Teleport's web UI.
    c.refresh = settings_.reviewFromTeams && c.status == CardStatus::Pending && spec.requestkind() != types::LONG_TERM;
    return c;
}

std::string RequestHandler::newLease() const {
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                     (clock_.now() + settings_.claimLease).time_since_epoch()).count();
    return settings_.instanceId + " " + std::to_string(until);
}

bool RequestHandler::heldByOther(const std::string& claim) const {
    if (claim.empty()) {
        return false;
    }
    auto space = claim.rfind(' ');
    if (space == std::string::npos) {
        return false;
    }
    if (claim.substr(0, space) == settings_.instanceId) {
        return false;
    }
    long long until = std::atoll(claim.c_str() + space + 1);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    return until > now;
}

std::chrono::milliseconds RequestHandler::leaseLeft(const std::string& lease) const {
    auto space = lease.rfind(' ');
    if (space == std::string::npos) {
        return std::chrono::milliseconds(0);
    }
    long long until = std::atoll(lease.c_str() + space + 1);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    return std::chrono::milliseconds(std::max(0LL, until - static_cast<long long>(now)));
}

absl::StatusOr<std::optional<PluginData>> RequestHandler::casUpdate(const std::string& id, const Modify& modify,
                                                                    std::stop_token stop, const Stored* assumed,
                                                                    Stored* stored) {
    common::Backoff backoff(std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
    for (int attempt = 0; attempt < 40; ++attempt) {
        Stored raw;
        if (attempt == 0 && assumed) {
            raw = *assumed;
        } else {
            auto read = auth_.getPluginData(id);
            if (!read.ok()) {
                return read.status();
            }
            raw = std::move(*read);
        }
        std::optional<PluginData> old;
        if (raw) {
            old = decodePluginData(*raw);
        }
        auto next = modify(old);
        if (!next) {
            if (stored) {
                *stored = raw;
            }
            return std::optional<PluginData>();
        }
        auto set = encodePluginData(*next);
        std::map<std::string, std::string> expect;
        if (raw) {
            expect = *raw;
            for (const auto& [k, v] : set) {
                expect.emplace(k, "");
            }
        } else {
            expect = emptyExpectation();
        }
        auto s = auth_.updatePluginData(id, set, expect);
        if (s.ok()) {
            if (stored) {
                teleport::PluginDataMap now = raw.value_or(teleport::PluginDataMap{});
                for (const auto& [k, v] : set) {
                    if (v.empty()) {
                        now.erase(k);
                    } else {
                        now[k] = v;
                    }
                }
                *stored = now.empty() ? Stored() : Stored(now);
            }
            return next;
        }
        if (s.code() != absl::StatusCode::kAborted) {
            return s;
        }
        ++stats_.casConflicts;
        if (attempt == 0 && assumed) {
            continue;  // the guess was stale: read and try again at once
        }
        if (!clock_.sleepFor(backoff.next(), stop)) {
            return absl::CancelledError("stopped");
        }
    }
    return absl::AbortedError("plugin data of " + id + " kept changing; gave up after 40 attempts");
}

absl::Status RequestHandler::onRequest(const types::AccessRequestV3& req, std::stop_token stop) {
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

std::string RequestHandler::requesterRecipient(const types::AccessRequestV3& req) {
    const std::string& user = req.spec().user();
    if (teams::looksLikeEmail(user)) {
        return user;
    }
    auto traits = auth_.getUser(user);
    if (!traits.ok()) {
        common::logWarn("cannot look the requester up to notify them",
                        {{"user", user}, {"error", std::string(traits.status().message())}});
        return "";
    }
    if (traits->has_value()) {
        auto it = (*traits)->find(settings_.userIdTrait);
        if (it != (*traits)->end() && !it->second.empty()) {
            return it->second.front();
        }
    }
    return "";
}

absl::Status RequestHandler::onPending(const types::AccessRequestV3& req, std::stop_token stop) {
    const std::string id = req.metadata().name();
    auto recipients = recipientsFor(req);
    std::string requester;
    if (settings_.notifyRequester) {
        // Only for a new request: the lookup costs a call, and later events find it recorded.
        auto known = auth_.getPluginData(id);
        if (known.ok() && !known->has_value()) {
            requester = requesterRecipient(req);
            if (!requester.empty() && std::find(recipients.begin(), recipients.end(), requester) == recipients.end()) {
                recipients.push_back(requester);
            }
        }
    }
    const std::string lease = newLease();
    bool otherHolds = false;
    // A new request has no plugin data yet: try the claim without reading first.
    const Stored none;
    Stored stored;
    auto claimed = casUpdate(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            otherHolds = false;
            if (!old) {
                PluginData d = fromRequest(req);
                d.recipients = recipients;
                d.hasRecipients = true;
                d.claim = lease;
                d.requester = requester;
                return d;
            }
            // Data the Go plugin wrote has no recipient list: its cards exist, never re-post.
            if (!old->resolution.empty() || !old->hasRecipients || missingRecipients(*old).empty()) {
                return std::nullopt;
            }
            if (heldByOther(old->claim)) {
                otherHolds = true;
                return std::nullopt;
            }
            PluginData d = *old;
            d.claim = lease;
            return d;
        },
        stop, &none, &stored);
    if (!claimed.ok()) {
        return claimed.status();
    }
    if (claimed->has_value()) {
        if (recipients.empty() && (*claimed)->messages.empty()) {
            common::logWarn("no recipients for access request", {{"request", id}});
        }
        if (auto s = deliver(req, **claimed, stored, lease, stop); !s.ok()) {
            common::logWarn("some cards were not delivered; will retry", {{"request", id},
                                                                         {"error", std::string(s.message())}});
        }
    } else if (otherHolds) {
        // Another replica is delivering; look again once its lease ends.
        scheduleRedeliveryIn(id, settings_.claimLease + std::chrono::seconds(1));
    } else if (auto s = followUp(id, stored, stop); !s.ok()) {
        return s;
    }
    return updateReviews(req, stop);
}

absl::Status RequestHandler::deliver(const types::AccessRequestV3& req, const PluginData& data, Stored stored,
                                     const std::string& lease, std::stop_token stop) {
    Rendered r{teams::buildActivity(cardFor(req)), req.spec().reviews_size(), req.spec().state() == types::PENDING,
               teleport::fromProtoTime(req.spec().created())};
    return deliver(req.metadata().name(), r, data, std::move(stored), lease, stop);
}

absl::Status RequestHandler::deliver(const std::string& id, const Rendered& rendered, const PluginData& data,
                                     Stored stored, const std::string& lease, std::stop_token stop) {
    const auto missing = missingRecipients(data);
    const int renderedReviews = rendered.reviews;
    const bool renderedPending = rendered.pending;
    // The request moved on while we were posting: the new cards need the newer state.
    auto movedOn = [&](const PluginData& d) {
        return d.reviewsCount > renderedReviews || (renderedPending && !d.resolution.empty());
    };
    const std::string& activity = rendered.activity;
    const auto deadline = clock_.steadyNow() + settings_.recipientDeadline;
    std::mutex recordMu;  // guards the fields below: one plugin-data write at a time from this fan-out
    std::vector<std::string> failed;
    std::vector<StoredMessage> posted;
    size_t finished = 0;
    bool released = missing.empty();
    bool stale = false;
    absl::Status recordError;
    std::vector<std::future<void>> posts;
    // One recipient: no thread needed. More: one per recipient, so none waits for another.
    const auto policy = missing.size() == 1 ? std::launch::deferred : std::launch::async;
    for (const auto& rid : missing) {
        posts.push_back(std::async(policy, [&, rid] {
            auto result = messenger_.post(rid, activity, deadline, stop);
            std::lock_guard lock(recordMu);
            ++finished;
            if (!result.ok()) {
                ++stats_.cardFailures;
                failed.push_back(rid);
                common::logError("cannot post the card", {{"request", id}, {"recipient", rid},
                                                         {"error", std::string(result.status().message())}});
                return;
            }
            ++stats_.cardsPosted;
            if (notificationLatency_) {
                if (rendered.created) {
                    notificationLatency_->observe(clock_.now() - *rendered.created);
                }
            }
            StoredMessage msg{*result, common::formatUtcWith(clock_.now(), "%d %b %y %H:%M UTC"), rid};
            const bool last = finished == missing.size() && failed.empty();
            // Record at once, so a crash after this point never re-posts this card; the last
            // record also releases the claim.
            auto recorded = casUpdate(
                id,
                [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
                    PluginData d = old ? *old : data;
                    if (old && movedOn(*old)) {
                        stale = true;
                    }
                    d.messages.push_back(msg);
                    if (last && d.claim == lease) {
                        d.claim.clear();
                    }
                    return d;
                },
                stop, &stored, &stored);
            if (!recorded.ok()) {
                recordError = recorded.status();
                common::logError("posted a card but cannot record it yet", {{"request", id}, {"recipient", rid},
                                                                           {"error", std::string(recorded.status().message())}});
                std::lock_guard retryLock(retryMu_);
                unrecorded_[id].push_back(msg);
                return;
            }
            released = released || last;
            posted.push_back(msg);
            common::logInfo("card posted", {{"request", id}, {"recipient", rid}, {"activity", *result}});
        }));
    }
    for (auto& f : posts) {
        f.get();
    }
    if (!released) {
        auto r = casUpdate(
            id,
            [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
                if (!old || old->claim != lease) {
                    return std::nullopt;
                }
                if (movedOn(*old)) {
                    stale = true;
                }
                PluginData d = *old;
                d.claim.clear();
                return d;
            },
            stop, &stored, &stored);
        if (!r.ok()) {
            recordError = r.status();
        }
    }
    if (stale && !posted.empty()) {
        if (auto r = refresh(id, posted, stop); !r.ok()) {
            common::logWarn("cannot refresh cards posted while the request changed",
                            {{"request", id}, {"error", std::string(r.message())}});
            scheduleRedelivery(id);
        }
    }
    if (!failed.empty() || !recordError.ok()) {
        scheduleRedelivery(id);
    }
    if (!failed.empty()) {
        return absl::UnavailableError(std::to_string(failed.size()) + " of " + std::to_string(missing.size()) +
                                      " cards not delivered yet");
    }
    if (!recordError.ok()) {
        return recordError;
    }
    {
        std::lock_guard lock(retryMu_);
        retryAttempts_.erase(id);
    }
    return recordError;
}

absl::Status RequestHandler::updateReviews(const types::AccessRequestV3& req, std::stop_token stop) {
    const int n = req.spec().reviews_size();
    if (n == 0) {
        return absl::OkStatus();
    }
    const std::string id = req.metadata().name();
    const std::string lease = newLease();
    Stored stored;
    auto won = casUpdate(
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
    const std::string lease = newLease();
    bool fresh = false;
    Stored stored;
    auto won = casUpdate(
        req.metadata().name(),
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            fresh = false;
            if (!old) {
                if (!recent) {
                    return std::nullopt;
                }
                PluginData d = fromRequest(req);
                d.recipients = recipientsFor(req);
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
        return deliver(req, **won, stored, lease, stop);
    }
    // Cards still missing (a recipient that failed before) get the final state too.
    if ((*won)->hasRecipients && !missingRecipients(**won).empty()) {
        scheduleRedelivery(id);
    }
    if (!updateAll(id, (*won)->messages, teams::buildActivity(cardFor(req)), stop)) {
        return absl::OkStatus();  // retried later; the marker stays ours until then
    }
    return releaseUpdating(id, lease, stop);
}

absl::Status RequestHandler::onDeleted(const std::string& id, std::stop_token stop) {
    if (auto s = recordUnrecorded(id, stop); !s.ok()) {
        return s;
    }
    const std::string lease = newLease();
    Stored stored;
    auto won = casUpdate(
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
    tellRequester(id, "EXPIRED", cardFromPluginData(id, **won), stop);
    if ((*won)->hasRecipients && !missingRecipients(**won).empty()) {
        scheduleRedelivery(id);  // cards never posted get the final state too
    }
    if (auto r = refresh(id, (*won)->messages, stop); !r.ok()) {
        return r;
    }
    return releaseUpdating(id, lease, stop);
}

absl::Status RequestHandler::releaseUpdating(const std::string& id, const std::string& lease, std::stop_token stop) {
    bool overtaken = false;
    std::vector<StoredMessage> messages;
    auto r = casUpdate(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            overtaken = false;
            if (!old || old->updating != lease) {
                // Another replica recorded a newer state meanwhile; our older render may have
                // landed after its update, so render from the truth once more.
                overtaken = old.has_value();
                messages = old ? old->messages : std::vector<StoredMessage>{};
                return std::nullopt;
            }
            PluginData d = *old;
            d.updating.clear();
            return d;
        },
        stop);
    if (!r.ok()) {
        return r.status();
    }
    return overtaken ? refresh(id, messages, stop) : absl::OkStatus();
}

absl::Status RequestHandler::finishUpdate(const std::string& id, const PluginData& d, std::stop_token stop) {
    if (!d.updating.empty() && heldByOther(d.updating)) {
        // Another replica is updating the cards right now; check once its lease ends.
        scheduleRedeliveryIn(id, leaseLeft(d.updating) + std::chrono::seconds(1));
        return absl::OkStatus();
    }
    if (auto r = refresh(id, d.messages, stop); !r.ok()) {
        return r;
    }
    return d.updating.empty() ? absl::OkStatus() : releaseUpdating(id, d.updating, stop);
}

absl::Status RequestHandler::followUp(const std::string& id, const Stored& stored, std::stop_token stop) {
    if (!stored) {
        return absl::OkStatus();
    }
    const PluginData d = decodePluginData(*stored);
    if (d.hasRecipients && !missingRecipients(d).empty() && !d.resolution.empty()) {
        // Cards never posted (their poster died, or a recipient kept failing): the final
        // state still goes to them, by whoever holds the claim or, after it, by us.
        scheduleRedeliveryIn(id, heldByOther(d.claim) ? leaseLeft(d.claim) + std::chrono::seconds(1)
                                                      : std::chrono::milliseconds(0));
    }
    if (d.updating.empty()) {
        return absl::OkStatus();
    }
    // A state change whose card updates were cut short (a crash, or a failed attempt).
    return finishUpdate(id, d, stop);
}

teams::CardData RequestHandler::cardFromPluginData(const std::string& id, const PluginData& d) const {
    teams::CardData c;
    c.requestId = id;
    c.cluster = settings_.clusterName;
    c.user = d.user;
    c.roles = d.roles;
    c.resources = d.resources;
    c.reason = d.requestReason;
    c.resolveReason = d.resolveReason;
    c.status = d.resolution.empty() ? CardStatus::Expired : statusFor(d.resolution);
    return c;
}

absl::Status RequestHandler::refresh(const std::string& id, const std::vector<StoredMessage>& messages,
                                     std::stop_token stop) {
    if (messages.empty()) {
        return absl::OkStatus();
    }
    auto req = auth_.getAccessRequest(id);
    if (!req.ok()) {
        return req.status();
    }
    std::string activity;
    if (req->has_value()) {
        activity = teams::buildActivity(cardFor(**req));
    } else {
        auto raw = auth_.getPluginData(id);
        if (!raw.ok()) {
            return raw.status();
        }
        const PluginData d = raw->has_value() ? decodePluginData(**raw) : PluginData{};
        activity = teams::buildActivity(cardFromPluginData(id, d));
    }
    if (!updateAll(id, messages, activity, stop)) {
        return absl::UnavailableError("some cards of " + id + " are not updated yet");
    }
    return absl::OkStatus();
}

bool RequestHandler::updateAll(const std::string& id, const std::vector<StoredMessage>& messages,
                               const std::string& activity, std::stop_token stop) {
    const auto deadline = clock_.steadyNow() + settings_.recipientDeadline;
    std::vector<std::future<bool>> updates;
    const auto policy = messages.size() == 1 ? std::launch::deferred : std::launch::async;
    for (const auto& m : messages) {
        updates.push_back(std::async(policy, [&, m] {
            auto s = messenger_.update(m.rid, m.id, activity, deadline, stop);
            if (!s.ok()) {
                ++stats_.cardFailures;
                common::logError("cannot update the card", {{"request", id}, {"recipient", m.rid},
                                                           {"error", std::string(s.message())}});
                return false;
            }
            ++stats_.cardsUpdated;
            common::logInfo("card updated", {{"request", id}, {"recipient", m.rid}});
            return true;
        }));
    }
    bool allOk = true;
    for (auto& u : updates) {
        allOk = u.get() && allOk;
    }
    if (!allOk) {
        scheduleRedelivery(id);
    }
    return allOk;
}

void RequestHandler::scheduleRedelivery(const std::string& id) {
    int attempt;
    {
        std::lock_guard lock(retryMu_);
        if (retryPending_.count(id)) {
            return;  // the one already scheduled covers this failure too
        }
        attempt = retryAttempts_[id]++;
    }
    // 5 s, 10 s, 20 s ... capped at 5 minutes; the catch-up after a restart also retries.
    auto delay = std::chrono::milliseconds(5000) * (1 << std::min(attempt, 6));
    scheduleRedeliveryIn(id, std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5)));
}

void RequestHandler::scheduleRedeliveryIn(const std::string& id, std::chrono::milliseconds delay) {
    {
        std::lock_guard lock(retryMu_);
        if (!retryPending_.insert(id).second) {
            return;
        }
    }
    scheduleRetry_(id, delay);
}

absl::Status RequestHandler::recordUnrecorded(const std::string& id, std::stop_token stop) {
    std::vector<StoredMessage> waiting;
    {
        std::lock_guard lock(retryMu_);
        auto it = unrecorded_.find(id);
        if (it == unrecorded_.end()) {
            return absl::OkStatus();
        }
        waiting = it->second;
    }
    auto recorded = casUpdate(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            // The claim that created the entry preceded every post, so it exists unless
            // someone removed it by hand; then these cards are all we know of.
            PluginData d = old.value_or(PluginData{});
            bool added = false;
            for (const auto& m : waiting) {
                if (std::find(d.messages.begin(), d.messages.end(), m) == d.messages.end()) {
                    d.messages.push_back(m);
                    added = true;
                }
            }
            return added ? std::optional<PluginData>(d) : std::nullopt;
        },
        stop);
    if (!recorded.ok()) {
        scheduleRedelivery(id);
        return recorded.status();
    }
    common::logInfo("recorded cards posted during an outage", {{"request", id},
                                                               {"cards", std::to_string(waiting.size())}});
    std::lock_guard lock(retryMu_);
    auto& list = unrecorded_[id];
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const StoredMessage& m) {
                                  return std::find(waiting.begin(), waiting.end(), m) != waiting.end();
                              }),
               list.end());
    if (list.empty()) {
        unrecorded_.erase(id);
    }
    return absl::OkStatus();
}

absl::Status RequestHandler::redeliver(const std::string& id, std::stop_token stop) {
    {
        std::lock_guard lock(retryMu_);
        retryPending_.erase(id);
    }
    auto s = redeliverNow(id, stop);
    std::lock_guard lock(retryMu_);
    if (s.ok() && !retryPending_.count(id)) {
        retryAttempts_.erase(id);  // all done: a later failure starts the backoff afresh
    }
    return s;
}

absl::Status RequestHandler::redeliverNow(const std::string& id, std::stop_token stop) {
    if (auto s = recordUnrecorded(id, stop); !s.ok()) {
        return s;
    }
    auto req = auth_.getAccessRequest(id);
    if (!req.ok()) {
        scheduleRedelivery(id);
        return req.status();
    }
    if (!req->has_value()) {
        // Gone (expired or deleted): mark it, or, when that happened already, make sure every
        // card shows it (an update that failed is retried here).
        auto raw = auth_.getPluginData(id);
        if (!raw.ok()) {
            scheduleRedelivery(id);
            return raw.status();
        }
        if (raw->has_value()) {
            PluginData d = decodePluginData(**raw);
            if (!d.resolution.empty()) {
                // Cards never posted (their poster died first) still get the final state,
                // rendered from what plugin data remembers of the request.
                Rendered r{teams::buildActivity(cardFromPluginData(id, d)), d.reviewsCount, false, std::nullopt};
                if (auto s = deliverMissing(id, d, r, stop); !s.ok()) {
                    return s;
                }
                return finishUpdate(id, d, stop);
            }
        }
        return onDeleted(id, stop);
    }
    if ((*req)->spec().state() == types::PENDING) {
        return onPending(**req, stop);
    }
    // Resolved: every card must show it, and cards never posted get the final state.
    auto raw = auth_.getPluginData(id);
    if (!raw.ok()) {
        scheduleRedelivery(id);
        return raw.status();
    }
    if (!raw->has_value()) {
        return onResolved(**req, stop);
    }
    PluginData d = decodePluginData(**raw);
    if (d.resolution.empty()) {
        return onResolved(**req, stop);
    }
    Rendered r{teams::buildActivity(cardFor(**req)), (*req)->spec().reviews_size(), false,
               teleport::fromProtoTime((*req)->spec().created())};
    if (auto s = deliverMissing(id, d, r, stop); !s.ok()) {
        return s;
    }
    return finishUpdate(id, d, stop);
}

void RequestHandler::tellRequester(const std::string& id, const std::string& tag, const teams::CardData& card,
                                   std::stop_token stop) {
    if (!settings_.notifyRequester) {
        return;
    }
    std::string to;
    auto won = casUpdate(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || old->requester.empty() || old->requesterNotified == tag) {
                return std::nullopt;
            }
            PluginData d = *old;
            d.requesterNotified = tag;  // recorded first: told once, even with replicas
            to = d.requester;
            return d;
        },
        stop);
    if (!won.ok() || !won->has_value()) {
        return;
    }
    teams::Notice n;
    n.summary = "Your access request was " + tag;
    n.title = "Your access request was " + tag;
    n.facts = {{"Request", id}, {"Cluster", card.cluster}};
    std::string roles;
    for (const auto& r : card.roles) {
        roles += (roles.empty() ? "" : ", ") + r;
    }
    n.facts.emplace_back("Roles", roles);
    n.facts.emplace_back("Reason", card.resolveReason);
    if ((tag == "APPROVED" || tag == "PROMOTED") && card.accessExpires) {
        n.facts.emplace_back("Access until", common::formatUtcWith(*card.accessExpires, "%Y-%m-%d %H:%M UTC"));
    }
    if (tag == "PROMOTED" && !card.accessList.empty()) {
        n.facts.emplace_back("Access list", card.accessList);
    }
    n.webUrl = card.webUrl;
    auto posted = messenger_.post(to, teams::buildNoticeActivity(n), clock_.steadyNow() + settings_.recipientDeadline, stop);
    if (!posted.ok()) {
        ++stats_.cardFailures;
        common::logError("cannot tell the requester the outcome", {{"request", id}, {"recipient", to},
                                                                  {"error", std::string(posted.status().message())}});
        return;
    }
    common::logInfo("requester told the outcome", {{"request", id}, {"state", tag}});
}

absl::Status RequestHandler::remind(const types::AccessRequestV3& req, std::stop_token stop) {
    if (settings_.remindAfter.count() <= 0 || req.spec().state() != types::PENDING) {
        return absl::OkStatus();
    }
    const std::string id = req.metadata().name();
    auto created = teleport::fromProtoTime(req.spec().created());
    if (!created) {
        return absl::OkStatus();
    }
    const auto now = clock_.now();
    const long long nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    int sent = 0;
    bool escalate = false;
    std::vector<StoredMessage> cards;
    std::string requester;
    auto won = casUpdate(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || !old->resolution.empty() || old->messages.empty()) {
                return std::nullopt;  // nothing announced yet, or already over
            }
            int count = 0;
            long long last = 0;
            std::sscanf(old->reminders.c_str(), "%d %lld", &count, &last);
            const bool due = count < settings_.remindMax &&
                             (count == 0 ? now - *created >= settings_.remindAfter
                                         : nowMs - last >= settings_.remindRepeat.count());
            if (!due) {
                return std::nullopt;
            }
            PluginData d = *old;
            sent = count + 1;
            d.reminders = std::to_string(sent) + " " + std::to_string(nowMs);
            escalate = sent == settings_.remindMax && !settings_.escalateTo.empty();
            for (const auto& r : settings_.escalateTo) {
                if (escalate && std::find(d.recipients.begin(), d.recipients.end(), r) == d.recipients.end()) {
                    d.recipients.push_back(r);
                }
            }
            cards = d.messages;
            requester = d.requester;
            return d;
        },
        stop);
    if (!won.ok()) {
        return won.status();
    }
    if (!won->has_value()) {
        return absl::OkStatus();
    }
    const teams::CardData c = cardFor(req);
    teams::Notice n;
    n.summary = "Reminder: access request from " + c.user + " is waiting";
    n.title = "Reminder: an access request is waiting for review";
    n.text = c.user + " asked " + common::formatDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *created)) +
             " ago.";
    std::string roles;
    for (const auto& r : c.roles) {
        roles += (roles.empty() ? "" : ", ") + r;
    }
    n.facts = {{"Request", id}, {"User", c.user}, {"Roles", roles}, {"Reason", c.reason},
               {"Reminder", std::to_string(sent) + " of " + std::to_string(settings_.remindMax)}};
    n.webUrl = c.webUrl;
    const std::string activity = teams::buildNoticeActivity(n);
    const auto deadline = clock_.steadyNow() + settings_.recipientDeadline;
    std::set<std::string> told;
    for (const auto& m : cards) {
        if (m.rid == requester || !told.insert(m.rid).second) {
            continue;  // the requester waits too, but is not the one to act
        }
        if (auto p = messenger_.post(m.rid, activity, deadline, stop); !p.ok()) {
            common::logWarn("cannot send a reminder", {{"request", id}, {"recipient", m.rid},
                                                       {"error", std::string(p.status().message())}});
        }
    }
    common::logInfo("reminder sent", {{"request", id}, {"reminder", std::to_string(sent)},
                                      {"recipients", std::to_string(told.size())}});
    if (escalate) {
        common::logInfo("escalating the access request", {{"request", id}});
        return onPending(req, stop);  // posts the cards to the escalation recipients
    }
    return absl::OkStatus();
}

absl::Status RequestHandler::deliverMissing(const std::string& id, const PluginData& d, const Rendered& rendered,
                                            std::stop_token stop) {
    if (!d.hasRecipients || missingRecipients(d).empty()) {
        return absl::OkStatus();
    }
    if (heldByOther(d.claim)) {
        scheduleRedeliveryIn(id, leaseLeft(d.claim) + std::chrono::seconds(1));
        return absl::OkStatus();
    }
    const std::string lease = newLease();
    Stored stored;
    auto claimed = casUpdate(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || heldByOther(old->claim) || missingRecipients(*old).empty()) {
                return std::nullopt;
            }
            PluginData c = *old;
            c.claim = lease;
            return c;
        },
        stop, nullptr, &stored);
    if (!claimed.ok()) {
        scheduleRedelivery(id);
        return claimed.status();
    }
    if (!claimed->has_value()) {
        return absl::OkStatus();
    }
    return deliver(id, rendered, **claimed, stored, lease, stop);
}

}  // namespace tmsteams::plugin

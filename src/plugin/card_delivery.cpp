// Posting, updating and recording a request's cards: every call to a recipient runs on the
// shared fan-out, and every card is recorded in plugin data as soon as it is posted.
#include "plugin/request_handler.h"

#include <algorithm>
#include <atomic>
#include <functional>

#include "common/log.h"
#include "common/time_format.h"

namespace tmsteams::plugin {

absl::Status RequestHandler::deliver(const std::string& id, const Rendered& rendered, const PluginData& data,
                                     Stored stored, const std::string& lease, std::stop_token stop) {
    const auto missing = missingRecipients(data);
    // The request moved on while we were posting: the new cards need the newer state.
    auto movedOn = [&](const PluginData& d) {
        return d.reviewsCount > rendered.reviews || (rendered.pending && !d.resolution.empty());
    };
    // Every post must end, and its record land, before our claim does: otherwise another replica
    // could take the claim over and post the same card again.
    const auto beforeLeaseEnds = leases_.left(lease) - std::chrono::seconds(5);
    const auto deadline = clock_.steadyNow() + std::clamp<std::chrono::milliseconds>(
                                                   beforeLeaseEnds, std::chrono::milliseconds(0), settings_.recipientDeadline);
    // Posts run concurrently; records are written by one of them at a time, taking every card
    // posted so far in one write, with no lock held while writing.
    std::mutex mu;  // guards the fields below (never held across a call)
    std::vector<std::string> failed;
    std::vector<StoredMessage> toRecord, posted;
    size_t finished = 0;
    bool recording = false, released = missing.empty(), stale = false;
    // Set when our write took over another writer's `updating` lease: it may have died with some
    // cards not yet updated, so every card (not only ours) is brought up to date.
    bool tookOver = false;
    std::vector<StoredMessage> allCards;
    absl::Status recordError;
    auto recordPending = [&](std::unique_lock<std::mutex>& lock) {
        recording = true;
        while (!toRecord.empty()) {
            auto batch = std::move(toRecord);
            toRecord.clear();
            // The last record also releases the claim, unless some posted card is not recorded.
            const bool last = finished == missing.size() && failed.empty() && recordError.ok();
            lock.unlock();
            bool movedOnSeen = false, replacedOther = false;
            std::vector<StoredMessage> cards;
            auto recorded = store_.modify(
                id,
                [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
                    PluginData d = old ? *old : data;
                    movedOnSeen = old && movedOn(*old);
                    replacedOther = false;
                    if (movedOnSeen) {
                        // These cards show an older state: say in the same write that they need an
                        // update, so that a crash before it leaves the work to another replica.
                        replacedOther = !d.updating.empty() && d.updating != lease;
                        d.updating = lease;
                    }
                    d.messages.insert(d.messages.end(), batch.begin(), batch.end());
                    cards = d.messages;
                    if (last && d.claim == lease) {
                        d.claim.clear();
                    }
                    return d;
                },
                stop, &stored, &stored);
            lock.lock();
            if (recorded.ok()) {
                stale = stale || movedOnSeen;
                tookOver = tookOver || replacedOther;
                allCards = std::move(cards);
            }
            if (!recorded.ok()) {
                recordError = recorded.status();
                common::logError("posted cards but cannot record them yet",
                                 {{"request", id}, {"cards", std::to_string(batch.size())},
                                  {"error", std::string(recorded.status().message())}});
                std::lock_guard pendingLock(pendingMu_);
                auto& waiting = unrecorded_[id];
                waiting.insert(waiting.end(), batch.begin(), batch.end());
                continue;
            }
            released = released || last;
            posted.insert(posted.end(), batch.begin(), batch.end());
        }
        recording = false;
    };
    std::vector<std::function<void()>> posts;
    for (const auto& rid : missing) {
        posts.push_back([&, rid] {
            auto result = messenger_.post(rid, rendered.activity, deadline, stop);
            std::unique_lock lock(mu);
            ++finished;
            if (!result.ok()) {
                ++stats_.cardFailures;
                failed.push_back(rid);
                common::logError("cannot post the card", {{"request", id}, {"recipient", rid},
                                                         {"error", std::string(result.status().message())}});
                return;
            }
            ++stats_.cardsPosted;
            if (notificationLatency_ && rendered.created) {
                notificationLatency_->observe(clock_.now() - *rendered.created);
            }
            common::logInfo("card posted", {{"request", id}, {"recipient", rid}, {"activity", *result}});
            // Record at once, so a crash after this point never re-posts this card.
            toRecord.push_back({*result, common::formatUtcWith(clock_.now(), "%d %b %y %H:%M UTC"), rid});
            if (!recording) {
                recordPending(lock);
            }
        });
    }
    fanOut_.run(std::move(posts));
    // Release the claim, unless posted cards wait unrecorded (Teleport unreachable): then it
    // stays until they are recorded or it ends, so nobody posts them again meanwhile.
    if (!released && recordError.ok()) {
        bool movedOnSeen = false, replacedOther = false;
        std::vector<StoredMessage> cards;
        auto r = store_.modify(
            id,
            [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
                if (!old || old->claim != lease) {
                    return std::nullopt;
                }
                PluginData d = *old;
                movedOnSeen = movedOn(*old);
                replacedOther = false;
                if (movedOnSeen) {
                    replacedOther = !d.updating.empty() && d.updating != lease;
                    d.updating = lease;
                }
                d.claim.clear();
                cards = d.messages;
                return d;
            },
            stop, &stored, &stored);
        if (!r.ok()) {
            recordError = r.status();
        } else if (r->has_value()) {
            stale = stale || movedOnSeen;
            tookOver = tookOver || replacedOther;
            allCards = std::move(cards);
        }
    }
    if (stale) {
        // Our `updating` lease is recorded: release it once the cards show the truth (another
        // writer that took it over meanwhile brings every card up to date itself).
        const auto& toRefresh = tookOver ? allCards : posted;
        auto r = toRefresh.empty() ? absl::OkStatus() : refresh(id, toRefresh, stop);
        if (r.ok()) {
            r = releaseUpdating(id, lease, stop);
        }
        if (!r.ok()) {
            common::logWarn("cannot refresh cards posted while the request changed",
                            {{"request", id}, {"error", std::string(r.message())}});
            wantRetry(id);
        }
    }
    if (!failed.empty() || !recordError.ok()) {
        wantRetry(id);
    }
    if (!failed.empty()) {
        return absl::UnavailableError(std::to_string(failed.size()) + " of " + std::to_string(missing.size()) +
                                      " cards not delivered yet");
    }
    return recordError;
}

absl::Status RequestHandler::deliverMissing(const std::string& id, const PluginData& d, const Rendered& rendered,
                                            std::stop_token stop) {
    if (!d.hasRecipients || missingRecipients(d).empty()) {
        return absl::OkStatus();
    }
    if (leases_.heldByOther(d.claim)) {
        wantRetry(id, leases_.left(d.claim) + std::chrono::seconds(1));
        return absl::OkStatus();
    }
    const std::string lease = leases_.fresh();
    Stored stored;
    auto claimed = store_.modify(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || leases_.heldByOther(old->claim) || missingRecipients(*old).empty()) {
                return std::nullopt;
            }
            PluginData c = *old;
            c.claim = lease;
            return c;
        },
        stop, nullptr, &stored);
    if (!claimed.ok()) {
        wantRetry(id);
        return claimed.status();
    }
    if (!claimed->has_value()) {
        return absl::OkStatus();
    }
    return deliver(id, rendered, **claimed, stored, lease, stop);
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
        activity = render(**req).activity;
    } else {
        auto raw = auth_.getPluginData(id);
        if (!raw.ok()) {
            return raw.status();
        }
        const PluginData d = raw->has_value() ? decodePluginData(**raw) : PluginData{};
        activity = render(id, d).activity;
    }
    if (!updateAll(id, messages, activity, stop)) {
        return absl::UnavailableError("some cards of " + id + " are not updated yet");
    }
    return absl::OkStatus();
}

bool RequestHandler::updateAll(const std::string& id, const std::vector<StoredMessage>& messages,
                               const std::string& activity, std::stop_token stop) {
    const auto deadline = clock_.steadyNow() + settings_.recipientDeadline;
    std::atomic<bool> allOk{true};
    std::vector<std::function<void()>> updates;
    for (const auto& m : messages) {
        updates.push_back([&, m] {
            auto s = messenger_.update(m.rid, m.id, activity, deadline, stop);
            if (!s.ok()) {
                ++stats_.cardFailures;
                allOk = false;
                common::logError("cannot update the card", {{"request", id}, {"recipient", m.rid},
                                                           {"error", std::string(s.message())}});
                return;
            }
            ++stats_.cardsUpdated;
            common::logInfo("card updated", {{"request", id}, {"recipient", m.rid}});
        });
    }
    fanOut_.run(std::move(updates));
    if (!allOk) {
        wantRetry(id);
    }
    return allOk;
}

absl::Status RequestHandler::releaseUpdating(const std::string& id, const std::string& lease, std::stop_token stop) {
    bool overtaken = false;
    std::vector<StoredMessage> messages;
    auto r = store_.modify(
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
    if (!d.updating.empty() && leases_.heldByOther(d.updating)) {
        // Another replica is updating the cards right now; check once its lease ends.
        wantRetry(id, leases_.left(d.updating) + std::chrono::seconds(1));
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
    tellRequesterIfOwed(id, d, stop);
    if (d.hasRecipients && !missingRecipients(d).empty() && !d.resolution.empty()) {
        // Cards never posted (their poster died, or a recipient kept failing): the final
        // state still goes to them, by whoever holds the claim or, after it, by us.
        wantRetry(id, leases_.heldByOther(d.claim) ? leases_.left(d.claim) + std::chrono::seconds(1)
                                                      : std::chrono::milliseconds(0));
    }
    if (d.updating.empty()) {
        return absl::OkStatus();
    }
    // A state change whose card updates were cut short (a crash, or a failed attempt).
    return finishUpdate(id, d, stop);
}

absl::Status RequestHandler::recordUnrecorded(const std::string& id, std::stop_token stop) {
    std::vector<StoredMessage> waiting;
    {
        std::lock_guard lock(pendingMu_);
        auto it = unrecorded_.find(id);
        if (it == unrecorded_.end()) {
            return absl::OkStatus();
        }
        waiting = it->second;
    }
    auto recorded = store_.modify(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            // The claim that created the entry preceded every post, so it exists unless
            // someone removed it by hand; then these cards are all we know of.
            PluginData d = old.value_or(PluginData{});
            bool changed = false;
            for (const auto& m : waiting) {
                if (std::find(d.messages.begin(), d.messages.end(), m) == d.messages.end()) {
                    d.messages.push_back(m);
                    changed = true;
                }
            }
            // The claim was kept while these cards waited unrecorded; once every due card is
            // on record it guards nothing, so plugin data comes to rest (ours, or ended).
            if (!d.claim.empty() && !leases_.heldByOther(d.claim) && d.hasRecipients && missingRecipients(d).empty()) {
                d.claim.clear();
                changed = true;
            }
            return changed ? std::optional<PluginData>(d) : std::nullopt;
        },
        stop);
    if (!recorded.ok()) {
        wantRetry(id);
        return recorded.status();
    }
    common::logInfo("recorded cards posted during an outage", {{"request", id},
                                                               {"cards", std::to_string(waiting.size())}});
    std::lock_guard lock(pendingMu_);
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

}  // namespace tmsteams::plugin

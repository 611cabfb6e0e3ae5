// The Teleport lane: what a new request is due, recorded in plugin data before Microsoft is
// called, so watching Teleport never waits for Microsoft and nothing due is forgotten.
#include "plugin/request_handler.h"

#include <algorithm>

#include "common/log.h"

namespace tmsteams::plugin {

std::vector<std::string> RequestHandler::recipientsForNew(const types::AccessRequestV3& req, std::string& requester) {
    auto recipients = recipientsFor(req);
    requester.clear();
    if (settings_.notifyRequester) {
        // Only for a new request: the lookup costs a call, and later events find it recorded.
        auto known = auth_.getPluginData(req.metadata().name());
        if (known.ok() && !known->has_value()) {
            requester = requesterRecipient(req);
            if (!requester.empty() && std::find(recipients.begin(), recipients.end(), requester) == recipients.end()) {
                recipients.push_back(requester);
            }
        }
    }
    return recipients;
}

RequestHandler::Stored RequestHandler::takeJustRecorded(const std::string& id) {
    std::lock_guard lock(recordedMu_);
    auto it = justRecorded_.find(id);
    if (it == justRecorded_.end()) {
        return Stored();  // nothing stored yet, as far as we know
    }
    Stored guess = std::move(it->second);
    justRecorded_.erase(it);
    return guess;
}

void RequestHandler::noteRecorded(const std::string& id) {
    std::lock_guard lock(recordedMu_);
    recorded_.insert(id);
}

Outcome RequestHandler::recordDue(const types::AccessRequestV3& req, std::stop_token) {
    if (req.kind() != "access_request" || req.spec().state() != types::PENDING) {
        return Outcome::done();
    }
    const std::string id = req.metadata().name();
    {
        std::lock_guard lock(recordedMu_);
        if (recorded_.count(id)) {
            return Outcome::done();
        }
    }
    std::string requester;
    const auto recipients = recipientsForNew(req, requester);
    PluginData due = rememberRequest(req);
    due.recipients = recipients;
    due.hasRecipients = true;
    due.requester = requester;
    // One create-if-absent: a conflict means someone recorded it first, which is all we want.
    bool created = false;
    auto recorded = store_.createOnly(id, due, &created);
    if (recorded.ok()) {
        std::lock_guard lock(recordedMu_);
        recorded_.insert(id);
        if (created) {
            teleport::PluginDataMap stored;
            for (const auto& [k, v] : encodePluginData(due)) {
                if (!v.empty()) {
                    stored.emplace(k, v);  // an empty value deletes the key: it is not stored
                }
            }
            justRecorded_[id] = std::move(stored);
        }
    } else {
        // The delivery lane records it too (with its claim); nothing is lost by giving up here.
        common::logDebug("could not record a new request ahead of delivery",
                         {{"request", id}, {"error", std::string(recorded.message())}});
    }
    if (details_) {
        details_->prefetch(req);  // the card's names and logins, once what is due is safe
    }
    return Outcome::done();
}

}  // namespace tmsteams::plugin

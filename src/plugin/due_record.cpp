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
    // One create-if-absent: a conflict means someone recorded it first, which is all we want.
    auto recorded = store_.createOnly(id, [&] {
        PluginData d = rememberRequest(req);
        d.recipients = recipients;
        d.hasRecipients = true;
        d.requester = requester;
        return d;
    }());
    if (recorded.ok()) {
        std::lock_guard lock(recordedMu_);
        recorded_.insert(id);
    } else {
        // The delivery lane records it too (with its claim); nothing is lost by giving up here.
        common::logDebug("could not record a new request ahead of delivery",
                         {{"request", id}, {"error", std::string(recorded.message())}});
    }
    return Outcome::done();
}

}  // namespace tmsteams::plugin

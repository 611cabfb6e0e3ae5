// The requester's notices: the outcome of their request, and reminders (with escalation) to
// reviewers while it waits. Each is recorded in plugin data before it is sent: once, across
// replicas and restarts.
#include "plugin/request_handler.h"

#include <algorithm>
#include <set>

#include "common/duration.h"
#include "common/log.h"
#include "common/time_format.h"
#include "teams/recipient.h"
#include "teleport/proto_time.h"

namespace tmsteams::plugin {

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

void RequestHandler::tellRequesterIfOwed(const std::string& id, const PluginData& d, std::stop_token stop) {
    if (settings_.notifyRequester && !d.requester.empty() && !d.resolution.empty() &&
        d.requesterNotified != d.resolution) {
        tellRequester(id, d.resolution, plugin::cardFor(viewOf(id, d), cardContext()), stop);
    }
}

void RequestHandler::tellRequester(const std::string& id, const std::string& tag, const teams::CardData& card,
                                   std::stop_token stop) {
    if (!settings_.notifyRequester) {
        return;
    }
    if (!messenger_.ready()) {
        wantRetry(id);  // recorded only once it can be sent: the retry tells them
        return;
    }
    std::string to, before;
    auto won = store_.modify(
        id,
        [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
            if (!old || old->requester.empty() || old->requesterNotified == tag) {
                return std::nullopt;
            }
            PluginData d = *old;
            before = d.requesterNotified;
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
        // Take the mark back, so that the retry (or another replica) tells them.
        (void)store_.modify(
            id,
            [&](const std::optional<PluginData>& old) -> std::optional<PluginData> {
                if (!old || old->requesterNotified != tag) {
                    return std::nullopt;
                }
                PluginData d = *old;
                d.requesterNotified = before;
                return d;
            },
            stop);
        wantRetry(id);
        return;
    }
    common::logInfo("requester told the outcome", {{"request", id}, {"state", tag}});
}

absl::Status RequestHandler::sendReminder(const types::AccessRequestV3& req, std::stop_token stop) {
    if (settings_.remindAfter.count() <= 0 || req.spec().state() != types::PENDING || !messenger_.ready()) {
        return absl::OkStatus();  // not due, or Microsoft not reached yet: the next scan sends it
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
    auto won = store_.modify(
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

}  // namespace tmsteams::plugin

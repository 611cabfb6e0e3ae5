// Who gets a card for a new request: the recipients of the access monitoring rules that match
// it, else [role_to_recipients]; suggested reviewers with an email address either way.
#include <set>

#include "common/log.h"
#include "plugin/request_handler.h"
#include "routing/rule_book.h"
#include "teams/recipient.h"

namespace tmsteams::plugin {

namespace {
common::Counter& routedBy(const char* how) {
    return common::Metrics::instance().counter("teleport_msteams_requests_routed_total",
                                               "New access requests by what chose their recipients.", {{"by", how}});
}
}  // namespace

std::vector<std::string> RequestHandler::recipientsFor(const types::AccessRequestV3& req) const {
    static common::Counter& byRules = routedBy("access_monitoring_rules");
    static common::Counter& byConfig = routedBy("role_to_recipients");
    if (auto routed = recipientsByRules(req)) {
        byRules.inc();
        return *routed;
    }
    byConfig.inc();
    return configuredRecipients(req);
}

std::optional<std::vector<std::string>> RequestHandler::recipientsByRules(const types::AccessRequestV3& req) const {
    if (!rules_ || !details_ || rules_->size() == 0) {
        return std::nullopt;
    }
    const std::string& id = req.metadata().name();
    // As in Teleport's plugins: when what the conditions need cannot be read, the configured
    // recipients apply rather than a guess. Only what some rule reads is asked for.
    teleport::UserTraits traits;
    if (rules_->needsTraits()) {
        auto t = details_->traits(req.spec().user());
        if (!t.ok()) {
            common::logWarn("cannot read the requester's traits for routing rules; role_to_recipients applies",
                            {{"request", id}, {"error", std::string(t.status().message())}});
            return std::nullopt;
        }
        traits = std::move(*t);
    }
    std::vector<routing::ResourceLabels> labels;
    if (rules_->needsLabels() && req.spec().requestedresourceids_size() > 0) {
        auto resources = details_->resources(req);
        if (!resources.ok()) {
            common::logWarn("cannot read the requested resources' labels for routing rules; role_to_recipients applies",
                            {{"request", id}, {"error", std::string(resources.status().message())}});
            return std::nullopt;
        }
        for (const auto& r : *resources) {
            if (!r.found) {
                common::logWarn("a requested resource is not visible to the plugin, so its labels are unknown; "
                                "role_to_recipients applies",
                                {{"request", id}, {"resource", r.kind + "/" + r.name}});
                return std::nullopt;
            }
            labels.push_back(r.labels);
        }
    }
    auto match = rules_->match(routing::envFor(req, traits, labels));
    if (match.recipients.empty()) {
        return std::nullopt;
    }
    std::string names;
    for (const auto& n : match.rules) {
        names += (names.empty() ? "" : ",") + n;
    }
    common::logInfo("routed by access monitoring rules", {{"request", id}, {"rules", names}});
    std::vector<std::string> out = match.recipients;
    std::set<std::string> seen(out.begin(), out.end());
    for (const auto& r : req.spec().suggestedreviewers()) {
        if (teams::looksLikeEmail(r) && seen.insert(r).second) {
            out.push_back(r);
        }
    }
    return out;
}

std::vector<std::string> RequestHandler::configuredRecipients(const types::AccessRequestV3& req) const {
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

}  // namespace tmsteams::plugin

// Access monitoring rules in the daemon: listed whenever the watch (re)starts, kept current by
// its events, and left empty (so role_to_recipients applies) when the plugin may not read them.
#include "daemon/app_impl.h"

namespace tmsteams::daemon {

bool App::Impl::acceptsRequests(const proto::Event& init) const {
    if (!init.has_watchstatus()) {
        return true;  // older servers say nothing: they refuse the whole watch instead
    }
    for (const auto& k : init.watchstatus().spec().kinds()) {
        if (k.kind() == "access_request") {
            return true;
        }
    }
    return false;
}

bool App::Impl::loadRules(const proto::Event& init) {
    bool accepted = watchRules;
    // Teleport's INIT lists the kinds it accepted; a server that says nothing accepted all.
    if (accepted && init.has_watchstatus()) {
        accepted = false;
        for (const auto& k : init.watchstatus().spec().kinds()) {
            accepted = accepted || k.kind() == teleport::KindAccessMonitoringRule;
        }
    }
    absl::Status refused;
    if (accepted) {
        auto listed = auth->listAccessMonitoringRules();
        if (listed.ok()) {
            rules.replaceAll(*listed);
            rulesActive = true;
            ruleListFailures = 0;
            common::logInfo("access monitoring rules loaded", {{"rules_for_msteams", std::to_string(rules.size())}});
            return true;
        }
        if (listed.status().code() != absl::StatusCode::kPermissionDenied &&
            listed.status().code() != absl::StatusCode::kUnimplemented) {
            // A few tries on a fresh watch; then requests go on with the rules known before
            // (or none) rather than wait for the listing without end.
            if (++ruleListFailures < MaxRuleListFailures) {
                common::logWarn("cannot list access monitoring rules; watching again",
                                {{"error", std::string(listed.status().message())}});
                return false;
            }
            common::logError("cannot list access monitoring rules; going on with the rules known before",
                             {{"error", std::string(listed.status().message())},
                              {"rules_for_msteams", std::to_string(rules.size())}});
            ruleListFailures = 0;
            return true;
        }
        refused = listed.status();
    }
    // Events would fill the book with only the rules changed from now on: ignore them too.
    rulesActive = false;
    rules.replaceAll({});
    if (!rulesRefusalWarned) {
        rulesRefusalWarned = true;
        common::logWarn("the plugin may not read access monitoring rules; role_to_recipients routes every request",
                        {{"error", refused.ok() ? std::string("the watch left out access_monitoring_rule")
                                                : std::string(refused.message())},
                         {"fix", "allow access_monitoring_rule list and read (teleport-msteams-role.yaml)"}});
    }
    return true;
}

void App::Impl::onRuleEvent(const proto::Event& ev) {
    if (!rulesActive) {
        return;
    }
    if (ev.type() == proto::PUT && ev.has_accessmonitoringrule()) {
        const auto& rule = ev.accessmonitoringrule();
        rules.put(rule);
        common::logInfo("access monitoring rule changed", {{"rule", rule.metadata().name()},
                                                            {"applies", rules.applies(rule) ? "yes" : "no"}});
    } else if (ev.type() == proto::DELETE) {
        const std::string name = ev.has_accessmonitoringrule() ? ev.accessmonitoringrule().metadata().name()
                                                               : ev.resourceheader().metadata().name();
        rules.remove(name);
        common::logInfo("access monitoring rule deleted", {{"rule", name}});
    }
}

}  // namespace tmsteams::daemon

// The access monitoring rules that route this plugin's notifications, kept current from the
// initial listing and the watch, and matched against each new request.
#pragma once

#include <absl/base/thread_annotations.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "access_monitoring_rules.pb.h"
#include "routing/condition.h"
#include "routing/request_env.h"

namespace tmsteams::routing {

using AccessMonitoringRule = ::teleport::accessmonitoringrules::v1::AccessMonitoringRule;

// One rule as this plugin uses it; immutable once built.
struct RoutingRule {
    std::string name;
    std::vector<std::string> recipients;
    std::string conditionText;
    absl::StatusOr<Condition> condition = absl::UnknownError("unset");
    AccessMonitoringRule source;  // for its schedules
    bool usesLabels = false;
    bool usesTraits = false;
};

class RuleBook {
public:
    explicit RuleBook(std::string pluginName);

    // Whether a rule routes this plugin's access-request notifications: its subjects include
    // access_request and its notification names this plugin, as in Teleport's plugins.
    bool applies(const AccessMonitoringRule& rule) const;

    // The full listing (at start and after every reconnect) replaces what was known.
    void replaceAll(const std::vector<AccessMonitoringRule>& rules);
    // A PUT from the watch: added, replaced, or dropped when it no longer applies.
    void put(const AccessMonitoringRule& rule);
    void remove(const std::string& name);

    struct Match {
        std::vector<std::string> recipients;  // union of the matching rules', first seen first
        std::vector<std::string> rules;       // names of the rules that matched
    };
    // Every rule is tried; one that cannot be parsed or evaluated is logged with its name and
    // the reason, counted (teleport_msteams_routing_rule_errors_total), and skipped.
    Match match(const RequestEnv& env) const;

    size_t size() const;
    // Whether some rule's condition reads the resources' labels / the requester's traits.
    bool needsLabels() const;
    bool needsTraits() const;
    std::vector<std::shared_ptr<const RoutingRule>> rules() const;  // by name

private:
    using Rules = std::map<std::string, std::shared_ptr<const RoutingRule>>;
    std::shared_ptr<const RoutingRule> build(const AccessMonitoringRule& rule) const;
    std::shared_ptr<const Rules> snapshot() const;

    const std::string plugin_;
    mutable std::mutex mu_;  // guards rules_ (the pointer: a matcher works on its own snapshot)
    std::shared_ptr<const Rules> rules_ ABSL_GUARDED_BY(mu_) = std::make_shared<Rules>();
};

}  // namespace tmsteams::routing

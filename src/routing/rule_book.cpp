// Rules kept as an immutable snapshot swapped on each change, so matching never waits on an
// update and an update never waits on matching.
#include "routing/rule_book.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/metrics.h"
#include "routing/schedule.h"

namespace tmsteams::routing {
namespace {

common::Counter& ruleErrors(const char* stage) {
    return common::Metrics::instance().counter("teleport_msteams_routing_rule_errors_total",
                                               "Access monitoring rules skipped for a request because they could "
                                               "not be parsed or evaluated.",
                                               {{"stage", stage}});
}

}  // namespace

RuleBook::RuleBook(std::string pluginName) : plugin_(std::move(pluginName)) {
    ruleErrors("parse");  // both series exist from the start, at 0
    ruleErrors("evaluate");
}

bool RuleBook::applies(const AccessMonitoringRule& rule) const {
    const auto& spec = rule.spec();
    return spec.notification().name() == plugin_ &&
           std::find(spec.subjects().begin(), spec.subjects().end(), "access_request") != spec.subjects().end();
}

std::shared_ptr<const RoutingRule> RuleBook::build(const AccessMonitoringRule& rule) const {
    auto r = std::make_shared<RoutingRule>();
    r->name = rule.metadata().name();
    r->recipients.assign(rule.spec().notification().recipients().begin(), rule.spec().notification().recipients().end());
    r->conditionText = rule.spec().condition();
    r->condition = Condition::parse(r->conditionText);
    r->source = rule;
    if (r->condition.ok()) {
        r->usesLabels = r->condition->usesResourceLabels();
        r->usesTraits = r->condition->usesUserTraits();
    } else {
        common::logWarn("access monitoring rule cannot be parsed; it is skipped until it is fixed",
                        {{"rule", r->name}, {"error", std::string(r->condition.status().message())}});
    }
    return r;
}

std::shared_ptr<const RuleBook::Rules> RuleBook::snapshot() const {
    std::lock_guard lock(mu_);
    return rules_;
}

void RuleBook::replaceAll(const std::vector<AccessMonitoringRule>& rules) {
    auto fresh = std::make_shared<Rules>();
    for (const auto& rule : rules) {
        if (applies(rule)) {
            (*fresh)[rule.metadata().name()] = build(rule);
        }
    }
    std::lock_guard lock(mu_);
    rules_ = std::move(fresh);
}

void RuleBook::put(const AccessMonitoringRule& rule) {
    std::shared_ptr<const RoutingRule> built = applies(rule) ? build(rule) : nullptr;
    std::lock_guard lock(mu_);
    auto next = std::make_shared<Rules>(*rules_);
    if (built) {
        (*next)[rule.metadata().name()] = std::move(built);
    } else {
        next->erase(rule.metadata().name());
    }
    rules_ = std::move(next);
}

void RuleBook::remove(const std::string& name) {
    std::lock_guard lock(mu_);
    if (!rules_->count(name)) {
        return;
    }
    auto next = std::make_shared<Rules>(*rules_);
    next->erase(name);
    rules_ = std::move(next);
}

RuleBook::Match RuleBook::match(const RequestEnv& env) const {
    Match m;
    std::set<std::string> seen;
    for (const auto& [name, rule] : *snapshot()) {
        if (!rule->condition.ok()) {
            ruleErrors("parse").inc();
            continue;
        }
        // Schedules first, against the request's creation time, as Teleport does.
        if (!rule->source.spec().schedules().empty()) {
            auto in = inSchedules(rule->source.spec().schedules(), env.creationTime);
            if (!in.ok()) {
                common::logWarn("access monitoring rule schedules cannot be evaluated; rule skipped",
                                {{"rule", name}, {"error", std::string(in.status().message())}});
                ruleErrors("evaluate").inc();
                continue;
            }
            if (!*in) {
                continue;
            }
        }
        auto hit = rule->condition->matches(env);
        if (!hit.ok()) {
            common::logWarn("access monitoring rule cannot be evaluated; rule skipped",
                            {{"rule", name}, {"error", std::string(hit.status().message())}});
            ruleErrors("evaluate").inc();
            continue;
        }
        if (!*hit) {
            continue;
        }
        m.rules.push_back(name);
        for (const auto& r : rule->recipients) {
            if (!r.empty() && seen.insert(r).second) {
                m.recipients.push_back(r);
            }
        }
    }
    return m;
}

size_t RuleBook::size() const { return snapshot()->size(); }

bool RuleBook::needsLabels() const {
    auto rules = snapshot();
    return std::any_of(rules->begin(), rules->end(), [](const auto& r) { return r.second->usesLabels; });
}

bool RuleBook::needsTraits() const {
    auto rules = snapshot();
    return std::any_of(rules->begin(), rules->end(), [](const auto& r) { return r.second->usesTraits; });
}

std::vector<std::shared_ptr<const RoutingRule>> RuleBook::rules() const {
    std::vector<std::shared_ptr<const RoutingRule>> out;
    for (const auto& [name, rule] : *snapshot()) {
        out.push_back(rule);
    }
    return out;
}

}  // namespace tmsteams::routing

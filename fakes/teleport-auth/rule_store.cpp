// The fake's access monitoring rules.
#include "rule_store.h"

#include <algorithm>
#include <cctype>

#include "routing/condition.h"
#include "routing/schedule.h"

namespace tmsteams::fakeauth {

namespace {
const char* const Weekdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
}

absl::Status RuleStore::validate(const Rule& rule) {
    auto bad = [](const std::string& what) { return absl::InvalidArgumentError(what); };
    if (rule.kind() != "access_monitoring_rule") {
        return bad("access monitoring rule kind must be \"access_monitoring_rule\"");
    }
    if (!rule.has_metadata() || rule.metadata().name().empty()) {
        return bad("access monitoring rule metadata (name) is missing");
    }
    if (rule.version() != "v1") {
        return bad("access monitoring rule version must be v1");
    }
    if (!rule.has_spec()) {
        return bad("access monitoring rule spec is missing");
    }
    const auto& spec = rule.spec();
    if (spec.subjects().empty()) {
        return bad("access monitoring rule subject is missing");
    }
    if (spec.condition().empty()) {
        return bad("access monitoring rule condition is missing");
    }
    for (const auto& [name, schedule] : spec.schedules()) {
        if (!schedule.has_time() || schedule.time().shifts().empty()) {
            return bad("schedule \"" + name + "\" needs at least one shift");
        }
        for (const auto& shift : schedule.time().shifts()) {
            int start = 0, end = 0;
            // Teleport's ParseWeekday: any case, the full name or its first three letters (then
            // compared exactly when evaluated, so only "Monday" ever matches).
            std::string w = shift.weekday();
            for (auto& ch : w) {
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            }
            bool known = false;
            for (const char* day : Weekdays) {
                std::string d = day;
                d[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(d[0])));
                known = known || w == d || (w.size() == 3 && d.compare(0, 3, w) == 0);
            }
            if (!known) {
                return bad("schedule \"" + name + "\": invalid weekday \"" + shift.weekday() + "\"");
            }
            if (!routing::parseClock(shift.start(), start) || !routing::parseClock(shift.end(), end)) {
                return bad("schedule \"" + name + "\": shift times must be HH:MM");
            }
            if (start >= end) {
                return bad("schedule \"" + name + "\": a shift must start before it ends");
            }
        }
    }
    if (spec.has_notification() && spec.notification().name().empty()) {
        return bad("access monitoring rule notification plugin name is missing");
    }
    if (spec.has_automatic_review()) {
        const auto& ar = spec.automatic_review();
        if (ar.integration().empty()) {
            return bad("automatic_review integration is missing");
        }
        if (ar.decision() != "APPROVED" && ar.decision() != "DENIED") {
            return bad("automatic_review decision \"" + ar.decision() + "\" is not supported");
        }
    }
    if (std::find(spec.subjects().begin(), spec.subjects().end(), "access_request") != spec.subjects().end()) {
        if (auto c = routing::Condition::parse(spec.condition()); !c.ok()) {
            return bad("parsing access monitoring rule condition expression: " + std::string(c.status().message()));
        }
        if (!spec.desired_state().empty() && spec.desired_state() != "reviewed") {
            return bad("unsupported desired_state \"" + spec.desired_state() + "\"");
        }
        if (!spec.has_notification() && !spec.has_automatic_review()) {
            return bad("one of notification or automatic_review must be configured if subjects contain \"access_request\"");
        }
    }
    return absl::OkStatus();
}

absl::StatusOr<Rule> RuleStore::write(const Rule& rule, bool mayCreate, bool mayReplace) {
    if (auto s = validate(rule); !s.ok()) {
        return s;
    }
    proto::Event ev;
    {
        std::lock_guard lock(mu_);
        const std::string& name = rule.metadata().name();
        const bool exists = rules_.count(name) > 0;
        if (exists && !mayReplace) {
            return absl::AlreadyExistsError("access_monitoring_rule \"" + name + "\" already exists");
        }
        if (!exists && !mayCreate) {
            return absl::NotFoundError("access_monitoring_rule \"" + name + "\" doesn't exist");
        }
        rules_[name] = rule;
        ev.set_type(proto::PUT);
        *ev.mutable_accessmonitoringrule() = rule;
        publish_(ev);  // under the lock: watchers see changes in the order they happened
    }
    return rule;
}

absl::StatusOr<Rule> RuleStore::get(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = rules_.find(name);
    if (it == rules_.end()) {
        return absl::NotFoundError("access_monitoring_rule \"" + name + "\" doesn't exist");
    }
    return it->second;
}

absl::Status RuleStore::remove(const std::string& name) {
    std::lock_guard lock(mu_);
    if (!rules_.erase(name)) {
        return absl::NotFoundError("access_monitoring_rule \"" + name + "\" doesn't exist");
    }
    proto::Event ev;
    ev.set_type(proto::DELETE);
    ev.mutable_resourceheader()->set_kind("access_monitoring_rule");
    ev.mutable_resourceheader()->set_version("v1");
    ev.mutable_resourceheader()->mutable_metadata()->set_name(name);
    publish_(ev);
    return absl::OkStatus();
}

std::pair<std::vector<Rule>, std::string> RuleStore::list(size_t pageSize, const std::string& pageToken,
                                                          const std::vector<std::string>& subjects,
                                                          const std::string& notificationName) const {
    if (pageSize == 0 || pageSize > 1000) {
        pageSize = 1000;
    }
    std::vector<Rule> out;
    std::lock_guard lock(mu_);
    for (auto it = rules_.lower_bound(pageToken); it != rules_.end(); ++it) {
        const auto& spec = it->second.spec();
        bool match = notificationName.empty() || spec.notification().name() == notificationName;
        for (const auto& s : subjects) {
            match = match && std::find(spec.subjects().begin(), spec.subjects().end(), s) != spec.subjects().end();
        }
        if (!match) {
            continue;
        }
        if (out.size() == pageSize) {
            return {out, it->first};
        }
        out.push_back(it->second);
    }
    return {out, ""};
}

}  // namespace tmsteams::fakeauth

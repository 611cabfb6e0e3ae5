// The fake's access monitoring rules: validated as Teleport validates them
// (lib/services.ValidateAccessMonitoringRule), and announced to watchers of
// access_monitoring_rule. They live in memory: a restarted fake starts without rules.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "access_monitoring_rules.pb.h"
#include "authservice.pb.h"

namespace tmsteams::fakeauth {

using Rule = ::teleport::accessmonitoringrules::v1::AccessMonitoringRule;

class RuleStore {
public:
    using Publisher = std::function<void(const proto::Event&)>;
    explicit RuleStore(Publisher publish) : publish_(std::move(publish)) {}

    // Teleport's checks on a rule: kind, version v1, subjects, a condition that parses, the
    // notification's name, one of notification or automatic_review for access requests, and
    // well-formed schedules.
    static absl::Status validate(const Rule& rule);

    // create: AlreadyExists when the name is taken; update: NotFound when it is not.
    absl::StatusOr<Rule> write(const Rule& rule, bool mayCreate, bool mayReplace);
    absl::StatusOr<Rule> get(const std::string& name) const;
    absl::Status remove(const std::string& name);
    // Rules in name order from `pageToken` (a name), at most `pageSize` (0 = 1000); with
    // filters, only rules whose subjects include all of `subjects` and whose notification is
    // named `notificationName` (when not empty).
    std::pair<std::vector<Rule>, std::string> list(size_t pageSize, const std::string& pageToken,
                                                   const std::vector<std::string>& subjects,
                                                   const std::string& notificationName) const;

private:
    Publisher publish_;
    mutable std::mutex mu_;  // guards rules_
    std::map<std::string, Rule> rules_;
};

}  // namespace tmsteams::fakeauth

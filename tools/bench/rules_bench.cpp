// bench-rules: how long routing takes for one new request against N access monitoring rules
// (default 100), each a realistic condition over roles, user, traits and resource labels.
//   build/tools/bench/bench-rules [--rules N] [--runs N]
// Prints the median and 99th percentile of one whole match (every rule evaluated).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "routing/rule_book.h"

using namespace tmsteams::routing;

namespace {

AccessMonitoringRule makeRule(int i) {
    static const char* const conditions[] = {
        R"(contains_any(access_request.spec.roles, set("role-%d", "db-admin")) && access_request.spec.user != "bot-%d")",
        R"(user.traits["team"].contains("team-%d") || access_request.spec.resource_labels_union["env"].contains("env-%d"))",
        R"(set("editor", "role-%d").contains_all(access_request.spec.roles) && !is_empty(access_request.spec.suggested_reviewers) && access_request.spec.user == "user-%d")",
        R"(access_request.spec.creation_time.after(time.RFC3339("2026-01-01T00:00:00Z")) && access_request.spec.system_annotations["pagerduty_services"].contains("svc-%d") && true)",
    };
    char text[512];
    std::snprintf(text, sizeof text, conditions[i % 4], i, i);
    AccessMonitoringRule r;
    r.set_kind("access_monitoring_rule");
    r.set_version("v1");
    r.mutable_metadata()->set_name("rule-" + std::to_string(i));
    r.mutable_spec()->add_subjects("access_request");
    r.mutable_spec()->set_condition(text);
    r.mutable_spec()->mutable_notification()->set_name("msteams");
    r.mutable_spec()->mutable_notification()->add_recipients("team-" + std::to_string(i) + "@example.com");
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    int rules = 100, runs = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--rules")) {
            rules = std::atoi(argv[i + 1]);
        } else if (!std::strcmp(argv[i], "--runs")) {
            runs = std::atoi(argv[i + 1]);
        }
    }
    RuleBook book("msteams");
    std::vector<AccessMonitoringRule> all;
    for (int i = 0; i < rules; ++i) {
        all.push_back(makeRule(i));
    }
    book.replaceAll(all);
    types::AccessRequestV3 req;
    req.mutable_spec()->set_user("user-2");
    for (const char* role : {"editor", "role-2"}) {
        req.mutable_spec()->add_roles(role);
    }
    req.mutable_spec()->add_suggestedreviewers("alice@example.com");
    req.mutable_spec()->mutable_created()->set_seconds(1790000000);
    const RequestEnv env = envFor(req, {{"team", {"team-1", "team-42"}}, {"logins", {"root"}}},
                                  {{{"env", "env-1"}, {"team", "payments"}}, {{"env", "prod"}}});
    std::vector<double> micros;
    size_t matched = 0;
    for (int i = 0; i < runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto m = book.match(env);
        auto t1 = std::chrono::steady_clock::now();
        matched = m.rules.size();
        micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(micros.begin(), micros.end());
    std::printf("rules %d (all evaluated), matched %zu, runs %d: p50 %.1f us, p99 %.1f us, max %.1f us\n", rules,
                matched, runs, micros[micros.size() / 2], micros[micros.size() * 99 / 100], micros.back());
    return 0;
}

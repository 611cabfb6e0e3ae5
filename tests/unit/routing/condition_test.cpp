// Rule conditions as Teleport's access monitoring rules write them: what matches, what is
// refused at parse time (as Teleport refuses it when the rule is created), and the rule book.
#define BOOST_TEST_MODULE condition
#include <boost/test/unit_test.hpp>

#include "routing/condition.h"
#include "routing/rfc3339.h"
#include "routing/rule_book.h"
#include "routing/schedule.h"
#include "teleport/proto_time.h"

using namespace tmsteams::routing;

namespace {

RequestEnv carol() {
    RequestEnv env;
    env.roles = {"editor", "db-admin"};
    env.suggestedReviewers = {"alice@example.com"};
    env.systemAnnotations = {{"pagerduty_services", {"payments-db"}}};
    env.user = "carol";
    env.requestReason = "hotfix";
    env.creationTime = *parseRfc3339("2026-03-30T08:30:00Z");  // a Monday, 10:30 in Berlin (summer time)
    env.userTraits = {{"team", {"payments", "oncall"}}};
    env.resourceLabelsUnion = {{"env", {"prod", "dev"}}};
    env.resourceLabelsIntersection = {{"team", {"payments"}}};
    return env;
}

bool holds(const std::string& text, const RequestEnv& env = carol()) {
    auto c = Condition::parse(text);
    BOOST_REQUIRE_MESSAGE(c.ok(), text + ": " + std::string(c.status().message()));
    auto r = c->matches(env);
    BOOST_REQUIRE_MESSAGE(r.ok(), text + ": " + std::string(r.status().message()));
    return *r;
}

std::string refusal(const std::string& text) {
    auto c = Condition::parse(text);
    return c.ok() ? "" : std::string(c.status().message());
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_documented_examples_mean_what_teleport_says) {
    BOOST_TEST(holds(R"(contains_any(access_request.spec.roles, set("db-admin", "auditor")))"));
    BOOST_TEST(!holds(R"(contains_any(access_request.spec.roles, set("auditor")))"));
    BOOST_TEST(holds(R"(!is_empty(access_request.spec.roles))"));
    BOOST_TEST(holds(R"(access_request.spec.user == "carol")"));
    BOOST_TEST(holds(R"(access_request.spec.roles.contains("editor"))"));
    // "all requested roles are within the set": set first.
    BOOST_TEST(holds(R"(set("editor", "db-admin", "x").contains_all(access_request.spec.roles))"));
    BOOST_TEST(!holds(R"(set("editor").contains_all(access_request.spec.roles))"));
    BOOST_TEST(holds(R"(access_request.spec.resource_labels_intersection["team"].contains("payments"))"));
    BOOST_TEST(holds(R"(access_request.spec.resource_labels_union["env"].contains("prod"))"));
    BOOST_TEST(holds(R"(contains_any(user.traits["team"], set("dev", "payments")))"));
    BOOST_TEST(holds(R"(access_request.spec.system_annotations["pagerduty_services"].contains("payments-db"))"));
}

BOOST_AUTO_TEST_CASE(operators_follow_go_precedence_and_short_circuit) {
    // && binds tighter than ||, ! tighter than both.
    BOOST_TEST(holds(R"(true || false && false)"));
    BOOST_TEST(!holds(R"((true || false) && false)"));
    BOOST_TEST(holds(R"(!false && !(access_request.spec.user != "carol"))"));
    // The right side is not evaluated once the left decides (a bad time would be an error).
    BOOST_TEST(holds(R"(true || access_request.spec.creation_time.after(time.RFC3339("not a time")))"));
}

BOOST_AUTO_TEST_CASE(sets_maps_and_times_behave_like_teleports) {
    BOOST_TEST(!holds(R"(contains_all(access_request.spec.roles, set()))"));  // empty: false, as in Teleport
    BOOST_TEST(!holds(R"(contains_any(access_request.spec.roles, set()))"));
    BOOST_TEST(holds(R"(is_empty(user.traits["nope"]))"));  // a missing key is an empty set
    BOOST_TEST(holds(R"(user.traits.team.contains("oncall"))"));  // the shorthand for ["team"]
    BOOST_TEST(holds(R"(union(set("a"), access_request.spec.roles).contains("a"))"));
    BOOST_TEST(holds(R"(access_request.spec.roles.add("x").remove("editor").contains("x"))"));
    BOOST_TEST(holds(R"(access_request.spec.creation_time.after(time.RFC3339("2026-03-30T08:00:00Z")))"));
    BOOST_TEST(holds(R"(before(access_request.spec.creation_time, time.RFC3339("2026-03-30T10:30:00+01:00")))"));
    BOOST_TEST(holds(R"(access_request.spec.creation_time.between(time.RFC3339("2026-03-30T09:00:00Z"), time.RFC3339("2026-03-30T08:00:00Z")))"));
    BOOST_TEST(holds(R"(strings.upper(access_request.spec.user) == `CAROL`)"));
    BOOST_TEST(holds("access_request.spec.request_reason == \"hot\\x66ix\""));
    BOOST_TEST(!holds(R"(access_request.spec.user)"));  // not a boolean: never a match, as in Teleport
}

BOOST_AUTO_TEST_CASE(what_teleport_refuses_is_refused_with_a_reason) {
    BOOST_TEST(refusal("").find("empty") != std::string::npos);
    BOOST_TEST(refusal(R"(contains_any(user.traits["team"], "dev"))").find("must be a set") != std::string::npos);
    BOOST_TEST(refusal(R"(access_request.spec.user.contains("c"))").find("no method") != std::string::npos);
    BOOST_TEST(refusal(R"(access_request.spec.roles == set("a"))").find("compares strings") != std::string::npos);
    BOOST_TEST(refusal(R"(access_request.spec.user == 'carol')").find("single quotes") != std::string::npos);
    BOOST_TEST(refusal(R"(contains_any((access_request.spec.roles), set("a")))").find("operator expression") !=
               std::string::npos);
    BOOST_TEST(refusal(R"(access_request.spec.nope == "x")").find("unknown name") != std::string::npos);
    BOOST_TEST(refusal(R"(regexp.match(access_request.spec.roles, "^e"))").find("unknown function") != std::string::npos);
    BOOST_TEST(refusal(R"(access_request.spec.user < "x")").find("not supported") != std::string::npos);
    BOOST_TEST(refusal(R"(set("a", "b")").find("at offset") != std::string::npos);
    BOOST_TEST(refusal(std::string(100, '(') + "true" + std::string(100, ')')).find("deeply") != std::string::npos);
    BOOST_TEST(refusal(std::string(20000, 'a')).find("longer than") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(go_syntax_details_are_go_s) {
    BOOST_TEST(holds("access_request.spec.request_reason == \"\\150otfix\""));  // octal escape
    BOOST_TEST(refusal(R"(access_request.spec.user == "abc\)").find("unterminated") != std::string::npos);
    // A line break after a complete operand ends a Go expression: Teleport refuses these.
    BOOST_TEST(refusal("access_request.spec.user == \"carol\"\n&& true").find("line break") != std::string::npos);
    BOOST_TEST(holds("access_request.spec.user == \"carol\" &&\n  true"));
    // "Never" in RFC 3339 compares as the far future, not as a wrapped-around past.
    BOOST_TEST(holds(R"(access_request.spec.creation_time.before(time.RFC3339("9999-12-31T23:59:59Z")))"));
    BOOST_TEST(holds(R"(access_request.spec.creation_time.after(time.RFC3339("0001-01-01T00:00:00Z")))"));
}

BOOST_AUTO_TEST_CASE(a_condition_says_what_it_needs_beyond_the_request) {
    auto labels = Condition::parse(R"(access_request.spec.resource_labels_union["env"].contains("prod"))");
    auto traits = Condition::parse(R"(user.traits.team.contains("a") && true)");
    BOOST_TEST((labels->usesResourceLabels() && !labels->usesUserTraits()));
    BOOST_TEST((traits->usesUserTraits() && !traits->usesResourceLabels()));
}

BOOST_AUTO_TEST_CASE(a_bad_time_is_an_evaluation_error_not_a_crash) {
    auto c = Condition::parse(R"(access_request.spec.creation_time.after(time.RFC3339("2026-02-30T00:00:00Z")))");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(!c->matches(carol()).ok());
}

BOOST_AUTO_TEST_CASE(labels_union_and_intersection_come_from_every_resource) {
    types::AccessRequestV3 req;
    req.mutable_spec()->set_user("carol");
    auto env = envFor(req, {{"team", {"a", "b"}}},
                      {{{"env", "prod"}, {"team", "x"}}, {{"env", "prod"}, {"team", "y"}}, {{"env", "prod"}}});
    BOOST_TEST((env.resourceLabelsUnion["team"] == StringSet{"x", "y"}));
    BOOST_TEST((env.resourceLabelsIntersection == Dict{{"env", {"prod"}}}));
    BOOST_TEST((env.userTraits["team"] == StringSet{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(schedules_read_the_creation_time_in_their_zone) {
    AccessMonitoringRule rule;
    auto& s = (*rule.mutable_spec()->mutable_schedules())["office"];
    s.mutable_time()->set_timezone("Europe/Berlin");
    auto* shift = s.mutable_time()->add_shifts();
    shift->set_weekday("Monday");
    shift->set_start("09:00");
    shift->set_end("10:30");
    const auto& schedules = rule.spec().schedules();
    BOOST_TEST(*inSchedules(schedules, *parseRfc3339("2026-03-30T08:30:00Z")));   // 10:30 CEST: the end, inclusive
    BOOST_TEST(!*inSchedules(schedules, *parseRfc3339("2026-03-30T08:30:01Z")));  // past it
    BOOST_TEST(!*inSchedules(schedules, *parseRfc3339("2026-03-31T08:00:00Z")));  // a Tuesday
    BOOST_TEST(*inSchedules(schedules, *parseRfc3339("2026-03-23T09:00:00Z")));   // 10:00 CET, a week before
    shift->set_start("9:00");  // Go's "15:04" takes a one-digit hour
    BOOST_TEST(*inSchedules(rule.spec().schedules(), *parseRfc3339("2026-03-23T08:00:00Z")));  // 09:00 CET
    s.mutable_time()->set_timezone("Nowhere/Land");
    BOOST_TEST(!inSchedules(rule.spec().schedules(), *parseRfc3339("2026-03-30T08:30:00Z")).ok());
}

namespace {
AccessMonitoringRule rule(const std::string& name, const std::string& condition, std::vector<std::string> to,
                          const std::string& plugin = "msteams") {
    AccessMonitoringRule r;
    r.set_kind("access_monitoring_rule");
    r.set_version("v1");
    r.mutable_metadata()->set_name(name);
    r.mutable_spec()->add_subjects("access_request");
    r.mutable_spec()->set_condition(condition);
    r.mutable_spec()->mutable_notification()->set_name(plugin);
    for (auto& t : to) {
        r.mutable_spec()->mutable_notification()->add_recipients(t);
    }
    return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_rule_book_unions_matching_rules_and_skips_broken_ones) {
    RuleBook book("msteams");
    book.replaceAll({rule("a", R"(access_request.spec.roles.contains("editor"))", {"x@example.com", "chan"}),
                     rule("b", R"(access_request.spec.user == "carol")", {"chan", "y@example.com"}),
                     rule("c", R"(access_request.spec.user == "dave")", {"z@example.com"}),
                     rule("slack", "true", {"#general"}, "slack"),  // another plugin's rule
                     rule("broken", "contains_any(", {"never@example.com"})});
    BOOST_TEST(book.size() == 4u);  // the broken one is kept (and skipped), the Slack one is not
    auto m = book.match(carol());
    BOOST_TEST((m.recipients == std::vector<std::string>{"x@example.com", "chan", "y@example.com"}));
    BOOST_TEST((m.rules == std::vector<std::string>{"a", "b"}));

    book.put(rule("a", "false", {"x@example.com"}));  // changed
    book.remove("b");
    book.put(rule("c", "true", {"z@example.com"}, "mattermost"));  // no longer ours: dropped
    BOOST_TEST(book.size() == 2u);
    BOOST_TEST(book.match(carol()).recipients.empty());
}

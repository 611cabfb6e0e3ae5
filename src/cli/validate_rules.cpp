// validate's look at routing: the access monitoring rules that name msteams, whether each
// condition parses here, and whether each recipient resolves in the tenant.
#include "cli/validate_report.h"
#include "routing/rule_book.h"
#include "teams/recipient.h"
#include "teams/teams_messenger.h"

namespace tmsteams::cli {

namespace {

// Why a rule recipient cannot get cards, or "" when it can.
std::string recipientProblem(plugin::MsApiStack& ms, const std::optional<msapi::TeamsApp>& app,
                             const std::string& text, const msapi::CallContext& ctx) {
    const teams::Recipient r = teams::parseRecipient(text);
    if (r.kind == teams::Recipient::Kind::Channel) {
        if (!app) {
            return "";  // the catalog check above already failed and says why
        }
        auto inst = ms.graph->getAppForTeam(r.channel.groupId, app->id, ctx);
        if (!inst.ok()) {
            return std::string(inst.status().message());
        }
        return inst->has_value() ? "" : "the app is not installed in the channel's team";
    }
    auto user = teams::findRecipientUser(*ms.graph, r, ctx);
    return user.ok() ? "" : std::string(user.status().message());
}

}  // namespace

void checkRoutingRules(teleport::AuthClient& auth, plugin::MsApiStack& ms, const std::optional<msapi::TeamsApp>& app,
                       const msapi::CallContext& ctx, Report& report) {
    auto listed = auth.listAccessMonitoringRules();
    if (!listed.ok() && listed.status().code() == absl::StatusCode::kPermissionDenied) {
        report.skip(RulesCheck, "the plugin may not read them, so [role_to_recipients] routes every request; allow "
                                "access_monitoring_rule list/read (teleport-msteams-role.yaml) to use them");
        return;
    }
    if (!listed.ok()) {
        report.check(RulesCheck, listed.status());
        return;
    }
    routing::RuleBook book("msteams");
    book.replaceAll(*listed);
    if (book.size() == 0) {
        report.ok(RulesCheck, "none name msteams: [role_to_recipients] routes every request");
        return;
    }
    size_t problems = 0;
    for (const auto& rule : book.rules()) {
        std::cout << "      rule " << rule->name << ": " << rule->conditionText << "\n";
        if (!rule->condition.ok()) {
            ++problems;
            std::cout << "        condition not understood, the rule is skipped: " << rule->condition.status().message()
                      << "\n";
        }
        for (const auto& to : rule->recipients) {
            const std::string why = recipientProblem(ms, app, to, ctx);
            problems += why.empty() ? 0 : 1;
            std::cout << "        " << to << ": " << (why.empty() ? "resolves" : "does NOT resolve (" + why + ")") << "\n";
        }
    }
    report.check(RulesCheck,
                 problems == 0 ? absl::OkStatus()
                               : absl::FailedPreconditionError(std::to_string(problems) + " problem(s) in the rules above"),
                 "fix the rule (tctl edit access_monitoring_rule/NAME, or the Web UI), or the recipient in Teams");
}

}  // namespace tmsteams::cli

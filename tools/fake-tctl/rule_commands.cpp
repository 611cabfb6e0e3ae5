// fake-tctl rule create|ls|rm: access monitoring rules over Teleport's
// AccessMonitoringRulesService, as `tctl create` of a rule YAML would make them.
#include <google/protobuf/util/json_util.h>

#include "access_monitoring_rules_service.grpc.pb.h"
#include "args.h"
#include "teleport/grpc_channel.h"

namespace faketctl {

namespace amr = ::teleport::accessmonitoringrules::v1;

namespace {

void check(const grpc::Status& s, const std::string& what) {
    if (!s.ok()) {
        die(what + ": " + s.error_message() + " (code " + std::to_string(s.error_code()) + ")");
    }
}

// "Monday=09:00-17:00@Europe/Berlin" → one shift in schedule "s<index>".
void addSchedule(amr::AccessMonitoringRuleSpec& spec, const std::string& text, size_t index) {
    auto eq = text.find('='), dash = text.find('-', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || dash == std::string::npos) {
        die("--schedule wants WEEKDAY=HH:MM-HH:MM[@ZONE], got " + text, 2);
    }
    auto at = text.find('@', dash);
    auto& schedule = (*spec.mutable_schedules())["s" + std::to_string(index)];
    auto* shift = schedule.mutable_time()->add_shifts();
    shift->set_weekday(text.substr(0, eq));
    shift->set_start(text.substr(eq + 1, dash - eq - 1));
    shift->set_end(text.substr(dash + 1, at == std::string::npos ? std::string::npos : at - dash - 1));
    if (at != std::string::npos) {
        schedule.mutable_time()->set_timezone(text.substr(at + 1));
    }
}

}  // namespace

int cmdRule(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds timeout, const Args& a) {
    if (a.words.size() < 2) {
        die("rule needs a subcommand", 2);
    }
    auto stub = amr::AccessMonitoringRulesService::NewStub(channel);
    grpc::ClientContext ctx;
    tmsteams::teleport::prepareContext(ctx, timeout);
    const std::string& sub = a.words[1];
    if (sub == "create") {
        if (a.words.size() < 3) {
            die("rule create needs a NAME", 2);
        }
        amr::CreateAccessMonitoringRuleRequest req;
        auto* rule = req.mutable_rule();
        rule->set_kind("access_monitoring_rule");
        rule->set_version("v1");
        rule->mutable_metadata()->set_name(a.words[2]);
        auto* spec = rule->mutable_spec();
        for (const auto& s : splitCsv(a.get("--subjects", "access_request"))) {
            spec->add_subjects(s);
        }
        spec->set_condition(a.get("--condition"));
        spec->mutable_notification()->set_name(a.get("--notification", "msteams"));
        for (const auto& r : splitCsv(a.get("--recipients"))) {
            spec->mutable_notification()->add_recipients(r);
        }
        size_t i = 0;
        for (const auto& s : a.all("--schedule")) {
            addSchedule(*spec, s, i++);
        }
        amr::AccessMonitoringRule created;
        check(stub->CreateAccessMonitoringRule(&ctx, req, &created), "rule create");
        std::cout << created.metadata().name() << "\n";
        return 0;
    }
    if (sub == "ls") {
        amr::ListAccessMonitoringRulesRequest req;
        req.set_page_size(1000);
        amr::ListAccessMonitoringRulesResponse resp;
        check(stub->ListAccessMonitoringRules(&ctx, req, &resp), "rule ls");
        std::string json;
        google::protobuf::util::JsonPrintOptions o;
        o.add_whitespace = true;
        (void)google::protobuf::util::MessageToJsonString(resp, &json, o);
        std::cout << json;
        return 0;
    }
    if (sub == "rm") {
        if (a.words.size() < 3) {
            die("rule rm needs a NAME", 2);
        }
        amr::DeleteAccessMonitoringRuleRequest req;
        req.set_name(a.words[2]);
        google::protobuf::Empty empty;
        check(stub->DeleteAccessMonitoringRule(&ctx, req, &empty), "rule rm");
        std::cout << "ok\n";
        return 0;
    }
    die("unknown rule subcommand " + sub, 2);
}

}  // namespace faketctl

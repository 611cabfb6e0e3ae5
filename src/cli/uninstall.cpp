// teleport-msteams uninstall: removes the app from every user recipient in the config.
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/clock.h"
#include "plugin/config.h"
#include "plugin/ms_api_stack.h"
#include "teams/recipient.h"
#include "teams/teams_messenger.h"

namespace tmsteams::cli {

int runUninstall(const std::vector<std::string>& args) {
    CommandOptions options("uninstall", "[-c CONFIG]",
                           "Removes the Teams app from every user recipient named in the configuration (channels "
                           "keep it: a team owner removes it there).");
    options.add("config", "c", "the configuration file (default /etc/teleport-msteams.toml)", "CONFIG");
    int exitCode = 0;
    auto parsed = options.parseOptionsOnly(args, exitCode);
    if (!parsed) {
        return exitCode;
    }
    const std::string path = parsed->has("config") ? parsed->get("config") : "/etc/teleport-msteams.toml";
    auto config = plugin::loadConfig(path);
    if (!config.ok()) {
        std::cerr << "teleport-msteams: " << config.status().message() << "\n";
        return 1;
    }
    common::SystemClock clock;
    auto ms = plugin::MsApiStack::create(config->msapi, clock);
    msapi::CallContext ctx{clock.steadyNow() + std::chrono::minutes(5), {}};
    auto app = ms->graph->getTeamsApp(config->msapi.teamsAppId, ctx);
    if (!app.ok()) {
        std::cerr << "teleport-msteams uninstall: " << app.status().message() << "\n";
        return 1;
    }
    std::set<std::string> recipients;
    for (const auto& [role, list] : config->roleToRecipients) {
        recipients.insert(list.begin(), list.end());
    }
    int failures = 0;
    for (const auto& raw : recipients) {
        auto r = teams::parseRecipient(raw);
        if (r.kind == teams::Recipient::Kind::Channel) {
            std::cout << raw << ": channel, skipped (remove the app from the team in Teams)\n";
            continue;
        }
        auto user = teams::findRecipientUser(*ms->graph, r, ctx);
        if (!user.ok()) {
            std::cout << raw << ": " << user.status().message() << "\n";
            ++failures;
            continue;
        }
        auto inst = ms->graph->getAppForUser(user->id, app->id, ctx);
        if (!inst.ok()) {
            std::cout << raw << ": " << inst.status().message() << "\n";
            ++failures;
            continue;
        }
        if (!inst->has_value()) {
            std::cout << raw << ": not installed\n";
            continue;
        }
        auto s = ms->graph->uninstallAppForUser(user->id, (*inst)->id, ctx);
        if (!s.ok()) {
            std::cout << raw << ": " << s.message() << "\n";
            ++failures;
            continue;
        }
        std::cout << raw << ": uninstalled\n";
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace tmsteams::cli

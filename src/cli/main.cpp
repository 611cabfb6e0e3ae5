// teleport-msteams: Teleport access-request notifications in Microsoft Teams.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

using namespace tmsteams::cli;

namespace {
const char* Usage = R"(usage: teleport-msteams COMMAND [options]

commands:
  configure DIR --appID ID --appSecret SECRET --tenantID TENANT
                           write the config, the Teams app package and a Teleport role
  validate [-c CONFIG] RECIPIENT
                           check the Azure/Teams setup end to end and send test cards
  start [-c CONFIG] [-d]   run the plugin (CONFIG defaults to /etc/teleport-msteams.toml)
  uninstall [-c CONFIG]    remove the app from every user recipient
  version                  print the version, git ref and compiler
  help                     this text
)";
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
        std::cout << Usage;
        return args.empty() ? 2 : 0;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "start") {
        return runStart(args);
    }
    if (cmd == "configure") {
        return runConfigure(args);
    }
    if (cmd == "validate") {
        return runValidate(args);
    }
    if (cmd == "uninstall") {
        return runUninstall(args);
    }
    if (cmd == "version" || cmd == "--version") {
        return runVersion(args);
    }
    std::cerr << "teleport-msteams: unknown command \"" << cmd << "\"\n" << Usage;
    return 2;
}

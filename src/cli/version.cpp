// teleport-msteams version.
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "version.h"

namespace tmsteams::cli {

int runVersion(const std::vector<std::string>& args) {
    CommandOptions options("version", "", "Prints the version, the git ref it was built from and the compiler.");
    int exitCode = 0;
    auto parsed = options.parseOptionsOnly(args, exitCode);
    if (!parsed) {
        return exitCode;
    }
    std::cout << "teleport-msteams v" << TMSTEAMS_VERSION << " git:" << TMSTEAMS_GIT_REF << " "
              << TMSTEAMS_COMPILER << "\n";
    return 0;
}

}  // namespace tmsteams::cli

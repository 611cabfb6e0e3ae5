// teleport-msteams version.
#include <iostream>

#include "cli/commands.h"
#include "version.h"

namespace tmsteams::cli {

int runVersion(const std::vector<std::string>&) {
    std::cout << "teleport-msteams v" << TMSTEAMS_VERSION << " git:" << TMSTEAMS_GIT_REF << " "
              << TMSTEAMS_COMPILER << "\n";
    return 0;
}

}  // namespace tmsteams::cli

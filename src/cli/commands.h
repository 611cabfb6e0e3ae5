// The subcommands of teleport-msteams, one file each.
#pragma once

#include <string>
#include <vector>

namespace tmsteams::cli {

int runStart(const std::vector<std::string>& args);
int runVersion(const std::vector<std::string>& args);

}  // namespace tmsteams::cli

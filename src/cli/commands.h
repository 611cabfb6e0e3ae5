// The subcommands of teleport-msteams, one file each.
#pragma once

#include <string>
#include <vector>

namespace tmsteams::cli {

int runStart(const std::vector<std::string>& args);
int runConfigure(const std::vector<std::string>& args);
int runValidate(const std::vector<std::string>& args);
int runUninstall(const std::vector<std::string>& args);
int runVersion(const std::vector<std::string>& args);

// A TOML basic string literal for `s` (quotes and backslashes escaped).
std::string tomlString(const std::string& s);

}  // namespace tmsteams::cli

// Every subcommand's command line, parsed by Poco::Util's OptionProcessor (Unix style:
// "-c FILE", "--config FILE", "--config=FILE") and described by its HelpFormatter, so the
// options a command takes and its --help (and the man page made from it) never disagree.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <Poco/Util/OptionSet.h>

namespace tmsteams::cli {

class CommandOptions {
public:
    // `usage` follows the command name in the synopsis; `about` is printed before the options.
    CommandOptions(std::string command, std::string usage, std::string about);

    // A flag, or with `argName` an option taking one value. "help" (-h) is always there.
    CommandOptions& add(const std::string& name, const std::string& shortName, const std::string& description,
                        const std::string& argName = "");

    struct Parsed {
        std::map<std::string, std::string> values;  // by full option name; flags map to ""
        std::vector<std::string> positional;
        bool has(const std::string& name) const { return values.count(name) > 0; }
        std::string get(const std::string& name) const {
            auto it = values.find(name);
            return it == values.end() ? "" : it->second;
        }
    };
    // nullopt when --help was asked (help printed on stdout, exit 0) or the arguments are wrong
    // (the reason and the help printed on stderr, exit 2): `exitCode` says which.
    std::optional<Parsed> parse(const std::vector<std::string>& args, int& exitCode) const;
    // The same, for a command that takes options only: a positional argument is refused.
    std::optional<Parsed> parseOptionsOnly(const std::vector<std::string>& args, int& exitCode) const;
    void printHelp(std::ostream& out) const;
    // "teleport-msteams COMMAND: message", then the help, on stderr; returns 2.
    int usageError(const std::string& message) const;

private:
    std::string command_;
    std::string usage_;
    std::string about_;
    Poco::Util::OptionSet options_;
};

}  // namespace tmsteams::cli

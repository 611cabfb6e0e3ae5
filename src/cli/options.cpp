// Every subcommand's command line, parsed and described by Poco::Util.
#include "cli/options.h"

#include <iostream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>

namespace tmsteams::cli {

CommandOptions::CommandOptions(std::string command, std::string usage, std::string about)
    : command_(std::move(command)), usage_(std::move(usage)), about_(std::move(about)) {
    add("help", "h", "print this help and exit");
}

CommandOptions& CommandOptions::add(const std::string& name, const std::string& shortName,
                                    const std::string& description, const std::string& argName) {
    Poco::Util::Option o(name, shortName, description, false);
    if (!argName.empty()) {
        o.argument(argName, true);
    }
    options_.addOption(o);
    return *this;
}

std::optional<CommandOptions::Parsed> CommandOptions::parse(const std::vector<std::string>& args, int& exitCode) const {
    Parsed parsed;
    try {
        Poco::Util::OptionProcessor processor(options_);
        processor.setUnixStyle(true);
        for (const auto& a : args) {
            std::string name, value;
            if (!processor.process(a, name, value)) {
                parsed.positional.push_back(a);
            } else if (!name.empty()) {
                parsed.values[name] = value;
            }
        }
        processor.checkRequired();  // also: an option left without its value
    } catch (const Poco::Util::OptionException& e) {
        exitCode = usageError(e.displayText());
        return std::nullopt;
    }
    if (parsed.has("help")) {
        printHelp(std::cout);
        exitCode = 0;
        return std::nullopt;
    }
    return parsed;
}

std::optional<CommandOptions::Parsed> CommandOptions::parseOptionsOnly(const std::vector<std::string>& args,
                                                                      int& exitCode) const {
    auto parsed = parse(args, exitCode);
    if (parsed && !parsed->positional.empty()) {
        exitCode = usageError("unexpected argument " + parsed->positional[0]);
        return std::nullopt;
    }
    return parsed;
}

void CommandOptions::printHelp(std::ostream& out) const {
    Poco::Util::HelpFormatter help(options_);
    help.setUnixStyle(true);
    help.setCommand("teleport-msteams " + command_);
    help.setUsage(usage_);
    help.setHeader(about_);
    help.setWidth(100);
    help.format(out);
}

int CommandOptions::usageError(const std::string& message) const {
    std::cerr << "teleport-msteams " << command_ << ": " << message << "\n";
    printHelp(std::cerr);
    return 2;
}

}  // namespace tmsteams::cli

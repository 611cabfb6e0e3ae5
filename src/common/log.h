// Line-oriented logging: one event per line, key=value fields, text or JSON.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tmsteams::common {

enum class Severity { Debug = 0, Info = 1, Warning = 2, Error = 3 };
enum class LogFormat { Text, Json };

using LogField = std::pair<std::string_view, std::string>;

// Where and how log lines go. Thread-safe; the default writes text to stderr at Info.
class Logger {
public:
    static Logger& instance();

    // Sets the output: "stderr", "stdout" or a file path (appended). Returns false if unopenable.
    bool setOutput(const std::string& output);
    void setSeverity(Severity s);
    void setFormat(LogFormat f);
    bool enabled(Severity s) const;

    void log(Severity s, std::string_view message, std::initializer_list<LogField> fields);

private:
    Logger() = default;
    struct Impl;
    Impl& impl();
};

// Parses "debug|info|warn|warning|error" (any case, Go's names too); false if unknown.
bool parseSeverity(std::string_view text, Severity& out);

inline void logDebug(std::string_view m, std::initializer_list<LogField> f = {}) {
    Logger::instance().log(Severity::Debug, m, f);
}
inline void logInfo(std::string_view m, std::initializer_list<LogField> f = {}) {
    Logger::instance().log(Severity::Info, m, f);
}
inline void logWarn(std::string_view m, std::initializer_list<LogField> f = {}) {
    Logger::instance().log(Severity::Warning, m, f);
}
inline void logError(std::string_view m, std::initializer_list<LogField> f = {}) {
    Logger::instance().log(Severity::Error, m, f);
}

}  // namespace tmsteams::common

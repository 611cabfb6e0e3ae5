// Line-oriented logging: one event per line, key=value fields, text or JSON.
#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/json_escape.h"

namespace tmsteams::common {

struct Logger::Impl {
    std::mutex mu;  // guards out and ownsOut
    FILE* out = stderr;
    bool ownsOut = false;
    std::atomic<int> severity{static_cast<int>(Severity::Info)};
    std::atomic<LogFormat> format{LogFormat::Text};
};

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

Logger::Impl& Logger::impl() {
    static Impl impl;
    return impl;
}

bool Logger::setOutput(const std::string& output) {
    FILE* f = nullptr;
    bool owns = false;
    if (output.empty() || output == "stderr") {
        f = stderr;
    } else if (output == "stdout") {
        f = stdout;
    } else {
        f = std::fopen(output.c_str(), "ae");
        if (!f) {
            return false;
        }
        owns = true;
    }
    auto& i = impl();
    std::lock_guard lock(i.mu);
    if (i.ownsOut) {
        std::fclose(i.out);
    }
    i.out = f;
    i.ownsOut = owns;
    return true;
}

void Logger::setSeverity(Severity s) { impl().severity = static_cast<int>(s); }
void Logger::setFormat(LogFormat f) { impl().format = f; }

bool Logger::enabled(Severity s) const {
    return static_cast<int>(s) >= const_cast<Logger*>(this)->impl().severity.load();
}

namespace {
const char* severityName(Severity s) {
    switch (s) {
    case Severity::Debug:
        return "DEBUG";
    case Severity::Info:
        return "INFO";
    case Severity::Warning:
        return "WARN";
    case Severity::Error:
        return "ERROR";
    }
    return "INFO";
}

std::string timestamp() {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

bool needsQuotes(std::string_view v) {
    if (v.empty()) {
        return true;
    }
    for (char c : v) {
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
            return true;
        }
    }
    return false;
}
}  // namespace

void Logger::log(Severity s, std::string_view message, std::initializer_list<LogField> fields) {
    if (!enabled(s)) {
        return;
    }
    std::string line;
    if (impl().format.load() == LogFormat::Json) {
        line = "{\"time\":\"" + timestamp() + "\",\"level\":\"" + severityName(s) +
               "\",\"msg\":" + jsonQuote(message);
        for (const auto& [k, v] : fields) {
            line += ",";
            line += jsonQuote(k);
            line += ":";
            line += jsonQuote(v);
        }
        line += "}\n";
    } else {
        line = timestamp() + " " + severityName(s) + " " + std::string(message);
        for (const auto& [k, v] : fields) {
            line += " ";
            line += k;
            line += "=";
            line += needsQuotes(v) ? jsonQuote(v) : v;
        }
        line += "\n";
    }
    auto& i = impl();
    std::lock_guard lock(i.mu);
    std::fwrite(line.data(), 1, line.size(), i.out);
    std::fflush(i.out);
}

bool parseSeverity(std::string_view text, Severity& out) {
    std::string t;
    for (char c : text) {
        t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (t == "debug" || t == "trace") {
        out = Severity::Debug;
    } else if (t == "info") {
        out = Severity::Info;
    } else if (t == "warn" || t == "warning") {
        out = Severity::Warning;
    } else if (t == "error" || t == "err" || t == "fatal" || t == "panic") {
        out = Severity::Error;
    } else {
        return false;
    }
    return true;
}

}  // namespace tmsteams::common

// Time stamps as people and Teleport read them.
#include "common/time_format.h"

#include <ctime>

namespace tmsteams::common {

std::string formatUtcWith(std::chrono::system_clock::time_point t, const char* format) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

std::string formatUtc(std::chrono::system_clock::time_point t) { return formatUtcWith(t, "%Y-%m-%d %H:%M:%S UTC"); }

std::string formatRfc3339(std::chrono::system_clock::time_point t) { return formatUtcWith(t, "%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace tmsteams::common

// Time stamps as people and Teleport read them.
#pragma once

#include <chrono>
#include <string>

namespace tmsteams::common {

// "2026-01-02 15:04:05 UTC"
std::string formatUtc(std::chrono::system_clock::time_point t);
// "2026-01-02T15:04:05Z"
std::string formatRfc3339(std::chrono::system_clock::time_point t);
// strftime in UTC with any format.
std::string formatUtcWith(std::chrono::system_clock::time_point t, const char* format);

}  // namespace tmsteams::common

// RFC 3339 time stamps ("2026-01-02T15:04:05Z", "2026-01-02T15:04:05.5+01:00"), read strictly.
#pragma once

#include <chrono>
#include <string_view>

#include <absl/status/statusor.h>

namespace tmsteams::routing {

absl::StatusOr<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (any year in [-9999, 9999]).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace tmsteams::routing

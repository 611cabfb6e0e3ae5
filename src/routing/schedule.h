// Working-hours schedules of access monitoring rules (Teleport v18.2.8 and later): a rule with
// schedules applies only to requests created inside one of them.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <absl/status/statusor.h>

#include "access_monitoring_rules.pb.h"

namespace tmsteams::routing {

// True when `created` falls in any of the schedules: its weekday ("Monday") equals a shift's,
// and its clock time in the schedule's time zone (default UTC) lies within the shift's
// [start, end], both "HH:MM" and inclusive, to the minute. Errors name the schedule and the
// bad value (an unknown time zone, a malformed time).
absl::StatusOr<bool> inSchedules(
    const google::protobuf::Map<std::string, teleport::accessmonitoringrules::v1::Schedule>& schedules,
    std::chrono::system_clock::time_point created);

// "H:MM" or "HH:MM" (Go's "15:04") to minutes after midnight; false when malformed.
bool parseClock(const std::string& text, int& minutes);

}  // namespace tmsteams::routing

// Schedules: the request's creation time, seen in each schedule's time zone (the system's
// zoneinfo, read by Abseil), against its weekday shifts.
#include "routing/schedule.h"

#include <absl/time/time.h>

namespace tmsteams::routing {

bool parseClock(const std::string& text, int& minutes) {
    // Go's "15:04" layout: an hour of one or two digits, then two-digit minutes.
    const size_t colon = text.find(':');
    if (colon != 1 && colon != 2) {
        return false;
    }
    if (text.size() != colon + 3) {
        return false;
    }
    for (size_t i = 0; i < text.size(); ++i) {
        if (i != colon && (text[i] < '0' || text[i] > '9')) {
            return false;
        }
    }
    const int h = colon == 1 ? text[0] - '0' : (text[0] - '0') * 10 + (text[1] - '0');
    const int m = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
    if (h > 23 || m > 59) {
        return false;
    }
    minutes = h * 60 + m;
    return true;
}

namespace {

const char* weekdayName(absl::Weekday d) {
    switch (d) {
    case absl::Weekday::monday: return "Monday";
    case absl::Weekday::tuesday: return "Tuesday";
    case absl::Weekday::wednesday: return "Wednesday";
    case absl::Weekday::thursday: return "Thursday";
    case absl::Weekday::friday: return "Friday";
    case absl::Weekday::saturday: return "Saturday";
    case absl::Weekday::sunday: return "Sunday";
    }
    return "";
}

}  // namespace

absl::StatusOr<bool> inSchedules(
    const google::protobuf::Map<std::string, teleport::accessmonitoringrules::v1::Schedule>& schedules,
    std::chrono::system_clock::time_point created) {
    const absl::Time t = absl::FromChrono(created);
    for (const auto& [name, schedule] : schedules) {
        const auto& ts = schedule.time();
        const std::string zoneName = ts.timezone().empty() ? "UTC" : ts.timezone();
        absl::TimeZone zone;
        if (!absl::LoadTimeZone(zoneName, &zone)) {
            return absl::InvalidArgumentError("schedule \"" + name + "\": unknown time zone \"" + zoneName + "\"");
        }
        const auto at = zone.At(t);
        const auto local = at.cs;
        const std::string weekday = weekdayName(absl::GetWeekday(local));
        // Teleport compares the full time stamp with start and end at :00, so 17:00:30 is past
        // an end of 17:00.
        const int64_t second = local.hour() * 3600 + local.minute() * 60 + local.second();
        const bool fraction = at.subsecond != absl::ZeroDuration();
        for (const auto& shift : ts.shifts()) {
            if (shift.weekday() != weekday) {
                continue;  // as Teleport: other days' shifts are not even read
            }
            int start = 0, end = 0;
            if (!parseClock(shift.start(), start) || !parseClock(shift.end(), end)) {
                return absl::InvalidArgumentError("schedule \"" + name + "\": shift times must be HH:MM");
            }
            const int64_t from = start * 60, to = end * 60;
            if (second >= from && (second < to || (second == to && !fraction))) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace tmsteams::routing

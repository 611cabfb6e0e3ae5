// Strict RFC 3339 reading for time.RFC3339() in conditions.
#include "routing/rfc3339.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tmsteams::routing {

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    // Howard Hinnant's days_from_civil algorithm.
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

bool digits(std::string_view s, size_t at, size_t n, int& out) {
    if (at + n > s.size()) {
        return false;
    }
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
            return false;
        }
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

absl::StatusOr<std::chrono::system_clock::time_point> parseRfc3339(std::string_view s) {
    auto bad = [&] {
        return absl::InvalidArgumentError("\"" + std::string(s.substr(0, 64)) + "\" is not an RFC 3339 time");
    };
    int year, month, day, hour, minute, second;
    if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) || s[13] != ':' ||
        !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
        return bad();
    }
    static const int monthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > monthDays[month - 1] || (month == 2 && day == 29 && !leap) ||
        hour > 23 || minute > 59 || second > 59) {
        return bad();
    }
    size_t i = 19;
    int64_t nanos = 0;
    if (i < s.size() && s[i] == '.') {
        size_t b = ++i;
        int64_t scale = 100000000;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            nanos += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == b || i - b > 9) {
            return bad();
        }
    }
    int64_t offset = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om) || oh > 23 ||
            om > 59) {
            return bad();
        }
        offset = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        i += 6;
    } else {
        return bad();
    }
    if (i != s.size()) {
        return bad();
    }
    int64_t secs = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                   hour * 3600 + minute * 60 + second - offset;
    // The clock counts nanoseconds in 64 bits (years 1678 to 2262): "9999-12-31T23:59:59Z", a
    // common "never", is held at the edge, which keeps every comparison with real times right.
    constexpr int64_t Edge = 9'000'000'000;  // seconds, about the year 2255
    secs = std::clamp<int64_t>(secs, -Edge, Edge);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
}

}  // namespace tmsteams::routing

// Go-style duration parsing and formatting.
#include "common/duration.h"

#include <cmath>

namespace tmsteams::common {

std::optional<std::chrono::nanoseconds> parseGoDuration(std::string_view s) {
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") {
        return std::chrono::nanoseconds(0);
    }
    if (s.empty()) {
        return std::nullopt;
    }
    long double total = 0;
    while (!s.empty()) {
        // [digits][.digits], at least one digit, as Go reads it; no exceptions, no overflow.
        size_t i = 0;
        bool digits = false;
        bool dot = false;
        long double value = 0;
        long double fraction = 1;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !dot))) {
            if (s[i] == '.') {
                dot = true;
            } else {
                digits = true;
                if (dot) {
                    fraction /= 10;
                    value += (s[i] - '0') * fraction;
                } else {
                    value = value * 10 + (s[i] - '0');
                    if (value > 1e19L) {
                        return std::nullopt;  // past what 64-bit nanoseconds hold in any unit
                    }
                }
            }
            ++i;
        }
        if (!digits) {
            return std::nullopt;
        }
        s.remove_prefix(i);
        size_t u = 0;
        while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') {
            ++u;
        }
        std::string_view unit = s.substr(0, u);
        s.remove_prefix(u);
        long double scale = 0;
        if (unit == "ns") {
            scale = 1;
        } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
            scale = 1e3;
        } else if (unit == "ms") {
            scale = 1e6;
        } else if (unit == "s") {
            scale = 1e9;
        } else if (unit == "m") {
            scale = 60e9;
        } else if (unit == "h") {
            scale = 3600e9;
        } else {
            return std::nullopt;
        }
        total += value * scale;
    }
    if (total >= 9223372036854775808.0L) {  // 2^63 ns, about 292 years
        return std::nullopt;
    }
    auto ns = static_cast<int64_t>(std::llround(total));
    return std::chrono::nanoseconds(negative ? -ns : ns);
}

std::string formatDuration(std::chrono::nanoseconds d) {
    using namespace std::chrono;
    if (d < seconds(1) && d > -seconds(1)) {
        return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
    }
    std::string sign = d.count() < 0 ? "-" : "";
    auto total = std::abs(duration_cast<seconds>(d).count());
    auto h = total / 3600, m = (total % 3600) / 60, s = total % 60;
    std::string out = sign;
    if (h) {
        out += std::to_string(h) + "h";
    }
    if (h || m) {
        out += std::to_string(m) + "m";
    }
    out += std::to_string(s) + "s";
    return out;
}

}  // namespace tmsteams::common

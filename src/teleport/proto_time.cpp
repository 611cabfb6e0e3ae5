// Conversion between Teleport's protobuf timestamps and C++ time points.
#include "teleport/proto_time.h"

#include <algorithm>

namespace tmsteams::teleport {

bool isSet(const google::protobuf::Timestamp& ts) {
    if (ts.seconds() == GoZeroTimeSeconds && ts.nanos() == 0) {
        return false;
    }
    // An absent field decodes as 0/0; Go also reads that as its zero time.
    return !(ts.seconds() == 0 && ts.nanos() == 0);
}

std::optional<TimePoint> fromProtoTime(const google::protobuf::Timestamp& ts) {
    if (!isSet(ts)) {
        return std::nullopt;
    }
    using namespace std::chrono;
    // A time point counts nanoseconds in 64 bits (years 1678 to 2262); protobuf allows 1 to
    // 9999. Clamp instead of overflowing, so a request "valid until 9999" shows the far end.
    constexpr int64_t Limit = 9'000'000'000;  // seconds, about 285 years each way
    const int64_t secs = std::clamp<int64_t>(ts.seconds(), -Limit, Limit);
    return TimePoint(duration_cast<system_clock::duration>(seconds(secs) + nanoseconds(ts.nanos())));
}

void toProtoTime(std::optional<TimePoint> t, google::protobuf::Timestamp* out) {
    if (!t) {
        out->set_seconds(GoZeroTimeSeconds);
        out->set_nanos(0);
        return;
    }
    using namespace std::chrono;
    auto ns = duration_cast<nanoseconds>(t->time_since_epoch()).count();
    int64_t secs = ns / 1'000'000'000;
    int64_t rem = ns % 1'000'000'000;
    if (rem < 0) {
        rem += 1'000'000'000;
        secs -= 1;
    }
    out->set_seconds(secs);
    out->set_nanos(static_cast<int32_t>(rem));
}

}  // namespace tmsteams::teleport

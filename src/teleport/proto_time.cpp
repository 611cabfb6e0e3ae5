// Conversion between Teleport's protobuf timestamps and C++ time points.
#include "teleport/proto_time.h"

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
    return TimePoint(duration_cast<system_clock::duration>(seconds(ts.seconds()) +
                                                           nanoseconds(ts.nanos())));
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

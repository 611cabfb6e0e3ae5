// Conversion between google.protobuf.Timestamp as Teleport writes it and C++ time points.
#pragma once

#include <chrono>
#include <optional>

#include <google/protobuf/timestamp.pb.h>

namespace tmsteams::teleport {

using TimePoint = std::chrono::system_clock::time_point;

// Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds. Teleport always serialises its
// non-null timestamps, so "unset" arrives as this value, never as 0 (which is 1970-01-01).
inline constexpr int64_t GoZeroTimeSeconds = -62135596800;

// Returns nullopt for Go's zero time and for an all-zero (absent) field, else the time.
std::optional<TimePoint> fromProtoTime(const google::protobuf::Timestamp& ts);

// Writes `t`, or Go's zero time when `t` is unset, as Teleport does.
void toProtoTime(std::optional<TimePoint> t, google::protobuf::Timestamp* out);

// True when the field is set to a real time.
bool isSet(const google::protobuf::Timestamp& ts);

}  // namespace tmsteams::teleport

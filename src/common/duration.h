// Go-style durations ("1h30m", "250ms", "90s"), as Teleport configs and tctl flags write them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tmsteams::common {

// Parses a Go time.Duration string; units ns, us, µs, ms, s, m, h; a leading '-' is allowed.
// "0" alone is zero. Returns nullopt when malformed.
std::optional<std::chrono::nanoseconds> parseGoDuration(std::string_view text);

// Formats like Go's Duration.String() for whole seconds and up ("1h30m0s"), else in ms.
std::string formatDuration(std::chrono::nanoseconds d);

}  // namespace tmsteams::common

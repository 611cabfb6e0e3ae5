// What handling an event came to: done, worth another try (at a given time, or after a
// back-off the retry queue chooses), or failed for good. The retry queue is the only consumer:
// nothing else reschedules a request.
#pragma once

#include <chrono>
#include <optional>

#include <absl/status/status.h>

namespace tmsteams::plugin {

struct Outcome {
    enum class Kind { Done, Retry, Failed };
    Kind kind = Kind::Done;
    // Retry: come back exactly this much later (another replica's lease ends); empty: back off.
    std::optional<std::chrono::milliseconds> after;
    absl::Status error;  // why it is not done (Retry may carry none: a lease to wait out)

    static Outcome done() { return {}; }
    static Outcome retry(absl::Status why, std::optional<std::chrono::milliseconds> after = std::nullopt) {
        return {Kind::Retry, after, std::move(why)};
    }
    static Outcome failed(absl::Status why) { return {Kind::Failed, std::nullopt, std::move(why)}; }

    // No error to report (done, or waiting for another replica's lease).
    bool ok() const { return error.ok(); }
    const absl::Status& status() const { return error; }
};

}  // namespace tmsteams::plugin

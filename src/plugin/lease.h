// Leases in plugin data ("<instance> <unix ms lease end>"): who is posting a request's cards
// (claim) or bringing them up to date (updating). A replica that dies leaves its lease, and
// another takes over once it has ended.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"

namespace tmsteams::plugin {

class Leases {
public:
    Leases(std::string instanceId, common::Clock& clock, std::chrono::milliseconds length)
        : instanceId_(std::move(instanceId)), clock_(clock), length_(length) {}

    // A new lease of ours, ending `length` from now.
    std::string fresh() const;
    // Another replica's lease that has not ended (ours never counts; "" or garbage is free).
    bool heldByOther(const std::string& lease) const;
    // Time until the lease ends (0 when it has, or cannot be read).
    std::chrono::milliseconds left(const std::string& lease) const;
    std::chrono::milliseconds length() const { return length_; }

private:
    const std::string instanceId_;
    common::Clock& clock_;
    const std::chrono::milliseconds length_;
};

}  // namespace tmsteams::plugin

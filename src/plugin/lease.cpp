// Leases in plugin data.
#include "plugin/lease.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>

namespace tmsteams::plugin {

namespace {

long long nowMs(common::Clock& clock) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

}  // namespace

std::string Leases::fresh() const {
    return instanceId_ + " " + std::to_string(nowMs(clock_) + length_.count());
}

namespace {

// The lease's end in unix ms; nullopt when it cannot be read, or ends further ahead than any
// lease we grant could (garbage, or a clock far ahead): such a lease holds nothing.
std::optional<long long> leaseEnd(const std::string& lease, long long now, std::chrono::milliseconds length) {
    const auto space = lease.rfind(' ');
    if (lease.empty() || space == std::string::npos) {
        return std::nullopt;
    }
    char* end = nullptr;
    errno = 0;
    const long long until = std::strtoll(lease.c_str() + space + 1, &end, 10);
    if (errno != 0 || end == lease.c_str() + space + 1 || *end != '\0' || until > now + 2 * length.count()) {
        return std::nullopt;
    }
    return until;
}

}  // namespace

bool Leases::heldByOther(const std::string& lease) const {
    const auto space = lease.rfind(' ');
    if (space == std::string::npos || lease.substr(0, space) == instanceId_) {
        return false;
    }
    const auto now = nowMs(clock_);
    const auto until = leaseEnd(lease, now, length_);
    return until && *until > now;
}

std::chrono::milliseconds Leases::left(const std::string& lease) const {
    const auto now = nowMs(clock_);
    const auto until = leaseEnd(lease, now, length_);
    if (!until || *until <= now) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::milliseconds(*until - now);
}

}  // namespace tmsteams::plugin

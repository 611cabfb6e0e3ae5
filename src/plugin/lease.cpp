// Leases in plugin data.
#include "plugin/lease.h"

#include <algorithm>
#include <cstdlib>

namespace tmsteams::plugin {

namespace {

long long nowMs(common::Clock& clock) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

}  // namespace

std::string Leases::fresh() const {
    return instanceId_ + " " + std::to_string(nowMs(clock_) + length_.count());
}

bool Leases::heldByOther(const std::string& lease) const {
    const auto space = lease.rfind(' ');
    if (lease.empty() || space == std::string::npos || lease.substr(0, space) == instanceId_) {
        return false;
    }
    return std::atoll(lease.c_str() + space + 1) > nowMs(clock_);
}

std::chrono::milliseconds Leases::left(const std::string& lease) const {
    const auto space = lease.rfind(' ');
    if (space == std::string::npos) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::milliseconds(std::max(0LL, std::atoll(lease.c_str() + space + 1) - nowMs(clock_)));
}

}  // namespace tmsteams::plugin

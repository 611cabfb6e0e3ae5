// Capped exponential backoff with jitter.
#include "common/backoff.h"

#include <algorithm>

namespace tmsteams::common {

uint64_t Backoff::jitterSeed() {
    thread_local std::mt19937_64 seeds{std::random_device{}()};
    return seeds();
}

std::chrono::milliseconds Backoff::delay(int attempt) {
    auto d = base_.count();
    for (int i = 0; i < attempt && d < cap_.count(); ++i) {
        d *= 2;
    }
    d = std::min<long long>(d, cap_.count());
    std::uniform_int_distribution<long long> dist(d / 2, std::max<long long>(d / 2, d));
    return std::chrono::milliseconds(dist(rng_));
}

}  // namespace tmsteams::common

// Capped exponential backoff with jitter.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace tmsteams::common {

class Backoff {
public:
    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap) : base_(base), cap_(cap) {}

    // The delay before retry number `attempt` (0-based): uniform in [d/2, d] where
    // d = min(cap, base * 2^attempt), so retries spread out instead of arriving together.
    std::chrono::milliseconds delay(int attempt);
    void reset() { attempt_ = 0; }
    // Steps through attempts 0, 1, 2, ...
    std::chrono::milliseconds next() { return delay(attempt_++); }

private:
    std::chrono::milliseconds base_;
    std::chrono::milliseconds cap_;
    int attempt_ = 0;
    // Seeded from a per-thread generator: a Backoff is made for every call to Microsoft and every
    // plugin-data write, and opening the system's random device each time showed in profiles.
    std::mt19937_64 rng_{jitterSeed()};
    static uint64_t jitterSeed();
};

}  // namespace tmsteams::common

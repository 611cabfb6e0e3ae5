// Fuzz target: the card builder with arbitrary request fields. The activity must always be
// valid JSON within Teams' size limit, whatever users typed into their request.
#include FUZZED_DATA_PROVIDER_H  // from clang; the path comes from meson

#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "teams/card.h"

namespace {

using namespace tmsteams::teams;

std::vector<std::string> strings(FuzzedDataProvider& in, size_t maxCount) {
    std::vector<std::string> out(in.ConsumeIntegralInRange<size_t>(0, maxCount));
    for (auto& s : out) {
        s = in.ConsumeRandomLengthString(300);
    }
    return out;
}

std::optional<TimePoint> maybeTime(FuzzedDataProvider& in) {
    if (!in.ConsumeBool()) {
        return std::nullopt;
    }
    // Anything a time point can hold (fromProtoTime clamps to this range).
    return TimePoint(std::chrono::seconds(in.ConsumeIntegralInRange<int64_t>(-9'000'000'000LL, 9'000'000'000LL)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    CardData c;
    c.requestId = in.ConsumeRandomLengthString(64);
    c.cluster = in.ConsumeRandomLengthString(128);
    c.user = in.ConsumeRandomLengthString(256);
    c.roles = strings(in, 40);
    c.resources = strings(in, 40);
    c.reason = in.ConsumeRandomLengthString(8192);
    c.status = static_cast<CardStatus>(in.ConsumeIntegralInRange(0, 4));
    c.resolveReason = in.ConsumeRandomLengthString(4096);
    c.accessList = in.ConsumeRandomLengthString(256);
    for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 30); n > 0; --n) {
        CardReview r;
        r.author = in.ConsumeRandomLengthString(128);
        r.verdict = in.PickValueInArray({"APPROVED", "DENIED", "PROMOTED", "NONE"});
        r.reason = in.ConsumeRandomLengthString(2048);
        r.created = maybeTime(in);
        c.reviews.push_back(r);
    }
    c.suggestedReviewers = strings(in, 20);
    c.requestExpires = maybeTime(in);
    c.accessExpires = maybeTime(in);
    c.maxDuration = maybeTime(in);
    c.approvals = in.ConsumeIntegral<int>();
    c.approvalsNeeded = in.ConsumeIntegral<int>();
    c.webUrl = in.ConsumeRandomLengthString(512);

    const std::string activity = buildActivity(c);
    if (tmsteams::teams::teamsMessageSize(activity) > tmsteams::teams::MaxActivityUtf16Bytes) {
        std::fprintf(stderr, "activity of %zu bytes\n", activity.size());
        std::abort();
    }
    try {
        Poco::JSON::Parser().parse(activity);
    } catch (const Poco::Exception&) {
        std::fprintf(stderr, "invalid JSON: %s\n", activity.c_str());
        std::abort();  // Teams would reject the message and the reviewers would never see it
    }
    return 0;
}

// One Microsoft API call with authentication and retries: 429 and 5xx (and 412 for the Bot
// Framework) are retried, honouring Retry-After (seconds or HTTP date), otherwise with capped
// exponential backoff and jitter; a 401 drops the token and retries once; other 4xx are final
// and reported with Microsoft's error code and message. The request is rebuilt every attempt.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "msapi/http_transport.h"
#include "msapi/token_cache.h"

namespace tmsteams::msapi {

struct RetryPolicy {
    int maxAttempts = 8;
    std::chrono::milliseconds baseDelay{250};
    std::chrono::milliseconds maxDelay{20000};
    std::chrono::milliseconds maxRetryAfter{120000};  // longer hints are capped
    bool retryPreconditionFailed = false;             // 412: retried by the Bot Framework only
};

struct ApiCall {
    std::string what;  // for errors and logs, e.g. "post activity"
    std::string method;
    std::string url;
    std::string body;
    std::string contentType = "application/json";
    std::vector<int> expected;  // success codes; empty means any 2xx
    std::chrono::steady_clock::time_point deadline;  // retries stop here
    // Called before every attempt; returning false (stopped, or no slot before the deadline)
    // ends the call.
    std::function<bool(std::stop_token)> pace;
};

// Counters for metrics and tests.
struct ApiStats {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> retries{0};
    std::atomic<uint64_t> throttled{0};  // 429 answers
    std::atomic<uint64_t> failures{0};
};

class ApiCaller {
public:
    ApiCaller(HttpTransport& http, common::Clock& clock, TokenCache& tokens, RetryPolicy policy);

    absl::StatusOr<HttpResponse> call(const ApiCall& call, std::stop_token stop = {});
    const ApiStats& stats() const { return stats_; }
    // Every HTTP attempt's duration goes here when set.
    void setLatencyHistogram(common::Histogram* h) { latency_ = h; }

private:
    HttpTransport& http_;
    common::Clock& clock_;
    TokenCache& tokens_;
    RetryPolicy policy_;
    ApiStats stats_;
    common::Histogram* latency_ = nullptr;
};

// Parses Retry-After (delta seconds or an HTTP date) relative to `now`.
std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value,
                                                         std::chrono::system_clock::time_point now);

// "Code: message" from a Graph or Bot Framework error body, or a short excerpt.
std::string describeError(const HttpResponse& resp);

}  // namespace tmsteams::msapi

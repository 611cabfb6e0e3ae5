// OAuth2 client-credentials tokens for one audience (Graph or Bot Framework), cached and
// renewed before they expire.
#pragma once

#include <absl/base/thread_annotations.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "msapi/http_transport.h"

namespace tmsteams::msapi {

struct AppCredentials {
    std::string loginEndpoint;  // e.g. https://login.microsoftonline.com
    std::string tenantId;
    std::string appId;
    std::string appSecret;  // never logged
};

class TokenCache {
public:
    TokenCache(HttpTransport& http, common::Clock& clock, AppCredentials creds, std::string scope);

    // A valid token, fetched when missing or near expiry. Errors are final for bad credentials
    // (kUnauthenticated / kInvalidArgument) and kUnavailable for outages.
    absl::StatusOr<std::string> get(std::stop_token stop = {});
    // Forgets `token` after the service refused it (401), so the next get() fetches anew.
    void invalidate(const std::string& token);
    // New credentials (a changed secret after a reload); the cached token is dropped.
    void setCredentials(AppCredentials creds);
    uint64_t refreshes() const;
    // False when the last fetch failed and no valid token is cached.
    bool healthy() const;

private:
    struct Fetched {
        std::string token;
        long expiresIn = 0;
    };
    // One request to the token endpoint (with retries for outages); touches no member state,
    // so it runs without the lock.
    absl::StatusOr<Fetched> fetchOnce(const AppCredentials& creds, std::stop_token stop);

    HttpTransport& http_;
    common::Clock& clock_;
    const std::string scope_;
    // Single flight: one caller fetches with the lock released; the others wait on `fetched_`
    // and share its result, so a slow token endpoint costs one fetch, not one per caller.
    mutable std::mutex mu_;  // guards every field below (never held across a fetch)
    std::condition_variable_any fetched_;
    AppCredentials creds_ ABSL_GUARDED_BY(mu_);
    uint64_t credsGeneration_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by setCredentials: a fetch with older ones is discarded
    std::string token_ ABSL_GUARDED_BY(mu_);
    std::chrono::steady_clock::time_point renewAt_ ABSL_GUARDED_BY(mu_);
    bool fetching_ ABSL_GUARDED_BY(mu_) = false;
    uint64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;  // completed fetches, so waiters know theirs finished
    absl::Status lastError_;
    bool lastFetchFailed_ = false;
    std::atomic<uint64_t> refreshes_{0};  // read by /metrics without the lock
};

// Form-encodes a value as application/x-www-form-urlencoded.
std::string formEncode(const std::string& value);

}  // namespace tmsteams::msapi

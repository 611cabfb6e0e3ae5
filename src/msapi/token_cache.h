// OAuth2 client-credentials tokens for one audience (Graph or Bot Framework), cached and
// renewed before they expire.
#pragma once

#include <chrono>
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
    absl::StatusOr<std::string> fetch(std::stop_token stop);
    absl::StatusOr<std::string> fetchOnce(std::stop_token stop);

    HttpTransport& http_;
    common::Clock& clock_;
    AppCredentials creds_;
    const std::string scope_;
    mutable std::mutex mu_;  // guards token_, renewAt_, refreshes_; held across a fetch
    std::string token_;
    std::chrono::steady_clock::time_point renewAt_;
    uint64_t refreshes_ = 0;
    bool lastFetchFailed_ = false;
};

// Form-encodes a value as application/x-www-form-urlencoded.
std::string formEncode(const std::string& value);

}  // namespace tmsteams::msapi

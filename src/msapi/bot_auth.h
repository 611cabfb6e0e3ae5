// Authenticates activities the Bot Framework sends to our messaging endpoint: a JWT (RS256)
// signed with a key from the Bot Framework's OpenID metadata, for our app id, unexpired, from
// the expected issuer, with a key endorsed for the channel and a serviceurl claim equal to the
// activity's serviceUrl. Keys are fetched, cached, and re-fetched when an unknown key id shows
// up (rotation), at most once a minute.
#pragma once

#include <absl/base/thread_annotations.h>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "common/clock.h"
#include "msapi/http_transport.h"

namespace tmsteams::msapi {

struct BotAuthSettings {
    std::string openIdMetadataUrl;  // e.g. https://login.botframework.com/v1/.well-known/openidconfiguration
    std::string issuer;             // e.g. https://api.botframework.com
    std::string appId;              // the audience
    std::chrono::seconds clockSkew{300};
    std::chrono::hours keysMaxAge{24};
};

class BotAuthenticator {
public:
    BotAuthenticator(HttpTransport& http, common::Clock& clock, BotAuthSettings settings);
    ~BotAuthenticator();

    // `authorization` is the HTTP header value ("Bearer <jwt>"). kUnauthenticated with a reason
    // (never the token) when anything is off.
    absl::Status authenticate(const std::string& authorization, const std::string& serviceUrl,
                              const std::string& channelId);

private:
    struct Key;
    absl::Status refreshKeys(bool force);
    // The metadata and key set from Microsoft; touches no member state (runs without the lock).
    absl::StatusOr<std::map<std::string, std::shared_ptr<Key>>> fetchKeys();
    std::shared_ptr<Key> findKey(const std::string& kid);

    HttpTransport& http_;
    common::Clock& clock_;
    BotAuthSettings settings_;
    std::mutex mu_;  // guards everything below; never held across a fetch
    std::condition_variable fetched_;
    bool fetching_ ABSL_GUARDED_BY(mu_) = false;  // single flight: one fetch at a time, waiters share it
    uint64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
    std::map<std::string, std::shared_ptr<Key>> keys_ ABSL_GUARDED_BY(mu_);
    std::chrono::steady_clock::time_point fetchedAt_ ABSL_GUARDED_BY(mu_){};
    std::chrono::steady_clock::time_point lastAttempt_ ABSL_GUARDED_BY(mu_){};
};

}  // namespace tmsteams::msapi

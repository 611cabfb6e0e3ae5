// The bot's messaging endpoint for reviews from Teams ([review] listen): HTTPS (Poco NetSSL),
// POST /api/messages. Every activity must carry a valid Bot Framework token (else 401, logged
// and counted); an activity id is acted on once (a replay gets a message, nothing else); card
// actions (adaptiveCard/action invokes) go to the ReviewHandler.
#pragma once

#include <absl/base/thread_annotations.h>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <absl/status/statusor.h>

#include "msapi/bot_auth.h"
#include "plugin/review_handler.h"

namespace tmsteams::daemon {

class GuardedHttpServer;

struct ReviewServerSettings {
    std::string listen;
    std::string tlsCert;
    std::string tlsKey;
    std::string tenantId;  // activities from other tenants are refused
};

class ReviewServer {
public:
    // The answer to one POSTed activity: HTTP status and JSON body.
    struct Answer {
        int status = 200;
        std::string body;
    };

    static absl::StatusOr<std::unique_ptr<ReviewServer>> start(const ReviewServerSettings& settings,
                                                               msapi::BotAuthenticator& auth, plugin::ReviewHandler& reviews,
                                                               common::Clock& clock);
    ~ReviewServer();

    const std::string& address() const { return address_; }
    // One activity, as the endpoint handles it (public for tests).
    Answer handleActivity(const std::string& authorization, const std::string& body);

private:
    ReviewServer(msapi::BotAuthenticator& auth, plugin::ReviewHandler& reviews, common::Clock& clock, std::string tenantId);
    // True the first time an activity id is seen (within an hour).
    bool firstTime(const std::string& activityId);

    msapi::BotAuthenticator& auth_;
    plugin::ReviewHandler& reviews_;
    common::Clock& clock_;
    std::string tenantId_;
    std::string address_;
    std::mutex seenMu_;  // guards seen_
    std::map<std::string, std::chrono::steady_clock::time_point> seen_ ABSL_GUARDED_BY(seenMu_);
    std::unique_ptr<GuardedHttpServer> server_;  // last: destroyed (and its handlers finished) first
};

}  // namespace tmsteams::daemon

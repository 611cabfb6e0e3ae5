// Reviews from Teams: what the bot answers when someone presses Approve or Deny on a card, or
// when Teams asks for a viewer's own version of a card (refresh). The Teams user is mapped to a
// Teleport user (trait, or email = user name when allowed); the review goes to Teleport as that
// user, so Teleport applies that user's own permissions.
#pragma once

#include <absl/base/thread_annotations.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "plugin/request_handler.h"
#include "teleport/auth_client.h"

namespace tmsteams::plugin {

struct ReviewSettings {
    std::string userIdTrait = "msteams_uid";
    bool allowEmailUsernameMatch = false;
    std::string pluginUser;  // recorded as SubmittedBy
};

// An Action.Execute from a card, as the Bot Framework delivered it (already authenticated).
struct CardAction {
    std::string verb;       // approve, deny, refreshCard
    std::string requestId;  // from the action's data
    std::string reason;     // the card's reason box
    std::string aadObjectId;  // from.aadObjectId
};

// The invoke response body ({statusCode, type, value}).
struct InvokeReply {
    std::string body;
    bool submitted = false;  // a review went to Teleport
};

class ReviewHandler {
public:
    // `emailOf(aadObjectId)` looks the user's email up (Graph); used only with
    // allowEmailUsernameMatch.
    using EmailLookup = std::function<absl::StatusOr<std::string>(const std::string&)>;

    ReviewHandler(teleport::AuthClient& auth, const RequestHandler& cards, common::Clock& clock,
                  ReviewSettings settings, EmailLookup emailOf);

    InvokeReply handle(const CardAction& action);

private:
    // The Teleport user behind a Teams user; NotFound when there is no unique match. Answers are
    // kept a minute: Teams refreshes a card for every viewer, and a lookup lists users.
    absl::StatusOr<std::string> teleportUser(const std::string& aadObjectId);
    absl::StatusOr<std::string> lookUp(const std::string& aadObjectId);
    std::string cardReply(const types::AccessRequestV3& request, bool withButtons) const;

    teleport::AuthClient& auth_;
    const RequestHandler& cards_;
    common::Clock& clock_;
    ReviewSettings settings_;
    EmailLookup emailOf_;
    struct Known {
        absl::StatusOr<std::string> user;
        std::chrono::steady_clock::time_point at;
    };
    std::atomic<bool> toldOnBehalfUnsupported_{false};  // the fix is logged once, not per click
    std::mutex knownMu_;  // guards known_
    std::map<std::string, Known> known_ ABSL_GUARDED_BY(knownMu_);
};

// Invoke response bodies.
std::string invokeCardReply(const std::string& cardJson);
std::string invokeMessageReply(const std::string& text);

}  // namespace tmsteams::plugin

// What Teleport can tell about a request beyond the request itself: the requested resources'
// names and labels (ListResources), the logins each requested role grants (GetRole) and the
// requester's traits (GetUser). Answers are cached for a few minutes; when the plugin may not
// read something, the card shows ids as before and one warning says how to allow it.
#pragma once

#include <absl/base/thread_annotations.h>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "routing/request_env.h"
#include "teams/card.h"
#include "teleport/auth_client.h"

namespace tmsteams::plugin {

class RequestDetails {
public:
    RequestDetails(teleport::AuthClient& auth, common::Clock& clock);

    struct Resource {
        std::string kind;
        std::string name;                 // metadata name (a node's UUID)
        std::string display;              // "node web-1"; empty when unknown
        routing::ResourceLabels labels;
        bool found = false;
    };
    // The request's resources, in order. An error only when Teleport could not be asked
    // (not when the plugin may not look: then they are simply not found).
    absl::StatusOr<std::vector<Resource>> resources(const types::AccessRequestV3& request);
    // The requester's traits; empty when the user is unknown or the plugin may not read users.
    absl::StatusOr<teleport::UserTraits> traits(const std::string& user);

    // Card facts with names instead of ids ("/cluster/node/UUID" → "node web-1") and each
    // role's logins, from the cache, asking Teleport for what it lacks.
    void annotate(teams::CardData& facts);

    // Fills the cache for a request ahead of its card (the Teleport lane does this).
    void prefetch(const types::AccessRequestV3& request);

private:
    enum class Source { Resources, Roles, Users };
    template <class T>
    struct Cached {
        T value;
        std::chrono::steady_clock::time_point until;
    };

    bool refused(Source s);
    void noteRefusal(Source s, const absl::Status& status);
    std::optional<Resource> lookup(const std::string& kind, const std::string& name, bool& failed);
    std::vector<std::string> loginsOf(const std::string& role);

    teleport::AuthClient& auth_;
    common::Clock& clock_;
    std::mutex mu_;  // guards the caches and refusals; never held across a call to Teleport
    std::map<std::string, Cached<Resource>> resources_ ABSL_GUARDED_BY(mu_);  // by "kind/name"
    std::map<std::string, Cached<std::vector<std::string>>> logins_ ABSL_GUARDED_BY(mu_);  // by role
    std::map<Source, std::chrono::steady_clock::time_point> refusedUntil_ ABSL_GUARDED_BY(mu_);
    std::map<Source, bool> warned_ ABSL_GUARDED_BY(mu_);
};

// Teleport's ListResources type for a requested resource's kind ("" for kinds not looked up).
std::string listTypeFor(const std::string& kind);

}  // namespace tmsteams::plugin

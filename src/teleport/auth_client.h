// What the plugin needs from Teleport's Auth Service. Errors use absl codes: kAborted when a
// plugin-data compare-and-swap found other values, kPermissionDenied for RBAC refusals,
// kUnavailable for outages.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "access_monitoring_rules.pb.h"
#include "authservice.pb.h"
#include "types.pb.h"

namespace tmsteams::teleport {

inline constexpr const char* KindAccessMonitoringRule = "access_monitoring_rule";

using PluginDataMap = std::map<std::string, std::string>;
using UserTraits = std::map<std::string, std::vector<std::string>>;
using AccessMonitoringRule = ::teleport::accessmonitoringrules::v1::AccessMonitoringRule;

// A server stream of watch events.
class WatchStream {
public:
    virtual ~WatchStream() = default;
    // Blocks for the next event; false when the stream ended (see finish()).
    virtual bool next(proto::Event& event) = 0;
    // Ends the stream from another thread.
    virtual void cancel() = 0;
    // Why the stream ended.
    virtual absl::Status finish() = 0;
};

class AuthClient {
public:
    virtual ~AuthClient() = default;

    virtual absl::StatusOr<proto::PingResponse> ping() = 0;
    // Access requests and, with `withRules`, access monitoring rules too. Rules are asked for
    // with partial success allowed: a role that may not read them still watches requests, and
    // the INIT event's WatchStatus lists the kinds Teleport accepted.
    virtual std::unique_ptr<WatchStream> watchAccessRequests(bool withRules) = 0;
    // This plugin's entry on one request; nullopt when there is none.
    virtual absl::StatusOr<std::optional<PluginDataMap>> getPluginData(const std::string& requestId) = 0;
    // Every request that carries an entry of this plugin.
    virtual absl::StatusOr<std::map<std::string, PluginDataMap>> listPluginData() = 0;
    // Conditional write: `set` "" deletes a key; non-empty `expect` must match (else kAborted).
    virtual absl::Status updatePluginData(const std::string& requestId, const PluginDataMap& set,
                                          const PluginDataMap& expect) = 0;
    // All access requests (ListAccessRequests, or GetAccessRequestsV2 on older clusters).
    virtual absl::StatusOr<std::vector<types::AccessRequestV3>> listAccessRequests() = 0;
    virtual absl::StatusOr<std::optional<types::AccessRequestV3>> getAccessRequest(const std::string& id) = 0;

    // For reviews from Teams ([review]); the plugin's role needs user read and
    // review_requests.submit_for_users.
    // Names of the users whose trait `trait` holds `value` (UsersService.ListUsers, matched here).
    virtual absl::StatusOr<std::vector<std::string>> usersWithTrait(const std::string& trait,
                                                                    const std::string& value) = 0;
    // A user's traits (UsersService.GetUser); nullopt when there is no such user.
    virtual absl::StatusOr<std::optional<UserTraits>> getUser(const std::string& name) = 0;
    // Submits a review authored by `submission.review().author()`; Teleport checks that user's
    // own permission to review. Returns the request as it is afterwards.
    virtual absl::StatusOr<types::AccessRequestV3> submitReview(const types::AccessReviewSubmission& submission) = 0;

    // Access monitoring rules whose subjects include access_request and whose notification
    // names this plugin (ListAccessMonitoringRulesWithFilter, every page); needs
    // access_monitoring_rule list and read.
    virtual absl::StatusOr<std::vector<AccessMonitoringRule>> listAccessMonitoringRules() = 0;
    // Resources of one ListResources type ("node", "app_server", "db_server", "kube_cluster")
    // by metadata name; names the caller may not see are simply absent.
    virtual absl::StatusOr<std::vector<proto::PaginatedResource>> listResourcesByName(
        const std::string& type, const std::vector<std::string>& names) = 0;
    // A role (GetRole); nullopt when there is none.
    virtual absl::StatusOr<std::optional<types::RoleV6>> getRole(const std::string& name) = 0;
};

}  // namespace tmsteams::teleport

// What a routing rule's condition can see of a new access request: the variables of Teleport's
// access monitoring rule expressions (lib/accessmonitoring), filled from the request, the
// requester's traits and the requested resources' labels.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "types.pb.h"

namespace tmsteams::routing {

using StringSet = std::set<std::string>;
using Dict = std::map<std::string, StringSet>;
using TimePoint = std::chrono::system_clock::time_point;

struct RequestEnv {
    StringSet roles;                 // access_request.spec.roles
    StringSet suggestedReviewers;    // access_request.spec.suggested_reviewers
    Dict systemAnnotations;          // access_request.spec.system_annotations
    std::string user;                // access_request.spec.user
    std::string requestReason;       // access_request.spec.request_reason
    TimePoint creationTime{};        // access_request.spec.creation_time
    TimePoint expiry{};              // access_request.spec.expiry
    Dict resourceLabelsUnion;        // access_request.spec.resource_labels_union
    Dict resourceLabelsIntersection; // access_request.spec.resource_labels_intersection
    Dict userTraits;                 // user.traits
};

// The labels of one requested resource, as Teleport lists it.
using ResourceLabels = std::map<std::string, std::string>;

// The environment for `request`, with the requester's traits and the labels of each requested
// resource that could be read: the union maps every key to all of its values, the intersection
// keeps the keys every resource has with one same value.
RequestEnv envFor(const types::AccessRequestV3& request, const std::map<std::string, std::vector<std::string>>& traits,
                  const std::vector<ResourceLabels>& resources);

}  // namespace tmsteams::routing

// Filling a rule's environment from a request, as Teleport's access-request expression
// environment does.
#include "routing/request_env.h"

#include "teleport/proto_time.h"

namespace tmsteams::routing {

RequestEnv envFor(const types::AccessRequestV3& request, const std::map<std::string, std::vector<std::string>>& traits,
                  const std::vector<ResourceLabels>& resources) {
    RequestEnv env;
    const auto& spec = request.spec();
    env.roles.insert(spec.roles().begin(), spec.roles().end());
    env.suggestedReviewers.insert(spec.suggestedreviewers().begin(), spec.suggestedreviewers().end());
    for (const auto& [key, values] : spec.systemannotations().values()) {
        env.systemAnnotations[key].insert(values.values().begin(), values.values().end());
    }
    env.user = spec.user();
    env.requestReason = spec.requestreason();
    env.creationTime = teleport::fromProtoTime(spec.created()).value_or(TimePoint{});
    // Teleport's AccessRequestV3.Expiry(): the resource expiry when set, else the request's own.
    auto expiry = spec.has_resourceexpiry() ? teleport::fromProtoTime(spec.resourceexpiry()) : std::nullopt;
    env.expiry = expiry.value_or(teleport::fromProtoTime(request.metadata().expires()).value_or(TimePoint{}));
    for (const auto& [key, values] : traits) {
        env.userTraits[key].insert(values.begin(), values.end());
    }
    for (const auto& labels : resources) {
        for (const auto& [k, v] : labels) {
            env.resourceLabelsUnion[k].insert(v);
        }
    }
    if (!resources.empty()) {
        for (const auto& [k, v] : resources.front()) {
            bool everywhere = true;
            for (size_t i = 1; i < resources.size() && everywhere; ++i) {
                auto it = resources[i].find(k);
                everywhere = it != resources[i].end() && it->second == v;
            }
            if (everywhere) {
                env.resourceLabelsIntersection[k] = {v};
            }
        }
    }
    return env;
}

}  // namespace tmsteams::routing

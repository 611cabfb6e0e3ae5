// Which requests a catch-up must look at again.
#include "plugin/catch_up.h"

#include "teleport/proto_time.h"

namespace tmsteams::plugin {

namespace {

const char* recordedResolution(types::RequestState s) {
    switch (s) {
    case types::APPROVED: return "APPROVED";
    case types::DENIED: return "DENIED";
    case types::PROMOTED: return "PROMOTED";
    default: return nullptr;
    }
}

bool cardsComplete(const PluginData& d) {
    // Data the Go plugin wrote has no recipient list: its cards exist, and are never re-posted.
    return !d.hasRecipients || missingRecipients(d).empty();
}

// notify_requester: an outcome recorded that the requester was not told yet.
bool requesterOwed(const PluginData& d) {
    return !d.requester.empty() && !d.resolution.empty() && d.requesterNotified != d.resolution;
}

}  // namespace

bool liveNeedsAttention(const types::AccessRequestV3& request, const PluginData* data,
                        std::chrono::system_clock::time_point now, std::chrono::milliseconds resolvedCatchUpWindow) {
    const auto state = request.spec().state();
    if (!data) {
        if (state == types::PENDING) {
            return true;  // never announced
        }
        if (!recordedResolution(state)) {
            return false;  // an unknown state: the handler only logs it
        }
        auto created = teleport::fromProtoTime(request.spec().created());
        return created && now - *created < resolvedCatchUpWindow;
    }
    if (!data->claim.empty() || !data->updating.empty() || !cardsComplete(*data) || requesterOwed(*data)) {
        return true;  // work cut short, or a claim to look at once its lease ends
    }
    if (state == types::PENDING) {
        return !data->resolution.empty() || data->reviewsCount < request.spec().reviews_size();
    }
    const char* resolution = recordedResolution(state);
    return resolution && data->resolution != resolution;
}

bool goneNeedsAttention(const PluginData& d) {
    return d.resolution.empty() || !d.updating.empty() || !cardsComplete(d) || requesterOwed(d);
}

}  // namespace tmsteams::plugin

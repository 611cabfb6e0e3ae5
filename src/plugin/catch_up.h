// Which requests a catch-up (at start, after a reconnect, when Microsoft is reached) must
// look at again, decided from what the two list calls already returned: a reconnect with N
// handled requests costs no call per request.
#pragma once

#include <chrono>

#include "plugin/plugin_data.h"
#include "teleport/auth_client.h"

namespace tmsteams::plugin {

// A live request needs handling unless its plugin data shows it fully handled for its
// current state: no claim or card update in progress, every card posted, the reviews and
// the outcome recorded, and the requester told the outcome (notify_requester). `data` is null when it has none; a resolved request without data
// needs handling only while it is recent enough to get final-state cards.
bool liveNeedsAttention(const types::AccessRequestV3& request, const PluginData* data,
                        std::chrono::system_clock::time_point now, std::chrono::milliseconds resolvedCatchUpWindow);

// A request that no longer exists needs handling when it was not marked resolved, its cards'
// update was cut short, or some of its cards were never posted.
bool goneNeedsAttention(const PluginData& data);

}  // namespace tmsteams::plugin

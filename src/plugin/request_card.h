// The one place a request becomes a card: a live request from Teleport and a gone one (expired
// or deleted) from what its plugin data remembers go through the same view and mapping, so
// both render alike.
#pragma once

#include <string>

#include "plugin/plugin_data.h"
#include "teams/card.h"
#include "teleport/auth_client.h"

namespace tmsteams::plugin {

struct CardContext {
    std::string clusterName;
    std::string webProxyAddr;  // empty when the cluster has no web UI link
    bool reviewFromTeams = false;
};

// What is known of a request, from either source.
struct RequestView {
    std::string id;
    bool live = false;         // the request still exists in Teleport
    bool longTerm = false;     // granted by promotion to an access list, in the web UI
    std::string resolution;    // "", APPROVED, DENIED, PROMOTED, EXPIRED
    teams::CardData facts;     // everything but cluster, status, link and buttons
};

RequestView viewOf(const types::AccessRequestV3& request);
// A request Teleport no longer has: its state is the recorded resolution, else EXPIRED.
RequestView viewOf(const std::string& id, const PluginData& remembered);

teams::CardData cardFor(const RequestView& view, const CardContext& context);

// What plugin data remembers of a request when it is first claimed (shared with the Go plugin).
PluginData rememberRequest(const types::AccessRequestV3& request);
// The resolution recorded for a state ("" for PENDING and unknown states).
const char* resolutionFor(types::RequestState state);

// Teleport's resource id as the web UI and tsh show it: /cluster/kind/name[/sub].
std::string resourceName(const types::ResourceID& id);
// The web UI link for a request, from the proxy's public address.
std::string requestUrl(const std::string& proxyAddr, const std::string& requestId);

}  // namespace tmsteams::plugin

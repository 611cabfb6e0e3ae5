// Bot Framework Connector v3: send and update activities in a conversation.
#pragma once

#include <string>

#include <absl/status/statusor.h>

#include "msapi/api_caller.h"
#include "msapi/bot_pacer.h"
#include "msapi/graph_client.h"

namespace tmsteams::msapi {

class BotClient {
public:
    // `baseUrl` is the service URL with the region, e.g. https://smba.trafficmanager.net/emea.
    // With a pacer, every call waits for a slot under Teams' rate limits.
    BotClient(ApiCaller& caller, std::string baseUrl, BotPacer* pacer = nullptr);

    // Posts an activity (JSON); returns its id.
    absl::StatusOr<std::string> postActivity(const std::string& conversationId, const std::string& activityJson,
                                             const CallContext& ctx);
    absl::Status updateActivity(const std::string& conversationId, const std::string& activityId,
                                const std::string& activityJson, const CallContext& ctx);

private:
    ApiCaller& caller_;
    std::string base_;
    BotPacer* pacer_;
};

}  // namespace tmsteams::msapi

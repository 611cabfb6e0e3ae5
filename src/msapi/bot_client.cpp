// Bot Framework Connector v3.
#include "msapi/bot_client.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

namespace tmsteams::msapi {

BotClient::BotClient(ApiCaller& caller, std::string baseUrl, BotPacer* pacer)
    : caller_(caller), base_(std::move(baseUrl)), pacer_(pacer) {}

absl::StatusOr<std::string> BotClient::postActivity(const std::string& conversationId,
                                                    const std::string& activityJson, const CallContext& ctx) {
    // Conversation ids go in raw (19:...@thread.tacv2), as Microsoft's own clients send them.
    ApiCall c{"post the card", "POST", base_ + "/v3/conversations/" + conversationId + "/activities",
              activityJson, "application/json", {200, 201, 202}, ctx.deadline, {}};
    if (pacer_) {
        c.pace = [this, conversationId, deadline = ctx.deadline](std::stop_token st) {
            return pacer_->acquire(conversationId, deadline, st);
        };
    }
    auto resp = caller_.call(c, ctx.stop);
    if (!resp.ok()) {
        return resp.status();
    }
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(resp->body).extract<Poco::JSON::Object::Ptr>();
        std::string id = o->optValue<std::string>("id", "");
        if (!id.empty()) {
            return id;
        }
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    return absl::InternalError("post the card: the Bot Framework answered HTTP " + std::to_string(resp->status) +
                               " without an activity id");
}

absl::Status BotClient::updateActivity(const std::string& conversationId, const std::string& activityId,
                                       const std::string& activityJson, const CallContext& ctx) {
    ApiCall c{"update the card", "PUT", base_ + "/v3/conversations/" + conversationId + "/activities/" + activityId,
              activityJson, "application/json", {200, 201, 202}, ctx.deadline, {}};
    if (pacer_) {
        c.pace = [this, conversationId, deadline = ctx.deadline](std::stop_token st) {
            return pacer_->acquire(conversationId, deadline, st);
        };
    }
    return caller_.call(c, ctx.stop).status();
}

}  // namespace tmsteams::msapi

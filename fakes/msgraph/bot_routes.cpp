// Bot Framework Connector v3 as Teams serves it: send and update activities.
#include <cmath>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "card_validator.h"
#include "routes.h"
#include "common/utf8.h"

namespace tmsteams::fakegraph {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// Teams refuses a message whose size, counted in UTF-16 (two bytes a code unit), passes its limit
// (Microsoft, "Format your bot messages"; 40 KB in an older version of the page, 100 KB now):
// the fake holds the smaller.
constexpr size_t MaxActivityUtf16Bytes = 40 * 1024;

std::optional<TokenInfo> authenticateBot(Exchange& ex, FakeState& state) {
    auto tok = state.token(ex.bearerToken());
    if (!tok || tok->audience != Audience::Bot || tok->revoked ||
        tok->expiresAt <= std::chrono::system_clock::now()) {
        // The connector answers a bare message, not the error envelope.
        auto o = newObject();
        o->set("message", "Authorization has been denied for this request.");
        ex.json(401, o);
        return std::nullopt;
    }
    return tok;
}

// Resolves the conversation and checks the bot is in its roster. Writes 404/403 on failure.
bool checkConversation(Exchange& ex, FakeState& state, const std::string& convId,
                       const std::string& botId) {
    const Directory& dir = state.directory();
    if (auto ch = dir.channel(convId)) {
        if (!state.botInstalled(ch->first->id, botId)) {
            botError(ex, 403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.");
            return false;
        }
        state.conversation(convId, "channel", ch->first->displayName + " / " + ch->second->name,
                           ch->first->id);
        return true;
    }
    // Personal chats: 19:{userId}_{botId}@unq.gbl.spaces, as the chat route hands them out.
    const std::string prefix = "19:";
    const std::string suffix = "@unq.gbl.spaces";
    if (convId.rfind(prefix, 0) == 0 && convId.size() > prefix.size() + suffix.size() &&
        convId.compare(convId.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string inner = convId.substr(prefix.size(), convId.size() - prefix.size() - suffix.size());
        auto sep = inner.find('_');
        if (sep != std::string::npos) {
            std::string userId = inner.substr(0, sep);
            std::string chatBot = inner.substr(sep + 1);
            const DirectoryUser* u = dir.userById(userId);
            if (u) {
                if (chatBot != botId || !state.botInstalled(userId, botId)) {
                    botError(ex, 403, "BotNotInConversationRoster",
                             "The bot is not part of the conversation roster.");
                    return false;
                }
                state.conversation(convId, "personal",
                                   u->displayName.empty() ? u->userPrincipalName : u->displayName, u->id);
                return true;
            }
        }
    }
    if (convId.empty() || convId.find(':') == std::string::npos) {
        botError(ex, 400, "BadSyntax", "Bad format of conversation ID");
        return false;
    }
    botError(ex, 404, "ConversationNotFound", "Conversation not found.");
    return false;
}

// Parses and checks the activity; writes 400/413 on failure.
bool checkActivity(Exchange& ex) {
    if (const size_t size = 2 * common::utf16Length(ex.body); size > MaxActivityUtf16Bytes) {
        botError(ex, 413, "MessageSizeTooBig", "Message size too big. The activity is " + std::to_string(size) +
                                                  " bytes in UTF-16; the limit is " +
                                                  std::to_string(MaxActivityUtf16Bytes) + ".");
        return false;
    }
    Object::Ptr activity;
    try {
        Poco::JSON::Parser parser;
        activity = parser.parse(ex.body).extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        botError(ex, 400, "BadSyntax", "The activity is not valid JSON: " + e.displayText());
        return false;
    } catch (const std::exception&) {
        botError(ex, 400, "BadSyntax", "The activity is not a JSON object.");
        return false;
    }
    if (activity->optValue<std::string>("type", "") != "message") {
        botError(ex, 400, "BadArgument", "Activity type must be 'message'.");
        return false;
    }
    auto attachments = activity->getArray("attachments");
    bool hasText = !activity->optValue<std::string>("text", "").empty();
    if ((!attachments || attachments->size() == 0) && !hasText) {
        botError(ex, 400, "BadArgument", "The activity has neither text nor attachments.");
        return false;
    }
    for (size_t i = 0; attachments && i < attachments->size(); ++i) {
        auto a = attachments->getObject(static_cast<unsigned>(i));
        if (!a) {
            botError(ex, 400, "BadArgument", "attachments[" + std::to_string(i) + "] is not an object.");
            return false;
        }
        std::string type = a->optValue<std::string>("contentType", "");
        if (type == "application/vnd.microsoft.card.adaptive") {
            if (auto err = validateAdaptiveCard(a->getObject("content"))) {
                botError(ex, 400, "BadArgument",
                         "attachments[" + std::to_string(i) + "]: invalid Adaptive Card: " + *err);
                return false;
            }
        } else if (type.empty()) {
            botError(ex, 400, "BadArgument", "Unknown attachment type");
            return false;
        }
    }
    return true;
}

}  // namespace

void handleBot(Exchange& ex, FakeState& state) {
    // [region, v3, conversations, id, activities, activityId?]; a trailing slash is allowed.
    std::vector<std::string> s = ex.segments;
    if (!s.empty() && s.back().empty()) {
        s.pop_back();
    }
    bool isPost = ex.method == "POST" && s.size() == 5 && lower(s[4]) == "activities";
    bool isPut = ex.method == "PUT" && s.size() == 6 && lower(s[4]) == "activities";
    if (!isPost && !isPut) {
        botError(ex, 405, "MethodNotAllowed", "The requested resource does not support this method.");
        return;
    }
    auto tok = authenticateBot(ex, state);
    if (!tok) {
        return;
    }
    const std::string& convId = s[3];
    if (auto wait = state.admitBotCall(tok->appId, convId, ex.received); wait.count() > 0) {
        long secs = static_cast<long>(std::ceil(static_cast<double>(wait.count()) / 1000.0));
        ex.responseHeaders.emplace_back("Retry-After", std::to_string(std::max(1L, secs)));
        botError(ex, 429, "TooManyRequests", "Too many requests. Retry after the given delay.");
        return;
    }
    if (!checkConversation(ex, state, convId, tok->appId) || !checkActivity(ex)) {
        return;
    }
    auto o = newObject();
    if (isPost) {
        o->set("id", state.addActivity(convId, ex.body, ex.answeredMs));
        ex.json(201, o);
        return;
    }
    if (!state.updateActivity(convId, s[5], ex.body, ex.answeredMs)) {
        botError(ex, 404, "ActivityNotFound", "The activity " + s[5] + " was not found in this conversation.");
        return;
    }
    o->set("id", s[5]);
    ex.json(200, o);
}

}  // namespace tmsteams::fakegraph

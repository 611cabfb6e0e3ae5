// A configured recipient: a user's email, an Entra ID user id, or a Teams channel URL.
#pragma once

#include <optional>
#include <string>

namespace tmsteams::teams {

struct ChannelRef {
    std::string conversationId;  // 19:...@thread.tacv2
    std::string name;
    std::string groupId;  // the team (and its M365 group) id
    std::string tenantId;
};

struct Recipient {
    enum class Kind { Email, UserId, Channel };
    Kind kind;
    std::string raw;  // as written in the config; also the key stored in plugin data
    ChannelRef channel;  // for Kind::Channel
};

// Classifies a recipient string. A channel is a URL whose query has groupId and tenantId and
// whose path is /l/channel/<conversation>/<name>; an email is local@domain; anything else is
// taken as a user id.
Recipient parseRecipient(const std::string& raw);

bool looksLikeEmail(const std::string& s);

}  // namespace tmsteams::teams

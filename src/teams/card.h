// The Adaptive Card for an access request: data in, JSON out, no I/O. User-controlled text is
// escaped so it cannot inject markdown, and long values are cut so the message stays within
// Teams' size limit.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tmsteams::teams {

using TimePoint = std::chrono::system_clock::time_point;

enum class CardStatus { Pending, Approved, Denied, Promoted, Expired };

struct CardReview {
    std::string author;
    std::string verdict;  // APPROVED, DENIED, PROMOTED
    std::string reason;
    std::optional<TimePoint> created;
};

struct CardData {
    std::string requestId;
    std::string cluster;
    std::string user;
    std::vector<std::string> roles;
    std::vector<std::string> resources;  // "/cluster/kind/name", or "node web-1" once looked up
    // The logins each requested role grants, when the plugin may read roles.
    std::vector<std::pair<std::string, std::vector<std::string>>> roleLogins;
    std::string reason;
    CardStatus status = CardStatus::Pending;
    std::string resolveReason;
    std::string accessList;  // PROMOTED: the access list's title or name
    std::vector<CardReview> reviews;
    std::vector<std::string> suggestedReviewers;
    std::optional<TimePoint> requestExpires;  // when a pending request lapses
    std::optional<TimePoint> accessExpires;   // when granted access would end
    std::optional<TimePoint> maxDuration;     // the latest access could be extended to
    int approvals = 0;
    int approvalsNeeded = 0;  // 0 = unknown
    std::string webUrl;       // "Open" button target; empty without a web proxy
    // Reviews from Teams ([review]): `refresh` asks Teams to fetch each viewer's own card
    // (Universal Actions); `reviewButtons` adds a reason box with Approve and Deny.
    bool refresh = false;
    bool reviewButtons = false;
};

// Action.Execute verbs the bot endpoint answers.
inline constexpr const char* VerbApprove = "approve";
inline constexpr const char* VerbDeny = "deny";
inline constexpr const char* VerbRefresh = "refreshCard";
// The id of the card's reason box; its value comes back in the action's data.
inline constexpr const char* ReasonInputId = "reason";

// The card as a JSON object (Adaptive Card 1.4).
std::string buildCard(const CardData& data);
// The Bot Framework activity carrying the card.
std::string buildActivity(const CardData& data);

// A short message about a request (a reminder, the outcome for the requester): a title, a line
// of text and facts; all of it treated as user text.
struct Notice {
    std::string summary;  // the notification preview
    std::string title;
    std::string text;
    std::vector<std::pair<std::string, std::string>> facts;
    std::string webUrl;
};
std::string buildNoticeActivity(const Notice& notice);

// Keeps user text from forming markdown (links, images, mentions, HTML, headings, lists, quotes,
// emphasis, code) without backslashes, which some Teams clients show literally: sequences that
// would form markup are split by an invisible ZERO WIDTH SPACE, and "*" and "`", which no
// invisible character can disarm, become look-alikes (U+2217, U+02CB). Ordinary text such as
// "db_admin" or "INC-4211 (prod)" is left as it is.
std::string escapeMarkdown(const std::string& text);
// Cuts UTF-8 text to at most `maxBytes` bytes on a character boundary, adding "…" when cut.
std::string truncateUtf8(const std::string& text, size_t maxBytes);

const char* statusWord(CardStatus s);

// Teams measures a message in UTF-16 (Microsoft, "Format your bot messages"): its size is the
// number of UTF-16 code units times two. Microsoft has published 40 KB and, later, 100 KB as the
// limit; we stay under the smaller with room to spare, counted that way.
inline constexpr size_t MaxActivityUtf16Bytes = 36 * 1024;
// The size of an activity as Teams counts it.
size_t teamsMessageSize(const std::string& activityJson);

}  // namespace tmsteams::teams

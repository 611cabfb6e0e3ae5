// The Adaptive Card for an access request.
#include "teams/card.h"

#include <cstring>

#include "common/time_format.h"
#include "common/utf8.h"

#include <ctime>
#include <sstream>
#include <tuple>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace tmsteams::teams {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

// Valid UTF-8 only, without control characters (except newline and tab) or bidi overrides.
std::string clean(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto ch = common::decodeUtf8(s, i);
        const size_t n = ch.length;
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD for an invalid byte
            ++i;
            continue;
        }
        const uint32_t cp = ch.codepoint;
        bool drop = (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) ||
                    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
                    (cp >= 0xD800 && cp <= 0xDFFF);
        if (!drop) {
            out.append(s, i, n);
        }
        i += n;
    }
    return out;
}

std::string formatTime(TimePoint t) { return common::formatUtcWith(t, "%Y-%m-%d %H:%M UTC"); }

const char* statusEmoji(CardStatus s) {
    switch (s) {
    case CardStatus::Pending: return "\xE2\x8F\xB3";       // ⏳
    case CardStatus::Approved: return "\xE2\x9C\x85";      // ✅
    case CardStatus::Denied: return "\xE2\x9D\x8C";        // ❌
    case CardStatus::Promoted: return "\xE2\x9C\xA8";      // ✨
    case CardStatus::Expired: return "\xE2\x8C\x9B";       // ⌛
    }
    return "";
}

const char* statusColor(CardStatus s) {
    switch (s) {
    case CardStatus::Approved:
    case CardStatus::Promoted: return "Good";
    case CardStatus::Denied: return "Attention";
    default: return "Accent";
    }
}

const char* verdictEmoji(const std::string& verdict) {
    if (verdict == "APPROVED") return "\xE2\x9C\x85";
    if (verdict == "DENIED") return "\xE2\x9D\x8C";
    if (verdict == "PROMOTED") return "\xE2\x9C\xA8";
    return "\xE2\x9D\x94";  // ❔
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : sep) + s;
    }
    return out;
}

Object::Ptr textBlock(const std::string& text) {
    auto t = obj();
    t->set("type", "TextBlock");
    t->set("text", text);
    t->set("wrap", true);
    return t;
}

struct Limits {
    size_t field;
    size_t reason;
    size_t reviewReason;
    size_t reviews;
    size_t listItems;
};

void addFact(Array::Ptr facts, const std::string& title, const std::string& value) {
    if (value.empty()) {
        return;
    }
    auto f = obj();
    f->set("title", title);
    f->set("value", value);
    facts->add(f);
}

// Escaped, cleaned and cut user text.
std::string user(const std::string& s, size_t limit) { return escapeMarkdown(truncateUtf8(clean(s), limit)); }

std::string userList(const std::vector<std::string>& items, const Limits& l) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < items.size() && i < l.listItems; ++i) {
        shown.push_back(user(items[i], l.field));
    }
    std::string out = join(shown, ", ");
    if (items.size() > l.listItems) {
        out += " and " + std::to_string(items.size() - l.listItems) + " more";
    }
    return out;
}

// The "Open" button to the web UI. The link comes from Teleport's answer: cleaned like user
// text so the JSON stays valid whatever it holds.
Object::Ptr openAction(const std::string& url) {
    auto open = obj();
    open->set("type", "Action.OpenUrl");
    open->set("title", "Open");
    open->set("url", clean(url));
    return open;
}

Object::Ptr cardObject(const CardData& d, const Limits& l) {
    Array::Ptr body = new Array;
    auto title = textBlock("Access Request " + user(d.requestId, l.field));
    title->set("size", "Small");
    title->set("isSubtle", true);
    body->add(title);

    auto emojiCol = obj();
    emojiCol->set("type", "Column");
    emojiCol->set("width", "auto");
    Array::Ptr emojiItems = new Array;
    auto emoji = textBlock(statusEmoji(d.status));
    emoji->set("size", "Large");
    emojiItems->add(emoji);
    emojiCol->set("items", emojiItems);
    auto wordCol = obj();
    wordCol->set("type", "Column");
    wordCol->set("width", "stretch");
    Array::Ptr wordItems = new Array;
    auto word = textBlock(statusWord(d.status));
    word->set("size", "Large");
    word->set("weight", "Bolder");
    word->set("color", statusColor(d.status));
    wordItems->add(word);
    wordCol->set("items", wordItems);
    Array::Ptr cols = new Array;
    cols->add(emojiCol);
    cols->add(wordCol);
    auto columnSet = obj();
    columnSet->set("type", "ColumnSet");
    columnSet->set("columns", cols);
    body->add(columnSet);

    Array::Ptr facts = new Array;
    addFact(facts, "Cluster", user(d.cluster, l.field));
    addFact(facts, "User", d.user.empty() ? "(unknown)" : user(d.user, l.field));
    addFact(facts, d.roles.size() == 1 ? "Role" : "Roles", userList(d.roles, l));
    addFact(facts, "Resources", userList(d.resources, l));
    std::vector<std::string> logins;  // "role: login, login" for each role that grants some
    for (const auto& [role, names] : d.roleLogins) {
        logins.push_back(role + ": " + join(names, ", "));
    }
    addFact(facts, "Logins", userList(logins, l));
    addFact(facts, "Reason", user(d.reason, l.reason));
    if (d.status == CardStatus::Pending) {
        addFact(facts, "Suggested reviewers", userList(d.suggestedReviewers, l));
        if (d.approvalsNeeded > 0) {
            addFact(facts, "Approvals", std::to_string(d.approvals) + " of " + std::to_string(d.approvalsNeeded));
        }
        if (d.requestExpires) {
            addFact(facts, "Request expires", formatTime(*d.requestExpires));
        }
    }
    if (d.accessExpires && d.status != CardStatus::Denied && d.status != CardStatus::Expired) {
        addFact(facts, "Access until", formatTime(*d.accessExpires));
    }
    if (d.maxDuration && d.status == CardStatus::Pending && (!d.accessExpires || *d.maxDuration != *d.accessExpires)) {
        addFact(facts, "Max duration until", formatTime(*d.maxDuration));
    }
    if (d.status == CardStatus::Promoted) {
        addFact(facts, "Access list", user(d.accessList.empty() ? "(unnamed)" : d.accessList, l.field));
    }
    addFact(facts, "Resolution reason", user(d.resolveReason, l.reason));
    if (d.status == CardStatus::Pending && d.webUrl.empty()) {
        const std::string id = escapeMarkdown(clean(d.requestId));
        addFact(facts, "Approve", "tsh request review --approve " + id);
        addFact(facts, "Deny", "tsh request review --deny " + id);
    }
    auto factSet = obj();
    factSet->set("type", "FactSet");
    factSet->set("facts", facts);
    body->add(factSet);

    if (!d.reviews.empty() && d.status != CardStatus::Expired) {
        auto heading = textBlock("Reviews");
        heading->set("weight", "Bolder");
        heading->set("color", "Accent");
        heading->set("separator", true);
        body->add(heading);
        size_t shown = 0;
        for (const auto& r : d.reviews) {
            if (shown++ == l.reviews) {
                body->add(textBlock("… and " + std::to_string(d.reviews.size() - l.reviews) + " more reviews"));
                break;
            }
            Array::Ptr rf = new Array;
            addFact(rf, "Status", std::string(verdictEmoji(r.verdict)) + " " + user(r.verdict, 32));
            addFact(rf, "Author", user(r.author.empty() ? "(unknown)" : r.author, l.field));
            if (r.created) {
                addFact(rf, "Created at", formatTime(*r.created));
            }
            addFact(rf, "Reason", user(r.reason, l.reviewReason));
            auto set = obj();
            set->set("type", "FactSet");
            set->set("separator", true);
            set->set("facts", rf);
            body->add(set);
        }
    }

    auto card = obj();
    card->set("type", "AdaptiveCard");
    // Universal Actions (refresh, Action.Execute) need 1.5; plain cards stay at 1.4 like the Go plugin's.
    const bool universal = d.refresh || d.reviewButtons;
    card->set("version", universal ? "1.5" : "1.4");
    card->set("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
    auto actionData = [&] {
        auto data = obj();
        data->set("requestId", clean(d.requestId));
        return data;
    };
    if (d.reviewButtons) {
        auto input = obj();
        input->set("type", "Input.Text");
        input->set("id", ReasonInputId);
        input->set("placeholder", "Reason (optional)");
        input->set("maxLength", 500);
        input->set("separator", true);
        body->add(input);
    }
    card->set("body", body);
    Array::Ptr actions = new Array;
    if (d.reviewButtons) {
        for (const auto& [verb, title, style] : {std::tuple{VerbApprove, "Approve", "positive"},
                                                 std::tuple{VerbDeny, "Deny", "destructive"}}) {
            auto a = obj();
            a->set("type", "Action.Execute");
            a->set("title", title);
            a->set("verb", verb);
            a->set("style", style);
            a->set("data", actionData());
            actions->add(a);
        }
    }
    if (!d.webUrl.empty()) {
        actions->add(openAction(d.webUrl));
    }
    if (actions->size() > 0) {
        card->set("actions", actions);
    }
    if (d.refresh) {
        // No userIds: Teams refreshes for every viewer in conversations of up to 60 people,
        // and the bot answers each with the card for that person.
        auto action = obj();
        action->set("type", "Action.Execute");
        action->set("verb", VerbRefresh);
        action->set("data", actionData());
        auto refresh = obj();
        refresh->set("action", action);
        card->set("refresh", refresh);
    }
    auto msteams = obj();
    msteams->set("width", "Full");
    card->set("msteams", msteams);
    return card;
}

std::string stringify(const Object::Ptr& o) {
    std::ostringstream os;
    o->stringify(os);
    return os.str();
}

// A message activity carrying one card; `summary` is the preview in Teams' activity feed.
Object::Ptr messageWithCard(const Object::Ptr& card, const std::string& summary) {
    auto attachment = obj();
    attachment->set("contentType", "application/vnd.microsoft.card.adaptive");
    attachment->set("content", card);
    Array::Ptr attachments = new Array;
    attachments->add(attachment);
    auto activity = obj();
    activity->set("type", "message");
    activity->set("summary", summary);
    activity->set("attachments", attachments);
    return activity;
}

Object::Ptr activityObject(const CardData& d, const Object::Ptr& card) {
    return messageWithCard(card, "Access request " + truncateUtf8(clean(d.requestId), 64) + " " + statusWord(d.status));
}

}  // namespace

std::string buildNoticeActivity(const Notice& n) {
    Array::Ptr body = new Array;
    auto title = textBlock(user(n.title, 200));
    title->set("weight", "Bolder");
    title->set("size", "Medium");
    body->add(title);
    if (!n.text.empty()) {
        body->add(textBlock(user(n.text, 1000)));
    }
    Array::Ptr facts = new Array;
    for (const auto& [k, v] : n.facts) {
        addFact(facts, k, user(v, 500));
    }
    if (facts->size() > 0) {
        auto set = obj();
        set->set("type", "FactSet");
        set->set("facts", facts);
        body->add(set);
    }
    auto card = obj();
    card->set("type", "AdaptiveCard");
    card->set("version", "1.4");
    card->set("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
    card->set("body", body);
    if (!n.webUrl.empty()) {
        Array::Ptr actions = new Array;
        actions->add(openAction(n.webUrl));
        card->set("actions", actions);
    }
    return stringify(messageWithCard(card, truncateUtf8(clean(n.summary), 200)));
}

const char* statusWord(CardStatus s) {
    switch (s) {
    case CardStatus::Pending: return "PENDING";
    case CardStatus::Approved: return "APPROVED";
    case CardStatus::Denied: return "DENIED";
    case CardStatus::Promoted: return "PROMOTED";
    case CardStatus::Expired: return "EXPIRED";
    }
    return "PENDING";
}

size_t teamsMessageSize(const std::string& activityJson) { return 2 * common::utf16Length(activityJson); }

std::string truncateUtf8(const std::string& text, size_t maxBytes) {
    if (text.size() <= maxBytes) {
        return text;
    }
    const std::string ellipsis = "\xE2\x80\xA6";
    size_t cut = maxBytes > ellipsis.size() ? maxBytes - ellipsis.size() : 0;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return text.substr(0, cut) + ellipsis;
}

std::string buildCard(const CardData& data) {
    return stringify(cardObject(data, {200, 2000, 500, 30, 20}));
}

std::string buildActivity(const CardData& data) {
    Limits l{200, 2000, 500, 30, 20};
    for (int round = 0;; ++round) {
        std::string json = stringify(activityObject(data, cardObject(data, l)));
        if (teamsMessageSize(json) <= MaxActivityUtf16Bytes || round >= 6) {
            return json;
        }
        // Too big for Teams: shrink the free-text parts first, then the lists.
        l.reason = std::max<size_t>(l.reason / 2, 200);
        l.reviewReason = std::max<size_t>(l.reviewReason / 2, 64);
        l.field = std::max<size_t>(l.field / 2, 64);
        l.reviews = std::max<size_t>(l.reviews / 2, 3);
        l.listItems = std::max<size_t>(l.listItems / 2, 5);
    }
}

}  // namespace tmsteams::teams

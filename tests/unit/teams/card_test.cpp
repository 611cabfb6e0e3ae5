// The card: what it shows per state, escaping of user text, and the size limit.
#define BOOST_TEST_MODULE card
#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Parser.h>

#include "common/utf8.h"
#include "teams/card.h"
#include "teams/recipient.h"

using namespace tmsteams::teams;

namespace {
CardData sample() {
    CardData d;
    d.requestId = "0d5c4f3e-1111-4222-8333-944455556666";
    d.cluster = "prod";
    d.user = "carol";
    d.roles = {"editor"};
    d.reason = "deploy";
    d.webUrl = "https://teleport.example.com/web/requests/0d5c4f3e-1111-4222-8333-944455556666";
    return d;
}
Poco::JSON::Object::Ptr parse(const std::string& s) {
    Poco::JSON::Parser p;
    return p.parse(s).extract<Poco::JSON::Object::Ptr>();
}
}  // namespace

BOOST_AUTO_TEST_CASE(pending_card_has_status_facts_and_open_button) {
    auto card = parse(buildCard(sample()));
    BOOST_TEST(card->getValue<std::string>("type") == "AdaptiveCard");
    auto json = buildCard(sample());
    BOOST_TEST(json.find("\"PENDING\"") != std::string::npos);
    BOOST_TEST(json.find("Action.OpenUrl") != std::string::npos);
    BOOST_TEST(json.find("tsh request review") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_web_proxy_the_card_shows_tsh_commands) {
    auto d = sample();
    d.webUrl.clear();
    auto json = buildCard(d);
    BOOST_TEST(json.find("tsh request review --approve 0d5c4f3e") != std::string::npos);
    BOOST_TEST(json.find("Action.OpenUrl") == std::string::npos);
    d.status = CardStatus::Approved;
    BOOST_TEST(buildCard(d).find("tsh request review") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(each_state_has_its_word_and_colour) {
    auto d = sample();
    for (auto [s, word, color] : {std::tuple{CardStatus::Approved, "APPROVED", "Good"},
                                  std::tuple{CardStatus::Denied, "DENIED", "Attention"},
                                  std::tuple{CardStatus::Promoted, "PROMOTED", "Good"},
                                  std::tuple{CardStatus::Expired, "EXPIRED", "Accent"}}) {
        d.status = s;
        auto json = buildCard(d);
        BOOST_TEST(json.find(std::string("\"") + word + "\"") != std::string::npos, word);
        BOOST_TEST(json.find(std::string("\"color\":\"") + color + "\"") != std::string::npos, word);
    }
    d.status = CardStatus::Promoted;
    d.accessList = "db-admins";
    BOOST_TEST(buildCard(d).find("db-admins") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reviews_and_progress_are_listed) {
    auto d = sample();
    d.approvals = 1;
    d.approvalsNeeded = 2;
    d.reviews = {{"bob", "APPROVED", "lgtm", std::chrono::system_clock::from_time_t(1'700'000'000)}};
    auto json = buildCard(d);
    BOOST_TEST(json.find("1 of 2") != std::string::npos);
    BOOST_TEST(json.find("Reviews") != std::string::npos);
    BOOST_TEST(json.find("2023-11-14 22:13 UTC") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pending_card_shows_expiry_limits_resources_and_reviewers) {
    auto d = sample();
    d.requestExpires = std::chrono::system_clock::from_time_t(1'700'000'000);
    d.accessExpires = std::chrono::system_clock::from_time_t(1'700'003'600);
    d.maxDuration = std::chrono::system_clock::from_time_t(1'700'028'800);
    d.resources = {"/prod/node/db-1"};
    d.suggestedReviewers = {"bob@x.example"};
    auto json = buildCard(d);
    for (const char* text : {"Request expires", "Access until", "Max duration until", "/prod/node/db-1",
                             "Suggested reviewers", "bob@x.example"}) {
        BOOST_TEST(json.find(text) != std::string::npos, text);
    }
}

BOOST_AUTO_TEST_CASE(markdown_and_controls_in_user_text_are_neutralised) {
    const std::string zw = "\xE2\x80\x8B", star = "\xE2\x88\x97";
    // Ordinary text stays as typed: no backslashes anywhere (some Teams clients show them).
    for (const char* plain : {"db_admin", "Roll out INC-4211 (prod), 3.5% of hosts!", "a * b", "x > y"}) {
        BOOST_TEST(escapeMarkdown(plain) == plain);
    }
    BOOST_TEST(escapeMarkdown("Roll out the [hotfix](https://example.com) for INC-4211") ==
               "Roll out the [hotfix]" + zw + "(https://example.com) for INC-4211");
    BOOST_TEST(escapeMarkdown("**b** _i_") == zw + star + star + "b" + star + star + " " + zw + "_i_");
    BOOST_TEST(escapeMarkdown("- item\n1. one\n# title") == zw + "- item\n" + zw + "1. one\n" + zw + "# title");
    BOOST_TEST(escapeMarkdown("hi <at>bob</at> ![i](x)") == "hi <" + zw + "at>bob<" + zw + "/at> ![i]" + zw + "(x)");
    BOOST_TEST(escapeMarkdown("a\\*b") == "a\\" + zw + star + "b");
    BOOST_TEST(escapeMarkdown("x").find('\\') == std::string::npos);
    // Emphasis after typographic quotes or a no-break space is disarmed too; a URL's query and a
    // blank line between paragraphs are left alone.
    BOOST_TEST(escapeMarkdown("\xE2\x80\x9C_x_\xE2\x80\x9D") == "\xE2\x80\x9C" + zw + "_x_\xE2\x80\x9D");
    BOOST_TEST(escapeMarkdown("see https://x.example/?a=1&b=2") == "see https://x.example/?a=1&b=2");
    BOOST_TEST(escapeMarkdown("a &lt; b") == "a &" + zw + "lt; b");
    BOOST_TEST(escapeMarkdown("one\n   \ntwo") == "one\n   \ntwo");
    BOOST_TEST(escapeMarkdown("C:\\dir\\\nnext") == "C:\\dir\\" + zw + "\nnext");
    auto d = sample();
    d.reason = std::string("a\x01\x1b") + "[31mred\xE2\x80\xAE" "evil";
    auto json = buildCard(d);
    BOOST_TEST(json.find("\\u0001") == std::string::npos);
    BOOST_TEST(json.find("\\u001b") == std::string::npos);
    BOOST_TEST(json.find("\xE2\x80\xAE") == std::string::npos);
    // Invalid UTF-8 still yields valid JSON.
    d.reason = "bad \xFF\xFE bytes";
    BOOST_CHECK_NO_THROW(parse(buildCard(d)));
}

// Found by fuzzing: a 4-byte sequence past U+10FFFF passed as text and made the activity
// invalid JSON, which Teams would refuse.
BOOST_AUTO_TEST_CASE(invalid_utf8_in_any_field_still_gives_valid_json) {
    CardData d = sample();
    d.requestId = "req\xF6\x9E\x8A\x9B";
    d.reason = "over\xF4\x90\x80\x80long \xC0\xAF surrogate \xED\xA0\x80 cut \xE2\x82";
    d.roles = {"role\xFF"};
    d.webUrl = "https://teleport.example.com/web/\xB1";  // found by fuzzing too: the link was raw
    d.refresh = true;
    const std::string a = buildActivity(d);
    BOOST_CHECK_NO_THROW(parse(a));
    BOOST_TEST(a.find("\xF6") == std::string::npos);
    BOOST_TEST(a.find("over\xEF\xBF\xBD") != std::string::npos);  // shown as U+FFFD
}

BOOST_AUTO_TEST_CASE(huge_values_fit_teams_size_limit) {
    auto d = sample();
    d.reason = std::string(100 * 1024, 'r');
    for (int i = 0; i < 60; ++i) {
        d.reviews.push_back({"reviewer" + std::to_string(i), "APPROVED", std::string(5000, 'z'), std::nullopt});
        d.roles.push_back("role-" + std::string(300, 'q'));
    }
    auto activity = buildActivity(d);
    BOOST_TEST(teamsMessageSize(activity) <= MaxActivityUtf16Bytes);
    BOOST_CHECK_NO_THROW(parse(activity));
    BOOST_TEST(activity.find("more") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(truncation_respects_utf8) {
    std::string s = "\xE2\x8F\xB3\xE2\x8F\xB3\xE2\x8F\xB3";  // three 3-byte characters
    auto t = truncateUtf8(s, 7);
    BOOST_TEST(t == "\xE2\x8F\xB3\xE2\x80\xA6");
    BOOST_TEST(truncateUtf8("short", 10) == "short");
}

BOOST_AUTO_TEST_CASE(recipients_are_classified_like_the_go_plugin) {
    auto ch = parseRecipient("https://teams.microsoft.com/l/channel/19%3ae06a%40thread.tacv2/Approval%2520Channel?groupId=g1&tenantId=t1");
    BOOST_TEST((ch.kind == Recipient::Kind::Channel));
    BOOST_TEST(ch.channel.conversationId == "19:e06a@thread.tacv2");
    BOOST_TEST(ch.channel.name == "Approval%20Channel");  // decoded once only
    BOOST_TEST(ch.channel.groupId == "g1");
    BOOST_TEST((parseRecipient("bob@x.example").kind == Recipient::Kind::Email));
    BOOST_TEST((parseRecipient("6b1e0f43-2d7a-4c55-9e3b-81f2a6c4d9e0").kind == Recipient::Kind::UserId));
    // A URL without groupId/tenantId is not a channel.
    BOOST_TEST((parseRecipient("https://teams.microsoft.com/l/channel/19%3ax/N").kind == Recipient::Kind::UserId));
}

// Teams counts a message in UTF-16: ASCII counts two bytes a character, an emoji four. A card
// full of either still fits by that measure.
BOOST_AUTO_TEST_CASE(the_size_limit_is_counted_in_utf16_as_teams_counts_it) {
    BOOST_TEST(tmsteams::common::utf16Length("ab\xC3\xA9\xF0\x9F\x98\x80") == 5u);  // a b é and one emoji (a pair)
    for (const std::string& unit : {std::string("x"), std::string("\xF0\x9F\x98\x80"), std::string("\xE6\xBC\xA2")}) {
        auto d = sample();
        d.reason.clear();
        while (d.reason.size() < 60 * 1024) {
            d.reason += unit;
        }
        auto activity = buildActivity(d);
        BOOST_TEST(teamsMessageSize(activity) <= MaxActivityUtf16Bytes, unit);
        BOOST_TEST(activity.find(unit + unit + unit) != std::string::npos, unit);  // cut, not dropped
    }
}

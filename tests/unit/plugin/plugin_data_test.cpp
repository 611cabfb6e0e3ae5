// Plugin data encodes byte for byte as the Go plugin does and decodes what it wrote.
#define BOOST_TEST_MODULE plugin_data
#include <boost/test/unit_test.hpp>

#include "common/base64.h"
#include "plugin/plugin_data.h"

using namespace tmsteams::plugin;

BOOST_AUTO_TEST_CASE(message_items_match_go_json_marshal_and_base64) {
    // Go: base64.StdEncoding(json.Marshal(TeamsMessage{"1700000000000","02 Jan 06 15:04 UTC","bob@x.com"}))
    StoredMessage m{"1700000000000", "02 Jan 06 15:04 UTC", "bob@x.com"};
    BOOST_TEST(encodeMessage(m) ==
               "eyJpZCI6IjE3MDAwMDAwMDAwMDAiLCJ0cyI6IjAyIEphbiAwNiAxNTowNCBVVEMiLCJyaWQiOiJib2JAeC5jb20ifQ==");
    BOOST_TEST((decodeMessage(encodeMessage(m)).value() == m));
}

BOOST_AUTO_TEST_CASE(go_escapes_html_characters_in_json) {
    BOOST_TEST(goJsonString("a<b>&\"c\"\n") == "\"a\\u003cb\\u003e\\u0026\\\"c\\\"\\n\"");
    BOOST_TEST(goJsonString("\xE2\x80\xA8") == "\"\\u2028\"");
    BOOST_TEST(goJsonStringArray({"x", "y"}) == "[\"x\",\"y\"]");
}

BOOST_AUTO_TEST_CASE(legacy_slash_items_still_decode) {
    auto m = decodeMessage("17000/02 Jan 06 15:04 UTC/bob@x.com");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->id == "17000");
    BOOST_TEST(m->rid == "bob@x.com");
    BOOST_TEST(!decodeMessage("not-base64-and-no-slashes").has_value());
}

BOOST_AUTO_TEST_CASE(encode_writes_every_go_key_empty_or_not) {
    PluginData d;
    d.user = "carol";
    d.roles = {"editor", "dba"};
    d.requestReason = "fix";
    d.reviewsCount = 2;
    d.resolution = "APPROVED";
    d.messages = {{"1", "t", "a@x"}, {"2", "t", "https://teams.microsoft.com/l/channel/19%3ax/A,B?groupId=g&tenantId=t"}};
    auto m = encodePluginData(d);
    BOOST_TEST(m.at("user") == "carol");
    BOOST_TEST(m.at("roles") == "editor,dba");
    BOOST_TEST(m.at("resources") == "");
    BOOST_TEST(m.at("reviews_count") == "2");
    BOOST_TEST(m.at("resolve_reason") == "");
    // Channel URLs with commas survive: each item is base64, so the comma join is safe.
    BOOST_TEST((decodePluginData(m).messages == d.messages));
    PluginData empty;
    auto e = encodePluginData(empty);
    BOOST_TEST(e.at("reviews_count") == "");  // Go writes "" for zero
    BOOST_TEST(e.at("messages") == "");
}

BOOST_AUTO_TEST_CASE(empty_expectation_covers_the_go_create_keys) {
    auto e = emptyExpectation();
    for (const char* k : {"user", "roles", "resources", "request_reason", "reviews_count", "resolution",
                          "resolve_reason", "messages"}) {
        BOOST_TEST(e.count(k) == 1u, k);
        BOOST_TEST(e.at(k).empty());
    }
}

BOOST_AUTO_TEST_CASE(decodes_data_the_go_plugin_wrote) {
    std::map<std::string, std::string> go = {
        {"user", "alice"},
        {"roles", "a,b"},
        {"request_reason", "why"},
        {"reviews_count", "3"},
        {"resolution", "DENIED"},
        {"resolve_reason", "no"},
        {"resources", "[\"/c/node/n1\"]"},
        {"messages", encodeMessage({"9", "ts", "alice@x"}) + ",legacy/ts/bob@x"},
    };
    auto d = decodePluginData(go);
    BOOST_TEST(d.user == "alice");
    BOOST_TEST(d.roles == (std::vector<std::string>{"a", "b"}));
    BOOST_TEST(d.reviewsCount == 3);
    BOOST_TEST(d.resolution == "DENIED");
    BOOST_TEST(d.resources == (std::vector<std::string>{"/c/node/n1"}));
    BOOST_TEST(d.messages.size() == 2u);
    BOOST_TEST(!d.hasRecipients);  // the Go plugin does not write our recipient list
}

BOOST_AUTO_TEST_CASE(our_keys_round_trip) {
    PluginData d;
    d.recipients = {"a@x", "b@x"};
    d.hasRecipients = true;
    d.claim = "host/1 1800000000000";
    d.updating = "host/2 1800000000001";
    d.suggestedReviewers = {"s@x"};
    d.maxDuration = "2026-01-01T00:00:00Z";
    auto back = decodePluginData(encodePluginData(d));
    BOOST_TEST((back == d));
}

BOOST_AUTO_TEST_CASE(base64_is_strict) {
    using namespace tmsteams::common;
    BOOST_TEST(base64Encode("ab") == "YWI=");
    BOOST_TEST(base64Decode("YWI=").value() == "ab");
    BOOST_TEST(!base64Decode("YWI").has_value());
    BOOST_TEST(!base64Decode("Y=WI").has_value());
    BOOST_TEST(!base64Decode("a/b/c").has_value());
}

// Found by fuzzing: a message whose fields held invalid UTF-8 (an old slash-format item) was
// written as invalid JSON and then dropped on the next read, losing track of a posted card.
BOOST_AUTO_TEST_CASE(messages_with_invalid_utf8_are_kept_like_go_keeps_them) {
    PluginData d;
    d.messages = {{"1700000000\x8D", "ts", "alice@example.com"}};
    d.roles = {"editor"};
    const auto once = decodePluginData(encodePluginData(d));
    BOOST_REQUIRE(once.messages.size() == 1u);
    BOOST_TEST(once.messages[0].id == "1700000000\xEF\xBF\xBD");  // Go's json.Marshal does the same
    BOOST_TEST(once.messages[0].rid == "alice@example.com");
    BOOST_TEST(goJsonString("a\xFF" "b") == "\"a\\ufffdb\"");
}

// JSON quoting keeps any input valid JSON.
#define BOOST_TEST_MODULE json_escape
#include <boost/test/unit_test.hpp>

#include "common/json_escape.h"

using tmsteams::common::jsonQuote;

BOOST_AUTO_TEST_CASE(escapes_quotes_backslashes_and_controls) {
    BOOST_TEST(jsonQuote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    BOOST_TEST(jsonQuote("x\ny\t\x01") == "\"x\\ny\\t\\u0001\"");
}

BOOST_AUTO_TEST_CASE(keeps_valid_utf8_and_replaces_invalid_bytes) {
    BOOST_TEST(jsonQuote("\xE2\x8F\xB3 ok") == "\"\xE2\x8F\xB3 ok\"");
    BOOST_TEST(jsonQuote("bad\xFF\xC0\x80") == "\"bad\\ufffd\\ufffd\\ufffd\"");
    BOOST_TEST(jsonQuote("\xE2\x8F") == "\"\\ufffd\\ufffd\"");
}

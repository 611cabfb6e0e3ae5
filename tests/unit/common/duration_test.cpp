// Go duration strings as Teleport configs and tctl write them.
#define BOOST_TEST_MODULE duration
#include <boost/test/unit_test.hpp>

#include "common/duration.h"

using namespace tmsteams::common;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(parses_go_units) {
    BOOST_TEST((parseGoDuration("1h30m").value() == 90min));
    BOOST_TEST((parseGoDuration("250ms").value() == 250ms));
    BOOST_TEST((parseGoDuration("1.5s").value() == 1500ms));
    BOOST_TEST((parseGoDuration("-2m").value() == -2min));
    BOOST_TEST((parseGoDuration("0").value() == 0s));
    BOOST_TEST((parseGoDuration("10us").value() == 10us));
}

BOOST_AUTO_TEST_CASE(rejects_malformed) {
    for (const char* bad : {"", "h", "10", "1x", "1h-", "--1s", "."}) {
        BOOST_TEST(!parseGoDuration(bad).has_value(), bad);
    }
}

// Found by fuzzing: these threw from std::stold and took the daemon down at start.
BOOST_AUTO_TEST_CASE(odd_numbers_are_rejected_without_throwing) {
    const std::string huge(5000, '9');
    for (const std::string& bad : {std::string("1.2.3s"), std::string("..5s"), std::string("1..s"), huge + "s",
                                  std::string("99999999999999999999h")}) {
        BOOST_TEST(!parseGoDuration(bad).has_value(), bad.substr(0, 20));
    }
    BOOST_TEST((parseGoDuration(".5s").value() == 500ms));
    BOOST_TEST((parseGoDuration("5.s").value() == 5s));
    BOOST_TEST((parseGoDuration("2562047h").value() > 2562046h));
}

BOOST_AUTO_TEST_CASE(formats_like_go) {
    BOOST_TEST(formatDuration(90min) == "1h30m0s");
    BOOST_TEST(formatDuration(5s) == "5s");
    BOOST_TEST(formatDuration(250ms) == "250ms");
}

// The chaos soak, short: tools/soak for 90 s with daemon kills, Auth restarts, cut streams and
// Microsoft faults; nothing may be lost or left stale.
#define BOOST_TEST_MODULE soak
#include <boost/test/unit_test.hpp>

#include <regex>

#include "support/process.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(nothing_lost_or_stale_under_chaos) {
    auto r = runCommand({binaryPath("SOAK_TOOL"), "--duration", "90"}, 280s);
    std::cout << r.out;
    BOOST_TEST(r.exitCode == 0, r.out);
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(r.out, m, std::regex("lost (\\d+), stale (\\d+), duplicates (\\d+) \\(kills (\\d+)\\)")));
    BOOST_TEST(m[1].str() == "0");
    BOOST_TEST(m[2].str() == "0");
    // Duplicates can only come from a kill between a post and its record.
    BOOST_TEST(std::stoi(m[3].str()) <= std::stoi(m[4].str()));
}

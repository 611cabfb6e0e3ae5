// The fake's browser view in a real browser: a posted card appears rendered by Microsoft's
// renderer, and turns APPROVED on its own when the card is updated.
#define BOOST_TEST_MODULE browser_view
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "support/fake_graph_handle.h"
#include "teams/card.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {
// A fake Teams where Alice has a personal chat with the bot, ready for cards.
struct AliceChat {
    TempDir tmp;
    FakeGraph fake{tmp.path()};
    std::string botToken = fake.token(BotScope);
    std::string chat = fake.installAndGetChat(fake.token(GraphScope), dir::Alice,
                                              fake.publishApp("11111111-2222-4333-8444-555555555555"));
    HttpResponse post(const std::string& activity) {
        return fake.bot("POST", "/emea/v3/conversations/" + chat + "/activities/", botToken, activity);
    }
};
}  // namespace

BOOST_AUTO_TEST_CASE(card_appears_pending_and_turns_approved) {
    AliceChat alice;
    auto& tmp = alice.tmp;
    auto& fake = alice.fake;
    auto post = alice.post(cardActivity("Access Request 42 is PENDING"));
    BOOST_REQUIRE(post.status == 201);
    auto id = parseObject(post.body)->getValue<std::string>("id");

    const std::string shots = binaryPath("SCREENSHOT_DIR");
    std::filesystem::create_directories(shots);
    Process browser({"node", binaryPath("CHECK_VIEW_SCRIPT"), fake.url() + "/", tmp.path(),
                     "Access Request 42 is PENDING|Alice Example", "Access Request 42 is APPROVED",
                     "is PENDING"},
                    tmp.path());
    BOOST_REQUIRE_MESSAGE(eventually([&] { return std::filesystem::exists(tmp / "phase1.done") || !browser.running(); }, 60s),
                          "the page did not show the pending card");
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(tmp / "phase1.done"), browser.stderrText());
    auto put = fake.bot("PUT", "/emea/v3/conversations/" + alice.chat + "/activities/" + id, alice.botToken,
                        cardActivity("Access Request 42 is APPROVED"));
    BOOST_REQUIRE(put.status == 200);
    std::ofstream(tmp / "phase2.go") << "go";
    auto code = browser.wait(60s);
    BOOST_TEST(code.value_or(-1) == 0, browser.stderrText());
    BOOST_TEST(browser.stdoutText().find("ok 1 cards rendered") != std::string::npos);
    for (const char* shot : {"view-1.png", "view-2.png"}) {
        BOOST_TEST(std::filesystem::file_size(tmp / shot) > 5000u);
        std::filesystem::copy_file(tmp / shot, shots + "/" + shot,
                                   std::filesystem::copy_options::overwrite_existing);
    }
}

// A hostile reason and an ordinary role name, through our card builder and Microsoft's renderer
// with markdown as Teams applies it: the reader sees exactly what was typed, no backslashes, no
// link, no formatting.
BOOST_AUTO_TEST_CASE(user_text_reads_as_typed_with_no_markup_and_no_backslashes) {
    AliceChat alice;
    tmsteams::teams::CardData d;
    d.requestId = "0b4c7f1e-6a55-4a4e-9a44-7d3c1f2e9b10";
    d.cluster = "prod";
    d.user = "carol";
    d.roles = {"db_admin"};
    const std::string reason = "Roll out the [hotfix](https://example.com) for INC-4211 **now** <at>bob</at>\n# big";
    d.reason = reason;
    d.status = tmsteams::teams::CardStatus::Pending;
    auto post = alice.post(tmsteams::teams::buildActivity(d));
    BOOST_REQUIRE_MESSAGE(post.status == 201, post.body);
    auto r = runCommand({"node", binaryPath("RENDERED_TEXT_SCRIPT"), alice.fake.url() + "/", "db_admin"}, 90s);
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
    auto seen = parseObject(r.out);
    const std::string text = seen->getValue<std::string>("text");
    BOOST_TEST(text.find("db_admin") != std::string::npos, text);
    BOOST_TEST(text.find("Roll out the [hotfix](https://example.com) for INC-4211") != std::string::npos, text);
    BOOST_TEST(text.find("<at>bob</at>") != std::string::npos, text);
    BOOST_TEST(text.find("# big") != std::string::npos, text);
    BOOST_TEST(text.find('\\') == std::string::npos, text);
    BOOST_TEST(seen->getArray("links")->size() == 0u, r.out);
    BOOST_TEST(seen->getValue<int>("markup") == 0, r.out);
}

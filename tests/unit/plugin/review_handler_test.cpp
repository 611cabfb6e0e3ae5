// Mapping Teams users to Teleport users and what each of them gets back from a card action.
#define BOOST_TEST_MODULE review_handler
#include <boost/test/unit_test.hpp>
#include <boost/trompeloeil.hpp>

#include "mocks/fake_clock.h"
#include "mocks/mock_messenger.h"
#include "mocks/store_auth_client.h"
#include "plugin/review_handler.h"

using namespace tmsteams;
using namespace tmsteams::testing;

namespace {

struct Fixture {
    StoreAuthClient auth;
    MockMessenger messenger;
    FakeClock clock;
    plugin::FanOut fanOut{1};
    plugin::RequestHandler cards{auth, messenger, clock, fanOut, [] {
                                     plugin::HandlerSettings s;
                                     s.clusterName = "prod";
                                     s.reviewFromTeams = true;
                                     return s;
                                 }()};
    std::map<std::string, std::string> emails = {{"aad-eve", "eve@example.com"}};
    int emailLookups = 0;

    plugin::ReviewHandler handler(bool allowEmail) {
        return plugin::ReviewHandler(auth, cards, clock, {"msteams_uid", allowEmail, "teleport-msteams"},
                                     [this](const std::string& id) -> absl::StatusOr<std::string> {
                                         ++emailLookups;
                                         auto it = emails.find(id);
                                         if (it == emails.end()) {
                                             return absl::NotFoundError("no such user");
                                         }
                                         return it->second;
                                     });
    }
};

bool hasButtons(const plugin::InvokeReply& r) { return r.body.find("\"verb\":\"approve\"") != std::string::npos; }

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_trait_maps_a_teams_user_and_only_a_unique_match_counts, Fixture) {
    auth.people = {{"bob", {{"msteams_uid", "aad-bob"}}}, {"twin1", {{"msteams_uid", "aad-twin"}}},
                   {"twin2", {{"msteams_uid", "aad-twin"}}}};
    auto req = auth.create("carol", {"dev"});
    auto h = handler(false);
    BOOST_TEST(hasButtons(h.handle({"refreshCard", req.metadata().name(), "", "aad-bob"})));
    auto twin = h.handle({"approve", req.metadata().name(), "", "aad-twin"});
    BOOST_TEST(!twin.submitted);
    BOOST_TEST(twin.body.find("not linked") != std::string::npos);
    auto ok = h.handle({"approve", req.metadata().name(), "lgtm", "aad-bob"});
    BOOST_TEST(ok.submitted);
    BOOST_TEST(ok.body.find("application/vnd.microsoft.card.adaptive") != std::string::npos);
    BOOST_TEST(!hasButtons(ok));  // reviewed: nothing left to press
    BOOST_TEST(emailLookups == 0);  // email matching is off
}

BOOST_FIXTURE_TEST_CASE(email_equal_to_user_name_counts_only_when_allowed, Fixture) {
    auth.people = {{"eve@example.com", {}}};
    auto req = auth.create("carol", {"dev"});
    const std::string id = req.metadata().name();
    BOOST_TEST(!handler(false).handle({"approve", id, "", "aad-eve"}).submitted);
    auto allowed = handler(true).handle({"approve", id, "", "aad-eve"});
    BOOST_TEST(allowed.submitted, allowed.body);
    BOOST_TEST(emailLookups == 1);
}

BOOST_FIXTURE_TEST_CASE(the_requester_sees_no_buttons_and_resolved_requests_take_no_reviews, Fixture) {
    auth.people = {{"carol", {{"msteams_uid", "aad-carol"}}}, {"bob", {{"msteams_uid", "aad-bob"}}}};
    auto req = auth.create("carol", {"dev"});
    const std::string id = req.metadata().name();
    auto h = handler(false);
    BOOST_TEST(!hasButtons(h.handle({"refreshCard", id, "", "aad-carol"})));
    BOOST_TEST(h.handle({"deny", id, "no", "aad-bob"}).submitted);
    auto late = h.handle({"approve", id, "", "aad-bob"});
    BOOST_TEST(!late.submitted);
    BOOST_TEST(late.body.find("already DENIED") != std::string::npos, late.body);
    BOOST_TEST(h.handle({"approve", "no-such-request", "", "aad-bob"}).body.find("no longer exists") !=
               std::string::npos);
    BOOST_TEST(h.handle({"launch", id, "", "aad-bob"}).body.find("not known") != std::string::npos);
}

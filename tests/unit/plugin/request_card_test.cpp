// One mapping renders live and gone requests alike, and leases tell ours from others'.
#define BOOST_TEST_MODULE request_card
#include <boost/test/unit_test.hpp>

#include "mocks/fake_clock.h"
#include "plugin/lease.h"
#include "plugin/request_card.h"

using namespace tmsteams;
using namespace tmsteams::plugin;
using namespace std::chrono_literals;

namespace {

types::AccessRequestV3 request() {
    types::AccessRequestV3 r;
    r.mutable_metadata()->set_name("req-1");
    auto* spec = r.mutable_spec();
    spec->set_user("carol");
    spec->add_roles("editor");
    spec->set_requestreason("deploy");
    spec->add_suggestedreviewers("erin@x.example");
    auto* id = spec->add_requestedresourceids();
    id->set_clustername("prod");
    id->set_kind("node");
    id->set_name("a1b2");
    spec->set_state(types::PENDING);
    return r;
}

const CardContext Context{"prod", "teleport.example.com:443", true};

}  // namespace

BOOST_AUTO_TEST_CASE(a_gone_request_renders_from_plugin_data_like_a_live_one) {
    const auto live = cardFor(viewOf(request()), Context);
    const auto gone = cardFor(viewOf("req-1", rememberRequest(request())), Context);
    BOOST_TEST(gone.user == live.user);
    BOOST_TEST(gone.roles == live.roles);
    BOOST_TEST(gone.resources == live.resources);
    BOOST_TEST(gone.reason == live.reason);
    BOOST_TEST(gone.suggestedReviewers == live.suggestedReviewers);
    BOOST_TEST(static_cast<int>(gone.status) == static_cast<int>(teams::CardStatus::Expired));
    BOOST_TEST(gone.webUrl.empty());  // no page for a request that no longer exists
    BOOST_TEST(!gone.refresh);
    BOOST_TEST(live.webUrl == "https://teleport.example.com/web/requests/req-1");
    BOOST_TEST(live.refresh);
}

BOOST_AUTO_TEST_CASE(a_recorded_outcome_is_shown_for_a_gone_request) {
    auto d = rememberRequest(request());
    d.resolution = "DENIED";
    d.resolveReason = "not today";
    const auto c = cardFor(viewOf("req-1", d), Context);
    BOOST_TEST(static_cast<int>(c.status) == static_cast<int>(teams::CardStatus::Denied));
    BOOST_TEST(c.resolveReason == "not today");
}

BOOST_AUTO_TEST_CASE(leases_are_ours_or_others_until_they_end) {
    testing::FakeClock clock;
    Leases mine("me", clock, 45s);
    Leases theirs("other", clock, 45s);
    const auto lease = theirs.fresh();
    BOOST_TEST(mine.heldByOther(lease));
    BOOST_TEST(!theirs.heldByOther(lease));
    BOOST_TEST(mine.left(lease).count() == 45000);
    clock.advance(46s);
    BOOST_TEST(!mine.heldByOther(lease));
    BOOST_TEST(mine.left(lease).count() == 0);
    BOOST_TEST(!mine.heldByOther(""));
    BOOST_TEST(!mine.heldByOther("garbage"));
    // Plugin data is input from the network: a lease no replica could have granted holds nothing.
    BOOST_TEST(!mine.heldByOther("other 9223372036854775807"));
    BOOST_TEST(!mine.heldByOther("other 99999999999999999999999"));
    BOOST_TEST(!mine.heldByOther("other 12x"));
    BOOST_TEST(mine.left("other -9223372036854775807").count() == 0);
}

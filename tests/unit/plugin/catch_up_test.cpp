// A catch-up handles exactly the requests with work left, judged from listed plugin data.
#define BOOST_TEST_MODULE catch_up
#include <boost/test/unit_test.hpp>

#include "plugin/catch_up.h"
#include "teleport/proto_time.h"

using namespace tmsteams::plugin;
using namespace std::chrono_literals;

namespace {

const auto Now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

types::AccessRequestV3 request(types::RequestState state, int reviews = 0, std::chrono::seconds age = 60s) {
    types::AccessRequestV3 r;
    r.mutable_metadata()->set_name("req-1");
    r.mutable_spec()->set_state(state);
    auto created = std::chrono::duration_cast<std::chrono::seconds>((Now - age).time_since_epoch()).count();
    r.mutable_spec()->mutable_created()->set_seconds(created);
    for (int i = 0; i < reviews; ++i) {
        r.mutable_spec()->add_reviews()->set_author("rev" + std::to_string(i));
    }
    return r;
}

PluginData delivered(const std::string& resolution = "", int reviews = 0) {
    PluginData d;
    d.recipients = {"a@x", "b@x"};
    d.hasRecipients = true;
    d.messages = {{"1", "t", "a@x"}, {"2", "t", "b@x"}};
    d.resolution = resolution;
    d.reviewsCount = reviews;
    return d;
}

bool live(const types::AccessRequestV3& r, const PluginData* d) { return liveNeedsAttention(r, d, Now, 1h); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_handled_pending_request_needs_no_call) {
    auto d = delivered("", 1);
    BOOST_TEST(!live(request(types::PENDING, 1), &d));
}

BOOST_AUTO_TEST_CASE(a_new_request_or_a_new_review_needs_handling) {
    BOOST_TEST(live(request(types::PENDING), nullptr));
    auto d = delivered("", 1);
    BOOST_TEST(live(request(types::PENDING, 2), &d));
}

BOOST_AUTO_TEST_CASE(missing_cards_claims_and_cut_short_updates_need_handling) {
    auto missing = delivered();
    missing.messages.pop_back();
    BOOST_TEST(live(request(types::PENDING), &missing));
    auto claimed = delivered();
    claimed.claim = "other 1800000045000";
    BOOST_TEST(live(request(types::PENDING), &claimed));
    auto updating = delivered("APPROVED");
    updating.updating = "other 1800000045000";
    BOOST_TEST(live(request(types::APPROVED), &updating));
}

BOOST_AUTO_TEST_CASE(an_outcome_not_yet_recorded_needs_handling_and_a_recorded_one_does_not) {
    auto pending = delivered();
    BOOST_TEST(live(request(types::APPROVED), &pending));
    auto approved = delivered("APPROVED");
    BOOST_TEST(!live(request(types::APPROVED), &approved));
    BOOST_TEST(live(request(types::DENIED), &approved));
    auto promoted = delivered("PROMOTED");
    BOOST_TEST(!live(request(types::PROMOTED), &promoted));
}

BOOST_AUTO_TEST_CASE(go_plugin_data_without_a_recipient_list_is_never_reposted) {
    PluginData go;
    go.messages = {{"1", "t", "a@x"}};
    BOOST_TEST(!live(request(types::PENDING), &go));
    go.resolution = "DENIED";
    BOOST_TEST(!live(request(types::DENIED), &go));
}

BOOST_AUTO_TEST_CASE(resolved_without_data_only_while_recent) {
    BOOST_TEST(live(request(types::APPROVED, 0, 10min), nullptr));
    BOOST_TEST(!live(request(types::APPROVED, 0, 2h), nullptr));
    BOOST_TEST(!live(request(types::NONE), nullptr));
}

BOOST_AUTO_TEST_CASE(gone_requests_need_handling_until_marked_and_complete) {
    BOOST_TEST(goneNeedsAttention(delivered()));
    BOOST_TEST(!goneNeedsAttention(delivered("EXPIRED")));
    auto cut = delivered("EXPIRED");
    cut.updating = "x 1";
    BOOST_TEST(goneNeedsAttention(cut));
    auto missing = delivered("APPROVED");
    missing.messages.pop_back();
    BOOST_TEST(goneNeedsAttention(missing));
}

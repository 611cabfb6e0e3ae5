// The fake Auth Service's state machine: thresholds, reviews, plugin-data CAS, expiry.
#define BOOST_TEST_MODULE request_store
#include <boost/test/unit_test.hpp>

#include "request_store.h"
#include "teleport/proto_time.h"

using namespace tmsteams::fakeauth;
using namespace std::chrono_literals;
using tmsteams::teleport::fromProtoTime;

namespace {

const TimePoint T0 = std::chrono::system_clock::from_time_t(1'800'000'000);

struct Fixture {
    std::vector<proto::Event> events;
    int persisted = 0;
    RequestStore store{[this](const proto::Event& e) { events.push_back(e); },
                       [this](const teleportfake::FakeState&) { ++persisted; }};

    types::AccessRequestV3 create(const std::string& user = "alice",
                                  std::vector<std::string> roles = {"editor"}) {
        types::AccessRequestV3 r;
        r.mutable_spec()->set_user(user);
        for (auto& role : roles) {
            r.mutable_spec()->add_roles(role);
        }
        auto made = store.create(r, T0);
        BOOST_REQUIRE(made.ok());
        return *made;
    }

    absl::StatusOr<types::AccessRequestV3> review(const std::string& id, const std::string& author,
                                                  types::RequestState verdict,
                                                  TimePoint at = T0 + 1s) {
        types::AccessReviewSubmission s;
        s.set_requestid(id);
        s.mutable_review()->set_author(author);
        s.mutable_review()->set_proposedstate(verdict);
        s.mutable_review()->set_reason("because " + author);
        return store.submitReview(s, at);
    }

    absl::Status update(const std::string& id, std::map<std::string, std::string> set,
                        std::map<std::string, std::string> expect = {}, TimePoint at = T0) {
        types::PluginDataUpdateParams p;
        p.set_kind("access_request");
        p.set_resource(id);
        p.set_plugin("msteams");
        for (auto& [k, v] : set) {
            (*p.mutable_set())[k] = v;
        }
        for (auto& [k, v] : expect) {
            (*p.mutable_expect())[k] = v;
        }
        return store.updatePluginData(p, at);
    }

    std::map<std::string, std::string> data(const std::string& id, TimePoint at = T0) {
        types::PluginDataFilter f;
        f.set_kind("access_request");
        f.set_resource(id);
        f.set_plugin("msteams");
        auto all = store.getPluginData(f, at);
        std::map<std::string, std::string> out;
        if (!all.empty()) {
            for (auto& [k, v] : all[0].spec().entries().at("msteams").data()) {
                out[k] = v;
            }
        }
        return out;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(create_sets_server_fields_and_emits_put, Fixture) {
    auto r = create();
    BOOST_TEST(r.metadata().name().size() == 36u);
    BOOST_TEST(r.kind() == "access_request");
    BOOST_TEST(r.version() == "v3");
    BOOST_TEST(r.spec().state() == types::PENDING);
    BOOST_TEST((fromProtoTime(r.spec().created()).value() == T0));
    BOOST_TEST((fromProtoTime(r.metadata().expires()).value() == T0 + DefaultRequestTtl));
    BOOST_TEST(r.spec().thresholds_size() == 1);
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].type() == proto::PUT);
    BOOST_TEST(events[0].accessrequest().metadata().name() == r.metadata().name());
    BOOST_TEST(persisted == 1);
}

BOOST_FIXTURE_TEST_CASE(create_rejects_requests_without_user_or_roles, Fixture) {
    types::AccessRequestV3 r;
    BOOST_TEST(store.create(r, T0).status().code() == absl::StatusCode::kInvalidArgument);
    r.mutable_spec()->set_user("alice");
    BOOST_TEST(store.create(r, T0).status().code() == absl::StatusCode::kInvalidArgument);
    BOOST_TEST(events.empty());
}

BOOST_FIXTURE_TEST_CASE(one_approval_resolves_by_default, Fixture) {
    auto r = create();
    auto after = review(r.metadata().name(), "bob", types::APPROVED);
    BOOST_REQUIRE(after.ok());
    BOOST_TEST(after->spec().state() == types::APPROVED);
    BOOST_TEST(after->spec().resolvereason() == "because bob");
    BOOST_TEST(after->spec().reviews_size() == 1);
    BOOST_TEST((fromProtoTime(after->spec().reviews(0).created()).value() == T0 + 1s));
    BOOST_TEST(events.back().accessrequest().spec().state() == types::APPROVED);
}

BOOST_FIXTURE_TEST_CASE(threshold_of_two_needs_two_approvals, Fixture) {
    types::AccessRequestV3 in;
    in.mutable_spec()->set_user("alice");
    in.mutable_spec()->add_roles("admin");
    auto* t = in.mutable_spec()->add_thresholds();
    t->set_name("two");
    t->set_approve(2);
    t->set_deny(2);
    auto r = store.create(in, T0);
    BOOST_REQUIRE(r.ok());
    const auto id = r->metadata().name();
    BOOST_TEST(review(id, "bob", types::APPROVED)->spec().state() == types::PENDING);
    BOOST_TEST(review(id, "carol", types::DENIED)->spec().state() == types::PENDING);
    BOOST_TEST(review(id, "dave", types::APPROVED)->spec().state() == types::APPROVED);
    BOOST_TEST(events.size() == 4u);  // create + three reviews, each a PUT
}

BOOST_FIXTURE_TEST_CASE(denial_wins_and_later_reviews_are_refused, Fixture) {
    auto id = create().metadata().name();
    BOOST_TEST(review(id, "bob", types::DENIED)->spec().state() == types::DENIED);
    auto late = review(id, "carol", types::APPROVED);
    BOOST_TEST(late.status().code() == absl::StatusCode::kFailedPrecondition);
}

BOOST_FIXTURE_TEST_CASE(self_review_and_double_review_are_refused, Fixture) {
    types::AccessRequestV3 in;
    in.mutable_spec()->set_user("alice");
    in.mutable_spec()->add_roles("admin");
    in.mutable_spec()->add_thresholds()->set_approve(3);
    auto id = store.create(in, T0)->metadata().name();
    BOOST_TEST(review(id, "alice", types::APPROVED).status().code() ==
               absl::StatusCode::kPermissionDenied);
    BOOST_TEST(review(id, "bob", types::APPROVED).ok());
    BOOST_TEST(review(id, "bob", types::APPROVED).status().code() ==
               absl::StatusCode::kAlreadyExists);
}

BOOST_FIXTURE_TEST_CASE(promotion_review_resolves_with_access_list, Fixture) {
    auto id = create().metadata().name();
    types::AccessReviewSubmission s;
    s.set_requestid(id);
    s.mutable_review()->set_author("owner");
    s.mutable_review()->set_proposedstate(types::PROMOTED);
    BOOST_TEST(store.submitReview(s, T0).status().code() == absl::StatusCode::kInvalidArgument);
    s.mutable_review()->mutable_accesslist()->set_name("db-admins");
    auto after = store.submitReview(s, T0);
    BOOST_REQUIRE(after.ok());
    BOOST_TEST(after->spec().state() == types::PROMOTED);
    BOOST_TEST(after->spec().accesslist().name() == "db-admins");
}

BOOST_FIXTURE_TEST_CASE(set_state_resolves_once, Fixture) {
    auto id = create().metadata().name();
    proto::RequestStateSetter s;
    s.set_id(id);
    s.set_state(types::PENDING);
    BOOST_TEST(store.setState(s, T0).code() == absl::StatusCode::kInvalidArgument);
    s.set_state(types::APPROVED);
    s.set_reason("ok by admin");
    BOOST_TEST(store.setState(s, T0).ok());
    BOOST_TEST(events.back().accessrequest().spec().resolvereason() == "ok by admin");
    s.set_state(types::DENIED);
    BOOST_TEST(store.setState(s, T0).code() == absl::StatusCode::kFailedPrecondition);
    s.set_id("nope");
    BOOST_TEST(store.setState(s, T0).code() == absl::StatusCode::kNotFound);
}

BOOST_FIXTURE_TEST_CASE(plugin_data_needs_an_existing_request, Fixture) {
    BOOST_TEST(update("missing", {{"user", "alice"}}).code() == absl::StatusCode::kNotFound);
    types::PluginDataUpdateParams p;
    p.set_kind("node");
    p.set_resource("x");
    p.set_plugin("msteams");
    BOOST_TEST(store.updatePluginData(p, T0).code() == absl::StatusCode::kInvalidArgument);
}

BOOST_FIXTURE_TEST_CASE(plugin_data_cas_follows_teleport, Fixture) {
    auto id = create().metadata().name();
    // Create with an all-empty Expect: succeeds when the entry is absent.
    BOOST_TEST(update(id, {{"user", "alice"}, {"roles", "editor"}},
                      {{"user", ""}, {"roles", ""}, {"messages", ""}}).ok());
    // The same "create" again fails: the stored values no longer match "".
    auto again = update(id, {{"user", "mallory"}}, {{"user", ""}});
    BOOST_TEST(again.code() == absl::StatusCode::kFailedPrecondition);
    BOOST_TEST(std::string(again.message()) == "expectations not met for field \"user\"");
    // Keys not in Expect are not checked; keys not in Set are preserved.
    BOOST_TEST(update(id, {{"messages", "m1"}}, {{"user", "alice"}}).ok());
    BOOST_TEST((data(id) == std::map<std::string, std::string>{
                               {"user", "alice"}, {"roles", "editor"}, {"messages", "m1"}}));
    // "" deletes a key; an empty Expect writes unconditionally.
    BOOST_TEST(update(id, {{"roles", ""}}).ok());
    BOOST_TEST(data(id).count("roles") == 0u);
    // Deleting every key removes the plugin's entry.
    BOOST_TEST(update(id, {{"user", ""}, {"messages", ""}}).ok());
    BOOST_TEST(data(id).empty());
}

BOOST_FIXTURE_TEST_CASE(injected_update_failures_count_down, Fixture) {
    auto id = create().metadata().name();
    store.failNextUpdates(2);
    BOOST_TEST(update(id, {{"user", "a"}}).code() == absl::StatusCode::kFailedPrecondition);
    BOOST_TEST(update(id, {{"user", "a"}}).code() == absl::StatusCode::kFailedPrecondition);
    BOOST_TEST(update(id, {{"user", "a"}}).ok());
    BOOST_TEST(store.conflicts() == 2u);
}

BOOST_FIXTURE_TEST_CASE(pending_request_expires_with_delete_and_data_outlives_it, Fixture) {
    auto r = create();
    auto id = r.metadata().name();
    BOOST_TEST(update(id, {{"user", "alice"}}).ok());
    BOOST_TEST(store.expire(T0 + 59min) == 0);
    BOOST_TEST(store.expire(T0 + 60min) == 1);
    BOOST_REQUIRE(events.size() == 2u);
    BOOST_TEST(events[1].type() == proto::DELETE);
    BOOST_TEST(events[1].resourceheader().metadata().name() == id);
    BOOST_TEST(events[1].resourceheader().kind() == "access_request");
    // Data stays readable for an hour after access expiry, so the DELETE can be handled.
    BOOST_TEST(data(id, T0 + 90min).at("user") == "alice");
    store.expire(T0 + 121min);
    BOOST_TEST(data(id, T0 + 121min).empty());
}

BOOST_FIXTURE_TEST_CASE(list_pages_in_creation_order, Fixture) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        types::AccessRequestV3 in;
        in.mutable_spec()->set_user(i % 2 ? "bob" : "alice");
        in.mutable_spec()->add_roles("r");
        ids.push_back(store.create(in, T0 + std::chrono::seconds(i))->metadata().name());
    }
    proto::ListAccessRequestsRequest req;
    req.set_limit(2);
    std::vector<std::string> seen;
    for (int page = 0; page < 5; ++page) {
        auto resp = store.listPage(req);
        BOOST_REQUIRE(resp.ok());
        for (const auto& r : resp->accessrequests()) {
            seen.push_back(r.metadata().name());
        }
        if (resp->nextkey().empty()) {
            break;
        }
        req.set_startkey(resp->nextkey());
    }
    BOOST_TEST(seen == ids);
    types::AccessRequestFilter f;
    f.set_user("bob");
    BOOST_TEST(store.list(f).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(snapshot_restores_everything, Fixture) {
    auto id = create().metadata().name();
    BOOST_TEST(update(id, {{"user", "alice"}}).ok());
    auto snap = store.snapshot();
    RequestStore other(nullptr, nullptr);
    other.restore(snap);
    BOOST_TEST(other.requestCount() == 1u);
    types::PluginDataFilter f;
    f.set_resource(id);
    BOOST_TEST(other.getPluginData(f, T0).size() == 1u);
}

// Go's zero time is "unset"; real times round-trip to the nanosecond.
#define BOOST_TEST_MODULE proto_time
#include <boost/test/unit_test.hpp>

#include "teleport/proto_time.h"

using namespace tmsteams::teleport;

BOOST_AUTO_TEST_CASE(go_zero_time_is_unset) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(GoZeroTimeSeconds);
    BOOST_TEST(!fromProtoTime(ts).has_value());
    BOOST_TEST(!isSet(ts));
}

BOOST_AUTO_TEST_CASE(absent_field_is_unset) {
    google::protobuf::Timestamp ts;
    BOOST_TEST(!fromProtoTime(ts).has_value());
}

BOOST_AUTO_TEST_CASE(unset_is_written_as_go_zero_not_epoch) {
    google::protobuf::Timestamp ts;
    toProtoTime(std::nullopt, &ts);
    BOOST_TEST(ts.seconds() == -62135596800);
    BOOST_TEST(ts.nanos() == 0);
}

BOOST_AUTO_TEST_CASE(real_times_round_trip) {
    auto t = std::chrono::system_clock::from_time_t(1'700'000'000) + std::chrono::microseconds(123456);
    google::protobuf::Timestamp ts;
    toProtoTime(t, &ts);
    BOOST_TEST(ts.seconds() == 1'700'000'000);
    BOOST_TEST(ts.nanos() == 123'456'000);
    BOOST_TEST((fromProtoTime(ts).value() == t));
}

BOOST_AUTO_TEST_CASE(times_before_1970_keep_positive_nanos) {
    auto t = std::chrono::system_clock::from_time_t(-10) + std::chrono::milliseconds(250);
    google::protobuf::Timestamp ts;
    toProtoTime(t, &ts);
    BOOST_TEST(ts.seconds() == -10);
    BOOST_TEST(ts.nanos() == 250'000'000);
}

// Found by fuzzing: a request valid "until 9999" overflowed the nanosecond time point.
BOOST_AUTO_TEST_CASE(times_past_what_a_time_point_holds_are_clamped_not_overflowed) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(253402300799);  // 9999-12-31T23:59:59Z
    auto far = fromProtoTime(ts);
    BOOST_REQUIRE(far.has_value());
    BOOST_TEST((*far > std::chrono::system_clock::from_time_t(8'000'000'000)));
    ts.set_seconds(-60'000'000'000);  // year 68, not Go's zero time
    auto early = fromProtoTime(ts);
    BOOST_REQUIRE(early.has_value());
    BOOST_TEST((*early < std::chrono::system_clock::from_time_t(-8'000'000'000)));
}

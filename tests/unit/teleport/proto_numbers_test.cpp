// Every field number, type and enum value the daemon and the fakes rely on, compared with a table
// transcribed by hand from Teleport's published protos (gravitational/teleport, read with the
// search tool; the file and commit of each group are named above it). A proto edit that drifts from
// Teleport fails here, not against a real cluster.
#define BOOST_TEST_MODULE proto_numbers
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "access_monitoring_rules.pb.h"
#include "authservice.pb.h"
#include "types.pb.h"
#include "users_service.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;

struct Field {
    const char* message;
    const char* name;
    int number;
    const char* type;  // "string", "repeated string", "map<string,string>", "types.Metadata", ...
};

struct EnumValue {
    const char* enumName;
    const char* name;
    int number;
};

std::string typeOf(const FieldDescriptor* f) {
    auto base = [](const FieldDescriptor* d) -> std::string {
        if (d->message_type()) {
            return d->message_type()->full_name();
        }
        if (d->enum_type()) {
            return d->enum_type()->full_name();
        }
        return d->type_name();
    };
    if (f->is_map()) {
        const Descriptor* entry = f->message_type();
        return "map<" + base(entry->field(0)) + "," + base(entry->field(1)) + ">";
    }
    return (f->is_repeated() ? "repeated " : "") + base(f);
}

// api/proto/teleport/legacy/types/types.proto @ 4360df994235a5909aec73f9dd33685c40830df8,
// metadata.proto @ 40b71a8338a40796e2e5a23458178da0d4d6e6c0, resources.proto @ 54c5bd7c,
// wrappers/wrappers.proto @ 1c3b459e.
const std::vector<Field> TypesTable = {
    {"types.Metadata", "Name", 1, "string"},
    {"types.Metadata", "Namespace", 2, "string"},
    {"types.Metadata", "Description", 3, "string"},
    {"types.Metadata", "Labels", 5, "map<string,string>"},
    {"types.Metadata", "Expires", 6, "google.protobuf.Timestamp"},
    {"types.Metadata", "Revision", 8, "string"},
    {"types.ResourceHeader", "Kind", 1, "string"},
    {"types.ResourceHeader", "SubKind", 2, "string"},
    {"types.ResourceHeader", "Version", 3, "string"},
    {"types.ResourceHeader", "Metadata", 4, "types.Metadata"},
    {"types.AccessRequestV3", "Kind", 1, "string"},
    {"types.AccessRequestV3", "SubKind", 2, "string"},
    {"types.AccessRequestV3", "Version", 3, "string"},
    {"types.AccessRequestV3", "Metadata", 4, "types.Metadata"},
    {"types.AccessRequestV3", "Spec", 5, "types.AccessRequestSpecV3"},
    {"types.ResourceID", "ClusterName", 1, "string"},
    {"types.ResourceID", "Kind", 2, "string"},
    {"types.ResourceID", "Name", 3, "string"},
    {"types.ResourceID", "SubResourceName", 4, "string"},
    {"types.PromotedAccessList", "Name", 1, "string"},
    {"types.PromotedAccessList", "Title", 2, "string"},
    {"types.AccessReviewThreshold", "Name", 1, "string"},
    {"types.AccessReviewThreshold", "Filter", 2, "string"},
    {"types.AccessReviewThreshold", "Approve", 3, "uint32"},
    {"types.AccessReviewThreshold", "Deny", 4, "uint32"},
    {"types.ThresholdIndexSet", "Indexes", 1, "repeated uint32"},
    {"types.ThresholdIndexSets", "Sets", 1, "repeated types.ThresholdIndexSet"},
    {"types.AccessReview", "Author", 1, "string"},
    {"types.AccessReview", "Roles", 2, "repeated string"},
    {"types.AccessReview", "ProposedState", 3, "types.RequestState"},
    {"types.AccessReview", "Reason", 4, "string"},
    {"types.AccessReview", "Created", 5, "google.protobuf.Timestamp"},
    {"types.AccessReview", "Annotations", 6, "wrappers.LabelValues"},
    {"types.AccessReview", "ThresholdIndexes", 7, "repeated uint32"},
    {"types.AccessReview", "accessList", 9, "types.PromotedAccessList"},
    {"types.AccessReview", "AssumeStartTime", 10, "google.protobuf.Timestamp"},
    {"types.AccessReviewSubmission", "RequestID", 1, "string"},
    {"types.AccessReviewSubmission", "Review", 2, "types.AccessReview"},
    {"types.AccessRequestSpecV3", "User", 1, "string"},
    {"types.AccessRequestSpecV3", "Roles", 2, "repeated string"},
    {"types.AccessRequestSpecV3", "State", 3, "types.RequestState"},
    {"types.AccessRequestSpecV3", "Created", 4, "google.protobuf.Timestamp"},
    {"types.AccessRequestSpecV3", "Expires", 5, "google.protobuf.Timestamp"},
    {"types.AccessRequestSpecV3", "RequestReason", 6, "string"},
    {"types.AccessRequestSpecV3", "ResolveReason", 7, "string"},
    {"types.AccessRequestSpecV3", "ResolveAnnotations", 8, "wrappers.LabelValues"},
    {"types.AccessRequestSpecV3", "SystemAnnotations", 9, "wrappers.LabelValues"},
    {"types.AccessRequestSpecV3", "Thresholds", 10, "repeated types.AccessReviewThreshold"},
    {"types.AccessRequestSpecV3", "RoleThresholdMapping", 11, "map<string,types.ThresholdIndexSets>"},
    {"types.AccessRequestSpecV3", "Reviews", 12, "repeated types.AccessReview"},
    {"types.AccessRequestSpecV3", "SuggestedReviewers", 13, "repeated string"},
    {"types.AccessRequestSpecV3", "RequestedResourceIDs", 14, "repeated types.ResourceID"},
    {"types.AccessRequestSpecV3", "LoginHint", 15, "string"},
    {"types.AccessRequestSpecV3", "DryRun", 16, "bool"},
    {"types.AccessRequestSpecV3", "MaxDuration", 17, "google.protobuf.Timestamp"},
    {"types.AccessRequestSpecV3", "SessionTTL", 18, "google.protobuf.Timestamp"},
    {"types.AccessRequestSpecV3", "accessList", 20, "types.PromotedAccessList"},
    {"types.AccessRequestSpecV3", "AssumeStartTime", 21, "google.protobuf.Timestamp"},
    {"types.AccessRequestSpecV3", "ResourceExpiry", 22, "google.protobuf.Timestamp"},
    {"types.AccessRequestSpecV3", "RequestKind", 24, "types.AccessRequestKind"},
    {"types.AccessRequestFilter", "ID", 1, "string"},
    {"types.AccessRequestFilter", "User", 2, "string"},
    {"types.AccessRequestFilter", "State", 3, "types.RequestState"},
    {"types.AccessRequestFilter", "SearchKeywords", 4, "repeated string"},
    {"types.AccessRequestFilter", "Scope", 5, "types.AccessRequestScope"},
    {"types.AccessRequestFilter", "Requester", 6, "string"},
    {"types.PluginDataEntry", "Data", 1, "map<string,string>"},
    {"types.PluginDataSpecV3", "Entries", 1, "map<string,types.PluginDataEntry>"},
    {"types.PluginDataV3", "Kind", 1, "string"},
    {"types.PluginDataV3", "SubKind", 2, "string"},
    {"types.PluginDataV3", "Version", 3, "string"},
    {"types.PluginDataV3", "Metadata", 4, "types.Metadata"},
    {"types.PluginDataV3", "Spec", 5, "types.PluginDataSpecV3"},
    {"types.PluginDataFilter", "Kind", 1, "string"},
    {"types.PluginDataFilter", "Resource", 2, "string"},
    {"types.PluginDataFilter", "Plugin", 3, "string"},
    {"types.PluginDataUpdateParams", "Kind", 1, "string"},
    {"types.PluginDataUpdateParams", "Resource", 2, "string"},
    {"types.PluginDataUpdateParams", "Plugin", 3, "string"},
    {"types.PluginDataUpdateParams", "Set", 4, "map<string,string>"},
    {"types.PluginDataUpdateParams", "Expect", 5, "map<string,string>"},
    {"types.WatchKind", "Kind", 1, "string"},
    {"types.WatchKind", "LoadSecrets", 2, "bool"},
    {"types.WatchKind", "Name", 3, "string"},
    {"types.WatchKind", "Filter", 4, "map<string,string>"},
    {"types.WatchKind", "SubKind", 5, "string"},
    {"types.WatchKind", "Version", 6, "string"},
    {"types.WatchStatusSpecV1", "Kinds", 1, "repeated types.WatchKind"},
    {"types.WatchStatusV1", "Kind", 1, "string"},
    {"types.WatchStatusV1", "SubKind", 2, "string"},
    {"types.WatchStatusV1", "Version", 3, "string"},
    {"types.WatchStatusV1", "Metadata", 4, "types.Metadata"},
    {"types.WatchStatusV1", "Spec", 5, "types.WatchStatusSpecV1"},
    {"types.UserV2", "Kind", 1, "string"},
    {"types.UserV2", "SubKind", 2, "string"},
    {"types.UserV2", "Version", 3, "string"},
    {"types.UserV2", "Metadata", 4, "types.Metadata"},
    {"types.UserV2", "Spec", 5, "types.UserSpecV2"},
    {"types.UserSpecV2", "Roles", 4, "repeated string"},
    {"types.UserSpecV2", "Traits", 5, "wrappers.LabelValues"},
    {"wrappers.StringValues", "Values", 1, "repeated string"},
    {"wrappers.LabelValues", "Values", 1, "map<string,wrappers.StringValues>"},
};

// api/proto/teleport/legacy/client/proto/authservice.proto @ 2018be1454789e26da40c06da1df7f3afffd6330,
// event.proto @ 7888d754a767f8a0da715be772f794e1a0fbd772,
// api/proto/teleport/users/v1/users_service.proto @ 2c36cfbfbef60c0ff08f23d051b2d7e80eaf5879.
const std::vector<Field> ClientTable = {
    {"proto.PingResponse", "ClusterName", 1, "string"},
    {"proto.PingResponse", "ServerVersion", 2, "string"},
    {"proto.PingResponse", "ServerFeatures", 3, "proto.Features"},
    {"proto.PingResponse", "ProxyPublicAddr", 4, "string"},
    {"proto.PingResponse", "IsBoring", 5, "bool"},
    {"proto.PingResponse", "RemoteAddr", 7, "string"},
    {"proto.PingResponse", "LoadAllCAs", 8, "bool"},
    {"proto.PingResponse", "LicenseExpiry", 10, "google.protobuf.Timestamp"},
    {"proto.Features", "AdvancedAccessWorkflows", 7, "bool"},
    {"proto.Event", "Type", 1, "proto.Operation"},
    {"proto.Event", "ResourceHeader", 2, "types.ResourceHeader"},
    {"proto.Event", "AccessRequest", 14, "types.AccessRequestV3"},
    {"proto.Event", "WatchStatus", 43, "types.WatchStatusV1"},
    {"proto.Watch", "Kinds", 1, "repeated types.WatchKind"},
    {"proto.Watch", "AllowPartialSuccess", 2, "bool"},
    {"proto.PluginDataSeq", "PluginData", 1, "repeated types.PluginDataV3"},
    {"proto.RequestID", "ID", 1, "string"},
    {"proto.RequestStateSetter", "ID", 1, "string"},
    {"proto.RequestStateSetter", "State", 2, "types.RequestState"},
    {"proto.RequestStateSetter", "Delegator", 3, "string"},
    {"proto.RequestStateSetter", "Reason", 4, "string"},
    {"proto.RequestStateSetter", "Annotations", 5, "wrappers.LabelValues"},
    {"proto.RequestStateSetter", "Roles", 6, "repeated string"},
    {"proto.RequestStateSetter", "AssumeStartTime", 7, "google.protobuf.Timestamp"},
    {"proto.ListAccessRequestsRequest", "Filter", 1, "types.AccessRequestFilter"},
    {"proto.ListAccessRequestsRequest", "Sort", 2, "proto.AccessRequestSort"},
    {"proto.ListAccessRequestsRequest", "Descending", 3, "bool"},
    {"proto.ListAccessRequestsRequest", "Limit", 4, "int32"},
    {"proto.ListAccessRequestsRequest", "StartKey", 5, "string"},
    {"proto.ListAccessRequestsResponse", "AccessRequests", 1, "repeated types.AccessRequestV3"},
    {"proto.ListAccessRequestsResponse", "NextKey", 2, "string"},
    {"teleport.users.v1.GetUserRequest", "name", 1, "string"},
    {"teleport.users.v1.GetUserRequest", "current_user", 2, "bool"},
    {"teleport.users.v1.GetUserRequest", "with_secrets", 3, "bool"},
    {"teleport.users.v1.GetUserResponse", "user", 1, "types.UserV2"},
    {"teleport.users.v1.ListUsersRequest", "page_size", 1, "int32"},
    {"teleport.users.v1.ListUsersRequest", "page_token", 2, "string"},
    {"teleport.users.v1.ListUsersRequest", "with_secrets", 3, "bool"},
    {"teleport.users.v1.ListUsersResponse", "users", 1, "repeated types.UserV2"},
    {"teleport.users.v1.ListUsersResponse", "next_page_token", 2, "string"},
};

const std::vector<EnumValue> EnumTable = {
    {"types.RequestState", "NONE", 0},          {"types.RequestState", "PENDING", 1},
    {"types.RequestState", "APPROVED", 2},      {"types.RequestState", "DENIED", 3},
    {"types.RequestState", "PROMOTED", 4},
    // access_requests.proto @ 4360df99 (declared in package types there; the full name is the same).
    {"types.AccessRequestKind", "UNDEFINED", 0}, {"types.AccessRequestKind", "SHORT_TERM", 1},
    {"types.AccessRequestKind", "LONG_TERM", 2},
    {"types.AccessRequestScope", "DEFAULT", 0}, {"types.AccessRequestScope", "MY_REQUESTS", 1},
    {"types.AccessRequestScope", "NEEDS_REVIEW", 2}, {"types.AccessRequestScope", "REVIEWED", 3},
    {"proto.Operation", "INIT", 0},             {"proto.Operation", "PUT", 1},
    {"proto.Operation", "DELETE", 2},
    {"proto.AccessRequestSort", "DEFAULT", 0},  {"proto.AccessRequestSort", "CREATED", 1},
    {"proto.AccessRequestSort", "STATE", 2},    {"proto.AccessRequestSort", "USER", 3},
};

// Naming one message of each file links its descriptors in (the generated code is a static library).
[[maybe_unused]] const bool Linked = types::AccessRequestV3::descriptor() && proto::PingResponse::descriptor() &&
                                     teleport::users::v1::GetUserRequest::descriptor();

void checkTable(const std::vector<Field>& table) {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    for (const auto& f : table) {
        const Descriptor* m = pool->FindMessageTypeByName(f.message);
        BOOST_TEST_REQUIRE(m != nullptr, f.message);
        const FieldDescriptor* d = m->FindFieldByName(f.name);
        BOOST_TEST_REQUIRE(d != nullptr, f.message << "." << f.name);
        BOOST_TEST(d->number() == f.number, f.message << "." << f.name);
        BOOST_TEST(typeOf(d) == f.type, f.message << "." << f.name);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(types_fields_have_teleports_numbers_and_types) { checkTable(TypesTable); }

BOOST_AUTO_TEST_CASE(client_fields_have_teleports_numbers_and_types) { checkTable(ClientTable); }

// api/proto/teleport/accessmonitoringrules/v1/access_monitoring_rules.proto @ 09ff2012 (schedules
// from the generated protohybrid code @ 1d38c0af), header/v1/metadata.proto @ a0b16a5e,
// legacy/client/proto/event.proto @ 7888d754 (AccessMonitoringRule = 54), authservice.proto @
// 2018be14 (ListResources, GetRole), types.proto @ 610cd94d (ServerV2, RoleV6).
const std::vector<Field> RoutingTable = {
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRule", "metadata", 1, "teleport.header.v1.Metadata"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRule", "kind", 2, "string"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRule", "version", 4, "string"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRule", "spec", 5,
     "teleport.accessmonitoringrules.v1.AccessMonitoringRuleSpec"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRuleSpec", "subjects", 1, "repeated string"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRuleSpec", "condition", 3, "string"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRuleSpec", "notification", 4,
     "teleport.accessmonitoringrules.v1.Notification"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRuleSpec", "desired_state", 7, "string"},
    {"teleport.accessmonitoringrules.v1.AccessMonitoringRuleSpec", "schedules", 8,
     "map<string,teleport.accessmonitoringrules.v1.Schedule>"},
    {"teleport.accessmonitoringrules.v1.Notification", "name", 1, "string"},
    {"teleport.accessmonitoringrules.v1.Notification", "recipients", 2, "repeated string"},
    {"teleport.accessmonitoringrules.v1.TimeSchedule", "timezone", 2, "string"},
    {"teleport.accessmonitoringrules.v1.TimeSchedule.Shift", "weekday", 1, "string"},
    {"teleport.accessmonitoringrules.v1.TimeSchedule.Shift", "end", 3, "string"},
    {"teleport.accessmonitoringrules.v1.ListAccessMonitoringRulesWithFilterRequest", "page_size", 1, "int64"},
    {"teleport.accessmonitoringrules.v1.ListAccessMonitoringRulesWithFilterRequest", "subjects", 3, "repeated string"},
    {"teleport.accessmonitoringrules.v1.ListAccessMonitoringRulesWithFilterRequest", "notification_name", 4, "string"},
    {"teleport.accessmonitoringrules.v1.ListAccessMonitoringRulesWithFilterResponse", "next_page_token", 2, "string"},
    {"teleport.header.v1.Metadata", "labels", 5, "map<string,string>"},
    {"teleport.header.v1.Metadata", "revision", 8, "string"},
    {"proto.Event", "AccessMonitoringRule", 54, "teleport.accessmonitoringrules.v1.AccessMonitoringRule"},
    {"proto.ListResourcesRequest", "ResourceType", 1, "string"},
    {"proto.ListResourcesRequest", "Limit", 3, "int32"},
    {"proto.ListResourcesRequest", "PredicateExpression", 6, "string"},
    {"proto.ListResourcesRequest", "UsePreviewAsRoles", 12, "bool"},
    {"proto.PaginatedResource", "Node", 3, "types.ServerV2"},
    {"proto.PaginatedResource", "KubeCluster", 6, "types.KubernetesClusterV3"},
    {"proto.ListResourcesResponse", "NextKey", 2, "string"},
    {"proto.GetRoleRequest", "Name", 1, "string"},
    {"types.ServerSpecV2", "Hostname", 3, "string"},
    {"types.AppServerSpecV3", "App", 5, "types.AppV3"},
    {"types.DatabaseServerSpecV3", "Database", 12, "types.DatabaseV3"},
    {"types.RoleSpecV6", "Allow", 2, "types.RoleConditions"},
    {"types.RoleConditions", "Logins", 1, "repeated string"},
};

BOOST_AUTO_TEST_CASE(routing_fields_have_teleports_numbers_and_types) { checkTable(RoutingTable); }

BOOST_AUTO_TEST_CASE(enum_values_are_teleports) {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    for (const auto& e : EnumTable) {
        auto* en = pool->FindEnumTypeByName(e.enumName);
        BOOST_TEST_REQUIRE(en != nullptr, e.enumName);
        auto* v = en->FindValueByName(e.name);
        BOOST_TEST_REQUIRE(v != nullptr, e.enumName << "." << e.name);
        BOOST_TEST(v->number() == e.number, e.enumName << "." << e.name);
    }
}

// Numbers Teleport has given to something else must never carry one of ours.
BOOST_AUTO_TEST_CASE(numbers_teleport_uses_otherwise_are_not_declared) {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    // Metadata 7 is reserved in Teleport (the old ID).
    BOOST_TEST(pool->FindMessageTypeByName("types.Metadata")->FindFieldByNumber(7) == nullptr);
    // AccessRequestSpecV3 23 is DryRunEnrichment, a message.
    BOOST_TEST(pool->FindMessageTypeByName("types.AccessRequestSpecV3")->FindFieldByNumber(23) == nullptr);
    // PingResponse 6 is reserved, 9 unused.
    BOOST_TEST(pool->FindMessageTypeByName("proto.PingResponse")->FindFieldByNumber(6) == nullptr);
    BOOST_TEST(pool->FindMessageTypeByName("proto.PingResponse")->FindFieldByNumber(9) == nullptr);
}

// AccessReview.SubmittedBy (11) is from Teleport's draft RFD 250 only: kept, and pinned so that it
// moves only with that RFD.
BOOST_AUTO_TEST_CASE(the_rfd_250_field_is_the_one_the_rfd_names) {
    auto* f = DescriptorPool::generated_pool()->FindMessageTypeByName("types.AccessReview")->FindFieldByName("SubmittedBy");
    BOOST_TEST_REQUIRE(f != nullptr);
    BOOST_TEST(f->number() == 11);
}

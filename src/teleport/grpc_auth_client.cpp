// AuthClient over grpc++.
#include "teleport/grpc_auth_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/log.h"
#include "teleport/grpc_channel.h"

namespace tmsteams::teleport {

namespace {
constexpr std::chrono::seconds CallTimeout{15};
constexpr const char* KindAccessRequest = "access_request";

class GrpcWatchStream final : public WatchStream {
public:
    GrpcWatchStream(std::shared_ptr<proto::AuthService::Stub> stub, bool withRules) : stub_(std::move(stub)) {
        prepareContext(ctx_, std::chrono::milliseconds(0), true);
        proto::Watch w;
        w.add_kinds()->set_kind(KindAccessRequest);
        if (withRules) {
            w.add_kinds()->set_kind(KindAccessMonitoringRule);
            w.set_allowpartialsuccess(true);
        }
        reader_ = stub_->WatchEvents(&ctx_, w);
    }
    ~GrpcWatchStream() override {
        ctx_.TryCancel();
        if (!finished_) {
            proto::Event drain;
            while (reader_->Read(&drain)) {
            }
            reader_->Finish();
        }
    }
    // WatchStream
    bool next(proto::Event& event) override { return reader_->Read(&event); }
    void cancel() override { ctx_.TryCancel(); }
    absl::Status finish() override {
        finished_ = true;
        return fromGrpc(reader_->Finish(), "watch access requests");
    }

private:
    std::shared_ptr<proto::AuthService::Stub> stub_;  // keeps the connection alive
    grpc::ClientContext ctx_;
    std::unique_ptr<grpc::ClientReader<proto::Event>> reader_;
    bool finished_ = false;
};
// A watch that could not start: the dial's error, at once.
class FailedWatchStream final : public WatchStream {
public:
    explicit FailedWatchStream(absl::Status s) : status_(std::move(s)) {}
    bool next(proto::Event&) override { return false; }
    void cancel() override {}
    absl::Status finish() override { return status_; }

private:
    absl::Status status_;
};
}  // namespace

absl::Status fromGrpc(const grpc::Status& s, const std::string& what) {
    if (s.ok()) {
        return absl::OkStatus();
    }
    auto code = s.error_code() == grpc::FAILED_PRECONDITION ? absl::StatusCode::kAborted
                                                            : static_cast<absl::StatusCode>(s.error_code());
    return absl::Status(code, what + ": " + s.error_message());
}

absl::StatusOr<proto::PingResponse> GrpcAuthClient::ping() {
    ++calls_.ping;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout);  // fail fast: startup reports why it cannot connect
    proto::PingResponse resp;
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    auto s = (*st)->Ping(&ctx, proto::PingRequest(), &resp);
    if (!s.ok()) {
        return fromGrpc(s, "ping the Auth Service");
    }
    return resp;
}

std::unique_ptr<WatchStream> GrpcAuthClient::watchAccessRequests(bool withRules) {
    ++calls_.watch;
    auto st = stub();
    if (!st.ok()) {
        return std::make_unique<FailedWatchStream>(st.status());
    }
    return std::make_unique<GrpcWatchStream>(*st, withRules);
}

absl::StatusOr<std::optional<PluginDataMap>> GrpcAuthClient::getPluginData(const std::string& requestId) {
    ++calls_.getPluginData;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout, true);
    types::PluginDataFilter f;
    f.set_kind(KindAccessRequest);
    f.set_resource(requestId);
    f.set_plugin(plugin_);
    proto::PluginDataSeq seq;
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    auto s = (*st)->GetPluginData(&ctx, f, &seq);
    if (!s.ok()) {
        return fromGrpc(s, "read plugin data");
    }
    for (const auto& pd : seq.plugindata()) {
        auto it = pd.spec().entries().find(plugin_);
        if (it != pd.spec().entries().end() && !it->second.data().empty()) {
            return std::optional<PluginDataMap>(PluginDataMap(it->second.data().begin(), it->second.data().end()));
        }
    }
    return std::optional<PluginDataMap>();
}

absl::StatusOr<std::map<std::string, PluginDataMap>> GrpcAuthClient::listPluginData() {
    ++calls_.listPluginData;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout, true);
    types::PluginDataFilter f;
    f.set_kind(KindAccessRequest);
    f.set_plugin(plugin_);
    proto::PluginDataSeq seq;
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    auto s = (*st)->GetPluginData(&ctx, f, &seq);
    if (!s.ok()) {
        return fromGrpc(s, "list plugin data");
    }
    std::map<std::string, PluginDataMap> out;
    for (const auto& pd : seq.plugindata()) {
        auto it = pd.spec().entries().find(plugin_);
        if (it != pd.spec().entries().end()) {
            out[pd.metadata().name()] = PluginDataMap(it->second.data().begin(), it->second.data().end());
        }
    }
    return out;
}

absl::Status GrpcAuthClient::updatePluginData(const std::string& requestId, const PluginDataMap& set,
                                              const PluginDataMap& expect) {
    ++calls_.updatePluginData;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout, true);
    types::PluginDataUpdateParams p;
    p.set_kind(KindAccessRequest);
    p.set_resource(requestId);
    p.set_plugin(plugin_);
    p.mutable_set()->insert(set.begin(), set.end());
    p.mutable_expect()->insert(expect.begin(), expect.end());
    google::protobuf::Empty empty;
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    return fromGrpc((*st)->UpdatePluginData(&ctx, p, &empty), "update plugin data");
}

absl::StatusOr<std::vector<types::AccessRequestV3>> GrpcAuthClient::listAccessRequests() {
    std::vector<types::AccessRequestV3> out;
    proto::ListAccessRequestsRequest req;
    req.set_limit(8000);  // Teleport serves up to 16,000 per page; a reconnect with 10,000 requests costs 2 pages
    for (;;) {
        ++calls_.listAccessRequests;
        grpc::ClientContext ctx;
        prepareContext(ctx, CallTimeout, true);
        proto::ListAccessRequestsResponse resp;
        auto st = stub();
        if (!st.ok()) {
            return st.status();
        }
        auto s = (*st)->ListAccessRequests(&ctx, req, &resp);
        if (s.error_code() == grpc::UNIMPLEMENTED) {
            break;  // older cluster: fall back to the streaming RPC
        }
        if (!s.ok()) {
            return fromGrpc(s, "list access requests");
        }
        out.insert(out.end(), resp.accessrequests().begin(), resp.accessrequests().end());
        if (resp.nextkey().empty()) {
            return out;
        }
        req.set_startkey(resp.nextkey());
    }
    ++calls_.listAccessRequests;
    grpc::ClientContext ctx;
    prepareContext(ctx, std::chrono::seconds(60), true);
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    auto reader = (*st)->GetAccessRequestsV2(&ctx, types::AccessRequestFilter());
    types::AccessRequestV3 r;
    while (reader->Read(&r)) {
        out.push_back(r);
    }
    if (auto s = reader->Finish(); !s.ok()) {
        return fromGrpc(s, "list access requests");
    }
    return out;
}

absl::StatusOr<std::optional<types::AccessRequestV3>> GrpcAuthClient::getAccessRequest(const std::string& id) {
    ++calls_.getAccessRequest;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout, true);
    types::AccessRequestFilter f;
    f.set_id(id);
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    auto reader = (*st)->GetAccessRequestsV2(&ctx, f);
    types::AccessRequestV3 r;
    std::optional<types::AccessRequestV3> found;
    while (reader->Read(&r)) {
        found = r;
    }
    if (auto s = reader->Finish(); !s.ok()) {
        return fromGrpc(s, "read access request " + id);
    }
    return found;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> GrpcAuthClient::channel() const {
    if (auto st = stub(); !st.ok()) {  // reconnects first when the channel is gone
        return st.status();
    }
    std::shared_lock lock(mu_);
    if (!channel_) {
        return absl::UnavailableError("reconnecting to the Teleport Auth Service");
    }
    return channel_;
}

absl::StatusOr<std::shared_ptr<::teleport::users::v1::UsersService::Stub>> GrpcAuthClient::usersStub() const {
    auto ch = channel();
    if (!ch.ok()) {
        return ch.status();
    }
    return std::shared_ptr<::teleport::users::v1::UsersService::Stub>(::teleport::users::v1::UsersService::NewStub(*ch));
}

absl::StatusOr<std::vector<std::string>> GrpcAuthClient::usersWithTrait(const std::string& trait,
                                                                        const std::string& value) {
    std::vector<std::string> out;
    ::teleport::users::v1::ListUsersRequest req;
    req.set_page_size(500);
    auto usersOr = usersStub();
    if (!usersOr.ok()) {
        return usersOr.status();
    }
    auto users = *usersOr;
    for (int page = 0; page < 1000; ++page) {
        ++calls_.listUsers;
        grpc::ClientContext ctx;
        prepareContext(ctx, CallTimeout, true);
        ::teleport::users::v1::ListUsersResponse resp;
        if (auto s = users->ListUsers(&ctx, req, &resp); !s.ok()) {
            return fromGrpc(s, "list users");
        }
        for (const auto& u : resp.users()) {
            const auto& traits = u.spec().traits().values();
            auto it = traits.find(trait);
            if (it == traits.end()) {
                continue;
            }
            for (const auto& v : it->second.values()) {
                if (v == value) {
                    out.push_back(u.metadata().name());
                    break;
                }
            }
        }
        if (resp.next_page_token().empty()) {
            break;
        }
        req.set_page_token(resp.next_page_token());
    }
    return out;
}

absl::StatusOr<std::optional<UserTraits>> GrpcAuthClient::getUser(const std::string& name) {
    ++calls_.getUser;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout, true);
    ::teleport::users::v1::GetUserRequest req;
    req.set_name(name);
    ::teleport::users::v1::GetUserResponse resp;
    auto users = usersStub();
    if (!users.ok()) {
        return users.status();
    }
    auto s = (*users)->GetUser(&ctx, req, &resp);
    if (s.error_code() == grpc::NOT_FOUND) {
        return std::optional<UserTraits>();
    }
    if (!s.ok()) {
        return fromGrpc(s, "read user");
    }
    UserTraits traits;
    for (const auto& [key, values] : resp.user().spec().traits().values()) {
        traits[key].assign(values.values().begin(), values.values().end());
    }
    return std::optional<UserTraits>(std::move(traits));
}

absl::StatusOr<types::AccessRequestV3> GrpcAuthClient::submitReview(const types::AccessReviewSubmission& submission) {
    ++calls_.submitReview;
    grpc::ClientContext ctx;
    prepareContext(ctx, CallTimeout, false);  // a person is waiting: fail fast when Auth is away
    types::AccessRequestV3 resp;
    auto st = stub();
    if (!st.ok()) {
        return st.status();
    }
    if (auto s = (*st)->SubmitAccessReview(&ctx, submission, &resp); !s.ok()) {
        return fromGrpc(s, "submit access review");
    }
    return resp;
}

}  // namespace tmsteams::teleport

// AuthClient over grpc++.
#include "teleport/grpc_auth_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/log.h"
#include "teleport/alpn_tunnel.h"
#include "teleport/auth_route.h"
#include "teleport/grpc_channel.h"

namespace tmsteams::teleport {

namespace {
constexpr std::chrono::seconds CallTimeout{15};
constexpr std::chrono::milliseconds DialTimeout{5000};  // each step of reaching Auth through a Proxy
constexpr std::chrono::seconds RedialAfter{1};  // after a failed dial
constexpr const char* KindAccessRequest = "access_request";

class GrpcWatchStream final : public WatchStream {
public:
    explicit GrpcWatchStream(std::shared_ptr<proto::AuthService::Stub> stub) : stub_(std::move(stub)) {
        prepareContext(ctx_, std::chrono::milliseconds(0), true);
        proto::Watch w;
        w.add_kinds()->set_kind(KindAccessRequest);
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

GrpcAuthClient::GrpcAuthClient(const std::string& addr, const TlsCredentials& creds, std::string pluginName,
                               std::optional<bool> tlsRouting)
    : tlsRouting_(tlsRouting), addr_(addr), creds_(creds), plugin_(std::move(pluginName)) {
    install(dial(addr_, creds_, tlsRouting_), generation_);
}

GrpcAuthClient::Dialed GrpcAuthClient::dial(const std::string& addr, const TlsCredentials& creds,
                                            std::optional<bool> tlsRouting) const {
    Dialed d;
    auto route = planAuthRoute(addr, creds, tlsRouting, DialTimeout);
    if (!route.ok()) {
        d.error = route.status();
        return d;
    }
    d.route = route->describe();
    d.proxyCluster = route->proxyCluster;
    d.direct = route->kind == AuthRoute::Kind::Direct;
    if (d.direct) {
        d.channel = makeAuthChannel(addr, creds);
    } else {
        auto ch = dialAuthThroughProxy(addr, creds, route->cluster, route->kind == AuthRoute::Kind::ProxyUpgraded,
                                       DialTimeout);
        if (!ch.ok()) {
            d.error = ch.status();  // kept and reported by every call until a dial succeeds
            return d;
        }
        d.channel = *ch;
    }
    return d;
}

void GrpcAuthClient::install(Dialed d, uint64_t generation) const {
    std::unique_lock lock(mu_);
    if (generation != generation_) {
        return;  // reconnect() changed the address or credentials meanwhile: that dial wins
    }
    lastDial_ = std::chrono::steady_clock::now();
    if (!d.error.ok()) {
        dialError_ = d.error;
        return;
    }
    if (d.route != routeText_) {
        routeText_ = d.route;
        common::logInfo("reaching the Auth Service", {{"addr", addr_}, {"route", routeText_},
                                                      {"proxy_cluster", d.proxyCluster}});
    }
    dialError_ = absl::OkStatus();
    direct_ = d.direct;
    channel_ = d.channel;
    stub_ = proto::AuthService::NewStub(channel_);
}

void GrpcAuthClient::reconnect(const std::string& addr, const TlsCredentials& creds) {
    uint64_t generation = 0;
    {
        std::unique_lock lock(mu_);
        addr_ = addr;
        creds_ = creds;
        generation = ++generation_;
    }
    install(dial(addr, creds, tlsRouting_), generation);
}

bool GrpcAuthClient::usableLocked() const {
    if (!stub_) {
        return false;
    }
    if (direct_) {
        return true;  // grpc++ reconnects by itself
    }
    auto state = channel_->GetState(false);
    return state != GRPC_CHANNEL_TRANSIENT_FAILURE && state != GRPC_CHANNEL_SHUTDOWN;
}

absl::StatusOr<std::shared_ptr<proto::AuthService::Stub>> GrpcAuthClient::stub() const {
    std::string addr;
    TlsCredentials creds;
    uint64_t generation = 0;
    {
        std::shared_lock lock(mu_);
        if (usableLocked()) {
            return stub_;
        }
        // After a failed dial, calls get its error at once for a while instead of dialling again.
        if (!dialError_.ok() && std::chrono::steady_clock::now() - lastDial_ < RedialAfter) {
            return dialError_;
        }
        addr = addr_;
        creds = creds_;
        generation = generation_;
    }
    // A tunnelled connection does not come back by itself: one caller dials (no lock held while
    // it does); the others get the last error meanwhile.
    if (dialing_.exchange(true)) {
        std::shared_lock lock(mu_);
        return dialError_.ok() ? absl::UnavailableError("reconnecting to the Teleport Auth Service") : dialError_;
    }
    install(dial(addr, creds, tlsRouting_), generation);
    dialing_ = false;
    std::shared_lock lock(mu_);
    if (!stub_ || !dialError_.ok()) {
        return dialError_.ok() ? absl::UnavailableError("reconnecting to the Teleport Auth Service") : dialError_;
    }
    return stub_;
}

absl::StatusOr<proto::PingResponse> GrpcAuthClient::ping() {
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

std::unique_ptr<WatchStream> GrpcAuthClient::watchAccessRequests() {
    auto st = stub();
    if (!st.ok()) {
        return std::make_unique<FailedWatchStream>(st.status());
    }
    return std::make_unique<GrpcWatchStream>(*st);
}

absl::StatusOr<std::optional<PluginDataMap>> GrpcAuthClient::getPluginData(const std::string& requestId) {
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
    req.set_limit(500);
    for (;;) {
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

absl::StatusOr<std::shared_ptr<::teleport::users::v1::UsersService::Stub>> GrpcAuthClient::usersStub() const {
    if (auto st = stub(); !st.ok()) {  // reconnects first when the channel is gone
        return st.status();
    }
    std::shared_lock lock(mu_);
    if (!channel_) {
        return absl::UnavailableError("reconnecting to the Teleport Auth Service");
    }
    return std::shared_ptr<::teleport::users::v1::UsersService::Stub>(
        ::teleport::users::v1::UsersService::NewStub(channel_));
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

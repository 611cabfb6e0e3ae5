// fake-tctl: a tctl-shaped CLI that drives access requests over gRPC with an admin identity.
// Works against fake-teleport-auth and, for the AuthService RPCs, a real cluster.
#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "args.h"
#include "authservice.grpc.pb.h"
#include "common/duration.h"
#include "fake_control.grpc.pb.h"
#include "teleport/grpc_channel.h"
#include "teleport/identity_file.h"
#include "teleport/proto_time.h"

using namespace tmsteams;
using namespace faketctl;

namespace {

const char* Usage = R"(usage: fake-tctl [--auth ADDR] [--identity FILE] COMMAND ...

  --auth ADDR       Auth Service address (or $TELEPORT_AUTH_SERVER; default 127.0.0.1:3025)
  --identity FILE   identity file (or $TELEPORT_IDENTITY_FILE)
  --timeout DUR     per-call deadline (default 10s)

commands:
  ping
  request create USER --roles R1,R2 [--reason TEXT] [--reviewers A,B] [--ttl DUR]
                 [--access-ttl DUR] [--resource /CLUSTER/KIND/NAME]... [--approvals N] [--long-term]
                                    prints the new ID
  request ls [--state pending|approved|denied|promoted] [--user USER]
  request get ID                    the request as JSON
  request approve ID [--reason TEXT]
  request deny ID [--reason TEXT]
  request review ID --author USER (--approve|--deny) [--reason TEXT]
  request promote ID --list NAME [--author USER] [--reason TEXT]
  request rm ID
  plugindata get ID [--plugin NAME]          the entries as JSON
  plugindata set ID --plugin NAME KEY=VALUE... [--expect KEY=VALUE]...
  watch [--count N] [--for DUR]     prints one line per event
  rule create NAME --condition EXPR --recipients A,B [--notification msteams]
              [--subjects access_request] [--schedule WEEKDAY=HH:MM-HH:MM[@ZONE]]...
                                    an access monitoring rule (Teleport's rules, routing cards)
  rule ls                           every rule, as JSON
  rule rm NAME
  fake close-watchers [--unavailable]
  fake refuse SECONDS
  fake delay MS
  fake fail-updates N
  fake expire ID
  fake stats
)";

Args parse(int argc, char** argv) {
    static const std::vector<std::string> boolean = {"--approve", "--deny", "--unavailable", "--long-term", "-h",
                                                     "--help"};
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string w = argv[i];
        if (w.size() > 1 && w[0] == '-') {
            bool isBool = std::find(boolean.begin(), boolean.end(), w) != boolean.end();
            if (isBool) {
                a.flags.emplace(w, "");
            } else {
                if (i + 1 >= argc) {
                    die(w + " needs a value", 2);
                }
                a.flags.emplace(w, argv[++i]);
            }
        } else {
            a.words.push_back(w);
        }
    }
    return a;
}

std::chrono::nanoseconds durationFlag(const Args& a, const std::string& f, const std::string& def) {
    auto d = common::parseGoDuration(a.get(f, def));
    if (!d) {
        die(f + ": not a duration: " + a.get(f, def), 2);
    }
    return *d;
}

std::string toJson(const google::protobuf::Message& m) {
    std::string out;
    google::protobuf::util::JsonPrintOptions opts;
    opts.add_whitespace = true;
    opts.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
    return out;
}

void check(const grpc::Status& s, const std::string& what) {
    if (!s.ok()) {
        die(what + ": " + std::to_string(s.error_code()) + " " + s.error_message());
    }
}

types::RequestState parseState(const std::string& s) {
    std::string u;
    for (char c : s) {
        u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    types::RequestState st;
    if (!types::RequestState_Parse(u, &st)) {
        die("unknown state " + s, 2);
    }
    return st;
}

struct Client {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<proto::AuthService::Stub> auth;
    std::unique_ptr<teleportfake::FakeControl::Stub> control;
    std::chrono::milliseconds timeout;

    void prepare(grpc::ClientContext& ctx) const { tmsteams::teleport::prepareContext(ctx, timeout); }
};

int cmdRequest(const Client& c, const Args& a) {
    if (a.words.size() < 2) {
        die("request needs a subcommand", 2);
    }
    const std::string& sub = a.words[1];
    auto needId = [&]() -> std::string {
        if (a.words.size() < 3) {
            die("request " + sub + " needs an ID", 2);
        }
        return a.words[2];
    };
    grpc::ClientContext ctx;
    c.prepare(ctx);
    google::protobuf::Empty empty;
    if (sub == "create") {
        if (a.words.size() < 3) {
            die("request create needs a USER", 2);
        }
        types::AccessRequestV3 req;
        req.set_kind("access_request");
        req.set_version("v3");
        auto* spec = req.mutable_spec();
        spec->set_user(a.words[2]);
        for (const auto& r : splitCsv(a.get("--roles"))) {
            spec->add_roles(r);
        }
        spec->set_requestreason(a.get("--reason"));
        for (const auto& r : splitCsv(a.get("--reviewers"))) {
            spec->add_suggestedreviewers(r);
        }
        for (const auto& res : a.all("--resource")) {
            const auto seg = splitOn(std::string(res), '/');
            if (seg.size() < 3) {
                die("--resource wants /CLUSTER/KIND/NAME", 2);
            }
            auto* id = spec->add_requestedresourceids();
            id->set_clustername(seg[0]);
            id->set_kind(seg[1]);
            id->set_name(seg[2]);
            if (seg.size() > 3) {
                id->set_subresourcename(seg[3]);
            }
        }
        if (a.has("--long-term")) {
            spec->set_requestkind(types::LONG_TERM);  // as the web UI's "Permanent" tab creates it
        }
        if (a.has("--approvals")) {
            auto* t = spec->add_thresholds();
            t->set_name("fake-tctl");
            t->set_approve(static_cast<uint32_t>(std::stoul(a.get("--approvals"))));
            t->set_deny(1);
        }
        auto now = std::chrono::system_clock::now();
        auto ttl = durationFlag(a, "--ttl", "1h");
        tmsteams::teleport::toProtoTime(now + std::chrono::duration_cast<std::chrono::system_clock::duration>(ttl),
                              req.mutable_metadata()->mutable_expires());
        if (a.has("--access-ttl")) {
            auto access = durationFlag(a, "--access-ttl", "1h");
            tmsteams::teleport::toProtoTime(
                now + std::chrono::duration_cast<std::chrono::system_clock::duration>(access),
                spec->mutable_expires());
        } else {
            tmsteams::teleport::toProtoTime(std::nullopt, spec->mutable_expires());
        }
        types::AccessRequestV3 created;
        check(c.auth->CreateAccessRequestV2(&ctx, req, &created), "create");
        std::cout << created.metadata().name() << "\n";
    } else if (sub == "ls") {
        types::AccessRequestFilter f;
        if (a.has("--state")) {
            f.set_state(parseState(a.get("--state")));
        }
        f.set_user(a.get("--user"));
        auto reader = c.auth->GetAccessRequestsV2(&ctx, f);
        types::AccessRequestV3 r;
        while (reader->Read(&r)) {
            std::string roles;
            for (const auto& role : r.spec().roles()) {
                roles += (roles.empty() ? "" : ",") + role;
            }
            std::cout << r.metadata().name() << "\t" << r.spec().user() << "\t" << roles << "\t"
                      << types::RequestState_Name(r.spec().state()) << "\t"
                      << r.spec().reviews_size() << " reviews\n";
        }
        check(reader->Finish(), "list");
    } else if (sub == "get") {
        types::AccessRequestFilter f;
        f.set_id(needId());
        auto reader = c.auth->GetAccessRequestsV2(&ctx, f);
        types::AccessRequestV3 r;
        bool found = false;
        while (reader->Read(&r)) {
            std::cout << toJson(r);
            found = true;
        }
        check(reader->Finish(), "get");
        if (!found) {
            die("access request " + f.id() + " not found");
        }
    } else if (sub == "approve" || sub == "deny") {
        proto::RequestStateSetter s;
        s.set_id(needId());
        s.set_state(sub == "approve" ? types::APPROVED : types::DENIED);
        s.set_reason(a.get("--reason"));
        check(c.auth->SetAccessRequestState(&ctx, s, &empty), sub);
        std::cout << s.id() << " " << types::RequestState_Name(s.state()) << "\n";
    } else if (sub == "review" || sub == "promote") {
        types::AccessReviewSubmission s;
        s.set_requestid(needId());
        auto* rev = s.mutable_review();
        rev->set_author(a.get("--author", sub == "promote" ? "admin" : ""));
        if (rev->author().empty()) {
            die("request review needs --author", 2);
        }
        rev->set_reason(a.get("--reason"));
        if (sub == "promote") {
            if (!a.has("--list")) {
                die("request promote needs --list NAME", 2);
            }
            rev->set_proposedstate(types::PROMOTED);
            rev->mutable_accesslist()->set_name(a.get("--list"));
            rev->mutable_accesslist()->set_title(a.get("--list"));
        } else if (a.has("--approve") == a.has("--deny")) {
            die("request review needs exactly one of --approve and --deny", 2);
        } else {
            rev->set_proposedstate(a.has("--approve") ? types::APPROVED : types::DENIED);
        }
        tmsteams::teleport::toProtoTime(std::chrono::system_clock::now(), rev->mutable_created());
        types::AccessRequestV3 after;
        check(c.auth->SubmitAccessReview(&ctx, s, &after), sub);
        std::cout << s.requestid() << " " << types::RequestState_Name(after.spec().state()) << "\n";
    } else if (sub == "rm") {
        proto::RequestID id;
        id.set_id(needId());
        check(c.auth->DeleteAccessRequest(&ctx, id, &empty), "rm");
        std::cout << id.id() << " deleted\n";
    } else {
        die("unknown request subcommand " + sub, 2);
    }
    return 0;
}

int cmdPluginData(const Client& c, const Args& a) {
    if (a.words.size() < 3) {
        die("plugindata needs get|set and an ID", 2);
    }
    grpc::ClientContext ctx;
    c.prepare(ctx);
    if (a.words[1] == "get") {
        types::PluginDataFilter f;
        f.set_kind("access_request");
        f.set_resource(a.words[2]);
        f.set_plugin(a.get("--plugin"));
        proto::PluginDataSeq seq;
        check(c.auth->GetPluginData(&ctx, f, &seq), "plugindata get");
        types::PluginDataSpecV3 spec;
        for (const auto& pd : seq.plugindata()) {
            spec = pd.spec();
        }
        std::cout << toJson(spec);
        return 0;
    }
    if (a.words[1] == "set") {
        types::PluginDataUpdateParams p;
        p.set_kind("access_request");
        p.set_resource(a.words[2]);
        p.set_plugin(a.get("--plugin"));
        for (size_t i = 3; i < a.words.size(); ++i) {
            auto eq = a.words[i].find('=');
            if (eq == std::string::npos) {
                die("plugindata set wants KEY=VALUE, got " + a.words[i], 2);
            }
            (*p.mutable_set())[a.words[i].substr(0, eq)] = a.words[i].substr(eq + 1);
        }
        for (const auto& e : a.all("--expect")) {
            auto eq = e.find('=');
            if (eq == std::string::npos) {
                die("--expect wants KEY=VALUE", 2);
            }
            (*p.mutable_expect())[e.substr(0, eq)] = e.substr(eq + 1);
        }
        google::protobuf::Empty empty;
        check(c.auth->UpdatePluginData(&ctx, p, &empty), "plugindata set");
        std::cout << "ok\n";
        return 0;
    }
    die("unknown plugindata subcommand " + a.words[1], 2);
}

int cmdWatch(const Client& c, const Args& a) {
    grpc::ClientContext ctx;
    auto limit = durationFlag(a, "--for", "0");
    tmsteams::teleport::prepareContext(ctx, std::chrono::duration_cast<std::chrono::milliseconds>(limit));
    long count = std::stol(a.get("--count", "0"));
    proto::Watch w;
    w.add_kinds()->set_kind("access_request");
    auto reader = c.auth->WatchEvents(&ctx, w);
    proto::Event ev;
    long seen = 0;
    while (reader->Read(&ev)) {
        if (ev.type() == proto::INIT) {
            std::cout << "INIT" << std::endl;
        } else if (ev.type() == proto::PUT && ev.has_accessrequest()) {
            const auto& r = ev.accessrequest();
            std::cout << "PUT " << r.metadata().name() << " "
                      << types::RequestState_Name(r.spec().state())
                      << " reviews=" << r.spec().reviews_size() << std::endl;
        } else if (ev.type() == proto::DELETE && ev.has_resourceheader()) {
            std::cout << "DELETE " << ev.resourceheader().metadata().name() << std::endl;
        } else {
            std::cout << "EVENT " << proto::Operation_Name(ev.type()) << std::endl;
        }
        if (count > 0 && ++seen >= count) {
            ctx.TryCancel();
            break;
        }
    }
    auto s = reader->Finish();
    if (s.error_code() == grpc::DEADLINE_EXCEEDED || s.error_code() == grpc::CANCELLED) {
        return 0;
    }
    std::cout << "END " << s.error_code() << " " << s.error_message() << std::endl;
    return s.ok() ? 0 : 1;
}

int cmdFake(const Client& c, const Args& a) {
    if (a.words.size() < 2) {
        die("fake needs a subcommand", 2);
    }
    const std::string& sub = a.words[1];
    auto arg = [&]() -> std::string {
        if (a.words.size() < 3) {
            die("fake " + sub + " needs an argument", 2);
        }
        return a.words[2];
    };
    grpc::ClientContext ctx;
    c.prepare(ctx);
    google::protobuf::Empty empty;
    if (sub == "close-watchers") {
        teleportfake::CloseWatchersRequest r;
        r.set_unavailable(a.has("--unavailable"));
        check(c.control->CloseWatchers(&ctx, r, &empty), sub);
    } else if (sub == "refuse") {
        teleportfake::RefuseConnectionsRequest r;
        r.set_seconds(static_cast<uint32_t>(std::stoul(arg())));
        check(c.control->RefuseConnections(&ctx, r, &empty), sub);
    } else if (sub == "delay") {
        teleportfake::DelayRequest r;
        r.set_milliseconds(static_cast<uint32_t>(std::stoul(arg())));
        check(c.control->SetDelay(&ctx, r, &empty), sub);
    } else if (sub == "fail-updates") {
        teleportfake::FailUpdatesRequest r;
        r.set_count(static_cast<uint32_t>(std::stoul(arg())));
        check(c.control->FailNextUpdates(&ctx, r, &empty), sub);
    } else if (sub == "expire") {
        teleportfake::ExpireRequest r;
        r.set_id(arg());
        check(c.control->ExpireNow(&ctx, r, &empty), sub);
    } else if (sub == "stats") {
        teleportfake::StatsResponse r;
        check(c.control->Stats(&ctx, empty, &r), sub);
        std::cout << toJson(r);
        return 0;
    } else {
        die("unknown fake subcommand " + sub, 2);
    }
    std::cout << "ok\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a = parse(argc, argv);
    if (a.has("-h") || a.has("--help") || a.words.empty()) {
        std::cout << Usage;
        return a.words.empty() && !a.has("-h") && !a.has("--help") ? 2 : 0;
    }
    const char* envAuth = std::getenv("TELEPORT_AUTH_SERVER");
    const char* envIdentity = std::getenv("TELEPORT_IDENTITY_FILE");
    std::string addr = a.get("--auth", envAuth ? envAuth : "127.0.0.1:3025");
    std::string identity = a.get("--identity", envIdentity ? envIdentity : "");
    if (identity.empty()) {
        die("--identity is required", 2);
    }
    auto creds = tmsteams::teleport::loadIdentityFile(identity);
    if (!creds.ok()) {
        die(std::string(creds.status().message()));
    }
    Client c;
    c.channel = tmsteams::teleport::makeAuthChannel(addr, *creds);
    c.auth = proto::AuthService::NewStub(c.channel);
    c.control = teleportfake::FakeControl::NewStub(c.channel);
    c.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(durationFlag(a, "--timeout", "10s"));
    try {
        const std::string& cmd = a.words[0];
        if (cmd == "ping") {
            grpc::ClientContext ctx;
            c.prepare(ctx);
            proto::PingResponse resp;
            check(c.auth->Ping(&ctx, proto::PingRequest(), &resp), "ping");
            std::cout << toJson(resp);
            return 0;
        }
        if (cmd == "request") {
            return cmdRequest(c, a);
        }
        if (cmd == "plugindata") {
            return cmdPluginData(c, a);
        }
        if (cmd == "watch") {
            return cmdWatch(c, a);
        }
        if (cmd == "fake") {
            return cmdFake(c, a);
        }
        if (cmd == "rule") {
            return cmdRule(c.channel, c.timeout, a);
        }
    } catch (const std::exception& e) {
        die(std::string("bad argument: ") + e.what(), 2);
    }
    die("unknown command " + a.words[0], 2);
}

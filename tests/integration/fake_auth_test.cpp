// fake-teleport-auth as a process, driven over real mTLS by fake-tctl and a gRPC client.
#define BOOST_TEST_MODULE fake_auth
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <thread>

#include "authservice.grpc.pb.h"
#include "support/fake_auth_handle.h"
#include "teleport/grpc_channel.h"
#include "teleport/identity_file.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;

namespace {

struct Cluster {
    TempDir dir;
    FakeAuth auth{dir / "state"};

    std::unique_ptr<proto::AuthService::Stub> stub(const std::string& user = "admin") {
        auto creds = tmsteams::teleport::loadIdentityFile(auth.identity(user));
        BOOST_REQUIRE(creds.ok());
        return proto::AuthService::NewStub(tmsteams::teleport::makeAuthChannel(auth.addr(), *creds));
    }
};

// Lines a fake-tctl watcher printed so far.
std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
        out.push_back(l);
    }
    return out;
}

bool hasLine(Process& p, const std::string& line, std::chrono::milliseconds limit = 10s) {
    return eventually(
        [&] {
            auto ls = lines(p.stdoutText());
            return std::find(ls.begin(), ls.end(), line) != ls.end();
        },
        limit);
}

std::unique_ptr<Process> startWatcher(Cluster& c, const std::string& user = "admin") {
    auto w = std::make_unique<Process>(
        std::vector<std::string>{binaryPath("FAKE_TCTL"), "--auth", c.auth.addr(), "--identity",
                                 c.auth.identity(user), "watch", "--for", "60s"},
        c.dir.path());
    BOOST_REQUIRE(w->waitForLine("INIT", 10s).has_value());
    return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ping_reports_cluster_version_and_proxy) {
    Cluster c;
    auto out = c.auth.tctlOk({"ping"}, "teleport-msteams");
    BOOST_TEST(out.find("\"ClusterName\": \"fake.teleport.local\"") != std::string::npos);
    BOOST_TEST(out.find("\"ServerVersion\": \"16.4.0\"") != std::string::npos);
    BOOST_TEST(out.find("\"AdvancedAccessWorkflows\": true") != std::string::npos);
    BOOST_TEST(out.find("teleport.example.com:443") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(watcher_sees_init_then_put_for_each_change_and_delete_on_expiry) {
    Cluster c;
    auto w = startWatcher(c, "teleport-msteams");
    auto id = c.auth.tctlOk({"request", "create", "alice", "--roles", "editor", "--reason",
                             "deploy", "--reviewers", "bob@example.com"});
    BOOST_TEST(hasLine(*w, "PUT " + id + " PENDING reviews=0"));
    c.auth.tctlOk({"request", "review", id, "--author", "bob", "--approve", "--reason", "ok"});
    BOOST_TEST(hasLine(*w, "PUT " + id + " APPROVED reviews=1"));

    auto short1 = c.auth.tctlOk({"request", "create", "carol", "--roles", "db", "--ttl", "1s"});
    BOOST_TEST(hasLine(*w, "PUT " + short1 + " PENDING reviews=0"));
    BOOST_TEST(hasLine(*w, "DELETE " + short1, 5s), "no DELETE within 5 s of a 1 s TTL");

    // Events arrive in order: INIT first, then the mutations as they happened.
    auto ls = lines(w->stdoutText());
    BOOST_REQUIRE(ls.size() >= 5u);
    BOOST_TEST(ls[0] == "INIT");
    BOOST_TEST(ls[1] == "PUT " + id + " PENDING reviews=0");
    BOOST_TEST(ls[2] == "PUT " + id + " APPROVED reviews=1");
}

BOOST_AUTO_TEST_CASE(every_watcher_gets_every_event) {
    Cluster c;
    auto w1 = startWatcher(c);
    auto w2 = startWatcher(c, "teleport-msteams");
    auto id = c.auth.tctlOk({"request", "create", "alice", "--roles", "editor"});
    c.auth.tctlOk({"request", "deny", id, "--reason", "no"});
    BOOST_TEST(hasLine(*w1, "PUT " + id + " DENIED reviews=0"));
    BOOST_TEST(hasLine(*w2, "PUT " + id + " DENIED reviews=0"));
    c.auth.tctlOk({"request", "rm", id});
    BOOST_TEST(hasLine(*w1, "DELETE " + id));
    BOOST_TEST(hasLine(*w2, "DELETE " + id));
}

BOOST_AUTO_TEST_CASE(plugin_user_reads_and_updates_plugin_data_but_cannot_mutate_requests) {
    Cluster c;
    auto id = c.auth.tctlOk({"request", "create", "alice", "--roles", "editor"});
    BOOST_TEST(c.auth.tctl({"request", "ls"}, "teleport-msteams").exitCode == 0);
    BOOST_TEST(c.auth.tctl({"plugindata", "set", id, "--plugin", "msteams", "user=alice"},
                           "teleport-msteams").exitCode == 0);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"request", "create", "mallory", "--roles", "admin"},
             {"request", "approve", id},
             {"request", "review", id, "--author", "x", "--approve"},
             {"request", "rm", id},
             {"fake", "stats"}}) {
        auto r = c.auth.tctl(args, "teleport-msteams");
        BOOST_TEST(r.exitCode == 1);
        BOOST_TEST(r.err.find(": 7 access denied") != std::string::npos, r.err);
    }
}

BOOST_AUTO_TEST_CASE(cas_conflicts_surface_as_failed_precondition) {
    Cluster c;
    auto id = c.auth.tctlOk({"request", "create", "alice", "--roles", "editor"});
    c.auth.tctlOk({"plugindata", "set", id, "--plugin", "msteams", "user=alice", "messages=m1",
                   "--expect", "user=", "--expect", "messages="});
    auto conflict = c.auth.tctl({"plugindata", "set", id, "--plugin", "msteams", "user=bob",
                                 "--expect", "user="});
    BOOST_TEST(conflict.exitCode == 1);
    BOOST_TEST(conflict.err.find(": 9 expectations not met for field \"user\"") != std::string::npos,
               conflict.err);
    c.auth.tctlOk({"plugindata", "set", id, "--plugin", "msteams", "messages=", "--expect",
                   "user=alice"});
    auto data = c.auth.tctlOk({"plugindata", "get", id, "--plugin", "msteams"});
    BOOST_TEST(data.find("\"user\": \"alice\"") != std::string::npos);
    BOOST_TEST(data.find("messages") == std::string::npos);

    auto missing = c.auth.tctl({"plugindata", "set", "no-such-request", "--plugin", "msteams", "a=b"});
    BOOST_TEST(missing.err.find(": 5 ") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_CASE(list_access_requests_pages_and_filters) {
    Cluster c;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(c.auth.tctlOk({"request", "create", i % 2 ? "bob" : "alice", "--roles", "r"}));
    }
    c.auth.tctlOk({"request", "approve", ids[0]});
    auto stub = c.stub("teleport-msteams");
    proto::ListAccessRequestsRequest req;
    req.set_limit(2);
    req.mutable_filter()->set_state(types::PENDING);
    std::vector<std::string> seen;
    for (int page = 0; page < 10; ++page) {
        grpc::ClientContext ctx;
        tmsteams::teleport::prepareContext(ctx, 5s);
        proto::ListAccessRequestsResponse resp;
        auto s = stub->ListAccessRequests(&ctx, req, &resp);
        BOOST_REQUIRE_MESSAGE(s.ok(), s.error_message());
        BOOST_TEST(resp.accessrequests_size() <= 2);
        for (const auto& r : resp.accessrequests()) {
            seen.push_back(r.metadata().name());
        }
        if (resp.nextkey().empty()) {
            break;
        }
        req.set_startkey(resp.nextkey());
    }
    BOOST_TEST(seen == std::vector<std::string>(ids.begin() + 1, ids.end()));
}

BOOST_AUTO_TEST_CASE(client_certificate_from_another_ca_is_refused) {
    Cluster c;
    TempDir other;
    auto init = runCommand({binaryPath("FAKE_TELEPORT_AUTH"), "--state-dir", other / "state",
                            "--init-only"});
    BOOST_REQUIRE(init.exitCode == 0);
    auto creds = tmsteams::teleport::loadIdentityFile(other / "state/admin");
    BOOST_REQUIRE(creds.ok());
    // Trust the real server, present the foreign client certificate.
    auto real = tmsteams::teleport::loadIdentityFile(c.auth.identity());
    creds->caPems = real->caPems;
    auto stub = proto::AuthService::NewStub(tmsteams::teleport::makeAuthChannel(c.auth.addr(), *creds));
    grpc::ClientContext ctx;
    tmsteams::teleport::prepareContext(ctx, 5s);
    proto::PingResponse resp;
    auto s = stub->Ping(&ctx, proto::PingRequest(), &resp);
    BOOST_TEST(!s.ok());
    BOOST_TEST(s.error_code() == grpc::UNAVAILABLE, s.error_message());
    BOOST_TEST(resp.clustername().empty());
}

BOOST_AUTO_TEST_CASE(expired_client_certificate_is_refused) {
    TempDir dir;
    FakeAuth auth(dir / "state", {"--user", "admin=admin", "--user", "old=admin",
                                  "--client-cert-ttl", "-3600"});
    auto r = auth.tctl({"ping"}, "old");
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("ping: 14") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(state_survives_kill_9_and_restart) {
    Cluster c;
    auto id = c.auth.tctlOk({"request", "create", "alice", "--roles", "editor", "--reason", "x"});
    c.auth.tctlOk({"request", "review", id, "--author", "bob", "--approve"});
    c.auth.tctlOk({"plugindata", "set", id, "--plugin", "msteams", "user=alice"});
    auto before = c.auth.addr();
    c.auth.kill9();
    BOOST_TEST(c.auth.tctl({"ping"}).exitCode != 0);
    c.auth.restart();
    BOOST_TEST(c.auth.addr() == before);
    auto ls = c.auth.tctlOk({"request", "ls"});
    BOOST_TEST(ls.find(id + "\talice\teditor\tAPPROVED\t1 reviews") != std::string::npos, ls);
    auto data = c.auth.tctlOk({"plugindata", "get", id, "--plugin", "msteams"});
    BOOST_TEST(data.find("\"user\": \"alice\"") != std::string::npos);
    // Old identities keep working: the CA was kept.
    BOOST_TEST(c.auth.tctl({"ping"}, "teleport-msteams").exitCode == 0);
}

BOOST_AUTO_TEST_CASE(close_watchers_ends_streams_with_the_chosen_status) {
    Cluster c;
    auto w = startWatcher(c);
    c.auth.tctlOk({"fake", "close-watchers", "--unavailable"});
    BOOST_TEST(w->waitForLine("END 14", 5s).has_value());
    auto w2 = startWatcher(c);
    c.auth.tctlOk({"fake", "close-watchers"});
    BOOST_TEST(w2->waitForLine("END 0", 5s).has_value());
}

BOOST_AUTO_TEST_CASE(refuse_connections_then_listen_again_on_the_same_port) {
    Cluster c;
    auto w = startWatcher(c);
    c.auth.tctlOk({"fake", "refuse", "2"});
    BOOST_TEST(w->waitForLine("END 14", 5s).has_value());
    auto start = std::chrono::steady_clock::now();
    auto during = c.auth.tctl({"--timeout", "500ms", "ping"});
    BOOST_TEST(during.exitCode == 1);
    BOOST_TEST(eventually([&] { return c.auth.tctl({"--timeout", "1s", "ping"}).exitCode == 0; }, 10s));
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 1500ms));
}

BOOST_AUTO_TEST_CASE(fail_updates_and_delay_faults) {
    Cluster c;
    auto id = c.auth.tctlOk({"request", "create", "alice", "--roles", "editor"});
    c.auth.tctlOk({"fake", "fail-updates", "2"});
    for (int i = 0; i < 2; ++i) {
        auto r = c.auth.tctl({"plugindata", "set", id, "--plugin", "msteams", "user=a"});
        BOOST_TEST(r.err.find(": 9 ") != std::string::npos, r.err);
    }
    BOOST_TEST(c.auth.tctl({"plugindata", "set", id, "--plugin", "msteams", "user=a"}).exitCode == 0);

    c.auth.tctlOk({"fake", "delay", "400"});
    auto start = std::chrono::steady_clock::now();
    c.auth.tctlOk({"ping"});
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 400ms));
    c.auth.tctlOk({"fake", "delay", "0"});

    c.auth.tctlOk({"fake", "expire", id});
    BOOST_TEST(c.auth.tctlOk({"request", "ls"}).find(id) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_cleanly) {
    Cluster c;
    c.auth.process().signal(SIGTERM);
    BOOST_TEST(c.auth.process().wait(5s).value_or(-1) == 0);
}

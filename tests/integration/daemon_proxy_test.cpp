// Reaching Teleport through its Proxy, as Teleport's own client does: the daemon asks the Proxy
// (GET /webapi/find) whether TLS routing is on, routes by ALPN to the Auth Service of the cluster
// that issued its identity, and upgrades the connection when a load balancer terminates TLS.
#define BOOST_TEST_MODULE daemon_proxy
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;

namespace {

const std::string RoutedAlpn = "teleport-auth@66616b652e74656c65706f72742e6c6f63616c.teleport.cluster.local";  // hex("fake.teleport.local")

PluginEnv::Options behindProxy(std::vector<std::string> extra = {}) {
    PluginEnv::Options o;
    o.authArgs = {"--proxy-listen", "127.0.0.1:0"};
    o.authArgs.insert(o.authArgs.end(), extra.begin(), extra.end());
    return o;
}

// The config names the Proxy's web address only, as Teleport Cloud users write it.
void pointAtProxy(PluginEnv& env, const std::string& addr = "") {
    std::ifstream in(env.configPath());
    std::string text(std::istreambuf_iterator<char>(in), {});
    text = std::regex_replace(text, std::regex("\naddr = \"[^\"]*\""),
                              "\naddr = \"" + (addr.empty() ? env.auth().proxyAddr() : addr) + "\"");
    std::ofstream(env.configPath()) << text;
}

// The Proxy's certificate is a public CA's; the daemon trusts it through the system store.
std::map<std::string, std::string> trustingTheProxy(PluginEnv& env) {
    return {{"SSL_CERT_FILE", env.auth().stateDir() + "/web/ca.crt"}};
}

CommandResult runDaemonOnce(PluginEnv& env, const std::map<std::string, std::string>& vars) {
    return runCommand({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", env.configPath()}, 60s, vars);
}

}  // namespace

BOOST_AUTO_TEST_CASE(notifications_flow_through_a_proxy_found_by_asking_it) {
    PluginEnv env(behindProxy());
    BOOST_REQUIRE(!env.auth().proxyAddr().empty());
    pointAtProxy(env);
    auto& d = env.startDaemon("", trustingTheProxy(env));
    BOOST_TEST(d.stderrText().find("route=\"through the proxy with TLS routing, cluster fake.teleport.local\"") !=
               std::string::npos, d.stderrText());
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "approve", id});
    BOOST_TEST(env.waitForCards(id, 1, "APPROVED"));
    auto log = env.auth().process().stderrText();
    BOOST_TEST(log.find("request=\"GET /webapi/find HTTP/1.0\"") != std::string::npos, log);
    BOOST_TEST(log.find("alpn=" + RoutedAlpn + ",h2") != std::string::npos);
    BOOST_TEST(log.find("sni=teleport.cluster.local") != std::string::npos);
    BOOST_TEST(log.find("routed_to_auth=yes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(behind_a_tls_terminating_load_balancer_the_connection_is_upgraded) {
    PluginEnv env(behindProxy({"--proxy-behind-l7-lb"}));
    pointAtProxy(env);
    auto& d = env.startDaemon("", trustingTheProxy(env));
    BOOST_TEST(d.stderrText().find("over an upgraded connection") != std::string::npos, d.stderrText());
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "deny", id});
    BOOST_TEST(env.waitForCards(id, 1, "DENIED"));
    auto log = env.auth().process().stderrText();
    BOOST_TEST(log.find("GET /webapi/connectionupgrade") != std::string::npos, log);
    BOOST_TEST(log.find("proxy upgraded connection alpn=" + RoutedAlpn + " routed_to_auth=yes") != std::string::npos, log);
    BOOST_TEST(log.find("terminated_by=\"load balancer\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_leaf_clusters_ca_listed_first_does_not_choose_the_cluster) {
    PluginEnv env(behindProxy({"--leaf-ca-first", "leaf.example.com"}));
    pointAtProxy(env);
    env.startDaemon("", trustingTheProxy(env));
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
    auto log = env.auth().process().stderrText();
    BOOST_TEST(log.find("alpn=" + RoutedAlpn) != std::string::npos, log);
    BOOST_TEST(log.find("a cluster this proxy does not serve") == std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(validate_reaches_auth_through_the_proxy_like_start) {
    PluginEnv env(behindProxy({"--proxy-behind-l7-lb"}));
    pointAtProxy(env);
    auto r = runCommand({binaryPath("TELEPORT_MSTEAMS"), "validate", "-c", env.configPath(), AliceMail}, 90s,
                        trustingTheProxy(env));
    BOOST_TEST(r.out.find("Teleport Auth Service " + env.auth().proxyAddr() + " reachable: ok") != std::string::npos,
               r.out + r.err);
    BOOST_TEST(r.out.find("watch access requests: ok") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(failures_through_a_proxy_name_their_real_cause_at_once) {
    PluginEnv env(behindProxy({"--proxy-without-tls-routing"}));
    // A Proxy without TLS routing cannot carry the connection.
    pointAtProxy(env);
    auto start = std::chrono::steady_clock::now();
    auto r = runDaemonOnce(env, trustingTheProxy(env));
    BOOST_TEST(r.exitCode != 0);
    BOOST_TEST(r.err.find("does not have TLS routing on") != std::string::npos, r.err);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 20s));
    // The Proxy's certificate not trusted (no SSL_CERT_FILE): said so, not "connection refused".
    r = runDaemonOnce(env, {});
    BOOST_TEST(r.exitCode != 0);
    BOOST_TEST(r.err.find("is not trusted") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("127.0.0.1:1") == std::string::npos, r.err);
    // The SSH tunnel port: refused at start with the fix.
    pointAtProxy(env, "127.0.0.1:3024");
    r = runDaemonOnce(env, {});
    BOOST_TEST(r.exitCode != 0);
    BOOST_TEST(r.err.find("the Proxy's SSH port (3023/3024)") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(the_tunnel_is_rebuilt_after_auth_restarts) {
    PluginEnv env(behindProxy());
    pointAtProxy(env);
    env.startDaemon("", trustingTheProxy(env));
    auto a = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(a, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForRecorded(a, 1));
    // Auth restarts (the proxy with it, on the same ports): the daemon dials through again.
    auto proxy = env.auth().proxyAddr();
    env.auth().kill9();
    env.auth().restart();
    BOOST_REQUIRE(env.auth().proxyAddr() == proxy);
    auto b = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(b, 1, "PENDING", 40s));
    env.auth().tctlOk({"request", "deny", a});
    BOOST_TEST(env.waitForCards(a, 1, "DENIED", 40s));
}

BOOST_AUTO_TEST_CASE(a_plain_h2_client_is_not_routed_to_auth) {
    PluginEnv env(behindProxy());
    // fake-tctl speaks plain gRPC over TLS (ALPN h2 only): the proxy must not hand it to Auth.
    auto r = runCommand({binaryPath("FAKE_TCTL"), "--auth", env.auth().proxyAddr(), "--identity",
                         env.auth().identity(), "--timeout", "3s", "ping"});
    BOOST_TEST(r.exitCode != 0);
    BOOST_TEST(env.auth().process().waitForStderr("routed_to_auth=no"));
}

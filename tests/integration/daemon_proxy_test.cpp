// Reaching Teleport through its Proxy with TLS routing, as Teleport Cloud requires.
#define BOOST_TEST_MODULE daemon_proxy
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;

namespace {
void pointAtProxy(PluginEnv& env) {
    std::ifstream in(env.configPath());
    std::string text(std::istreambuf_iterator<char>(in), {});
    text = std::regex_replace(text, std::regex("addr = \"" + env.auth().addr() + "\""),
                              "addr = \"" + env.auth().proxyAddr() + "\"\ntls_routing = true");
    std::ofstream(env.configPath()) << text;
}
}  // namespace

BOOST_AUTO_TEST_CASE(notifications_flow_through_the_proxy) {
    PluginEnv::Options o;
    o.authArgs = {"--proxy-listen", "127.0.0.1:0"};
    PluginEnv env(o);
    BOOST_REQUIRE(!env.auth().proxyAddr().empty());
    pointAtProxy(env);
    auto& d = env.startDaemon();
    BOOST_TEST(d.stderrText().find("through the proxy with TLS routing") != std::string::npos);
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "approve", id});
    BOOST_TEST(env.waitForCards(id, 1, "APPROVED"));
    // The proxy routed by ALPN to Auth: the hex of "fake.teleport.local".
    auto log = env.auth().process().stderrText();
    BOOST_TEST(log.find("alpn=teleport-auth@66616b652e74656c65706f72742e6c6f63616c.teleport.cluster.local,h2") !=
               std::string::npos);
    BOOST_TEST(log.find("sni=teleport.cluster.local") != std::string::npos);
    BOOST_TEST(log.find("routed_to_auth=yes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_tunnel_is_rebuilt_after_auth_restarts) {
    PluginEnv::Options o;
    o.authArgs = {"--proxy-listen", "127.0.0.1:0"};
    PluginEnv env(o);
    pointAtProxy(env);
    env.startDaemon();
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
    PluginEnv::Options o;
    o.authArgs = {"--proxy-listen", "127.0.0.1:0"};
    PluginEnv env(o);
    // fake-tctl speaks plain gRPC over TLS (ALPN h2 only): the proxy must not hand it to Auth.
    auto r = runCommand({binaryPath("FAKE_TCTL"), "--auth", env.auth().proxyAddr(), "--identity",
                         env.auth().identity(), "--timeout", "3s", "ping"});
    BOOST_TEST(r.exitCode != 0);
    BOOST_TEST(env.auth().process().waitForStderr("routed_to_auth=no"));
}

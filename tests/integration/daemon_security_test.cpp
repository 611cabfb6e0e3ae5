// Bad input and security: broken configs fail cleanly, untrusted TLS peers are refused, and
// secrets stay out of the logs.
#define BOOST_TEST_MODULE daemon_security
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

const std::string Valid = R"(preload = false
[teleport]
addr = "127.0.0.1:1"
identity = "/nonexistent/identity"
[msapi]
app_id = "8f3e2a71-5c4b-4d9e-b6a0-1e2f3a4b5c6d"
app_secret = "s"
tenant_id = "t"
teams_app_id = "x"
[role_to_recipients]
"*" = ["a@example.com"]
[log]
severity = "INFO"
)";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string replaced(const std::string& from, const std::string& to) {
    std::string t = Valid;
    auto at = t.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
    t.replace(at, from.size(), to);
    return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(broken_configs_fail_with_one_line_naming_file_line_and_key) {
    struct Case {
        std::string text;
        std::string expect;  // must appear in the message
    };
    const std::vector<Case> cases = {
        {"", "[msapi] is required"},
        {"[msapi", ":1:"},
        {"preload = yes", ":1:"},
        {replaced("preload = false", "preload = \"no\""), ":1: preload"},
        {replaced("preload = false", "preload = 1"), ":1: preload"},
        {replaced("[teleport]", "teleport = 1\n[x]"), ":2: teleport"},
        {replaced("addr = \"127.0.0.1:1\"", "addr = 3025"), ":3: teleport.addr"},
        {replaced("addr = \"127.0.0.1:1\"", "addr = \"a:1\"\nauth_server = \"b:2\""), "teleport.addr"},
        {replaced("identity = \"/nonexistent/identity\"", "identity = true"), ":4: teleport.identity"},
        {replaced("identity = \"/nonexistent/identity\"", "refresh_identity = \"yes\""), "teleport.refresh_identity"},
        {replaced("identity = \"/nonexistent/identity\"", "refresh_identity_interval = \"soon\""), "teleport.refresh_identity_interval"},
        {replaced("identity = \"/nonexistent/identity\"", "refresh_identity_interval = \"-5s\""), "teleport.refresh_identity_interval"},
        {replaced("identity = \"/nonexistent/identity\"", "client_key = \"k\""), "go together"},
        {replaced("identity = \"/nonexistent/identity\"", "client_key = \"k\"\nclient_crt = \"c\""), "go together"},
        {replaced("addr = \"127.0.0.1:1\"", "addr = \"x:1\"\nclient_key = \"k\"\nclient_crt = \"c\"\nroot_cas = \"r\""), "teleport.identity"},
        {replaced("identity = \"/nonexistent/identity\"", "tls_routing = \"on\""), "teleport.tls_routing"},
        {replaced("[msapi]", "msapi = \"x\"\n[y]"), "msapi"},
        {replaced("app_id = \"8f3e2a71-5c4b-4d9e-b6a0-1e2f3a4b5c6d\"\n", ""), "msapi.app_id: is required"},
        {replaced("app_secret = \"s\"\n", ""), "msapi.app_secret: is required"},
        {replaced("tenant_id = \"t\"\n", ""), "msapi.tenant_id: is required"},
        {replaced("teams_app_id = \"x\"\n", ""), "msapi.teams_app_id: is required"},
        {replaced("app_id = \"8f3e2a71-5c4b-4d9e-b6a0-1e2f3a4b5c6d\"", "app_id = 7"), ":6: msapi.app_id"},
        {replaced("app_secret = \"s\"", "app_secret = [\"s\"]"), ":7: msapi.app_secret"},
        {replaced("app_secret = \"s\"", "app_secret = \"/nonexistent/secret\""), ":7: msapi.app_secret: cannot read"},
        {replaced("app_secret = \"s\"", "app_secret = \"\""), "msapi.app_secret: is required"},
        {replaced("tenant_id = \"t\"", "tenant_id = {}"), "msapi.tenant_id"},
        {replaced("teams_app_id = \"x\"", "teams_app_id = 1.5"), "msapi.teams_app_id"},
        {replaced("teams_app_id = \"x\"", "teams_app_id = \"x\"\nregion = 3"), "msapi.region"},
        {replaced("teams_app_id = \"x\"", "teams_app_id = \"x\"\ncloud = \"moon\""), "msapi.cloud"},
        {replaced("teams_app_id = \"x\"", "teams_app_id = \"x\"\ncloud = \"china\""), "bot_endpoint"},
        {replaced("teams_app_id = \"x\"", "teams_app_id = \"x\"\ngraph_endpoint = false"), "msapi.graph_endpoint"},
        {replaced("teams_app_id = \"x\"", "teams_app_id = \"x\"\nca_file = 1"), "msapi.ca_file"},
        {replaced("[role_to_recipients]\n\"*\" = [\"a@example.com\"]\n", ""), "[role_to_recipients] is required"},
        {replaced("\"*\" = [\"a@example.com\"]", "editor = [\"a@example.com\"]"), "\"*\" key is required"},
        {replaced("\"*\" = [\"a@example.com\"]", "\"*\" = 5"), "role_to_recipients.*"},
        {replaced("\"*\" = [\"a@example.com\"]", "\"*\" = [1, 2]"), "role_to_recipients.*"},
        {replaced("\"*\" = [\"a@example.com\"]", "\"*\" = [\"\"]"), "empty recipient"},
        {replaced("\"*\" = [\"a@example.com\"]", "\"*\" = [\"a\"]\n\"*\" = [\"b\"]"), ":12:"},
        {replaced("severity = \"INFO\"", "severity = \"LOUD\""), ":13: log.severity"},
        {replaced("severity = \"INFO\"", "format = \"xml\""), ":13: log.format"},
        {replaced("severity = \"INFO\"", "output = 1"), ":13: log.output"},
        {Valid + "[http]\nlisten = \"8081\"\n", "http.listen"},
        {Valid + "[http]\nlisten = 8081\n", "http.listen"},
        {Valid + "[review]\nenabled = \"yes\"\n", ":15: review.enabled"},
        {Valid + "[review]\nenabled = true\n", "review.listen"},
        {Valid + "[review]\nenabled = true\nlisten = \"0.0.0.0:8443\"\n", "review.tls_cert: is required"},
        {Valid + "[review]\nenabled = true\nlisten = \"0.0.0.0:8443\"\ntls_cert = \"c\"\ntls_key = \"k\"\nuser_id_trait = \"\"\n",
         "review.user_id_trait"},
        {Valid + "x = \"\\q\"\n", ":14:"},
        {Valid + "\"unterminated\n", ":14:"},
    };
    BOOST_TEST(cases.size() >= 40u);
    TempDir tmp;
    int i = 0;
    for (const auto& c : cases) {
        const std::string path = tmp / ("bad-" + std::to_string(i++) + ".toml");
        std::ofstream(path) << c.text;
        auto r = runCommand({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", path}, 20s);
        BOOST_TEST(r.exitCode == 1, path << ": exit " << r.exitCode << " " << r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, path << ": " << r.err);
        BOOST_TEST(r.err.rfind("teleport-msteams: " + path, 0) == 0u, r.err);
        BOOST_TEST(r.err.find(c.expect) != std::string::npos, path << ": wanted \"" << c.expect << "\" in " << r.err);
    }
}

BOOST_AUTO_TEST_CASE(an_auth_server_from_another_ca_is_refused) {
    PluginEnv env;
    TempDir other;
    BOOST_REQUIRE(runCommand({binaryPath("FAKE_TELEPORT_AUTH"), "--state-dir", other / "state", "--init-only"}).exitCode == 0);
    const std::string state = env.auth().stateDir();
    std::string text = slurp(env.configPath());
    text = std::regex_replace(text, std::regex("identity = \"[^\"]*\""),
                              "client_crt = \"" + state + "/teleport-msteams.crt\"\nclient_key = \"" + state +
                                  "/teleport-msteams.key\"\nroot_cas = \"" + other.path() + "/state/teleport-msteams.cas\"");
    std::ofstream(env.configPath()) << text;
    auto start = std::chrono::steady_clock::now();
    auto r = runCommand({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", env.configPath()}, 60s);
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("not signed by the CAs in") != std::string::npos, r.err);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
}

BOOST_AUTO_TEST_CASE(an_untrusted_microsoft_endpoint_is_refused_and_ca_file_trusts_it) {
    PluginEnv::Options o;
    TempDir tls;
    o.graphArgs = {"--tls-dir", tls / "ms"};
    PluginEnv env(o);
    BOOST_REQUIRE(env.graph().url().rfind("https://", 0) == 0u);
    auto r = runCommand({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", env.configPath()}, 60s);
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("TLS certificate is not trusted") != std::string::npos, r.err);
    env.writeConfig("");
    std::string text = slurp(env.configPath());
    text = std::regex_replace(text, std::regex("\\[role_to_recipients\\]"),
                              "ca_file = \"" + env.graph().caFile() + "\"\n[role_to_recipients]");
    std::ofstream(env.configPath()) << text;
    env.startDaemon();
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));
}

BOOST_AUTO_TEST_CASE(secrets_tokens_and_keys_never_reach_the_logs) {
    PluginEnv env;  // logs at DEBUG
    ::chmod((env.dir() / "secret").c_str(), 0644);
    auto& d = env.startDaemon();
    BOOST_TEST(d.stderrText().find("the secret file is readable by every user") != std::string::npos);
    env.graph().control("POST", "/_fake/faults", R"([{"route":"bot","status":401},{"revokeTokens":true}])");
    auto id = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(id, 1, "PENDING"));
    env.auth().tctlOk({"request", "approve", id});
    BOOST_REQUIRE(env.waitForCards(id, 1, "APPROVED"));
    BOOST_TEST(env.stopDaemon() == 0);
    std::string log = d.stderrText();
    BOOST_TEST(log.find("token refused, fetching a new one") != std::string::npos);  // the 401 path ran
    BOOST_TEST(log.find(dir::AppSecret) == std::string::npos);
    BOOST_TEST(log.find("eyJ0eXAi") == std::string::npos);
    BOOST_TEST(log.find("Bearer") == std::string::npos);
    BOOST_TEST(log.find("PRIVATE KEY") == std::string::npos);
    std::string key = slurp(env.auth().identity("teleport-msteams") + ".key");
    std::istringstream lines(key);
    std::string line;
    std::getline(lines, line);  // -----BEGIN
    std::getline(lines, line);  // first line of key material
    BOOST_REQUIRE(line.size() > 20u);
    BOOST_TEST(log.find(line) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(credentials_expiring_while_running_show_in_log_and_readiness) {
    PluginEnv::Options o;
    o.authArgs = {"--user", "admin=admin", "--user", "short=plugin", "--client-cert-ttl", "4"};
    o.pluginUser = "short";
    PluginEnv env(o);
    env.writeConfig("[http]\nlisten = \"127.0.0.1:0\"\n");
    auto& d = env.startDaemon();
    const std::string addr = PluginEnv::statusAddress(d);
    BOOST_REQUIRE(!addr.empty());
    const std::string base = "http://" + addr;
    BOOST_TEST(d.waitForStderr("the Teleport credentials expired at", 30s));
    auto ready = httpGet(base + "/readyz");
    BOOST_TEST(ready.status == 503);
    BOOST_TEST(ready.body.find("the Teleport credentials expired at") != std::string::npos, ready.body);
}

// The Go plugin's config file loads unchanged; mistakes are reported with file, line and key.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "plugin/config.h"

using namespace tmsteams::plugin;

namespace {
const std::string GoTemplate = R"(# teleport-msteams configuration, as the Go plugin's configure writes it
preload = true

[teleport]
addr = "localhost:3025"
identity = "identity"

[msapi]
app_id = "a1"
app_secret = "secret"
tenant_id = "t1"
teams_app_id = "x1"

[role_to_recipients]
"*" = ["foo@example.com"]
"editor" = "bar@example.com"

[log]
output = "stderr"
severity = "INFO"
)";

std::string error(const std::string& text) {
    auto c = parseConfig(text, "/etc/teleport-msteams.toml");
    BOOST_REQUIRE(!c.ok());
    return std::string(c.status().message());
}
}  // namespace

BOOST_AUTO_TEST_CASE(go_template_loads_with_defaults) {
    auto c = parseConfig(GoTemplate, "t.toml");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->preload);
    BOOST_TEST(c->teleport.addr == "localhost:3025");
    BOOST_TEST(c->teleport.identity == "identity");
    BOOST_TEST(c->msapi.region == "emea");
    BOOST_TEST(c->msapi.graphEndpoint == "https://graph.microsoft.com");
    BOOST_TEST(c->roleToRecipients.at("editor") == std::vector<std::string>{"bar@example.com"});
    BOOST_TEST(c->warnings.empty());
}

BOOST_AUTO_TEST_CASE(auth_server_is_an_alias_of_addr) {
    std::string t = GoTemplate;
    t.replace(t.find("addr ="), 4, "auth_server");
    auto c = parseConfig(t, "t.toml");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->teleport.addr == "localhost:3025");
}

BOOST_AUTO_TEST_CASE(app_secret_from_a_file) {
    const std::string path = "/tmp/tmsteams-config-test-secret";
    std::ofstream(path) << "s3cr\"t\\&+\n";
    std::string t = GoTemplate;
    t.replace(t.find("\"secret\""), 8, "\"" + path + "\"");
    auto c = parseConfig(t, "t.toml");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->msapi.appSecret == "s3cr\"t\\&+");
    std::remove(path.c_str());
    auto missing = parseConfig(t, "t.toml");
    BOOST_TEST(std::string(missing.status().message()).find("t.toml:10: msapi.app_secret: cannot read") == 0u);
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_key) {
    std::string t = GoTemplate;
    t.replace(t.find("severity = \"INFO\""), 17, "severity = \"LOUD\"");
    BOOST_TEST(error(t) == "/etc/teleport-msteams.toml:20: log.severity: must be DEBUG, INFO, WARN or ERROR");
    t = GoTemplate;
    t.replace(t.find("preload = true"), 14, "preload = \"yes\"");
    BOOST_TEST(error(t) == "/etc/teleport-msteams.toml:2: preload: must be true or false");
    t = GoTemplate;
    t.replace(t.find("\"*\" = [\"foo@example.com\"]"), 25, "");
    BOOST_TEST(error(t).find("\"*\" key is required") != std::string::npos);
    t = GoTemplate;
    t.replace(t.find("identity = \"identity\""), 21, "client_key = \"k\"");
    BOOST_TEST(error(t).find("client_key, client_crt and root_cas go together") != std::string::npos);
    BOOST_TEST(error("[msapi]\napp_id = \"a\"\n").find("msapi.app_secret: is required") != std::string::npos);
    BOOST_TEST(error("x = [").find("/etc/teleport-msteams.toml:1:") == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_keys_warn_with_location) {
    std::string t = GoTemplate + "colour = \"blue\"\n";
    auto c = parseConfig(t, "t.toml");
    BOOST_REQUIRE(c.ok());
    BOOST_REQUIRE(c->warnings.size() == 1u);
    BOOST_TEST(c->warnings[0] == "t.toml:21: log.colour: unknown key, ignored");
}

BOOST_AUTO_TEST_CASE(new_keys_endpoints_and_json_logs) {
    std::string t = GoTemplate;
    t.replace(t.find("teams_app_id"), 0, "graph_endpoint = \"https://graph.microsoft.us/\"\nregion = \"amer\"\n");
    t += "format = \"json\"\n";
    auto c = parseConfig(t, "t.toml");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->msapi.graphEndpoint == "https://graph.microsoft.us");
    BOOST_TEST(c->msapi.region == "amer");
    BOOST_TEST(c->log.format == "json");
}

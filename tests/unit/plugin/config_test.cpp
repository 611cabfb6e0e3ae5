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

// Found by fuzzing: the parser quotes the text it choked on, newline included, which split the
// one-line error a failed start prints.
BOOST_AUTO_TEST_CASE(errors_stay_on_one_line_whatever_the_file_holds) {
    const std::string e = error("[msapi]\ntenant_id =t\n t\"\"\n");
    BOOST_TEST(e.find('\n') == std::string::npos, e);
    BOOST_TEST(e.find("/etc/teleport-msteams.toml:2:") == 0u, e);
    const std::string k = error("\"role\nname\" = 1\n");
    BOOST_TEST(k.find('\n') == std::string::npos, k);
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

BOOST_AUTO_TEST_CASE(cloud_presets_pick_each_clouds_endpoints_and_overrides_win) {
    auto withCloud = [](const std::string& cloud, const std::string& extra = "") {
        std::string t = GoTemplate;
        t.replace(t.find("app_id = \"a1\""), 0, "cloud = \"" + cloud + "\"\n" + extra);
        return parseConfig(t, "t.toml");
    };
    auto gov = withCloud("usgov");
    BOOST_REQUIRE(gov.ok());
    BOOST_TEST(gov->msapi.loginEndpoint == "https://login.microsoftonline.us");
    BOOST_TEST(gov->msapi.graphEndpoint == "https://graph.microsoft.us");
    BOOST_TEST(gov->msapi.graphScope == "https://graph.microsoft.us/.default");
    BOOST_TEST(gov->msapi.botEndpoint == "https://smba.infra.gov.teams.microsoft.us");
    BOOST_TEST(gov->msapi.botScope == "https://api.botframework.us/.default");
    BOOST_TEST(gov->msapi.region == "teams");
    auto dod = withCloud("dod");
    BOOST_REQUIRE(dod.ok());
    BOOST_TEST(dod->msapi.graphEndpoint == "https://dod-graph.microsoft.us");
    BOOST_TEST(dod->msapi.botEndpoint == "https://smba.infra.dod.teams.microsoft.us");
    auto global = withCloud("global");
    BOOST_TEST(global->msapi.botEndpoint == "https://smba.trafficmanager.net");
    BOOST_TEST(global->msapi.region == "emea");
    auto china = withCloud("china");
    BOOST_TEST(std::string(china.status().message()).find("set bot_endpoint") != std::string::npos);
    auto chinaSet = withCloud("china", "bot_endpoint = \"https://bots.example.cn\"\n");
    BOOST_REQUIRE(chinaSet.ok());
    BOOST_TEST(chinaSet->msapi.graphEndpoint == "https://microsoftgraph.chinacloudapi.cn");
    BOOST_TEST(chinaSet->msapi.botScope == "https://api.botframework.azure.cn/.default");
    BOOST_TEST(chinaSet->msapi.botEndpoint == "https://bots.example.cn");
    auto overridden = withCloud("usgov", "graph_endpoint = \"https://graph.proxy.example\"\n");
    BOOST_TEST(overridden->msapi.graphEndpoint == "https://graph.proxy.example");
    BOOST_TEST(overridden->msapi.loginEndpoint == "https://login.microsoftonline.us");
    BOOST_TEST(std::string(withCloud("mars").status().message()).find("msapi.cloud: must be global, usgov, dod or china") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(http_listen_is_validated) {
    auto ok = parseConfig(GoTemplate + "[http]\nlisten = \"127.0.0.1:8081\"\n", "t.toml");
    BOOST_REQUIRE(ok.ok());
    BOOST_TEST(ok->http.listen == "127.0.0.1:8081");
    auto bad = parseConfig(GoTemplate + "[http]\nlisten = \"8081\"\n", "t.toml");
    BOOST_TEST(std::string(bad.status().message()).find("http.listen: must be host:port") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(default_recipient_of_the_newer_go_plugin_is_accepted_and_stands_in_for_star) {
    std::string t = GoTemplate;
    t.replace(t.find("teams_app_id = \"x1\""), 20, "teams_app_id = \"x1\"\ndefault_recipient = \"ops@example.com\"");
    t.replace(t.find("\"*\" = [\"foo@example.com\"]"), 25, "\"*\" = []");
    auto c = parseConfig(t, "t.toml");
    BOOST_REQUIRE_MESSAGE(c.ok(), c.status().message());
    BOOST_TEST(c->warnings.empty());  // not "unknown key"
    BOOST_TEST(c->msapi.defaultRecipient == "ops@example.com");
    BOOST_TEST(c->roleToRecipients.at("*") == std::vector<std::string>{"ops@example.com"});
    // Without it, "*" stays required.
    std::string bare = GoTemplate;
    bare.replace(bare.find("\"*\" = [\"foo@example.com\"]"), 25, "");
    BOOST_TEST(error(bare).find("default_recipient") != std::string::npos);
}

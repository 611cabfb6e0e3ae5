// teleport-msteams refuses to start, with a clear message, when it cannot work.
#define BOOST_TEST_MODULE daemon_startup
#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

#include <fstream>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;

namespace {
CommandResult start(const std::string& config) {
    return runCommand({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", config}, 30s);
}
}  // namespace

BOOST_AUTO_TEST_CASE(bad_config_names_file_line_and_key) {
    TempDir tmp;
    const std::string path = tmp / "bad.toml";
    std::ofstream(path) << "[teleport]\naddr = \"x:3025\"\nidentity = \"id\"\n[msapi]\napp_id = 42\n";
    auto r = start(path);
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find(path + ":5: msapi.app_id: must be a string") != std::string::npos, r.err);

    std::ofstream(path) << "[msapi]\napp_id = \"a\"\napp_secret = \"s\"\ntenant_id = \"t\"\nteams_app_id = \"x\"\n"
                           "[role_to_recipients]\neditor = \"bob@x.example\"\n";
    r = start(path);
    BOOST_TEST(r.err.find("\"*\" key is required") != std::string::npos, r.err);

    std::ofstream(path) << "[msapi\napp_id = \"a\"\n";
    r = start(path);
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find(path + ":1:") != std::string::npos, r.err);
    BOOST_TEST(start(tmp / "missing.toml").err.find("missing.toml") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_keys_warn_and_secrets_stay_out_of_logs) {
    PluginEnv env;
    auto text = [&] {
        std::ifstream in(env.configPath());
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    text.replace(text.find("[msapi]"), 7, "[msapi]\ncolour = \"blue\"");
    std::ofstream(env.configPath()) << text;
    auto& d = env.startDaemon();
    BOOST_TEST(d.stderrText().find("msapi.colour: unknown key") != std::string::npos);
    env.createRequest("carol", "editor");
    std::this_thread::sleep_for(1s);
    BOOST_TEST(env.stopDaemon() == 0);
    BOOST_TEST(d.stderrText().find(directory::AppSecret) == std::string::npos);
    BOOST_TEST(d.stderrText().find("eyJ0eXAi") == std::string::npos);  // no tokens either
}

BOOST_AUTO_TEST_CASE(expired_credentials_are_refused_with_the_time) {
    PluginEnv::Options o;
    o.authArgs = {"--user", "admin=admin", "--user", "old-plugin=plugin", "--client-cert-ttl", "-7200"};
    o.pluginUser = "old-plugin";
    PluginEnv env(o);
    auto r = start(env.configPath());
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("expired at") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(missing_rights_exit_with_a_clear_error) {
    PluginEnv::Options o;
    o.authArgs = {"--user", "admin=admin", "--user", "nobody=none"};
    o.pluginUser = "nobody";
    PluginEnv env(o);
    auto r = start(env.configPath());
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("access_request list/read") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(teams_app_not_uploaded_is_explained) {
    PluginEnv env;
    env.graph().control("POST", "/_fake/reset", R"({"catalog":true})");
    auto r = start(env.configPath());
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("upload app.zip") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(old_teleport_is_refused) {
    PluginEnv::Options o;
    o.authArgs = {"--server-version", "7.3.1"};
    PluginEnv env(o);
    auto r = start(env.configPath());
    BOOST_TEST(r.exitCode == 1);
    BOOST_TEST(r.err.find("8.0.0 or newer") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(version_prints_version_ref_and_compiler) {
    auto r = runCommand({binaryPath("TELEPORT_MSTEAMS"), "version"});
    BOOST_TEST(r.exitCode == 0);
    BOOST_TEST(r.out.rfind("teleport-msteams v", 0) == 0u);
    BOOST_TEST(r.out.find("git:") != std::string::npos);
    BOOST_TEST(r.out.find("gcc") != std::string::npos);
}

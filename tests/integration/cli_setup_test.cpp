// configure, validate, uninstall and the demo, against the fakes.
#define BOOST_TEST_MODULE cli_setup
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <openssl/evp.h>

#include <Poco/DateTime.h>
#include <Poco/InflatingStream.h>
#include <Poco/Zip/Compress.h>
#include <Poco/Zip/ZipArchive.h>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

CommandResult cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {binaryPath("TELEPORT_MSTEAMS")};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, 60s, env);
}

CommandResult configure(const std::string& out, const std::vector<std::string>& extra = {},
                        const std::string& secret = dir::AppSecret) {
    std::vector<std::string> args = {"configure", out, "--appID", dir::AppId, "--tenantID", dir::Tenant};
    if (!secret.empty()) {
        args.push_back("--appSecret");
        args.push_back(secret);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args);
}

std::string teamsAppIdIn(const std::string& toml) {
    std::smatch m;
    std::string text = slurp(toml);
    std::regex re("teams_app_id = \"([^\"]+)\"");
    return std::regex_search(text, m, re) ? m[1].str() : "";
}

// Points configure's TOML at the fakes and fills in the Teleport credentials, as a user would.
void fillIn(const std::string& toml, PluginEnv& env, const std::string& recipients) {
    std::string t = slurp(toml);
    t = std::regex_replace(t, std::regex("addr = \"localhost:3025\""), "addr = \"" + env.auth().addr() + "\"");
    t = std::regex_replace(t, std::regex("identity = \"identity\""), "identity = \"" + env.auth().identity("teleport-msteams") + "\"");
    t = std::regex_replace(t, std::regex("region = \"emea\""),
                           "region = \"emea\"\nlogin_endpoint = \"" + env.graph().url() + "\"\ngraph_endpoint = \"" +
                               env.graph().url() + "\"\nbot_endpoint = \"" + env.graph().url() + "\"");
    t = std::regex_replace(t, std::regex("\"\\*\" = \\[\"reviewer@example.com\"\\]"), "\"*\" = [" + recipients + "]");
    std::ofstream(toml) << t;
}

std::string sha256Hex(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < n; ++i) {
        hex += "0123456789abcdef"[md[i] >> 4];
        hex += "0123456789abcdef"[md[i] & 15];
    }
    return hex;
}

// An app package with this manifest and placeholder icons.
std::string zipOf(const std::string& manifest) {
    std::ostringstream zip;
    Poco::Zip::Compress c(zip, true);
    for (const auto& [name, data] : {std::pair<std::string, std::string>{"manifest.json", manifest},
                                     {"color.png", "png"}, {"outline.png", "png"}}) {
        std::istringstream in(data);
        c.addFile(in, Poco::DateTime(), name);
    }
    c.close();
    return zip.str();
}

struct Png {
    uint32_t width = 0, height = 0;
    int colorType = -1;
    std::string pixels;  // filter byte + RGBA per row
};

Png readPng(const std::string& path) {
    std::string d = slurp(path);
    Png p;
    BOOST_REQUIRE(d.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    std::string idat;
    for (size_t i = 8; i + 8 <= d.size();) {
        auto be = [&](size_t k) {
            return (uint32_t(uint8_t(d[k])) << 24) | (uint32_t(uint8_t(d[k + 1])) << 16) | (uint32_t(uint8_t(d[k + 2])) << 8) |
                   uint32_t(uint8_t(d[k + 3]));
        };
        uint32_t n = be(i);
        std::string type = d.substr(i + 4, 4);
        if (type == "IHDR") {
            p.width = be(i + 8);
            p.height = be(i + 12);
            p.colorType = uint8_t(d[i + 17]);
        } else if (type == "IDAT") {
            idat += d.substr(i + 8, n);
        }
        i += 12 + n;
    }
    std::istringstream in(idat);
    Poco::InflatingInputStream z(in, Poco::InflatingStreamBuf::STREAM_ZLIB);
    p.pixels.assign(std::istreambuf_iterator<char>(z), {});
    return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(configure_writes_a_valid_app_package) {
    TempDir tmp;
    const std::string out = tmp / "teams";
    auto r = configure(out);
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
    for (int i = 1; i <= 6; ++i) {
        BOOST_TEST(r.out.find("[" + std::to_string(i) + "/6]") != std::string::npos);
    }
    BOOST_TEST(r.out.find("Next steps") != std::string::npos);
    BOOST_TEST(r.out.find("TeamsAppInstallation.ReadWriteSelfForTeam.All") != std::string::npos);

    // Microsoft's own validator accepts the manifest; a broken copy is refused.
    auto valid = runCommand({"node", binaryPath("VALIDATE_MANIFEST_SCRIPT"), out + "/manifest.json", dir::AppId}, 60s);
    BOOST_TEST(valid.exitCode == 0, valid.out + valid.err);
    BOOST_TEST(valid.out.find("valid v1.22") != std::string::npos);
    // The app id check fails for a manifest naming another app.
    auto other = runCommand({"node", binaryPath("VALIDATE_MANIFEST_SCRIPT"), out + "/manifest.json", dir::LimitedAppId}, 60s);
    BOOST_TEST(other.exitCode == 1, other.out);
    BOOST_TEST(other.out.find("webApplicationInfo.id") != std::string::npos, other.out);
    std::string broken = std::regex_replace(slurp(out + "/manifest.json"), std::regex("#512FC9"), "purple");
    std::ofstream(tmp / "broken.json") << broken;
    BOOST_TEST(runCommand({"node", binaryPath("VALIDATE_MANIFEST_SCRIPT"), tmp / "broken.json"}, 60s).exitCode == 1);
    std::string manifest = slurp(out + "/manifest.json");
    BOOST_TEST(manifest.find("\"personal\"") != std::string::npos);
    BOOST_TEST(manifest.find("\"team\"") != std::string::npos);
    BOOST_TEST(manifest.find("\"isNotificationOnly\": true") != std::string::npos);
    BOOST_TEST(manifest.find(teamsAppIdIn(out + "/teleport-msteams.toml")) != std::string::npos);

    // Icons: 192x192 full colour, opaque; 32x32 white on transparent.
    auto color = readPng(out + "/color.png");
    BOOST_TEST(color.width == 192u);
    BOOST_TEST(color.height == 192u);
    BOOST_TEST(color.colorType == 6);
    auto outline = readPng(out + "/outline.png");
    BOOST_TEST(outline.width == 32u);
    BOOST_TEST(outline.height == 32u);
    int transparent = 0, opaqueish = 0, nonWhite = 0, opaqueColor = 0, colourful = 0;
    for (uint32_t y = 0; y < outline.height; ++y) {
        for (uint32_t x = 0; x < outline.width; ++x) {
            const char* p = &outline.pixels[y * (32 * 4 + 1) + 1 + x * 4];
            uint8_t a = uint8_t(p[3]);
            transparent += a == 0;
            opaqueish += a > 200;
            nonWhite += a > 0 && (uint8_t(p[0]) != 255 || uint8_t(p[1]) != 255 || uint8_t(p[2]) != 255);
        }
    }
    for (uint32_t y = 0; y < color.height; ++y) {
        for (uint32_t x = 0; x < color.width; ++x) {
            const char* p = &color.pixels[y * (192 * 4 + 1) + 1 + x * 4];
            opaqueColor += uint8_t(p[3]) == 255;
            colourful += uint8_t(p[0]) != uint8_t(p[2]);
        }
    }
    BOOST_TEST(transparent > 300);
    BOOST_TEST(opaqueish > 50);
    BOOST_TEST(nonWhite == 0);
    BOOST_TEST(opaqueColor == 192 * 192);
    BOOST_TEST(colourful > 192 * 192 / 2);

    // app.zip: the manifest and both icons at the root, the same bytes.
    std::ifstream zip(out + "/app.zip", std::ios::binary);
    Poco::Zip::ZipArchive archive(zip);
    std::set<std::string> names;
    for (auto it = archive.fileInfoBegin(); it != archive.fileInfoEnd(); ++it) {
        names.insert(it->first);
    }
    BOOST_TEST(names == (std::set<std::string>{"manifest.json", "color.png", "outline.png"}));
    auto role = slurp(out + "/teleport-msteams-role.yaml");
    BOOST_TEST(role.find("resources: [access_plugin_data]") != std::string::npos);
    BOOST_TEST(role.find("resources: [access_monitoring_rule]\n        verbs: [list, read]") != std::string::npos, role);
    BOOST_TEST(role.find("verbs: [list, read]") != std::string::npos);
    BOOST_TEST(role.find("kind: user") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(configure_with_a_review_endpoint_writes_an_interactive_bot) {
    TempDir tmp;
    const std::string out = tmp / "teams";
    auto bad = configure(out, {"--review-endpoint", "http://bot.example.com/api/messages"});
    BOOST_TEST(bad.exitCode == 2);
    BOOST_TEST(bad.err.find("https://") != std::string::npos);
    auto r = configure(out, {"--review-endpoint", "https://bot.example.com:8443/api/messages"});
    BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
    BOOST_TEST(r.out.find("reviews on behalf of users") != std::string::npos, r.out);
    std::string manifest = slurp(out + "/manifest.json");
    BOOST_TEST(manifest.find("\"isNotificationOnly\": false") != std::string::npos);
    auto valid = runCommand({"node", binaryPath("VALIDATE_MANIFEST_SCRIPT"), out + "/manifest.json", dir::AppId}, 60s);
    BOOST_TEST(valid.exitCode == 0, valid.out + valid.err);
    std::string toml = slurp(out + "/teleport-msteams.toml");
    BOOST_TEST(toml.find("[review]") != std::string::npos, toml);
    BOOST_TEST(toml.find("\nenabled = true\n", toml.find("[review]")) != std::string::npos);
    BOOST_TEST(toml.find("listen = \"0.0.0.0:8443\"") != std::string::npos);
    BOOST_TEST(toml.find("https://bot.example.com:8443/api/messages") != std::string::npos);
    auto role = slurp(out + "/teleport-msteams-role.yaml");
    BOOST_TEST(role.find("submit_for_users: [\"*\"]") != std::string::npos, role);
    BOOST_TEST(role.find("resources: [user]") != std::string::npos);
    // The written config parses: start fails later (no Teleport here), never on a [review] key.
    auto start = cli({"start", "-c", out + "/teleport-msteams.toml"});
    BOOST_TEST(start.exitCode != 0);
    BOOST_TEST(start.err.find("review.") == std::string::npos, start.err);
    BOOST_TEST(start.err.find(".toml:") == std::string::npos, start.err);
}

BOOST_AUTO_TEST_CASE(configure_is_idempotent_and_protects_edits) {
    TempDir tmp;
    const std::string out = tmp / "teams";
    BOOST_REQUIRE(configure(out).exitCode == 0);
    const std::string id = teamsAppIdIn(out + "/teleport-msteams.toml");
    BOOST_TEST(id.size() == 36u);
    auto again = configure(out);
    BOOST_TEST(again.exitCode == 0);
    BOOST_TEST(teamsAppIdIn(out + "/teleport-msteams.toml") == id);
    BOOST_TEST(again.out.find("(unchanged)") != std::string::npos);
    BOOST_TEST(again.out.find("kept from the existing config") != std::string::npos);

    std::ofstream(out + "/teleport-msteams.toml", std::ios::app) << "# my edit\n";
    auto refused = configure(out, {"--new-app-id"});
    BOOST_TEST(refused.exitCode == 1);
    BOOST_TEST(refused.err.find("teleport-msteams.toml was changed") != std::string::npos, refused.err);
    BOOST_TEST(slurp(out + "/teleport-msteams.toml").find("# my edit") != std::string::npos);
    auto forced = configure(out, {"--new-app-id", "--force"});
    BOOST_TEST(forced.exitCode == 0);
    BOOST_TEST(teamsAppIdIn(out + "/teleport-msteams.toml") != id);
    BOOST_TEST(slurp(out + "/manifest.json").find(teamsAppIdIn(out + "/teleport-msteams.toml")) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secrets_from_file_or_environment_and_bad_arguments) {
    TempDir tmp;
    std::ofstream(tmp / "secret") << "from-a-file\n";
    BOOST_TEST(configure(tmp / "a", {"--appSecretFile", tmp / "secret"}, "").exitCode == 0);
    BOOST_TEST(slurp(tmp / "a/teleport-msteams.toml").find("app_secret = \"" + (tmp / "secret") + "\"") != std::string::npos);
    auto env = cli({"configure", tmp / "b", "--appID", dir::AppId, "--tenantID", dir::Tenant},
                   {{"TELEPORT_MSTEAMS_APP_SECRET", "from-env"}});
    BOOST_TEST(env.exitCode == 0);
    BOOST_TEST(slurp(tmp / "b/teleport-msteams.toml").find("app_secret = \"from-env\"") != std::string::npos);
    BOOST_TEST(cli({"configure", tmp / "c", "--appID", "not-a-guid", "--tenantID", "t", "--appSecret", "s"}).exitCode == 2);
    BOOST_TEST(cli({"configure", tmp / "d", "--tenantID", "t"}).exitCode == 2);
}

BOOST_AUTO_TEST_CASE(validate_passes_end_to_end_with_an_escaped_secret) {
    PluginEnv env;
    const std::string out = env.dir() / "teams";
    BOOST_REQUIRE(configure(out).exitCode == 0);  // the secret has " \ & + in it
    BOOST_REQUIRE(env.graph().control("POST", "/_fake/catalog", slurp(out + "/app.zip")).status == 201);
    fillIn(out + "/teleport-msteams.toml", env, "\"" + AliceMail + "\"");
    auto r = cli({"validate", "-c", out + "/teleport-msteams.toml", AliceMail});
    BOOST_TEST(r.exitCode == 0, r.out + r.err);
    BOOST_TEST(r.out.find("16 checks passed, 0 failed") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("none name msteams") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("message id") != std::string::npos);
    auto cards = env.cards();
    BOOST_REQUIRE(cards.size() == 2u);
    BOOST_TEST(cards[0].contains("Hello from teleport-msteams"));
    BOOST_TEST(cards[1].contains("Looks good"));       // the sample's two reviews
    BOOST_TEST(cards[1].contains("Not during the freeze"));
    // The TOML configure wrote, filled in, is what start accepts.
    env.startDaemon(out + "/teleport-msteams.toml");
    auto id = env.createRequest("carol", "editor");
    BOOST_TEST(env.waitForCards(id, 1, "PENDING"));

    // uninstall removes the app alice got from validate.
    auto u = cli({"uninstall", "-c", out + "/teleport-msteams.toml"});
    BOOST_TEST(u.exitCode == 0, u.out + u.err);
    BOOST_TEST(u.out.find(AliceMail + ": uninstalled") != std::string::npos, u.out);
    auto again = cli({"uninstall", "-c", out + "/teleport-msteams.toml"});
    BOOST_TEST(again.out.find(AliceMail + ": not installed") != std::string::npos, again.out);
}

BOOST_AUTO_TEST_CASE(validate_explains_each_failure) {
    PluginEnv env;
    const std::string out = env.dir() / "teams";
    BOOST_REQUIRE(configure(out).exitCode == 0);
    fillIn(out + "/teleport-msteams.toml", env, "\"" + AliceMail + "\"");
    const std::string toml = out + "/teleport-msteams.toml";
    // The fake's catalog has an app with another manifest id only: ours is not uploaded.
    auto missing = cli({"validate", "-c", toml, AliceMail});
    BOOST_TEST(missing.exitCode == 1);
    BOOST_TEST(missing.out.find("upload app.zip") != std::string::npos, missing.out);

    BOOST_REQUIRE(env.graph().control("POST", "/_fake/catalog", slurp(out + "/app.zip")).status == 201);
    auto unknown = cli({"validate", "-c", toml, "nobody@contoso.example"});
    BOOST_TEST(unknown.exitCode == 1);
    BOOST_TEST(unknown.out.find("no such user") != std::string::npos, unknown.out);

    std::string text = slurp(toml);
    std::ofstream(toml) << std::regex_replace(text, std::regex("app_secret = \"[^\\n]*"), "app_secret = \"wrong\"");
    auto secret = cli({"validate", "-c", toml, AliceMail});
    BOOST_TEST(secret.exitCode == 1);
    BOOST_TEST(secret.out.find("the app secret is wrong") != std::string::npos, secret.out);
    BOOST_TEST(secret.out.find("wrong\"") == std::string::npos);

    // The second app registration lacks TeamsAppInstallation.ReadWriteSelfForTeam.All.
    text = std::regex_replace(slurp(toml), std::regex("app_secret = \"wrong\""), "app_secret = \"" + dir::LimitedAppSecret + "\"");
    text = std::regex_replace(text, std::regex("app_id = \"" + dir::AppId + "\""), "app_id = \"" + dir::LimitedAppId + "\"");
    std::ofstream(toml) << text;
    auto perm = cli({"validate", "-c", toml, AliceMail});
    BOOST_TEST(perm.exitCode == 1);
    BOOST_TEST(perm.out.find("TeamsAppInstallation.ReadWriteSelfForTeam.All: FAILED") != std::string::npos, perm.out);
    BOOST_TEST(perm.out.find("fix: grant the application permission TeamsAppInstallation.ReadWriteSelfForTeam.All") !=
                   std::string::npos, perm.out);
}

// An app.zip from an older configure has no webApplicationInfo: in a real tenant Graph neither
// lists nor installs it for our app. validate says so and how to fix it; configure on the same
// folder upgrades the manifest (keeping the Teams app id) and says to upload it again.
BOOST_AUTO_TEST_CASE(an_app_uploaded_without_web_application_info_is_found_and_fixed_by_configure) {
    PluginEnv env;
    const std::string out = env.dir() / "teams";
    BOOST_REQUIRE(configure(out).exitCode == 0);
    const std::string id = teamsAppIdIn(out + "/teleport-msteams.toml");
    // Make the folder look as an older configure left it: manifest and app.zip without it, and the
    // checksums configure records for its own files.
    std::string old = std::regex_replace(slurp(out + "/manifest.json"),
                                         std::regex(",\\s*\"webApplicationInfo\": \\{[^}]*\\}"), "");
    BOOST_REQUIRE(old.find("webApplicationInfo") == std::string::npos);
    const std::string oldZip = zipOf(old);
    std::ofstream(out + "/manifest.json", std::ios::trunc) << old;
    std::ofstream(out + "/app.zip", std::ios::binary | std::ios::trunc) << oldZip;
    std::string state = slurp(out + "/.teleport-msteams-configure");
    state = std::regex_replace(state, std::regex("[0-9a-f]{64} manifest.json"), sha256Hex(old) + " manifest.json");
    state = std::regex_replace(state, std::regex("[0-9a-f]{64} app.zip"), sha256Hex(oldZip) + " app.zip");
    std::ofstream(out + "/.teleport-msteams-configure", std::ios::trunc) << state;
    BOOST_REQUIRE(env.graph().control("POST", "/_fake/catalog", oldZip).status == 201);
    // A filled-in copy of the config, so that configure still recognises its own file.
    const std::string filled = env.dir() / "filled.toml";
    std::filesystem::copy_file(out + "/teleport-msteams.toml", filled);
    fillIn(filled, env, "\"" + AliceMail + "\"");

    auto refused = cli({"validate", "-c", filled, AliceMail});
    BOOST_TEST(refused.exitCode == 1);
    BOOST_TEST(refused.out.find("app installed for the recipient: FAILED") != std::string::npos, refused.out);
    BOOST_TEST(refused.out.find("not allowed to manage the Teams App") != std::string::npos, refused.out);
    BOOST_TEST(refused.out.find("run teleport-msteams configure again") != std::string::npos, refused.out);

    auto upgraded = configure(out);
    BOOST_TEST(upgraded.exitCode == 0, upgraded.err);
    BOOST_TEST(upgraded.out.find("upload app.zip again") != std::string::npos, upgraded.out);
    BOOST_TEST(teamsAppIdIn(out + "/teleport-msteams.toml") == id);
    BOOST_TEST(slurp(out + "/manifest.json").find("\"webApplicationInfo\"") != std::string::npos);
    // The admin uploads the new package over the old app (same Teams app id): validate passes.
    BOOST_REQUIRE(env.graph().control("POST", "/_fake/catalog", slurp(out + "/app.zip")).status == 200);
    auto ok = cli({"validate", "-c", filled, AliceMail});
    BOOST_TEST(ok.exitCode == 0, ok.out);
}

// validate lists the rules that route msteams notifications and says which recipients do not
// resolve, before a request finds out.
BOOST_AUTO_TEST_CASE(validate_lists_routing_rules_and_checks_their_recipients) {
    PluginEnv env;
    const std::string out = env.dir() / "teams";
    BOOST_REQUIRE(configure(out).exitCode == 0);
    BOOST_REQUIRE(env.graph().control("POST", "/_fake/catalog", slurp(out + "/app.zip")).status == 201);
    fillIn(out + "/teleport-msteams.toml", env, "\"" + AliceMail + "\"");
    env.auth().tctlOk({"rule", "create", "editors", "--condition", R"(access_request.spec.roles.contains("editor"))",
                       "--recipients", AliceMail + ",nobody@contoso.example"});
    env.auth().tctlOk({"rule", "create", "for-slack", "--condition", "true", "--notification", "slack",
                       "--recipients", "#general"});
    auto r = cli({"validate", "-c", out + "/teleport-msteams.toml", AliceMail});
    BOOST_TEST(r.exitCode == 1, r.out);
    BOOST_TEST(r.out.find("rule editors: access_request.spec.roles.contains(\"editor\")") != std::string::npos, r.out);
    BOOST_TEST(r.out.find(AliceMail + ": resolves") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("nobody@contoso.example: does NOT resolve") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("for-slack") == std::string::npos, r.out);  // another plugin's rule
    BOOST_TEST(r.out.find("15 checks passed, 1 failed") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(the_demo_runs_start_to_finish) {
    auto r = runCommand({binaryPath("DEMO_SCRIPT")}, 300s, {{"CI", "true"}});
    BOOST_TEST(r.exitCode == 0, r.out + r.err);
    BOOST_TEST(r.out.find("17 checks passed, 0 failed") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("3 PENDING") != std::string::npos);
    BOOST_TEST(r.out.find("3 APPROVED") != std::string::npos);
    BOOST_TEST(r.out.find("Browser view of every conversation: http://127.0.0.1:") != std::string::npos);
}

// Every subcommand's options come from one description (Poco::Util): --help lists them, and a
// wrong or incomplete command line is refused with the reason and that same help, exit 2.
BOOST_AUTO_TEST_CASE(every_command_describes_its_options_and_refuses_wrong_ones) {
    const std::map<std::string, std::vector<std::string>> options = {
        {"configure", {"--appID=ID", "--tenantID=TENANT", "--appSecret=SECRET", "--appSecretFile=PATH", "--new-app-id",
                       "--force", "--review-endpoint=URL"}},
        {"validate", {"-cCONFIG, --config=CONFIG"}},
        {"start", {"-cCONFIG, --config=CONFIG", "-d, --debug"}},
        {"uninstall", {"-cCONFIG, --config=CONFIG"}},
        {"version", {}},
    };
    for (const auto& [command, listed] : options) {
        auto help = cli({command, "--help"});
        BOOST_TEST(help.exitCode == 0, command);
        BOOST_TEST(help.out.find("usage: teleport-msteams " + command) == 0u, help.out);
        for (const auto& o : listed) {
            BOOST_TEST(help.out.find(o) != std::string::npos, command << ": " << o << " in\n" << help.out);
        }
        auto wrong = cli({command, "--no-such-option"});
        BOOST_TEST(wrong.exitCode == 2, command);
        BOOST_TEST(wrong.err.find("teleport-msteams " + command + ": Unknown option") == 0u, wrong.err);
        BOOST_TEST(wrong.err.find("usage: teleport-msteams " + command) != std::string::npos, wrong.err);
    }
    auto noValue = cli({"start", "--config"});
    BOOST_TEST(noValue.exitCode == 2);
    BOOST_TEST(noValue.err.find("config requires CONFIG") != std::string::npos, noValue.err);
    auto both = cli({"start", "--config=/nonexistent/teleport-msteams.toml"});  // the = form works too
    BOOST_TEST(both.exitCode == 1);
    BOOST_TEST(both.err.find("/nonexistent/teleport-msteams.toml") != std::string::npos, both.err);
}

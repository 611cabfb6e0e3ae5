// Running it in production: systemd notifications, SIGHUP reload, renewed identities, health and
// metrics, JSON logs and log rotation, and the unit file.
#define BOOST_TEST_MODULE daemon_operations
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>
#include <deque>
#include <cstring>

#include <Poco/JSON/Parser.h>

#include "support/plugin_env.h"

using namespace tmsteams::testsupport;
using namespace std::chrono_literals;
namespace dir = tmsteams::testsupport::directory;

namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval tv{0, 200000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifySocket() { ::close(fd_); }

    // Collects messages until one starts with `prefix`; false on timeout.
    bool waitFor(const std::string& prefix, std::chrono::milliseconds limit = 15s) {
        for (const auto& m : seen_) {
            if (m.rfind(prefix, 0) == 0 && !consumed_.count(&m)) {
                consumed_.insert(&m);
                return true;
            }
        }
        auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                seen_.emplace_back(buf, static_cast<size_t>(n));
                if (seen_.back().rfind(prefix, 0) == 0) {
                    consumed_.insert(&seen_.back());
                    return true;
                }
            }
        }
        return false;
    }
    int count(const std::string& prefix) const {
        int n = 0;
        for (const auto& m : seen_) {
            n += m.rfind(prefix, 0) == 0;
        }
        return n;
    }

private:
    std::string path_;
    int fd_ = -1;
    std::deque<std::string> seen_;
    std::set<const std::string*> consumed_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(speaks_sd_notify_ready_reloading_watchdog_stopping) {
    PluginEnv env;
    NotifySocket sock(env.dir() / "notify.sock");
    auto& d = env.startDaemon("", {{"NOTIFY_SOCKET", env.dir() / "notify.sock"}, {"WATCHDOG_USEC", "600000"}});
    BOOST_TEST(sock.waitFor("READY=1"));
    BOOST_TEST(sock.waitFor("WATCHDOG=1"));
    BOOST_TEST(sock.waitFor("WATCHDOG=1"));
    d.signal(SIGHUP);
    BOOST_TEST(sock.waitFor("RELOADING=1\nMONOTONIC_USEC="));
    BOOST_TEST(sock.waitFor("READY=1"));
    d.signal(SIGTERM);
    BOOST_TEST(sock.waitFor("STOPPING=1"));
    BOOST_TEST(d.wait(20s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(sighup_applies_new_recipients_and_refuses_a_broken_config) {
    PluginEnv env;
    auto& d = env.startDaemon();
    auto before = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(before, 1, "PENDING"));
    BOOST_TEST(env.cardsFor(before)[0].conversationId == PluginEnv::chatOf(dir::Alice));

    env.setRecipients("\"*\" = [\"" + BobMail + "\"]\n");
    d.signal(SIGHUP);
    BOOST_REQUIRE(d.waitForStderr("configuration reloaded"));
    auto after = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(after, 1, "PENDING"));
    BOOST_TEST(env.cardsFor(after)[0].conversationId == PluginEnv::chatOf(dir::Bob));

    std::ofstream(env.configPath(), std::ios::app) << "\n[role_to_recipients\n";
    d.signal(SIGHUP);
    BOOST_REQUIRE(d.waitForStderr("configuration reload refused"));
    auto third = env.createRequest("carol", "auditor");
    BOOST_REQUIRE(env.waitForCards(third, 1, "PENDING"));
    BOOST_TEST(env.cardsFor(third)[0].conversationId == PluginEnv::chatOf(dir::Bob));  // old config in force
    env.auth().tctlOk({"request", "approve", before});
    BOOST_TEST(env.waitForCards(before, 1, "APPROVED"));
    BOOST_TEST(d.running());
}

BOOST_AUTO_TEST_CASE(renewed_identity_is_picked_up_without_a_missed_event) {
    PluginEnv env;
    env.writeConfig("");
    std::string text;
    {
        std::ifstream in(env.configPath());
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text = std::regex_replace(text, std::regex("\\[msapi\\]"), "refresh_identity = true\nrefresh_identity_interval = \"1s\"\n[msapi]");
    std::ofstream(env.configPath()) << text;
    auto& d = env.startDaemon();
    auto first = env.createRequest("carol", "editor");
    BOOST_REQUIRE(env.waitForCards(first, 1, "PENDING"));

    // tbot renews the identity file in place.
    auto renew = runCommand({binaryPath("FAKE_TELEPORT_AUTH"), "--state-dir", env.auth().stateDir(), "--init-only",
                             "--user", "admin=admin", "--user", "teleport-msteams=plugin", "--reissue", "teleport-msteams"});
    BOOST_REQUIRE(renew.exitCode == 0);
    // Events keep flowing while the daemon switches connections.
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(env.createRequest("carol", "editor"));
        std::this_thread::sleep_for(300ms);
    }
    BOOST_TEST(d.waitForStderr("Teleport credentials loaded; reconnecting"));
    for (const auto& id : ids) {
        BOOST_TEST(env.waitForCards(id, 1, "PENDING"), id);
    }
    env.auth().tctlOk({"request", "approve", first});
    BOOST_TEST(env.waitForCards(first, 1, "APPROVED"));
}

BOOST_AUTO_TEST_CASE(metrics_match_what_the_fakes_saw_and_readiness_follows_teleport) {
    PluginEnv env;
    env.writeConfig("[http]\nlisten = \"127.0.0.1:0\"\n");
    auto& d = env.startDaemon();
    auto addr = PluginEnv::statusAddress(d);
    BOOST_REQUIRE(!addr.empty());
    const std::string base = "http://" + addr;
    BOOST_TEST(httpGet(base + "/healthz").status == 200);
    BOOST_TEST(eventually([&] { return httpGet(base + "/readyz").status == 200; }, 10s));

    env.graph().control("POST", "/_fake/faults", R"({"route":"bot.post","status":429,"count":1,"retryAfter":1})");
    auto a = env.createRequest("carol", "editor");
    auto b = env.createRequest("carol", "auditor", {"--reviewers", ErinMail});
    BOOST_REQUIRE(env.waitForCards(a, 1, "PENDING"));
    BOOST_REQUIRE(env.waitForCards(b, 2, "PENDING"));
    env.auth().tctlOk({"request", "approve", a});
    BOOST_REQUIRE(env.waitForCards(a, 1, "APPROVED"));

    auto metrics = httpGet(base + "/metrics");
    BOOST_REQUIRE(metrics.status == 200);
    BOOST_TEST(metrics.header("content-type").find("text/plain; version=0.0.4") == 0u);
    auto parsed = runCommand({"node", binaryPath("PARSE_METRICS_SCRIPT")}, 30s, {}, metrics.body);
    BOOST_REQUIRE_MESSAGE(parsed.exitCode == 0, parsed.err);
    auto value = [&](const std::string& name, const std::string& label = "") -> double {
        Poco::JSON::Parser p;
        auto families = p.parse(parsed.out).extract<Poco::JSON::Array::Ptr>();
        for (size_t i = 0; i < families->size(); ++i) {
            auto f = families->getObject(static_cast<unsigned>(i));
            if (f->getValue<std::string>("name") != name) {
                continue;
            }
            auto ms = f->getArray("metrics");
            for (size_t k = 0; k < ms->size(); ++k) {
                auto m = ms->getObject(static_cast<unsigned>(k));
                auto labels = m->getObject("labels");
                if (label.empty() || (labels && labels->has("api") && labels->getValue<std::string>("api") == label)) {
                    if (m->has("value")) {
                        return std::stod(m->getValue<std::string>("value"));
                    }
                    // Histograms: this parser keeps only the buckets; +Inf is the count.
                    return std::stod(m->getObject("buckets")->getValue<std::string>("+Inf"));
                }
            }
        }
        return -1;
    };
    BOOST_TEST(value("teleport_msteams_cards_posted_total") == double(env.statCount("bot.post", 201)));
    BOOST_TEST(value("teleport_msteams_cards_updated_total") == double(env.statCount("bot.put", 200)));
    BOOST_TEST(value("teleport_msteams_api_throttled_total", "bot") == 1.0);
    BOOST_TEST(value("teleport_msteams_api_retries_total", "bot") >= 1.0);
    BOOST_TEST(value("teleport_msteams_token_refreshes_total", "graph") == double(env.statCount("token", 200)) - 1.0);
    BOOST_TEST(value("teleport_msteams_watching") == 1.0);
    std::smatch count;
    BOOST_REQUIRE(std::regex_search(metrics.body, count,
                                    std::regex("teleport_msteams_api_request_duration_seconds_count\\{api=\"bot\"\\} (\\d+)")));
    BOOST_TEST(std::stoi(count[1].str()) == int(env.statCount("bot.post", 201) + env.statCount("bot.post", 429) +
                                                env.statCount("bot.put", 200)));
    BOOST_TEST(value("teleport_msteams_notification_latency_seconds") == 3.0);
    BOOST_TEST(metrics.body.find("teleport_msteams_access_requests_seen_total{state=\"PENDING\"}") != std::string::npos);
    BOOST_TEST(metrics.body.find("teleport_msteams_recipients_cached 3") != std::string::npos);

    // Teleport goes away: not ready, with the reason; back: ready again.
    env.auth().kill9();
    BOOST_TEST(eventually([&] { return httpGet(base + "/readyz").status == 503; }, 10s));
    BOOST_TEST(httpGet(base + "/readyz").body.find("not watching Teleport") != std::string::npos);
    BOOST_TEST(httpGet(base + "/healthz").status == 200);
    env.auth().restart();
    BOOST_TEST(eventually([&] { return httpGet(base + "/readyz").status == 200; }, 30s));
}

BOOST_AUTO_TEST_CASE(json_logs_and_log_file_reopened_on_sighup) {
    PluginEnv env;
    const std::string logFile = env.dir() / "plugin.log";
    std::string text;
    {
        std::ifstream in(env.configPath());
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text = std::regex_replace(text, std::regex("\\[log\\]\nseverity = \"DEBUG\""),
                              "[log]\nseverity = \"INFO\"\nformat = \"json\"\noutput = \"" + logFile + "\"");
    std::ofstream(env.configPath()) << text;
    Process d({binaryPath("TELEPORT_MSTEAMS"), "start", "-c", env.configPath()}, env.dir().path());
    auto slurp = [](const std::string& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    BOOST_REQUIRE(eventually([&] { return slurp(logFile).find("plugin is ready") != std::string::npos; }, 20s));
    std::istringstream lines(slurp(logFile));
    std::string line;
    int parsedLines = 0;
    while (std::getline(lines, line)) {
        Poco::JSON::Parser p;
        auto o = p.parse(line).extract<Poco::JSON::Object::Ptr>();
        BOOST_TEST(o->has("time"));
        BOOST_TEST(o->has("level"));
        BOOST_TEST(o->has("msg"));
        ++parsedLines;
    }
    BOOST_TEST(parsedLines >= 3);
    // logrotate moves the file away, then SIGHUP: a new file is started.
    std::filesystem::rename(logFile, logFile + ".1");
    d.signal(SIGHUP);
    BOOST_TEST(eventually([&] { return slurp(logFile).find("configuration reloaded") != std::string::npos; }, 10s));
    d.signal(SIGTERM);
    BOOST_TEST(d.wait(20s).value_or(-1) == 0);
    BOOST_TEST(slurp(logFile).find("\"msg\":\"stopped\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(systemd_accepts_the_unit_file) {
    TempDir tmp;
    std::ifstream in(binaryPath("SERVICE_FILE"));
    std::string unit(std::istreambuf_iterator<char>(in), {});
    for (const char* want : {"Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes",
                             "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "User=teleport-msteams",
                             "start -c /etc/teleport-msteams.toml"}) {
        BOOST_TEST(unit.find(want) != std::string::npos, want);
    }
    // verify wants ExecStart to exist: point it at the binary we built, change nothing else.
    unit = std::regex_replace(unit, std::regex("/usr/local/bin/teleport-msteams"), binaryPath("TELEPORT_MSTEAMS"));
    std::ofstream(tmp / "teleport-msteams.service") << unit;
    auto r = runCommand({"systemd-analyze", "verify", "--man=no", tmp / "teleport-msteams.service"}, 60s);
    BOOST_TEST(r.exitCode == 0, r.err);
    BOOST_TEST(r.err.empty(), r.err);
    // The check can fail: a typo is reported.
    std::ofstream(tmp / "broken.service") << std::regex_replace(unit, std::regex("Type=notify"), "Type=notifyy");
    auto bad = runCommand({"systemd-analyze", "verify", "--man=no", tmp / "broken.service"}, 60s);
    BOOST_TEST(bad.err.find("notifyy") != std::string::npos, bad.err);
}

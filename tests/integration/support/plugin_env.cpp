// A whole hermetic deployment for scenario tests.
#include "plugin_env.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace tmsteams::testsupport {

std::string Card::status() const {
    for (const char* s : {"PENDING", "APPROVED", "DENIED", "PROMOTED", "EXPIRED"}) {
        if (json.find(std::string("\"text\":\"") + s + "\"") != std::string::npos) {
            return s;
        }
    }
    return "";
}

PluginEnv::PluginEnv() : PluginEnv(Options{}) {}

PluginEnv::PluginEnv(Options options) : options_(std::move(options)) {
    auth_ = std::make_unique<FakeAuth>(tmp_ / "auth", options_.authArgs);
    std::vector<std::string> graphArgs = {"--catalog-app", TeamsAppId + "=" + directory::AppId,
                                          "--install-for-team", directory::Team};
    graphArgs.insert(graphArgs.end(), options_.graphArgs.begin(), options_.graphArgs.end());
    graph_ = std::make_unique<FakeGraph>(tmp_.path(), graphArgs);
    std::ofstream(tmp_ / "secret") << directory::AppSecret << "\n";
    configPath_ = tmp_ / "teleport-msteams.toml";
    writeConfig();
}

void PluginEnv::writeConfig(const std::string& extra) {
    std::ofstream out(configPath_);
    out << "preload = " << (options_.preload ? "true" : "false") << "\n"
        << options_.topLevel << "[teleport]\naddr = \"" << auth_->addr() << "\"\nidentity = \"" << auth_->identity(options_.pluginUser)
        << "\"\n"
        << "[msapi]\napp_id = \"" << directory::AppId << "\"\napp_secret = \"" << (tmp_ / "secret") << "\"\n"
        << "tenant_id = \"" << directory::Tenant << "\"\nteams_app_id = \"" << TeamsAppId << "\"\n"
        << "login_endpoint = \"" << graph_->url() << "\"\ngraph_endpoint = \"" << graph_->url() << "\"\n"
        << "bot_endpoint = \"" << graph_->url() << "\"\n"
        << "[role_to_recipients]\n" << options_.roleToRecipients << "\n"
        << "[log]\nseverity = \"DEBUG\"\n"
        << extra;
}

void PluginEnv::setRecipients(const std::string& roleToRecipients, const std::string& extra) {
    options_.roleToRecipients = roleToRecipients;
    writeConfig(extra);
}

Process& PluginEnv::startDaemon(const std::string& configPath, std::map<std::string, std::string> env,
                                bool waitForMicrosoft) {
    daemons_.push_back(std::make_unique<Process>(
        std::vector<std::string>{binaryPath("TELEPORT_MSTEAMS"), "start", "-c",
                                 configPath.empty() ? configPath_ : configPath},
        tmp_.path(), std::move(env)));
    Process& p = *daemons_.back();
    if (!p.waitForStderr("plugin is ready", 20s)) {
        throw std::runtime_error("teleport-msteams did not become ready: " + p.stderrText());
    }
    // Watching Teleport does not wait for Microsoft: the Teams app is found beside it.
    if (waitForMicrosoft && !p.waitForStderr("found the Teams app in the org catalog", 20s)) {
        throw std::runtime_error("teleport-msteams did not reach Microsoft: " + p.stderrText());
    }
    return p;
}

int PluginEnv::stopDaemon(size_t i) {
    auto& p = *daemons_.at(i);
    p.signal(SIGTERM);
    return p.wait(20s).value_or(-1);
}

std::string PluginEnv::createRequest(const std::string& user, const std::string& roles,
                                     const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"request", "create", user, "--roles", roles};
    args.insert(args.end(), extra.begin(), extra.end());
    return auth_->tctlOk(args);
}

std::string PluginEnv::statusAddress(Process& daemon) {
    std::smatch m;
    std::string log;
    eventually(
        [&] {
            log = daemon.stderrText();
            return std::regex_search(log, m, std::regex("status endpoint listening addr=(\\S+)"));
        },
        10s);
    return m.size() > 1 ? m[1].str() : "";
}

std::string PluginEnv::chatOf(const std::string& userId) {
    return "19:" + userId + "_" + directory::AppId + "@unq.gbl.spaces";
}

std::vector<Card> PluginEnv::cards() {
    std::vector<Card> out;
    auto resp = graph_->control("GET", "/_fake/activities");
    auto list = parseObject(resp.body)->getArray("activities");
    for (size_t i = 0; i < list->size(); ++i) {
        auto a = list->getObject(static_cast<unsigned>(i));
        Card c;
        c.conversationId = a->getValue<std::string>("conversationId");
        c.activityId = a->getValue<std::string>("id");
        c.updates = a->getValue<int>("updates");
        std::ostringstream os;
        a->get("card").extract<Poco::JSON::Object::Ptr>()->stringify(os);
        c.json = os.str();
        out.push_back(c);
    }
    return out;
}

std::vector<Card> PluginEnv::cardsFor(const std::string& requestId) {
    std::vector<Card> out;
    for (auto& c : cards()) {
        if (c.contains("Access Request " + requestId)) {
            out.push_back(c);
        }
    }
    return out;
}

bool PluginEnv::waitForCards(const std::string& requestId, size_t count, const std::string& status,
                             std::chrono::milliseconds limit) {
    bool ok = eventually(
        [&] {
            auto cs = cardsFor(requestId);
            if (cs.size() != count) {
                return false;
            }
            for (const auto& c : cs) {
                if (c.status() != status) {
                    return false;
                }
            }
            return true;
        },
        limit);
    if (!ok) {
        std::cerr << "request " << requestId << ": wanted " << count << " " << status << " cards, have "
                  << cardsFor(requestId).size() << "\n";
        dumpDaemonLogs();
    }
    return ok;
}

void PluginEnv::dumpDaemonLogs() {
    // Say what the daemons were doing, so a failure in CI can be understood from its log.
    for (size_t i = 0; i < daemons_.size(); ++i) {
        std::string log = daemons_[i]->stderrText();
        size_t from = log.size() > 6000 ? log.size() - 6000 : 0;
        std::cerr << "--- daemon " << i << " log (tail) ---\n" << log.substr(from) << "\n";
    }
}

bool PluginEnv::waitForRecorded(const std::string& requestId, size_t count, std::chrono::milliseconds limit) {
    bool ok = eventually(
        [&] {
            auto r = auth_->tctl({"plugindata", "get", requestId, "--plugin", "msteams"});
            if (r.exitCode != 0) {
                return false;
            }
            auto data = parseObject(r.out);
            auto entries = data->getObject("Entries");
            if (!entries || !entries->has("msteams")) {
                return false;
            }
            auto d = entries->getObject("msteams")->getObject("Data");
            if (!d || !d->has("messages")) {
                return count == 0;
            }
            std::string messages = d->getValue<std::string>("messages");
            size_t n = messages.empty() ? 0 : size_t(std::count(messages.begin(), messages.end(), ',')) + 1;
            return n == count && !d->has("claim");
        },
        limit);
    if (!ok) {
        std::cerr << "request " << requestId << ": wanted " << count << " cards recorded and no claim; plugin data: "
                  << auth_->tctl({"plugindata", "get", requestId, "--plugin", "msteams"}).out << "\n";
        dumpDaemonLogs();
    }
    return ok;
}

std::string PluginEnv::pluginData(const std::string& requestId) {
    return auth_->tctlOk({"plugindata", "get", requestId, "--plugin", "msteams"});
}

uint64_t PluginEnv::statCount(const std::string& route, int status) {
    auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
    auto r = routes->getObject(route);
    if (!r || !r->has(std::to_string(status))) {
        return 0;
    }
    return r->getValue<uint64_t>(std::to_string(status));
}

CommandResult PluginEnv::judgeCards() {
    auto all = graph_->control("GET", "/_fake/activities?history=1");
    const std::string file = tmp_ / "activities.json";
    std::ofstream(file) << all.body;
    return runCommand({"node", binaryPath("JUDGES_DIR") + "/card_judge.cjs", file}, 120s);
}

}  // namespace tmsteams::testsupport

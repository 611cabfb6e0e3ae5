// A whole hermetic deployment for scenario tests: fake Teleport, fake Microsoft, a config,
// and teleport-msteams daemons started as processes; helpers that read the cards back.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "fake_auth_handle.h"
#include "fake_graph_handle.h"
#include "process.h"

namespace tmsteams::testsupport {

inline const std::string TeamsAppId = "11111111-2222-4333-8444-555555555555";
inline const std::string AliceMail = "alice@contoso.example";
inline const std::string BobMail = "bob@contoso.example";
inline const std::string CarolMail = "carol@contoso.example";
inline const std::string ErinMail = "erin@contoso.example";
// The "Access Requests" channel of the directory's team, as a Teams link.
inline const std::string ChannelUrl =
    "https://teams.microsoft.com/l/channel/19%3a3a9d7c5e1f0b4a2c8e6d4f2a0c8e6b4d%40thread.tacv2/"
    "Access%20Requests?groupId=2f6c8e0a-4b1d-4f3e-a5c7-9d0e2f4a6c81&tenantId=4b2a9f5e-6d0c-4c8e-9a51-2f7d3e8b1c60";

struct Card {
    std::string conversationId;
    std::string activityId;
    int updates = 0;
    std::string json;  // the card content as the fake received it last
    std::string status() const;  // PENDING, APPROVED, ... (the status column's text)
    bool contains(const std::string& text) const { return json.find(text) != std::string::npos; }
};

class PluginEnv {
public:
    struct Options {
        std::string roleToRecipients =
            "\"*\" = [\"" + AliceMail + "\"]\neditor = [\"" + BobMail + "\"]\n";
        bool preload = false;
        std::string pluginUser = "teleport-msteams";
        std::vector<std::string> authArgs;
        std::vector<std::string> graphArgs;
        std::string topLevel;  // config lines before the first section
    };

    PluginEnv();
    explicit PluginEnv(Options options);

    TempDir& dir() { return tmp_; }
    FakeAuth& auth() { return *auth_; }
    FakeGraph& graph() { return *graph_; }
    const std::string& configPath() const { return configPath_; }

    // Writes the config (again) with `extra` appended.
    void writeConfig(const std::string& extra = "");
    // Starts a daemon and waits until it logs "plugin is ready" (watching Teleport) and, unless
    // told not to, that it found the Teams app (Microsoft reached, which happens beside the watch).
    Process& startDaemon(const std::string& configPath = "", std::map<std::string, std::string> env = {},
                         bool waitForMicrosoft = true);
    // Rewrites the config with other [role_to_recipients] (and `extra` appended).
    void setRecipients(const std::string& roleToRecipients, const std::string& extra = "");
    Process& daemon(size_t i = 0) { return *daemons_.at(i); }
    // SIGTERM and wait; returns the exit code.
    int stopDaemon(size_t i = 0);

    // The address of a daemon's [http] endpoint, from its log ("" if it never said).
    static std::string statusAddress(Process& daemon);
    // Creates a request with fake-tctl; returns its id.
    std::string createRequest(const std::string& user, const std::string& roles,
                              const std::vector<std::string>& extra = {});
    // The conversation id of a user's personal chat with the bot, by directory user id.
    static std::string chatOf(const std::string& userId);

    std::vector<Card> cards();
    std::vector<Card> cardsFor(const std::string& requestId);
    // Waits until `requestId` has exactly `count` cards, all with `status`.
    bool waitForCards(const std::string& requestId, size_t count, const std::string& status,
                      std::chrono::milliseconds limit = 20s);
    // Waits until the plugin data of the request records `count` cards: after this, a crash
    // cannot make the daemon post them again.
    bool waitForRecorded(const std::string& requestId, size_t count, std::chrono::milliseconds limit = 20s);
    // The tail of every daemon's log, on stderr: what a failed wait prints.
    void dumpDaemonLogs();
    // Plugin data of the request, as fake-tctl prints it (JSON).
    std::string pluginData(const std::string& requestId);
    uint64_t statCount(const std::string& route, int status);
    // Every version of every card the fake received, judged by Microsoft's Adaptive Cards
    // library and Teams' rules (tests/integration/js/card_judge.cjs).
    CommandResult judgeCards();

private:
    Options options_;
    TempDir tmp_;
    std::unique_ptr<FakeAuth> auth_;
    std::unique_ptr<FakeGraph> graph_;
    std::string configPath_;
    std::vector<std::unique_ptr<Process>> daemons_;
};

}  // namespace tmsteams::testsupport

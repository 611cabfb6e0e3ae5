// Everything the fake Microsoft service remembers: issued tokens, the app catalog, app
// installations, conversations with every activity and its updates, counters, and the faults
// and throttles in force. One mutex guards it all; routes hold it only briefly.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bot_signer.h"
#include "directory.h"
#include "throttle.h"

namespace tmsteams::fakegraph {

enum class Audience { Graph, Bot };

struct TokenInfo {
    std::string appId;
    std::string tenantId;
    Audience audience;
    std::chrono::system_clock::time_point expiresAt;
    bool revoked = false;
};

struct CatalogApp {
    std::string id;          // Graph teamsApp id (a GUID of ours)
    std::string externalId;  // the manifest id
    std::string displayName;
    std::string botId;       // manifest bots[0].botId
    std::string webAppId;    // manifest webApplicationInfo.id: the Azure AD app allowed to install it
    std::string distributionMethod = "organization";
};

struct ActivityVersion {
    int64_t receivedMs;
    std::string method;  // POST or PUT
    std::string activityJson;
};

struct ActivityRecord {
    std::string id;
    std::string conversationId;
    uint64_t seq;  // global order of the latest change
    std::vector<ActivityVersion> history;
};

struct ConversationRecord {
    std::string id;
    std::string kind;  // "personal" or "channel"
    std::string name;
    std::string ownerId;  // user id or team id
    std::vector<std::string> activityIds;
};

// A scripted response: the next `remaining` matching requests get `status`.
struct Fault {
    std::string route;         // "token", "graph", "bot", a route key ("bot.post"), or "any"
    std::string conversation;  // bot routes only; empty = every conversation
    int status = 0;            // 0 = connection reset
    int remaining = 1;
    std::string retryAfter;    // Retry-After header value, empty = none
    std::string code;          // error code in the body; default by status
};

class FakeState {
public:
    FakeState(Directory directory, std::chrono::seconds tokenTtl, int appRps, bool throttleOn);

    const Directory& directory() const { return directory_; }
    std::mutex& mutex() { return mu_; }  // guards everything below

    // Tokens.
    std::string issueToken(const std::string& appId, const std::string& tenant, Audience aud);
    std::optional<TokenInfo> token(const std::string& value) const;
    std::chrono::seconds tokenTtl() const { return tokenTtl_; }
    void revokeAllTokens();

    // App catalog.
    const CatalogApp* catalogByExternalId(const std::string& externalId) const;
    const CatalogApp* catalogById(const std::string& id) const;
    const CatalogApp* catalogByBotId(const std::string& botId) const;
    // Adds the app, or replaces the one with the same manifest id (keeping its catalog id).
    const CatalogApp& publish(CatalogApp app);
    std::vector<CatalogApp> catalog() const;
    bool removeFromCatalog(const std::string& id);

    // Installations of catalog apps for users and teams (scope = user id or team id).
    bool installed(const std::string& scope, const std::string& appId) const;
    // Whether any catalog app with this bot is installed in `scope`.
    bool botInstalled(const std::string& scope, const std::string& botId) const;
    bool install(const std::string& scope, const std::string& appId);  // false if already
    bool uninstall(const std::string& scope, const std::string& appId);

    // Conversations and activities.
    ConversationRecord& conversation(const std::string& id, const std::string& kind,
                                     const std::string& name, const std::string& ownerId);
    const ConversationRecord* findConversation(const std::string& id) const;
    // `atMs`: when Teams took the call (Exchange::answeredMs), kept as the version's receivedMs.
    std::string addActivity(const std::string& conversationId, const std::string& json, int64_t atMs);
    bool updateActivity(const std::string& conversationId, const std::string& activityId,
                        const std::string& json, int64_t atMs);
    std::vector<ConversationRecord> conversations() const;
    std::vector<ActivityRecord> activities(const std::string& conversationId, uint64_t sinceSeq) const;
    uint64_t version() const { return seq_; }

    // Stats: counts per route key and status.
    void count(const std::string& routeKey, int status);
    std::map<std::string, std::map<int, uint64_t>> stats() const { return stats_; }

    // Faults and latency.
    void addFault(Fault f) { faults_.push_back(std::move(f)); }
    // Drops pending faults and added latency.
    void clearFaults() {
        faults_.clear();
        latency_.clear();
    }
    std::optional<Fault> takeFault(const std::string& routeKey, const std::string& conversation);
    void setLatency(const std::string& route, std::chrono::milliseconds ms) { latency_[route] = ms; }
    std::chrono::milliseconds latencyFor(const std::string& routeKey) const;

    // Bot throttling: 0 = admitted, else how long until it would be. `received` is when the
    // call arrived: Teams counts calls as they reach it, not after our simulated latency or a
    // wait for this lock (a test reading every card holds it for a while).
    std::chrono::milliseconds admitBotCall(const std::string& appId, const std::string& conversation,
                                           std::chrono::steady_clock::time_point received);
    void setThrottle(bool on) { throttleOn_ = on; }

    // Clears conversations, activities, counters, faults, tokens and throttles; with
    // `catalog`, also the catalog and installations.
    void reset(bool catalog);

    // Teams calling the bot (card actions): the keys that sign those calls (immutable), and the
    // defaults of /_fake/invoke (under the mutex; POST /_fake/bot-endpoint changes them).
    const BotSigner& signer() const { return signer_; }
    std::string scheme = "http";  // how clients reach this fake; set before serving
    std::string botEndpoint;      // the bot's messaging endpoint, e.g. https://127.0.0.1:8443/api/messages
    std::string botEndpointCa;    // CA file that signs its certificate
    std::string botAppId;         // the audience of the tokens; default: the first catalog app's bot

private:
    BotSigner signer_;
    Directory directory_;
    std::chrono::seconds tokenTtl_;
    std::map<std::string, TokenInfo> tokens_;
    std::vector<CatalogApp> catalog_;
    std::set<std::pair<std::string, std::string>> installs_;
    std::map<std::string, ConversationRecord> conversations_;
    std::map<std::string, ActivityRecord> activities_;  // by activity id
    uint64_t seq_ = 0;
    uint64_t nextActivity_ = 0;
    std::map<std::string, std::map<int, uint64_t>> stats_;
    std::deque<Fault> faults_;
    std::map<std::string, std::chrono::milliseconds> latency_;
    Throttle perConversation_;
    Throttle perApp_;
    bool throttleOn_;
    std::mutex mu_;
};

// Helpers for realistic ids.
std::string newGuid();
std::string base64Encode(const std::string& in);
int64_t nowMs();

}  // namespace tmsteams::fakegraph

// Everything the fake Microsoft service remembers.
#include "fake_state.h"

#include "common/base64.h"
#include "common/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>

namespace tmsteams::fakegraph {

std::string newGuid() { return common::newUuid(); }

std::string base64Encode(const std::string& in) { return common::base64Encode(in); }

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Teams' published bot limits: per bot per conversation 7 ops/s and 60 per 30 s; per app
// `appRps` per second.
FakeState::FakeState(Directory directory, std::chrono::seconds tokenTtl, int appRps, bool throttleOn)
    : directory_(std::move(directory)), tokenTtl_(tokenTtl),
      perConversation_({{7, std::chrono::milliseconds(1000)}, {60, std::chrono::milliseconds(30000)}}),
      perApp_({{appRps, std::chrono::milliseconds(1000)}}), throttleOn_(throttleOn) {}

std::string FakeState::issueToken(const std::string& appId, const std::string& tenant, Audience aud) {
    unsigned char raw[48];
    RAND_bytes(raw, sizeof raw);
    // Shaped like a JWT (three dot-separated parts) but opaque: only this fake can read it.
    std::string token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0." +
                        base64Encode(std::string(reinterpret_cast<char*>(raw), 32)) + "." +
                        base64Encode(std::string(reinterpret_cast<char*>(raw) + 32, 16));
    for (auto& c : token) {
        if (c == '+') {
            c = '-';
        } else if (c == '/') {
            c = '_';
        } else if (c == '=') {
            c = 'A';
        }
    }
    tokens_[token] = {appId, tenant, aud, std::chrono::system_clock::now() + tokenTtl_, false};
    return token;
}

std::optional<TokenInfo> FakeState::token(const std::string& value) const {
    auto it = tokens_.find(value);
    if (it == tokens_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void FakeState::revokeAllTokens() {
    for (auto& [k, t] : tokens_) {
        t.revoked = true;
    }
}

const CatalogApp* FakeState::catalogByExternalId(const std::string& externalId) const {
    for (const auto& a : catalog_) {
        if (a.externalId == externalId) {
            return &a;
        }
    }
    return nullptr;
}

const CatalogApp* FakeState::catalogById(const std::string& id) const {
    for (const auto& a : catalog_) {
        if (a.id == id) {
            return &a;
        }
    }
    return nullptr;
}

const CatalogApp* FakeState::catalogByBotId(const std::string& botId) const {
    for (const auto& a : catalog_) {
        if (a.botId == botId) {
            return &a;
        }
    }
    return nullptr;
}

const CatalogApp& FakeState::publish(CatalogApp app) {
    for (auto& existing : catalog_) {
        if (existing.externalId == app.externalId) {
            app.id = existing.id;  // an update keeps the catalog id and every installation
            existing = std::move(app);
            return existing;
        }
    }
    catalog_.push_back(std::move(app));
    return catalog_.back();
}

std::vector<CatalogApp> FakeState::catalog() const { return catalog_; }

bool FakeState::removeFromCatalog(const std::string& id) {
    for (auto it = catalog_.begin(); it != catalog_.end(); ++it) {
        if (it->id == id) {
            catalog_.erase(it);
            return true;
        }
    }
    return false;
}

bool FakeState::installed(const std::string& scope, const std::string& appId) const {
    return installs_.count({scope, appId}) > 0;
}

bool FakeState::botInstalled(const std::string& scope, const std::string& botId) const {
    for (const auto& a : catalog_) {
        if (a.botId == botId && installed(scope, a.id)) {
            return true;
        }
    }
    return false;
}

bool FakeState::install(const std::string& scope, const std::string& appId) {
    return installs_.insert({scope, appId}).second;
}

bool FakeState::uninstall(const std::string& scope, const std::string& appId) {
    return installs_.erase({scope, appId}) > 0;
}

ConversationRecord& FakeState::conversation(const std::string& id, const std::string& kind,
                                            const std::string& name, const std::string& ownerId) {
    auto& c = conversations_[id];
    if (c.id.empty()) {
        c.id = id;
        c.kind = kind;
        c.name = name;
        c.ownerId = ownerId;
    }
    return c;
}

const ConversationRecord* FakeState::findConversation(const std::string& id) const {
    auto it = conversations_.find(id);
    return it == conversations_.end() ? nullptr : &it->second;
}

std::string FakeState::addActivity(const std::string& conversationId, const std::string& json, int64_t atMs) {
    // Teams activity ids look like millisecond timestamps; keep them unique.
    std::string id = std::to_string(nowMs() * 1000 + static_cast<int64_t>(nextActivity_++ % 1000));
    ActivityRecord rec{id, conversationId, ++seq_, {{atMs, "POST", json}}};
    activities_[id] = rec;
    conversations_[conversationId].activityIds.push_back(id);
    return id;
}

bool FakeState::updateActivity(const std::string& conversationId, const std::string& activityId,
                               const std::string& json, int64_t atMs) {
    auto it = activities_.find(activityId);
    if (it == activities_.end() || it->second.conversationId != conversationId) {
        return false;
    }
    it->second.seq = ++seq_;
    it->second.history.push_back({atMs, "PUT", json});
    return true;
}

std::vector<ConversationRecord> FakeState::conversations() const {
    std::vector<ConversationRecord> out;
    for (const auto& [id, c] : conversations_) {
        out.push_back(c);
    }
    return out;
}

std::vector<ActivityRecord> FakeState::activities(const std::string& conversationId,
                                                  uint64_t sinceSeq) const {
    std::vector<ActivityRecord> out;
    for (const auto& [id, a] : activities_) {
        if ((conversationId.empty() || a.conversationId == conversationId) && a.seq > sinceSeq) {
            out.push_back(a);
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.history.front().receivedMs != b.history.front().receivedMs
                   ? a.history.front().receivedMs < b.history.front().receivedMs
                   : a.id < b.id;
    });
    return out;
}

void FakeState::count(const std::string& routeKey, int status) { ++stats_[routeKey][status]; }

std::optional<Fault> FakeState::takeFault(const std::string& routeKey,
                                          const std::string& conversation) {
    std::string area = routeKey.substr(0, routeKey.find('.'));
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        bool routeMatches = it->route == "any" || it->route == area || it->route == routeKey;
        bool convMatches = it->conversation.empty() || it->conversation == conversation;
        if (routeMatches && convMatches) {
            Fault f = *it;
            if (--it->remaining <= 0) {
                faults_.erase(it);
            }
            return f;
        }
    }
    return std::nullopt;
}

std::chrono::milliseconds FakeState::latencyFor(const std::string& routeKey) const {
    std::string area = routeKey.substr(0, routeKey.find('.'));
    std::chrono::milliseconds total{0};
    for (const auto& key : {std::string("any"), area, routeKey}) {
        if (auto it = latency_.find(key); it != latency_.end()) {
            total = std::max(total, it->second);
        }
    }
    return total;
}

std::chrono::milliseconds FakeState::admitBotCall(const std::string& appId, const std::string& conversation,
                                                  std::chrono::steady_clock::time_point received) {
    if (!throttleOn_) {
        return std::chrono::milliseconds(0);
    }
    const auto now = received;
    // The per-conversation budget is per bot: key on both. A refused call uses no budget.
    const std::string convKey = appId + "|" + conversation;
    auto wait = std::max(perApp_.waitFor(appId, now), perConversation_.waitFor(convKey, now));
    if (wait.count() == 0) {
        perApp_.record(appId, now);
        perConversation_.record(convKey, now);
    }
    return wait;
}

void FakeState::reset(bool catalog) {
    conversations_.clear();
    activities_.clear();
    stats_.clear();
    faults_.clear();
    latency_.clear();
    tokens_.clear();
    perConversation_.clear();
    perApp_.clear();
    ++seq_;
    if (catalog) {
        catalog_.clear();
        installs_.clear();
    }
}

}  // namespace tmsteams::fakegraph

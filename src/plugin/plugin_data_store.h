// Typed compare-and-swap on a request's plugin data: read, let the caller decide, write only if
// nothing changed meanwhile, and try again on a conflict. Every write the plugin makes goes
// through here, so replicas of the daemon (and the Go plugin) cooperate safely.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "plugin/plugin_data.h"
#include "teleport/auth_client.h"

namespace tmsteams::plugin {

class PluginDataStore {
public:
    // Given what is stored (nullopt: nothing), what to store instead; nullopt: leave it.
    using Modify = std::function<std::optional<PluginData>(const std::optional<PluginData>&)>;
    // What we believe is stored, raw: nullopt = nothing. Lets a write skip the read before it.
    using Stored = std::optional<teleport::PluginDataMap>;

    PluginDataStore(teleport::AuthClient& auth, common::Clock& clock) : auth_(auth), clock_(clock) {}

    // Read, modify, compare-and-swap, retried on conflict (up to 40 times, backing off).
    // Returns what was written, or nullopt when `modify` chose not to write. With `assumed`,
    // the first attempt trusts it instead of reading (a wrong guess costs one conflict, then
    // it reads). `stored`, when given, receives what the server holds afterwards.
    absl::StatusOr<std::optional<PluginData>> modify(const std::string& id, const Modify& modify, std::stop_token stop,
                                                     const Stored* assumed = nullptr, Stored* stored = nullptr);
    absl::StatusOr<std::optional<PluginData>> read(const std::string& id);
    // Writes `data` only if the request has no plugin data yet: one attempt, OK when written or
    // when someone else's data is there already (kAlreadyExists is not an error here).
    // `created` says whether this call wrote it.
    absl::Status createOnly(const std::string& id, const PluginData& data, bool* created = nullptr);

    uint64_t conflicts() const { return conflicts_.load(std::memory_order_relaxed); }

private:
    teleport::AuthClient& auth_;
    common::Clock& clock_;
    std::atomic<uint64_t> conflicts_{0};
};

}  // namespace tmsteams::plugin

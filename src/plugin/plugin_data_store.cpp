// Typed compare-and-swap on a request's plugin data.
#include "plugin/plugin_data_store.h"

#include "common/backoff.h"

namespace tmsteams::plugin {

absl::StatusOr<std::optional<PluginData>> PluginDataStore::read(const std::string& id) {
    auto raw = auth_.getPluginData(id);
    if (!raw.ok()) {
        return raw.status();
    }
    return raw->has_value() ? std::optional<PluginData>(decodePluginData(**raw)) : std::nullopt;
}

absl::Status PluginDataStore::createOnly(const std::string& id, const PluginData& data, bool* created) {
    // Expecting "nothing stored" needs no read first.
    auto s = auth_.updatePluginData(id, encodePluginData(data), emptyExpectation());
    if (created) {
        *created = s.ok();
    }
    if (s.code() == absl::StatusCode::kAborted) {
        return absl::OkStatus();  // recorded already, by another lane or replica
    }
    return s;
}

absl::StatusOr<std::optional<PluginData>> PluginDataStore::modify(const std::string& id, const Modify& modify,
                                                                  std::stop_token stop, const Stored* assumed,
                                                                  Stored* stored) {
    common::Backoff backoff(std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
    for (int attempt = 0; attempt < 40; ++attempt) {
        Stored raw;
        if (attempt == 0 && assumed) {
            raw = *assumed;
        } else {
            auto read = auth_.getPluginData(id);
            if (!read.ok()) {
                return read.status();
            }
            raw = std::move(*read);
        }
        std::optional<PluginData> old;
        if (raw) {
            old = decodePluginData(*raw);
        }
        auto next = modify(old);
        if (!next) {
            if (stored) {
                *stored = raw;
            }
            return std::optional<PluginData>();
        }
        auto set = encodePluginData(*next);
        std::map<std::string, std::string> expect;
        if (raw) {
            expect = *raw;
            for (const auto& [k, v] : set) {
                expect.emplace(k, "");
            }
        } else {
            expect = emptyExpectation();
        }
        auto s = auth_.updatePluginData(id, set, expect);
        if (s.ok()) {
            if (stored) {
                teleport::PluginDataMap now = raw.value_or(teleport::PluginDataMap{});
                for (const auto& [k, v] : set) {
                    if (v.empty()) {
                        now.erase(k);
                    } else {
                        now[k] = v;
                    }
                }
                *stored = now.empty() ? Stored() : Stored(now);
            }
            return next;
        }
        if (s.code() != absl::StatusCode::kAborted) {
            return s;
        }
        conflicts_.fetch_add(1, std::memory_order_relaxed);
        if (attempt == 0 && assumed) {
            continue;  // the guess was stale: read and try again at once
        }
        if (!clock_.sleepFor(backoff.next(), stop)) {
            return absl::CancelledError("stopped");
        }
    }
    return absl::AbortedError("plugin data of " + id + " kept changing; gave up after 40 attempts");
}

}  // namespace tmsteams::plugin

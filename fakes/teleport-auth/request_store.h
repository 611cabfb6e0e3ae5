// The fake Auth Service's state: access requests, their reviews and thresholds, and plugin
// data with Teleport's Set/Expect semantics. Pure logic: time comes in as arguments, events
// go out through a listener, so unit tests drive it without a server.
#pragma once

#include <chrono>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "authservice.pb.h"
#include "fake_control.pb.h"
#include "types.pb.h"

namespace tmsteams::fakeauth {

using TimePoint = std::chrono::system_clock::time_point;

// Plugin data lives this long after the request's access expiry, as in Teleport.
inline constexpr std::chrono::hours PluginDataGrace{1};
// A request with no TTL stays pending this long.
inline constexpr std::chrono::hours DefaultRequestTtl{1};
// Largest plugin data object we store, like a backend's item size limit.
inline constexpr size_t MaxPluginDataBytes = 1 << 20;

class RequestStore {
public:
    // Called under the store's lock, in mutation order: every PUT/DELETE event.
    using EventListener = std::function<void(const proto::Event&)>;
    // Called under the store's lock after every mutation, with the state to persist.
    using Persister = std::function<void(const teleportfake::FakeState&)>;

    // Without a persister, changes only mark the store dirty (see takeDirty()).
    RequestStore(EventListener onEvent, Persister persist);

    // True once after any change since the last call: for writers that save periodically.
    bool takeDirty() { return dirty_.exchange(false); }

    // Server sets ID, state PENDING, created time, expiries and default thresholds.
    absl::StatusOr<types::AccessRequestV3> create(const types::AccessRequestV3& request,
                                                  TimePoint now);
    // Appends a review and applies the approve/deny thresholds (PROMOTED resolves at once).
    absl::StatusOr<types::AccessRequestV3> submitReview(const types::AccessReviewSubmission& sub,
                                                        TimePoint now);
    absl::Status setState(const proto::RequestStateSetter& setter, TimePoint now);
    absl::Status remove(const std::string& id);

    std::vector<types::AccessRequestV3> list(const types::AccessRequestFilter& filter) const;
    absl::StatusOr<proto::ListAccessRequestsResponse> listPage(
        const proto::ListAccessRequestsRequest& request) const;

    std::vector<types::PluginDataV3> getPluginData(const types::PluginDataFilter& filter,
                                                   TimePoint now) const;
    absl::Status updatePluginData(const types::PluginDataUpdateParams& params, TimePoint now);

    // Deletes requests whose time has come (DELETE events) and plugin data past its expiry.
    // Returns how many requests expired.
    int expire(TimePoint now);
    // Expires one pending request now, as its TTL would.
    absl::Status expireNow(const std::string& id);

    // Makes the next `n` UpdatePluginData calls fail with FAILED_PRECONDITION.
    void failNextUpdates(uint32_t n);

    // Runs `f` under the store's lock, so a new watcher sees exactly the events after it.
    void runLocked(const std::function<void()>& f) const;

    teleportfake::FakeState snapshot() const;
    void restore(const teleportfake::FakeState& state);
    size_t requestCount() const;
    uint64_t conflicts() const;

private:
    void emitPut(const types::AccessRequestV3& r);
    void emitDelete(const std::string& id);
    void persistLocked();
    teleportfake::FakeState snapshotLocked() const;
    void resolveByThresholds(types::AccessRequestV3& r);

    mutable std::recursive_mutex mu_;  // guards everything below
    EventListener onEvent_;
    Persister persist_;
    std::map<std::string, types::AccessRequestV3> requests_;
    std::map<std::string, types::PluginDataV3> pluginData_;  // by request ID
    uint32_t failUpdates_ = 0;
    std::atomic<bool> dirty_{false};
    uint64_t revision_ = 0;
    uint64_t conflicts_ = 0;
};

// Returns a random RFC 4122 version 4 UUID, as Teleport uses for request IDs.
std::string newUuid();

}  // namespace tmsteams::fakeauth

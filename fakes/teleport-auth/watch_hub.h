// Fan-out of watch events to every open WatchEvents stream, each with its own queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <grpcpp/support/status.h>

#include "authservice.pb.h"

namespace tmsteams::fakeauth {

// One stream's queue. The first event queued is its INIT.
class Watcher {
public:
    Watcher(std::string idFilter, std::string userFilter, bool requests = true, bool rules = false)
        : idFilter_(std::move(idFilter)), userFilter_(std::move(userFilter)), requests_(requests), rules_(rules) {}

    enum class Next { Event, Timeout, Closed };

    void push(const proto::Event& ev);
    // Waits up to `timeout` for the next event.
    Next pop(proto::Event& out, std::chrono::milliseconds timeout);
    // Ends the stream with `status` at once, dropping queued events, as a broken connection
    // would.
    void close(grpc::Status status);
    grpc::Status closeStatus();

private:
    bool wants(const proto::Event& ev) const;

    const std::string idFilter_;
    const std::string userFilter_;
    const bool requests_;  // access_request events
    const bool rules_;     // access_monitoring_rule events
    std::mutex mu_;  // guards queue_, closed_, status_
    std::condition_variable cv_;
    std::deque<proto::Event> queue_;
    bool closed_ = false;
    grpc::Status status_;
};

class WatchHub {
public:
    // Registers a watcher; call under the store's lock so it misses nothing.
    void add(const std::shared_ptr<Watcher>& w);
    void remove(const std::shared_ptr<Watcher>& w);
    void publish(const proto::Event& ev);
    // Ends every open stream with `status` (OK = clean end, UNAVAILABLE = outage).
    void closeAll(const grpc::Status& status);
    size_t count();

private:
    std::mutex mu_;  // guards watchers_
    std::set<std::shared_ptr<Watcher>> watchers_;
};

}  // namespace tmsteams::fakeauth

// Fan-out of watch events to every open WatchEvents stream.
#include "watch_hub.h"

namespace tmsteams::fakeauth {

bool Watcher::wants(const proto::Event& ev) const {
    if (ev.type() == proto::INIT) {
        return true;
    }
    if (ev.has_accessmonitoringrule() || ev.resourceheader().kind() == "access_monitoring_rule") {
        return rules_;
    }
    if (!requests_) {
        return false;
    }
    std::string id;
    std::string user;
    if (ev.has_accessrequest()) {
        id = ev.accessrequest().metadata().name();
        user = ev.accessrequest().spec().user();
    } else if (ev.has_resourceheader()) {
        id = ev.resourceheader().metadata().name();
    }
    if (!idFilter_.empty() && id != idFilter_) {
        return false;
    }
    // DELETE carries no user; a user-filtered watcher still gets it, as Teleport sends it.
    if (!userFilter_.empty() && !user.empty() && user != userFilter_) {
        return false;
    }
    return true;
}

void Watcher::push(const proto::Event& ev) {
    if (!wants(ev)) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        if (closed_) {
            return;
        }
        queue_.push_back(ev);
    }
    cv_.notify_one();
}

Watcher::Next Watcher::pop(proto::Event& out, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || !queue_.empty(); });
    if (closed_) {
        return Next::Closed;
    }
    if (queue_.empty()) {
        return Next::Timeout;
    }
    out = std::move(queue_.front());
    queue_.pop_front();
    return Next::Event;
}

void Watcher::close(grpc::Status status) {
    {
        std::lock_guard lock(mu_);
        closed_ = true;
        status_ = std::move(status);
        queue_.clear();
    }
    cv_.notify_all();
}

grpc::Status Watcher::closeStatus() {
    std::lock_guard lock(mu_);
    return status_;
}

void WatchHub::add(const std::shared_ptr<Watcher>& w) {
    std::lock_guard lock(mu_);
    watchers_.insert(w);
}

void WatchHub::remove(const std::shared_ptr<Watcher>& w) {
    std::lock_guard lock(mu_);
    watchers_.erase(w);
}

void WatchHub::publish(const proto::Event& ev) {
    std::lock_guard lock(mu_);
    for (const auto& w : watchers_) {
        w->push(ev);
    }
}

void WatchHub::closeAll(const grpc::Status& status) {
    std::lock_guard lock(mu_);
    for (const auto& w : watchers_) {
        w->close(status);
    }
    watchers_.clear();
}

size_t WatchHub::count() {
    std::lock_guard lock(mu_);
    return watchers_.size();
}

}  // namespace tmsteams::fakeauth

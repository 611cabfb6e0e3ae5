// The systemd notification protocol.
#include "common/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace tmsteams::common {

SdNotifier::SdNotifier() {
    if (const char* s = std::getenv("NOTIFY_SOCKET"); s && *s && (s[0] == '/' || s[0] == '@')) {
        socketPath_ = s;
    }
    if (const char* w = std::getenv("WATCHDOG_USEC"); w && *w) {
        const char* pid = std::getenv("WATCHDOG_PID");
        if (!pid || std::atol(pid) == static_cast<long>(::getpid())) {
            long long usec = std::atoll(w);
            if (usec > 0) {
                watchdogInterval_ = std::chrono::microseconds(usec / 2);
            }
        }
    }
}

bool SdNotifier::notify(const std::string& state) const {
    if (socketPath_.empty()) {
        return false;
    }
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socketPath_.size() >= sizeof addr.sun_path) {
        ::close(fd);
        return false;
    }
    std::memcpy(addr.sun_path, socketPath_.data(), socketPath_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socketPath_.size());
    if (socketPath_[0] == '@') {
        addr.sun_path[0] = '\0';  // abstract namespace
    }
    ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
    ::close(fd);
    return n == static_cast<ssize_t>(state.size());
}

void SdNotifier::reloading() const {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long usec = static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
    notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

}  // namespace tmsteams::common

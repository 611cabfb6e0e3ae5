// The systemd notification protocol, spoken directly: datagrams to $NOTIFY_SOCKET. Without
// systemd (no variable) every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tmsteams::common {

class SdNotifier {
public:
    // Reads $NOTIFY_SOCKET and $WATCHDOG_USEC (honouring $WATCHDOG_PID).
    SdNotifier();

    bool enabled() const { return !socketPath_.empty(); }
    // Sends "READY=1", "RELOADING=1\nMONOTONIC_USEC=...", "STOPPING=1", "WATCHDOG=1", ...
    bool notify(const std::string& state) const;
    void ready() const { notify("READY=1"); }
    void reloading() const;
    void stopping() const { notify("STOPPING=1"); }
    void watchdog() const { notify("WATCHDOG=1"); }
    void status(const std::string& text) const { notify("STATUS=" + text); }
    // How often to send WATCHDOG=1 (half the timeout systemd set), if it set one.
    std::optional<std::chrono::microseconds> watchdogInterval() const { return watchdogInterval_; }

private:
    std::string socketPath_;
    std::optional<std::chrono::microseconds> watchdogInterval_;
};

}  // namespace tmsteams::common

// Periodic work beside the watch: configuration reload (SIGHUP), renewed Teleport credentials,
// reminders, the credentials' expiry, and the systemd watchdog fed only while workers answer.
#include "daemon/app_impl.h"

#include <algorithm>

#include "common/time_format.h"
#include "plugin/config.h"

namespace tmsteams::daemon {

using common::formatUtc;

// [reminders]: each pending request's reminder, when due, on its own queue.
void App::Impl::scanReminders() {
    auto requests = auth->listAccessRequests();
    if (!requests.ok()) {
        common::logWarn("cannot list access requests for reminders", {{"error", std::string(requests.status().message())}});
        return;
    }
    auto st = stop.get_token();
    for (const auto& r : *requests) {
        if (r.spec().state() != types::PENDING) {
            continue;
        }
        const std::string id = r.metadata().name();
        executor->submit(id, [this, r, id, st] { settle(id, handler->remind(r, st), "cannot send a reminder"); });
    }
}

void App::Impl::reload() {
    systemd.reloading();
    auto fresh = loadConfig(config.path);
    if (!fresh.ok()) {
        common::logError("configuration reload refused; the previous configuration stays in force",
                         {{"error", std::string(fresh.status().message())}});
        systemd.ready();
        return;
    }
    for (const auto& w : fresh->warnings) {
        common::logWarn(w);
    }
    applyLogSettings(fresh->log);
    handler->setRoleToRecipients(fresh->roleToRecipients);
    const auto& mc = fresh->msapi;
    bool teleportChanged;
    {
        std::lock_guard lock(configMu);
        const auto& old = config.msapi;
        if (mc.graphEndpoint != old.graphEndpoint || mc.botEndpoint != old.botEndpoint || mc.region != old.region ||
            mc.teamsAppId != old.teamsAppId || mc.caFile != old.caFile) {
            common::logWarn("Microsoft endpoints, region, teams_app_id or ca_file changed: restart to apply them");
        }
        if (mc.appSecret != old.appSecret || mc.appId != old.appId || mc.tenantId != old.tenantId ||
            mc.loginEndpoint != old.loginEndpoint) {
            msapi::AppCredentials app{mc.loginEndpoint, mc.tenantId, mc.appId, mc.appSecret};
            ms->graphTokens->setCredentials(app);
            ms->botTokens->setCredentials(app);
            common::logInfo("Microsoft credentials reloaded");
        }
        const auto& ot = config.teleport;
        const auto& nt = fresh->teleport;
        teleportChanged = nt.addr != ot.addr || nt.identity != ot.identity || nt.clientCrt != ot.clientCrt ||
                          nt.clientKey != ot.clientKey || nt.rootCas != ot.rootCas;
        auto path = config.path;
        config = std::move(*fresh);
        config.path = path;
    }
    refreshIdentity(teleportChanged);
    common::logInfo("configuration reloaded");
    systemd.ready();
}

void App::Impl::onUpkeepLane(std::atomic<bool>& busy, std::function<void()> work) {
    if (busy.exchange(true)) {
        return;  // the previous one is still at it (Teleport slow): no pile-up
    }
    if (!upkeepLane->submit("\x01upkeep", [&busy, work = std::move(work)] {
            struct Done {
                std::atomic<bool>& busy;
                ~Done() { busy = false; }  // also when `work` throws: the next tick tries again
            } done{busy};
            work();
        })) {
        busy = false;
    }
}

void App::Impl::startUpkeep() {
    auto& u = upkeepState;
    u.lastIdentityCheck = u.lastExpiryCheck = u.lastWatchdog = u.lastReminderScan = clock.steadyNow();
    RemindersConfig reminders;
    {
        std::lock_guard lock(configMu);
        reminders = config.reminders;  // read at start: a reload does not change them
    }
    u.remind = reminders.after.count() > 0;
    // Often enough that a reminder is at most a quarter interval late; never more than a minute.
    u.reminderScanEvery = std::clamp<std::chrono::seconds>(std::min(reminders.after, reminders.repeat) / 4,
                                                          std::chrono::seconds(1), std::chrono::seconds(60));
    upkeep = std::make_unique<plugin::Scheduler::Group>(*scheduler);
    upkeepTick = upkeep->every(std::chrono::milliseconds(250), [this] { tickUpkeep(); });
}

void App::Impl::tickUpkeep() {
    auto& u = upkeepState;
    const auto now = clock.steadyNow();
    if (reloadWanted.exchange(false)) {
        // Queued behind nothing but other upkeep; a second SIGHUP meanwhile reloads again.
        upkeepLane->submit("\x01upkeep", [this] { reload(); });
    }
    bool refresh;
    std::chrono::seconds interval;
    {
        std::lock_guard lock(configMu);
        refresh = config.teleport.refreshIdentity;
        interval = config.teleport.refreshIdentityInterval;
    }
    if (refresh && now - u.lastIdentityCheck >= interval) {
        u.lastIdentityCheck = now;
        onUpkeepLane(u.refreshing, [this] { refreshIdentity(false); });
    }
    if (u.remind && watching && now - u.lastReminderScan >= u.reminderScanEvery) {
        u.lastReminderScan = now;
        onUpkeepLane(u.scanning, [this] { scanReminders(); });
    }
    if (now - u.lastExpiryCheck >= ExpiryCheckEvery) {
        u.lastExpiryCheck = now;
        std::chrono::system_clock::time_point notAfter;
        {
            std::lock_guard lock(configMu);
            notAfter = certNotAfter;
        }
        if (notAfter <= clock.now() && !u.expiredLogged) {
            common::logError("the Teleport credentials expired at " + formatUtc(notAfter) +
                             ": renew them (tbot, or tctl auth sign) and send SIGHUP");
            u.expiredLogged = true;
        } else if (notAfter > clock.now()) {
            u.expiredLogged = false;
        }
    }
    // The watchdog is fed only while the event workers answer: a wedged daemon gets restarted.
    if (auto wd = systemd.watchdogInterval(); wd && now - u.lastWatchdog >= *wd) {
        u.lastWatchdog = now;
        const int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
        const int64_t probe = lastProbeMs.load();
        const auto limitMs = std::chrono::duration_cast<std::chrono::milliseconds>(*wd).count() * 3;
        if (probe == 0 || nowMs - probe < limitMs) {
            systemd.watchdog();
        }
        executor->submit("\x01watchdog", [this] {
            lastProbeMs = std::chrono::duration_cast<std::chrono::milliseconds>(clock.steadyNow().time_since_epoch()).count();
        });
    }
}

}  // namespace tmsteams::daemon

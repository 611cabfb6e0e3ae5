// What the plugin stores on each access request (plugin name "msteams"), encoded exactly as
// Teleport's Go plugin encodes it, so either implementation can take over the other's
// requests. Our own additions use keys the Go plugin ignores and preserves.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tmsteams::plugin {

inline constexpr const char* PluginName = "msteams";

// One posted card: the activity id, when, and the recipient as configured.
struct StoredMessage {
    std::string id;
    std::string ts;
    std::string rid;
    bool operator==(const StoredMessage&) const = default;
};

struct PluginData {
    // Keys shared with the Go plugin.
    std::string user;
    std::vector<std::string> roles;
    std::vector<std::string> resources;
    std::string requestReason;
    int reviewsCount = 0;
    std::string resolution;  // "", APPROVED, DENIED, PROMOTED, EXPIRED
    std::string resolveReason;
    std::vector<StoredMessage> messages;
    std::string maxDuration;  // RFC 3339, when set
    std::vector<std::string> suggestedReviewers;
    // Ours: everyone who should get a card (lets a restart deliver what failed), and who is
    // delivering right now ("<instance> <unix ms lease end>").
    std::vector<std::string> recipients;
    bool hasRecipients = false;
    std::string claim;
    // Who is bringing the cards to the recorded state ("<instance> <unix ms lease end>"); a
    // replica that dies halfway leaves it, and another finishes the job once the lease ends.
    std::string updating;
    // notify_requester: the requester as a recipient ("" = none) and the outcome they were told.
    std::string requester;
    std::string requesterNotified;
    // [reminders]: how many were sent and when the last went ("<count> <unix ms>").
    std::string reminders;

    bool operator==(const PluginData&) const = default;
};

// The map to Set: every shared key is present ("" when empty, which deletes it server-side).
std::map<std::string, std::string> encodePluginData(const PluginData& d);
PluginData decodePluginData(const std::map<std::string, std::string>& m);
// Expect for "no entry yet": every key encodePluginData writes for an empty value, as "".
std::map<std::string, std::string> emptyExpectation();

// One message item of the "messages" key: base64 of {"id","ts","rid"} as Go's json.Marshal
// writes it (HTML characters escaped).
std::string encodeMessage(const StoredMessage& m);
std::optional<StoredMessage> decodeMessage(const std::string& item);

// Recipients that should have a card but have none recorded (our `recipients` key).
std::vector<std::string> missingRecipients(const PluginData& d);

// Go's json.Marshal of a string: escapes <, >, & and U+2028/9 as \u00XX.
std::string goJsonString(const std::string& s);
std::string goJsonStringArray(const std::vector<std::string>& v);
std::optional<std::vector<std::string>> parseStringArray(const std::string& json);

}  // namespace tmsteams::plugin

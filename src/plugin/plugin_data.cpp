// The Go-compatible plugin data codec.
#include "plugin/plugin_data.h"

#include <cstdio>
#include <set>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "common/base64.h"
#include "common/utf8.h"

namespace tmsteams::plugin {

namespace {

std::string join(const std::vector<std::string>& v, char sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        out += (i ? std::string(1, sep) : "") + v[i];
    }
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    if (s.empty()) {
        return out;
    }
    size_t start = 0;
    for (;;) {
        size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) {
            return out;
        }
        start = p + 1;
    }
}

std::string get(const std::map<std::string, std::string>& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? "" : it->second;
}

}  // namespace

std::string goJsonString(const std::string& s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': out += "\\u003c"; break;
        case '>': out += "\\u003e"; break;
        case '&': out += "\\u0026"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else if (c < 0x80) {
                out += static_cast<char>(c);
            } else {
                // Like Go: U+2028/9 escaped, each invalid byte written as \ufffd (a JSON parser,
                // ours or Go's, would reject the whole value otherwise).
                const auto ch = common::decodeUtf8(s, i);
                if (ch.length == 0) {
                    out += "\\ufffd";
                } else if (ch.codepoint == 0x2028 || ch.codepoint == 0x2029) {
                    out += ch.codepoint == 0x2028 ? "\\u2028" : "\\u2029";
                    i += ch.length - 1;
                } else {
                    out.append(s, i, ch.length);
                    i += ch.length - 1;
                }
            }
        }
    }
    return out + "\"";
}

std::string goJsonStringArray(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
        out += (i ? "," : "") + goJsonString(v[i]);
    }
    return out + "]";
}

std::optional<std::vector<std::string>> parseStringArray(const std::string& json) {
    try {
        Poco::JSON::Parser parser;
        auto arr = parser.parse(json).extract<Poco::JSON::Array::Ptr>();
        std::vector<std::string> out;
        for (size_t i = 0; i < arr->size(); ++i) {
            out.push_back(arr->get(static_cast<unsigned>(i)).convert<std::string>());
        }
        return out;
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

std::string encodeMessage(const StoredMessage& m) {
    return common::base64Encode("{\"id\":" + goJsonString(m.id) + ",\"ts\":" + goJsonString(m.ts) +
                                ",\"rid\":" + goJsonString(m.rid) + "}");
}

std::optional<StoredMessage> decodeMessage(const std::string& item) {
    auto raw = common::base64Decode(item);
    if (!raw) {
        // The Go plugin's first format: "ID/TS/RID".
        auto parts = split(item, '/');
        if (parts.size() == 3) {
            return StoredMessage{parts[0], parts[1], parts[2]};
        }
        return std::nullopt;
    }
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(*raw).extract<Poco::JSON::Object::Ptr>();
        return StoredMessage{o->optValue<std::string>("id", ""), o->optValue<std::string>("ts", ""),
                             o->optValue<std::string>("rid", "")};
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

std::map<std::string, std::string> encodePluginData(const PluginData& d) {
    std::map<std::string, std::string> m;
    m["user"] = d.user;
    m["roles"] = join(d.roles, ',');
    m["resources"] = d.resources.empty() ? "" : goJsonStringArray(d.resources);
    m["request_reason"] = d.requestReason;
    m["reviews_count"] = d.reviewsCount > 0 ? std::to_string(d.reviewsCount) : "";
    m["resolution"] = d.resolution;
    m["resolve_reason"] = d.resolveReason;
    std::vector<std::string> items;
    for (const auto& msg : d.messages) {
        items.push_back(encodeMessage(msg));
    }
    m["messages"] = join(items, ',');
    m["max_duration"] = d.maxDuration;
    m["suggested_reviewers"] = d.suggestedReviewers.empty() ? "" : goJsonStringArray(d.suggestedReviewers);
    m["recipients"] = d.hasRecipients ? goJsonStringArray(d.recipients) : "";
    m["claim"] = d.claim;
    m["updating"] = d.updating;
    m["requester"] = d.requester;
    m["requester_notified"] = d.requesterNotified;
    m["reminders"] = d.reminders;
    return m;
}

std::vector<std::string> missingRecipients(const PluginData& d) {
    std::set<std::string> have;
    for (const auto& m : d.messages) {
        have.insert(m.rid);
    }
    std::vector<std::string> out;
    for (const auto& r : d.recipients) {
        if (!have.count(r)) {
            out.push_back(r);
        }
    }
    return out;
}

std::map<std::string, std::string> emptyExpectation() {
    auto m = encodePluginData(PluginData{});
    for (auto& [k, v] : m) {
        v.clear();
    }
    return m;
}

PluginData decodePluginData(const std::map<std::string, std::string>& m) {
    PluginData d;
    d.user = get(m, "user");
    d.roles = split(get(m, "roles"), ',');
    if (auto res = get(m, "resources"); !res.empty()) {
        if (auto list = parseStringArray(res)) {
            d.resources = *list;
        } else {
            d.resources = split(res, ',');  // early Go versions joined with commas
        }
    }
    d.requestReason = get(m, "request_reason");
    if (auto rc = get(m, "reviews_count"); !rc.empty()) {
        // Go reads it with %d: leading digits count, junk after them is ignored.
        int n = 0;
        if (std::sscanf(rc.c_str(), "%d", &n) == 1 && n > 0) {
            d.reviewsCount = n;
        }
    }
    d.resolution = get(m, "resolution");
    d.resolveReason = get(m, "resolve_reason");
    for (const auto& item : split(get(m, "messages"), ',')) {
        if (auto msg = decodeMessage(item)) {
            d.messages.push_back(*msg);
        }
    }
    d.maxDuration = get(m, "max_duration");
    if (auto s = get(m, "suggested_reviewers"); !s.empty()) {
        d.suggestedReviewers = parseStringArray(s).value_or(std::vector<std::string>{});
    }
    if (auto r = get(m, "recipients"); !r.empty()) {
        if (auto list = parseStringArray(r)) {
            d.recipients = *list;
            d.hasRecipients = true;
        }
    }
    d.claim = get(m, "claim");
    d.updating = get(m, "updating");
    d.requester = get(m, "requester");
    d.requesterNotified = get(m, "requester_notified");
    d.reminders = get(m, "reminders");
    return d;
}

}  // namespace tmsteams::plugin

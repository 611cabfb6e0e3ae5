// Recipient classification.
#include "teams/recipient.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <vector>

namespace tmsteams::teams {

bool looksLikeEmail(const std::string& s) {
    auto at = s.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= s.size() || s.find('@', at + 1) != std::string::npos) {
        return false;
    }
    for (char c : s) {
        if (std::isspace(static_cast<unsigned char>(c)) || c == '<' || c == '>' || c == ',' || c == '/' ||
            c == ':' || c == '"') {
            return false;
        }
    }
    std::string domain = s.substr(at + 1);
    return domain.find('.') != std::string::npos && domain.front() != '.' && domain.back() != '.';
}

Recipient parseRecipient(const std::string& raw) {
    Recipient r{Recipient::Kind::UserId, raw, {}};
    if (raw.rfind("https://", 0) == 0 || raw.rfind("http://", 0) == 0) {
        try {
            Poco::URI uri(raw);
            std::string groupId, tenantId;
            for (const auto& [k, v] : uri.getQueryParameters()) {
                if (k == "groupId") {
                    groupId = v;
                } else if (k == "tenantId") {
                    tenantId = v;
                }
            }
            // getPath() decodes once: "19%3a...%40thread.tacv2" becomes "19:...@thread.tacv2".
            std::vector<std::string> parts;
            uri.getPathSegments(parts);
            if (!groupId.empty() && !tenantId.empty() && parts.size() == 4 && parts[0] == "l" &&
                parts[1] == "channel") {
                r.kind = Recipient::Kind::Channel;
                r.channel = {parts[2], parts[3], groupId, tenantId};
                return r;
            }
        } catch (const Poco::Exception&) {
        }
    }
    if (looksLikeEmail(raw)) {
        r.kind = Recipient::Kind::Email;
    }
    return r;
}

}  // namespace tmsteams::teams

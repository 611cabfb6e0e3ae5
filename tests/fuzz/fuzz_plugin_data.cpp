// Fuzz target: the plugin data decoder. Whatever another writer (the Go plugin, an older or
// newer version of ours, a person with tctl) left in plugin data decodes without crashing, and
// what we write back is stable: decoding it again and re-encoding gives the same bytes.
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "plugin/plugin_data.h"

namespace {

// Input: "key\0value\0key\0value..." so both keys and values are arbitrary bytes.
std::map<std::string, std::string> splitPairs(const std::string& in) {
    std::map<std::string, std::string> m;
    size_t at = 0;
    while (at < in.size()) {
        size_t k = in.find('\0', at);
        if (k == std::string::npos) {
            break;
        }
        size_t v = in.find('\0', k + 1);
        if (v == std::string::npos) {
            v = in.size();
        }
        m[in.substr(at, k - at)] = in.substr(k + 1, v - k - 1);
        at = v + 1;
    }
    return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace tmsteams::plugin;
    const auto stored = splitPairs(std::string(reinterpret_cast<const char*>(data), size));
    const PluginData decoded = decodePluginData(stored);
    // Writing normalises once (invalid UTF-8 becomes U+FFFD, as Go's encoder does); after that,
    // what we read back is what we wrote, and no card or recipient is ever dropped.
    const PluginData once = decodePluginData(encodePluginData(decoded));
    const PluginData twice = decodePluginData(encodePluginData(once));
    if (!(twice == once) || once.messages.size() != decoded.messages.size() ||
        once.recipients.size() != decoded.recipients.size() || once.hasRecipients != decoded.hasRecipients) {
        std::fprintf(stderr, "plugin data changed on rewrite: %zu -> %zu messages, %zu -> %zu recipients\n",
                     decoded.messages.size(), once.messages.size(), decoded.recipients.size(),
                     once.recipients.size());
        std::abort();
    }
    for (const auto& [key, value] : stored) {
        if (auto m = decodeMessage(value)) {
            // Writing normalises once (invalid UTF-8 becomes U+FFFD, as Go does); after that a
            // message survives unchanged, and is never dropped.
            const auto once = decodeMessage(encodeMessage(*m));
            const auto again = once ? decodeMessage(encodeMessage(*once)) : std::nullopt;
            if (!again || *again != *once) {
                std::fprintf(stderr, "message {%s,%s,%s} did not survive its own encoding\n", m->id.c_str(),
                             m->ts.c_str(), m->rid.c_str());
                std::abort();
            }
        }
        (void)key;
    }
    (void)parseStringArray(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}

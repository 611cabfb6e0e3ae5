// Fuzz target: recipient classification, including the Teams channel URL parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "teams/recipient.h"

using tmsteams::teams::Recipient;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const Recipient r = tmsteams::teams::parseRecipient(text);
    if (r.raw != text) {
        std::abort();  // plugin data keys cards by the recipient as written
    }
    if (r.kind == Recipient::Kind::Channel &&
        (r.channel.conversationId.empty() || r.channel.groupId.empty() || r.channel.tenantId.empty())) {
        std::abort();  // a channel we cannot post to must not be classified as one
    }
    if (r.kind == Recipient::Kind::Email && !tmsteams::teams::looksLikeEmail(text)) {
        std::abort();
    }
    return 0;
}

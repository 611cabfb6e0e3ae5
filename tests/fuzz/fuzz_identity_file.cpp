// Fuzz target: the tctl/tbot identity file parser (PEM blocks, SSH lines, CA lines).
#include <cstddef>
#include <cstdint>
#include <string>

#include "teleport/identity_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto creds = tmsteams::teleport::parseIdentityFile(text);
    if (creds.ok()) {
        // A parsed certificate is inspected at start-up for its expiry.
        (void)tmsteams::teleport::inspectCertificate(creds->certPem);
    }
    return 0;
}

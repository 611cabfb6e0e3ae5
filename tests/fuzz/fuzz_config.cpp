// Fuzz target: the TOML config loader. Any text either loads or yields one line that names the
// file; it never crashes.
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "plugin/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto config = tmsteams::plugin::parseConfig(text, "fuzz.toml");
    if (!config.ok()) {
        const std::string message(config.status().message());
        // Users see this as the one line of a failed start.
        if (message.rfind("fuzz.toml", 0) != 0 || message.find('\n') != std::string::npos) {
            std::fprintf(stderr, "bad error line: %s\n", message.c_str());
            std::abort();
        }
    }
    return 0;
}

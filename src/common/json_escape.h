// JSON string quoting without a JSON library, for logs and hand-built documents.
#pragma once

#include <string>
#include <string_view>

namespace tmsteams::common {

// Returns `s` as a quoted JSON string; control characters become \uXXXX, and invalid UTF-8
// bytes are replaced with U+FFFD so the output is always valid JSON.
std::string jsonQuote(std::string_view s);

}  // namespace tmsteams::common

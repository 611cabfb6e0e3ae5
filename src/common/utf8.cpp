// Strict UTF-8 decoding.
#include "common/utf8.h"

namespace tmsteams::common {

Utf8Char decodeUtf8(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k])); };
    const uint32_t c = b(0);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
        return {};
    }
    for (size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80) {
            return {};
        }
    }
    uint32_t cp = 0;
    switch (n) {
    case 1: cp = c; break;
    case 2: cp = ((c & 0x1F) << 6) | (b(1) & 0x3F); break;
    case 3: cp = ((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F); break;
    default: cp = ((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F); break;
    }
    // The shortest form only, and only Unicode scalar values.
    static constexpr uint32_t Min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < Min[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        return {};
    }
    return {n, cp};
}

size_t utf16Length(std::string_view s) {
    size_t units = 0;
    for (size_t i = 0; i < s.size();) {
        const Utf8Char c = decodeUtf8(s, i);
        if (c.length == 0) {
            ++units;
            ++i;
            continue;
        }
        units += c.codepoint > 0xFFFF ? 2 : 1;
        i += c.length;
    }
    return units;
}

}  // namespace tmsteams::common

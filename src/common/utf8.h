// Strict UTF-8 decoding (no overlongs, surrogates or code points past U+10FFFF), shared by
// everything that must emit text other parsers accept: JSON, cards, logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tmsteams::common {

struct Utf8Char {
    size_t length = 0;   // bytes; 0 when s[i] does not start a valid sequence
    uint32_t codepoint = 0;
};

Utf8Char decodeUtf8(std::string_view s, size_t i);

// The length of `s` in UTF-16 code units, the measure Teams applies to a message's size
// (characters past U+FFFF count two; an invalid byte counts one, as its replacement would).
size_t utf16Length(std::string_view s);

}  // namespace tmsteams::common
